/**
 * Origin node entry point: configuration from the environment, Redis, NATS, metrics, graceful stop.
 * With ORIGIN_WORKERS > 1 this process only supervises that many origin workers (runWorkerPrimary in
 * @ingest/service), each a complete origin on the same ports with its own node id `<NODE_ID>-<i>`.
 */
import cluster from 'node:cluster';
import { closeNats, connectNats } from '@ingest/relay';
import { NodeRegistry, closeRedis, connectRedis } from '@ingest/registry';
import { reportWorkerReady, runMain, runWorkerPrimary, stopOnSignals } from '@ingest/service';
import { createLogger, startMetrics } from '@ingest/telemetry';
import { ORIGIN_METRICS_PORT, loadOriginConfig, type OriginConfig } from './config';
import { OriginServer } from './origin-server';

async function main(config: OriginConfig): Promise<void> {
  const logger = createLogger('origin');
  const metrics = await startMetrics({ serviceName: 'origin', port: config.metricsPort, logger });
  const redis = connectRedis(config.redisUrl, { logger, name: config.nodeId });
  const nats = await connectNats(config.natsUrl, { logger, name: config.nodeId });
  const epoch = await new NodeRegistry(redis).nextEpoch(config.nodeId).catch(() => Date.now() % 0xffffffff);
  const origin = new OriginServer(config, { logger, meter: metrics.meter, redis, nats, epoch });
  await origin.start();
  reportWorkerReady('origin');
  stopOnSignals(logger, async () => {
    await origin.stop();
    await closeNats(nats);
    await closeRedis(redis);
    await metrics.close();
  });
}

runMain('origin', async () => {
  // Validated once here, so that the primary refuses a configuration its workers could not run.
  const config = loadOriginConfig();
  if (config.workers > 1 && cluster.isPrimary) {
    runWorkerPrimary({ role: 'origin', workers: config.workers, logger: createLogger('origin'), defaultMetricsPort: ORIGIN_METRICS_PORT });
  } else {
    await main(config);
  }
});
