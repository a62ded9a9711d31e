import { BitWriter, addEmulationPrevention } from './bitreader';
import { describeVideoConfig } from './describe';
import { FlvError } from './errors';
import { hevcLevelName, hevcProfileName, parseH265Sps, parseHevcDecoderConfigurationRecord } from './hevc';
import { parseVideoTag } from './video';

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

// Parameter sets of an x265 1280x720 Main stream (`ffmpeg -c:v libx265 -s 1280x720`), NAL units as stored in hvcC.
const X265_VPS = hex('40 01 0c 01 ff ff 01 60 00 00 03 00 90 00 00 03 00 00 03 00 5d 95 98 09');
const X265_SPS = hex(
  '42 01 01 01 60 00 00 03 00 90 00 00 03 00 00 03 00 5d a0 02 80 80 2d 16 59 59 a4 93 2b c0 5a 70 80 00 01 f4 80 00 3a 98 04',
);
const X265_PPS = hex('44 01 c1 72 b4 62 40');

function u16(n: number): number[] {
  return [n >> 8, n & 0xff];
}

/** HEVCDecoderConfigurationRecord laid out per 14496-15 8.3.3.1.2 (what x265/FFmpeg write into hvcC). */
function hvcc(opts: { profileByte: number; compat: number[]; constraint: number[]; level: number; chroma: number; depthMinus8: number; vps: Uint8Array; sps: Uint8Array; pps: Uint8Array }): Uint8Array {
  const arrays = [
    [0xa0, opts.vps],
    [0xa1, opts.sps],
    [0xa2, opts.pps],
  ] as const;
  return Uint8Array.from([
    0x01,
    opts.profileByte,
    ...opts.compat,
    ...opts.constraint,
    opts.level,
    0xf0, 0x00, // reserved + min_spatial_segmentation_idc 0
    0xfc, // reserved + parallelismType 0
    0xfc | opts.chroma,
    0xf8 | opts.depthMinus8,
    0xf8 | opts.depthMinus8,
    0x00, 0x00, // avgFrameRate
    0x0f, // constantFrameRate 0, numTemporalLayers 1, temporalIdNested 1, lengthSizeMinusOne 3
    arrays.length,
    ...arrays.flatMap(([type, nal]) => [type, ...u16(1), ...u16(nal.length), ...nal]),
  ]);
}

const X265_HVCC = hvcc({
  profileByte: 0x01,
  compat: [0x60, 0, 0, 0],
  constraint: [0x90, 0, 0, 0, 0, 0],
  level: 93,
  chroma: 1,
  depthMinus8: 0,
  vps: X265_VPS,
  sps: X265_SPS,
  pps: X265_PPS,
});

/**
 * An SPS written field by field after H.265 7.3.2.2.1: Main 10, High tier, level 5.1, three sub-layers with
 * sub-layer profile/level info, 1920x1088 with a conformance window of 4 (x SubHeightC 2 = 8 lines), scaling
 * lists, PCM, three short-term RPS (two predicted), long-term refs, and a VUI with 60000/1001 timing.
 */
function constructedSps(): Uint8Array {
  const w = new BitWriter();
  w.u(4, 0).u(3, 2).u(1, 1); // vps id, sps_max_sub_layers_minus1 2, temporal_id_nesting
  // profile_tier_level(1, 2)
  w.u(2, 0).u(1, 1).u(5, 2).u(32, 0x20000000); // space, tier High, Main 10, compatible with Main 10
  w.u(4, 0b1001).u(32, 0).u(12, 0); // progressive, frame_only, 43 + 1 zero bits
  w.u(8, 153); // general_level_idc 5.1
  w.u(1, 1).u(1, 1).u(1, 0).u(1, 1); // sub-layer 0: profile + level; sub-layer 1: level
  w.u(12, 0); // reserved_zero_2bits for i = 2..7
  w.u(32, 0).u(32, 0).u(24, 0); // sub_layer 0 profile (88 bits)
  w.u(8, 120).u(8, 123); // sub_layer 0 level, sub_layer 1 level
  w.ue(0).ue(1); // sps id, chroma_format_idc 4:2:0
  w.ue(1920).ue(1088);
  w.u(1, 1).ue(0).ue(0).ue(0).ue(4); // conformance window, bottom 4
  w.ue(2).ue(2); // bit depths 10
  w.ue(4); // log2_max_pic_order_cnt_lsb_minus4 -> 8 bits
  w.u(1, 1);
  for (let i = 0; i < 3; i++) w.ue(4).ue(2).ue(0);
  w.ue(0).ue(3).ue(0).ue(3).ue(1).ue(1);
  w.u(1, 1).u(1, 1); // scaling_list_enabled_flag, sps_scaling_list_data_present_flag
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
      if (matrixId === 0 && sizeId > 0) {
        w.u(1, 1); // scaling_list_pred_mode_flag: explicit coefficients
        if (sizeId > 1) w.se(8); // scaling_list_dc_coef_minus8
        const n = Math.min(64, 1 << (4 + (sizeId << 1)));
        for (let i = 0; i < n; i++) w.se(i % 3 === 0 ? 1 : -1);
      } else {
        w.u(1, 0).ue(0); // predicted from the default / previous matrix
      }
    }
  }
  w.u(1, 1).u(1, 1); // amp, sao
  w.u(1, 1).u(4, 7).u(4, 7).ue(0).ue(2).u(1, 1); // pcm
  w.ue(3); // num_short_term_ref_pic_sets
  w.ue(2).ue(1).ue(0).u(1, 1).ue(1).u(1, 1).ue(0).u(1, 0); // RPS 0: 2 negative, 1 positive
  w.u(1, 1).u(1, 0).ue(0); // RPS 1: predicted from RPS 0
  w.u(1, 1).u(1, 0).u(1, 1).u(1, 0).u(1, 0).u(1, 1); //   j = 0..3: used; unused+delta; unused+no delta; used -> 3 entries
  w.u(1, 1).u(1, 1).ue(1); // RPS 2: predicted from RPS 1
  w.u(1, 0).u(1, 0).u(1, 0).u(1, 0).u(1, 1).u(1, 0).u(1, 1); //   j = 0..3 -> 2 entries
  w.u(1, 1).ue(2).u(8, 17).u(1, 1).u(8, 200).u(1, 0); // long-term refs: 2 of lsb (8 bits) + flag
  w.u(1, 1).u(1, 1); // temporal mvp, strong intra smoothing
  w.u(1, 1); // vui_parameters_present_flag
  w.u(1, 1).u(8, 255).u(16, 4).u(16, 3); // EXTENDED_SAR 4:3
  w.u(1, 0); // overscan
  w.u(1, 1).u(3, 5).u(1, 0).u(1, 1).u(8, 9).u(8, 16).u(8, 9); // video signal type + BT.2020 PQ
  w.u(1, 1).ue(0).ue(0); // chroma loc
  w.u(1, 0).u(1, 0).u(1, 0); // neutral_chroma, field_seq, frame_field_info
  w.u(1, 1).ue(0).ue(0).ue(0).ue(0); // default display window
  w.u(1, 1).u(32, 1001).u(32, 60000); // vui_timing_info
  w.u(1, 0).u(1, 0); // vui_poc_proportional_to_timing_flag, vui_hrd_parameters_present_flag
  w.u(1, 0); // bitstream_restriction_flag
  w.u(1, 0); // sps_extension_present_flag
  w.trailingBits();
  return Uint8Array.from([0x42, 0x01, ...addEmulationPrevention(w.toBytes())]);
}

describe('HEVCDecoderConfigurationRecord (14496-15 8.3.3.1.2)', () => {
  it('x265 1280x720 Main record', () => {
    const rec = parseHevcDecoderConfigurationRecord(X265_HVCC);
    expect(rec).toMatchObject({
      configurationVersion: 1,
      generalProfileSpace: 0,
      generalTierFlag: false,
      generalProfileIdc: 1,
      generalProfileCompatibilityFlags: 0x60000000,
      generalLevelIdc: 93,
      chromaFormatIdc: 1,
      bitDepthLumaMinus8: 0,
      bitDepthChromaMinus8: 0,
      numTemporalLayers: 1,
      temporalIdNested: true,
      lengthSizeMinusOne: 3,
    });
    expect(Array.from(rec.generalConstraintIndicatorFlags)).toEqual([0x90, 0, 0, 0, 0, 0]);
    expect(rec.arrays.map((a) => [a.arrayCompleteness, a.nalUnitType, a.nalUnits.length])).toEqual([
      [true, 32, 1],
      [true, 33, 1],
      [true, 34, 1],
    ]);
    expect(Array.from(rec.sps[0])).toEqual(Array.from(X265_SPS));
    expect(rec.vps).toHaveLength(1);
    expect(rec.pps).toHaveLength(1);
  });

  it('x265 SPS: 1280x720 Main 3.1, VUI timing', () => {
    expect(parseH265Sps(X265_SPS)).toMatchObject({
      generalProfileIdc: 1,
      profile: 'Main',
      level: '3.1',
      tier: 'Main',
      chromaFormatIdc: 1,
      codedWidth: 1280,
      codedHeight: 720,
      width: 1280,
      height: 720,
      bitDepthLuma: 8,
      sar: { width: 1, height: 1 },
      timing: { numUnitsInTick: 1001, timeScale: 30000 },
    });
  });

  it('constructed SPS: sub-layers, conformance window, scaling lists, predicted RPS, VUI', () => {
    const sps = parseH265Sps(constructedSps());
    expect(sps).toMatchObject({
      maxSubLayersMinus1: 2,
      profile: 'Main 10',
      tier: 'High',
      level: '5.1',
      codedWidth: 1920,
      codedHeight: 1088,
      confWin: { left: 0, right: 0, top: 0, bottom: 4 },
      width: 1920,
      height: 1080,
      bitDepthLuma: 10,
      bitDepthChroma: 10,
      sar: { width: 4, height: 3 },
      timing: { numUnitsInTick: 1001, timeScale: 60000 },
    });
    expect(sps.fps).toBeCloseTo(59.94, 2);
  });

  it('describeVideoConfig: E-RTMP hvc1 and legacy CodecID 12 sequence starts', () => {
    const expected = { codec: 'hvc1', name: 'HEVC', profile: 'Main', level: '3.1', tier: 'Main', width: 1280, height: 720, fps: 29.97, bitDepth: 8, chroma: '4:2:0' };
    const enhanced = Uint8Array.from([0x90, ...Buffer.from('hvc1'), ...X265_HVCC]);
    expect(describeVideoConfig(parseVideoTag(enhanced).tracks[0])).toEqual(expected);
    const legacy = Uint8Array.from([0x1c, 0, 0, 0, 0, ...X265_HVCC]);
    expect(describeVideoConfig(parseVideoTag(legacy).tracks[0])).toEqual(expected);

    const main10 = hvcc({
      profileByte: 0x22,
      compat: [0x20, 0, 0, 0],
      constraint: [0x90, 0, 0, 0, 0, 0],
      level: 153,
      chroma: 1,
      depthMinus8: 2,
      vps: X265_VPS,
      sps: constructedSps(),
      pps: X265_PPS,
    });
    expect(describeVideoConfig(parseVideoTag(Uint8Array.from([0x90, ...Buffer.from('hvc1'), ...main10])).tracks[0])).toEqual({
      codec: 'hvc1',
      name: 'HEVC',
      profile: 'Main 10',
      level: '5.1',
      tier: 'High',
      width: 1920,
      height: 1080,
      fps: 59.94,
      bitDepth: 10,
      chroma: '4:2:0',
    });
  });

  it('profile and level names', () => {
    expect(hevcProfileName(1)).toBe('Main');
    expect(hevcProfileName(2)).toBe('Main 10');
    expect(hevcProfileName(3)).toBe('Main Still Picture');
    expect(hevcProfileName(4)).toBe('Range Extensions');
    expect(hevcProfileName(0, 0x20000000)).toBe('Main 10');
    expect(hevcLevelName(93)).toBe('3.1');
    expect(hevcLevelName(120)).toBe('4');
    expect(hevcLevelName(153)).toBe('5.1');
    expect(hevcLevelName(186)).toBe('6.2');
  });

  it('malformed input', () => {
    expect(errCode(() => parseHevcDecoderConfigurationRecord(Uint8Array.from([0, ...X265_HVCC.subarray(1)])))).toBe('FLV_INVALID');
    for (const cut of [0, 1, 5, 12, 22, 23, 25, 27, 40, X265_HVCC.length - 1]) {
      expect(errCode(() => parseHevcDecoderConfigurationRecord(X265_HVCC.subarray(0, cut)))).toBe('FLV_TRUNCATED');
    }
    expect(errCode(() => parseH265Sps(X265_VPS))).toBe('FLV_INVALID');
    expect(errCode(() => parseH265Sps(X265_SPS.subarray(0, 20)))).toBe('FLV_TRUNCATED');
    // Cut after the picture size: the size stands, the VUI fields are dropped.
    const partial = parseH265Sps(X265_SPS.subarray(0, 28));
    expect(partial).toMatchObject({ width: 1280, height: 720 });
    expect(partial.fps).toBeUndefined();
  });
});
