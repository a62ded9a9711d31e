import { av1LevelName, parseAv1CodecConfigurationRecord, parseAv1SequenceHeaderFromObus } from './av1';
import { BitWriter } from './bitreader';
import { describeVideoConfig } from './describe';
import { FlvError } from './errors';
import { parseVideoTag } from './video';
import { parseVpCodecConfigurationRecord } from './vpx';

function errCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof FlvError) return err.code;
    throw err;
  }
  throw new Error('expected an FlvError');
}

/** sequence_header_obu() per AV1 spec 5.5.1, followed by trailing bits. */
function sequenceHeader(opts: { width: number; height: number; level: number; timing?: { tick: number; scale: number } }): Uint8Array {
  const w = new BitWriter();
  w.u(3, 0).u(1, 0).u(1, 0); // seq_profile Main, still_picture, reduced_still_picture_header
  if (opts.timing) {
    w.u(1, 1).u(32, opts.timing.tick).u(32, opts.timing.scale).u(1, 1).u(1, 1); // equal_picture_interval, uvlc 0
    w.u(1, 1).u(5, 9).u(32, 90000).u(5, 31).u(5, 31); // decoder_model_info (buffer_delay_length 10)
  } else {
    w.u(1, 0);
  }
  w.u(1, 1); // initial_display_delay_present_flag
  w.u(5, 1); // operating_points_cnt_minus_1 -> 2 operating points
  for (let i = 0; i < 2; i++) {
    w.u(12, i === 0 ? 0 : 0x101).u(5, opts.level);
    if (opts.level > 7) w.u(1, 0); // seq_tier
    if (opts.timing) w.u(1, 1).u(10, 5).u(10, 6).u(1, 0); // decoder_model_present_for_this_op + operating_parameters_info
    w.u(1, 1).u(4, 9); // initial_display_delay_present_for_this_op, initial_display_delay_minus_1
  }
  w.u(4, 15).u(4, 15); // frame_width_bits_minus_1, frame_height_bits_minus_1
  w.u(16, opts.width - 1).u(16, opts.height - 1);
  w.u(1, 0).u(1, 0).u(1, 1).u(1, 1); // frame_id_numbers_present_flag, use_128x128_superblock, ...
  w.trailingBits();
  return w.toBytes();
}

function obu(type: number, payload: Uint8Array): number[] {
  return [(type << 3) | 0x02, payload.length, ...payload]; // has_size_field, one-byte leb128 size
}

describe('AV1CodecConfigurationRecord', () => {
  it('record fields and the sequence header among the configOBUs', () => {
    const sh = sequenceHeader({ width: 1920, height: 1080, level: 8, timing: { tick: 1001, scale: 60000 } });
    // marker/version 0x81; seq_profile 0 | seq_level_idx_0 8; tier 0, 8-bit, 4:2:0 (x=1, y=1); no delay
    const record = Uint8Array.from([0x81, 0x08, 0x0c, 0x00, ...obu(2, new Uint8Array(0)), ...obu(1, sh)]);
    expect(parseAv1CodecConfigurationRecord(record)).toMatchObject({
      version: 1,
      seqProfile: 0,
      seqLevelIdx0: 8,
      seqTier0: 0,
      highBitdepth: false,
      monochrome: false,
      chromaSubsamplingX: true,
      chromaSubsamplingY: true,
    });
    expect(parseAv1SequenceHeaderFromObus(record.subarray(4))).toMatchObject({
      seqProfile: 0,
      seqLevelIdx0: 8,
      maxFrameWidth: 1920,
      maxFrameHeight: 1080,
      timing: { numUnitsInDisplayTick: 1001, timeScale: 60000, numTicksPerPicture: 1 },
    });

    const tag = parseVideoTag(Uint8Array.from([0x90, ...Buffer.from('av01'), ...record]));
    expect(describeVideoConfig(tag.tracks[0])).toEqual({
      codec: 'av01',
      name: 'AV1',
      profile: 'Main',
      level: '4.0',
      tier: 'Main',
      bitDepth: 8,
      chroma: '4:2:0',
      width: 1920,
      height: 1080,
      fps: 59.94,
    });
  });

  it('10-bit record without configOBUs; sequence header without timing info', () => {
    const tag = parseVideoTag(Uint8Array.from([0x90, ...Buffer.from('av01'), 0x81, 0x0d, 0x4c, 0x00]));
    expect(describeVideoConfig(tag.tracks[0])).toEqual({ codec: 'av01', name: 'AV1', profile: 'Main', level: '5.1', tier: 'Main', bitDepth: 10, chroma: '4:2:0' });
    const sh = parseAv1SequenceHeaderFromObus(Uint8Array.from(obu(1, sequenceHeader({ width: 640, height: 360, level: 4 }))));
    expect(sh).toMatchObject({ maxFrameWidth: 640, maxFrameHeight: 360, seqLevelIdx0: 4 });
    expect(sh?.fps).toBeUndefined();
  });

  it('level names and malformed records', () => {
    expect(av1LevelName(0)).toBe('2.0');
    expect(av1LevelName(8)).toBe('4.0');
    expect(av1LevelName(13)).toBe('5.1');
    expect(av1LevelName(31)).toBe('max');
    expect(errCode(() => parseAv1CodecConfigurationRecord(Uint8Array.from([0x01, 0, 0, 0])))).toBe('FLV_INVALID');
    expect(errCode(() => parseAv1CodecConfigurationRecord(Uint8Array.from([0x82, 0, 0, 0])))).toBe('FLV_INVALID');
    expect(errCode(() => parseAv1CodecConfigurationRecord(Uint8Array.from([0x81, 0, 0])))).toBe('FLV_TRUNCATED');
    expect(errCode(() => parseAv1SequenceHeaderFromObus(Uint8Array.from([0x0a, 0x05, 0x00])))).toBe('FLV_TRUNCATED');
    expect(errCode(() => parseAv1SequenceHeaderFromObus(Uint8Array.from([0x8a, 0x00])))).toBe('FLV_INVALID');
    expect(errCode(() => parseAv1SequenceHeaderFromObus(Uint8Array.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])))).toBe('FLV_INVALID');
  });
});

describe('VPCodecConfigurationRecord', () => {
  it('vp09 record, bare and with the vpcC FullBox version/flags', () => {
    const bare = [0x00, 41, (8 << 4) | (1 << 1) | 0, 1, 1, 1, 0x00, 0x00];
    const expected = { codec: 'vp09', name: 'VP9', profile: 'Profile 0', level: '4.1', bitDepth: 8, chroma: '4:2:0' };
    for (const rec of [bare, [1, 0, 0, 0, ...bare]]) {
      const tag = parseVideoTag(Uint8Array.from([0x90, ...Buffer.from('vp09'), ...rec]));
      expect(describeVideoConfig(tag.tracks[0])).toEqual(expected);
    }
    expect(parseVpCodecConfigurationRecord(Uint8Array.from([2, 60, (10 << 4) | (3 << 1) | 1, 9, 16, 9, 0, 2, 0xaa, 0xbb]))).toMatchObject({
      profile: 2,
      level: 60,
      bitDepth: 10,
      chromaSubsampling: 3,
      videoFullRange: true,
      colourPrimaries: 9,
      transferCharacteristics: 16,
      matrixCoefficients: 9,
    });
  });

  it('malformed records', () => {
    expect(errCode(() => parseVpCodecConfigurationRecord(Uint8Array.from([0, 10, 0x00, 1, 1, 1, 0, 0])))).toBe('FLV_INVALID'); // bitDepth 0
    expect(errCode(() => parseVpCodecConfigurationRecord(Uint8Array.from([0, 10, 0x80, 1])))).toBe('FLV_TRUNCATED');
    expect(errCode(() => parseVpCodecConfigurationRecord(Uint8Array.from([0, 10, 0x80, 1, 1, 1, 0, 9, 1])))).toBe('FLV_TRUNCATED');
  });
});
