/**
 * Faults in a cluster of real processes (3 edges, 2 origins, private Redis and NATS): a killed edge, a killed
 * origin, a NATS restart, a Redis restart, and second publishers (refused, or taking over by policy).
 */
import { join } from 'node:path';
import { MessageType } from '@ingest/rtmp';
import { StreamRegistry, closeRedis, connectRedis, waitForRedis } from '@ingest/registry';
import { createLogger } from '@ingest/telemetry';
import {
  eventually,
  makeTempDir,
  makeTestMedia,
  requireBinary,
  RtmpTestClient,
  spawnManaged,
  startCluster,
  type Cluster,
  type ManagedProcess,
  type RunningEdge,
} from '@ingest/testing';

jest.setTimeout(120_000);

let cluster: Cluster;
let media: string;
let registry: StreamRegistry;
let redis: ReturnType<typeof connectRedis>;
const publishers: ManagedProcess[] = [];

function publish(edge: RunningEdge, name: string): ManagedProcess {
  const p = spawnManaged(
    requireBinary('ffmpeg'),
    ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', media, '-c', 'copy', '-t', '100', '-f', 'flv', `rtmp://127.0.0.1:${edge.rtmpPort}/live/${name}`],
    { name: `publisher-${name}` },
  );
  publishers.push(p);
  return p;
}

/** Plays `name` from an origin's RTMP port; resolves with the time the first coded video frame arrived. */
async function firstVideoFrame(port: number, name: string, timeoutMs = 10_000): Promise<{ viewer: RtmpTestClient; at: number; timestamp: number }> {
  const viewer = new RtmpTestClient({ port });
  viewer.keepMedia = false;
  const got = new Promise<{ at: number; timestamp: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no video from ${name} within ${timeoutMs} ms`)), timeoutMs);
    viewer.onMedia = (m) => {
      if (m.type === MessageType.Video && m.payload[1] === 1) {
        clearTimeout(timer);
        resolve({ at: Date.now(), timestamp: m.timestamp });
      }
    };
  });
  got.catch(() => undefined); // observed below; a failed play must not leave an unhandled rejection behind
  try {
    const { status } = await viewer.play(name);
    if (status.info.code !== 'NetStream.Play.Start') throw new Error(`play ${name}: ${String(status.info.code)}`);
    return { viewer, ...(await got) };
  } catch (err) {
    viewer.close();
    throw err;
  }
}

/**
 * Keeps retrying to play until video arrives (a player behind a load balancer does the same); with `fresh`,
 * only video of a new publish session counts (its timestamps restart near zero).
 */
async function playsWithin(port: number, name: string, ms: number, fresh = false): Promise<number> {
  const start = Date.now();
  for (;;) {
    try {
      const { viewer, at, timestamp } = await firstVideoFrame(port, name, Math.max(500, ms - (Date.now() - start)));
      viewer.close();
      if (fresh && timestamp > 2500) throw new Error(`old video (timestamp ${timestamp}) served for ${name}`);
      return at - start;
    } catch (err) {
      if (Date.now() - start > ms) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

beforeAll(async () => {
  const dir = await makeTempDir('faults-');
  media = await makeTestMedia({ file: join(dir, 'f.flv'), seconds: 10, audio: 'aac', bframes: true, size: '640x360', fps: 30, gop: 30 });
  cluster = await startCluster({ edges: 3, origins: 2, edgeEnv: [{}, {}, { EDGE_DUPLICATE_POLICY: 'takeover' }] });
  redis = connectRedis(cluster.services.redis.url, { logger: createLogger('test', { level: 'silent' }) });
  await waitForRedis(redis);
  registry = new StreamRegistry(redis);
});

afterAll(async () => {
  await Promise.all(publishers.map((p) => p.kill('SIGKILL')));
  await closeRedis(redis);
  await cluster?.stop();
});

test('SIGKILL the edge mid-stream: the stream leaves the registry within the TTL, and after the encoder republishes to another edge the same URL plays within 3 s', async () => {
  const [edgeA, edgeB] = cluster.edges;
  const originB = cluster.origins[1];
  const first = publish(edgeA, 'failover');
  await eventually(() => registry.get('failover').catch(() => undefined), 10_000, 'failover registered');
  await playsWithin(originB.rtmpPort, 'failover', 5000);

  await edgeA.process.kill('SIGKILL');
  const killedAt = Date.now();
  await eventually(async () => (await registry.get('failover').catch(() => 'error')) === undefined, 6000, 'the stream to leave the registry');
  expect(Date.now() - killedAt).toBeLessThan(3000 + 1500); // STREAM_TTL_MS=3000, plus one poll
  await first.waitForExit(10_000).catch(() => first.kill('SIGKILL'));

  publish(edgeB, 'failover'); // the encoder reconnects; the load balancer sends it to edge B
  const took = await playsWithin(originB.rtmpPort, 'failover', 3000, true);
  expect(took).toBeLessThan(3000);
  if (!(await registry.get('failover'))) console.log(JSON.stringify(edgeB.logs().filter((l) => String(l.msg).match(/publish|stream|claim|regist/)), null, 1));
  expect((await registry.get('failover'))?.edgeId).toBe('edge-b');
});

test('SIGKILL an origin: its viewers reconnect to the other origin and play', async () => {
  const [originA, originB] = cluster.origins;
  const edgeB = cluster.edges[1];
  publish(edgeB, 'survive');
  await eventually(() => registry.get('survive').catch(() => undefined), 10_000, 'survive registered');
  const { viewer } = await firstVideoFrame(originA.rtmpPort, 'survive');
  await originA.process.kill('SIGKILL');
  const closed = await viewer.closedWithin(3000);
  expect(closed).toBe(true);
  const took = await playsWithin(originB.rtmpPort, 'survive', 5000);
  expect(took).toBeLessThan(3000);
});

test('restart nats-server: playback resumes within 5 s, and the publisher never reconnected', async () => {
  const originB = cluster.origins[1];
  const edgeB = cluster.edges[1];
  const before = await registry.get('survive');
  expect(before).toBeDefined();
  const viewer = new RtmpTestClient({ port: originB.rtmpPort });
  viewer.keepMedia = false;
  let lastVideoAt = 0;
  viewer.onMedia = (m) => {
    if (m.type === MessageType.Video) lastVideoAt = Date.now();
  };
  await viewer.play('survive');
  await eventually(async () => lastVideoAt > 0, 5000, 'video before the restart');

  await cluster.services.nats.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 1000));
  await cluster.services.nats.restart();
  const restartedAt = Date.now();
  await eventually(async () => lastVideoAt > restartedAt, 5000, 'video after the NATS restart');
  expect(lastVideoAt - restartedAt).toBeLessThan(5000);
  expect(await viewer.closedWithin(10)).toBe(false);

  const after = await registry.get('survive');
  expect(after?.publisherId).toBe(before!.publisherId); // same publish session: no publisher reconnect
  const edgeStatus = await edgeB.status();
  expect(edgeStatus.streams.find((s) => s.name === 'survive')).toBeDefined();
  viewer.close();
});

test('restart redis-server (no persistence): the edges register their live streams again within one heartbeat', async () => {
  expect(await registry.get('survive')).toBeDefined();
  await cluster.services.redis.kill('SIGKILL');
  await cluster.services.redis.restart();
  const restartedAt = Date.now();
  await eventually(async () => (await registry.get('survive').catch(() => undefined))?.edgeId === 'edge-b', 5000, 're-registration');
  expect(Date.now() - restartedAt).toBeLessThan(1000 /* HEARTBEAT_MS */ + 1500);
  // And a new viewer finds it through the registry again.
  expect(await playsWithin(cluster.origins[1].rtmpPort, 'survive', 5000)).toBeLessThan(3000);
});

test('a second publisher is refused on any edge whose policy is reject, and takes over on an edge whose policy is takeover', async () => {
  const [edgeA, edgeB, edgeC] = cluster.edges;
  void edgeA; // killed in the first test
  const holder = new RtmpTestClient({ port: edgeB.rtmpPort });
  const { status } = await holder.publish('dup');
  expect(status.info.code).toBe('NetStream.Publish.Start');

  const sameEdge = new RtmpTestClient({ port: edgeB.rtmpPort });
  expect((await sameEdge.publish('dup')).status.info.code).toBe('NetStream.Publish.BadName');

  const taker = new RtmpTestClient({ port: edgeC.rtmpPort });
  expect((await taker.publish('dup')).status.info.code).toBe('NetStream.Publish.Start');
  // The first publisher, on another edge, is closed within a second (control message over NATS).
  expect(await holder.closedWithin(1500)).toBe(true);
  expect(holder.statuses.some((s) => s.info.code === 'NetStream.Publish.BadName')).toBe(true);
  // The log line is written before the socket closes, but it reaches this process through a pipe that may lag.
  await eventually(async () => edgeB.logs().some((l) => l.code === 'EDGE_KICKED' && l.stream === 'dup'), 5000, 'edge B to log EDGE_KICKED');
  expect((await registry.get('dup'))?.edgeId).toBe('edge-c');

  const other = new RtmpTestClient({ port: edgeB.rtmpPort });
  expect((await other.publish('dup')).status.info.code).toBe('NetStream.Publish.BadName'); // reject policy, held on edge C
  taker.close();
});
