/**
 * More than one core per edge: with EDGE_WORKERS=N (> 1) the edge process becomes a small supervisor (node:cluster
 * primary, `runWorkerPrimary` in @ingest/service) that forks N workers, each a complete edge with its own Redis and
 * NATS connections. The workers share the RTMP, RTMPS and HTTP ports (connections handed out round-robin, which
 * suits long-lived publishers); each registers as its own node, `<NODE_ID>-<i>`, and serves Prometheus metrics on
 * METRICS_PORT + i. A stream is held by the one worker its publisher landed on, so nothing about streams changes.
 * `/status` is answered by whichever worker takes the request and lists that worker's streams (its
 * `node` field says which); the cluster-wide list is the control plane's `/v1/streams`.
 *
 * Restarts, startup failures (EDGE_WORKER_START_FAILED, exit 1) and signal forwarding: see libs/service/src/workers.ts.
 */
import { reportWorkerReady as reportReady, runWorkerPrimary, workerEnvironment as environment } from '@ingest/service';
import type { Logger } from '@ingest/telemetry';

/** The edge's METRICS_PORT default (config.ts). */
const EDGE_METRICS_PORT = 9464;

/** What a worker must change in its environment before it loads the edge configuration. */
export function workerEnvironment(env: NodeJS.ProcessEnv, index: number): Record<string, string> {
  return environment(env, index, 'edge', EDGE_METRICS_PORT);
}

/** Tells the primary this worker is serving (its log line "edge ready" follows from the primary). */
export function reportWorkerReady(): void {
  reportReady('edge');
}

export function runEdgePrimary(workers: number, logger: Logger, deadlineMs = 12_000): void {
  runWorkerPrimary({ role: 'edge', workers, logger, deadlineMs, defaultMetricsPort: EDGE_METRICS_PORT });
}
