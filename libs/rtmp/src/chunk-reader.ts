/**
 * Chunk stream reader (RTMP specification 1.0, section 5.3): bytes in, whole messages out.
 *
 * Chunk format (5.3.1):
 *   +--------------+----------------+--------------------+--------------+
 *   | Basic Header | Message Header | Extended Timestamp |  Chunk Data  |
 *   +--------------+----------------+--------------------+--------------+
 *   | 1, 2, 3 bytes| 0, 3, 7, 11    |      0 or 4        |  <= chunk    |
 *
 * Basic header (5.3.1.1): fmt = byte0 >> 6; csid = byte0 & 0x3f, where 0 means csid = 64 + byte1 and 1 means
 * csid = 64 + byte1 + 256 * byte2 (so ids 2..65599).
 * Message header (5.3.1.2): fmt 0 = timestamp(3) length(3) type(1) stream id(4, little endian);
 * fmt 1 = delta(3) length(3) type(1); fmt 2 = delta(3); fmt 3 = nothing.
 * Extended timestamp (5.3.1.3): present when the 3-byte field is 0xFFFFFF. Whether continuation (type 3)
 * chunks repeat it differs between encoders, so for those it is consumed only when the next 4 bytes equal it
 * (the approach SRS takes).
 *
 * A message whose payload sits in one chunk inside one read is handed over as a view of the input; others are
 * assembled into one buffer of the message's length (the only copy). Set Chunk Size and Abort are applied here,
 * because they change how the following bytes are parsed, and are also delivered to the caller.
 */
import { DEFAULT_CHUNK_SIZE, MessageType } from './constants';
import { RtmpError } from './errors';

export interface RtmpMessage {
  /** Chunk stream id the message arrived on. */
  csid: number;
  type: number;
  /** Message stream id. */
  streamId: number;
  /** Absolute timestamp in milliseconds, modulo 2^32. */
  timestamp: number;
  payload: Buffer;
}

export interface ChunkReaderLimits {
  /** Largest message accepted (the 3-byte length field allows 16 MiB - 1). */
  maxMessageSize: number;
  /** Distinct chunk stream ids one peer may use. */
  maxChunkStreams: number;
  /** Bytes held by partially received messages across all chunk streams. */
  maxBufferedBytes: number;
  /** Accepted range for the peer's Set Chunk Size. */
  minChunkSize: number;
  maxChunkSize: number;
}

export const DEFAULT_CHUNK_READER_LIMITS: ChunkReaderLimits = {
  maxMessageSize: 8 * 1024 * 1024,
  maxChunkStreams: 64,
  maxBufferedBytes: 32 * 1024 * 1024,
  // The spec allows 1 byte, but no encoder goes below the 128-byte default, and tiny chunks only multiply
  // per-chunk work; SRS uses the same range floor.
  minChunkSize: 128,
  // No message can be longer than 0xFFFFFF bytes, so larger chunk sizes mean nothing.
  maxChunkSize: 0xffffff,
};

class ChunkStreamState {
  timestamp = 0;
  /** Timestamp delta applied by a type-3 chunk that starts a new message. */
  delta = 0;
  length = 0;
  type = 0;
  streamId = 0;
  /** The last type 0..2 header used an extended timestamp field, and its value. */
  extended = false;
  extendedValue = 0;
  /** Partially received message. */
  buffer: Buffer | undefined;
  filled = 0;
  constructor(readonly csid: number) {}
}

export class ChunkReader {
  /** Peer's current chunk size (Set Chunk Size changes it). */
  chunkSize = DEFAULT_CHUNK_SIZE;
  /** Total bytes fed in (for Acknowledgement). */
  bytesReceived = 0;
  private readonly limits: ChunkReaderLimits;
  private readonly streams = new Map<number, ChunkStreamState>();
  private stash: Buffer | undefined;
  /** Chunk stream whose payload is being copied, and bytes of it left in this chunk. */
  private current: ChunkStreamState | undefined;
  private leftInChunk = 0;
  private buffered = 0;
  private stopped = false;

  constructor(
    private readonly onMessage: (message: RtmpMessage) => void,
    limits: Partial<ChunkReaderLimits> = {},
  ) {
    this.limits = { ...DEFAULT_CHUNK_READER_LIMITS, ...limits };
  }

  /** Stops delivering messages (the session closed); later input is ignored. */
  stop(): void {
    this.stopped = true;
    for (const st of this.streams.values()) st.buffer = undefined;
    this.buffered = 0;
  }

  get chunkStreamCount(): number {
    return this.streams.size;
  }

  push(data: Buffer): void {
    if (this.stopped) return;
    this.bytesReceived += data.length;
    let buf = data;
    if (this.stash) {
      buf = Buffer.concat([this.stash, data]);
      this.stash = undefined;
    }
    let pos = 0;
    const end = buf.length;
    while (pos < end && !this.stopped) {
      const st = this.current;
      if (st) {
        // Copying the rest of a chunk's payload into its message buffer.
        const n = Math.min(this.leftInChunk, end - pos);
        buf.copy(st.buffer!, st.filled, pos, pos + n);
        st.filled += n;
        pos += n;
        this.leftInChunk -= n;
        if (this.leftInChunk === 0) {
          this.current = undefined;
          if (st.filled === st.length) this.complete(st, st.buffer!);
        }
        continue;
      }
      const next = this.readChunkHeader(buf, pos, end);
      if (next < 0) {
        // Header incomplete: keep its bytes (at most 18) for the next read.
        this.stash = Buffer.from(buf.subarray(pos, end));
        return;
      }
      pos = next;
    }
  }

  /**
   * handle_chunk_header: parses one chunk header at `pos` and starts its payload.
   * Returns the position after what it consumed, or -1 when the header is not complete yet.
   */
  private readChunkHeader(buf: Buffer, start: number, end: number): number {
    let pos = start;
    const b0 = buf[pos++];
    const fmt = b0 >> 6;
    let csid = b0 & 0x3f;
    if (csid === 0) {
      if (end - pos < 1) return -1;
      csid = 64 + buf[pos++];
    } else if (csid === 1) {
      if (end - pos < 2) return -1;
      csid = 64 + buf[pos] + 256 * buf[pos + 1];
      pos += 2;
    }
    const headerSize = fmt === 0 ? 11 : fmt === 1 ? 7 : fmt === 2 ? 3 : 0;
    if (end - pos < headerSize) return -1;

    let st = this.streams.get(csid);
    if (!st) {
      if (fmt > 1) {
        throw new RtmpError('RTMP_BAD_CHUNK_HEADER', `chunk stream ${csid} starts with a type ${fmt} header`);
      }
      if (this.streams.size >= this.limits.maxChunkStreams) {
        throw new RtmpError('RTMP_TOO_MANY_CHUNK_STREAMS', `more than ${this.limits.maxChunkStreams} chunk stream ids in use`);
      }
      st = new ChunkStreamState(csid);
      this.streams.set(csid, st);
    }

    const continuation = fmt === 3 && st.filled > 0;
    let tsField = 0;
    let length = st.length;
    let type = st.type;
    let streamId = st.streamId;
    if (fmt <= 2) {
      tsField = (buf[pos] << 16) | (buf[pos + 1] << 8) | buf[pos + 2];
      if (fmt <= 1) {
        length = (buf[pos + 3] << 16) | (buf[pos + 4] << 8) | buf[pos + 5];
        type = buf[pos + 6];
        if (fmt === 0) streamId = buf.readUInt32LE(pos + 7);
      }
    }
    pos += headerSize;

    let extended = fmt <= 2 ? tsField === 0xffffff : st.extended;
    let extendedValue = 0;
    if (extended) {
      if (end - pos < 4) return -1;
      extendedValue = buf.readUInt32BE(pos);
      if (continuation && extendedValue !== st.extendedValue) {
        // The encoder does not repeat the extended timestamp in continuation chunks: these 4 bytes are payload.
        extended = false;
      } else {
        pos += 4;
      }
    }

    // Only now is the header complete: commit it to the chunk stream state.
    if (!continuation) {
      if (st.filled > 0) {
        // A new message header while a message was partly received: the partial message is dropped.
        this.release(st);
      }
      if (fmt <= 1 && length > this.limits.maxMessageSize) {
        throw new RtmpError(
          'RTMP_MESSAGE_TOO_LARGE',
          `message of ${length} bytes on chunk stream ${csid} exceeds the ${this.limits.maxMessageSize}-byte cap`,
        );
      }
      const value = extended ? extendedValue : tsField;
      if (fmt === 0) {
        st.timestamp = value;
        st.delta = value;
      } else if (fmt <= 2) {
        st.delta = value;
        st.timestamp = (st.timestamp + value) >>> 0;
      } else {
        // Section 5.3.1.2.4: a type 3 chunk that starts a message repeats the previous delta.
        st.timestamp = (st.timestamp + (extended ? extendedValue : st.delta)) >>> 0;
      }
      if (fmt <= 2) {
        st.extended = extended;
        st.extendedValue = extendedValue;
      }
      st.length = length;
      st.type = type;
      st.streamId = streamId;
    }

    const remaining = st.length - st.filled;
    const inChunk = remaining < this.chunkSize ? remaining : this.chunkSize;
    if (st.filled === 0 && inChunk === st.length && end - pos >= inChunk) {
      // Whole message in this chunk and in this read: hand over a view, no copy.
      this.complete(st, buf.subarray(pos, pos + inChunk));
      return pos + inChunk;
    }
    if (!st.buffer) {
      if (this.buffered + st.length > this.limits.maxBufferedBytes) {
        throw new RtmpError('RTMP_BUFFER_LIMIT', `partial messages would hold more than ${this.limits.maxBufferedBytes} bytes`);
      }
      st.buffer = Buffer.allocUnsafe(st.length);
      this.buffered += st.length;
    }
    this.current = st;
    this.leftInChunk = inChunk;
    return pos;
  }

  private release(st: ChunkStreamState): void {
    if (st.buffer) this.buffered -= st.buffer.length;
    st.buffer = undefined;
    st.filled = 0;
  }

  private complete(st: ChunkStreamState, payload: Buffer): void {
    if (st.buffer) this.release(st);
    st.filled = 0;
    const message: RtmpMessage = {
      csid: st.csid,
      type: st.type,
      streamId: st.streamId,
      timestamp: st.timestamp,
      payload,
    };
    if (st.type === MessageType.SetChunkSize) this.applyChunkSize(payload);
    else if (st.type === MessageType.Abort && payload.length >= 4) {
      const target = this.streams.get(payload.readUInt32BE(0));
      if (target) this.release(target);
    }
    this.onMessage(message);
  }

  /** Section 5.4.1: 31-bit chunk size, the first bit MUST be zero. */
  private applyChunkSize(payload: Buffer): void {
    if (payload.length < 4) throw new RtmpError('RTMP_BAD_MESSAGE', `Set Chunk Size with a ${payload.length}-byte body`);
    const size = payload.readUInt32BE(0);
    if (size < this.limits.minChunkSize || size > this.limits.maxChunkSize) {
      throw new RtmpError(
        'RTMP_BAD_CHUNK_SIZE',
        `Set Chunk Size ${size} is outside ${this.limits.minChunkSize}..${this.limits.maxChunkSize}`,
      );
    }
    this.chunkSize = size;
  }
}
