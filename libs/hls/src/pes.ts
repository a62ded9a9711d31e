/**
 * PES packets and the 33-bit, 90 kHz time stamps of MPEG-2 Systems (ISO/IEC 13818-1, 2.4.3.6 "PES packet"
 * and 2.4.3.7 "Semantic definition of fields in PES packet"):
 *
 *   packet_start_code_prefix 24 (0x000001) | stream_id 8 | PES_packet_length 16
 *   '10' | PES_scrambling_control 2 | PES_priority 1 | data_alignment_indicator 1 | copyright 1 | original_or_copy 1
 *   PTS_DTS_flags 2 | ESCR_flag | ES_rate_flag | DSM_trick_mode_flag | additional_copy_info_flag | PES_CRC_flag
 *   | PES_extension_flag | PES_header_data_length 8
 *   if (PTS_DTS_flags == '10'): '0010' PTS[32..30] marker PTS[29..15] marker PTS[14..0] marker      (5 bytes)
 *   if (PTS_DTS_flags == '11'): '0011' PTS ... , '0001' DTS ...                                    (10 bytes)
 *
 * "PES_packet_length ... A value of 0 indicates that the PES packet length is neither specified nor bounded and
 * is allowed only in PES packets whose payload consists of bytes from a video elementary stream contained in
 * Transport Stream packets." Video PES packets here always use 0 (as FFmpeg's mpegts muxer does by default),
 * audio PES packets carry their length. "A PTS_DTS_flags value of '01' is forbidden"; the DTS is left out when it
 * equals the PTS (PTS_DTS_flags '10'), in which case a decoder takes the PTS as the decoding time, as for audio.
 *
 * stream_id (Table 2-22): 110x xxxx for ISO/IEC 11172-3 / 13818-3 / 13818-7 / 14496-3 audio stream number x,
 * 1110 xxxx for H.262 / H.264 / H.265 ... video stream number x.
 *
 * Time stamps: the stream's millisecond timestamps are mapped to the 90 kHz system clock as
 *   ts90k = round((ms + TS_TIMESTAMP_OFFSET_MS) * 90) mod 2^33
 * The fixed offset keeps PTS (= DTS + composition offset, possibly negative with B-frames in E-RTMP) and the PCR
 * (DTS - TS_PCR_DELAY_MS, see ts-muxer.ts) non-negative for a stream that starts at 0, the way FFmpeg's mpegts
 * muxer starts its output at 1.4 s. It is a constant, so every origin maps the same frame to the same bytes.
 */

export const TS_CLOCK_HZ = 90_000;
/** PTS, DTS and the PCR base are 33-bit counters of the 90 kHz clock; they wrap at 2^33 (about 26.5 hours). */
export const TS_TIMESTAMP_MODULUS = 2 ** 33;
/** Added to every stream timestamp (ms) before conversion to the 90 kHz clock. */
export const TS_TIMESTAMP_OFFSET_MS = 1400;

export const PesStreamId = {
  /** The first ISO/IEC 11172-3 / 13818-3 / 13818-7 / 14496-3 audio stream. */
  AUDIO: 0xc0,
  /** The first H.262 / H.264 / H.265 video stream. */
  VIDEO: 0xe0,
} as const;

/** Reduces a 90 kHz value modulo 2^33 into [0, 2^33). */
export function wrap33(ticks: number): number {
  const r = ticks % TS_TIMESTAMP_MODULUS;
  return r < 0 ? r + TS_TIMESTAMP_MODULUS : r;
}

/** Milliseconds of stream time -> 90 kHz system clock ticks, with TS_TIMESTAMP_OFFSET_MS added, modulo 2^33. */
export function msToTsClock(ms: number): number {
  if (!Number.isFinite(ms)) throw new RangeError(`timestamp ${ms} is not a finite number`);
  return wrap33(Math.round((ms + TS_TIMESTAMP_OFFSET_MS) * 90));
}

/**
 * Writes one 5-byte PTS or DTS field at `offset`: the 4-bit prefix ('0010' PTS only, '0011' PTS followed by a
 * DTS, '0001' DTS), then bits 32..30, 29..15 and 14..0 of `ticks` (mod 2^33), each group followed by a marker bit.
 */
export function writeTimestamp(buf: Uint8Array, offset: number, prefix: 0b0010 | 0b0011 | 0b0001, ticks: number): void {
  const v = wrap33(Math.floor(ticks));
  const hi = Math.floor(v / 2 ** 30); // bits 32..30
  const mid = Math.floor(v / 2 ** 15) & 0x7fff; // bits 29..15
  const lo = v & 0x7fff; // bits 14..0 (v mod 2^15: & is exact on the low 32 bits)
  buf[offset] = (prefix << 4) | (hi << 1) | 1;
  buf[offset + 1] = mid >> 7;
  buf[offset + 2] = ((mid & 0x7f) << 1) | 1;
  buf[offset + 3] = lo >> 7;
  buf[offset + 4] = ((lo & 0x7f) << 1) | 1;
}

/** Reads a 5-byte PTS/DTS field written by writeTimestamp (the prefix and marker bits are not checked). */
export function readTimestamp(buf: Uint8Array, offset: number): number {
  const hi = (buf[offset] >> 1) & 0x07;
  const mid = (buf[offset + 1] << 7) | (buf[offset + 2] >> 1);
  const lo = (buf[offset + 3] << 7) | (buf[offset + 4] >> 1);
  return hi * 2 ** 30 + mid * 2 ** 15 + lo;
}

export interface PesHeaderFields {
  streamId: number;
  /** 90 kHz ticks (reduced mod 2^33). */
  pts: number;
  /** 90 kHz ticks; left out when undefined or equal to `pts`. */
  dts?: number;
  /** Bytes of elementary stream data that follow the header. */
  payloadLength: number;
  /** true: PES_packet_length 0 (video in a transport stream only); false: the length, which must fit 16 bits. */
  unbounded: boolean;
}

/** Size of the PES header writePesHeader writes: 14 bytes with a PTS only, 19 with PTS and DTS. */
export function pesHeaderSize(fields: Pick<PesHeaderFields, 'pts' | 'dts'>): number {
  return hasDts(fields) ? 19 : 14;
}

function hasDts(fields: Pick<PesHeaderFields, 'pts' | 'dts'>): boolean {
  return fields.dts !== undefined && wrap33(fields.dts) !== wrap33(fields.pts);
}

/** Writes the PES header at `offset` of `buf` and returns the offset after it. */
export function writePesHeader(buf: Uint8Array, offset: number, fields: PesHeaderFields): number {
  const withDts = hasDts(fields);
  const headerDataLength = withDts ? 10 : 5;
  const packetLength = fields.unbounded ? 0 : 3 + headerDataLength + fields.payloadLength;
  if (packetLength > 0xffff) {
    throw new RangeError(`PES packet of ${packetLength} bytes does not fit PES_packet_length; only video may be unbounded`);
  }
  let p = offset;
  buf[p++] = 0x00;
  buf[p++] = 0x00;
  buf[p++] = 0x01;
  buf[p++] = fields.streamId;
  buf[p++] = packetLength >> 8;
  buf[p++] = packetLength & 0xff;
  // '10', not scrambled, priority 0, data_alignment_indicator 1 (the payload starts with an access unit: an AUD
  // start code or an ADTS / MPEG audio sync word), copyright 0, original_or_copy 0.
  buf[p++] = 0x84;
  buf[p++] = withDts ? 0xc0 : 0x80; // PTS_DTS_flags, no ESCR / ES_rate / trick mode / copy info / CRC / extension
  buf[p++] = headerDataLength;
  writeTimestamp(buf, p, withDts ? 0b0011 : 0b0010, fields.pts);
  p += 5;
  if (withDts) {
    writeTimestamp(buf, p, 0b0001, fields.dts!);
    p += 5;
  }
  return p;
}
