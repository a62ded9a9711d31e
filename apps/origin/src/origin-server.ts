/**
 * The origin node: RTMP and HTTP(-FLV, WS-FLV) playback over hubs fed by the NATS relay, streams looked up in
 * Redis, node heartbeat and viewer counts reported to Redis.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import type { NatsConnection } from '@ingest/relay';
import { NodeRegistry, StreamRegistry, ViewerRegistry } from '@ingest/registry';
import type { Redis } from 'ioredis';
import { listen } from '@ingest/service';
import type { Logger, Metrics } from '@ingest/telemetry';
import { METRIC, counter, upDownCounter } from '@ingest/telemetry';
import type { OriginConfig } from './config';
import { createHttpPlayServer } from './http-server';
import type { StreamHub } from './hub';
import { DirectIngest } from './direct-ingest';
import type { StreamDirectory } from './directory';
import { RelayDirectory } from './relay-directory';
import { createRtmpPlayServer, type ViewerTracker } from './rtmp-server';
import type { Viewer } from './viewer';

export interface OriginDependencies {
  logger: Logger;
  meter: Metrics['meter'];
  redis: Redis;
  nats: NatsConnection;
  epoch: number;
}

export class OriginServer {
  readonly directory: RelayDirectory;
  private readonly direct: DirectIngest | undefined;
  /** What the front ends use: direct-ingest streams first (when enabled), then the relay. */
  private readonly streams: StreamDirectory;
  private readonly viewers = new Map<Viewer, StreamHub>();
  private rtmp: Server | undefined;
  private http: HttpServer | undefined;
  private readonly ports: Record<string, number> = {};
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly nodes: NodeRegistry;
  private readonly viewerRegistry: ViewerRegistry;
  private started = false;
  private stopping = false;
  private readonly startedAt = Date.now();
  private readonly instruments;

  constructor(
    readonly config: OriginConfig,
    private readonly deps: OriginDependencies,
  ) {
    const streams = new StreamRegistry(deps.redis);
    this.nodes = new NodeRegistry(deps.redis);
    this.viewerRegistry = new ViewerRegistry(deps.redis);
    this.instruments = {
      viewers: upDownCounter(deps.meter, METRIC.originViewers),
      bytesSent: counter(deps.meter, METRIC.originBytesSentTotal),
      dropped: counter(deps.meter, METRIC.originViewerDroppedFramesTotal),
      disconnects: counter(deps.meter, METRIC.originViewerDisconnectsTotal),
      gaps: counter(deps.meter, METRIC.relayGapsTotal),
    };
    this.directory = new RelayDirectory(config, {
      nats: deps.nats,
      streams,
      logger: deps.logger,
      onGap: () => this.instruments.gaps.add(1),
      onViewerDropped: (_viewer, frames) => this.instruments.dropped.add(frames),
      onViewerCut: (viewer, reason) => deps.logger.info({ viewer: viewer.id, client: viewer.remote, protocol: viewer.protocol, code: 'ORIGIN_SLOW_VIEWER', reason }, 'viewer cut off'),
    });
    if (config.directIngestPort > 0) {
      this.direct = new DirectIngest(config, this.directory, { onViewerDropped: (_v, frames) => this.instruments.dropped.add(frames) }, deps.logger);
    }
    this.streams = this.direct ?? this.directory;
  }

  private readonly tracker: ViewerTracker = {
    added: (viewer, hub) => {
      this.viewers.set(viewer, hub);
      this.instruments.viewers.add(1, { protocol: viewer.protocol });
      this.deps.logger.info({ viewer: viewer.id, client: viewer.remote, protocol: viewer.protocol, stream: hub.name }, 'viewer joined');
    },
    removed: (viewer, hub, reason) => {
      if (!this.viewers.delete(viewer)) return;
      this.instruments.viewers.add(-1, { protocol: viewer.protocol });
      this.instruments.bytesSent.add(viewer.bytesSent);
      this.instruments.disconnects.add(1, { reason });
      this.deps.logger.info(
        { viewer: viewer.id, client: viewer.remote, protocol: viewer.protocol, stream: hub.name, reason, bytes: viewer.bytesSent, dropped: viewer.droppedFrames },
        'viewer left',
      );
    },
    count: () => this.viewers.size,
  };

  async start(): Promise<void> {
    const { config, logger } = { config: this.config, logger: this.deps.logger };
    this.rtmp = createRtmpPlayServer(config, this.streams, this.tracker, logger);
    this.ports.rtmp = await listen(this.rtmp, config.rtmpPort, config.host);
    if (this.direct) this.ports.directIngest = await this.direct.listen(config.directIngestPort, config.host);
    this.http = createHttpPlayServer(config, this.streams, this.tracker, { ready: () => this.started && !this.stopping, status: () => this.status() }, logger);
    this.ports.http = await listen(this.http, config.httpPort, config.host);
    this.directory.start();
    this.heartbeat = setInterval(() => void this.beat(), config.heartbeatMs);
    await this.beat();
    this.started = true;
    logger.info({ listeners: this.ports }, 'origin ready');
  }

  status() {
    const perStream = new Map<string, Record<string, number>>();
    for (const [viewer, hub] of this.viewers) {
      const counts = perStream.get(hub.name) ?? {};
      counts[viewer.protocol] = (counts[viewer.protocol] ?? 0) + 1;
      perStream.set(hub.name, counts);
    }
    return {
      node: this.config.nodeId,
      role: 'origin',
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      listeners: this.ports,
      viewers: this.viewers.size,
      streams: [...this.directory.hubList(), ...(this.direct?.hubList() ?? [])].map((hub) => ({
        name: hub.name,
        viewers: perStream.get(hub.name) ?? {},
        messages: hub.messages,
        lastMessageAgoMs: hub.lastMessageAt ? Date.now() - hub.lastMessageAt : null,
        ended: hub.ended,
      })),
    };
  }

  /** Node heartbeat and this origin's viewer counts into Redis; failures are logged, never fatal. */
  private async beat(): Promise<void> {
    const counts = new Map<string, number>();
    for (const hub of this.viewers.values()) counts.set(hub.name, (counts.get(hub.name) ?? 0) + 1);
    for (const hub of this.directory.hubList()) if (!counts.has(hub.name)) counts.set(hub.name, 0);
    const mem = process.memoryUsage.rss();
    try {
      await this.nodes.heartbeat({
        id: this.config.nodeId,
        role: 'origin',
        host: this.config.publicHost,
        ports: this.ports,
        startedAt: this.startedAt,
        epoch: this.deps.epoch,
        load: { connections: this.viewers.size, streams: this.directory.hubList().length, viewers: this.viewers.size, rssBytes: mem },
        updatedAt: Date.now(),
      });
      await this.viewerRegistry.report(this.config.nodeId, counts);
    } catch (err) {
      this.deps.logger.debug({ reason: (err as Error).message }, 'registry heartbeat failed');
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.heartbeat);
    const closing = [this.rtmp, this.http].filter(Boolean).map((s) => new Promise<void>((r) => s!.close(() => r())));
    for (const hub of this.directory.hubList()) hub.end();
    for (const viewer of [...this.viewers.keys()]) viewer.close('origin shutting down', true);
    this.http?.closeAllConnections();
    await this.directory.stop();
    await this.direct?.stop();
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 3000).unref())]);
    await this.nodes.remove(this.config.nodeId).catch(() => undefined);
    this.deps.logger.info('origin stopped');
  }
}
