/**
 * Glue between one socket (TCP or TLS) and one RtmpServerSession: bytes in and out, timeouts, publish
 * authorization, stream bookkeeping, and a named error plus a log line when the connection is closed for a fault.
 */
import type { Socket } from 'node:net';
import { RtmpError, RtmpServerSession, type PublishRequest, type RtmpMessage } from '@ingest/rtmp';
import type { Logger } from '@ingest/telemetry';
import type { EventPublisher } from '@ingest/events';
import type { PublishAuthorizer, PublishPolicy } from './authorizer';
import type { ClusterPublication, EdgeCluster } from './cluster';
import type { EdgeConfig } from './config';
import { EDGE_CLOSE_CODES, type EdgeCloseCode } from './errors';
import type { EdgeInstruments } from './metrics';
import { StreamStats } from './stream-stats';
import type { LiveStream, StreamTable } from './stream-table';

export type Transport = 'rtmp' | 'rtmps';

export interface ConnectionContext {
  config: EdgeConfig;
  logger: Logger;
  instruments: EdgeInstruments;
  authorizer: PublishAuthorizer;
  streams: StreamTable;
  cluster: EdgeCluster;
  events?: EventPublisher;
}

interface Publication extends LiveStream, ClusterPublication {
  streamId: number;
  keyId?: string;
  policy?: PublishPolicy;
  lastPolicyCheck: number;
  bitrateStrikes: number;
  codecsChecked: string;
}

/** Codec names as stream-key policies list them. */
const POLICY_CODEC: Record<string, string> = { 'H.264': 'h264', HEVC: 'hevc', AV1: 'av1', VP9: 'vp9', VP8: 'vp8', AAC: 'aac', MP3: 'mp3', Opus: 'opus' };

let nextConnectionId = 1;

export class EdgeConnection {
  readonly id = nextConnectionId++;
  readonly remote: string;
  private readonly session: RtmpServerSession;
  private readonly log: Logger;
  private readonly publications = new Map<number, Publication>();
  private closed = false;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private commandWindowStart = 0;
  private commandsInWindow = 0;
  /** The socket's bytesRead at the last idle check, and since when it has not changed (checkIdle). */
  private idleBytes = 0;
  private idleSince = Date.now();
  /** Resolves when the socket has closed. */
  readonly done: Promise<void>;

  constructor(
    private readonly socket: Socket,
    readonly transport: Transport,
    private readonly ctx: ConnectionContext,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.log = ctx.logger.child({ conn: this.id, client: this.remote, transport });
    const { config } = ctx;
    this.session = new RtmpServerSession(
      {
        send: (data) => this.write(data),
        onConnect: (info) => {
          if (!config.apps.includes(info.app)) return `Application '${info.app.slice(0, 64)}' does not exist.`;
          clearTimeout(this.handshakeTimer);
          this.log.debug({ app: info.app, flashVer: info.flashVer }, 'connected');
          return undefined;
        },
        onCommand: () => this.countCommand(),
        onPublish: (request) => this.handlePublish(request),
        onUnpublish: (streamId, reason) => this.endPublication(streamId, reason),
        onMedia: (streamId, message) => this.handleMedia(streamId, message),
      },
      { chunkSize: config.chunkSize, chunkLimits: { maxMessageSize: config.maxMessageSize }, now: () => Date.now() },
    );
    ctx.instruments.connectionsTotal.add(1, { protocol: transport });
    this.done = new Promise((resolve) => socket.once('close', () => resolve()));

    socket.setNoDelay(true);
    this.handshakeTimer = setTimeout(
      () => this.fail('EDGE_HANDSHAKE_TIMEOUT', `no connect within ${config.handshakeTimeoutMs} ms`),
      config.handshakeTimeoutMs,
    );
    socket.on('data', (data: Buffer) => this.receive(data));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.closed) return;
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
        // The peer went away: an ordinary disconnect, not a fault of ours or theirs worth an error.
        this.log.debug({ reason: err.code }, 'peer disconnected');
        this.close(true);
        return;
      }
      this.fail('EDGE_SOCKET_ERROR', err.code ?? err.message, err);
    });
    socket.on('close', () => this.cleanup());
  }

  /**
   * The idle timeout, checked by the server's sweep (edge-server.ts) rather than with socket.setTimeout, which
   * re-arms a timer on every read and write: ~2 % of the edge's CPU with 20 publishers.
   */
  checkIdle(now: number): void {
    if (this.closed) return;
    const read = this.socket.bytesRead;
    if (read !== this.idleBytes) {
      this.idleBytes = read;
      this.idleSince = now;
      return;
    }
    const idleMs = this.ctx.config.idleTimeoutMs;
    if (now - this.idleSince >= idleMs) this.fail('EDGE_IDLE_TIMEOUT', `no data for ${idleMs} ms`);
  }

  private receive(data: Buffer): void {
    if (this.closed) return;
    this.ctx.instruments.bytes.add(data.length);
    const before = this.session.state;
    try {
      this.session.push(data);
    } catch (err) {
      if (err instanceof RtmpError) this.fail(err.code, err.message, err);
      else this.fail('EDGE_INTERNAL', (err as Error).message, err);
      return;
    }
    if (before === 'handshake' && this.session.state !== 'handshake') {
      this.ctx.instruments.handshakes.add(1, { result: this.session.handshakeKind ?? 'simple' });
    }
  }

  private write(data: Buffer): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(data);
  }

  private handlePublish(request: PublishRequest): void {
    const app = this.session.connectInfo?.app ?? '';
    const { authorizer, config } = this.ctx;
    withTimeout(
      authorizer.authorize({ app, key: request.name, query: request.query, remoteAddress: this.socket.remoteAddress ?? '', protocol: this.transport }),
      config.authorizeTimeoutMs,
      'the authorizer',
    )
      .then((decision) => {
        if (this.closed) return;
        if (!decision.allowed) return this.refusePublish(request.streamId, decision.code, decision.description, 'EDGE_PUBLISH_REFUSED');
        this.startPublication(request, decision.streamName, app, decision.keyId, decision.policy);
      })
      .catch((err: Error) => {
        if (this.closed) return;
        this.refusePublish(request.streamId, 'NetStream.Publish.Failed', 'Publishing is not available right now.', 'EDGE_AUTHORIZE_FAILED', err);
      });
  }

  private startPublication(request: PublishRequest, streamName: string, app: string, keyId?: string, policy?: PublishPolicy): void {
    const stats = new StreamStats(streamName, app, { remoteAddress: this.remote, protocol: this.transport });
    const publication: Publication = {
      streamId: request.streamId,
      name: streamName,
      app,
      keyId,
      policy,
      duplicatePolicy: policy?.duplicatePolicy,
      lastPolicyCheck: Date.now(),
      bitrateStrikes: 0,
      codecsChecked: '',
      publisherId: `${this.ctx.config.nodeId}:${this.id}:${request.streamId}:${Date.now()}`,
      stats,
      close: (code, description) => {
        if (this.closed) return;
        this.session.sendStatus(request.streamId, 'error', code, description);
        this.log.info({ stream: streamName, code: 'EDGE_KICKED', status: code }, 'connection closed: EDGE_KICKED');
        this.close(false);
      },
    };
    const current = this.ctx.streams.get(streamName);
    if (current && (policy?.duplicatePolicy ?? this.ctx.config.duplicatePolicy) === 'takeover') current.close('NetStream.Publish.BadName', 'Another publisher took over this stream.');
    if (!this.ctx.streams.claim(streamName, publication)) {
      return this.refusePublish(request.streamId, 'NetStream.Publish.BadName', `Stream ${streamName} is already being published.`, 'EDGE_PUBLISH_REFUSED');
    }
    withTimeout(this.ctx.cluster.claim(publication), this.ctx.config.authorizeTimeoutMs, 'registry claim')
      .then((outcome) => {
        if (this.closed) {
          void this.ctx.cluster.release(publication);
          this.ctx.streams.release(streamName, publication);
          return;
        }
        if (!outcome.ok) {
          this.ctx.streams.release(streamName, publication);
          return this.refusePublish(request.streamId, outcome.code, outcome.description, 'EDGE_PUBLISH_REFUSED');
        }
        this.publications.set(request.streamId, publication);
        this.session.acceptPublish(request.streamId);
        this.ctx.instruments.publishStreams.add(1);
        this.ctx.instruments.connections.add(1, { protocol: this.transport, role: 'publish' });
        this.log.info({ stream: streamName, app, keyId }, 'publish started');
        this.ctx.events?.publish({ type: 'stream.started', stream: streamName, edgeId: this.ctx.config.nodeId, keyId, data: { protocol: this.transport, remote: this.remote } });
      })
      .catch((err: Error) => {
        this.ctx.streams.release(streamName, publication);
        if (this.closed) return;
        this.refusePublish(request.streamId, 'NetStream.Publish.Failed', 'Publishing is not available right now.', 'EDGE_REGISTRY_UNAVAILABLE', err);
      });
  }

  private refusePublish(streamId: number, code: string, description: string, closeCode: EdgeCloseCode, cause?: unknown): void {
    this.ctx.instruments.publishRejected.add(1, { reason: code });
    this.session.rejectPublish(streamId, code, description);
    this.fail(closeCode, `${code}: ${description}`, cause, 'info');
  }

  private handleMedia(streamId: number, message: RtmpMessage): void {
    const publication = this.publications.get(streamId);
    if (!publication) return;
    this.ctx.instruments.messages.add(1);
    const info = publication.stats.onMessage(message);
    if (info.kind === 'video') this.ctx.instruments.videoFrames.add(1);
    else if (info.kind === 'audio') this.ctx.instruments.audioFrames.add(1);
    else if (info.kind === 'data' && !this.countCommand()) return;
    if (publication.policy && !this.checkPolicy(publication)) return;
    publication.relay?.publish({ type: message.type as 8 | 9 | 18, timestamp: message.timestamp, payload: info.payload }, info);
  }

  /**
   * The stream key's policy, enforced on the live stream: allowed codecs (once the sequence headers are known)
   * and maximum bitrate (measured over a few seconds, three strikes). Returns false once the publisher is cut off.
   */
  private checkPolicy(publication: Publication): boolean {
    const policy = publication.policy!;
    const { stats } = publication;
    if (policy.allowedCodecs.length > 0) {
      const codecs = [stats.video?.name, stats.audio?.name].filter((c): c is string => c !== undefined);
      const seen = codecs.join(',');
      if (seen !== publication.codecsChecked) {
        publication.codecsChecked = seen;
        const refused = codecs.find((c) => !policy.allowedCodecs.includes(POLICY_CODEC[c] ?? c.toLowerCase()));
        if (refused) {
          this.policyViolation(publication, `codec ${refused} is not allowed for this stream key`);
          return false;
        }
      }
    }
    const now = Date.now();
    if (policy.maxBitrateKbps > 0 && now - publication.lastPolicyCheck >= 1000) {
      publication.lastPolicyCheck = now;
      const kbps = stats.snapshot(now).bitrateKbps;
      publication.bitrateStrikes = kbps > policy.maxBitrateKbps ? publication.bitrateStrikes + 1 : 0;
      if (publication.bitrateStrikes >= 3) {
        this.policyViolation(publication, `bitrate ${Math.round(kbps)} kbit/s is above this stream key's limit of ${policy.maxBitrateKbps} kbit/s`);
        return false;
      }
    }
    return true;
  }

  private policyViolation(publication: Publication, reason: string): void {
    this.ctx.instruments.publishRejected.add(1, { reason: 'policy' });
    this.session.sendStatus(publication.streamId, 'error', 'NetStream.Publish.Denied', `Publishing stopped: ${reason}.`);
    this.fail('EDGE_POLICY_VIOLATION', reason, undefined, 'info');
  }

  /** Flood guard for commands and data messages. */
  private countCommand(): boolean {
    const now = Date.now();
    if (now - this.commandWindowStart >= 1000) {
      this.commandWindowStart = now;
      this.commandsInWindow = 0;
    }
    if (++this.commandsInWindow > this.ctx.config.maxCommandsPerSecond) {
      this.fail('EDGE_COMMAND_FLOOD', `more than ${this.ctx.config.maxCommandsPerSecond} commands in one second`);
      return false;
    }
    return true;
  }

  private endPublication(streamId: number, reason: string): void {
    const publication = this.publications.get(streamId);
    if (!publication) return;
    this.publications.delete(streamId);
    this.ctx.streams.release(publication.stats.name, publication);
    void this.ctx.cluster.release(publication);
    this.ctx.instruments.publishStreams.add(-1);
    this.ctx.instruments.connections.add(-1, { protocol: this.transport, role: 'publish' });
    const s = publication.stats;
    this.log.info(
      { stream: s.name, reason, videoFrames: s.videoFrames, audioFrames: s.audioFrames, bytes: s.bytes, seconds: (Date.now() - s.startedAt) / 1000 },
      'publish ended',
    );
    this.ctx.events?.publish({
      type: 'stream.ended',
      stream: s.name,
      edgeId: this.ctx.config.nodeId,
      keyId: publication.keyId,
      data: { reason, videoFrames: s.videoFrames, audioFrames: s.audioFrames, bytes: s.bytes, seconds: Math.round((Date.now() - s.startedAt) / 100) / 10 },
    });
  }

  /** Closes this connection for a named reason, with one log line. */
  fail(code: string, message: string, cause?: unknown, level: 'warn' | 'info' = 'warn'): void {
    if (this.closed) return;
    this.ctx.instruments.connectionErrors.add(1, { code });
    if (this.session.state === 'handshake') this.ctx.instruments.handshakes.add(1, { result: 'failed' });
    const err = cause instanceof Error ? { type: cause.name, message: cause.message } : undefined;
    this.log[level]({ code, reason: message, err }, `connection closed: ${code}`);
    this.close(true);
  }

  /** Graceful close for shutdown: publishers hear that their stream was unpublished. */
  shutdown(): void {
    for (const publication of this.publications.values()) {
      this.session.sendStatus(publication.streamId, 'status', 'NetStream.Unpublish.Success', 'Server is shutting down.');
    }
    this.log.info({ code: 'EDGE_SHUTDOWN' }, EDGE_CLOSE_CODES.EDGE_SHUTDOWN);
    this.close(false);
  }

  private close(destroy: boolean): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.handshakeTimer);
    this.session.close();
    if (destroy) this.socket.destroy();
    else this.socket.end(() => this.socket.destroy());
    this.cleanup();
  }

  private cleanup(): void {
    this.closed = true;
    clearTimeout(this.handshakeTimer);
    for (const streamId of [...this.publications.keys()]) this.endPublication(streamId, 'disconnect');
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
