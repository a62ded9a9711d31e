/**
 * H.265 / HEVC: the HEVCDecoderConfigurationRecord carried by sequence-start packets (E-RTMP 'hvc1'
 * SequenceStart, legacy CodecID 12 sequence header) and the sequence parameter set inside it.
 *
 * HEVCDecoderConfigurationRecord (ISO/IEC 14496-15, 8.3.3.1.2), 23 fixed bytes then the arrays:
 *   configurationVersion UI8 = 1
 *   general_profile_space UB[2] general_tier_flag UB[1] general_profile_idc UB[5]
 *   general_profile_compatibility_flags UI32 | general_constraint_indicator_flags UI48 | general_level_idc UI8
 *   '1111'b min_spatial_segmentation_idc UB[12] | '111111'b parallelismType UB[2]
 *   '111111'b chromaFormat UB[2] | '11111'b bitDepthLumaMinus8 UB[3] | '11111'b bitDepthChromaMinus8 UB[3]
 *   avgFrameRate UI16 | constantFrameRate UB[2] numTemporalLayers UB[3] temporalIdNested UB[1]
 *   lengthSizeMinusOne UB[2] | numOfArrays UI8
 *   per array: array_completeness UB[1] reserved UB[1] NAL_unit_type UB[6] | numNalus UI16
 *              per NAL unit: nalUnitLength UI16, nalUnit
 *
 * seq_parameter_set_rbsp (ITU-T H.265, 7.3.2.2.1) with profile_tier_level (7.3.3), read through the VUI
 * timing information (E.2.1) to get the frame rate; short_term_ref_pic_set (7.3.7) and scaling_list_data
 * (7.3.4) are walked only to keep the bit position. Emulation prevention bytes are removed first (7.4.2).
 */
import { BitReader, ByteReader, removeEmulationPrevention } from './bitreader';
import { FlvError } from './errors';

export const HevcNalUnitType = {
  VPS: 32,
  SPS: 33,
  PPS: 34,
  PREFIX_SEI: 39,
  SUFFIX_SEI: 40,
} as const;

export interface HevcNalArray {
  arrayCompleteness: boolean;
  nalUnitType: number;
  /** Views into the record. */
  nalUnits: Uint8Array[];
}

export interface HevcDecoderConfigurationRecord {
  configurationVersion: number;
  generalProfileSpace: number;
  generalTierFlag: boolean;
  generalProfileIdc: number;
  /** general_profile_compatibility_flag[j] is bit (31 - j). */
  generalProfileCompatibilityFlags: number;
  /** The 48 constraint indicator bits as 6 bytes (a view into the record). */
  generalConstraintIndicatorFlags: Uint8Array;
  generalLevelIdc: number;
  minSpatialSegmentationIdc: number;
  parallelismType: number;
  chromaFormatIdc: number;
  bitDepthLumaMinus8: number;
  bitDepthChromaMinus8: number;
  avgFrameRate: number;
  constantFrameRate: number;
  numTemporalLayers: number;
  temporalIdNested: boolean;
  lengthSizeMinusOne: number;
  arrays: HevcNalArray[];
  /** The NAL units of the VPS / SPS / PPS arrays, in order. */
  vps: Uint8Array[];
  sps: Uint8Array[];
  pps: Uint8Array[];
}

export function parseHevcDecoderConfigurationRecord(buf: Uint8Array): HevcDecoderConfigurationRecord {
  const r = new ByteReader(buf);
  const configurationVersion = r.u8('configurationVersion');
  if (configurationVersion !== 1) {
    throw new FlvError('FLV_INVALID', `HEVCDecoderConfigurationRecord configurationVersion ${configurationVersion}, expected 1`);
  }
  const b1 = r.u8('general_profile_space/tier/profile_idc');
  const generalProfileCompatibilityFlags = r.u32('general_profile_compatibility_flags');
  const generalConstraintIndicatorFlags = r.bytes(6, 'general_constraint_indicator_flags');
  const generalLevelIdc = r.u8('general_level_idc');
  const minSpatialSegmentationIdc = r.u16('min_spatial_segmentation_idc') & 0x0fff;
  const parallelismType = r.u8('parallelismType') & 0x03;
  const chromaFormatIdc = r.u8('chromaFormat') & 0x03;
  const bitDepthLumaMinus8 = r.u8('bitDepthLumaMinus8') & 0x07;
  const bitDepthChromaMinus8 = r.u8('bitDepthChromaMinus8') & 0x07;
  const avgFrameRate = r.u16('avgFrameRate');
  const b21 = r.u8('constantFrameRate/numTemporalLayers/temporalIdNested/lengthSizeMinusOne');
  const numOfArrays = r.u8('numOfArrays');
  const rec: HevcDecoderConfigurationRecord = {
    configurationVersion,
    generalProfileSpace: b1 >> 6,
    generalTierFlag: (b1 & 0x20) !== 0,
    generalProfileIdc: b1 & 0x1f,
    generalProfileCompatibilityFlags,
    generalConstraintIndicatorFlags,
    generalLevelIdc,
    minSpatialSegmentationIdc,
    parallelismType,
    chromaFormatIdc,
    bitDepthLumaMinus8,
    bitDepthChromaMinus8,
    avgFrameRate,
    constantFrameRate: b21 >> 6,
    numTemporalLayers: (b21 >> 3) & 0x07,
    temporalIdNested: (b21 & 0x04) !== 0,
    lengthSizeMinusOne: b21 & 0x03,
    arrays: [],
    vps: [],
    sps: [],
    pps: [],
  };
  for (let i = 0; i < numOfArrays; i++) {
    const a = r.u8('array header');
    const numNalus = r.u16('numNalus');
    const array: HevcNalArray = { arrayCompleteness: (a & 0x80) !== 0, nalUnitType: a & 0x3f, nalUnits: [] };
    for (let j = 0; j < numNalus; j++) array.nalUnits.push(r.bytes(r.u16('nalUnitLength'), 'nalUnit'));
    rec.arrays.push(array);
    if (array.nalUnitType === HevcNalUnitType.VPS) rec.vps.push(...array.nalUnits);
    else if (array.nalUnitType === HevcNalUnitType.SPS) rec.sps.push(...array.nalUnits);
    else if (array.nalUnitType === HevcNalUnitType.PPS) rec.pps.push(...array.nalUnits);
  }
  return rec;
}

export interface H265Sps {
  vpsId: number;
  maxSubLayersMinus1: number;
  temporalIdNesting: boolean;
  generalProfileSpace: number;
  generalTierFlag: boolean;
  generalProfileIdc: number;
  generalProfileCompatibilityFlags: number;
  generalLevelIdc: number;
  spsId: number;
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  /** pic_width_in_luma_samples / pic_height_in_luma_samples. */
  codedWidth: number;
  codedHeight: number;
  /** Conformance window offsets, in chroma sample units as coded. */
  confWin: { left: number; right: number; top: number; bottom: number };
  /** Output size after the conformance window (7.4.3.2.1: SubWidthC / SubHeightC times the offsets). */
  width: number;
  height: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  sar?: { width: number; height: number };
  /** VUI timing, when present: frames last num_units_in_tick / time_scale seconds (E.3.1). */
  timing?: { numUnitsInTick: number; timeScale: number };
  fps?: number;
  profile: string;
  level: string;
  tier: 'Main' | 'High';
}

/** Table E-1 (same as H.264). */
const SAR_TABLE: readonly (readonly [number, number])[] = [
  [0, 0], [1, 1], [12, 11], [10, 11], [16, 11], [40, 33], [24, 11], [20, 11], [32, 11],
  [80, 33], [18, 11], [15, 11], [64, 33], [160, 99], [4, 3], [3, 2], [2, 1],
];

/** Parses an SPS NAL unit (with its two-byte NAL unit header, nal_unit_type 33). */
export function parseH265Sps(nal: Uint8Array): H265Sps {
  if (nal.length < 3) throw new FlvError('FLV_TRUNCATED', `H.265 SPS of ${nal.length} bytes`);
  const nalType = (nal[0] >> 1) & 0x3f;
  if (nalType !== HevcNalUnitType.SPS) throw new FlvError('FLV_INVALID', `NAL unit type ${nalType} is not an SPS (33)`);
  const br = new BitReader(removeEmulationPrevention(nal.subarray(2)), 'H.265 SPS');
  const vpsId = br.u(4);
  const maxSubLayersMinus1 = br.u(3);
  if (maxSubLayersMinus1 > 6) throw new FlvError('FLV_INVALID', `sps_max_sub_layers_minus1 ${maxSubLayersMinus1} > 6`);
  const temporalIdNesting = br.flag();

  // profile_tier_level(1, sps_max_sub_layers_minus1), 7.3.3
  const generalProfileSpace = br.u(2);
  const generalTierFlag = br.flag();
  const generalProfileIdc = br.u(5);
  const generalProfileCompatibilityFlags = br.u(32);
  br.skip(48); // progressive/interlaced/non_packed/frame_only + 43 constraint bits + inbld/reserved bit
  const generalLevelIdc = br.u(8);
  const subProfilePresent: boolean[] = [];
  const subLevelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    subProfilePresent.push(br.flag());
    subLevelPresent.push(br.flag());
  }
  if (maxSubLayersMinus1 > 0) br.skip(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (subProfilePresent[i]) br.skip(88);
    if (subLevelPresent[i]) br.skip(8);
  }

  const spsId = br.ue();
  if (spsId > 15) throw new FlvError('FLV_INVALID', `sps_seq_parameter_set_id ${spsId} > 15`);
  const chromaFormatIdc = br.ue();
  if (chromaFormatIdc > 3) throw new FlvError('FLV_INVALID', `chroma_format_idc ${chromaFormatIdc} > 3`);
  const separateColourPlane = chromaFormatIdc === 3 ? br.flag() : false;
  const codedWidth = br.ue();
  const codedHeight = br.ue();
  const confWin = { left: 0, right: 0, top: 0, bottom: 0 };
  if (br.flag()) {
    confWin.left = br.ue();
    confWin.right = br.ue();
    confWin.top = br.ue();
    confWin.bottom = br.ue();
  }
  // Table 6-1 with ChromaArrayType (0 when separate_colour_plane_flag): 4:2:0 -> 2x2, 4:2:2 -> 2x1, else 1x1.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const width = codedWidth - subWidthC * (confWin.left + confWin.right);
  const height = codedHeight - subHeightC * (confWin.top + confWin.bottom);
  if (width <= 0 || height <= 0) throw new FlvError('FLV_INVALID', `conformance window leaves ${width}x${height}`);
  const bitDepthLuma = br.ue() + 8;
  const bitDepthChroma = br.ue() + 8;
  if (bitDepthLuma > 16 || bitDepthChroma > 16) throw new FlvError('FLV_INVALID', 'bit_depth_*_minus8 > 8');

  const sps: H265Sps = {
    vpsId,
    maxSubLayersMinus1,
    temporalIdNesting,
    generalProfileSpace,
    generalTierFlag,
    generalProfileIdc,
    generalProfileCompatibilityFlags,
    generalLevelIdc,
    spsId,
    chromaFormatIdc,
    separateColourPlane,
    codedWidth,
    codedHeight,
    confWin,
    width,
    height,
    bitDepthLuma,
    bitDepthChroma,
    profile: hevcProfileName(generalProfileIdc, generalProfileCompatibilityFlags),
    level: hevcLevelName(generalLevelIdc),
    tier: generalTierFlag ? 'High' : 'Main',
  };
  try {
    readToVuiTiming(br, sps);
  } catch (err) {
    // The picture size is known by now; an SPS cut short after it only costs the optional VUI fields.
    if (!(err instanceof FlvError && err.code === 'FLV_TRUNCATED')) throw err;
  }
  return sps;
}

/** The rest of seq_parameter_set_rbsp up to vui_parameters()'s timing info. */
function readToVuiTiming(br: BitReader, sps: H265Sps): void {
  const log2MaxPocLsb = br.ue() + 4;
  if (log2MaxPocLsb > 16) throw new FlvError('FLV_INVALID', `log2_max_pic_order_cnt_lsb_minus4 ${log2MaxPocLsb - 4} > 12`);
  const subLayerOrderingInfo = br.flag();
  for (let i = subLayerOrderingInfo ? 0 : sps.maxSubLayersMinus1; i <= sps.maxSubLayersMinus1; i++) {
    br.ue(); // sps_max_dec_pic_buffering_minus1
    br.ue(); // sps_max_num_reorder_pics
    br.ue(); // sps_max_latency_increase_plus1
  }
  br.ue(); // log2_min_luma_coding_block_size_minus3
  br.ue(); // log2_diff_max_min_luma_coding_block_size
  br.ue(); // log2_min_luma_transform_block_size_minus2
  br.ue(); // log2_diff_max_min_luma_transform_block_size
  br.ue(); // max_transform_hierarchy_depth_inter
  br.ue(); // max_transform_hierarchy_depth_intra
  if (br.flag() && br.flag()) skipScalingListData(br); // scaling_list_enabled_flag, sps_scaling_list_data_present_flag
  br.skip(2); // amp_enabled_flag, sample_adaptive_offset_enabled_flag
  if (br.flag()) {
    // pcm_enabled_flag: two u(4) bit depths, two ue sizes, pcm_loop_filter_disabled_flag
    br.skip(8);
    br.ue();
    br.ue();
    br.skip(1);
  }
  const numShortTermRefPicSets = br.ue();
  if (numShortTermRefPicSets > 64) throw new FlvError('FLV_INVALID', `num_short_term_ref_pic_sets ${numShortTermRefPicSets} > 64`);
  const numDeltaPocs: number[] = [];
  for (let i = 0; i < numShortTermRefPicSets; i++) numDeltaPocs.push(skipShortTermRefPicSet(br, i, numDeltaPocs));
  if (br.flag()) {
    // long_term_ref_pics_present_flag
    const n = br.ue();
    if (n > 32) throw new FlvError('FLV_INVALID', `num_long_term_ref_pics_sps ${n} > 32`);
    for (let i = 0; i < n; i++) br.skip(log2MaxPocLsb + 1); // lt_ref_pic_poc_lsb_sps, used_by_curr_pic_lt_sps_flag
  }
  br.skip(2); // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
  if (!br.flag()) return; // vui_parameters_present_flag

  // vui_parameters() (E.2.1)
  if (br.flag()) {
    const idc = br.u(8);
    if (idc === 255) sps.sar = { width: br.u(16), height: br.u(16) };
    else if (idc >= 1 && idc < SAR_TABLE.length) sps.sar = { width: SAR_TABLE[idc][0], height: SAR_TABLE[idc][1] };
  }
  if (br.flag()) br.skip(1); // overscan_info_present_flag, overscan_appropriate_flag
  if (br.flag()) {
    br.skip(4); // video_format, video_full_range_flag
    if (br.flag()) br.skip(24); // colour_description
  }
  if (br.flag()) {
    br.ue();
    br.ue(); // chroma_sample_loc_type_top/bottom_field
  }
  br.skip(3); // neutral_chroma_indication_flag, field_seq_flag, frame_field_info_present_flag
  if (br.flag()) {
    br.ue();
    br.ue();
    br.ue();
    br.ue(); // default display window offsets
  }
  if (br.flag()) {
    const numUnitsInTick = br.u(32);
    const timeScale = br.u(32);
    sps.timing = { numUnitsInTick, timeScale };
    if (numUnitsInTick > 0 && timeScale > 0) sps.fps = timeScale / numUnitsInTick;
  }
}

/** scaling_list_data() (7.3.4). */
function skipScalingListData(br: BitReader): void {
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
      if (!br.flag()) {
        br.ue(); // scaling_list_pred_matrix_id_delta
      } else {
        const coefNum = Math.min(64, 1 << (4 + (sizeId << 1)));
        if (sizeId > 1) br.se(); // scaling_list_dc_coef_minus8
        for (let i = 0; i < coefNum; i++) br.se(); // scaling_list_delta_coef
      }
    }
  }
}

/** st_ref_pic_set(stRpsIdx) (7.3.7) as it appears in the SPS; returns NumDeltaPocs[stRpsIdx]. */
function skipShortTermRefPicSet(br: BitReader, idx: number, numDeltaPocs: readonly number[]): number {
  if (idx !== 0 && br.flag()) {
    // inter_ref_pic_set_prediction_flag; in the SPS delta_idx_minus1 is absent, so RefRpsIdx = idx - 1.
    br.skip(1); // delta_rps_sign
    br.ue(); // abs_delta_rps_minus1
    let count = 0;
    for (let j = 0; j <= numDeltaPocs[idx - 1]; j++) {
      const usedByCurrPic = br.flag();
      const useDelta = usedByCurrPic ? true : br.flag();
      if (useDelta) count++;
    }
    return count;
  }
  const negative = br.ue();
  const positive = br.ue();
  if (negative > 16 || positive > 16) throw new FlvError('FLV_INVALID', 'short-term RPS with more than 16 pictures');
  for (let i = 0; i < negative + positive; i++) {
    br.ue(); // delta_poc_s0/s1_minus1
    br.skip(1); // used_by_curr_pic_s0/s1_flag
  }
  return negative + positive;
}

const HEVC_PROFILE_NAMES: Record<number, string> = {
  1: 'Main',
  2: 'Main 10',
  3: 'Main Still Picture',
  4: 'Range Extensions',
  5: 'High Throughput',
  6: 'Multiview Main',
  7: 'Scalable Main',
  8: '3D Main',
  9: 'Screen Content Coding Extensions',
  10: 'Scalable Range Extensions',
  11: 'High Throughput Screen Content Coding Extensions',
};

/**
 * Profile name from general_profile_idc (Annex A.3); when that is 0, the lowest set
 * general_profile_compatibility_flag[j] names it.
 */
export function hevcProfileName(profileIdc: number, compatibilityFlags = 0): string {
  let idc = profileIdc;
  if (idc === 0) {
    for (let j = 1; j < 32; j++) {
      if ((compatibilityFlags >>> (31 - j)) & 1) {
        idc = j;
        break;
      }
    }
  }
  return HEVC_PROFILE_NAMES[idc] ?? `Profile ${profileIdc}`;
}

/** general_level_idc is 30 times the level: 93 -> '3.1', 120 -> '4', 153 -> '5.1'. */
export function hevcLevelName(levelIdc: number): string {
  return levelIdc % 30 === 0 ? String(levelIdc / 30) : (levelIdc / 30).toFixed(1);
}
