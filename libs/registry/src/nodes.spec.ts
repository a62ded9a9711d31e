import { cleanupTempDirs, killAllManaged, startRedis, type RedisServer } from '@ingest/testing';
import { createLogger } from '@ingest/telemetry';
import type { Redis } from 'ioredis';
import { closeRedis, connectRedis, waitForRedis } from './connection';
import { EPOCH_COUNTER_TTL_MS, NodeRegistry, type NodeRecord } from './nodes';

jest.setTimeout(20_000);

const logger = createLogger('registry-spec', { level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: RedisServer;
let redis: Redis;
let nodes: NodeRegistry;

beforeAll(async () => {
  server = await startRedis();
  redis = connectRedis(server.url, { logger, name: 'nodes-spec' });
  await waitForRedis(redis);
  nodes = new NodeRegistry(redis);
});
beforeEach(async () => {
  await redis.flushdb();
});
afterAll(async () => {
  await closeRedis(redis);
  await server?.stop();
  await killAllManaged('SIGKILL');
  await cleanupTempDirs();
});

function node(overrides: Partial<NodeRecord> = {}): NodeRecord {
  return {
    id: 'edge-1',
    role: 'edge',
    host: '10.0.0.5',
    ports: { rtmp: 1935, rtmps: 1936, http: 8080 },
    startedAt: 1_700_000_000_000,
    epoch: 1,
    load: { connections: 3, streams: 2, cpu: 0.25, rssBytes: 123_456_789, bytesInPerSec: 1_000_000 },
    updatedAt: 1_700_000_001_000,
    ...overrides,
  };
}

describe('NodeRegistry', () => {
  it('stores a heartbeat with the TTL and returns it from get and list', async () => {
    const edge = node();
    await nodes.heartbeat(edge);
    expect(await nodes.get('edge-1')).toEqual(edge);
    expect(await nodes.list()).toEqual([edge]);
    const pttl = await redis.pttl('ingest:node:edge-1');
    expect(pttl).toBeGreaterThan(9_000);
    expect(pttl).toBeLessThanOrEqual(10_000);
    expect(await nodes.get('nope')).toBeUndefined();
  });

  it('lists by role, sorted by id, and replaces a node on its next heartbeat', async () => {
    await nodes.heartbeat(node({ id: 'origin-2', role: 'origin', load: { connections: 0, streams: 0, viewers: 10 } }));
    await nodes.heartbeat(node({ id: 'edge-2' }));
    await nodes.heartbeat(node({ id: 'edge-1' }));
    await nodes.heartbeat(node({ id: 'cp', role: 'control-plane' }));
    await nodes.heartbeat(node({ id: 'edge-1', load: { connections: 9, streams: 4 } }));
    expect((await nodes.list()).map((n) => n.id)).toEqual(['cp', 'edge-1', 'edge-2', 'origin-2']);
    expect((await nodes.list('edge')).map((n) => n.id)).toEqual(['edge-1', 'edge-2']);
    expect((await nodes.list('origin')).map((n) => n.load.viewers)).toEqual([10]);
    expect((await nodes.list('control-plane')).map((n) => n.id)).toEqual(['cp']);
    expect((await nodes.get('edge-1'))?.load).toEqual({ connections: 9, streams: 4 });
  });

  it('forgets a node that stops heartbeating within the TTL, and keeps one that heartbeats', async () => {
    const short = new NodeRegistry(redis, { ttlMs: 300 });
    await short.heartbeat(node({ id: 'dies' }));
    await short.heartbeat(node({ id: 'lives' }));
    for (let i = 0; i < 6; i++) {
      await sleep(100);
      await short.heartbeat(node({ id: 'lives' }));
    }
    expect(await short.get('dies')).toBeUndefined();
    expect((await short.list()).map((n) => n.id)).toEqual(['lives']);
    expect(await redis.zrange('ingest:nodes', '0', '-1')).toEqual(['lives']);
  });

  it('remove deletes the record and its index entry', async () => {
    await nodes.heartbeat(node());
    expect(await nodes.remove('edge-1')).toBe(true);
    expect(await nodes.get('edge-1')).toBeUndefined();
    expect(await nodes.list()).toEqual([]);
    expect(await redis.zcard('ingest:nodes')).toBe(0);
    expect(await nodes.remove('edge-1')).toBe(false);
  });

  it('validates ids, roles and epochs', async () => {
    await expect(nodes.heartbeat(node({ id: '' }))).rejects.toThrow(TypeError);
    await expect(nodes.heartbeat(node({ role: 'relay' as NodeRecord['role'] }))).rejects.toThrow(/unknown role/);
    await expect(nodes.heartbeat(node({ epoch: 1.5 }))).rejects.toThrow(/epoch/);
  });

  it('skips unreadable records in list and reports them from get', async () => {
    await nodes.heartbeat(node());
    await nodes.heartbeat(node({ id: 'edge-2' }));
    await redis.set('ingest:node:edge-2', '{"id":"edge-2","role":"spaceship"}');
    expect((await nodes.list()).map((n) => n.id)).toEqual(['edge-1']);
    await expect(nodes.get('edge-2')).rejects.toMatchObject({ code: 'REGISTRY_CORRUPT' });
  });
});

describe('NodeRegistry.nextEpoch', () => {
  it('increments per node id, with a long-lived counter', async () => {
    expect(await nodes.nextEpoch('edge-1')).toBe(1);
    expect(await nodes.nextEpoch('edge-1')).toBe(2);
    expect(await nodes.nextEpoch('edge-2')).toBe(1);
    expect(await nodes.nextEpoch('edge-1')).toBe(3);
    const pttl = await redis.pttl('ingest:node-epoch:edge-1');
    expect(pttl).toBeGreaterThan(EPOCH_COUNTER_TTL_MS - 60_000);
  });

  it('stays above a Date.now() fallback epoch once that node has heartbeated', async () => {
    expect(await nodes.nextEpoch('edge-1')).toBe(1);
    // Redis was unreachable at the next start: the node fell back to Date.now() and heartbeats with it later.
    const fallback = Date.now();
    await nodes.heartbeat(node({ epoch: fallback }));
    expect(await nodes.nextEpoch('edge-1')).toBe(fallback + 1);
    // A heartbeat with an older epoch (a stale process) never lowers the counter.
    await nodes.heartbeat(node({ epoch: 5 }));
    expect(await nodes.nextEpoch('edge-1')).toBe(fallback + 2);
  });

  it('relearns live epochs from heartbeats after Redis lost its data', async () => {
    await nodes.nextEpoch('edge-1');
    const epoch = await nodes.nextEpoch('edge-1');
    await redis.flushdb(); // as a restart without persistence would
    await nodes.heartbeat(node({ epoch }));
    expect(await nodes.nextEpoch('edge-1')).toBe(epoch + 1);
  });
});
