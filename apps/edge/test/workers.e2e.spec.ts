/**
 * EDGE_WORKERS=2: one edge process supervising two workers on the same ports, against a private Redis and NATS.
 * Publishers are spread over both workers (each registers its streams under its own node id), media from either
 * reaches an origin, a worker killed with SIGKILL is replaced while the other keeps its publishers, and SIGTERM
 * stops everything cleanly.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { StreamRegistry, closeRedis, connectRedis, waitForRedis } from '@ingest/registry';
import {
  NODE,
  RtmpTestClient,
  SERVER_NODE_FLAGS,
  cleanupTempDirs,
  ffprobeStreams,
  freePort,
  killAllManaged,
  makeTempDir,
  makeTestMedia,
  requireBinary,
  spawnManaged,
  startOrigin,
  startServices,
  type ClusterServices,
  type RunningOrigin,
} from '@ingest/testing';
import { eventually, startEdge, type RunningEdge } from './harness';

jest.setTimeout(120_000);

let services: ClusterServices;
let edge: RunningEdge;
let origin: RunningOrigin;
let redis: ReturnType<typeof connectRedis>;
let registry: StreamRegistry;
let media: string;
const clients: RtmpTestClient[] = [];

beforeAll(async () => {
  services = await startServices();
  media = await makeTestMedia({ file: join(await makeTempDir('workers-'), 'w.flv'), seconds: 20, audio: 'aac' });
  // METRICS_PORT 0: worker i would otherwise listen on METRICS_PORT + i, a port nobody reserved for this test
  // (another suite running in parallel may have been handed it).
  edge = await startEdge({ EDGE_WORKERS: '2', METRICS_PORT: '0' }, services);
  origin = await startOrigin(services, 'origin-w');
  redis = connectRedis(services.redis.url);
  await waitForRedis(redis);
  registry = new StreamRegistry(redis);
});

afterAll(async () => {
  for (const client of clients) client.close();
  await closeRedis(redis).catch(() => undefined);
  await killAllManaged('SIGKILL');
  await services?.stop();
  await cleanupTempDirs();
});

const workerReady = (): boolean => edge.logs().some((l) => l.msg === 'edge ready' && l.workers === 2);

async function publishMany(prefix: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const client = new RtmpTestClient({ port: edge.rtmpPort });
    clients.push(client);
    const { status } = await client.publish(`${prefix}${i}`);
    expect(status.info.code).toBe('NetStream.Publish.Start');
  }
}

test('the supervisor reports ready once both workers serve; publishers land on both workers', async () => {
  await eventually(async () => workerReady(), 15_000, 'edge ready with 2 workers');
  await publishMany('w', 6);
  const records = await eventually(async () => {
    const list = (await registry.list()).filter((r) => r.name.startsWith('w'));
    return list.length === 6 ? list : undefined;
  }, 10_000, '6 streams registered');
  expect(new Set(records.map((r) => r.edgeId))).toEqual(new Set([`${edge.id}-0`, `${edge.id}-1`]));
});

test('media published through a worker plays from an origin', async () => {
  const ffmpeg = spawnManaged(requireBinary('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-re', '-i', media, '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${edge.rtmpPort}/live/media`], { name: 'ffmpeg' });
  try {
    await eventually(async () => (await registry.get('media')) !== undefined, 10_000, 'stream media registered');
    const streams = await ffprobeStreams(origin.flvUrl('media'), { timeoutMs: 20_000 });
    expect(streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  } finally {
    await ffmpeg.kill('SIGTERM');
  }
});

test('a worker killed with SIGKILL is restarted; the other worker keeps its publishers', async () => {
  const records = (await registry.list()).filter((r) => r.name.startsWith('w'));
  const ready = edge.logs().find((l) => l.msg === 'edge ready' && l.workers === 2) as { pids: number[] };
  expect(ready.pids).toHaveLength(2);
  process.kill(ready.pids[0], 'SIGKILL');
  await eventually(async () => edge.logs().some((l) => l.code === 'EDGE_WORKER_EXITED' && l.worker === 0), 10_000, 'EDGE_WORKER_EXITED logged');
  // The survivor's streams stay registered (they are refreshed by a live worker).
  const survivors = records.filter((r) => r.edgeId === `${edge.id}-1`).map((r) => r.name);
  expect(survivors.length).toBeGreaterThan(0);
  // The replacement worker serves: new publishes keep succeeding, and some land on worker 0 again.
  await eventually(async () => {
    await publishMany(`again${Date.now() % 100000}-`, 2);
    const list = await registry.list();
    return list.some((r) => r.name.startsWith('again') && r.edgeId === `${edge.id}-0`);
  }, 20_000, 'a publish served by the restarted worker 0');
  const now = new Set((await registry.list()).map((r) => r.name));
  for (const name of survivors) expect(now.has(name)).toBe(true);
});

test('SIGTERM stops the workers and the supervisor cleanly', async () => {
  edge.process.child.kill('SIGTERM');
  const result = await edge.process.waitForExit(15_000);
  expect(result).toEqual({ code: 0, signal: null });
  // Every publisher of a live worker was closed by the server (those of the killed worker were closed before).
  expect(await Promise.all(clients.map((c) => c.closedWithin(5_000)))).toEqual(clients.map(() => true));
  expect(edge.logs().some((l) => l.code === 'STOP_TIMEOUT')).toBe(false);
});

test('a worker that cannot start (its port is taken) stops the whole edge with exit code 1, not a restart loop', async () => {
  const taken = createServer();
  const port = await freePort();
  await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
  try {
    const proc = spawnManaged(NODE, [...SERVER_NODE_FLAGS, join(__dirname, '..', 'dist', 'main.js')], {
      name: 'edge-port-taken',
      env: {
        EDGE_WORKERS: '2',
        NODE_ID: 'edge-port-taken',
        EDGE_HOST: '127.0.0.1',
        EDGE_RTMP_PORT: String(port),
        EDGE_RTMPS_PORT: '0',
        EDGE_HTTP_PORT: String(await freePort()),
        METRICS_PORT: '0',
        EDGE_AUTHORIZATION: 'open',
        REDIS_URL: services.redis.url,
        NATS_URL: services.nats.url,
      },
    });
    const result = await proc.waitForExit(20_000);
    expect(result.code).toBe(1);
    expect(proc.output()).toContain('EDGE_WORKER_START_FAILED');
    expect(proc.output()).not.toContain('EDGE_WORKER_EXITED');
  } finally {
    taken.close();
  }
});
