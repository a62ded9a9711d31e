import { FlvError } from '@ingest/flv';
import { aacCodecString, ascAudioObjectType, avcCodecString, codecString, hevcCodecString } from './fmp4-codecs';

/** An HEVCDecoderConfigurationRecord header (no arrays) with the given profile_tier_level fields. */
function hvcc(profileByte: number, compat: number, constraints: number[], level: number): Buffer {
  const b = Buffer.alloc(23);
  b[0] = 1; // configurationVersion
  b[1] = profileByte; // general_profile_space(2) general_tier_flag(1) general_profile_idc(5)
  b.writeUInt32BE(compat, 2); // general_profile_compatibility_flags
  Buffer.from(constraints).copy(b, 6); // general_constraint_indicator_flags (6 bytes)
  b[12] = level; // general_level_idc
  b.writeUInt16BE(0xf000, 13); // reserved + min_spatial_segmentation_idc
  b[15] = 0xfc; // reserved + parallelismType
  b[16] = 0xfd; // reserved + chromaFormat 4:2:0
  b[17] = 0xf8; // reserved + bitDepthLumaMinus8
  b[18] = 0xf8; // reserved + bitDepthChromaMinus8
  b[21] = 0x0f; // constantFrameRate, numTemporalLayers, temporalIdNested, lengthSizeMinusOne 3
  b[22] = 0; // numOfArrays
  return b;
}

const AVCC_HIGH_30 = Buffer.from('0164001effe1001a6764001eacd940a02ff970110000030001000003003c0f162d9601000468ef8fcbfdf8f800', 'hex');
const AVCC_BASELINE_31 = Buffer.from([0x01, 0x42, 0xc0, 0x1f, 0xff, 0xe0, 0x00]);
const AVCC_MAIN_40 = Buffer.from([0x01, 0x4d, 0x40, 0x28, 0xff, 0xe0, 0x00]);

describe('codec strings', () => {
  it.each([
    ['avc1', AVCC_HIGH_30, 'avc1.64001e'],
    ['avc1', AVCC_BASELINE_31, 'avc1.42c01f'],
    ['avc1', AVCC_MAIN_40, 'avc1.4d4028'],
    ['avc3', AVCC_MAIN_40, 'avc3.4d4028'],
    ['hvc1', hvcc(0x01, 0x60000000, [0xb0, 0, 0, 0, 0, 0], 93), 'hvc1.1.6.L93.B0'],
    ['hvc1', hvcc(0x02, 0x20000000, [0xb0, 0, 0, 0, 0, 0], 120), 'hvc1.2.4.L120.B0'],
    ['hev1', hvcc(0x22, 0x20000000, [0xb0, 0, 0, 0, 0, 0], 153), 'hev1.2.4.H153.B0'],
    ['hvc1', hvcc(0x41, 0x60000000, [0x90, 0, 0, 0, 0, 0x01], 60), 'hvc1.A1.6.L60.90.00.00.00.00.01'],
    ['hvc1', hvcc(0x04, 0x08000000, [0, 0, 0, 0, 0, 0], 90), 'hvc1.4.10.L90'],
    ['mp4a', Buffer.from([0x12, 0x10]), 'mp4a.40.2'],
    ['mp4a', Buffer.from([0x11, 0x90]), 'mp4a.40.2'],
    ['mp4a', Buffer.from([0x2b, 0x92, 0x08, 0x00]), 'mp4a.40.5'],
    ['mp4a', Buffer.from([0xeb, 0x09, 0x88, 0x00]), 'mp4a.40.29'],
    ['mp4a', Buffer.from([0x0a, 0x10]), 'mp4a.40.1'],
    ['mp4a', Buffer.from([0xf9, 0x40, 0x00]), 'mp4a.40.42'],
  ] as const)('%s %s -> %s', (codec, config, expected) => {
    expect(codecString(codec, config)).toBe(expected);
  });

  it('has one function per codec', () => {
    expect(avcCodecString(AVCC_HIGH_30)).toBe('avc1.64001e');
    expect(hevcCodecString(hvcc(0x01, 0x60000000, [0xb0, 0, 0, 0, 0, 0], 93))).toBe('hvc1.1.6.L93.B0');
    expect(aacCodecString(Buffer.from([0x12, 0x10]))).toBe('mp4a.40.2');
    expect(ascAudioObjectType(Buffer.from([0x2b, 0x92]))).toBe(5);
  });

  it('throws FlvError for configurations that do not parse', () => {
    expect(() => avcCodecString(Buffer.from([0x02, 0x64]))).toThrow(FlvError);
    expect(() => hevcCodecString(Buffer.from([0x01, 0x01]))).toThrow(FlvError);
    expect(() => aacCodecString(Buffer.from([0x12]))).toThrow(FlvError);
    expect(() => aacCodecString(Buffer.from([0x00, 0x00]))).toThrow(FlvError);
  });
});
