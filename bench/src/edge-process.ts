/**
 * The edge under test, as a separate process from its build (apps/edge/dist/main.js), on free loopback ports,
 * optionally under `taskset -c`. taskset execs the program, so the pid we hold is the edge's own.
 * The edge claims streams in Redis and relays every media message over NATS, so a private redis-server and
 * nats-server are started beside it (@ingest/testing startServices, free ports): the benchmark never touches a
 * Redis or NATS that something else on the machine uses.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, spawnManaged, startServices, type ClusterServices, type ManagedProcess } from '@ingest/testing';
import { ROOT } from './paths';

export const EDGE_MAIN = join(ROOT, 'apps', 'edge', 'dist', 'main.js');

/** The project's Node (the `node` devDependency); the running one if that is missing. */
export function nodeBinary(): string {
  const local = join(ROOT, 'node_modules', '.bin', 'node');
  return existsSync(local) ? local : process.execPath;
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
  /** The private redis-server and nats-server the edge uses. */
  services: ClusterServices;
  rtmpPort: number;
  httpPort: number;
  status(): Promise<EdgeStatus>;
  /** Log lines at warn level or above (pino levels >= 40). */
  problems(): string[];
  /** Stops the edge (SIGTERM, SIGKILL after 5 s), then Redis and NATS. */
  stop(): Promise<void>;
}

export async function startEdgeProcess(options: { pinServer?: string; env?: Record<string, string> } = {}): Promise<EdgeProcess> {
  if (!existsSync(EDGE_MAIN)) throw new Error(`${EDGE_MAIN} is missing: run \`npm run build\` first`);
  const services = await startServices();
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
    ...options.env,
  };
  const node = nodeBinary();
  let proc: ManagedProcess;
  try {
    proc = options.pinServer
      ? spawnManaged('taskset', ['-c', options.pinServer, node, EDGE_MAIN], { name: 'edge', env })
      : spawnManaged(node, [EDGE_MAIN], { name: 'edge', env });
  } catch (err) {
    await services.stop();
    throw err;
  }
  try {
    await proc.waitForOutput(/edge ready/, 15_000);
  } catch (err) {
    await proc.kill('SIGKILL');
    await services.stop();
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
    problems: () =>
      proc
        .output()
        .split('\n')
        .filter((line) => {
          if (!line.startsWith('{')) return line.trim() !== '';
          try {
            return Number((JSON.parse(line) as { level?: unknown }).level) >= 40;
          } catch {
            return true;
          }
        }),
    stop: async () => {
      try {
        await proc.kill('SIGTERM');
      } finally {
        await services.stop();
      }
    },
  };
}
