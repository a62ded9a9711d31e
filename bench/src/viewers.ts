/**
 * Benchmark viewers of one stream on the origin, in this process: RTMP (RtmpTestClient), HTTP-FLV (node:http GET)
 * and WebSocket-FLV (Node's built-in WebSocket client). None keeps media: each counts bytes and messages and hands
 * every media message's type, timestamp and receive time to `onMessage`.
 *
 * Bytes, per protocol:
 * - `socketBytes`, what came off the wire (TCP payload), is exact for RTMP and HTTP-FLV: a listener prepended to
 *   the socket's 'data' event sees every read before the RTMP session or the HTTP parser does. RTMP counts chunk
 *   headers and control messages; HTTP-FLV counts the chunked transfer-encoding framing. The WebSocket client
 *   does not expose its socket, so for WS-FLV it is each message's length plus its frame header as the server
 *   writes it (2 bytes, +2 from 126 bytes, +8 from 64 KiB; unmasked, unfragmented), without the upgrade response.
 * - `mediaBytes`: RTMP message payloads (FLV tag bodies), or the FLV stream bytes for HTTP-FLV and WS-FLV.
 *
 * A message's receive time is performance.now() at the socket read (RTMP, HTTP) or WebSocket message that
 * completed it: one clock read per read, not per message.
 */
import * as http from 'node:http';
import { get as httpGet, type ClientRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { RtmpTestClient } from '@ingest/testing';
import type { FanoutProtocol } from './cli';
import { FlvTagHeaderParser } from './flv-tag-parser';


export type MessageSink = (viewer: BenchViewer, type: number, timestamp: number, at: number) => void;

/** Bytes a server puts in front of an unmasked, unfragmented WebSocket frame of `length` payload bytes. */
export function wsFrameHeaderBytes(length: number): number {
  return 2 + (length > 0xffff ? 8 : length > 125 ? 2 : 0);
}

export abstract class BenchViewer {
  socketBytes = 0;
  mediaBytes = 0;
  /** Media messages (audio, video, data) received since connecting. */
  messages = 0;
  /** Messages of the measured window (counted by the scenario's sink). */
  windowVideo = 0;
  windowAudio = 0;
  /** performance.now() of the last read; the longest silence since `resetGap`. */
  lastDataAt = 0;
  maxGapMs = 0;
  connected = false;
  /** Closed by the server or by an error while we were not stopping it. */
  disconnected = false;
  closeReason: string | undefined;
  error: Error | undefined;
  protected stopping = false;
  /** Receive time of the current read, handed to the sink with each message it completed. */
  protected now = 0;

  constructor(
    readonly index: number,
    protected readonly port: number,
    protected readonly stream: string,
    protected readonly onMessage: MessageSink,
  ) {}

  abstract readonly protocol: FanoutProtocol;
  /** Connects and starts playing; resolves once media may flow (Play.Start, HTTP 200, WebSocket open). */
  abstract start(): Promise<void>;
  protected abstract shutdown(): void;

  /** Starts a new silence measurement (the window's start). */
  resetGap(now: number): void {
    this.maxGapMs = 0;
    if (this.lastDataAt === 0) this.lastDataAt = now;
  }

  /** Longest silence up to `now`, the current one included. */
  gapUntil(now: number): number {
    return Math.max(this.maxGapMs, this.lastDataAt > 0 ? now - this.lastDataAt : Infinity);
  }

  /** Closes without counting it as a disconnect. */
  stop(): void {
    this.stopping = true;
    this.shutdown();
  }

  protected read(bytes: number, now: number): void {
    this.now = now;
    this.socketBytes += bytes;
    if (this.lastDataAt > 0) {
      const gap = now - this.lastDataAt;
      if (gap > this.maxGapMs) this.maxGapMs = gap;
    }
    this.lastDataAt = now;
  }

  protected closedBy(reason: string): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    if (!this.stopping && this.connected) this.disconnected = true;
  }

  protected fail(err: Error): void {
    this.error ??= err;
  }
}

export class RtmpBenchViewer extends BenchViewer {
  readonly protocol = 'rtmp';
  client: RtmpTestClient | undefined;

  async start(): Promise<void> {
    const client = new RtmpTestClient({ port: this.port });
    this.client = client;
    client.keepMedia = false;
    client.socket.prependListener('data', (data: Buffer) => this.read(data.length, performance.now()));
    client.onMedia = (message) => {
      this.messages++;
      this.mediaBytes += message.payload.length;
      this.onMessage(this, message.type, message.timestamp, this.now);
    };
    void client.closed.then(({ hadError }) => this.closedBy(hadError ? 'socket error' : 'closed'));
    const { status } = await client.play(this.stream);
    if (status.info.code !== 'NetStream.Play.Start') throw new Error(`viewer ${this.index}: play answered ${String(status.info.code)}`);
    this.connected = true;
  }

  protected shutdown(): void {
    this.client?.close();
  }
}

/** Reads the FLV framing of HTTP-FLV and WS-FLV bodies and reports each completed tag. */
abstract class FlvBenchViewer extends BenchViewer {
  protected readonly parser = new FlvTagHeaderParser((type, timestamp) => {
    this.messages++;
    this.onMessage(this, type, timestamp, this.now);
  });

  protected flv(bytes: Uint8Array): void {
    this.mediaBytes += bytes.length;
    try {
      this.parser.push(bytes);
    } catch (err) {
      this.fail(err as Error);
      this.closedBy(`bad FLV: ${(err as Error).message}`);
      this.shutdown();
    }
  }
}

export class HttpFlvBenchViewer extends FlvBenchViewer {
  readonly protocol = 'http-flv';
  private request: ClientRequest | undefined;
  private response: IncomingMessage | undefined;

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const request = httpGet({ host: '127.0.0.1', port: this.port, path: `/live/${this.stream}.flv`, agent: false }, (res) => {
        this.response = res;
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`viewer ${this.index}: GET answered ${res.statusCode}`));
          return;
        }
        this.connected = true;
        res.on('data', (chunk: Buffer) => this.flv(chunk));
        res.on('end', () => this.closedBy('response ended'));
        res.on('close', () => this.closedBy('response closed'));
        res.on('error', (err) => this.closedBy(`response error: ${err.message}`));
        resolve();
      });
      this.request = request;
      request.on('socket', (socket: Socket) => {
        socket.prependListener('data', (data: Buffer) => this.read(data.length, performance.now()));
      });
      request.on('error', (err) => {
        if (this.connected) this.closedBy(`request error: ${err.message}`);
        else reject(err);
      });
    });
  }

  protected shutdown(): void {
    this.response?.destroy();
    this.request?.destroy();
  }
}

/** Node's built-in WebSocket client (node:http exports it from Node 22.4; the project runs on Node 26). */
export function webSocketClass(): typeof http.WebSocket {
  const ctor = (http as Partial<typeof http>).WebSocket;
  if (typeof ctor !== 'function') {
    throw new Error(`ws-flv viewers need Node's built-in WebSocket client, which Node ${process.version} lacks: run through \`npm run bench\` (Node 26)`);
  }
  return ctor;
}

export class WsFlvBenchViewer extends FlvBenchViewer {
  readonly protocol = 'ws-flv';
  private ws: InstanceType<typeof http.WebSocket> | undefined;

  start(): Promise<void> {
    const WebSocket = webSocketClass();
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${this.port}/live/${this.stream}.flv`);
      this.ws = ws;
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        this.connected = true;
        resolve();
      };
      ws.onmessage = (event) => {
        const data = event.data as ArrayBuffer;
        const length = data.byteLength;
        this.read(length + wsFrameHeaderBytes(length), performance.now());
        this.flv(new Uint8Array(data));
      };
      ws.onerror = () => {
        if (!this.connected) reject(new Error(`viewer ${this.index}: WebSocket failed to open`));
      };
      ws.onclose = (event) => {
        if (!this.connected) reject(new Error(`viewer ${this.index}: WebSocket closed (${event.code}) before it opened`));
        this.closedBy(`closed ${event.code}`);
      };
    });
  }

  protected shutdown(): void {
    this.ws?.close();
  }
}

export function createViewer(protocol: FanoutProtocol, index: number, port: number, stream: string, onMessage: MessageSink): BenchViewer {
  switch (protocol) {
    case 'rtmp':
      return new RtmpBenchViewer(index, port, stream, onMessage);
    case 'http-flv':
      return new HttpFlvBenchViewer(index, port, stream, onMessage);
    case 'ws-flv':
      return new WsFlvBenchViewer(index, port, stream, onMessage);
  }
}
