/** Origin node entry point: configuration from the environment, Redis, NATS, metrics, graceful stop. */
import { closeNats, connectNats } from '@ingest/relay';
import { NodeRegistry, closeRedis, connectRedis } from '@ingest/registry';
import { createLogger, startMetrics } from '@ingest/telemetry';
import { loadOriginConfig } from './config';
import { OriginServer } from './origin-server';

async function main(): Promise<void> {
  const logger = createLogger('origin');
  const config = loadOriginConfig();
  const metrics = await startMetrics({ serviceName: 'origin', port: config.metricsPort, logger });
  const redis = connectRedis(config.redisUrl, { logger, name: config.nodeId });
  const nats = await connectNats(config.natsUrl, { logger, name: config.nodeId });
  const epoch = await new NodeRegistry(redis).nextEpoch(config.nodeId).catch(() => Date.now());
  const origin = new OriginServer(config, { logger, meter: metrics.meter, redis, nats, epoch });
  await origin.start();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    void origin
      .stop()
      .then(() => closeNats(nats))
      .then(() => closeRedis(redis))
      .then(() => metrics.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(JSON.stringify({ level: 60, msg: 'origin failed to start', err: String(err) }));
  process.exit(1);
});
