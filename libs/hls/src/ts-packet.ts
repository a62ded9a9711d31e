/**
 * MPEG-2 transport stream packets and PSI sections (ISO/IEC 13818-1):
 *
 * 2.4.3.2 transport_packet(): sync_byte 8 (0x47) | transport_error_indicator 1 | payload_unit_start_indicator 1
 *   | transport_priority 1 | PID 13 | transport_scrambling_control 2 | adaptation_field_control 2
 *   ('01' payload only, '10' adaptation field only, '11' both) | continuity_counter 4, then the adaptation field
 *   and / or payload: 188 bytes in all. "The continuity_counter is a 4-bit field incrementing with each Transport
 *   Stream packet with the same PID ... The continuity_counter shall not be incremented when the
 *   adaptation_field_control of the packet equals '00' or '10'." Every packet written here carries payload.
 *
 * 2.4.3.4 adaptation_field(): adaptation_field_length 8, then (when > 0) discontinuity_indicator |
 *   random_access_indicator | elementary_stream_priority_indicator | PCR_flag | OPCR_flag | splicing_point_flag |
 *   transport_private_data_flag | adaptation_field_extension_flag, then when PCR_flag:
 *   program_clock_reference_base 33 | reserved 6 | program_clock_reference_extension 9, then stuffing bytes 0xFF.
 *   "The value 0 is for inserting a single stuffing byte in a Transport Stream packet." This is how a PES packet's
 *   last transport packet is filled to 188 bytes (2.4.3.5: stuffing in packets carrying PES data is done with the
 *   adaptation field).
 *
 * 2.4.4 PSI: a section starts in a packet with payload_unit_start_indicator 1, after a pointer_field (0 here:
 *   the section starts right after it); after the section, bytes 0xFF fill the payload.
 * 2.4.4.3 program_association_section() (Table 2-30) and 2.4.4.8 TS_program_map_section() (Table 2-33), each
 *   ended by CRC_32 (Annex A, crc.ts). Reserved bits are written as 1.
 */
import { crc32Mpeg2 } from './crc';

export const TS_PACKET_SIZE = 188;
export const TS_SYNC_BYTE = 0x47;
/** Bytes after the 4-byte packet header. */
export const TS_PACKET_PAYLOAD = 184;

/** The PIDs this muxer uses (PMT at 0x1000 and the elementary streams at 0x100 / 0x101, as FFmpeg's defaults). */
export const TsPid = {
  PAT: 0x0000,
  PMT: 0x1000,
  VIDEO: 0x0100,
  AUDIO: 0x0101,
} as const;

/** stream_type values (Table 2-34) the muxer writes. */
export const TsStreamType = {
  /** ISO/IEC 11172-3 Audio (MPEG-1 layers I-III: MP3 at 32 / 44.1 / 48 kHz). */
  MPEG1_AUDIO: 0x03,
  /** ISO/IEC 13818-3 Audio (MPEG-2 LSF: MP3 at 16 / 22.05 / 24 kHz and MPEG-2.5). */
  MPEG2_AUDIO: 0x04,
  /** ISO/IEC 13818-7 Audio with ADTS transport syntax. */
  AAC_ADTS: 0x0f,
  /** AVC video stream as defined in Rec. ITU-T H.264 | ISO/IEC 14496-10. */
  AVC: 0x1b,
  /** Rec. ITU-T H.265 | ISO/IEC 23008-2 video stream. */
  HEVC: 0x24,
} as const;

/** One 4-bit continuity_counter per PID, starting at 0. */
export class ContinuityCounters {
  private readonly counters = new Map<number, number>();

  /** The counter for the next packet of `pid`, then advances it (mod 16). */
  next(pid: number): number {
    const cc = this.counters.get(pid) ?? 0;
    this.counters.set(pid, (cc + 1) & 0x0f);
    return cc;
  }

  /** The counter the next packet of `pid` will carry. */
  peek(pid: number): number {
    return this.counters.get(pid) ?? 0;
  }

  reset(): void {
    this.counters.clear();
  }
}

/** Writes the 4-byte packet header at `p`. */
function writeHeader(out: Uint8Array, p: number, pid: number, start: boolean, adaptation: boolean, cc: number): void {
  out[p] = TS_SYNC_BYTE;
  out[p + 1] = (start ? 0x40 : 0) | ((pid >> 8) & 0x1f);
  out[p + 2] = pid & 0xff;
  out[p + 3] = (adaptation ? 0x30 : 0x10) | cc;
}

/** Writes the 6-byte PCR (base 33 bits, 6 reserved bits, extension 9 bits) at `p`. */
export function writePcr(out: Uint8Array, p: number, base: number, extension = 0): void {
  const b = base % 2 ** 33;
  out[p] = Math.floor(b / 2 ** 25) & 0xff;
  out[p + 1] = Math.floor(b / 2 ** 17) & 0xff;
  out[p + 2] = Math.floor(b / 2 ** 9) & 0xff;
  out[p + 3] = Math.floor(b / 2) & 0xff;
  out[p + 4] = ((b % 2) << 7) | 0x7e | ((extension >> 8) & 0x01);
  out[p + 5] = extension & 0xff;
}

/** Reads the 33-bit base of a PCR written by writePcr. */
export function readPcrBase(buf: Uint8Array, p: number): number {
  return buf[p] * 2 ** 25 + buf[p + 1] * 2 ** 17 + buf[p + 2] * 2 ** 9 + buf[p + 3] * 2 + (buf[p + 4] >> 7);
}

export interface PesPacketizeOptions {
  pid: number;
  counters: ContinuityCounters;
  /** PCR base (90 kHz ticks) for the first packet's adaptation field. */
  pcr?: number;
  /** random_access_indicator on the first packet: the PES starts a key frame (2.4.3.5). */
  randomAccess?: boolean;
  /**
   * Spread the PES over this many packets (at least pesPacketCount, at most its length): every packet still
   * carries payload, the extra room is adaptation-field stuffing. Used to align a PID's packet count.
   */
  packets?: number;
}

/** Number of transport packets packetizePes writes for a PES of `length` bytes. */
export function pesPacketCount(length: number, options: Pick<PesPacketizeOptions, 'pcr' | 'randomAccess'>): number {
  const firstRoom = TS_PACKET_PAYLOAD - firstAdaptationSize(options);
  if (length <= firstRoom) return 1;
  return 1 + Math.ceil((length - firstRoom) / TS_PACKET_PAYLOAD);
}

/** Bytes of adaptation field the first packet needs before any stuffing: length, flags and the PCR. */
function firstAdaptationSize(options: Pick<PesPacketizeOptions, 'pcr' | 'randomAccess'>): number {
  if (options.pcr !== undefined) return 8;
  return options.randomAccess ? 2 : 0;
}

/**
 * Splits one PES packet into transport packets: payload_unit_start_indicator on the first, the PCR and the
 * random_access_indicator in its adaptation field when asked for, and the last packet filled to 188 bytes with
 * adaptation-field stuffing.
 */
export function packetizePes(pes: Uint8Array, options: PesPacketizeOptions): Buffer {
  const minimum = pesPacketCount(pes.length, options);
  const count = options.packets ?? minimum;
  if (!Number.isInteger(count) || count < minimum || count > pes.length) {
    throw new RangeError(`a PES of ${pes.length} bytes cannot fill ${count} packets (${minimum} at least)`);
  }
  const out = Buffer.alloc(count * TS_PACKET_SIZE);
  let read = 0;
  for (let i = 0; i < count; i++) {
    const p = i * TS_PACKET_SIZE;
    const first = i === 0;
    const base = first ? firstAdaptationSize(options) : 0;
    const remaining = pes.length - read;
    const room = TS_PACKET_PAYLOAD - base;
    const take = Math.min(remaining - (count - 1 - i), room); // leave a byte for each packet still to come
    const stuffing = room - take;
    const adaptation = base > 0 || stuffing > 0;
    writeHeader(out, p, options.pid, first, adaptation, options.counters.next(options.pid));
    let q = p + 4;
    if (adaptation) {
      const afSize = base + stuffing; // the whole adaptation field, length byte included
      out[q] = afSize - 1; // adaptation_field_length counts the bytes after itself
      if (afSize >= 2) {
        const pcr = first && options.pcr !== undefined;
        out[q + 1] = (first && options.randomAccess ? 0x40 : 0) | (pcr ? 0x10 : 0);
        let f = q + 2;
        if (pcr) {
          writePcr(out, f, options.pcr!);
          f += 6;
        }
        out.fill(0xff, f, q + afSize);
      }
      q += afSize;
    }
    out.set(pes.subarray(read, read + take), q);
    read += take;
  }
  return out;
}

/** One PSI section in one transport packet: pointer_field 0, the section, 0xFF fill. */
export function psiPacket(pid: number, section: Uint8Array, counters: ContinuityCounters | number): Buffer {
  if (section.length > TS_PACKET_PAYLOAD - 1) throw new RangeError(`PSI section of ${section.length} bytes does not fit one packet`);
  const out = Buffer.alloc(TS_PACKET_SIZE, 0xff);
  writeHeader(out, 0, pid, true, false, typeof counters === 'number' ? counters & 0x0f : counters.next(pid));
  out[4] = 0; // pointer_field
  out.set(section, 5);
  return out;
}

/** Fills in section_length (12 bits after the table_id byte) and appends CRC_32 over the whole section. */
function finishSection(section: Buffer): Buffer {
  const sectionLength = section.length - 3; // bytes after section_length, CRC_32 included
  section[1] = 0xb0 | (sectionLength >> 8); // section_syntax_indicator 1, '0', reserved '11'
  section[2] = sectionLength & 0xff;
  section.writeUInt32BE(crc32Mpeg2(section, 0, section.length - 4), section.length - 4);
  return section;
}

export interface PatFields {
  transportStreamId?: number;
  programNumber?: number;
  pmtPid?: number;
  version?: number;
}

/** program_association_section() with one program (2.4.4.3). */
export function encodePatSection(fields: PatFields = {}): Buffer {
  const s = Buffer.alloc(8 + 4 + 4);
  s[0] = 0x00; // table_id: program_association_section
  s.writeUInt16BE(fields.transportStreamId ?? 1, 3);
  s[5] = 0xc1 | (((fields.version ?? 0) & 0x1f) << 1); // reserved '11', version_number, current_next_indicator 1
  s[6] = 0; // section_number
  s[7] = 0; // last_section_number
  s.writeUInt16BE(fields.programNumber ?? 1, 8);
  s.writeUInt16BE(0xe000 | (fields.pmtPid ?? TsPid.PMT), 10); // reserved '111', program_map_PID
  return finishSection(s);
}

export interface PmtStream {
  streamType: number;
  pid: number;
}

export interface PmtFields {
  programNumber?: number;
  pcrPid: number;
  version?: number;
  streams: PmtStream[];
}

/** TS_program_map_section() without descriptors (2.4.4.8). */
export function encodePmtSection(fields: PmtFields): Buffer {
  const s = Buffer.alloc(12 + 5 * fields.streams.length + 4);
  s[0] = 0x02; // table_id: TS_program_map_section
  s.writeUInt16BE(fields.programNumber ?? 1, 3);
  s[5] = 0xc1 | (((fields.version ?? 0) & 0x1f) << 1);
  s[6] = 0;
  s[7] = 0;
  s.writeUInt16BE(0xe000 | fields.pcrPid, 8); // reserved '111', PCR_PID
  s.writeUInt16BE(0xf000, 10); // reserved '1111', program_info_length 0
  let p = 12;
  for (const st of fields.streams) {
    s[p] = st.streamType;
    s.writeUInt16BE(0xe000 | st.pid, p + 1); // reserved '111', elementary_PID
    s.writeUInt16BE(0xf000, p + 3); // reserved '1111', ES_info_length 0
    p += 5;
  }
  return finishSection(s);
}
