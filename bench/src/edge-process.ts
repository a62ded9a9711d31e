/**
 * The edge under test, as a separate process from its build (apps/edge/dist/main.js), on free loopback ports,
 * optionally under `taskset -c`. taskset execs the program, so the pid we hold is the edge's own.
 * The edge claims streams in Redis and relays every media message over NATS, so a private redis-server and
 * nats-server are started beside it (@ingest/testing startServices, free ports): the benchmark never touches a
 * Redis or NATS that something else on the machine uses.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER_NODE_FLAGS, freePort, spawnManaged, startServices, type ClusterServices, type ManagedProcess } from '@ingest/testing';
import { ROOT } from './paths';
import { pinnedCommand } from './procfs';

export const EDGE_MAIN = join(ROOT, 'apps', 'edge', 'dist', 'main.js');

/** The project's Node (the `node` devDependency); the running one if that is missing. */
export function nodeBinary(): string {
  const local = join(ROOT, 'node_modules', '.bin', 'node');
  return existsSync(local) ? local : process.execPath;
}

/**
 * The servers' Node flags: the project's own (SERVER_NODE_FLAGS, as `npm start` runs them), then extra ones for the
 * servers under test only (not this load process) from BENCH_SERVER_NODE_ARGS (space-separated): e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the edge and origin during a run, or `--trace-gc` with
 * INGEST_TEST_ECHO=1 to see their collections.
 */
export function serverNodeArgs(main: string): string[] {
  const extra = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
  return [...SERVER_NODE_FLAGS, ...extra, main];
}

/** What the edge's /status answers (the fields the benchmark reads). */
export interface EdgeStreamStatus {
  name: string;
  endedAt?: string;
  videoFrames: number;
  audioFrames: number;
  keyframes: number;
  bytes: number;
  malformedTags: number;
  bitrateKbps: number;
  fps?: number;
}

export interface EdgeStatus {
  connections: number;
  streams: EdgeStreamStatus[];
  recent: EdgeStreamStatus[];
}

export interface EdgeProcess {
  process: ManagedProcess;
  pid: number;
  /** The redis-server and nats-server the edge uses (its own private ones unless they were passed in). */
  services: ClusterServices;
  rtmpPort: number;
  httpPort: number;
  status(): Promise<EdgeStatus>;
  /** Log lines at warn level or above (pino levels >= 40). */
  problems(): string[];
  /** Stops the edge (SIGTERM, SIGKILL after 5 s), then Redis and NATS if it started them. */
  stop(): Promise<void>;
}

/**
 * Warnings the benchmark causes on purpose: the edge runs with EDGE_AUTHORIZATION=open (no control plane here)
 * and says so once at start.
 */
export const EXPECTED_WARNING_CODES: ReadonlySet<string> = new Set(['EDGE_OPEN_AUTHORIZATION']);

/** Output lines of a pino process at warn level or above (levels >= 40), and any line that is not JSON. */
export function warnLines(proc: ManagedProcess, expected: ReadonlySet<string> = EXPECTED_WARNING_CODES): string[] {
  return proc
    .output()
    .split('\n')
    .filter((line) => {
      if (!line.startsWith('{')) return line.trim() !== '';
      try {
        const entry = JSON.parse(line) as { level?: unknown; code?: unknown };
        return Number(entry.level) >= 40 && !expected.has(String(entry.code));
      } catch {
        return true;
      }
    });
}

/**
 * Starts the edge. Without `services` it starts a private Redis and NATS and stop() stops them too; with
 * `services` (shared with an origin) it uses those and leaves them running.
 */
export async function startEdgeProcess(options: { pinServer?: string; env?: Record<string, string>; services?: ClusterServices } = {}): Promise<EdgeProcess> {
  if (!existsSync(EDGE_MAIN)) throw new Error(`${EDGE_MAIN} is missing: run \`npm run build\` first`);
  const own = options.services === undefined;
  const services = options.services ?? (await startServices());
  const stopServices = async (): Promise<void> => {
    if (own) await services.stop();
  };
  const rtmpPort = await freePort();
  let httpPort = await freePort();
  while (httpPort === rtmpPort) httpPort = await freePort();
  const env = {
    REDIS_URL: services.redis.url,
    NATS_URL: services.nats.url,
    EDGE_HOST: '127.0.0.1',
    EDGE_RTMP_PORT: String(rtmpPort),
    EDGE_RTMPS_PORT: '0',
    EDGE_HTTP_PORT: String(httpPort),
    // 0: the metrics endpoint binds a port of the kernel's choosing (it is not scraped here).
    METRICS_PORT: '0',
    NODE_ID: `bench-edge-${rtmpPort}`,
    LOG_LEVEL: 'info',
    // The benchmark measures the media path: publishers use their stream names directly (no control plane).
    EDGE_AUTHORIZATION: 'open',
    ...options.env,
  };
  const node = nodeBinary();
  let proc: ManagedProcess;
  try {
    proc = spawnManaged(...pinnedCommand(options.pinServer, node, serverNodeArgs(EDGE_MAIN)), { name: 'edge', env });
  } catch (err) {
    await stopServices();
    throw err;
  }
  try {
    await proc.waitForOutput(/edge ready/, 15_000);
  } catch (err) {
    await proc.kill('SIGKILL');
    await stopServices();
    throw err;
  }
  const status = async (): Promise<EdgeStatus> => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/status`);
    if (!res.ok) throw new Error(`edge /status answered ${res.status}`);
    return (await res.json()) as EdgeStatus;
  };
  return {
    process: proc,
    pid: proc.pid,
    services,
    rtmpPort,
    httpPort,
    status,
    problems: () => warnLines(proc),
    stop: async () => {
      try {
        await proc.kill('SIGTERM');
      } finally {
        await stopServices();
      }
    },
  };
}
