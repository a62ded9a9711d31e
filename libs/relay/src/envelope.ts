/**
 * The relay envelope: a fixed 25-byte big-endian header followed by the FLV tag body (the RTMP message payload of
 * an audio/video/data message), unchanged. No I/O.
 *
 * | offset | size | type | field                                                                              |
 * |-------:|-----:|------|------------------------------------------------------------------------------------|
 * |      0 |    1 | u8   | version (= 1)                                                                      |
 * |      1 |    1 | u8   | kind: 1 audio, 2 video, 3 data/script, 4 end-of-stream, 5 gop-end                 |
 * |      2 |    1 | u8   | flags: bit0 keyframe, bit1 sequence header/config, bit2 is-fragment, bits 3-7 zero |
 * |      3 |    1 | u8   | fragment index (0-based; 0 when not fragmented)                                   |
 * |      4 |    1 | u8   | fragment count (1 when not fragmented, at most 255)                               |
 * |      5 |    4 | u32  | timestamp, ms (RTMP: wraps at 2^32)                                                |
 * |      9 |    4 | i32  | composition offset, ms (FLV video CompositionTime; 0 for audio/data)              |
 * |     13 |    4 | u32  | sequence number (per stream, +1 per media message, fragments share it; wraps)     |
 * |     17 |    4 | u32  | edge epoch (identifies one publishing session; a change restarts the sequence)    |
 * |     21 |    4 | u32  | payload length of this envelope (this fragment's bytes)                           |
 * |     25 |    n | -    | payload: the FLV tag body (or this fragment of it)                                |
 *
 * Flags:
 * - keyframe (bit0): a video key frame carrying coded frames. On a gop-end envelope it means "the snapshot starts
 *   at a decodable point" (a GOP from its key frame, or an audio-only window): the subscriber is in sync after it.
 * - sequence header (bit1): AVC/HEVC/AV1/... decoder configuration, AAC AudioSpecificConfig and E-RTMP
 *   multichannel config, and onMetaData data messages.
 * - is-fragment (bit2): set on every fragment of a message split in several envelopes (count > 1), never otherwise.
 * Reserved bits must be written as 0 and are ignored when reading.
 *
 * Kinds 4 (end-of-stream) and 5 (gop-end) carry no payload. An end-of-stream takes the next sequence number; a
 * gop-end carries the sequence number of the last message the snapshot covers.
 */
import { RelayError } from './errors';

export const ENVELOPE_VERSION = 1;
export const ENVELOPE_HEADER_SIZE = 25;
export const MAX_FRAGMENTS = 255;

export const EnvelopeKind = {
  AUDIO: 1,
  VIDEO: 2,
  DATA: 3,
  END_OF_STREAM: 4,
  GOP_END: 5,
} as const;
export type EnvelopeKind = (typeof EnvelopeKind)[keyof typeof EnvelopeKind];

export const EnvelopeFlags = {
  KEYFRAME: 0x01,
  SEQUENCE_HEADER: 0x02,
  FRAGMENT: 0x04,
} as const;

const KNOWN_FLAGS = EnvelopeFlags.KEYFRAME | EnvelopeFlags.SEQUENCE_HEADER | EnvelopeFlags.FRAGMENT;

/** What a caller gives to encode one message. Numbers are taken modulo 2^32 (u32 fields) or as int32. */
export interface EnvelopeFields {
  kind: EnvelopeKind;
  /** KEYFRAME | SEQUENCE_HEADER; FRAGMENT is managed by the encoder. */
  flags: number;
  timestamp: number;
  compositionOffset: number;
  sequence: number;
  epoch: number;
}

export interface EnvelopeInput extends EnvelopeFields {
  /** Default 0. */
  fragmentIndex?: number;
  /** Default 1. */
  fragmentCount?: number;
}

/** A decoded header: every field of the table above. */
export interface EnvelopeHeader extends EnvelopeFields {
  version: number;
  fragmentIndex: number;
  fragmentCount: number;
  payloadLength: number;
}

export interface DecodedEnvelope {
  header: EnvelopeHeader;
  /** View into the decoded buffer (no copy). */
  payload: Uint8Array;
}

/** RTMP message type (8 audio, 9 video, 18 AMF0 data) -> envelope kind; undefined for anything else. */
export function kindOfMessageType(type: number): EnvelopeKind | undefined {
  return type === 9 ? EnvelopeKind.VIDEO : type === 8 ? EnvelopeKind.AUDIO : type === 18 ? EnvelopeKind.DATA : undefined;
}

/** Envelope kind -> RTMP message type (8, 9, 18); undefined for end-of-stream and gop-end. */
export function messageTypeOfKind(kind: number): 8 | 9 | 18 | undefined {
  return kind === EnvelopeKind.VIDEO ? 9 : kind === EnvelopeKind.AUDIO ? 8 : kind === EnvelopeKind.DATA ? 18 : undefined;
}

/** A video key frame with coded frames (not a sequence header). */
export function isKeyframe(header: Pick<EnvelopeFields, 'kind' | 'flags'>): boolean {
  return (
    header.kind === EnvelopeKind.VIDEO &&
    (header.flags & (EnvelopeFlags.KEYFRAME | EnvelopeFlags.SEQUENCE_HEADER)) === EnvelopeFlags.KEYFRAME
  );
}

export function isSequenceHeader(header: Pick<EnvelopeFields, 'flags'>): boolean {
  return (header.flags & EnvelopeFlags.SEQUENCE_HEADER) !== 0;
}

/** Serial-number comparison (RFC 1982 style, 32 bits): > 0 when `a` comes after `b`, even across the wrap. */
export function sequenceDiff(a: number, b: number): number {
  return (a - b) | 0;
}

function writeHeader(
  buf: Uint8Array,
  h: EnvelopeFields,
  flags: number,
  fragmentIndex: number,
  fragmentCount: number,
  payloadLength: number,
): void {
  const ts = h.timestamp >>> 0;
  const cts = h.compositionOffset | 0;
  const seq = h.sequence >>> 0;
  const epoch = h.epoch >>> 0;
  buf[0] = ENVELOPE_VERSION;
  buf[1] = h.kind;
  buf[2] = flags;
  buf[3] = fragmentIndex;
  buf[4] = fragmentCount;
  buf[5] = ts >>> 24;
  buf[6] = ts >>> 16;
  buf[7] = ts >>> 8;
  buf[8] = ts;
  buf[9] = cts >>> 24;
  buf[10] = cts >>> 16;
  buf[11] = cts >>> 8;
  buf[12] = cts;
  buf[13] = seq >>> 24;
  buf[14] = seq >>> 16;
  buf[15] = seq >>> 8;
  buf[16] = seq;
  buf[17] = epoch >>> 24;
  buf[18] = epoch >>> 16;
  buf[19] = epoch >>> 8;
  buf[20] = epoch;
  buf[21] = payloadLength >>> 24;
  buf[22] = payloadLength >>> 16;
  buf[23] = payloadLength >>> 8;
  buf[24] = payloadLength;
}

function checkFields(h: EnvelopeFields): number {
  const { kind, flags } = h;
  if (!(kind >= EnvelopeKind.AUDIO && kind <= EnvelopeKind.GOP_END) || !Number.isInteger(kind)) {
    throw new RelayError('RELAY_BAD_HEADER', `kind ${kind} is not 1..5`);
  }
  if (!Number.isInteger(flags) || (flags & ~KNOWN_FLAGS) !== 0 || flags < 0) {
    throw new RelayError('RELAY_BAD_HEADER', `flags ${flags} has reserved bits set`);
  }
  return flags & ~EnvelopeFlags.FRAGMENT;
}

/** Where encoders put envelopes: a fresh buffer by default, or a slice of an arena (arena.ts). */
export type EnvelopeAllocator = (size: number) => Buffer;

const allocFresh: EnvelopeAllocator = (size) => Buffer.allocUnsafe(size);

/** Header + payload in one allocation (and one copy of the payload). */
export function encodeEnvelope(header: EnvelopeInput, payload: Uint8Array, alloc: EnvelopeAllocator = allocFresh): Buffer {
  const flags = checkFields(header);
  const index = header.fragmentIndex ?? 0;
  const count = header.fragmentCount ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > MAX_FRAGMENTS || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new RelayError('RELAY_BAD_HEADER', `fragment ${index} of ${count}`);
  }
  const buf = alloc(ENVELOPE_HEADER_SIZE + payload.length);
  writeHeader(buf, header, count > 1 ? flags | EnvelopeFlags.FRAGMENT : flags, index, count, payload.length);
  buf.set(payload, ENVELOPE_HEADER_SIZE);
  return buf;
}

/**
 * One envelope when header + payload fit in `maxPayload` (the server's max_payload), else fragments of at most
 * `maxPayload - ENVELOPE_HEADER_SIZE` payload bytes each: every byte of the payload is copied once, into its
 * envelope. Throws RELAY_PAYLOAD_TOO_LARGE when more than 255 fragments would be needed.
 */
export function encodeEnvelopeFragments(
  header: EnvelopeFields,
  payload: Uint8Array,
  maxPayload: number,
  alloc: EnvelopeAllocator = allocFresh,
): Buffer[] {
  const room = Math.floor(maxPayload) - ENVELOPE_HEADER_SIZE;
  if (!(room > 0)) throw new RelayError('RELAY_PAYLOAD_TOO_LARGE', `max payload ${maxPayload} leaves no room after the header`);
  const length = payload.length;
  if (length <= room) return [encodeEnvelope(header, payload, alloc)];
  const count = Math.ceil(length / room);
  if (count > MAX_FRAGMENTS) {
    throw new RelayError('RELAY_PAYLOAD_TOO_LARGE', `${length} bytes need ${count} fragments of ${room} (max ${MAX_FRAGMENTS})`);
  }
  const flags = checkFields(header) | EnvelopeFlags.FRAGMENT;
  const out = new Array<Buffer>(count);
  for (let i = 0, offset = 0; i < count; i++, offset += room) {
    const part = payload.subarray(offset, Math.min(offset + room, length));
    const buf = alloc(ENVELOPE_HEADER_SIZE + part.length);
    writeHeader(buf, header, flags, i, count, part.length);
    buf.set(part, ENVELOPE_HEADER_SIZE);
    out[i] = buf;
  }
  return out;
}

/** Validates and decodes one envelope; the payload is a view into `buf`. Throws only RelayError. */
export function decodeEnvelope(buf: Uint8Array): DecodedEnvelope {
  const size = buf.length;
  if (size === 0) throw new RelayError('RELAY_BAD_ENVELOPE', 'empty envelope');
  if (buf[0] !== ENVELOPE_VERSION) throw new RelayError('RELAY_UNSUPPORTED_VERSION', `envelope version ${buf[0]}`);
  if (size < ENVELOPE_HEADER_SIZE) {
    throw new RelayError('RELAY_BAD_ENVELOPE', `envelope of ${size} byte(s) is shorter than its ${ENVELOPE_HEADER_SIZE}-byte header`);
  }
  const kind = buf[1];
  if (kind < EnvelopeKind.AUDIO || kind > EnvelopeKind.GOP_END) throw new RelayError('RELAY_BAD_KIND', `envelope kind ${kind}`);
  const flags = buf[2] & KNOWN_FLAGS;
  const fragmentIndex = buf[3];
  const fragmentCount = buf[4];
  if (fragmentCount === 0 || fragmentIndex >= fragmentCount || (fragmentCount > 1) !== ((flags & EnvelopeFlags.FRAGMENT) !== 0)) {
    throw new RelayError('RELAY_BAD_FRAGMENT', `fragment ${fragmentIndex} of ${fragmentCount} with flags 0x${flags.toString(16)}`);
  }
  const payloadLength = ((buf[21] << 24) | (buf[22] << 16) | (buf[23] << 8) | buf[24]) >>> 0;
  if (payloadLength !== size - ENVELOPE_HEADER_SIZE) {
    throw new RelayError('RELAY_BAD_ENVELOPE', `payload length ${payloadLength} but ${size - ENVELOPE_HEADER_SIZE} byte(s) follow the header`);
  }
  const header: EnvelopeHeader = {
    version: ENVELOPE_VERSION,
    kind: kind as EnvelopeKind,
    flags,
    fragmentIndex,
    fragmentCount,
    timestamp: ((buf[5] << 24) | (buf[6] << 16) | (buf[7] << 8) | buf[8]) >>> 0,
    compositionOffset: (buf[9] << 24) | (buf[10] << 16) | (buf[11] << 8) | buf[12],
    sequence: ((buf[13] << 24) | (buf[14] << 16) | (buf[15] << 8) | buf[16]) >>> 0,
    epoch: ((buf[17] << 24) | (buf[18] << 16) | (buf[19] << 8) | buf[20]) >>> 0,
    payloadLength,
  };
  return { header, payload: buf.subarray(ENVELOPE_HEADER_SIZE) };
}

export interface FragmentAssemblerOptions {
  /** Messages being reassembled at once (several only while two publishers/epochs interleave). Default 4. */
  maxInFlight?: number;
  /** Largest reassembled message; a bigger one is dropped. Default 16 MiB. */
  maxMessageBytes?: number;
}

export interface FragmentAssemblerStats {
  /** Incomplete messages given up: a newer sequence started, a fragment was missing or out of order, or evicted. */
  droppedMessages: number;
  /** Fragments that belonged to no message being assembled (their first fragment was lost or dropped). */
  droppedFragments: number;
  /** Messages dropped because they grew past maxMessageBytes. */
  oversized: number;
}

interface InFlight {
  header: EnvelopeHeader;
  parts: Uint8Array[];
  next: number;
  bytes: number;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * Reassembles fragmented envelopes. Fragments of one message arrive in order from one publisher (NATS keeps the
 * order of one connection), so a fragment that is not the next one, or a new sequence number from the same epoch,
 * ends the message in progress: it is dropped and counted. Parts are kept as views; the complete payload is
 * copied once into one buffer.
 */
export class FragmentAssembler {
  private readonly maxInFlight: number;
  private readonly maxBytes: number;
  private readonly inFlight: InFlight[] = [];
  readonly stats: FragmentAssemblerStats = { droppedMessages: 0, droppedFragments: 0, oversized: 0 };

  constructor(options: FragmentAssemblerOptions = {}) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 4);
    this.maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** Messages currently being reassembled. */
  get pending(): number {
    return this.inFlight.length;
  }

  /**
   * Feeds one decoded envelope. A non-fragmented one is returned as it is (and ends any message of its epoch still
   * in progress); a fragment returns the complete message when it was the last one, else undefined.
   */
  push(env: DecodedEnvelope): DecodedEnvelope | undefined {
    const h = env.header;
    const list = this.inFlight;
    if (h.fragmentCount === 1) {
      if (list.length > 0) this.dropStale(h.epoch, h.sequence);
      return env;
    }
    let entry: InFlight | undefined;
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (e.header.epoch === h.epoch && e.header.sequence === h.sequence) {
        entry = e;
        break;
      }
    }
    if (entry === undefined) {
      this.dropStale(h.epoch, h.sequence);
      if (h.fragmentIndex !== 0) {
        this.stats.droppedFragments++;
        return undefined;
      }
      if (list.length >= this.maxInFlight) {
        list.shift();
        this.stats.droppedMessages++;
      }
      entry = { header: h, parts: [], next: 0, bytes: 0 };
      list.push(entry);
    }
    if (h.fragmentIndex !== entry.next || h.fragmentCount !== entry.header.fragmentCount) {
      this.remove(entry);
      this.stats.droppedMessages++;
      this.stats.droppedFragments++;
      return undefined;
    }
    entry.bytes += env.payload.length;
    if (entry.bytes > this.maxBytes) {
      this.remove(entry);
      this.stats.oversized++;
      return undefined;
    }
    entry.parts.push(env.payload);
    entry.next++;
    if (entry.next < h.fragmentCount) return undefined;

    this.remove(entry);
    const payload = Buffer.allocUnsafe(entry.bytes);
    let offset = 0;
    for (const part of entry.parts) {
      payload.set(part, offset);
      offset += part.length;
    }
    const first = entry.header;
    return {
      header: { ...first, fragmentIndex: 0, payloadLength: entry.bytes },
      payload,
    };
  }

  /** Forgets every message in progress (not counted as dropped). */
  clear(): void {
    this.inFlight.length = 0;
  }

  private dropStale(epoch: number, sequence: number): void {
    const list = this.inFlight;
    for (let i = list.length - 1; i >= 0; i--) {
      const e = list[i].header;
      if (e.epoch === epoch && e.sequence !== sequence) {
        list.splice(i, 1);
        this.stats.droppedMessages++;
      }
    }
  }

  private remove(entry: InFlight): void {
    const i = this.inFlight.indexOf(entry);
    if (i >= 0) this.inFlight.splice(i, 1);
  }
}
