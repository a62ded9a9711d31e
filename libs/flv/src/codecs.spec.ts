import { BitReader, BitWriter, ByteReader } from './bitreader';
import { codecName, fourCcToNumber, legacyAudioCodec, legacyVideoCodec, numberToFourCc } from './codecs';
import { FlvError } from './errors';

describe('codec identifiers', () => {
  it('human names for FOURCCs and legacy ids', () => {
    expect(['avc1', 'hvc1', 'av01', 'vp09', 'vp08', 'mp4a', '.mp3', 'Opus', 'fLaC', 'ac-3', 'ec-3'].map((c) => codecName(c))).toEqual([
      'H.264',
      'HEVC',
      'AV1',
      'VP9',
      'VP8',
      'AAC',
      'MP3',
      'Opus',
      'FLAC',
      'AC-3',
      'E-AC-3',
    ]);
    expect(codecName('legacy:2', 'video')).toBe('Sorenson H.263');
    expect(codecName('legacy:2', 'audio')).toBe('MP3');
    expect(codecName(4, 'video')).toBe('On2 VP6');
    expect(codecName(7, 'video')).toBe('H.264');
    expect(codecName(12, 'video')).toBe('HEVC');
    expect(codecName(14, 'audio')).toBe('MP3 8 kHz');
    expect(codecName(11, 'audio')).toBe('Speex');
    expect(codecName('legacy:9')).toBe('legacy codec 9');
    expect(codecName('xyz1')).toBe('xyz1');
  });

  it('legacy ids map to the E-RTMP FOURCC where one exists', () => {
    expect([2, 3, 4, 5, 6, 7, 12].map(legacyVideoCodec)).toEqual(['legacy:2', 'legacy:3', 'legacy:4', 'legacy:5', 'legacy:6', 'avc1', 'hvc1']);
    expect([2, 10, 11, 14].map(legacyAudioCodec)).toEqual(['.mp3', 'mp4a', 'legacy:11', '.mp3']);
  });

  it('FOURCC <-> big-endian UI32', () => {
    expect(fourCcToNumber('av01')).toBe(0x61763031);
    expect(fourCcToNumber('Opus')).toBe(1332770163);
    expect(numberToFourCc(0x61763031)).toBe('av01');
    expect(numberToFourCc(7)).toBeUndefined();
    expect(numberToFourCc(0x61763001)).toBeUndefined();
    expect(numberToFourCc(1.5)).toBeUndefined();
  });
});

describe('bit and byte readers', () => {
  it('Exp-Golomb ue/se round trip (H.264 9.1)', () => {
    const values = [0, 1, 2, 3, 7, 8, 255, 65535, 2 ** 31, 2 ** 32 - 2];
    const signed = [0, 1, -1, 2, -2, 1000, -1000, 2 ** 30, -(2 ** 30)];
    const w = new BitWriter();
    values.forEach((v) => w.ue(v));
    signed.forEach((v) => w.se(v));
    w.u(32, 0xdeadbeef).u(3, 5);
    const r = new BitReader(w.toBytes());
    expect(values.map(() => r.ue())).toEqual(values);
    expect(signed.map(() => r.se())).toEqual(signed);
    expect(r.u(32)).toBe(0xdeadbeef);
    expect(r.u(3)).toBe(5);
    expect(Array.from(new BitWriter().ue(0).ue(1).ue(2).ue(3).toBytes())).toEqual([0b10100110, 0b01000000]);
  });

  it('overruns are FLV_TRUNCATED', () => {
    const r = new BitReader(Uint8Array.of(0xff));
    expect(r.u(5)).toBe(31);
    expect(() => r.u(4)).toThrow(FlvError);
    const b = new ByteReader(Uint8Array.of(1, 2, 3));
    expect(b.u16()).toBe(0x0102);
    try {
      b.u16('field');
      throw new Error('no throw');
    } catch (err) {
      expect(err).toBeInstanceOf(FlvError);
      expect((err as FlvError).code).toBe('FLV_TRUNCATED');
      expect((err as FlvError).message).toContain('field');
    }
  });

  it('SI24 is sign-extended', () => {
    expect(new ByteReader(Uint8Array.of(0xff, 0xff, 0xff)).s24()).toBe(-1);
    expect(new ByteReader(Uint8Array.of(0x80, 0x00, 0x00)).s24()).toBe(-(2 ** 23));
    expect(new ByteReader(Uint8Array.of(0x7f, 0xff, 0xff)).s24()).toBe(2 ** 23 - 1);
  });
});
