/**
 * Length-prefixed NAL units (ISO/IEC 14496-15 sample format, what FLV / RTMP carry) -> Annex B byte stream
 * (ITU-T H.264 Annex B / H.265 Annex B, what MPEG-TS carries: ISO/IEC 13818-1 2.14 / 2.17 require AVC and HEVC
 * access units in the byte stream format).
 *
 * Each access unit written here is
 *   access unit delimiter (H.264 7.3.2.4 / H.265 7.3.2.5; ISO/IEC 13818-1 2.14 asks for one at the start of every
 *   AVC access unit carried in a transport stream, FFmpeg's mpegts muxer inserts it when missing, and demuxers
 *   such as hls.js's split access units on it)
 *   + on key frames, the parameter sets of the decoder configuration record (SPS [SPS extension] PPS, or
 *     VPS SPS PPS), unless the frame already carries an SPS in band (then the encoder's own sets stand)
 *   + the frame's NAL units in order, minus any access unit delimiter it had (it would be a second one).
 * Every NAL unit gets the 4-byte start code 00 00 00 01 (zero_byte + start_code_prefix_one_3bytes).
 *
 * AUD payloads: H.264 nal_unit_type 9, primary_pic_type 7 ("any slice type") + rbsp_trailing_bits -> 09 F0;
 * H.265 nal_unit_type 35 with nuh_layer_id 0, nuh_temporal_id_plus1 1 (46 01), pic_type 2 (I, P or B) + trailing
 * bits -> 50. These are the bytes FFmpeg's mpegts muxer inserts.
 */
import { TsMuxError } from './ts-errors';

export type TsVideoCodec = 'avc' | 'hevc';

export const START_CODE = Uint8Array.of(0, 0, 0, 1);
export const AVC_AUD = Uint8Array.of(0x09, 0xf0);
export const HEVC_AUD = Uint8Array.of(0x46, 0x01, 0x50);

const AVC_NAL_AUD = 9;
const AVC_NAL_SPS = 7;
const HEVC_NAL_AUD = 35;
const HEVC_NAL_SPS = 33;

/** nal_unit_type from the NAL unit header (H.264: 5 bits of byte 0; H.265: bits 6..1 of byte 0). */
export function nalUnitType(codec: TsVideoCodec, nal: Uint8Array): number {
  if (nal.length === 0) return -1;
  return codec === 'avc' ? nal[0] & 0x1f : (nal[0] >> 1) & 0x3f;
}

/** Splits a sample of length-prefixed NAL units into views; throws TS_BAD_FRAME when a length runs past the end. */
export function splitNalUnits(data: Uint8Array, nalLengthSize: number): Uint8Array[] {
  if (!Number.isInteger(nalLengthSize) || nalLengthSize < 1 || nalLengthSize > 4) {
    throw new TsMuxError('TS_BAD_CONFIG', `NAL unit length size ${nalLengthSize}; 1 to 4 bytes allowed`);
  }
  const nals: Uint8Array[] = [];
  let p = 0;
  while (p < data.length) {
    if (data.length - p < nalLengthSize) {
      throw new TsMuxError('TS_BAD_FRAME', `${data.length - p} byte(s) left at offset ${p}, less than a ${nalLengthSize}-byte NAL unit length`);
    }
    let len = 0;
    for (let i = 0; i < nalLengthSize; i++) len = len * 256 + data[p + i];
    p += nalLengthSize;
    if (len > data.length - p) {
      throw new TsMuxError('TS_BAD_FRAME', `NAL unit of ${len} bytes at offset ${p} runs past the end of a ${data.length}-byte frame`);
    }
    if (len > 0) nals.push(data.subarray(p, p + len));
    p += len;
  }
  return nals;
}

export interface AnnexBOptions {
  codec: TsVideoCodec;
  nalLengthSize: number;
  keyframe: boolean;
  /** Parameter sets to put in front of a key frame that has no SPS of its own, in order. */
  parameterSets: readonly Uint8Array[];
}

/** The Annex B access unit for one length-prefixed frame (see the file comment). */
export function toAnnexB(data: Uint8Array, options: AnnexBOptions): Buffer {
  const { codec } = options;
  const audType = codec === 'avc' ? AVC_NAL_AUD : HEVC_NAL_AUD;
  const spsType = codec === 'avc' ? AVC_NAL_SPS : HEVC_NAL_SPS;
  const nals = splitNalUnits(data, options.nalLengthSize).filter((nal) => nalUnitType(codec, nal) !== audType);
  const units: Uint8Array[] = [codec === 'avc' ? AVC_AUD : HEVC_AUD];
  if (options.keyframe && !nals.some((nal) => nalUnitType(codec, nal) === spsType)) units.push(...options.parameterSets);
  units.push(...nals);
  const size = units.reduce((n, u) => n + START_CODE.length + u.length, 0);
  const out = Buffer.alloc(size);
  let p = 0;
  for (const u of units) {
    out.set(START_CODE, p);
    out.set(u, p + START_CODE.length);
    p += START_CODE.length + u.length;
  }
  return out;
}
