import { cleanupTempDirs, killAllManaged, startRedis, type RedisServer } from '@ingest/testing';
import { createLogger } from '@ingest/telemetry';
import type { Redis } from 'ioredis';
import { closeRedis, connectRedis, waitForRedis } from './connection';
import { StreamRegistry, type StreamRecord } from './streams';

jest.setTimeout(20_000);

const logger = createLogger('registry-spec', { level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: RedisServer;
let redis: Redis;
let registry: StreamRegistry;

beforeAll(async () => {
  server = await startRedis();
  redis = connectRedis(server.url, { logger, name: 'streams-spec' });
  registry = new StreamRegistry(redis);
  await waitForRedis(redis);
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

function record(overrides: Partial<StreamRecord> = {}): StreamRecord {
  return {
    name: 'cam1',
    app: 'live',
    edgeId: 'edge-a',
    publisherId: 'pub-1',
    epoch: 3,
    startedAt: 1_700_000_000_123,
    info: { video: { codec: 'avc1.64001f', width: 1280, height: 720 }, bitrate: 2_500_000.5 },
    updatedAt: 1_700_000_000_456,
    ...overrides,
  };
}

describe('StreamRegistry.claim', () => {
  it('claims a free name and stores the record as given, with the TTL, in the index', async () => {
    const rec = record();
    expect(await registry.claim(rec, { takeover: false })).toEqual({ claimed: true });
    expect(await registry.get('cam1')).toEqual(rec);
    const pttl = await redis.pttl('ingest:stream:cam1');
    expect(pttl).toBeGreaterThan(9_000);
    expect(pttl).toBeLessThanOrEqual(10_000);
    expect(await redis.zrange('ingest:streams', '0', '-1')).toEqual(['cam1']);
    expect(await registry.list()).toEqual([rec]);
  });

  it('refuses another publisher and names the holder', async () => {
    const first = record();
    await registry.claim(first, { takeover: false });
    const result = await registry.claim(record({ publisherId: 'pub-2', edgeId: 'edge-b' }), { takeover: false });
    expect(result).toEqual({ claimed: false, holder: first });
    expect((await registry.get('cam1'))?.publisherId).toBe('pub-1');
  });

  it('takes over when asked and returns the replaced record; the old owner then sees lost', async () => {
    const first = record();
    await registry.claim(first, { takeover: false });
    const second = record({ publisherId: 'pub-2', edgeId: 'edge-b', epoch: 7 });
    expect(await registry.claim(second, { takeover: true })).toEqual({ claimed: true, replaced: first });
    expect(await registry.get('cam1')).toEqual(second);
    expect(await registry.refresh('cam1', 'pub-1')).toBe('lost');
    expect(await registry.update('cam1', 'pub-1', { x: 1 })).toBe(false);
    expect(await registry.release('cam1', 'pub-1')).toBe(false);
    expect(await registry.refresh('cam1', 'pub-2')).toBe('refreshed');
  });

  it('re-claim by the same publisherId is idempotent and stores the newer record', async () => {
    await registry.claim(record(), { takeover: false });
    await redis.pexpire('ingest:stream:cam1', 2_000);
    const again = record({ info: { bitrate: 1 }, updatedAt: 1_700_000_001_000 });
    expect(await registry.claim(again, { takeover: false })).toEqual({ claimed: true });
    expect(await registry.claim(again, { takeover: true })).toEqual({ claimed: true }); // no `replaced`: it was ours
    expect(await registry.get('cam1')).toEqual(again);
    expect(await redis.pttl('ingest:stream:cam1')).toBeGreaterThan(9_000);
    expect(await registry.list()).toHaveLength(1);
  });

  it('lets exactly one of 20 clients claiming the same name at once win', async () => {
    const clients = Array.from({ length: 20 }, (_, i) => connectRedis(server.url, { logger, name: `racer-${i}` }));
    try {
      await Promise.all(clients.map((c) => waitForRedis(c)));
      const results = await Promise.all(
        clients.map((c, i) => new StreamRegistry(c).claim(record({ name: 'race', publisherId: `pub-${i}`, edgeId: `edge-${i}` }), { takeover: false })),
      );
      const winners = results.flatMap((r, i) => (r.claimed ? [i] : []));
      expect(winners).toHaveLength(1);
      const winner = `pub-${winners[0]}`;
      for (const r of results) if (!r.claimed) expect(r.holder.publisherId).toBe(winner);
      expect((await registry.get('race'))?.publisherId).toBe(winner);
    } finally {
      await Promise.all(clients.map((c) => closeRedis(c)));
    }
  });

  it('rejects records without a name or publisherId', async () => {
    await expect(registry.claim(record({ name: '' }), { takeover: false })).rejects.toThrow(TypeError);
    await expect(registry.claim(record({ publisherId: '' }), { takeover: false })).rejects.toThrow(TypeError);
  });

  it('treats a corrupt stored value as free', async () => {
    await redis.set('ingest:stream:cam1', 'not json');
    await expect(registry.get('cam1')).rejects.toMatchObject({ name: 'RegistryError', code: 'REGISTRY_CORRUPT' });
    expect(await registry.claim(record(), { takeover: false })).toEqual({ claimed: true });
    expect(await registry.get('cam1')).toEqual(record());
  });
});

describe('StreamRegistry TTL', () => {
  const short = () => new StreamRegistry(redis, { ttlMs: 300 });

  it('drops an unrefreshed stream from get and list after the TTL, pruning the index', async () => {
    const reg = short();
    await reg.claim(record(), { takeover: false });
    await reg.claim(record({ name: 'cam2', publisherId: 'pub-9' }), { takeover: false });
    expect((await reg.list()).map((r) => r.name)).toEqual(['cam1', 'cam2']);
    await sleep(450);
    expect(await reg.get('cam1')).toBeUndefined();
    expect(await reg.list()).toEqual([]);
    expect(await redis.zcard('ingest:streams')).toBe(0);
    expect(await reg.refresh('cam1', 'pub-1')).toBe('missing');
    // The caller's answer to 'missing': claim again with its record.
    expect(await reg.claim(record(), { takeover: false })).toEqual({ claimed: true });
  });

  it('keeps a refreshed stream alive past several TTLs', async () => {
    const reg = short();
    await reg.claim(record(), { takeover: false });
    const until = Date.now() + 1_200; // four TTLs
    while (Date.now() < until) {
      expect(await reg.refresh('cam1', 'pub-1')).toBe('refreshed');
      await sleep(100);
    }
    expect((await reg.get('cam1'))?.publisherId).toBe('pub-1');
    expect((await reg.list()).map((r) => r.name)).toEqual(['cam1']);
    const score = Number(await redis.zscore('ingest:streams', 'cam1'));
    const [seconds, micros] = await redis.time();
    const redisNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    expect(score - redisNow).toBeGreaterThan(100);
    expect(score - redisNow).toBeLessThanOrEqual(300);
  });

  it('update keeps the TTL', async () => {
    const reg = short();
    await reg.claim(record(), { takeover: false });
    await sleep(200);
    expect(await reg.update('cam1', 'pub-1', { fps: 30 })).toBe(true);
    expect(await redis.pttl('ingest:stream:cam1')).toBeLessThanOrEqual(100);
    await sleep(200);
    expect(await reg.get('cam1')).toBeUndefined();
  });
});

describe('StreamRegistry.update', () => {
  it('shallow-merges info and bumps updatedAt for the owner only', async () => {
    await registry.claim(record(), { takeover: false });
    const before = Date.now();
    expect(await registry.update('cam1', 'pub-1', { bitrate: 3_000_000.25, audio: { codec: 'mp4a.40.2' } })).toBe(true);
    const after = await registry.get('cam1');
    expect(after?.info).toEqual({ video: { codec: 'avc1.64001f', width: 1280, height: 720 }, bitrate: 3_000_000.25, audio: { codec: 'mp4a.40.2' } });
    expect(after?.updatedAt).toBeGreaterThanOrEqual(before);
    expect(after?.startedAt).toBe(1_700_000_000_123);
    expect(await registry.update('cam1', 'pub-2', { bitrate: 0 })).toBe(false);
    expect(await registry.update('nope', 'pub-1', { bitrate: 0 })).toBe(false);
    expect((await registry.get('cam1'))?.info.bitrate).toBe(3_000_000.25);
  });

  it('loses no field under concurrent updates by the owner', async () => {
    await registry.claim(record({ info: {} }), { takeover: false });
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => registry.update('cam1', 'pub-1', { [`k${i}`]: i })));
    expect(results).toEqual([true, true, true, true, true]);
    expect((await registry.get('cam1'))?.info).toEqual({ k0: 0, k1: 1, k2: 2, k3: 3, k4: 4 });
  });
});

describe('StreamRegistry.release', () => {
  it('deletes only for the owner, and removes the index entry', async () => {
    await registry.claim(record(), { takeover: false });
    expect(await registry.release('cam1', 'pub-2')).toBe(false);
    expect(await registry.get('cam1')).toBeDefined();
    expect(await registry.release('cam1', 'pub-1')).toBe(true);
    expect(await registry.get('cam1')).toBeUndefined();
    expect(await redis.zcard('ingest:streams')).toBe(0);
    expect(await registry.release('cam1', 'pub-1')).toBe(false);
    expect(await registry.claim(record({ publisherId: 'pub-2' }), { takeover: false })).toEqual({ claimed: true });
  });
});

describe('StreamRegistry.list', () => {
  it('returns all live streams sorted by name and skips unreadable records', async () => {
    for (const name of ['c', 'a', 'b']) await registry.claim(record({ name, publisherId: `p-${name}` }), { takeover: false });
    await redis.set('ingest:stream:b', '{"broken"');
    expect((await registry.list()).map((r) => r.name)).toEqual(['a', 'c']);
  });

  it('lists more streams than one MGET batch', async () => {
    for (let start = 0; start < 1_203; start += 100) {
      const batch = Array.from({ length: Math.min(100, 1_203 - start) }, (_, i) => start + i);
      await Promise.all(batch.map((i) => registry.claim(record({ name: `s${String(i).padStart(4, '0')}`, publisherId: `p${i}` }), { takeover: false })));
    }
    const all = await registry.list();
    expect(all).toHaveLength(1_203);
    expect(all[0].name).toBe('s0000');
    expect(all[1_202].name).toBe('s1202');
  });

  it('uses the configured prefix, and registries with different prefixes do not see each other', async () => {
    const other = new StreamRegistry(redis, { prefix: 'other:' });
    await other.claim(record(), { takeover: false });
    expect(await redis.exists('other:stream:cam1')).toBe(1);
    expect(await registry.get('cam1')).toBeUndefined();
    expect(await registry.list()).toEqual([]);
    expect(await other.list()).toHaveLength(1);
  });
});
