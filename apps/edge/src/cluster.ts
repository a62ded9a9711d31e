/**
 * The edge's part in the cluster: live-stream claims in Redis (one publisher per stream, TTL heartbeat,
 * re-registration after a Redis restart), the node heartbeat, media relay over NATS, and kicks received on
 * `control.stream.<name>`. Redis or NATS trouble never blocks the media path: claims are awaited only when a
 * publish starts; heartbeats and relay publishes run beside the stream.
 */
import { randomInt } from 'node:crypto';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { NodeRegistry, StreamRegistry, type NodeRecord, type StreamRecord } from '@ingest/registry';
import type { Redis } from 'ioredis';
import { RelayPublisher, type PublishBatcher } from '@ingest/relay';
import type { Logger } from '@ingest/telemetry';
import type { StreamStats } from './stream-stats';

export interface ClusterPublication {
  name: string;
  app: string;
  publisherId: string;
  stats: StreamStats;
  relay?: RelayPublisher;
  /** The stream key's duplicate policy; the edge's default when absent. */
  duplicatePolicy?: 'reject' | 'takeover';
  /** Closes the publisher with an onStatus of that code. */
  close(code: string, description: string): void;
}

export type ClaimOutcome = { ok: true } | { ok: false; code: string; description: string };

export interface EdgeClusterOptions {
  nodeId: string;
  epoch: number;
  redis: Redis;
  nats: NatsConnection;
  /** Coalesces the relay's media publishes (shared by every stream of this edge). */
  relayBatcher?: PublishBatcher;
  logger: Logger;
  streamTtlMs: number;
  heartbeatMs: number;
  /** What a second publisher of a live stream gets: refused, or it takes the stream over. */
  duplicatePolicy: 'reject' | 'takeover';
  nodeInfo: () => Omit<NodeRecord, 'updatedAt' | 'epoch' | 'id' | 'role'>;
}

export class EdgeCluster {
  readonly streams: StreamRegistry;
  private readonly nodes: NodeRegistry;
  private readonly held = new Map<string, ClusterPublication>();
  private timer: NodeJS.Timeout | undefined;
  private control: Subscription | undefined;
  private beating = false;

  constructor(private readonly options: EdgeClusterOptions) {
    this.streams = new StreamRegistry(options.redis, { ttlMs: options.streamTtlMs });
    this.nodes = new NodeRegistry(options.redis, { ttlMs: options.streamTtlMs });
  }

  start(): void {
    this.timer = setInterval(() => void this.beat(), this.options.heartbeatMs);
    void this.beat();
    // Kicks: control.stream.<name> {"action":"kick","reason":"..."}; an edge acts only on streams it holds.
    this.control = this.options.nats.subscribe('control.stream.*', {
      callback: (err, msg) => {
        if (err) return;
        const name = msg.subject.slice('control.stream.'.length);
        const publication = this.held.get(name);
        if (!publication) return;
        let reason = 'Stream was stopped by the operator.';
        let code = 'NetStream.Publish.Denied';
        try {
          const body = msg.json<{ action?: string; reason?: string; except?: string; publisherId?: string; code?: string }>();
          if (body.code === 'NetStream.Publish.BadName') code = body.code;
          if (body.action !== 'kick') return;
          if (body.except === publication.publisherId) return; // the takeover's own publisher
          if (body.publisherId && body.publisherId !== publication.publisherId) return;
          if (typeof body.reason === 'string') reason = body.reason.slice(0, 200);
        } catch {
          return;
        }
        this.options.logger.info({ stream: name, code: 'EDGE_KICKED' }, 'stream kicked');
        publication.close(code, reason);
        if (msg.reply) msg.respond(JSON.stringify({ kicked: true, edge: this.options.nodeId }));
      },
    });
  }

  private record(publication: ClusterPublication): StreamRecord {
    const now = Date.now();
    return {
      name: publication.name,
      app: publication.app,
      edgeId: this.options.nodeId,
      publisherId: publication.publisherId,
      epoch: this.options.epoch,
      startedAt: publication.stats.startedAt,
      info: this.info(publication),
      updatedAt: now,
    };
  }

  private info(publication: ClusterPublication): Record<string, unknown> {
    const s = publication.stats.snapshot();
    return {
      video: s.video,
      audio: s.audio,
      fps: s.fps,
      bitrateKbps: s.bitrateKbps,
      protocol: s.publisher.protocol,
      encoder: s.publisher.encoder,
    };
  }

  /** Claims the stream cluster-wide; on success starts relaying it. */
  async claim(publication: ClusterPublication): Promise<ClaimOutcome> {
    const takeover = (publication.duplicatePolicy ?? this.options.duplicatePolicy) === 'takeover';
    const result = await this.streams.claim(this.record(publication), { takeover });
    if (!result.claimed) {
      return { ok: false, code: 'NetStream.Publish.BadName', description: `Stream ${publication.name} is already being published.` };
    }
    if (result.replaced && result.replaced.publisherId !== publication.publisherId) {
      // Tell the edge that held it (maybe this one) to close the old publisher.
      this.options.nats.publish(`control.stream.${publication.name}`, JSON.stringify({ action: 'kick', code: 'NetStream.Publish.BadName', reason: 'Another publisher took over this stream.', except: publication.publisherId }));
    }
    const previous = this.held.get(publication.name);
    if (previous && previous.publisherId !== publication.publisherId) previous.close('NetStream.Publish.BadName', 'Another publisher took over this stream.');
    // The relay epoch is new for every publish session, so origins see a restart even when a publisher comes
    // back to the same edge.
    publication.relay = new RelayPublisher(this.options.nats, {
      stream: publication.name,
      epoch: randomInt(1, 0xffffffff),
      logger: this.options.logger,
      batcher: this.options.relayBatcher,
    });
    this.held.set(publication.name, publication);
    return { ok: true };
  }

  async release(publication: ClusterPublication): Promise<void> {
    if (this.held.get(publication.name) !== publication) return;
    this.held.delete(publication.name);
    publication.relay?.end();
    await this.streams.release(publication.name, publication.publisherId).catch((err: Error) =>
      this.options.logger.warn({ stream: publication.name, reason: err.message }, 'could not release the stream in the registry; it expires by itself'),
    );
  }

  /** Node heartbeat; per stream: refresh (re-claim after a Redis restart; stop when taken over) and stats. */
  private async beat(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      await this.nodes
        .heartbeat({ id: this.options.nodeId, role: 'edge', epoch: this.options.epoch, updatedAt: Date.now(), ...this.options.nodeInfo() })
        .catch(() => undefined);
      for (const publication of [...this.held.values()]) {
        try {
          const state = await this.streams.refresh(publication.name, publication.publisherId);
          if (state === 'missing') {
            const again = await this.streams.claim(this.record(publication), { takeover: false });
            this.options.logger.info({ stream: publication.name, reclaimed: again.claimed }, 'stream re-registered');
            if (!again.claimed) publication.close('NetStream.Publish.BadName', 'Another publisher holds this stream.');
          } else if (state === 'lost') {
            this.options.logger.info({ stream: publication.name }, 'stream taken over elsewhere');
            publication.close('NetStream.Publish.BadName', 'Another publisher took over this stream.');
          } else {
            await this.streams.update(publication.name, publication.publisherId, this.info(publication));
          }
        } catch {
          // Redis unreachable: the stream keeps flowing; the next beat tries again.
        }
      }
    } finally {
      this.beating = false;
    }
  }

  heldCount(): number {
    return this.held.size;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.control?.unsubscribe();
    await this.nodes.remove(this.options.nodeId).catch(() => undefined);
  }
}
