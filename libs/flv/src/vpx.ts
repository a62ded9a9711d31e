/**
 * VP8 / VP9: the VPCodecConfigurationRecord carried by E-RTMP 'vp08' / 'vp09' SequenceStart packets
 * (VP Codec ISO Media File Format Binding v1.0, 2.3.3):
 *   profile UI8 | level UI8 | bitDepth UB[4] chromaSubsampling UB[3] videoFullRangeFlag UB[1]
 *   colourPrimaries UI8 | transferCharacteristics UI8 | matrixCoefficients UI8
 *   codecInitializationDataSize UI16 | codecInitializationData
 *
 * In MP4 the record sits in a 'vpcC' FullBox after version (1) and flags (0); some muxers copy those four bytes
 * into the FLV sequence start too, so a leading 01 00 00 00 is skipped (a bare record cannot start that way:
 * it would mean bitDepth 0).
 */
import { ByteReader } from './bitreader';
import { FlvError } from './errors';

export interface VpCodecConfigurationRecord {
  profile: number;
  /** 10 * level (10 = 1, 11 = 1.1, ... 62 = 6.2); 0 when unknown. */
  level: number;
  bitDepth: number;
  /** 0 4:2:0 vertical, 1 4:2:0 colocated with luma, 2 4:2:2, 3 4:4:4. */
  chromaSubsampling: number;
  videoFullRange: boolean;
  colourPrimaries: number;
  transferCharacteristics: number;
  matrixCoefficients: number;
  codecInitializationData: Uint8Array;
}

export function parseVpCodecConfigurationRecord(buf: Uint8Array): VpCodecConfigurationRecord {
  const r = new ByteReader(buf);
  if (buf.length >= 12 && buf[0] === 1 && buf[1] === 0 && buf[2] === 0 && buf[3] === 0) r.skip(4);
  const profile = r.u8('profile');
  const level = r.u8('level');
  const b = r.u8('bitDepth/chromaSubsampling/videoFullRangeFlag');
  const rec: VpCodecConfigurationRecord = {
    profile,
    level,
    bitDepth: b >> 4,
    chromaSubsampling: (b >> 1) & 0x07,
    videoFullRange: (b & 1) === 1,
    colourPrimaries: r.u8('colourPrimaries'),
    transferCharacteristics: r.u8('transferCharacteristics'),
    matrixCoefficients: r.u8('matrixCoefficients'),
    codecInitializationData: new Uint8Array(0),
  };
  // A record that stops right after matrixCoefficients is taken as having no initialization data.
  if (r.remaining > 0) rec.codecInitializationData = r.bytes(r.u16('codecInitializationDataSize'), 'codecInitializationData');
  if (rec.bitDepth !== 8 && rec.bitDepth !== 10 && rec.bitDepth !== 12) {
    throw new FlvError('FLV_INVALID', `VPCodecConfigurationRecord bitDepth ${rec.bitDepth}; 8, 10 or 12 allowed`);
  }
  return rec;
}

export function vpChromaName(chromaSubsampling: number): string | undefined {
  return ['4:2:0', '4:2:0', '4:2:2', '4:4:4'][chromaSubsampling];
}

/** 10 -> '1', 11 -> '1.1', 41 -> '4.1'; undefined for 0 (unknown). */
export function vpLevelName(level: number): string | undefined {
  if (level === 0) return undefined;
  return level % 10 === 0 ? String(level / 10) : (level / 10).toFixed(1);
}
