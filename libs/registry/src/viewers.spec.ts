import { cleanupTempDirs, killAllManaged, startRedis, type RedisServer } from '@ingest/testing';
import { createLogger } from '@ingest/telemetry';
import type { Redis } from 'ioredis';
import { closeRedis, connectRedis, waitForRedis } from './connection';
import { ViewerRegistry } from './viewers';

jest.setTimeout(20_000);

const logger = createLogger('registry-spec', { level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedis();
  redis = connectRedis(server.url, { logger, name: 'viewers-spec' });
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

describe('ViewerRegistry', () => {
  it('sums counts across origins, per stream', async () => {
    // Each origin process has its own registry instance.
    const originA = new ViewerRegistry(redis);
    const originB = new ViewerRegistry(redis);
    await originA.report('origin-a', new Map([['cam1', 3], ['cam2', 1]]));
    await originB.report('origin-b', new Map([['cam1', 4]]));
    const reader = new ViewerRegistry(redis);
    expect(await reader.get('cam1')).toBe(7);
    expect(await reader.get('cam2')).toBe(1);
    expect(await reader.get('cam3')).toBe(0);
    expect(await reader.getMany(['cam1', 'cam2', 'cam3', 'cam1'])).toEqual(new Map([['cam1', 7], ['cam2', 1], ['cam3', 0]]));
    expect(await reader.getMany([])).toEqual(new Map());
    const field = await redis.hget('ingest:viewers:cam1', 'origin-a');
    expect(field).toMatch(/^3:\d{13}$/);
    expect(await redis.pttl('ingest:viewers:cam1')).toBeGreaterThan(9_000);
  });

  it("a report replaces the origin's previous one: streams it no longer serves (or at 0) lose its count", async () => {
    const originA = new ViewerRegistry(redis);
    await originA.report('origin-a', new Map([['cam1', 3], ['cam2', 2], ['cam3', 1]]));
    await new ViewerRegistry(redis).report('origin-b', new Map([['cam2', 5]]));
    await originA.report('origin-a', new Map([['cam1', 4], ['cam2', 0]]));
    expect(await originA.getMany(['cam1', 'cam2', 'cam3'])).toEqual(new Map([['cam1', 4], ['cam2', 5], ['cam3', 0]]));
    expect(await redis.exists('ingest:viewers:cam3')).toBe(0);
    await originA.report('origin-a', new Map());
    expect(await originA.getMany(['cam1', 'cam2'])).toEqual(new Map([['cam1', 0], ['cam2', 5]]));
  });

  it("drops a dead origin's counts within the TTL while live origins keep theirs", async () => {
    const dead = new ViewerRegistry(redis, { ttlMs: 300 });
    const live = new ViewerRegistry(redis, { ttlMs: 300 });
    await dead.report('origin-dead', new Map([['cam1', 10], ['cam2', 2]]));
    await live.report('origin-live', new Map([['cam1', 1]]));
    expect(await live.get('cam1')).toBe(11);
    for (let i = 0; i < 5; i++) {
      await sleep(100);
      await live.report('origin-live', new Map([['cam1', 1]]));
    }
    expect(await live.getMany(['cam1', 'cam2'])).toEqual(new Map([['cam1', 1], ['cam2', 0]]));
    expect(await redis.hkeys('ingest:viewers:cam1')).toEqual(['origin-live']); // expired field deleted by the read
    expect(await redis.exists('ingest:viewers:cam2')).toBe(0); // key expired with its only origin
  });

  it('reports thousands of streams in one call', async () => {
    const counts = new Map(Array.from({ length: 1_234 }, (_, i) => [`s${i}`, i + 1] as [string, number]));
    const origin = new ViewerRegistry(redis);
    await origin.report('origin-a', counts);
    await origin.report('origin-b', counts);
    const sums = await origin.getMany([...counts.keys()]);
    expect(sums.size).toBe(1_234);
    expect(sums.get('s0')).toBe(2);
    expect(sums.get('s1233')).toBe(2_468);
    await origin.report('origin-a', new Map());
    expect((await origin.getMany([...counts.keys()])).get('s1233')).toBe(1_234);
  });

  it('rejects bad input', async () => {
    const origin = new ViewerRegistry(redis);
    await expect(origin.report('', new Map())).rejects.toThrow(TypeError);
    await expect(origin.report('o', new Map([['cam1', -1]]))).rejects.toThrow(/non-negative/);
    await expect(origin.report('o', new Map([['cam1', Number.NaN]]))).rejects.toThrow(/non-negative/);
    await expect(origin.get('')).rejects.toThrow(TypeError);
    expect(() => new ViewerRegistry(redis, { ttlMs: 0 })).toThrow(RangeError);
  });
});
