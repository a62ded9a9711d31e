/**
 * More than one core per edge: with EDGE_WORKERS=N (> 1) the edge process becomes a small supervisor (node:cluster
 * primary) that forks N workers, each a complete edge with its own Redis and NATS connections. The workers share
 * the RTMP, RTMPS and HTTP ports (the primary accepts connections and hands them out round-robin, which suits
 * long-lived publishers); each registers as its own node, `<NODE_ID>-<i>`, and serves Prometheus metrics on
 * METRICS_PORT + i. A stream is held by the one worker its publisher landed on, so nothing about streams changes.
 * `/status` is answered by whichever worker takes the request and lists that worker's streams (its
 * `node` field says which); the cluster-wide list is the control plane's `/v1/streams`.
 *
 * The primary restarts a worker that dies after it was serving (its publishers reconnect, as after any edge
 * crash); a worker that dies before it ever served (a port in use, Redis or NATS settings wrong) is a startup
 * failure: everything stops with exit code 1 instead of restarting in a loop. SIGTERM and SIGINT are forwarded to
 * the workers and the primary exits once they have stopped (or after the graceful-stop deadline).
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '@ingest/telemetry';

/** What a worker must change in its environment before it loads the edge configuration. */
export function workerEnvironment(env: NodeJS.ProcessEnv, index: number): Record<string, string> {
  const metricsPort = Number(env.METRICS_PORT ?? 9464);
  return {
    NODE_ID: `${env.NODE_ID || `edge-${process.pid}`}-${index}`,
    METRICS_PORT: String(metricsPort === 0 ? 0 : metricsPort + index),
  };
}

/** Tells the primary this worker is serving (its log line "edge ready" follows from the primary). */
export function reportWorkerReady(): void {
  if (cluster.isWorker) process.send?.({ type: 'edge-ready' });
}

export function runEdgePrimary(workers: number, logger: Logger, deadlineMs = 12_000): void {
  const byIndex = new Map<number, Worker>();
  /** Workers (by index) that have served at least once: only those are restarted when they die. */
  const served = new Set<number>();
  let stopping = false;
  let announced = false;

  const fork = (index: number): void => {
    const worker = cluster.fork(workerEnvironment(process.env, index));
    byIndex.set(index, worker);
    worker.on('message', (message: { type?: string }) => {
      if (message?.type !== 'edge-ready') return;
      served.add(index);
      if (!announced && served.size === workers) {
        announced = true;
        logger.info({ workers, pids: [...byIndex.values()].map((w) => w.process.pid) }, 'edge ready');
      }
    });
    worker.on('exit', (code, signal) => {
      if (byIndex.get(index) === worker) byIndex.delete(index);
      if (stopping) {
        if (byIndex.size === 0) process.exit(exitCode);
        return;
      }
      if (!served.has(index)) {
        logger.fatal({ code: 'EDGE_WORKER_START_FAILED', worker: index, exitCode: code, signal }, 'edge worker failed to start: stopping');
        exitCode = 1;
        stop('SIGTERM');
        return;
      }
      logger.error({ code: 'EDGE_WORKER_EXITED', worker: index, exitCode: code, signal }, 'edge worker exited; restarting it');
      setTimeout(() => {
        if (!stopping) fork(index);
      }, 1000).unref();
    });
  };

  let exitCode = 0;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: byIndex.size }, 'stopping');
    if (byIndex.size === 0) process.exit(exitCode);
    for (const worker of byIndex.values()) worker.process.kill('SIGTERM');
    setTimeout(() => {
      logger.error({ code: 'STOP_TIMEOUT', deadlineMs }, 'workers did not stop in time: killing them');
      for (const worker of byIndex.values()) worker.process.kill('SIGKILL');
      process.exit(1);
    }, deadlineMs).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  logger.info({ workers }, 'starting edge workers');
  for (let i = 0; i < workers; i++) fork(i);
}
