import { ADTS_HEADER_SIZE, aacAdtsHeader, aacProfileName, parseAudioSpecificConfig } from './aac';
import { BitReader, BitWriter } from './bitreader';
import { FlvError } from './errors';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

function errCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof FlvError) return err.code;
    throw err;
  }
  throw new Error('expected an FlvError');
}

describe('AudioSpecificConfig (14496-3 1.6.2.1)', () => {
  it("'1210': AAC LC, 44100 Hz, stereo", () => {
    const asc = parseAudioSpecificConfig(hex('1210'));
    expect(asc).toEqual({
      audioObjectType: 2,
      samplingFrequencyIndex: 4,
      samplingFrequency: 44100,
      channelConfiguration: 2,
      channels: 2,
      sbrPresent: false,
      psPresent: false,
      frameLengthFlag: false,
    });
    expect(aacProfileName(asc)).toBe('LC');
  });

  it("'1190': AAC LC, 48000 Hz, stereo", () => {
    expect(parseAudioSpecificConfig(hex('1190'))).toMatchObject({ audioObjectType: 2, samplingFrequency: 48000, channels: 2 });
  });

  it("'1188': AAC LC, 48000 Hz, mono; '1388': AAC LC, 22050 Hz, mono", () => {
    expect(parseAudioSpecificConfig(hex('1188'))).toMatchObject({ samplingFrequency: 48000, channelConfiguration: 1, channels: 1 });
    expect(parseAudioSpecificConfig(hex('1388'))).toMatchObject({ samplingFrequency: 22050, channels: 1 });
  });

  it("HE-AAC, explicit hierarchical SBR signalling ('2b920800': AOT 5, 22050 core -> 44100)", () => {
    const asc = parseAudioSpecificConfig(hex('2b920800'));
    expect(asc).toMatchObject({
      audioObjectType: 2,
      extensionAudioObjectType: 5,
      sbrPresent: true,
      psPresent: false,
      samplingFrequency: 22050,
      extensionSamplingFrequency: 44100,
      channels: 2,
    });
    expect(aacProfileName(asc)).toBe('HE-AAC');
  });

  it("HE-AAC, backward-compatible explicit signalling ('131056e598': sync extension 0x2b7)", () => {
    const asc = parseAudioSpecificConfig(hex('131056e598'));
    expect(asc).toMatchObject({
      audioObjectType: 2,
      samplingFrequency: 24000,
      extensionAudioObjectType: 5,
      sbrPresent: true,
      extensionSamplingFrequency: 48000,
    });
    expect(aacProfileName(asc)).toBe('HE-AAC');
  });

  it('HE-AACv2 (AOT 29: SBR + parametric stereo)', () => {
    const w = new BitWriter().u(5, 29).u(4, 6).u(4, 1).u(4, 3).u(5, 2).u(3, 0);
    const asc = parseAudioSpecificConfig(w.toBytes());
    expect(asc).toMatchObject({ audioObjectType: 2, sbrPresent: true, psPresent: true, samplingFrequency: 24000, extensionSamplingFrequency: 48000, channels: 1 });
    expect(aacProfileName(asc)).toBe('HE-AACv2');
  });

  it('escape object type 31 (AOT 32 + 6 bits) and an explicit 24-bit frequency', () => {
    // AOT 42 (USAC): 11111 001010, then index 15 + 24-bit 44100, channelConfiguration 2.
    const w = new BitWriter().u(5, 31).u(6, 42 - 32).u(4, 15).u(24, 44100).u(4, 2);
    const asc = parseAudioSpecificConfig(w.toBytes());
    expect(asc).toMatchObject({ audioObjectType: 42, samplingFrequencyIndex: 15, samplingFrequency: 44100, channels: 2 });
    expect(aacProfileName(asc)).toBe('xHE-AAC');
    // AOT 39 (ER AAC ELD) via the escape: 31 + 7
    expect(parseAudioSpecificConfig(new BitWriter().u(5, 31).u(6, 7).u(4, 3).u(4, 1).toBytes())).toMatchObject({ audioObjectType: 39, samplingFrequency: 48000 });
  });

  it('rejects reserved values and short input', () => {
    expect(errCode(() => parseAudioSpecificConfig(hex('00 00')))).toBe('FLV_INVALID'); // AOT 0
    expect(errCode(() => parseAudioSpecificConfig(hex('16 90')))).toBe('FLV_INVALID'); // frequency index 13
    expect(errCode(() => parseAudioSpecificConfig(hex('12')))).toBe('FLV_TRUNCATED');
    expect(errCode(() => parseAudioSpecificConfig(hex('17 80 00')))).toBe('FLV_TRUNCATED'); // 24-bit frequency cut
    expect(errCode(() => parseAudioSpecificConfig(new Uint8Array(0)))).toBe('FLV_TRUNCATED');
  });
});

/** Reads an ADTS header back field by field (13818-7 6.2.1). */
function readAdts(h: Uint8Array) {
  const br = new BitReader(h);
  return {
    syncword: br.u(12),
    id: br.u(1),
    layer: br.u(2),
    protectionAbsent: br.u(1),
    profile: br.u(2),
    samplingFrequencyIndex: br.u(4),
    privateBit: br.u(1),
    channelConfiguration: br.u(3),
    originalCopy: br.u(1),
    home: br.u(1),
    copyrightBit: br.u(1),
    copyrightStart: br.u(1),
    frameLength: br.u(13),
    bufferFullness: br.u(11),
    rawDataBlocks: br.u(2),
  };
}

describe('aacAdtsHeader', () => {
  it('LC 44100 stereo, 100-byte frame', () => {
    const h = aacAdtsHeader(parseAudioSpecificConfig(hex('1210')), 100);
    expect(h.length).toBe(ADTS_HEADER_SIZE);
    expect(h.toString('hex')).toBe('fff150800d7ffc');
    expect(readAdts(h)).toEqual({
      syncword: 0xfff,
      id: 0,
      layer: 0,
      protectionAbsent: 1,
      profile: 1,
      samplingFrequencyIndex: 4,
      privateBit: 0,
      channelConfiguration: 2,
      originalCopy: 0,
      home: 0,
      copyrightBit: 0,
      copyrightStart: 0,
      frameLength: 107,
      bufferFullness: 0x7ff,
      rawDataBlocks: 0,
    });
  });

  it('HE-AAC is written as its LC core', () => {
    const h = readAdts(aacAdtsHeader(parseAudioSpecificConfig(hex('2b920800')), 8184));
    expect(h).toMatchObject({ profile: 1, samplingFrequencyIndex: 7, channelConfiguration: 2, frameLength: 8191 });
  });

  it('what ADTS cannot carry', () => {
    const lc = parseAudioSpecificConfig(hex('1210'));
    expect(errCode(() => aacAdtsHeader(lc, 8185))).toBe('FLV_INVALID');
    expect(errCode(() => aacAdtsHeader(lc, -1))).toBe('FLV_INVALID');
    expect(errCode(() => aacAdtsHeader({ ...lc, samplingFrequencyIndex: 15, samplingFrequency: 44000 }, 10))).toBe('FLV_UNSUPPORTED');
    expect(errCode(() => aacAdtsHeader({ ...lc, audioObjectType: 39 }, 10))).toBe('FLV_UNSUPPORTED');
    expect(errCode(() => aacAdtsHeader({ ...lc, channelConfiguration: 13 }, 10))).toBe('FLV_UNSUPPORTED');
  });
});
