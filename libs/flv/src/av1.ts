/**
 * AV1: the AV1CodecConfigurationRecord carried by E-RTMP 'av01' SequenceStart packets, and the sequence header
 * OBU among its configOBUs.
 *
 * AV1CodecConfigurationRecord (AV1 Codec ISO Media File Format Binding, 2.3.3):
 *   marker UB[1] = 1 | version UB[7] = 1
 *   seq_profile UB[3] | seq_level_idx_0 UB[5]
 *   seq_tier_0 UB[1] | high_bitdepth UB[1] | twelve_bit UB[1] | monochrome UB[1]
 *   chroma_subsampling_x UB[1] | chroma_subsampling_y UB[1] | chroma_sample_position UB[2]
 *   reserved UB[3] | initial_presentation_delay_present UB[1] | initial_presentation_delay_minus_one UB[4]
 *   configOBUs (the rest; a sequence header OBU when present)
 *
 * OBU header (AV1 spec 5.3.2): obu_forbidden_bit f(1) obu_type f(4) obu_extension_flag f(1)
 * obu_has_size_field f(1) obu_reserved_1bit f(1) [extension byte] [obu_size leb128].
 * sequence_header_obu (5.5.1) is read up to max_frame_height_minus_1, with timing_info (5.5.3) kept for the
 * frame rate.
 */
import { BitReader, ByteReader, readLeb128 } from './bitreader';
import { FlvError } from './errors';

export interface Av1CodecConfigurationRecord {
  version: number;
  seqProfile: number;
  seqLevelIdx0: number;
  seqTier0: number;
  highBitdepth: boolean;
  twelveBit: boolean;
  monochrome: boolean;
  chromaSubsamplingX: boolean;
  chromaSubsamplingY: boolean;
  chromaSamplePosition: number;
  initialPresentationDelayMinusOne?: number;
  /** View into the record. */
  configObus: Uint8Array;
}

export function parseAv1CodecConfigurationRecord(buf: Uint8Array): Av1CodecConfigurationRecord {
  const r = new ByteReader(buf);
  const b0 = r.u8('AV1 marker/version');
  if ((b0 & 0x80) === 0) throw new FlvError('FLV_INVALID', 'AV1CodecConfigurationRecord marker bit is 0');
  const version = b0 & 0x7f;
  if (version !== 1) throw new FlvError('FLV_INVALID', `AV1CodecConfigurationRecord version ${version}, expected 1`);
  const b1 = r.u8('seq_profile/seq_level_idx_0');
  const b2 = r.u8('seq_tier_0 .. chroma_sample_position');
  const b3 = r.u8('initial_presentation_delay');
  const rec: Av1CodecConfigurationRecord = {
    version,
    seqProfile: b1 >> 5,
    seqLevelIdx0: b1 & 0x1f,
    seqTier0: b2 >> 7,
    highBitdepth: (b2 & 0x40) !== 0,
    twelveBit: (b2 & 0x20) !== 0,
    monochrome: (b2 & 0x10) !== 0,
    chromaSubsamplingX: (b2 & 0x08) !== 0,
    chromaSubsamplingY: (b2 & 0x04) !== 0,
    chromaSamplePosition: b2 & 0x03,
    configObus: r.rest(),
  };
  if (b3 & 0x10) rec.initialPresentationDelayMinusOne = b3 & 0x0f;
  return rec;
}

export const AV1_OBU_SEQUENCE_HEADER = 1;

export interface Av1SequenceHeader {
  seqProfile: number;
  stillPicture: boolean;
  reducedStillPictureHeader: boolean;
  seqLevelIdx0: number;
  seqTier0: number;
  maxFrameWidth: number;
  maxFrameHeight: number;
  timing?: { numUnitsInDisplayTick: number; timeScale: number; numTicksPerPicture?: number };
  /** time_scale / (num_units_in_display_tick * num_ticks_per_picture), when equal_picture_interval is set. */
  fps?: number;
}

/** Finds the first sequence header OBU in a run of OBUs (e.g. configOBUs) and parses it; undefined when absent. */
export function parseAv1SequenceHeaderFromObus(obus: Uint8Array): Av1SequenceHeader | undefined {
  const r = new ByteReader(obus);
  while (r.remaining > 0) {
    const h = r.u8('OBU header');
    if (h & 0x80) throw new FlvError('FLV_INVALID', 'obu_forbidden_bit is set');
    const type = (h >> 3) & 0x0f;
    if (h & 0x04) r.skip(1, 'OBU extension header');
    const size = h & 0x02 ? readLeb128(r, 'obu_size') : r.remaining;
    const payload = r.bytes(size, 'OBU payload');
    if (type === AV1_OBU_SEQUENCE_HEADER) return parseAv1SequenceHeader(payload);
  }
  return undefined;
}

/** sequence_header_obu() payload (AV1 spec 5.5.1), up to the maximum frame size. */
export function parseAv1SequenceHeader(payload: Uint8Array): Av1SequenceHeader {
  const br = new BitReader(payload, 'AV1 sequence header');
  const seqProfile = br.u(3);
  const stillPicture = br.flag();
  const reducedStillPictureHeader = br.flag();
  const sh: Av1SequenceHeader = {
    seqProfile,
    stillPicture,
    reducedStillPictureHeader,
    seqLevelIdx0: 0,
    seqTier0: 0,
    maxFrameWidth: 0,
    maxFrameHeight: 0,
  };
  if (reducedStillPictureHeader) {
    sh.seqLevelIdx0 = br.u(5);
  } else {
    let decoderModelInfoPresent = false;
    let bufferDelayLength = 0;
    if (br.flag()) {
      // timing_info_present_flag -> timing_info() (5.5.3)
      const numUnitsInDisplayTick = br.u(32);
      const timeScale = br.u(32);
      sh.timing = { numUnitsInDisplayTick, timeScale };
      if (br.flag()) {
        // equal_picture_interval
        const ticks = br.uvlc() + 1;
        sh.timing.numTicksPerPicture = ticks;
        if (numUnitsInDisplayTick > 0 && timeScale > 0) sh.fps = timeScale / (numUnitsInDisplayTick * ticks);
      }
      decoderModelInfoPresent = br.flag();
      if (decoderModelInfoPresent) {
        // decoder_model_info() (5.5.4)
        bufferDelayLength = br.u(5) + 1;
        br.skip(32); // num_units_in_decoding_tick
        br.skip(10); // buffer_removal_time_length_minus_1, frame_presentation_time_length_minus_1
      }
    }
    const initialDisplayDelayPresent = br.flag();
    const operatingPoints = br.u(5) + 1;
    for (let i = 0; i < operatingPoints; i++) {
      br.skip(12); // operating_point_idc
      const seqLevelIdx = br.u(5);
      const seqTier = seqLevelIdx > 7 ? br.u(1) : 0;
      if (i === 0) {
        sh.seqLevelIdx0 = seqLevelIdx;
        sh.seqTier0 = seqTier;
      }
      if (decoderModelInfoPresent && br.flag()) br.skip(2 * bufferDelayLength + 1); // operating_parameters_info()
      if (initialDisplayDelayPresent && br.flag()) br.skip(4); // initial_display_delay_minus_1
    }
  }
  const widthBits = br.u(4) + 1;
  const heightBits = br.u(4) + 1;
  sh.maxFrameWidth = br.u(widthBits) + 1;
  sh.maxFrameHeight = br.u(heightBits) + 1;
  return sh;
}

const AV1_PROFILE_NAMES = ['Main', 'High', 'Professional'];

export function av1ProfileName(seqProfile: number): string {
  return AV1_PROFILE_NAMES[seqProfile] ?? `Profile ${seqProfile}`;
}

/** seq_level_idx -> level 'X.Y' (Annex A.3: X = 2 + (idx >> 2), Y = idx & 3); 31 means no level restriction. */
export function av1LevelName(seqLevelIdx: number): string {
  if (seqLevelIdx === 31) return 'max';
  return `${2 + (seqLevelIdx >> 2)}.${seqLevelIdx & 3}`;
}
