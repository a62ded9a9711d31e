/**
 * Edge node entry point: configuration from the environment, JSON logs, metrics, Redis, NATS, graceful stop.
 * With EDGE_WORKERS > 1 this process only supervises that many edge workers (runWorkerPrimary in @ingest/service):
 * each is a complete edge on the same ports with its own node id `<NODE_ID>-<i>`; a stream lives on the worker its
 * publisher reached, and `/status` lists the streams of whichever worker answers (the control plane's `/v1/streams`
 * lists them all).
 */
import cluster from 'node:cluster';
import { EventPublisher, ensureEventsStream } from '@ingest/events';
import { PublishBatcher, closeNats, connectNats } from '@ingest/relay';
import { NodeRegistry, closeRedis, connectRedis } from '@ingest/registry';
import { envInt, reportWorkerReady, runMain, runWorkerPrimary, stopOnSignals } from '@ingest/service';
import { createLogger, startMetrics } from '@ingest/telemetry';
import { ControlPlaneAuthorizer, OpenAuthorizer } from './authorizer';
import { EdgeCluster } from './cluster';
import { EDGE_METRICS_PORT, loadEdgeConfig } from './config';
import { EdgeServer } from './edge-server';

async function main(): Promise<void> {
  const logger = createLogger('edge');
  const config = loadEdgeConfig();
  const metrics = await startMetrics({ serviceName: 'edge', port: config.metricsPort, logger });
  const redis = connectRedis(config.redisUrl, { logger, name: config.nodeId });
  const nats = await connectNats(config.natsUrl, { logger, name: config.nodeId });
  // One batcher for the connection: media of every stream shares its NATS writes.
  const relayBatcher = new PublishBatcher(nats, {
    flushMs: config.relayFlushMs,
    early: config.relayFlushEarly,
    mergeWithinMs: config.relayMergeWithinMs,
    minGapMs: config.relayFlushMinGapMs,
    framed: config.relayFramed,
  });
  // The edge epoch increases on every start of this node id; without Redis, the clock serves.
  const epoch = await new NodeRegistry(redis).nextEpoch(config.nodeId).catch(() => Date.now() % 0xffffffff);
  const startedAt = Date.now();
  const holder: { edge?: EdgeServer } = {};
  const cluster = new EdgeCluster({
    nodeId: config.nodeId,
    epoch,
    redis,
    nats,
    relayBatcher,
    logger,
    streamTtlMs: config.streamTtlMs,
    heartbeatMs: config.heartbeatMs,
    duplicatePolicy: config.duplicatePolicy,
    nodeInfo: () => ({
      host: config.publicHost,
      ports: holder.edge?.listeners() ?? {},
      startedAt,
      load: { ...(holder.edge?.load() ?? { connections: 0, streams: 0 }), rssBytes: process.memoryUsage.rss() },
    }),
  });
  const authorizer =
    config.authorization === 'open' ? new OpenAuthorizer() : new ControlPlaneAuthorizer(config.controlGrpcUrl, config.nodeId, config.authorizeTimeoutMs);
  if (config.authorization === 'open') logger.info({ code: 'EDGE_OPEN_AUTHORIZATION' }, 'EDGE_AUTHORIZATION=open: any well-formed stream name may publish');
  // Stream events go to JetStream; without it they are lost (logged), and ingest goes on.
  await ensureEventsStream(nats).catch((err: Error) => logger.warn({ code: 'EVENTS_UNAVAILABLE', reason: err.message }, 'JetStream EVENTS stream unavailable'));
  const events = new EventPublisher(nats, logger);
  const edge = new EdgeServer(config, { logger, meter: metrics.meter, cluster, authorizer, events });
  holder.edge = edge;
  await edge.start();
  reportWorkerReady('edge');
  stopOnSignals(logger, async () => {
    await edge.stop();
    relayBatcher.close();
    await closeNats(nats);
    await closeRedis(redis);
    await metrics.close();
  });
}

const workers = envInt(process.env, 'EDGE_WORKERS', 1);
if (workers > 1 && cluster.isPrimary) {
  runWorkerPrimary({ role: 'edge', workers, logger: createLogger('edge'), defaultMetricsPort: EDGE_METRICS_PORT });
}
else runMain('edge', main);
