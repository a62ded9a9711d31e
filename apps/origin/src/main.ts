/** Origin node entry point: configuration from the environment, Redis, NATS, metrics, graceful stop. */
import { closeNats, connectNats } from '@ingest/relay';
import { NodeRegistry, closeRedis, connectRedis } from '@ingest/registry';
import { runMain, stopOnSignals } from '@ingest/service';
import { createLogger, startMetrics } from '@ingest/telemetry';
import { loadOriginConfig } from './config';
import { OriginServer } from './origin-server';

runMain('origin', async () => {
  const logger = createLogger('origin');
  const config = loadOriginConfig();
  const metrics = await startMetrics({ serviceName: 'origin', port: config.metricsPort, logger });
  const redis = connectRedis(config.redisUrl, { logger, name: config.nodeId });
  const nats = await connectNats(config.natsUrl, { logger, name: config.nodeId });
  const epoch = await new NodeRegistry(redis).nextEpoch(config.nodeId).catch(() => Date.now() % 0xffffffff);
  const origin = new OriginServer(config, { logger, meter: metrics.meter, redis, nats, epoch });
  await origin.start();
  stopOnSignals(logger, async () => {
    await origin.stop();
    await closeNats(nats);
    await closeRedis(redis);
    await metrics.close();
  });
});
