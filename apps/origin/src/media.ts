/**
 * A relayed media message on its way to viewers, encoded lazily ONCE per output format and shared by every
 * viewer of that format: the FLV tag (HTTP-FLV and WebSocket-FLV) and the RTMP chunks (per chunk size and
 * message stream id, almost always one variant).
 */
import { writeFlvTagHeader } from '@ingest/flv';
import { encodeChunks } from '@ingest/rtmp';

export const TYPE_AUDIO = 8;
export const TYPE_VIDEO = 9;
export const TYPE_DATA = 18;

/** Chunk stream ids for shared media buffers: distinct from the ones a session's own writer uses (2..6). */
export const SHARED_CSID = { [TYPE_AUDIO]: 7, [TYPE_VIDEO]: 8, [TYPE_DATA]: 9 } as Record<number, number>;

export class OutMessage {
  private flv: Buffer | undefined;
  private rtmp: Buffer | undefined;
  private rtmpKey = -1;
  private rtmpVariants: Map<number, Buffer> | undefined;

  constructor(
    readonly type: number,
    readonly timestamp: number,
    readonly payload: Uint8Array,
    /** Video keyframe carrying coded frames (a viewer may start or resynchronise here). */
    readonly keyframe: boolean,
    /** Metadata or a codec sequence header: every viewer needs it, it is never dropped. */
    readonly config: boolean,
  ) {}

  get isVideo(): boolean {
    return this.type === TYPE_VIDEO;
  }

  /** FLV tag: header(11) + body + PreviousTagSize(4), built once. */
  flvTag(): Buffer {
    if (!this.flv) {
      const size = this.payload.length;
      const tag = Buffer.allocUnsafe(11 + size + 4);
      writeFlvTagHeader(tag, 0, this.type, this.timestamp, size);
      tag.set(this.payload, 11);
      tag.writeUInt32BE(11 + size, 11 + size);
      this.flv = tag;
    }
    return this.flv;
  }

  /** RTMP chunks with a type 0 first header, so the bytes do not depend on the connection's history. */
  rtmpChunks(chunkSize: number, streamId: number): Buffer {
    const key = chunkSize * 64 + streamId;
    if (this.rtmp && this.rtmpKey === key) return this.rtmp;
    if (!this.rtmp) {
      this.rtmpKey = key;
      this.rtmp = encodeChunks(chunkSize, 0, SHARED_CSID[this.type] ?? 9, this.type, streamId, this.timestamp, this.payload);
      return this.rtmp;
    }
    this.rtmpVariants ??= new Map();
    let variant = this.rtmpVariants.get(key);
    if (!variant) {
      variant = encodeChunks(chunkSize, 0, SHARED_CSID[this.type] ?? 9, this.type, streamId, this.timestamp, this.payload);
      this.rtmpVariants.set(key, variant);
    }
    return variant;
  }
}
