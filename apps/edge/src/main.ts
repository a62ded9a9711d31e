/** Edge node entry point: configuration from the environment, JSON logs, metrics, graceful stop on SIGTERM/SIGINT. */
import { createLogger, startMetrics } from '@ingest/telemetry';
import { loadEdgeConfig } from './config';
import { EdgeServer } from './edge-server';

async function main(): Promise<void> {
  const logger = createLogger('edge');
  const config = loadEdgeConfig();
  const metrics = await startMetrics({ serviceName: 'edge', port: config.metricsPort, logger });
  const edge = new EdgeServer(config, { logger, meter: metrics.meter });
  await edge.start();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    void edge
      .stop()
      .then(() => metrics.close())
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', msg: 'edge failed to start', err: String(err) }));
  process.exit(1);
});
