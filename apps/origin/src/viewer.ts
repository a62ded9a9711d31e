/**
 * A viewer of one stream over one protocol. The hub queues shared, already-encoded messages in `pending` and
 * flushes them together (hub.ts): one write per viewer per flush, of a buffer that every in-step viewer of the same
 * format shares. Back-pressure: the hub looks at `buffered()` (bytes queued in this process for the socket).
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { OutMessage } from './media';

export type ViewerProtocol = 'rtmp' | 'http-flv' | 'ws-flv';

let nextViewerId = 1;

export abstract class Viewer {
  readonly id = nextViewerId++;
  /** Drop everything but config until the next keyframe (new viewer, paused, or after falling behind). */
  waitingForKeyframe = true;
  /** When the viewer's backlog first went above the high-water mark (0 = not behind). */
  behindSince = 0;
  droppedFrames = 0;
  bytesSent = 0;
  closed = false;
  /**
   * Messages this viewer takes, in order, when it does not take the hub's whole batch (joining, paused, behind or
   * waiting for a keyframe); written by flushPending.
   */
  readonly pending: OutMessage[] = [];
  /** Set by the hub when the viewer joins during a batch: the first message of the batch that is new to it. */
  batchFrom = 0;
  onClose: ((viewer: Viewer, reason: string) => void) | undefined;

  constructor(
    readonly protocol: ViewerProtocol,
    readonly remote: string,
  ) {}

  /** Paused viewers (RTMP pause) get config only. */
  get paused(): boolean {
    return false;
  }

  abstract buffered(): number;
  /**
   * Viewers with the same key get byte-identical encodings of every message (FLV tags; RTMP chunks for one chunk
   * size and message stream id), so a flush can hand them one shared buffer.
   */
  abstract readonly formatKey: number;
  /** The message in this viewer's format (shared, built once per format by OutMessage). */
  abstract encode(message: OutMessage): Buffer;
  /** One write of already-framed bytes to the transport. */
  protected abstract writeBytes(bytes: Buffer): void;
  /**
   * Several already-framed buffers in order, as one write. This default concatenates them; socket viewers override
   * it with a gathered write (cork, write each, uncork: one writev of the shared buffers, nothing copied).
   */
  protected writeList(list: Buffer[]): void {
    this.writeBytes(Buffer.concat(list));
  }
  protected abstract end(reason: string, graceful: boolean): void;

  /** Writes bytes that hold whole messages in this viewer's format. */
  write(bytes: Buffer): void {
    if (this.closed) return;
    this.writeBytes(bytes);
    this.bytesSent += bytes.length;
  }

  /**
   * Writes what is pending in one write: the messages' shared encodings, gathered (writeList). This is the path of
   * a joining viewer (the whole join cache) and of a viewer that is out of step with the batch; it allocates no
   * per-viewer copy where the transport can gather.
   */
  flushPending(): void {
    const pending = this.pending;
    const n = pending.length;
    if (n === 0) return;
    if (n === 1) {
      this.write(this.encode(pending[0]));
    } else if (!this.closed) {
      const list = new Array<Buffer>(n);
      let bytes = 0;
      for (let i = 0; i < n; i++) {
        list[i] = this.encode(pending[i]);
        bytes += list[i].length;
      }
      this.writeList(list);
      this.bytesSent += bytes;
    }
    pending.length = 0;
  }

  /** The stream ended (publisher left): tell the player if the protocol can, then close. */
  abstract streamEnded(): void;

  close(reason: string, graceful = false): void {
    if (this.closed) return;
    if (graceful) this.flushPending();
    else this.pending.length = 0;
    this.closed = true;
    this.end(reason, graceful);
    this.onClose?.(this, reason);
  }
}

/** Every FLV viewer (HTTP and WebSocket) shares one encoding. */
export const FLV_FORMAT = -1;

/** The messages' encodings for `viewer`, concatenated (one allocation; a single message's shared encoding as it is). */
export function concatEncoded(viewer: Viewer, messages: readonly OutMessage[]): Buffer {
  if (messages.length === 1) return viewer.encode(messages[0]);
  let length = 0;
  for (let i = 0; i < messages.length; i++) length += viewer.encode(messages[i]).length;
  const out = Buffer.allocUnsafe(length);
  let offset = 0;
  for (let i = 0; i < messages.length; i++) {
    const bytes = viewer.encode(messages[i]);
    out.set(bytes, offset);
    offset += bytes.length;
  }
  return out;
}

/**
 * One gathered write of `list` to a socket: corked writes are handed to the handle together on uncork (Node's
 * writev: the buffers themselves, no copy), so a join cache of hundreds of shared messages costs one system call and
 * no per-viewer allocation.
 */
function writeGathered(socket: Socket, list: readonly Buffer[]): void {
  socket.cork();
  for (let i = 0; i < list.length; i++) socket.write(list[i]);
  socket.uncork();
}

/** What HTTP-FLV and WebSocket-FLV viewers share: the FLV header first, then FLV tags; no end-of-stream message. */
abstract class FlvViewer extends Viewer {
  readonly formatKey = FLV_FORMAT;
  writeHeader(header: Buffer): void {
    this.write(header);
  }
  encode(message: OutMessage): Buffer {
    return message.flvTag();
  }
  streamEnded(): void {
    this.close('stream ended', true);
  }
}

/**
 * HTTP-FLV: the response head goes out through Node's HTTP layer (`connection: close`, no chunked encoding: the
 * body simply runs until the connection closes, as HTTP/1.1 allows), then the FLV header and tags are written
 * straight to the socket, as for RTMP.
 */
export class HttpFlvViewer extends FlvViewer {
  constructor(
    private readonly socket: Socket,
    remote: string,
  ) {
    super('http-flv', remote);
  }
  buffered(): number {
    return this.socket.writableLength;
  }
  protected writeBytes(bytes: Buffer): void {
    this.socket.write(bytes);
  }
  protected override writeList(list: Buffer[]): void {
    writeGathered(this.socket, list);
  }
  protected end(_reason: string, graceful: boolean): void {
    if (graceful) this.socket.end();
    else this.socket.destroy();
  }
}

/**
 * WebSocket-FLV: the same FLV bytes in binary frames, one per flush (one or more whole tags). flv.js and mpegts.js
 * treat the frames as one byte stream.
 */
export class WsFlvViewer extends FlvViewer {
  constructor(
    private readonly ws: WebSocket,
    remote: string,
  ) {
    super('ws-flv', remote);
  }
  buffered(): number {
    return this.ws.bufferedAmount;
  }
  protected writeBytes(bytes: Buffer): void {
    this.ws.send(bytes, { binary: true });
  }
  protected end(reason: string, graceful: boolean): void {
    if (graceful) this.ws.close(1000, reason.slice(0, 100));
    else this.ws.terminate();
  }
}

/** RTMP: shared chunked buffers written straight to the socket; statuses through the session. */
export class RtmpViewer extends Viewer {
  pausedFlag = false;
  readonly formatKey: number;
  constructor(
    private readonly socket: Socket,
    remote: string,
    private readonly chunkSize: number,
    readonly streamId: number,
    private readonly onEnded: () => void,
  ) {
    super('rtmp', remote);
    this.formatKey = chunkSize * 64 + streamId;
  }
  override get paused(): boolean {
    return this.pausedFlag;
  }
  buffered(): number {
    return this.socket.writableLength;
  }
  encode(message: OutMessage): Buffer {
    return message.rtmpChunks(this.chunkSize, this.streamId);
  }
  protected writeBytes(bytes: Buffer): void {
    this.socket.write(bytes);
  }
  protected override writeList(list: Buffer[]): void {
    writeGathered(this.socket, list);
  }
  /** Play.UnpublishNotify + StreamEOF, then the connection is closed (players reconnect). */
  streamEnded(): void {
    this.flushPending();
    this.onEnded();
    this.close('stream ended', true);
  }
  protected end(_reason: string, graceful: boolean): void {
    if (graceful) this.socket.end();
    else this.socket.destroy();
  }
}
