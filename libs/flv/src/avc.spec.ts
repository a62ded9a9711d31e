import {
  avcLevelName,
  avcProfileName,
  encodeAvcDecoderConfigurationRecord,
  parseAvcDecoderConfigurationRecord,
  parseH264Sps,
} from './avc';
import { BitWriter, addEmulationPrevention, removeEmulationPrevention } from './bitreader';
import { describeVideoConfig } from './describe';
import { FlvError } from './errors';
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

// SPS NAL units written by real encoders (x264 unless noted), as found in avcC records of their output.
const SPS_X264_720P_HIGH = hex('67 64 00 1f ac d9 40 50 05 bb 01 10 00 00 03 00 10 00 00 03 03 c0 f1 83 19 60');
/** NVENC 1920x1080: 68 macroblock rows (1088) cropped by frame_crop_bottom_offset 4 (x CropUnitY 2). */
const SPS_NVENC_1080P_HIGH = hex('67 64 00 28 ac d9 40 78 02 27 e5 84 00 00 03 00 04 00 00 03 00 f0 3c 60 c6 58');
const SPS_X264_1080P_HIGH = hex('67 64 00 28 ac d9 40 78 02 27 e5 c0 44 00 00 03 00 04 00 00 03 00 f0 3c 60 c6 58');
const SPS_X264_320X180_BASELINE = hex('67 42 c0 0d d9 01 41 9f 9f 01 10 00 00 03 00 10 00 00 03 03 c0 f1 42 a4 80');
const SPS_X264_640X480_BASELINE = hex('67 42 c0 1e d9 00 a0 3d b0 11 00 00 03 00 01 00 00 03 00 3c 0f 16 2e 48');
const PPS_X264 = hex('68 eb e3 cb 22 c0');

/**
 * A Constrained Baseline 320x240 SPS at level 1.3 with VUI timing for 25 fps, written field by field after
 * H.264 7.3.2.1.1 / E.1.1 (the layout x264 uses for Baseline: poc type 2, 3 reference frames).
 */
function baseline320x240(): Uint8Array {
  const w = new BitWriter();
  w.u(8, 66).u(8, 0xc0).u(8, 13); // profile_idc, constraint_set0/1, level_idc
  w.ue(0); // seq_parameter_set_id
  w.ue(0); // log2_max_frame_num_minus4
  w.ue(2); // pic_order_cnt_type
  w.ue(3); // max_num_ref_frames
  w.u(1, 0); // gaps_in_frame_num_value_allowed_flag
  w.ue(320 / 16 - 1).ue(240 / 16 - 1); // pic_width_in_mbs_minus1, pic_height_in_map_units_minus1
  w.u(1, 1).u(1, 1).u(1, 0); // frame_mbs_only_flag, direct_8x8_inference_flag, frame_cropping_flag
  w.u(1, 1); // vui_parameters_present_flag
  w.u(1, 1).u(8, 1); // aspect_ratio_info_present_flag, aspect_ratio_idc 1 (1:1)
  w.u(1, 0).u(1, 0).u(1, 0); // overscan, video_signal_type, chroma_loc_info
  w.u(1, 1).u(32, 1).u(32, 50).u(1, 1); // timing_info: num_units_in_tick 1, time_scale 50, fixed_frame_rate
  w.u(1, 0).u(1, 0).u(1, 0).u(1, 0); // nal_hrd, vcl_hrd, pic_struct_present, bitstream_restriction
  w.trailingBits();
  return Uint8Array.from([0x67, ...addEmulationPrevention(w.toBytes())]);
}

describe('H.264 SPS (7.3.2.1.1)', () => {
  it('x264 720p High: profile, level, size, VUI frame rate', () => {
    expect(parseH264Sps(SPS_X264_720P_HIGH)).toMatchObject({
      profileIdc: 100,
      profile: 'High',
      levelIdc: 31,
      level: '3.1',
      chromaFormatIdc: 1,
      bitDepthLuma: 8,
      width: 1280,
      height: 720,
      codedWidth: 1280,
      codedHeight: 720,
      sar: { width: 1, height: 1 },
      timing: { numUnitsInTick: 1, timeScale: 60 },
      fps: 30,
    });
  });

  it('1080p: 1920x1088 coded, cropped to 1920x1080', () => {
    for (const sps of [SPS_NVENC_1080P_HIGH, SPS_X264_1080P_HIGH]) {
      expect(parseH264Sps(sps)).toMatchObject({
        profile: 'High',
        level: '4',
        codedWidth: 1920,
        codedHeight: 1088,
        crop: { left: 0, right: 0, top: 0, bottom: 4 },
        width: 1920,
        height: 1080,
        fps: 30,
      });
    }
  });

  it('Baseline: 320x240 (constructed), 320x180 and 640x480 (x264)', () => {
    expect(parseH264Sps(baseline320x240())).toMatchObject({
      profileIdc: 66,
      profile: 'Constrained Baseline',
      level: '1.3',
      width: 320,
      height: 240,
      fps: 25,
      sar: { width: 1, height: 1 },
    });
    expect(parseH264Sps(SPS_X264_320X180_BASELINE)).toMatchObject({
      profile: 'Constrained Baseline',
      level: '1.3',
      codedHeight: 192,
      crop: { bottom: 6 },
      width: 320,
      height: 180,
    });
    expect(parseH264Sps(SPS_X264_640X480_BASELINE)).toMatchObject({ profile: 'Constrained Baseline', level: '3', width: 640, height: 480 });
  });

  it('reads through emulation prevention bytes (the 720p SPS has two)', () => {
    expect(removeEmulationPrevention(SPS_X264_720P_HIGH).length).toBe(SPS_X264_720P_HIGH.length - 2);
    expect(Array.from(removeEmulationPrevention(hex('00 00 03 01 00 00 03 00 00 03')))).toEqual([0, 0, 1, 0, 0, 0, 0]);
    expect(removeEmulationPrevention(PPS_X264)).toBe(PPS_X264); // nothing to remove: no copy
  });

  it('High 4:2:2 10-bit, interlaced, scaling matrices, poc type 1, cropping in field units', () => {
    const w = new BitWriter();
    w.u(8, 122).u(8, 0).u(8, 41);
    w.ue(1); // seq_parameter_set_id
    w.ue(2); // chroma_format_idc 4:2:2
    w.ue(2).ue(2); // bit depths 10
    w.u(1, 0); // qpprime_y_zero_transform_bypass_flag
    w.u(1, 1); // seq_scaling_matrix_present_flag
    for (let i = 0; i < 8; i++) {
      w.u(1, i === 0 || i === 6 ? 1 : 0);
      if (i === 0 || i === 6) {
        // a scaling_list with a few deltas, then delta_scale -8 to end it (nextScale 0)
        w.se(3).se(-2).se(1).se(-10);
      }
    }
    w.ue(4); // log2_max_frame_num_minus4
    w.ue(1); // pic_order_cnt_type 1
    w.u(1, 0).se(-2).se(1).ue(2).se(4).se(-4);
    w.ue(4).u(1, 0); // max_num_ref_frames, gaps
    w.ue(1920 / 16 - 1).ue(1088 / 32 - 1); // width in MBs, height in map units (field pairs)
    w.u(1, 0).u(1, 1); // frame_mbs_only_flag 0 -> mb_adaptive_frame_field_flag
    w.u(1, 1); // direct_8x8_inference_flag
    w.u(1, 1).ue(0).ue(0).ue(0).ue(2); // crop bottom 2; CropUnitY = SubHeightC (1) * 2 (fields) -> 4 lines
    w.u(1, 0); // no VUI
    w.trailingBits();
    const sps = parseH264Sps(Uint8Array.from([0x67, ...addEmulationPrevention(w.toBytes())]));
    expect(sps).toMatchObject({
      profile: 'High 4:2:2',
      level: '4.1',
      seqParameterSetId: 1,
      chromaFormatIdc: 2,
      bitDepthLuma: 10,
      bitDepthChroma: 10,
      frameMbsOnly: false,
      codedWidth: 1920,
      codedHeight: 1088,
      width: 1920,
      height: 1084,
    });
    expect(sps.timing).toBeUndefined();
  });

  it('profile and level names', () => {
    expect(avcProfileName(66, 0)).toBe('Baseline');
    expect(avcProfileName(66, 0x40)).toBe('Constrained Baseline');
    expect(avcProfileName(77, 0)).toBe('Main');
    expect(avcProfileName(88, 0)).toBe('Extended');
    expect(avcProfileName(100, 0)).toBe('High');
    expect(avcProfileName(110, 0)).toBe('High 10');
    expect(avcProfileName(122, 0)).toBe('High 4:2:2');
    expect(avcProfileName(244, 0)).toBe('High 4:4:4 Predictive');
    expect(avcLevelName(31, 0, 100)).toBe('3.1');
    expect(avcLevelName(40, 0, 100)).toBe('4');
    expect(avcLevelName(51, 0, 100)).toBe('5.1');
    expect(avcLevelName(11, 0x10, 66)).toBe('1b');
    expect(avcLevelName(11, 0x10, 100)).toBe('1.1');
    expect(avcLevelName(9, 0, 100)).toBe('1b');
  });

  it('rejects what is not an SPS or is cut short', () => {
    expect(errCode(() => parseH264Sps(PPS_X264))).toBe('FLV_INVALID');
    expect(errCode(() => parseH264Sps(hex('67 64 00')))).toBe('FLV_TRUNCATED');
    expect(errCode(() => parseH264Sps(SPS_X264_720P_HIGH.subarray(0, 8)))).toBe('FLV_TRUNCATED');
    expect(errCode(() => parseH264Sps(hex('67 64 00 1f 00 00 00 00 00 00')))).toBe('FLV_INVALID'); // Exp-Golomb > 32 bits
  });

  it('a VUI cut short keeps the picture size', () => {
    const sps = parseH264Sps(SPS_X264_720P_HIGH.subarray(0, 12));
    expect(sps).toMatchObject({ width: 1280, height: 720 });
    expect(sps.fps).toBeUndefined();
  });
});

describe('AVCDecoderConfigurationRecord (14496-15 5.3.3.1)', () => {
  it('encode -> parse round trip with the High-profile extension', () => {
    const rec = encodeAvcDecoderConfigurationRecord({ sps: [SPS_X264_720P_HIGH], pps: [PPS_X264] });
    expect(Array.from(rec.subarray(0, 8))).toEqual([1, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, SPS_X264_720P_HIGH.length]);
    const parsed = parseAvcDecoderConfigurationRecord(rec);
    expect(parsed).toMatchObject({
      configurationVersion: 1,
      profileIndication: 100,
      profileCompatibility: 0,
      levelIndication: 31,
      lengthSizeMinusOne: 3,
      chromaFormat: 1,
      bitDepthLumaMinus8: 0,
      bitDepthChromaMinus8: 0,
      spsExt: [],
    });
    expect(parsed.sps.map((s) => Array.from(s))).toEqual([Array.from(SPS_X264_720P_HIGH)]);
    expect(parsed.pps.map((s) => Array.from(s))).toEqual([Array.from(PPS_X264)]);
  });

  it('Baseline record: no extension, several SPS / PPS, 2-byte lengths', () => {
    const sps2 = baseline320x240();
    const rec = encodeAvcDecoderConfigurationRecord({ sps: [SPS_X264_640X480_BASELINE, sps2], pps: [PPS_X264, PPS_X264], lengthSizeMinusOne: 1 });
    const parsed = parseAvcDecoderConfigurationRecord(rec);
    expect(parsed.lengthSizeMinusOne).toBe(1);
    expect(parsed.sps).toHaveLength(2);
    expect(parsed.pps).toHaveLength(2);
    expect(parsed.chromaFormat).toBeUndefined();
    expect(rec.length).toBe(7 + 2 * 4 + SPS_X264_640X480_BASELINE.length + sps2.length + 2 * PPS_X264.length);
  });

  it('a High-profile record without the optional extension (what many encoders send)', () => {
    const rec = hex('01 64 00 1f ff e1 00 1a' + Buffer.from(SPS_X264_720P_HIGH).toString('hex') + '01 00 06 68 eb e3 cb 22 c0');
    const parsed = parseAvcDecoderConfigurationRecord(rec);
    expect(parsed.sps).toHaveLength(1);
    expect(parsed.chromaFormat).toBeUndefined();
  });

  it('malformed records', () => {
    const good = encodeAvcDecoderConfigurationRecord({ sps: [SPS_X264_720P_HIGH], pps: [PPS_X264] });
    expect(errCode(() => parseAvcDecoderConfigurationRecord(Uint8Array.from([0, ...good.subarray(1)])))).toBe('FLV_INVALID');
    for (const cut of [1, 4, 5, 6, 7, 20, 8 + SPS_X264_720P_HIGH.length, good.length - 6]) {
      expect(errCode(() => parseAvcDecoderConfigurationRecord(good.subarray(0, cut)))).toBe('FLV_TRUNCATED');
    }
    expect(errCode(() => encodeAvcDecoderConfigurationRecord({ sps: [], pps: [] }))).toBe('FLV_INVALID');
    expect(errCode(() => encodeAvcDecoderConfigurationRecord({ sps: [SPS_X264_720P_HIGH], pps: [], lengthSizeMinusOne: 2 }))).toBe('FLV_INVALID');
  });

  it('describeVideoConfig on a legacy AVC sequence header', () => {
    const body = Uint8Array.from([0x17, 0, 0, 0, 0, ...encodeAvcDecoderConfigurationRecord({ sps: [SPS_NVENC_1080P_HIGH], pps: [PPS_X264] })]);
    expect(describeVideoConfig(parseVideoTag(body).tracks[0])).toEqual({
      codec: 'avc1',
      name: 'H.264',
      profile: 'High',
      level: '4',
      width: 1920,
      height: 1080,
      fps: 30,
      bitDepth: 8,
      chroma: '4:2:0',
    });
    expect(describeVideoConfig(parseVideoTag(hex('27 01 00 00 00 00 00 00 01 41')).tracks[0])).toBeUndefined();
    expect(describeVideoConfig(parseVideoTag(hex('17 00 00 00 00 01 64')).tracks[0])).toEqual({ codec: 'avc1', name: 'H.264' });
  });
});
