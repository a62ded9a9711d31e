/**
 * Opus: the identification header ("ID header", RFC 7845 section 5.1) carried by E-RTMP 'Opus' SequenceStart
 * packets. All multi-byte fields are little-endian:
 *   'OpusHead' | version UI8 (1) | output channel count UI8 | pre-skip UI16 | input sample rate UI32
 *   output gain SI16 (Q7.8 dB) | channel mapping family UI8 | [mapping table when the family is not 0]
 * E-RTMP v2 allows an empty SequenceStart payload (channels then come from MultichannelConfig or default to
 * mono/stereo); that case is handled by the caller, not here.
 */
import { ByteReader } from './bitreader';
import { FlvError } from './errors';

export interface OpusHead {
  version: number;
  channelCount: number;
  preSkip: number;
  /** Sample rate of the encoder's input, informational only: Opus always decodes at 48 kHz. */
  inputSampleRate: number;
  outputGain: number;
  channelMappingFamily: number;
}

const MAGIC = [0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64]; // 'OpusHead'

export function parseOpusHead(buf: Uint8Array): OpusHead {
  const r = new ByteReader(buf);
  const magic = r.bytes(8, 'OpusHead magic');
  if (!MAGIC.every((c, i) => magic[i] === c)) throw new FlvError('FLV_INVALID', 'Opus ID header does not start with "OpusHead"');
  const version = r.u8('version');
  if (version >> 4 !== 0) throw new FlvError('FLV_UNSUPPORTED', `OpusHead version ${version} (major version above 0)`);
  const channelCount = r.u8('channel count');
  if (channelCount === 0) throw new FlvError('FLV_INVALID', 'OpusHead channel count 0');
  const le = r.bytes(8, 'pre-skip/input sample rate/output gain');
  const preSkip = le[0] | (le[1] << 8);
  const inputSampleRate = (le[2] | (le[3] << 8) | (le[4] << 16) | (le[5] << 24)) >>> 0;
  const outputGain = ((le[6] | (le[7] << 8)) << 16) >> 16;
  const channelMappingFamily = r.u8('channel mapping family');
  return { version, channelCount, preSkip, inputSampleRate, outputGain, channelMappingFamily };
}
