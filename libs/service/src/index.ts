/**
 * What every node process (edge, origin, control plane) does the same way: read integer settings from the
 * environment, listen on a port, and stop gracefully on SIGTERM/SIGINT; and, for the edge and origin, run as a
 * supervisor of node:cluster workers (workers.ts).
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from '@ingest/telemetry';

/** A non-negative integer from the environment, or the fallback; anything else is a startup error. */
export function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
  return value;
}

/** An on/off setting from the environment: on unless set to 0, false, off or no (any case). */
export function envOn(env: NodeJS.ProcessEnv, name: string): boolean {
  return !['0', 'false', 'off', 'no'].includes((env[name] ?? '').trim().toLowerCase());
}

interface Listenable {
  listen(port: number, host: string, callback: () => void): unknown;
  once(event: 'error', listener: (err: Error) => void): unknown;
  off(event: 'error', listener: (err: Error) => void): unknown;
  address(): AddressInfo | string | null;
}

/** Listens and resolves with the bound port (port 0 picks a free one). */
export function listen(server: Listenable, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Runs `stop` once on SIGTERM or SIGINT, then exits 0 (1 if stopping failed). Each step of `stop` should bound
 * its own wait; whatever happens, the process exits `deadlineMs` after the signal (Kubernetes would SIGKILL it
 * anyway). Later signals are ignored: Ctrl-C under `npm start` reaches a node twice (the terminal's SIGINT to the
 * process group, then the launcher's SIGTERM).
 */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>, deadlineMs = 10_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    setTimeout(() => {
      logger.error({ code: 'STOP_TIMEOUT', deadlineMs }, 'graceful stop did not finish in time: exiting');
      process.exit(1);
    }, deadlineMs).unref();
    stop().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error({ reason: err.message }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/** Runs a node's main(); a startup failure is one fatal JSON log line and exit code 1. */
export function runMain(component: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(JSON.stringify({ level: 60, time: new Date().toISOString(), component, msg: `${component} failed to start`, err: String(err) }));
    process.exit(1);
  });
}

/**
 * V8 flags the edge and origin run with (scripts/start.js, @ingest/testing and the benchmark start them so).
 *
 * `--max-semi-space-size=1` (MiB): the media path allocates mostly short-lived buffers whose bytes live outside the
 * JS heap (socket reads, reassembled RTMP messages, NATS writes). With V8's default young generation those buffers
 * are freed only by a scavenge, which their small JS objects rarely trigger, so V8 instead runs full mark-compacts
 * for the external memory (about 3 per second on an edge ingesting 20 streams). A 1 MiB semi-space scavenges
 * often and cheaply and frees them young: the edge's ingest cost fell from 16.9 to 11.5 CPU-s/GB (bench/README.md).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

export { reportWorkerReady, runWorkerPrimary, workerEnvironment, type WorkerPrimaryOptions } from './workers';
