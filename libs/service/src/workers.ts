/**
 * More than one core per node: with EDGE_WORKERS=N or ORIGIN_WORKERS=N (> 1) the node's process becomes a small
 * supervisor (node:cluster primary) that forks N workers, each a complete node with its own Redis and NATS
 * connections. The workers share the node's listening ports (the primary accepts connections and hands them out
 * round-robin); each registers as its own node, `<NODE_ID>-<i>`, and serves Prometheus metrics on METRICS_PORT + i
 * (METRICS_PORT=0 stays 0: every worker picks a free port).
 *
 * The primary restarts a worker that dies after it was serving (its clients reconnect, as after any node crash);
 * a worker that dies before it ever served (a port in use, Redis or NATS settings wrong) is a startup failure:
 * everything stops with exit code 1 instead of restarting in a loop. SIGTERM and SIGINT are forwarded to the
 * workers and the primary exits once they have stopped (or with exit code 1 after `deadlineMs`).
 *
 * Log lines of the primary, with `<role>` the node's role: `starting <role> workers`, `<role> ready` (once every
 * worker has served, with their pids), `<ROLE>_WORKER_START_FAILED`, `<ROLE>_WORKER_EXITED`, `STOP_TIMEOUT`.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '@ingest/telemetry';

export interface WorkerPrimaryOptions {
  /** 'edge', 'origin': used in the default node id, the log codes and messages, and the ready message. */
  role: string;
  /** Number of workers (> 1 to be useful). */
  workers: number;
  logger: Logger;
  /** After SIGTERM/SIGINT, workers still running this long later are killed and the primary exits 1. */
  deadlineMs?: number;
  /** The node's METRICS_PORT when the variable is not set (9464 for the edge, 9465 for the origin). */
  defaultMetricsPort: number;
}

/** What a worker must change in its environment before it loads its node's configuration. */
export function workerEnvironment(env: NodeJS.ProcessEnv, index: number, role: string, defaultMetricsPort: number): Record<string, string> {
  const raw = env.METRICS_PORT;
  const metricsPort = raw === undefined || raw === '' ? defaultMetricsPort : Number(raw);
  return {
    NODE_ID: `${env.NODE_ID || `${role}-${process.pid}`}-${index}`,
    METRICS_PORT: String(metricsPort === 0 ? 0 : metricsPort + index),
  };
}

const readyMessage = (role: string): string => `${role}-ready`;

/** Tells the primary this worker is serving (the line "<role> ready" follows from the primary); no-op outside a worker. */
export function reportWorkerReady(role: string): void {
  if (cluster.isWorker) process.send?.({ type: readyMessage(role) });
}

/** Runs this process as the supervisor of `workers` workers (call only when cluster.isPrimary). */
export function runWorkerPrimary(options: WorkerPrimaryOptions): void {
  const { role, workers, logger, deadlineMs = 12_000, defaultMetricsPort } = options;
  const code = role.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  const byIndex = new Map<number, Worker>();
  /** Workers (by index) that have served at least once: only those are restarted when they die. */
  const served = new Set<number>();
  let stopping = false;
  let announced = false;
  let exitCode = 0;

  const fork = (index: number): void => {
    const worker = cluster.fork(workerEnvironment(process.env, index, role, defaultMetricsPort));
    byIndex.set(index, worker);
    worker.on('message', (message: { type?: string }) => {
      if (message?.type !== readyMessage(role)) return;
      served.add(index);
      if (!announced && served.size === workers) {
        announced = true;
        logger.info({ workers, pids: [...byIndex.values()].map((w) => w.process.pid) }, `${role} ready`);
      }
    });
    worker.on('exit', (exit, signal) => {
      if (byIndex.get(index) === worker) byIndex.delete(index);
      if (stopping) {
        if (byIndex.size === 0) process.exit(exitCode);
        return;
      }
      if (!served.has(index)) {
        logger.fatal({ code: `${code}_WORKER_START_FAILED`, worker: index, exitCode: exit, signal }, `${role} worker failed to start: stopping`);
        exitCode = 1;
        stop('SIGTERM');
        return;
      }
      logger.error({ code: `${code}_WORKER_EXITED`, worker: index, exitCode: exit, signal }, `${role} worker exited; restarting it`);
      setTimeout(() => {
        if (!stopping) fork(index);
      }, 1000).unref();
    });
  };

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

  logger.info({ workers }, `starting ${role} workers`);
  for (let i = 0; i < workers; i++) fork(i);
}
