/**
 * RFC 6381 codec strings ('codecs' parameter of MIME types, DASH @codecs, HLS CODECS) from the codec
 * configuration an FLV sequence header carries:
 *
 * - 'avc1.PPCCLL' (ISO/IEC 14496-15 Annex E.3): AVCProfileIndication, profile_compatibility and
 *   AVCLevelIndication of the AVCDecoderConfigurationRecord as two lower-case hex digits each.
 * - 'hvc1.<space><profile>.<compat>.<tier><level>.<constraints>' (ISO/IEC 14496-15 Annex E.3): the
 *   general_profile_space as '', 'A', 'B' or 'C' followed by general_profile_idc in decimal; the 32
 *   general_profile_compatibility_flags in reverse bit order, in hex without leading zeros; 'L' (Main tier) or
 *   'H' (High tier) followed by general_level_idc in decimal; the six constraint indicator bytes in hex, each
 *   preceded by '.', trailing zero bytes omitted. HEVC Main at level 3.1: 'hvc1.1.6.L93.B0'.
 * - 'mp4a.40.<aot>' (RFC 6381 3.3): objectTypeIndication 0x40 (MPEG-4 audio) and the first audioObjectType of
 *   the AudioSpecificConfig in decimal: 2 for AAC-LC, 5 for HE-AAC and 29 for HE-AACv2 signalled explicitly
 *   (hierarchically); backward-compatible SBR signalling keeps 2, as a core AAC-LC decoder can play it.
 *
 * Configurations that do not parse throw the FlvError of the @ingest/flv parser.
 */
import { FlvError, parseAvcDecoderConfigurationRecord, parseHevcDecoderConfigurationRecord } from '@ingest/flv';

const hex2 = (v: number): string => v.toString(16).padStart(2, '0');

/** 'avc1.64001f' from an AVCDecoderConfigurationRecord. `fourCc` may be 'avc3' for in-band parameter sets. */
export function avcCodecString(record: Uint8Array, fourCc = 'avc1'): string {
  const rec = parseAvcDecoderConfigurationRecord(record);
  return `${fourCc}.${hex2(rec.profileIndication)}${hex2(rec.profileCompatibility)}${hex2(rec.levelIndication)}`;
}

/** Reverses the 32 bits of an unsigned value. */
function reverseBits32(v: number): number {
  let r = 0;
  for (let i = 0; i < 32; i++) {
    r = r * 2 + (v & 1);
    v >>>= 1;
  }
  return r;
}

/** 'hvc1.1.6.L93.B0' from an HEVCDecoderConfigurationRecord. `fourCc` may be 'hev1'. */
export function hevcCodecString(record: Uint8Array, fourCc = 'hvc1'): string {
  const rec = parseHevcDecoderConfigurationRecord(record);
  const space = ['', 'A', 'B', 'C'][rec.generalProfileSpace];
  const compat = reverseBits32(rec.generalProfileCompatibilityFlags).toString(16).toUpperCase();
  const tier = rec.generalTierFlag ? 'H' : 'L';
  const constraints = Array.from(rec.generalConstraintIndicatorFlags);
  while (constraints.length > 0 && constraints[constraints.length - 1] === 0) constraints.pop();
  const tail = constraints.map((b) => `.${hex2(b).toUpperCase()}`).join('');
  return `${fourCc}.${space}${rec.generalProfileIdc}.${compat}.${tier}${rec.generalLevelIdc}${tail}`;
}

/**
 * The first audioObjectType of an AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1 GetAudioObjectType(): 5 bits,
 * 31 escapes to 32 + 6 more bits), before any hierarchical SBR/PS signalling is resolved.
 */
export function ascAudioObjectType(asc: Uint8Array): number {
  if (asc.byteLength < 2) throw new FlvError('FLV_TRUNCATED', `AudioSpecificConfig of ${asc.byteLength} byte(s)`);
  const aot = asc[0] >> 3;
  if (aot === 0) throw new FlvError('FLV_INVALID', 'audioObjectType 0 (NULL)');
  if (aot !== 31) return aot;
  return 32 + (((asc[0] & 0x07) << 3) | (asc[1] >> 5));
}

/** 'mp4a.40.2' from an AudioSpecificConfig. */
export function aacCodecString(asc: Uint8Array): string {
  return `mp4a.40.${ascAudioObjectType(asc)}`;
}

/** The codec string of a track given its sample entry FOURCC and its configuration record / ASC. */
export function codecString(codec: 'avc1' | 'avc3' | 'hvc1' | 'hev1' | 'mp4a', config: Uint8Array): string {
  switch (codec) {
    case 'avc1':
    case 'avc3':
      return avcCodecString(config, codec);
    case 'hvc1':
    case 'hev1':
      return hevcCodecString(config, codec);
    case 'mp4a':
      return aacCodecString(config);
  }
}
