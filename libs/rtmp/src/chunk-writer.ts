/**
 * Chunk stream writer (RTMP specification 1.0, section 5.3): one message in, its chunks out as one buffer.
 *
 * `encode` picks the smallest header that is correct for the chunk stream (as FFmpeg's rtmppkt.c does):
 *   type 0 (11 bytes) for the first message, a new message stream id or a timestamp that went backwards;
 *   type 1 (7 bytes) when length or type changed; type 2 (3 bytes) when only the delta changed;
 *   type 3 (0 bytes) when the delta, length and type repeat.
 * `encodeStandalone` always starts with a type 0 header, so its bytes do not depend on what the connection
 * sent before: an origin encodes a message once and writes the same buffer to every viewer.
 * Continuation chunks are type 3 and repeat the extended timestamp when there is one (5.3.1.3).
 */
import { DEFAULT_CHUNK_SIZE } from './constants';

interface WriterStreamState {
  streamId: number;
  type: number;
  length: number;
  timestamp: number;
  delta: number;
}

function basicHeaderSize(csid: number): number {
  return csid < 64 ? 1 : csid < 320 ? 2 : 3;
}

/** Section 5.3.1.1 basic header. */
function writeBasicHeader(out: Buffer, pos: number, fmt: number, csid: number): number {
  if (csid < 64) {
    out[pos] = (fmt << 6) | csid;
    return pos + 1;
  }
  if (csid < 320) {
    out[pos] = fmt << 6;
    out[pos + 1] = csid - 64;
    return pos + 2;
  }
  out[pos] = (fmt << 6) | 1;
  out[pos + 1] = (csid - 64) & 0xff;
  out[pos + 2] = (csid - 64) >> 8;
  return pos + 3;
}

function writeUInt24(out: Buffer, pos: number, value: number): void {
  out[pos] = (value >> 16) & 0xff;
  out[pos + 1] = (value >> 8) & 0xff;
  out[pos + 2] = value & 0xff;
}

/**
 * Encodes a message into chunks with the given first-chunk header type and timestamp field value.
 * `tsValue` is the absolute timestamp (fmt 0) or the delta (fmt 1..3).
 */
export function encodeChunks(
  chunkSize: number,
  fmt: 0 | 1 | 2 | 3,
  csid: number,
  type: number,
  streamId: number,
  tsValue: number,
  payload: Uint8Array,
): Buffer {
  const length = payload.length;
  const extended = tsValue >= 0xffffff;
  const basic = basicHeaderSize(csid);
  const messageHeader = fmt === 0 ? 11 : fmt === 1 ? 7 : fmt === 2 ? 3 : 0;
  const chunks = length === 0 ? 1 : Math.ceil(length / chunkSize);
  const extSize = extended ? 4 : 0;
  const size = basic + messageHeader + extSize + (chunks - 1) * (basic + extSize) + length;
  const out = Buffer.allocUnsafe(size);
  let pos = writeBasicHeader(out, 0, fmt, csid);
  if (fmt <= 2) {
    writeUInt24(out, pos, extended ? 0xffffff : tsValue);
    pos += 3;
    if (fmt <= 1) {
      writeUInt24(out, pos, length);
      out[pos + 3] = type;
      pos += 4;
      if (fmt === 0) {
        out.writeUInt32LE(streamId >>> 0, pos);
        pos += 4;
      }
    }
  }
  if (extended) {
    out.writeUInt32BE(tsValue >>> 0, pos);
    pos += 4;
  }
  let offset = 0;
  for (;;) {
    const n = Math.min(chunkSize, length - offset);
    out.set(n === length ? payload : payload.subarray(offset, offset + n), pos);
    pos += n;
    offset += n;
    if (offset >= length) break;
    pos = writeBasicHeader(out, pos, 3, csid);
    if (extended) {
      out.writeUInt32BE(tsValue >>> 0, pos);
      pos += 4;
    }
  }
  return out;
}

export class ChunkWriter {
  /** Our outgoing chunk size; announce it with a Set Chunk Size message before changing it. */
  chunkSize = DEFAULT_CHUNK_SIZE;
  private readonly last = new Map<number, WriterStreamState>();

  /** gen_chunks: smallest correct header for this chunk stream. */
  encode(csid: number, type: number, streamId: number, timestamp: number, payload: Uint8Array): Buffer {
    timestamp = timestamp >>> 0;
    const prev = this.last.get(csid);
    const length = payload.length;
    let out: Buffer;
    if (!prev || prev.streamId !== streamId || timestamp < prev.timestamp) {
      out = encodeChunks(this.chunkSize, 0, csid, type, streamId, timestamp, payload);
      this.last.set(csid, { streamId, type, length, timestamp, delta: timestamp });
      return out;
    }
    const delta = timestamp - prev.timestamp;
    if (prev.type !== type || prev.length !== length) {
      out = encodeChunks(this.chunkSize, 1, csid, type, streamId, delta, payload);
    } else if (delta !== prev.delta) {
      out = encodeChunks(this.chunkSize, 2, csid, type, streamId, delta, payload);
    } else {
      out = encodeChunks(this.chunkSize, 3, csid, type, streamId, delta, payload);
    }
    prev.type = type;
    prev.length = length;
    prev.timestamp = timestamp;
    prev.delta = delta;
    return out;
  }

  /**
   * Type 0 header regardless of state. Also resets this writer's state for the chunk stream, so that a
   * connection can mix shared standalone buffers with its own `encode` calls.
   */
  encodeStandalone(csid: number, type: number, streamId: number, timestamp: number, payload: Uint8Array): Buffer {
    this.forget(csid);
    return encodeChunks(this.chunkSize, 0, csid, type, streamId, timestamp >>> 0, payload);
  }

  /** The next message on this chunk stream starts with a type 0 header. */
  forget(csid: number): void {
    this.last.delete(csid);
  }
}
