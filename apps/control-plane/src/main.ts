/**
 * Control plane entry point: configuration from the environment, JSON logs, metrics, Redis, NATS, the REST API,
 * gRPC AuthorizePublish for the edges, and the webhook dispatcher for stream events.
 */
import { startControlGrpcServer } from '@ingest/control-proto';
import { EventPublisher, WebhookDispatcher, ensureEventsStream } from '@ingest/events';
import { closeNats, connectNats } from '@ingest/relay';
import { StreamKeyStore, closeRedis, connectRedis, waitForRedis } from '@ingest/registry';
import { runMain, stopOnSignals } from '@ingest/service';
import { createLogger, startMetrics } from '@ingest/telemetry';
import { createApp, listenApp } from './app';
import { loadConfig } from './config';
import { PublishAuthorization } from './grpc/publish-authorization';

runMain('control-plane', async () => {
  const logger = createLogger('control-plane');
  const config = loadConfig();
  if (config.adminTokenGenerated) {
    // Printed once, on purpose: without it nobody could call the API. Not a configured secret.
    logger.warn(
      { generatedAdminToken: config.adminToken },
      'ADMIN_TOKEN is not set: GENERATED a random admin token for this run (development only; set ADMIN_TOKEN, required when NODE_ENV=production)',
    );
  }
  if (config.webhookUrls.length > 0 && !config.webhookSecret) throw new Error('WEBHOOK_SECRET is required when WEBHOOK_URLS is set');
  const metrics = await startMetrics({ serviceName: 'control-plane', port: config.metricsPort, logger });
  const redis = connectRedis(config.redisUrl, { logger, name: config.nodeId });
  // Not fatal: the API answers 503 (and /readyz says not ready) until Redis is back.
  await waitForRedis(redis, 5000).catch(() => logger.warn('redis not ready yet; starting anyway'));
  const nats = await connectNats(config.natsUrl, { logger, name: config.nodeId });
  await ensureEventsStream(nats).catch((err: Error) => logger.warn({ code: 'EVENTS_UNAVAILABLE', reason: err.message }, 'JetStream EVENTS stream unavailable'));
  const events = new EventPublisher(nats, logger);
  const webhooks = new WebhookDispatcher(nats, { urls: config.webhookUrls, secret: config.webhookSecret, logger });
  await webhooks.start();
  const grpc = await startControlGrpcServer(new PublishAuthorization(new StreamKeyStore(redis), logger), {
    port: config.grpcPort,
    host: config.grpcHost,
    logger,
  });
  const app = await createApp({ config, redis, nats, logger, streamEvents: events });
  const port = await listenApp(app, config.apiPort, config.apiHost);
  logger.info({ port, grpcPort: grpc.port, host: config.apiHost, docs: '/docs', metricsPort: metrics.port, webhooks: config.webhookUrls.length }, `control plane ready on port ${port}`);
  stopOnSignals(logger, async () => {
    await app.close();
    await grpc.close();
    await webhooks.stop();
    await closeNats(nats);
    await closeRedis(redis);
    await metrics.close();
  });
});
