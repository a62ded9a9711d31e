import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Meter } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Logger } from './logger';
import { METRIC, observableCounter, observableGauge } from './names';

export interface MetricsOptions {
  /** Names the OTel meter; also logged. */
  serviceName: string;
  /** Port for the Prometheus endpoint; 0 picks a free one (reported in `Metrics.port`). */
  port: number;
  /** Default '0.0.0.0'. */
  host?: string;
  logger?: Logger;
}

export interface Metrics {
  meter: Meter;
  /** The port actually bound (useful with `port: 0`). */
  port: number;
  /** Stops the HTTP endpoint, the process probes and the MeterProvider. Idempotent. */
  close(): Promise<void>;
}

export const METRICS_PATH = '/metrics';

/**
 * Starts an OTel MeterProvider whose PrometheusExporter is served at `http://host:port/metrics`, plus the default
 * process metrics (CPU, RSS, event-loop lag and utilization).
 *
 * The exporter's own server cannot bind port 0 (it treats 0 as "use 9464") nor report its port, so the exporter is
 * created with `preventServerStart` and its request handler is served from our own `http.Server`.
 * Series carry only their own labels (no `otel_scope_*` labels, no `target_info`): Prometheus identifies the
 * target by its scrape labels.
 */
export async function startMetrics(options: MetricsOptions): Promise<Metrics> {
  const host = options.host ?? '0.0.0.0';
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, withoutTargetInfo: true });
  const provider = new MeterProvider({ readers: [exporter] });
  const meter = provider.getMeter(options.serviceName);
  const stopProcessMetrics = registerProcessMetrics(meter);

  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== METRICS_PATH) {
      res.statusCode = 404;
      res.end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('allow', 'GET, HEAD');
      res.end();
      return;
    }
    exporter.getMetricsRequestHandler(req, res);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Like the exporter's own server: the metrics endpoint alone does not keep a process alive.
  server.unref();

  try {
    await listen(server, options.port, host);
  } catch (err) {
    stopProcessMetrics();
    await provider.shutdown().catch(() => undefined);
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  options.logger?.info({ service: options.serviceName, host, port, path: METRICS_PATH }, 'metrics endpoint listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopProcessMetrics();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      await provider.shutdown();
      options.logger?.debug({ port }, 'metrics endpoint closed');
    })();
    return closing;
  };

  return { meter, port, close };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ port, host }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

const EVENT_LOOP_RESOLUTION_MS = 10;

/** Registers the process metrics on `meter`; returns a function that stops the event-loop probe. */
function registerProcessMetrics(meter: Meter): () => void {
  const delay = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  delay.enable();
  let lastElu: EventLoopUtilization = performance.eventLoopUtilization();

  observableCounter(meter, METRIC.processCpuSecondsTotal, (result) => {
    const usage = process.cpuUsage();
    result.observe((usage.user + usage.system) / 1e6);
  });
  observableGauge(meter, METRIC.processResidentMemoryBytes, (result) => {
    result.observe(process.memoryUsage.rss());
  });
  observableGauge(meter, METRIC.eventLoopLagSeconds, (result) => {
    // Samples are whole timer intervals (resolution included), so lag is what exceeds the resolution.
    // No sample yet (less than one tick since the last scrape) reads as 0.
    const p99 = delay.count > 0 ? delay.percentile(99) : 0;
    result.observe(Math.max(0, p99 / 1e9 - EVENT_LOOP_RESOLUTION_MS / 1e3));
    delay.reset();
  });
  observableGauge(meter, METRIC.eventLoopUtilization, (result) => {
    const now = performance.eventLoopUtilization();
    result.observe(performance.eventLoopUtilization(now, lastElu).utilization);
    lastElu = now;
  });

  return () => delay.disable();
}
