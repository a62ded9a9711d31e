/**
 * The origin under test, as a separate process from its build (apps/origin/dist/main.js), on free loopback ports,
 * optionally under `taskset -c` (taskset execs, so the pid we hold is the origin's own). It always needs Redis and
 * NATS to start; the caller passes the private ones (@ingest/testing startServices).
 * With `directIngest` it also accepts RTMP publishers on ORIGIN_DIRECT_INGEST_PORT (single-process mode).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, jsonLogs, spawnManaged, type ClusterServices, type ManagedProcess } from '@ingest/testing';
import { nodeBinary, serverNodeArgs, warnLines } from './edge-process';
import { ROOT } from './paths';
import { pinnedCommand } from './procfs';

export const ORIGIN_MAIN = join(ROOT, 'apps', 'origin', 'dist', 'main.js');

export interface OriginStatus {
  viewers: number;
  streams: Array<{ name: string; viewers: Record<string, number>; messages: number; lastMessageAgoMs: number | null; ended: boolean }>;
}

export interface OriginProcess {
  process: ManagedProcess;
  pid: number;
  rtmpPort: number;
  httpPort: number;
  /** The direct-ingest RTMP port, when started with `directIngest`. */
  directIngestPort: number | undefined;
  status(): Promise<OriginStatus>;
  /** Log lines at warn level or above. */
  problems(): string[];
  logs(): Array<Record<string, unknown>>;
  /** SIGTERM, SIGKILL after 5 s. Leaves Redis and NATS running. */
  stop(): Promise<void>;
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

export async function startOriginProcess(options: {
  services: ClusterServices;
  pinServer?: string;
  directIngest?: boolean;
  env?: Record<string, string>;
}): Promise<OriginProcess> {
  if (!existsSync(ORIGIN_MAIN)) throw new Error(`${ORIGIN_MAIN} is missing: run \`npm run build\` first`);
  const [rtmpPort, httpPort, directPort] = await distinctFreePorts(3);
  const env: Record<string, string> = {
    REDIS_URL: options.services.redis.url,
    NATS_URL: options.services.nats.url,
    NODE_ID: `bench-origin-${rtmpPort}`,
    ORIGIN_HOST: '127.0.0.1',
    ORIGIN_RTMP_PORT: String(rtmpPort),
    ORIGIN_HTTP_PORT: String(httpPort),
    // 0: the metrics endpoint binds a port of the kernel's choosing (it is not scraped here).
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    ...(options.directIngest ? { ORIGIN_DIRECT_INGEST_PORT: String(directPort) } : {}),
    ...options.env,
  };
  const node = nodeBinary();
  const main = ORIGIN_MAIN;
  const proc = spawnManaged(...pinnedCommand(options.pinServer, node, serverNodeArgs(main)), { name: 'origin', env });
  try {
    await proc.waitForOutput(/origin ready/, 15_000);
  } catch (err) {
    await proc.kill('SIGKILL');
    throw err;
  }
  return {
    process: proc,
    pid: proc.pid,
    rtmpPort,
    httpPort,
    directIngestPort: options.directIngest ? directPort : undefined,
    status: async () => {
      const res = await fetch(`http://127.0.0.1:${httpPort}/status`);
      if (!res.ok) throw new Error(`origin /status answered ${res.status}`);
      return (await res.json()) as OriginStatus;
    },
    problems: () => warnLines(proc),
    logs: () => jsonLogs(proc),
    stop: () => proc.kill('SIGTERM'),
  };
}
