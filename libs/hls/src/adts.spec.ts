import { AdtsFramer, parseAdtsHeader } from './adts';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex').replace(/(..)(?!$)/g, '$1 ');

describe('ADTS (ISO/IEC 13818-7 6.2)', () => {
  it('frames AAC LC 44.1 kHz stereo (AudioSpecificConfig 12 10)', () => {
    const adts = new AdtsFramer(Uint8Array.of(0x12, 0x10));
    const frame = adts.frame(new Uint8Array(371).fill(1));
    // FFF1: sync, MPEG-4, layer 0, no CRC; 50: LC (profile 1), index 4, channels 2 (high bit 0);
    // 80 2F 7F FC: channels low bits 10, frame length 378, buffer fullness 0x7FF, one raw data block.
    expect(toHex(frame.subarray(0, 7))).toBe('ff f1 50 80 2f 5f fc');
    expect(parseAdtsHeader(frame)).toEqual({
      id: 0,
      protectionAbsent: true,
      audioObjectType: 2,
      samplingFrequencyIndex: 4,
      sampleRate: 44100,
      channelConfiguration: 2,
      frameLength: 378,
      bufferFullness: 0x7ff,
      rawDataBlocks: 0,
      headerLength: 7,
    });
  });

  it('writes HE-AAC as its LC core, mono 48 kHz, and the largest frame length', () => {
    // HE-AAC (AOT 5) at 24 kHz core / 48 kHz SBR, mono: 2B 09 88 00 is what FFmpeg writes for -profile:a aac_he.
    const he = new AdtsFramer(Uint8Array.of(0x2b, 0x09, 0x88, 0x00));
    expect(parseAdtsHeader(he.frame(new Uint8Array(10)))).toMatchObject({ audioObjectType: 2, sampleRate: 24000, channelConfiguration: 1 });
    const mono48 = new AdtsFramer(Uint8Array.of(0x11, 0x88));
    const big = mono48.frame(new Uint8Array(0x1fff - 7));
    expect(parseAdtsHeader(big)).toMatchObject({ sampleRate: 48000, channelConfiguration: 1, frameLength: 0x1fff });
    expect(() => mono48.frame(new Uint8Array(0x1fff - 6))).toThrow(RangeError);
  });
});
