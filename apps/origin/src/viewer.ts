/**
 * A viewer of one stream over one protocol. The hub hands it shared, already-encoded messages; the viewer only
 * writes them. Back-pressure: the hub looks at `buffered()` (bytes queued in this process for the socket).
 */
import type { ServerResponse } from 'node:http';
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
  protected abstract writeMessage(message: OutMessage): number;
  protected abstract end(reason: string, graceful: boolean): void;

  send(message: OutMessage): void {
    if (!this.closed) this.bytesSent += this.writeMessage(message);
  }

  /** The stream ended (publisher left): tell the player if the protocol can, then close. */
  abstract streamEnded(): void;

  close(reason: string, graceful = false): void {
    if (this.closed) return;
    this.closed = true;
    this.end(reason, graceful);
    this.onClose?.(this, reason);
  }
}

/** HTTP-FLV: one chunked response; the FLV header, then tags. */
export class HttpFlvViewer extends Viewer {
  constructor(
    private readonly res: ServerResponse,
    remote: string,
  ) {
    super('http-flv', remote);
  }
  buffered(): number {
    return this.res.writableLength + (this.res.socket?.writableLength ?? 0);
  }
  writeHeader(header: Buffer): void {
    this.res.write(header);
  }
  protected writeMessage(message: OutMessage): number {
    const tag = message.flvTag();
    this.res.write(tag);
    return tag.length;
  }
  streamEnded(): void {
    this.close('stream ended', true);
  }
  protected end(_reason: string, graceful: boolean): void {
    if (graceful) this.res.end();
    else this.res.destroy();
  }
}

/** WebSocket-FLV: the same FLV bytes, one binary frame per tag (what flv.js / mpegts.js expect). */
export class WsFlvViewer extends Viewer {
  constructor(
    private readonly ws: WebSocket,
    remote: string,
  ) {
    super('ws-flv', remote);
  }
  buffered(): number {
    return this.ws.bufferedAmount;
  }
  writeHeader(header: Buffer): void {
    this.ws.send(header, { binary: true });
  }
  protected writeMessage(message: OutMessage): number {
    const tag = message.flvTag();
    this.ws.send(tag, { binary: true });
    return tag.length;
  }
  streamEnded(): void {
    this.close('stream ended', true);
  }
  protected end(reason: string, graceful: boolean): void {
    if (graceful) this.ws.close(1000, reason.slice(0, 100));
    else this.ws.terminate();
  }
}

/** RTMP: shared chunked buffers written straight to the socket; statuses through the session. */
export class RtmpViewer extends Viewer {
  pausedFlag = false;
  constructor(
    private readonly socket: Socket,
    remote: string,
    private readonly chunkSize: number,
    readonly streamId: number,
    private readonly onEnded: () => void,
  ) {
    super('rtmp', remote);
  }
  override get paused(): boolean {
    return this.pausedFlag;
  }
  buffered(): number {
    return this.socket.writableLength;
  }
  protected writeMessage(message: OutMessage): number {
    const bytes = message.rtmpChunks(this.chunkSize, this.streamId);
    this.socket.write(bytes);
    return bytes.length;
  }
  /** Play.UnpublishNotify + StreamEOF, then the connection is closed (players reconnect). */
  streamEnded(): void {
    this.onEnded();
    this.close('stream ended', true);
  }
  protected end(_reason: string, graceful: boolean): void {
    if (graceful) this.socket.end();
    else this.socket.destroy();
  }
}
