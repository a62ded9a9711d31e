/**
 * FLAC: the sequence header of E-RTMP 'fLaC' SequenceStart packets, "the bytes 0x66 0x4C 0x61 0x43 ('fLaC')
 * signature followed by a metadata block (called the STREAMINFO block)" (E-RTMP v2, Enhanced Audio).
 *
 * METADATA_BLOCK_HEADER (RFC 9639, 8.1): is_last UB[1] | block type UB[7] (0 = STREAMINFO) | length UB[24]
 * STREAMINFO (8.2): min block size UB[16] | max block size UB[16] | min frame size UB[24] | max frame size UB[24]
 *   sample rate UB[20] | channels - 1 UB[3] | bits per sample - 1 UB[5] | total samples UB[36] | MD5 UB[128]
 */
import { BitReader, ByteReader } from './bitreader';
import { FlvError } from './errors';

export interface FlacStreamInfo {
  minBlockSize: number;
  maxBlockSize: number;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  totalSamples: number;
}

export function parseFlacSequenceHeader(buf: Uint8Array): FlacStreamInfo {
  const r = new ByteReader(buf);
  const sig = r.bytes(4, 'fLaC signature');
  if (sig[0] !== 0x66 || sig[1] !== 0x4c || sig[2] !== 0x61 || sig[3] !== 0x43) {
    throw new FlvError('FLV_INVALID', 'FLAC sequence header does not start with "fLaC"');
  }
  const type = r.u8('metadata block header') & 0x7f;
  if (type !== 0) throw new FlvError('FLV_INVALID', `first FLAC metadata block has type ${type}, STREAMINFO (0) required`);
  const length = r.u24('metadata block length');
  if (length < 34) throw new FlvError('FLV_INVALID', `STREAMINFO of ${length} bytes, 34 required`);
  const br = new BitReader(r.bytes(34, 'STREAMINFO'), 'STREAMINFO');
  const minBlockSize = br.u(16);
  const maxBlockSize = br.u(16);
  br.skip(48); // min/max frame size
  const sampleRate = br.u(20);
  const channels = br.u(3) + 1;
  const bitsPerSample = br.u(5) + 1;
  const totalSamples = br.u(4) * 2 ** 32 + br.u(32);
  return { minBlockSize, maxBlockSize, sampleRate, channels, bitsPerSample, totalSamples };
}
