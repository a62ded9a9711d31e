/**
 * An RTMP client over a real socket (TCP or TLS), built on @ingest/rtmp's client session: used by end-to-end
 * tests to publish, play and send deliberately broken input, and by the benchmark.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { AmfObject } from '@ingest/amf';
import { RtmpClientSession, type ClientSessionOptions, type RtmpMessage } from '@ingest/rtmp';

export interface RtmpClientOptions extends Partial<ClientSessionOptions> {
  host?: string;
  port: number;
  tls?: boolean;
  app?: string;
}

export interface StatusEvent {
  streamId: number;
  info: AmfObject;
}

export class RtmpTestClient {
  readonly socket: Socket;
  readonly session: RtmpClientSession;
  readonly statuses: StatusEvent[] = [];
  readonly media: RtmpMessage[] = [];
  /** Keep received media in `media` (tests); the benchmark counts instead. */
  keepMedia = true;
  onMedia: ((message: RtmpMessage) => void) | undefined;
  private statusWaiters: Array<{ match: (s: StatusEvent) => boolean; resolve: (s: StatusEvent) => void }> = [];
  /** Resolves when the socket closes, with whether the server closed it first. */
  readonly closed: Promise<{ hadError: boolean }>;
  private connected: Promise<void>;
  /** Our local port (kept after the socket closes, to find the server's log lines about us). */
  localPort = 0;

  constructor(options: RtmpClientOptions) {
    const host = options.host ?? '127.0.0.1';
    const app = options.app ?? 'live';
    this.session = new RtmpClientSession(
      {
        send: (data) => {
          if (!this.socket.destroyed) this.socket.write(data);
        },
        onStatus: (streamId, info) => {
          const event = { streamId, info };
          this.statuses.push(event);
          this.statusWaiters = this.statusWaiters.filter((w) => (w.match(event) ? (w.resolve(event), false) : true));
        },
        onMedia: (message) => {
          if (this.keepMedia) this.media.push({ ...message, payload: Buffer.from(message.payload) });
          this.onMedia?.(message);
        },
      },
      { app, tcUrl: `${options.tls ? 'rtmps' : 'rtmp'}://${host}:${options.port}/${app}`, ...options },
    );
    this.socket = options.tls
      ? tlsConnect({ host, port: options.port, rejectUnauthorized: false })
      : tcpConnect({ host, port: options.port });
    this.socket.setNoDelay(true);
    this.connected = new Promise((resolve, reject) => {
      this.socket.once(options.tls ? 'secureConnect' : 'connect', () => {
        this.localPort = this.socket.localPort ?? 0;
        resolve();
      });
      this.socket.once('error', reject);
    });
    this.socket.on('error', () => undefined);
    this.socket.on('data', (data: Buffer) => {
      try {
        this.session.push(data);
      } catch {
        this.socket.destroy();
      }
    });
    this.closed = new Promise((resolve) =>
      this.socket.once('close', (hadError) => {
        this.session.close(); // pending calls (connect, createStream) fail instead of hanging
        this.handshakeFailed?.(new Error('connection closed during the handshake'));
        resolve({ hadError });
      }),
    );
  }

  /** TCP (and TLS) connected; nothing sent yet. */
  async open(): Promise<void> {
    await this.connected;
  }

  private handshakeFailed: ((err: Error) => void) | undefined;

  /** Handshake only. */
  async handshake(): Promise<void> {
    await this.connected;
    await new Promise<void>((resolve, reject) => {
      this.handshakeFailed = reject;
      this.session.start(() => {
        this.handshakeFailed = undefined;
        resolve();
      });
    });
  }

  /** Handshake + connect. */
  async connect(): Promise<void> {
    await this.handshake();
    await new Promise<void>((resolve, reject) => this.session.connect((err) => (err ? reject(err) : resolve())));
  }

  /** connect + createStream + publish; resolves with the onStatus the server answered. */
  async publish(name: string): Promise<{ streamId: number; status: StatusEvent }> {
    await this.connect();
    const streamId = await new Promise<number>((resolve, reject) =>
      this.session.createStream((err, id) => (err ? reject(err) : resolve(id)), name),
    );
    const status = this.waitForStatus((s) => s.streamId === streamId && /^NetStream\.Publish\./.test(String(s.info.code)));
    this.session.publish(streamId, name);
    return { streamId, status: await status };
  }

  /** connect + createStream + play; resolves with the first NetStream.Play.* status. */
  async play(name: string): Promise<{ streamId: number; status: StatusEvent }> {
    await this.connect();
    const streamId = await new Promise<number>((resolve, reject) => this.session.createStream((err, id) => (err ? reject(err) : resolve(id))));
    const status = this.waitForStatus((s) => s.streamId === streamId && /^NetStream\.Play\.(Start|StreamNotFound|Failed)/.test(String(s.info.code)));
    this.session.play(streamId, name);
    return { streamId, status: await status };
  }

  waitForStatus(match: (s: StatusEvent) => boolean, timeoutMs = 10_000): Promise<StatusEvent> {
    const seen = this.statuses.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching onStatus within ${timeoutMs} ms; got ${JSON.stringify(this.statuses)}`)), timeoutMs);
      this.statusWaiters.push({
        match,
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
      });
    });
  }

  /** Raw bytes, bypassing the session (for broken input). */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves true if the server closes the connection within `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    return Promise.race([this.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs))]);
  }

  close(): void {
    this.session.close();
    this.socket.destroy();
  }
}
