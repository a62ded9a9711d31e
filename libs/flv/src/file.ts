/**
 * The FLV file layer (video_file_format_spec_v10_1, Annex E.2 "The FLV header" and E.3 "The FLV file body",
 * E.4.1 "FLV tags"):
 *
 *   FLV header:  'F' 'L' 'V' | Version UI8 (1) | TypeFlagsReserved UB[5] TypeFlagsAudio UB[1]
 *                TypeFlagsReserved UB[1] TypeFlagsVideo UB[1] | DataOffset UI32 (header length, 9 for v1)
 *   body:        PreviousTagSize0 UI32 (always 0), then { Tag, PreviousTagSize UI32 (11 + DataSize) } ...
 *   tag header:  Reserved UB[2] Filter UB[1] TagType UB[5] (8 audio, 9 video, 18 script data)
 *                DataSize UI24 | Timestamp UI24 | TimestampExtended UI8 (bits 31..24) | StreamID UI24 (0)
 *
 * FlvFileReader treats each PreviousTagSize as the prefix of the tag after it, so a tag is handed out as soon as
 * its last body byte arrives. The PreviousTagSize values are not checked against the tags (encoders that write
 * wrong ones exist; FFmpeg accepts several variants too).
 */
import { FlvError } from './errors';

export const FlvTagType = {
  AUDIO: 8,
  VIDEO: 9,
  SCRIPT: 18,
} as const;

export const FLV_HEADER_SIZE = 9;
export const FLV_TAG_HEADER_SIZE = 11;
export const FLV_PREVIOUS_TAG_SIZE_SIZE = 4;
/** Largest body the 24-bit DataSize field can describe. */
export const FLV_MAX_DATA_SIZE = 0xffffff;
export const DEFAULT_MAX_TAG_SIZE = 16 * 1024 * 1024;

export interface FlvHeader {
  version: number;
  hasAudio: boolean;
  hasVideo: boolean;
  /** Length of the header in bytes (9 for version 1; larger values leave bytes to skip). */
  dataOffset: number;
}

export interface FlvTag {
  /** TagType (UB[5]): 8 audio, 9 video, 18 script data; other values are handed out as they are. */
  type: number;
  /** Milliseconds, Timestamp | TimestampExtended << 24, as an unsigned 32-bit value. */
  timestamp: number;
  /** StreamID, always 0 in files. */
  streamId: number;
  /** Filter bit: the body is preceded by an EncryptionHeader / FilterParams (not decoded here). */
  filter: boolean;
  /** The tag body: a view into the pushed chunk when the tag lay within one chunk, else a copy. */
  body: Uint8Array;
}

/** Parses the 9-byte FLV header at the start of `buf`. */
export function parseFlvHeader(buf: Uint8Array): FlvHeader {
  if (buf.length < FLV_HEADER_SIZE) {
    throw new FlvError('FLV_TRUNCATED', `FLV header: need ${FLV_HEADER_SIZE} bytes, ${buf.length} available`);
  }
  if (buf[0] !== 0x46 || buf[1] !== 0x4c || buf[2] !== 0x56) {
    throw new FlvError('FLV_BAD_HEADER', 'signature is not "FLV"');
  }
  const dataOffset = ((buf[5] << 24) | (buf[6] << 16) | (buf[7] << 8) | buf[8]) >>> 0;
  if (dataOffset < FLV_HEADER_SIZE) throw new FlvError('FLV_BAD_HEADER', `DataOffset ${dataOffset} is below ${FLV_HEADER_SIZE}`);
  return { version: buf[3], hasAudio: (buf[4] & 0x04) !== 0, hasVideo: (buf[4] & 0x01) !== 0, dataOffset };
}

/** The FLV header (version 1) followed by PreviousTagSize0, 13 bytes: what a file starts with before its first tag. */
export function encodeFlvHeader(flags: { audio: boolean; video: boolean }): Buffer {
  const b = Buffer.alloc(FLV_HEADER_SIZE + FLV_PREVIOUS_TAG_SIZE_SIZE);
  b[0] = 0x46;
  b[1] = 0x4c;
  b[2] = 0x56;
  b[3] = 1;
  b[4] = (flags.audio ? 0x04 : 0) | (flags.video ? 0x01 : 0);
  b.writeUInt32BE(FLV_HEADER_SIZE, 5);
  return b;
}

/** Normalizes a millisecond timestamp to the 32 bits FLV (and RTMP) carry: truncated, modulo 2^32. */
function timestamp32(ms: number): number {
  if (!Number.isFinite(ms)) throw new FlvError('FLV_INVALID', `timestamp ${ms} is not a finite number`);
  const t = Math.trunc(ms) % 2 ** 32;
  return t < 0 ? t + 2 ** 32 : t;
}

/**
 * Writes the 11-byte tag header at `offset` of `target` (for writers that lay tags out in their own buffers)
 * and returns the offset after it. The timestamp is taken modulo 2^32; its bits 31..24 go to TimestampExtended.
 */
export function writeFlvTagHeader(target: Uint8Array, offset: number, type: number, timestamp: number, dataSize: number): number {
  if (!Number.isInteger(type) || type < 0 || type > 0x1f) throw new FlvError('FLV_INVALID', `TagType ${type} does not fit UB[5]`);
  if (!Number.isInteger(dataSize) || dataSize < 0) throw new FlvError('FLV_INVALID', `DataSize ${dataSize} is not a size`);
  if (dataSize > FLV_MAX_DATA_SIZE) throw new FlvError('FLV_TAG_TOO_LARGE', `DataSize ${dataSize} does not fit UI24`);
  if (!Number.isInteger(offset) || offset < 0 || offset + FLV_TAG_HEADER_SIZE > target.length) {
    throw new FlvError('FLV_INVALID', `no room for a tag header at offset ${offset} of ${target.length} bytes`);
  }
  const ts = timestamp32(timestamp);
  target[offset] = type;
  target[offset + 1] = (dataSize >> 16) & 0xff;
  target[offset + 2] = (dataSize >> 8) & 0xff;
  target[offset + 3] = dataSize & 0xff;
  target[offset + 4] = (ts >>> 16) & 0xff;
  target[offset + 5] = (ts >>> 8) & 0xff;
  target[offset + 6] = ts & 0xff;
  target[offset + 7] = (ts >>> 24) & 0xff;
  target[offset + 8] = 0;
  target[offset + 9] = 0;
  target[offset + 10] = 0;
  return offset + FLV_TAG_HEADER_SIZE;
}

/** One whole tag: 11-byte header, body, and the PreviousTagSize (11 + body length) that follows it. */
export function encodeFlvTag(type: number, timestampMs: number, body: Uint8Array): Buffer {
  if (body.length > FLV_MAX_DATA_SIZE) throw new FlvError('FLV_TAG_TOO_LARGE', `tag body of ${body.length} bytes does not fit UI24`);
  const out = Buffer.allocUnsafe(FLV_TAG_HEADER_SIZE + body.length + FLV_PREVIOUS_TAG_SIZE_SIZE);
  writeFlvTagHeader(out, 0, type, timestampMs, body.length);
  out.set(body, FLV_TAG_HEADER_SIZE);
  out.writeUInt32BE(FLV_TAG_HEADER_SIZE + body.length, FLV_TAG_HEADER_SIZE + body.length);
  return out;
}

export interface FlvFileReaderOptions {
  /** Largest tag body accepted (default 16 MiB); bigger DataSize values fail with FLV_TAG_TOO_LARGE. */
  maxTagSize?: number;
}

enum State {
  Header,
  SkipHeader,
  TagHeader,
  Body,
  Failed,
}

/** PreviousTagSize (4) + tag header (11): the fixed-size prefix of every tag in this reader's view. */
const TAG_PREFIX = FLV_PREVIOUS_TAG_SIZE_SIZE + FLV_TAG_HEADER_SIZE;

/**
 * Incremental FLV file parser: push chunks as they arrive, get the tags completed by each one. Tags may be split
 * across pushes at any byte. A body lying wholly inside one chunk is returned as a subarray of that chunk (so
 * callers must not reuse pushed buffers while they hold tags); only bodies spanning chunks are copied.
 * After an error, every further push throws the same error.
 */
export class FlvFileReader {
  /** The file header, once its 9 bytes have arrived. */
  header?: FlvHeader;
  private readonly maxTagSize: number;
  private state = State.Header;
  private readonly scratch = new Uint8Array(TAG_PREFIX);
  private scratchFill = 0;
  private skipLeft = 0;
  private pending?: Omit<FlvTag, 'body'> & { size: number };
  private bodyBuf?: Uint8Array;
  private bodyFill = 0;
  private failure?: FlvError;

  constructor(options: FlvFileReaderOptions = {}) {
    const max = options.maxTagSize ?? DEFAULT_MAX_TAG_SIZE;
    if (!Number.isInteger(max) || max < 0) throw new FlvError('FLV_INVALID', `maxTagSize ${max} is not a size`);
    this.maxTagSize = max;
  }

  /** Bytes held for an incomplete header or tag. */
  get bufferedBytes(): number {
    if (this.state === State.Body) return TAG_PREFIX + this.bodyFill;
    return this.scratchFill;
  }

  push(chunk: Uint8Array): FlvTag[] {
    if (this.failure) throw this.failure;
    try {
      return this.consume(chunk);
    } catch (err) {
      this.state = State.Failed;
      this.failure = err instanceof FlvError ? err : new FlvError('FLV_INVALID', String(err), { cause: err });
      throw this.failure;
    }
  }

  /**
   * Declares the end of the input: throws FLV_TRUNCATED when it stops inside the header or a tag. Ending right
   * after a tag body, with or without its trailing PreviousTagSize, is a complete file.
   */
  end(): void {
    if (this.failure) throw this.failure;
    const clean = this.state === State.TagHeader && (this.scratchFill === 0 || this.scratchFill === FLV_PREVIOUS_TAG_SIZE_SIZE);
    if (!clean) throw new FlvError('FLV_TRUNCATED', 'input ended inside the FLV header or a tag');
  }

  private consume(chunk: Uint8Array): FlvTag[] {
    const out: FlvTag[] = [];
    let pos = 0;
    const len = chunk.length;
    while (pos < len) {
      switch (this.state) {
        case State.Header: {
          const n = Math.min(FLV_HEADER_SIZE - this.scratchFill, len - pos);
          this.scratch.set(chunk.subarray(pos, pos + n), this.scratchFill);
          this.scratchFill += n;
          pos += n;
          if (this.scratchFill < FLV_HEADER_SIZE) break;
          const header = parseFlvHeader(this.scratch.subarray(0, FLV_HEADER_SIZE));
          if (header.dataOffset - FLV_HEADER_SIZE > this.maxTagSize) {
            throw new FlvError('FLV_BAD_HEADER', `DataOffset ${header.dataOffset} leaves more than maxTagSize bytes to skip`);
          }
          this.header = header;
          this.scratchFill = 0;
          this.skipLeft = header.dataOffset - FLV_HEADER_SIZE;
          this.state = this.skipLeft > 0 ? State.SkipHeader : State.TagHeader;
          break;
        }
        case State.SkipHeader: {
          const n = Math.min(this.skipLeft, len - pos);
          this.skipLeft -= n;
          pos += n;
          if (this.skipLeft === 0) this.state = State.TagHeader;
          break;
        }
        case State.TagHeader: {
          let prefix: Uint8Array;
          let p: number;
          if (this.scratchFill === 0 && len - pos >= TAG_PREFIX) {
            prefix = chunk;
            p = pos;
            pos += TAG_PREFIX;
          } else {
            const n = Math.min(TAG_PREFIX - this.scratchFill, len - pos);
            this.scratch.set(chunk.subarray(pos, pos + n), this.scratchFill);
            this.scratchFill += n;
            pos += n;
            if (this.scratchFill < TAG_PREFIX) break;
            this.scratchFill = 0;
            prefix = this.scratch;
            p = 0;
          }
          const h = p + FLV_PREVIOUS_TAG_SIZE_SIZE;
          const size = (prefix[h + 1] << 16) | (prefix[h + 2] << 8) | prefix[h + 3];
          if (size > this.maxTagSize) {
            throw new FlvError('FLV_TAG_TOO_LARGE', `tag DataSize ${size} exceeds maxTagSize ${this.maxTagSize}`);
          }
          const tag = {
            type: prefix[h] & 0x1f,
            filter: (prefix[h] & 0x20) !== 0,
            timestamp: ((prefix[h + 7] << 24) | (prefix[h + 4] << 16) | (prefix[h + 5] << 8) | prefix[h + 6]) >>> 0,
            streamId: (prefix[h + 8] << 16) | (prefix[h + 9] << 8) | prefix[h + 10],
            size,
          };
          if (size === 0) {
            out.push({ type: tag.type, timestamp: tag.timestamp, streamId: tag.streamId, filter: tag.filter, body: new Uint8Array(0) });
            break;
          }
          if (len - pos >= size) {
            // Zero-copy path: the whole body is inside this chunk.
            out.push({ type: tag.type, timestamp: tag.timestamp, streamId: tag.streamId, filter: tag.filter, body: chunk.subarray(pos, pos + size) });
            pos += size;
            break;
          }
          this.pending = tag;
          this.bodyBuf = Buffer.allocUnsafe(size);
          this.bodyFill = 0;
          this.state = State.Body;
          break;
        }
        case State.Body: {
          const tag = this.pending!;
          const body = this.bodyBuf!;
          const n = Math.min(tag.size - this.bodyFill, len - pos);
          body.set(chunk.subarray(pos, pos + n), this.bodyFill);
          this.bodyFill += n;
          pos += n;
          if (this.bodyFill < tag.size) break;
          out.push({ type: tag.type, timestamp: tag.timestamp, streamId: tag.streamId, filter: tag.filter, body });
          this.pending = undefined;
          this.bodyBuf = undefined;
          this.bodyFill = 0;
          this.state = State.TagHeader;
          break;
        }
        case State.Failed:
          throw this.failure!;
      }
    }
    return out;
  }
}
