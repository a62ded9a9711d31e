/**
 * ORIGIN_WORKERS=2: one origin process supervising two workers on the same RTMP and HTTP ports, against a private
 * Redis and NATS, fed by a real edge and ffmpeg. Viewers are spread over both workers (each registers as its own
 * origin node and reports its own viewers), every viewer gets video, both workers serve the same HLS segment names,
 * a worker killed with SIGKILL is replaced while the other keeps its viewers, and SIGTERM stops everything.
 * ORIGIN_WORKERS > 1 with direct ingest refuses to start.
 */
import { request, Agent, type IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { MessageType } from '@ingest/rtmp';
import { NodeRegistry, StreamRegistry, closeRedis, connectRedis, waitForRedis, type NodeRecord } from '@ingest/registry';
import {
  NODE,
  RtmpTestClient,
  SERVER_NODE_FLAGS,
  cleanupTempDirs,
  eventually,
  freePort,
  killAllManaged,
  makeTempDir,
  makeTestMedia,
  requireBinary,
  spawnManaged,
  startEdge,
  startOrigin,
  startServices,
  type ClusterServices,
  type ManagedProcess,
  type RunningEdge,
  type RunningOrigin,
} from '@ingest/testing';

jest.setTimeout(120_000);

const ORIGIN_MAIN = join(__dirname, '..', 'dist', 'main.js');
const STREAM = 'wshow';

let services: ClusterServices;
let edge: RunningEdge;
let origin: RunningOrigin;
let publisher: ManagedProcess;
let redis: ReturnType<typeof connectRedis>;
let nodes: NodeRegistry;

/** One viewer of the stream, over HTTP-FLV or RTMP, counting the H.264 video messages it receives. */
interface TestViewer {
  protocol: 'http-flv' | 'rtmp';
  localPort: number;
  videoFrames(): number;
  isClosed(): boolean;
  close(): void;
}

const viewers: TestViewer[] = [];

/** An HTTP-FLV viewer on its own connection; parses the FLV tags as they arrive. */
function flvViewer(url: string): Promise<TestViewer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        reject(new Error(`HTTP-FLV ${url}: ${res.statusCode}`));
        res.destroy();
        return;
      }
      const localPort = res.socket.localPort ?? 0;
      let pending: Buffer = Buffer.alloc(0);
      let headerSeen = false;
      let frames = 0;
      let closed = false;
      res.on('data', (chunk: Buffer) => {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        if (!headerSeen) {
          if (pending.length < 13) return;
          // Not an FLV body: no frames will ever be counted, and the viewer shows as closed.
          if (pending.toString('latin1', 0, 3) !== 'FLV') return void res.destroy();
          pending = pending.subarray(13);
          headerSeen = true;
        }
        while (pending.length >= 11) {
          const size = pending.readUIntBE(1, 3);
          if (pending.length < 11 + size + 4) break;
          // A video tag whose codec id is 7 (AVC): a real H.264 frame or its configuration record.
          if ((pending[0] & 0x1f) === 9 && size > 0 && (pending[11] & 0x0f) === 7) frames++;
          pending = pending.subarray(11 + size + 4);
        }
      });
      res.on('close', () => (closed = true));
      res.on('error', () => (closed = true));
      resolve({ protocol: 'http-flv', localPort, videoFrames: () => frames, isClosed: () => closed, close: () => res.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

async function rtmpViewer(port: number, name: string): Promise<TestViewer> {
  const client = new RtmpTestClient({ port });
  client.keepMedia = false;
  let frames = 0;
  client.onMedia = (m) => {
    if (m.type === MessageType.Video && (m.payload[0] & 0x0f) === 7) frames++;
  };
  let closed = false;
  void client.closed.then(() => (closed = true));
  const { status } = await client.play(name);
  expect(status.info.code).toBe('NetStream.Play.Start');
  return { protocol: 'rtmp', localPort: client.localPort, videoFrames: () => frames, isClosed: () => closed, close: () => client.close() };
}

/** GETs `paths` one after the other on one keep-alive connection (so one worker answers them all). */
async function onOneConnection(port: number, paths: string[]): Promise<Array<{ status: number; body: Buffer; reused: boolean }>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const out: Array<{ status: number; body: Buffer; reused: boolean }> = [];
    for (const path of paths) {
      out.push(
        await new Promise((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
            const parts: Buffer[] = [];
            res.on('data', (c: Buffer) => parts.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), reused: req.reusedSocket }));
            res.on('error', reject);
          });
          req.on('error', reject);
          req.end();
        }),
      );
    }
    return out;
  } finally {
    agent.destroy();
  }
}

/** Which worker (node id) answers a new HTTP connection, with the HLS playlist it served on it. */
async function playlistProbe(): Promise<{ node: string; segments: Array<[string, string]> }> {
  const [playlist, status] = await onOneConnection(origin.httpPort, [`/live/${STREAM}/index.m3u8`, '/status']);
  expect(status.reused).toBe(true);
  expect(playlist.status).toBe(200);
  const lines = playlist.body.toString('utf8').split('\n');
  // (segment name, its EXTINF line): the same names must stand for the same media on every worker.
  const segments: Array<[string, string]> = [];
  lines.forEach((line, i) => {
    if (/^seg-\d+\.ts$/.test(line.trim())) segments.push([line.trim(), lines[i - 1]?.trim() ?? '']);
  });
  return { node: (JSON.parse(status.body.toString('utf8')) as { node: string }).node, segments };
}

const primaryReady = (): Record<string, unknown> | undefined => origin.logs().find((l) => l.msg === 'origin ready' && l.workers === 2);
const workerIds = (): string[] => [`${origin.id}-0`, `${origin.id}-1`];

/** The worker (node id) that logged our viewer joining, found by the client's local port. */
function workerOf(viewer: TestViewer): string | undefined {
  const line = origin.logs().findLast((l) => l.msg === 'viewer joined' && l.client === `127.0.0.1:${viewer.localPort}` && l.protocol === viewer.protocol);
  return line?.node as string | undefined;
}

beforeAll(async () => {
  services = await startServices();
  const media = await makeTestMedia({ file: join(await makeTempDir('origin-workers-'), 'w.flv'), seconds: 10, audio: 'aac', size: '320x240', fps: 30, gop: 30 });
  edge = await startEdge({ NODE_ID: 'edge-w', STREAM_TTL_MS: '3000', HEARTBEAT_MS: '1000' }, services);
  // METRICS_PORT 0: worker i would otherwise listen on METRICS_PORT + i, a port nobody reserved for this test.
  origin = await startOrigin(services, 'origin-w', { ORIGIN_WORKERS: '2', METRICS_PORT: '0', ORIGIN_HLS_TARGET_MS: '1000' });
  redis = connectRedis(services.redis.url);
  await waitForRedis(redis);
  nodes = new NodeRegistry(redis);
  publisher = spawnManaged(
    requireBinary('ffmpeg'),
    ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', media, '-c', 'copy', '-t', '110', '-f', 'flv', `rtmp://127.0.0.1:${edge.rtmpPort}/live/${STREAM}`],
    { name: 'publisher' },
  );
  const streams = new StreamRegistry(redis);
  await eventually(async () => (await streams.get(STREAM)) !== undefined, 15_000, 'the stream registered by the edge');
});

afterAll(async () => {
  for (const viewer of viewers) viewer.close();
  await publisher?.kill('SIGKILL');
  await closeRedis(redis).catch(() => undefined);
  await killAllManaged('SIGKILL');
  await services?.stop();
  await cleanupTempDirs();
});

test('the supervisor reports ready once both workers serve; each registers as an origin node', async () => {
  const ready = await eventually(async () => primaryReady(), 15_000, 'origin ready with 2 workers');
  expect(ready.pids).toHaveLength(2);
  expect(new Set(ready.pids as number[]).size).toBe(2);
  expect(ready.pids).not.toContain(origin.process.pid);
  const origins = await eventually(async () => {
    const list = await nodes.list('origin');
    return list.length === 2 ? list : undefined;
  }, 10_000, 'two origin nodes');
  expect(origins.map((n) => n.id)).toEqual(workerIds());
  expect(origin.logs().some((l) => l.code === 'ORIGIN_WORKER_START_FAILED' || l.code === 'ORIGIN_WORKER_EXITED')).toBe(false);
});

test('viewers over HTTP-FLV and RTMP are spread over both workers, every one gets video, each worker reports its own', async () => {
  for (let i = 0; i < 6; i++) viewers.push(await flvViewer(origin.flvUrl(STREAM)));
  for (let i = 0; i < 4; i++) viewers.push(await rtmpViewer(origin.rtmpPort, STREAM));
  await eventually(async () => viewers.every((v) => v.videoFrames() >= 60), 30_000, '60 video frames at every viewer');
  expect(viewers.some((v) => v.isClosed())).toBe(false);

  const placed = await eventually(async () => {
    const all = viewers.map(workerOf);
    return all.every(Boolean) ? (all as string[]) : undefined;
  }, 5_000, "every viewer's 'viewer joined' line");
  expect(new Set(placed)).toEqual(new Set(workerIds()));
  const expected = Object.fromEntries(workerIds().map((id) => [id, placed.filter((p) => p === id).length]));

  // Each worker heartbeats its own load: its own viewers, and the stream it subscribed to for them.
  const records = await eventually(async () => {
    const list = await Promise.all(workerIds().map((id) => nodes.get(id)));
    return list.every((n) => n && n.load.viewers === expected[n.id] && n.load.streams === 1) ? (list as NodeRecord[]) : undefined;
  }, 10_000, `node records with viewers ${JSON.stringify(expected)} and one stream each`);
  expect(records.reduce((sum, n) => sum + (n.load.viewers ?? 0), 0)).toBe(10);
  expect(records.every((n) => n.ports.http === origin.httpPort && n.ports.rtmp === origin.rtmpPort)).toBe(true);
});

test('HLS: both workers serve the same segment names for the stream', async () => {
  // Each probe is a new connection (handed out round-robin) carrying the playlist request and then /status, which
  // names the worker that answered both.
  const byWorker = new Map<string, Array<Array<[string, string]>>>();
  const consistent = await eventually(async () => {
    const probe = await playlistProbe();
    byWorker.set(probe.node, [...(byWorker.get(probe.node) ?? []), probe.segments].slice(-3));
    if (byWorker.size < 2) return undefined;
    const [a, b] = workerIds().map((id) => byWorker.get(id)?.at(-1) ?? []);
    const shared = a.filter(([name]) => b.some(([other]) => other === name));
    return shared.length >= 3 ? { a, b, shared } : undefined;
  }, 40_000, 'playlists from both workers sharing three segments');
  expect([...byWorker.keys()].sort()).toEqual(workerIds());
  // A segment name listed by both stands for the same duration on both.
  for (const [name, extinf] of consistent.shared) expect(consistent.b.find(([other]) => other === name)?.[1]).toBe(extinf);
  // And the same bytes: fetch one shared segment from each worker.
  const segment = consistent.shared[0][0];
  const bodies = new Map<string, Buffer>();
  await eventually(async () => {
    const [seg, status] = await onOneConnection(origin.httpPort, [`/live/${STREAM}/${segment}`, '/status']);
    expect(seg.status).toBe(200);
    bodies.set((JSON.parse(status.body.toString('utf8')) as { node: string }).node, seg.body);
    return bodies.size === 2;
  }, 10_000, `${segment} from both workers`);
  const [x, y] = workerIds().map((id) => bodies.get(id)!);
  expect(x.length).toBeGreaterThan(1000);
  expect(x.equals(y)).toBe(true);
});

test('a worker killed with SIGKILL is replaced (new pid, registered again); viewers on the other keep receiving', async () => {
  const ready = primaryReady() as { pids: number[] };
  const [victimId, survivorId] = workerIds();
  const before = await nodes.get(victimId);
  expect(before).toBeDefined();
  const onSurvivor = viewers.filter((v) => workerOf(v) === survivorId);
  const onVictim = viewers.filter((v) => workerOf(v) === victimId);
  expect(onSurvivor.length).toBeGreaterThan(0);
  expect(onVictim.length).toBeGreaterThan(0);
  const framesAtKill = onSurvivor.map((v) => v.videoFrames());
  // pids[0] is worker 0's process.
  expect(origin.logs().find((l) => l.msg === 'origin ready' && l.pid === ready.pids[0])?.node).toBe(victimId);

  process.kill(ready.pids[0], 'SIGKILL');
  await eventually(async () => origin.logs().some((l) => l.code === 'ORIGIN_WORKER_EXITED' && l.worker === 0 && l.signal === 'SIGKILL'), 10_000, 'ORIGIN_WORKER_EXITED logged');
  // The victim's viewers lost their connections with it.
  await eventually(async () => onVictim.every((v) => v.isClosed()), 10_000, "the killed worker's viewers closed");

  // A new worker 0: a new process that logs 'origin ready' under the same node id and heartbeats a new record.
  const restarted = await eventually(
    async () => origin.logs().find((l) => l.msg === 'origin ready' && l.node === victimId && l.pid !== ready.pids[0] && !('workers' in l)),
    15_000,
    'a restarted worker 0',
  );
  expect(ready.pids).not.toContain(restarted.pid);
  expect(() => process.kill(restarted.pid as number, 0)).not.toThrow();
  await eventually(async () => {
    const after = await nodes.get(victimId);
    return after !== undefined && after.startedAt > before!.startedAt && after.epoch > before!.epoch;
  }, 10_000, 'worker 0 registered again');

  // The survivor's viewers never noticed: still open, and 2 s more of video (30 fps) each.
  await eventually(async () => onSurvivor.every((v, i) => v.videoFrames() >= framesAtKill[i] + 60), 15_000, "the survivor's viewers receiving on");
  expect(onSurvivor.some((v) => v.isClosed())).toBe(false);
  // The supervisor did not stop or restart the survivor.
  expect(origin.logs().some((l) => l.code === 'ORIGIN_WORKER_EXITED' && l.worker === 1)).toBe(false);
  expect(origin.process.exitStatus()).toBeUndefined();

  // New viewers are served by the replacement too.
  const more: TestViewer[] = [];
  await eventually(async () => {
    const viewer = await flvViewer(origin.flvUrl(STREAM));
    viewers.push(viewer);
    more.push(viewer);
    await eventually(async () => workerOf(viewer), 5_000, 'viewer joined');
    return more.some((v) => workerOf(v) === victimId);
  }, 15_000, 'a viewer on the restarted worker 0');
  const fresh = more.find((v) => workerOf(v) === victimId)!;
  await eventually(async () => fresh.videoFrames() >= 30, 15_000, 'video from the restarted worker');
});

test('SIGTERM to the supervisor stops both workers and itself with exit code 0 within the deadline', async () => {
  const pids = origin
    .logs()
    .filter((l) => l.msg === 'origin ready' && !('workers' in l))
    .map((l) => l.pid as number);
  const alive = [...new Set(pids)].filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  expect(alive).toHaveLength(2);
  const started = Date.now();
  origin.process.child.kill('SIGTERM');
  const result = await origin.process.waitForExit(15_000);
  expect(result).toEqual({ code: 0, signal: null });
  expect(Date.now() - started).toBeLessThan(12_000);
  expect(origin.logs().some((l) => l.code === 'STOP_TIMEOUT')).toBe(false);
  for (const pid of alive) expect(() => process.kill(pid, 0)).toThrow();
  // Both workers said goodbye, and every viewer still connected was closed by them.
  expect(new Set(origin.logs().filter((l) => l.msg === 'origin stopped').map((l) => l.node))).toEqual(new Set(workerIds()));
  await eventually(async () => viewers.every((v) => v.isClosed()), 5_000, 'every viewer closed');
});

/** An origin with ORIGIN_WORKERS=2 on free ports against this file's Redis and NATS; `env` overrides. */
async function spawnTwoWorkerOrigin(name: string, env: Record<string, string>): Promise<ReturnType<typeof spawnManaged>> {
  return spawnManaged(NODE, [...SERVER_NODE_FLAGS, ORIGIN_MAIN], {
    name,
    env: {
      ORIGIN_WORKERS: '2',
      NODE_ID: name,
      ORIGIN_HOST: '127.0.0.1',
      ORIGIN_RTMP_PORT: String(await freePort()),
      ORIGIN_HTTP_PORT: String(await freePort()),
      METRICS_PORT: '0',
      REDIS_URL: services.redis.url,
      NATS_URL: services.nats.url,
      ...env,
    },
  });
}

test('ORIGIN_WORKERS=2 with ORIGIN_DIRECT_INGEST_PORT refuses to start, with a named error and no workers', async () => {
  const proc = await spawnTwoWorkerOrigin('origin-direct-workers', { ORIGIN_DIRECT_INGEST_PORT: String(await freePort()) });
  const result = await proc.waitForExit(15_000);
  expect(result.code).toBe(1);
  expect(proc.output()).toContain('ORIGIN_WORKERS_WITH_DIRECT_INGEST');
  expect(proc.output()).toContain('a publisher on one worker would not be seen by viewers on another');
  expect(proc.output()).not.toContain('starting origin workers');
  expect(proc.output()).not.toContain('origin ready');
});

test('a worker that cannot start (its port is taken) stops the whole origin with exit code 1, not a restart loop', async () => {
  const taken = createServer();
  const port = await freePort();
  await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
  try {
    const proc = await spawnTwoWorkerOrigin('origin-port-taken', { ORIGIN_RTMP_PORT: String(port) });
    const result = await proc.waitForExit(20_000);
    expect(result.code).toBe(1);
    expect(proc.output()).toContain('ORIGIN_WORKER_START_FAILED');
    expect(proc.output()).not.toContain('ORIGIN_WORKER_EXITED');
  } finally {
    taken.close();
  }
});
