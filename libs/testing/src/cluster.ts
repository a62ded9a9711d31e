/**
 * The cluster's own nodes as real processes for end-to-end tests and the benchmark: private redis-server and
 * nats-server on free ports, edges and origins started from their builds (apps/<name>/dist/main.js) with
 * every port free and chosen here. Nothing is imported from the apps: they are only spawned.
 */
import { join } from 'node:path';
import { freePort } from './ports';
import { SERVER_NODE_FLAGS } from '@ingest/service';
import { spawnManaged, type ManagedProcess } from './process';
import { startNats } from './nats';
import { startRedis } from './redis';
import type { TestServer } from './server';
import { makeSelfSignedCert } from './tls';
import { makeTempDir } from './tmp';

/** The repository root (this file runs from libs/testing/src under jest, libs/testing/dist when built). */
export const REPO_ROOT = join(__dirname, '..', '..', '..');
/** The project's Node (the `node` devDependency), the one the apps run on. */
export { SERVER_NODE_FLAGS };
export const NODE = join(REPO_ROOT, 'node_modules', '.bin', 'node');

export interface ClusterServices {
  redis: TestServer;
  nats: TestServer;
  stop(): Promise<void>;
}

/** Private redis-server and nats-server processes on free ports. */
export async function startServices(): Promise<ClusterServices> {
  const [redis, nats] = await Promise.all([startRedis(), startNats({ jetstream: true })]);
  return { redis, nats, stop: async () => void (await Promise.all([redis.stop(), nats.stop()])) };
}

/** Polls until `check` returns a truthy value, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** pino JSON lines of a process's output. */
export function jsonLogs(proc: ManagedProcess): Array<Record<string, unknown>> {
  return proc
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
}

async function getJson<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

export interface EdgeStreamSummary {
  name: string;
  videoFrames: number;
  endedAt?: string;
}

export interface RunningEdge<Status = { connections: number; streams: EdgeStreamSummary[]; recent: EdgeStreamSummary[] }> {
  id: string;
  process: ManagedProcess;
  rtmpPort: number;
  rtmpsPort: number;
  httpPort: number;
  metricsPort: number;
  env: Record<string, string>;
  status(): Promise<Status>;
  /** The newest live or ended stream with that name, from /status. */
  stream(name: string): Promise<EdgeStreamSummary | undefined>;
  logs(): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/**
 * Runs `attempt` (pick free ports, start a node, wait until it is ready) again, with new ports, when the node died
 * with EADDRINUSE: a port freePort() handed out can be taken by anyone (another suite, an outgoing connection's
 * ephemeral port) before the node binds it.
 */
async function retryOnAddressInUse<T>(attempt: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (i >= attempts || !String((err as Error).message).includes('EADDRINUSE')) throw err;
    }
  }
}

/** Starts an edge; without `services` it starts (and on stop() stops) its own Redis and NATS. */
export async function startEdge(env: Record<string, string> = {}, services?: ClusterServices): Promise<RunningEdge> {
  const own = services ? undefined : await startServices();
  const cluster = services ?? own!;
  const dir = await makeTempDir('edge-test-');
  const { cert, key } = await makeSelfSignedCert(dir);
  const { proc, id, rtmpPort, rtmpsPort, httpPort, metricsPort, fullEnv } = await retryOnAddressInUse(async () => {
    const [rtmpPort, rtmpsPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const id = env.NODE_ID ?? `edge-${rtmpPort}`;
    const fullEnv = {
      NODE_ID: id,
      EDGE_HOST: '127.0.0.1',
      EDGE_RTMP_PORT: String(rtmpPort),
      EDGE_RTMPS_PORT: String(rtmpsPort),
      EDGE_HTTP_PORT: String(httpPort),
      METRICS_PORT: String(metricsPort),
      EDGE_TLS_CERT: cert,
      EDGE_TLS_KEY: key,
      LOG_LEVEL: 'debug',
      REDIS_URL: cluster.redis.url,
      NATS_URL: cluster.nats.url,
      // Tests of the media path run without a control plane unless they set CONTROL_GRPC_URL.
      EDGE_AUTHORIZATION: env.CONTROL_GRPC_URL ? 'control-plane' : 'open',
      ...env,
    };
    const proc = spawnManaged(NODE, [...SERVER_NODE_FLAGS, join(REPO_ROOT, 'apps', 'edge', 'dist', 'main.js')], { name: id, env: fullEnv });
    await proc.waitForOutput(/edge ready/, 15_000);
    return { proc, id, rtmpPort, rtmpsPort, httpPort, metricsPort, fullEnv };
  });
  return {
    id,
    process: proc,
    rtmpPort,
    rtmpsPort,
    httpPort,
    metricsPort,
    env: fullEnv,
    status: () => getJson(`http://127.0.0.1:${httpPort}/status`),
    async stream(name) {
      const s = await getJson<{ streams: EdgeStreamSummary[]; recent: EdgeStreamSummary[] }>(`http://127.0.0.1:${httpPort}/status`);
      return [...s.streams, ...s.recent].find((x) => x.name === name);
    },
    logs: () => jsonLogs(proc),
    stop: async () => {
      await proc.kill('SIGTERM');
      await own?.stop();
    },
  };
}

export interface RunningOrigin {
  id: string;
  process: ManagedProcess;
  rtmpPort: number;
  httpPort: number;
  rtmpUrl(name: string): string;
  flvUrl(name: string): string;
  wsUrl(name: string): string;
  status(): Promise<{ viewers: number; streams: Array<{ name: string; viewers: Record<string, number>; messages: number }> }>;
  logs(): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startOrigin(services: ClusterServices, id: string, env: Record<string, string> = {}): Promise<RunningOrigin> {
  const { proc, rtmpPort, httpPort } = await retryOnAddressInUse(async () => {
    const [rtmpPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    const proc = spawnManaged(NODE, [...SERVER_NODE_FLAGS, join(REPO_ROOT, 'apps', 'origin', 'dist', 'main.js')], {
      name: id,
      env: {
        NODE_ID: id,
        ORIGIN_HOST: '127.0.0.1',
        ORIGIN_RTMP_PORT: String(rtmpPort),
        ORIGIN_HTTP_PORT: String(httpPort),
        METRICS_PORT: String(metricsPort),
        REDIS_URL: services.redis.url,
        NATS_URL: services.nats.url,
        LOG_LEVEL: 'debug',
        HEARTBEAT_MS: '1000',
        ORIGIN_STALE_MS: '2000',
        ...env,
      },
  });
  await proc.waitForOutput(/origin ready/, 15_000);
  return { proc, rtmpPort, httpPort };
  });
  return {
    id,
    process: proc,
    rtmpPort,
    httpPort,
    rtmpUrl: (name) => `rtmp://127.0.0.1:${rtmpPort}/live/${name}`,
    flvUrl: (name) => `http://127.0.0.1:${httpPort}/live/${name}.flv`,
    wsUrl: (name) => `ws://127.0.0.1:${httpPort}/live/${name}.flv`,
    status: () => getJson(`http://127.0.0.1:${httpPort}/status`),
    logs: () => jsonLogs(proc),
    stop: () => proc.kill('SIGTERM'),
  };
}

export interface Cluster {
  services: ClusterServices;
  edges: RunningEdge[];
  origins: RunningOrigin[];
  stop(): Promise<void>;
}

/** Redis, NATS, `edges` edges (edge-a, edge-b, ...) and `origins` origins (origin-a, ...), with short TTLs. */
export async function startCluster(
  options: { edges?: number; origins?: number; edgeEnv?: Array<Record<string, string>>; originEnv?: Record<string, string> } = {},
): Promise<Cluster> {
  const services = await startServices();
  const letter = (i: number) => String.fromCharCode(97 + i);
  const edges = await Promise.all(
    Array.from({ length: options.edges ?? 2 }, (_, i) =>
      startEdge({ NODE_ID: `edge-${letter(i)}`, STREAM_TTL_MS: '3000', HEARTBEAT_MS: '1000', ...(options.edgeEnv?.[i] ?? {}) }, services),
    ),
  );
  const origins = await Promise.all(Array.from({ length: options.origins ?? 2 }, (_, i) => startOrigin(services, `origin-${letter(i)}`, options.originEnv)));
  return {
    services,
    edges,
    origins,
    async stop() {
      await Promise.all([...edges.map((e) => e.stop()), ...origins.map((o) => o.stop())]);
      await services.stop();
    },
  };
}

export interface RunningControlPlane {
  process: ManagedProcess;
  apiPort: number;
  grpcPort: number;
  token: string;
  /** `fetch` against the REST API with the bearer token. */
  api(path: string, init?: RequestInit): Promise<Response>;
  logs(): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Starts the control plane (REST + gRPC) from its build against the given Redis and NATS. */
export async function startControlPlane(
  services: ClusterServices,
  env: Record<string, string> = {},
  ports?: { apiPort?: number; grpcPort?: number },
): Promise<RunningControlPlane> {
  const apiPort = ports?.apiPort ?? (await freePort());
  const grpcPort = ports?.grpcPort ?? (await freePort());
  const metricsPort = await freePort();
  const token = env.ADMIN_TOKEN ?? 'test-admin-token-0123456789abcdef';
  const proc = spawnManaged(NODE, [join(REPO_ROOT, 'apps', 'control-plane', 'dist', 'main.js')], {
    name: 'control-plane',
    env: {
      NODE_ID: 'control-plane-test',
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      METRICS_PORT: String(metricsPort),
      ADMIN_TOKEN: token,
      REDIS_URL: services.redis.url,
      NATS_URL: services.nats.url,
      LOG_LEVEL: 'debug',
      ...env,
    },
  });
  await proc.waitForOutput(/control plane ready/, 20_000);
  return {
    process: proc,
    apiPort,
    grpcPort,
    token,
    api: (path, init = {}) =>
      fetch(`http://127.0.0.1:${apiPort}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
      }),
    logs: () => jsonLogs(proc),
    stop: () => proc.kill('SIGTERM'),
  };
}
