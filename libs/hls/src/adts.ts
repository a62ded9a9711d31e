/**
 * ADTS framing for AAC in MPEG-TS (stream_type 0x0F, "ISO/IEC 13818-7 Audio with ADTS transport syntax").
 * FLV / RTMP carry raw AAC frames plus one AudioSpecificConfig; HLS players (and ISO/IEC 13818-1's 0x0F stream
 * type) expect every frame to start with an ADTS header (ISO/IEC 13818-7, 6.2 / ISO/IEC 14496-3, 1.A.2.2):
 *
 *   adts_fixed_header():    syncword 12 (0xFFF) | ID 1 | layer 2 ('00') | protection_absent 1 | profile_ObjectType 2
 *                           | sampling_frequency_index 4 | private_bit 1 | channel_configuration 3
 *                           | original_copy 1 | home 1
 *   adts_variable_header(): copyright_identification_bit 1 | copyright_identification_start 1
 *                           | aac_frame_length 13 (header included) | adts_buffer_fullness 11 (0x7FF: VBR)
 *                           | number_of_raw_data_blocks_in_frame 2
 *
 * The fixed part is computed once from the AudioSpecificConfig by @ingest/flv's aacAdtsHeader (which also refuses
 * what ADTS cannot describe: object types above 4, explicit frequencies, channel configurations above 7; HE-AAC is
 * written as its AAC LC core with implicit SBR); only aac_frame_length changes per frame.
 */
import { ADTS_HEADER_SIZE, AAC_SAMPLING_FREQUENCIES, aacAdtsHeader, parseAudioSpecificConfig, type AudioSpecificConfig } from '@ingest/flv';

/** aac_frame_length is 13 bits and counts the 7 header bytes. */
export const ADTS_MAX_PAYLOAD = 0x1fff - ADTS_HEADER_SIZE;

export class AdtsFramer {
  readonly config: AudioSpecificConfig;
  private readonly template: Buffer;

  /** `config`: the AudioSpecificConfig bytes of the AAC sequence header, or its parsed form. */
  constructor(config: Uint8Array | AudioSpecificConfig) {
    this.config = config instanceof Uint8Array ? parseAudioSpecificConfig(config) : config;
    this.template = aacAdtsHeader(this.config, 0);
  }

  /** Writes the 7-byte header for a raw frame of `payloadLength` bytes at `offset` of `buf`. */
  writeHeader(buf: Uint8Array, offset: number, payloadLength: number): void {
    if (!Number.isInteger(payloadLength) || payloadLength < 0 || payloadLength > ADTS_MAX_PAYLOAD) {
      throw new RangeError(`AAC frame of ${payloadLength} bytes does not fit aac_frame_length (13 bits)`);
    }
    const frameLength = ADTS_HEADER_SIZE + payloadLength;
    buf.set(this.template, offset);
    buf[offset + 3] = (this.template[3] & 0xfc) | (frameLength >> 11);
    buf[offset + 4] = (frameLength >> 3) & 0xff;
    buf[offset + 5] = ((frameLength & 0x07) << 5) | (this.template[5] & 0x1f);
  }

  /** The ADTS frame (header + raw frame) as a new buffer. */
  frame(raw: Uint8Array): Buffer {
    const out = Buffer.alloc(ADTS_HEADER_SIZE + raw.length);
    this.writeHeader(out, 0, raw.length);
    out.set(raw, ADTS_HEADER_SIZE);
    return out;
  }
}

export interface AdtsHeader {
  /** ID: 0 MPEG-4, 1 MPEG-2. */
  id: number;
  protectionAbsent: boolean;
  /** profile_ObjectType + 1 (2 = AAC LC). */
  audioObjectType: number;
  samplingFrequencyIndex: number;
  /** From the index; undefined for the reserved indices 13..15. */
  sampleRate?: number;
  channelConfiguration: number;
  /** aac_frame_length: the whole ADTS frame, header included. */
  frameLength: number;
  bufferFullness: number;
  rawDataBlocks: number;
  /** 7, or 9 with the CRC (protection_absent 0). */
  headerLength: number;
}

/** Parses the ADTS header at `offset`; throws RangeError without a syncword or with fewer than 7 bytes. */
export function parseAdtsHeader(buf: Uint8Array, offset = 0): AdtsHeader {
  if (buf.length - offset < ADTS_HEADER_SIZE) throw new RangeError(`ADTS header: ${buf.length - offset} bytes, need 7`);
  const b = (i: number): number => buf[offset + i];
  if (b(0) !== 0xff || (b(1) & 0xf0) !== 0xf0) throw new RangeError('no ADTS syncword');
  const protectionAbsent = (b(1) & 0x01) === 1;
  const samplingFrequencyIndex = (b(2) >> 2) & 0x0f;
  return {
    id: (b(1) >> 3) & 0x01,
    protectionAbsent,
    audioObjectType: (b(2) >> 6) + 1,
    samplingFrequencyIndex,
    sampleRate: AAC_SAMPLING_FREQUENCIES[samplingFrequencyIndex],
    channelConfiguration: ((b(2) & 0x01) << 2) | (b(3) >> 6),
    frameLength: ((b(3) & 0x03) << 11) | (b(4) << 3) | (b(5) >> 5),
    bufferFullness: ((b(5) & 0x1f) << 6) | (b(6) >> 2),
    rawDataBlocks: b(6) & 0x03,
    headerLength: protectionAbsent ? 7 : 9,
  };
}
