/**
 * An incremental FLV stream parser that reads only the framing: the file header and each tag's 11-byte header,
 * checks each PreviousTagSize, and skips the bodies without copying them. For HTTP-FLV and WebSocket-FLV viewers
 * that count bytes and messages at hundreds of Mbit/s (pure: bytes in, callbacks out).
 *
 * Layout (FLV v10.1 spec, E.4): header (signature "FLV", version, flags, UI32 DataOffset), PreviousTagSize0
 * (UI32, 0), then per tag: UI8 type (low 5 bits; bit 5 is the filter flag), UI24 DataSize, UI24 Timestamp,
 * UI8 TimestampExtended (bits 31..24), UI24 StreamID, DataSize bytes of body, UI32 PreviousTagSize = 11 + DataSize.
 * A tag is reported once its last body byte has arrived: the moment a player could use it, and the same moment
 * an RTMP client delivers a message (its last chunk).
 */
import { FLV_HEADER_SIZE, FLV_PREVIOUS_TAG_SIZE_SIZE, FLV_TAG_HEADER_SIZE } from '@ingest/flv';

export type FlvTagHandler = (type: number, timestamp: number, dataSize: number) => void;

export class FlvStreamError extends Error {}

/** Parser states (plain numbers: the switch runs once per header and per body piece). */
const State = { FileHeader: 0, SkipHeader: 1, TagHeader: 2, Body: 3, PreviousSize: 4 } as const;
type State = (typeof State)[keyof typeof State];

export class FlvTagHeaderParser {
  /** Bytes pushed so far. */
  bytes = 0;
  /** Tags completed so far. */
  tags = 0;
  private state: State = State.FileHeader;
  /** The header being collected (file header, tag header or PreviousTagSize) when it is split across pushes. */
  private readonly head = Buffer.alloc(FLV_TAG_HEADER_SIZE);
  private headLength = 0;
  /** Bytes still to skip (SkipHeader, Body). */
  private remaining = 0;
  private tagType = 0;
  private tagTimestamp = 0;
  private tagSize = 0;

  constructor(private readonly onTag: FlvTagHandler) {}

  push(chunk: Uint8Array): void {
    const length = chunk.length;
    this.bytes += length;
    let offset = 0;
    while (offset < length) {
      switch (this.state) {
        case State.FileHeader: {
          offset = this.collect(chunk, offset, FLV_HEADER_SIZE);
          if (this.headLength < FLV_HEADER_SIZE) return;
          const h = this.head;
          if (h[0] !== 0x46 || h[1] !== 0x4c || h[2] !== 0x56) throw new FlvStreamError('FLV signature missing');
          const dataOffset = h.readUInt32BE(5);
          if (dataOffset < FLV_HEADER_SIZE) throw new FlvStreamError(`FLV DataOffset ${dataOffset} is below ${FLV_HEADER_SIZE}`);
          this.headLength = 0;
          // The rest of the header, then PreviousTagSize0.
          this.remaining = dataOffset - FLV_HEADER_SIZE + FLV_PREVIOUS_TAG_SIZE_SIZE;
          this.state = State.SkipHeader;
          break;
        }
        case State.SkipHeader: {
          const take = Math.min(this.remaining, length - offset);
          offset += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = State.TagHeader;
          break;
        }
        case State.TagHeader: {
          let h: Uint8Array;
          let at: number;
          if (this.headLength === 0 && length - offset >= FLV_TAG_HEADER_SIZE) {
            // Whole header in this chunk: read it in place.
            h = chunk;
            at = offset;
            offset += FLV_TAG_HEADER_SIZE;
          } else {
            offset = this.collect(chunk, offset, FLV_TAG_HEADER_SIZE);
            if (this.headLength < FLV_TAG_HEADER_SIZE) return;
            h = this.head;
            at = 0;
            this.headLength = 0;
          }
          this.tagType = h[at] & 0x1f;
          this.tagSize = (h[at + 1] << 16) | (h[at + 2] << 8) | h[at + 3];
          this.tagTimestamp = ((h[at + 7] << 24) | (h[at + 4] << 16) | (h[at + 5] << 8) | h[at + 6]) >>> 0;
          this.remaining = this.tagSize;
          this.state = State.Body;
          if (this.remaining === 0) this.completeTag();
          break;
        }
        case State.Body: {
          const take = Math.min(this.remaining, length - offset);
          offset += take;
          this.remaining -= take;
          if (this.remaining === 0) this.completeTag();
          break;
        }
        case State.PreviousSize: {
          offset = this.collect(chunk, offset, FLV_PREVIOUS_TAG_SIZE_SIZE);
          if (this.headLength < FLV_PREVIOUS_TAG_SIZE_SIZE) return;
          this.headLength = 0;
          const previous = this.head.readUInt32BE(0);
          if (previous !== FLV_TAG_HEADER_SIZE + this.tagSize) {
            throw new FlvStreamError(`PreviousTagSize ${previous} after a ${this.tagSize}-byte tag (expected ${FLV_TAG_HEADER_SIZE + this.tagSize})`);
          }
          this.state = State.TagHeader;
          break;
        }
      }
    }
  }

  /** True between tags (nothing partial pending): where a clean stream ends. */
  get atTagBoundary(): boolean {
    return this.state === State.TagHeader && this.headLength === 0;
  }

  private completeTag(): void {
    this.tags++;
    this.state = State.PreviousSize;
    this.onTag(this.tagType, this.tagTimestamp, this.tagSize);
  }

  /** Copies into `head` until it holds `size` bytes; returns the new offset. */
  private collect(chunk: Uint8Array, offset: number, size: number): number {
    const take = Math.min(size - this.headLength, chunk.length - offset);
    this.head.set(chunk.subarray(offset, offset + take), this.headLength);
    this.headLength += take;
    return offset + take;
  }
}
