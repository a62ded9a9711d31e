/**
 * H.264 / AVC: the AVCDecoderConfigurationRecord carried by sequence-start packets (legacy AVC sequence header,
 * E-RTMP 'avc1' SequenceStart) and the sequence parameter set inside it.
 *
 * AVCDecoderConfigurationRecord (ISO/IEC 14496-15, 5.3.3.1.2):
 *   configurationVersion UI8 = 1 | AVCProfileIndication UI8 | profile_compatibility UI8 | AVCLevelIndication UI8
 *   reserved '111111'b + lengthSizeMinusOne UB[2]
 *   reserved '111'b + numOfSequenceParameterSets UB[5], then { sequenceParameterSetLength UI16, NAL unit }
 *   numOfPictureParameterSets UI8, then { pictureParameterSetLength UI16, NAL unit }
 *   if (AVCProfileIndication is 100, 110, 122 or 144):   // often omitted by encoders, so optional here
 *     reserved '111111'b + chroma_format UB[2] | reserved '11111'b + bit_depth_luma_minus8 UB[3]
 *     reserved '11111'b + bit_depth_chroma_minus8 UB[3] | numOfSequenceParameterSetExt UI8, then { UI16, NAL }
 *
 * seq_parameter_set_data (ITU-T H.264, 7.3.2.1.1) is read up to the VUI timing information (E.1.1); the RBSP is
 * taken from the NAL unit with emulation_prevention_three_byte removed first (7.4.1).
 */
import { BitReader, ByteReader, removeEmulationPrevention } from './bitreader';
import { FlvError } from './errors';

export interface AvcDecoderConfigurationRecord {
  configurationVersion: number;
  profileIndication: number;
  profileCompatibility: number;
  levelIndication: number;
  /** NAL unit length prefix size minus one (3 -> 4-byte lengths). */
  lengthSizeMinusOne: number;
  /** SPS NAL units, each a view into the record. */
  sps: Uint8Array[];
  pps: Uint8Array[];
  /** The High-profile extension, when present. */
  chromaFormat?: number;
  bitDepthLumaMinus8?: number;
  bitDepthChromaMinus8?: number;
  spsExt?: Uint8Array[];
}

const HIGH_PROFILES_WITH_EXTENSION = new Set([100, 110, 122, 144]);

export function parseAvcDecoderConfigurationRecord(buf: Uint8Array): AvcDecoderConfigurationRecord {
  const r = new ByteReader(buf);
  const configurationVersion = r.u8('configurationVersion');
  if (configurationVersion !== 1) {
    throw new FlvError('FLV_INVALID', `AVCDecoderConfigurationRecord configurationVersion ${configurationVersion}, expected 1`);
  }
  const profileIndication = r.u8('AVCProfileIndication');
  const profileCompatibility = r.u8('profile_compatibility');
  const levelIndication = r.u8('AVCLevelIndication');
  const lengthSizeMinusOne = r.u8('lengthSizeMinusOne') & 0x03;
  const numSps = r.u8('numOfSequenceParameterSets') & 0x1f;
  const sps: Uint8Array[] = [];
  for (let i = 0; i < numSps; i++) sps.push(r.bytes(r.u16('sequenceParameterSetLength'), 'sequenceParameterSetNALUnit'));
  const numPps = r.u8('numOfPictureParameterSets');
  const pps: Uint8Array[] = [];
  for (let i = 0; i < numPps; i++) pps.push(r.bytes(r.u16('pictureParameterSetLength'), 'pictureParameterSetNALUnit'));
  const rec: AvcDecoderConfigurationRecord = {
    configurationVersion,
    profileIndication,
    profileCompatibility,
    levelIndication,
    lengthSizeMinusOne,
    sps,
    pps,
  };
  if (HIGH_PROFILES_WITH_EXTENSION.has(profileIndication) && r.remaining >= 4) {
    rec.chromaFormat = r.u8('chroma_format') & 0x03;
    rec.bitDepthLumaMinus8 = r.u8('bit_depth_luma_minus8') & 0x07;
    rec.bitDepthChromaMinus8 = r.u8('bit_depth_chroma_minus8') & 0x07;
    const numExt = r.u8('numOfSequenceParameterSetExt');
    rec.spsExt = [];
    for (let i = 0; i < numExt; i++) rec.spsExt.push(r.bytes(r.u16('sequenceParameterSetExtLength'), 'sequenceParameterSetExtNALUnit'));
  }
  return rec;
}

export interface AvcRecordInput {
  sps: Uint8Array[];
  pps: Uint8Array[];
  /** Default 3 (4-byte NAL unit lengths, what FLV/RTMP encoders use). */
  lengthSizeMinusOne?: number;
  spsExt?: Uint8Array[];
}

/**
 * Builds an AVCDecoderConfigurationRecord. Profile, compatibility and level are copied from the first SPS
 * (bytes 1..3 of the NAL unit); for profiles 100/110/122/144 the extension is written from that SPS's
 * chroma_format_idc and bit depths.
 */
export function encodeAvcDecoderConfigurationRecord(input: AvcRecordInput): Buffer {
  const { sps, pps } = input;
  const lengthSizeMinusOne = input.lengthSizeMinusOne ?? 3;
  if (sps.length === 0 || sps.length > 31) throw new FlvError('FLV_INVALID', `${sps.length} SPS; 1..31 fit the record`);
  if (pps.length > 255) throw new FlvError('FLV_INVALID', `${pps.length} PPS; at most 255 fit the record`);
  if (!Number.isInteger(lengthSizeMinusOne) || lengthSizeMinusOne < 0 || lengthSizeMinusOne > 3 || lengthSizeMinusOne === 2) {
    throw new FlvError('FLV_INVALID', `lengthSizeMinusOne ${lengthSizeMinusOne}; 0, 1 or 3 allowed`);
  }
  const first = sps[0];
  if (first.length < 4) throw new FlvError('FLV_TRUNCATED', 'SPS shorter than its NAL header and profile/level bytes');
  const ext = input.spsExt ?? [];
  const withExtension = HIGH_PROFILES_WITH_EXTENSION.has(first[1]);
  const all = [...sps, ...pps, ...(withExtension ? ext : [])];
  for (const nal of all) {
    if (nal.length > 0xffff) throw new FlvError('FLV_INVALID', `parameter set of ${nal.length} bytes does not fit UI16`);
  }
  const size = 7 + all.reduce((n, nal) => n + 2 + nal.length, 0) + (withExtension ? 4 : 0);
  const out = Buffer.alloc(size);
  let p = 0;
  out[p++] = 1;
  out[p++] = first[1];
  out[p++] = first[2];
  out[p++] = first[3];
  out[p++] = 0xfc | lengthSizeMinusOne;
  out[p++] = 0xe0 | sps.length;
  const put = (nal: Uint8Array): void => {
    out.writeUInt16BE(nal.length, p);
    out.set(nal, p + 2);
    p += 2 + nal.length;
  };
  sps.forEach(put);
  out[p++] = pps.length;
  pps.forEach(put);
  if (withExtension) {
    const info = parseH264Sps(first);
    out[p++] = 0xfc | info.chromaFormatIdc;
    out[p++] = 0xf8 | (info.bitDepthLuma - 8);
    out[p++] = 0xf8 | (info.bitDepthChroma - 8);
    if (ext.length > 255) throw new FlvError('FLV_INVALID', `${ext.length} SPS extensions; at most 255 fit the record`);
    out[p++] = ext.length;
    ext.forEach(put);
  }
  return out;
}

export interface H264Sps {
  profileIdc: number;
  /** The constraint_set0..5 flags and reserved_zero_2bits, as the byte after profile_idc. */
  constraintFlags: number;
  levelIdc: number;
  seqParameterSetId: number;
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  bitDepthLuma: number;
  bitDepthChroma: number;
  frameMbsOnly: boolean;
  /** Decoded size before cropping: PicWidthInMbs * 16 and FrameHeightInMbs * 16. */
  codedWidth: number;
  codedHeight: number;
  /** Output size after frame cropping (7.4.2.1.1, CropUnitX / CropUnitY). */
  width: number;
  height: number;
  crop: { left: number; right: number; top: number; bottom: number };
  /** Sample aspect ratio from the VUI, when signalled. */
  sar?: { width: number; height: number };
  /** VUI timing_info, when present. */
  timing?: { numUnitsInTick: number; timeScale: number; fixedFrameRate: boolean };
  /** time_scale / (2 * num_units_in_tick) (E.2.1, frames for progressive content), when timing_info is present. */
  fps?: number;
  profile: string;
  level: string;
}

/** profile_idc values whose SPS carries chroma_format_idc, bit depths and scaling matrices (7.3.2.1.1). */
const PROFILES_WITH_CHROMA_INFO = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Table E-1, aspect_ratio_idc 1..16. */
const SAR_TABLE: readonly (readonly [number, number])[] = [
  [0, 0], [1, 1], [12, 11], [10, 11], [16, 11], [40, 33], [24, 11], [20, 11], [32, 11],
  [80, 33], [18, 11], [15, 11], [64, 33], [160, 99], [4, 3], [3, 2], [2, 1],
];

const EXTENDED_SAR = 255;

function skipScalingList(br: BitReader, size: number): void {
  // scaling_list() (7.3.2.1.1.1): only the delta_scale reads matter for the bit position.
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      const delta = br.se();
      if (delta < -128 || delta > 127) throw new FlvError('FLV_INVALID', `delta_scale ${delta} out of range`);
      next = (last + delta + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

/** Parses an SPS NAL unit (with its one-byte NAL header, nal_unit_type 7). */
export function parseH264Sps(nal: Uint8Array): H264Sps {
  if (nal.length < 4) throw new FlvError('FLV_TRUNCATED', `H.264 SPS of ${nal.length} bytes`);
  const nalType = nal[0] & 0x1f;
  if (nalType !== 7) throw new FlvError('FLV_INVALID', `NAL unit type ${nalType} is not an SPS (7)`);
  const br = new BitReader(removeEmulationPrevention(nal.subarray(1)), 'H.264 SPS');
  const profileIdc = br.u(8);
  const constraintFlags = br.u(8);
  const levelIdc = br.u(8);
  const seqParameterSetId = br.ue();
  if (seqParameterSetId > 31) throw new FlvError('FLV_INVALID', `seq_parameter_set_id ${seqParameterSetId} > 31`);
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (PROFILES_WITH_CHROMA_INFO.has(profileIdc)) {
    chromaFormatIdc = br.ue();
    if (chromaFormatIdc > 3) throw new FlvError('FLV_INVALID', `chroma_format_idc ${chromaFormatIdc} > 3`);
    if (chromaFormatIdc === 3) separateColourPlane = br.flag();
    bitDepthLuma = br.ue() + 8;
    bitDepthChroma = br.ue() + 8;
    if (bitDepthLuma > 14 || bitDepthChroma > 14) throw new FlvError('FLV_INVALID', 'bit_depth_*_minus8 > 6');
    br.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (br.flag()) {
      // seq_scaling_matrix_present_flag
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) {
        if (br.flag()) skipScalingList(br, i < 6 ? 16 : 64);
      }
    }
  }
  const log2MaxFrameNumMinus4 = br.ue();
  if (log2MaxFrameNumMinus4 > 12) throw new FlvError('FLV_INVALID', `log2_max_frame_num_minus4 ${log2MaxFrameNumMinus4} > 12`);
  const picOrderCntType = br.ue();
  if (picOrderCntType === 0) {
    br.ue(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (picOrderCntType === 1) {
    br.skip(1); // delta_pic_order_always_zero_flag
    br.se(); // offset_for_non_ref_pic
    br.se(); // offset_for_top_to_bottom_field
    const cycle = br.ue();
    if (cycle > 255) throw new FlvError('FLV_INVALID', `num_ref_frames_in_pic_order_cnt_cycle ${cycle} > 255`);
    for (let i = 0; i < cycle; i++) br.se();
  } else if (picOrderCntType !== 2) {
    throw new FlvError('FLV_INVALID', `pic_order_cnt_type ${picOrderCntType} > 2`);
  }
  br.ue(); // max_num_ref_frames
  br.skip(1); // gaps_in_frame_num_value_allowed_flag
  const picWidthInMbs = br.ue() + 1;
  const picHeightInMapUnits = br.ue() + 1;
  const frameMbsOnly = br.flag();
  if (!frameMbsOnly) br.skip(1); // mb_adaptive_frame_field_flag
  br.skip(1); // direct_8x8_inference_flag
  const crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (br.flag()) {
    crop.left = br.ue();
    crop.right = br.ue();
    crop.top = br.ue();
    crop.bottom = br.ue();
  }
  const codedWidth = picWidthInMbs * 16;
  const codedHeight = (frameMbsOnly ? 1 : 2) * picHeightInMapUnits * 16;
  // 7.4.2.1.1: ChromaArrayType 0 -> CropUnitX = 1, CropUnitY = 2 - frame_mbs_only_flag; otherwise
  // CropUnitX = SubWidthC, CropUnitY = SubHeightC * (2 - frame_mbs_only_flag) (Table 6-1).
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
  const width = codedWidth - cropUnitX * (crop.left + crop.right);
  const height = codedHeight - cropUnitY * (crop.top + crop.bottom);
  if (width <= 0 || height <= 0) throw new FlvError('FLV_INVALID', `frame cropping leaves ${width}x${height}`);

  const sps: H264Sps = {
    profileIdc,
    constraintFlags,
    levelIdc,
    seqParameterSetId,
    chromaFormatIdc,
    separateColourPlane,
    bitDepthLuma,
    bitDepthChroma,
    frameMbsOnly,
    codedWidth,
    codedHeight,
    width,
    height,
    crop,
    profile: avcProfileName(profileIdc, constraintFlags),
    level: avcLevelName(levelIdc, constraintFlags, profileIdc),
  };

  if (br.bitsLeft > 0 && br.flag()) {
    try {
      readVui(br, sps);
    } catch (err) {
      // The picture size is known by now; a VUI cut short only costs the optional fields.
      if (!(err instanceof FlvError && err.code === 'FLV_TRUNCATED')) throw err;
    }
  }
  return sps;
}

/** vui_parameters() (E.1.1), up to timing_info. */
function readVui(br: BitReader, sps: H264Sps): void {
  if (br.flag()) {
    const idc = br.u(8);
    if (idc === EXTENDED_SAR) sps.sar = { width: br.u(16), height: br.u(16) };
    else if (idc >= 1 && idc < SAR_TABLE.length) sps.sar = { width: SAR_TABLE[idc][0], height: SAR_TABLE[idc][1] };
  }
  if (br.flag()) br.skip(1); // overscan_info_present_flag, overscan_appropriate_flag
  if (br.flag()) {
    // video_signal_type_present_flag: video_format u(3), video_full_range_flag u(1)
    br.skip(4);
    if (br.flag()) br.skip(24); // colour_primaries, transfer_characteristics, matrix_coefficients
  }
  if (br.flag()) {
    br.ue(); // chroma_sample_loc_type_top_field
    br.ue(); // chroma_sample_loc_type_bottom_field
  }
  if (br.flag()) {
    const numUnitsInTick = br.u(32);
    const timeScale = br.u(32);
    const fixedFrameRate = br.flag();
    sps.timing = { numUnitsInTick, timeScale, fixedFrameRate };
    if (numUnitsInTick > 0 && timeScale > 0) sps.fps = timeScale / (2 * numUnitsInTick);
  }
}

const CONSTRAINT_SET1 = 0x40;
const CONSTRAINT_SET3 = 0x10;
const CONSTRAINT_SET4 = 0x08;
const CONSTRAINT_SET5 = 0x04;

/** Profile name from profile_idc and the constraint_set flags (H.264 Annex A.2). */
export function avcProfileName(profileIdc: number, constraintFlags: number): string {
  const set1 = (constraintFlags & CONSTRAINT_SET1) !== 0;
  const set3 = (constraintFlags & CONSTRAINT_SET3) !== 0;
  switch (profileIdc) {
    case 66:
      return set1 ? 'Constrained Baseline' : 'Baseline';
    case 77:
      return 'Main';
    case 88:
      return 'Extended';
    case 100:
      if ((constraintFlags & (CONSTRAINT_SET4 | CONSTRAINT_SET5)) === (CONSTRAINT_SET4 | CONSTRAINT_SET5)) return 'Constrained High';
      if (constraintFlags & CONSTRAINT_SET4) return 'Progressive High';
      return 'High';
    case 110:
      return set3 ? 'High 10 Intra' : 'High 10';
    case 122:
      return set3 ? 'High 4:2:2 Intra' : 'High 4:2:2';
    case 244:
      return set3 ? 'High 4:4:4 Intra' : 'High 4:4:4 Predictive';
    case 44:
      return 'CAVLC 4:4:4 Intra';
    case 83:
      return 'Scalable Baseline';
    case 86:
      return 'Scalable High';
    case 118:
      return 'Multiview High';
    case 128:
      return 'Stereo High';
    default:
      return `Profile ${profileIdc}`;
  }
}

/** Level name from level_idc: 31 -> '3.1', 40 -> '4'; level 1b is 9, or 11 with constraint_set3 (A.3.1, A.3.2). */
export function avcLevelName(levelIdc: number, constraintFlags: number, profileIdc: number): string {
  if (levelIdc === 9) return '1b';
  if (levelIdc === 11 && (constraintFlags & CONSTRAINT_SET3) !== 0 && (profileIdc === 66 || profileIdc === 77 || profileIdc === 88)) {
    return '1b';
  }
  return levelIdc % 10 === 0 ? String(levelIdc / 10) : (levelIdc / 10).toFixed(1);
}
