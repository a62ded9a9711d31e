import { cleanupTempDirs, freePort, killAllManaged, startRedis, type RedisServer } from '@ingest/testing';
import { createLogger } from '@ingest/telemetry';
import type { Redis } from 'ioredis';
import { closeRedis, clusterNodeRedisOptions, connectRedis, reconnectDelayMs, RegistryError, waitForRedis } from './connection';
import { NodeRegistry } from './nodes';
import { StreamRegistry, type StreamRecord } from './streams';
import { ViewerRegistry } from './viewers';

jest.setTimeout(20_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A logger whose JSON lines are kept in `lines`. */
function capturingLogger() {
  const lines: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
  const logger = createLogger('registry-spec', { level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  return { logger, lines, messages: () => lines.map((l) => l.msg) };
}

/** Awaits `promise`, expecting a RegistryError with `code`; returns it and how long the call took. */
async function expectRegistryError(call: () => Promise<unknown>, code = 'REGISTRY_UNAVAILABLE'): Promise<{ error: RegistryError; ms: number }> {
  const started = performance.now();
  const error = await call().then(
    (value) => {
      throw new Error(`expected a RegistryError, got ${JSON.stringify(value)}`);
    },
    (err: unknown) => err,
  );
  const ms = performance.now() - started;
  expect(error).toBeInstanceOf(RegistryError);
  expect(error).toMatchObject({ name: 'RegistryError', code });
  return { error: error as RegistryError, ms };
}

/** Retries `call` until it stops failing with REGISTRY_UNAVAILABLE (the client reconnecting), up to `timeoutMs`. */
async function whenAvailable<T>(call: () => Promise<T>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof RegistryError && err.code === 'REGISTRY_UNAVAILABLE') || Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

const record = (overrides: Partial<StreamRecord> = {}): StreamRecord => ({
  name: 'cam1',
  app: 'live',
  edgeId: 'edge-a',
  publisherId: 'pub-1',
  epoch: 1,
  startedAt: Date.now(),
  info: {},
  updatedAt: Date.now(),
  ...overrides,
});

const clients: Redis[] = [];
const servers: RedisServer[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => closeRedis(c)));
  await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
  await killAllManaged('SIGKILL');
  await cleanupTempDirs();
});

async function setup(commandTimeoutMs?: number) {
  const server = await startRedis();
  servers.push(server);
  const log = capturingLogger();
  const redis = connectRedis(server.url, { logger: log.logger, name: 'edge 1', commandTimeoutMs });
  clients.push(redis);
  await waitForRedis(redis);
  return { server, redis, log };
}

describe('connectRedis options', () => {
  it('reconnects forever with a 100 ms .. 1 s back-off', () => {
    expect([1, 2, 3, 4, 5, 6, 100, 10_000].map(reconnectDelayMs)).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  });

  it('fails fast instead of queueing, connects eagerly and never replays commands', () => {
    expect(clusterNodeRedisOptions({ name: 'edge 1' })).toMatchObject({
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: 500,
      connectionName: 'edge-1',
    });
  });

  it('names the connection and logs "connected" once', async () => {
    const { redis, log } = await setup();
    expect(await redis.client('GETNAME')).toBe('edge-1');
    expect(log.messages()).toEqual(['redis connected']);
  });
});

describe('when Redis is down', () => {
  it('rejects every registry call quickly with REGISTRY_UNAVAILABLE, and recovers by itself after a restart', async () => {
    const { server, redis, log } = await setup();
    const streams = new StreamRegistry(redis);
    const nodes = new NodeRegistry(redis);
    const viewers = new ViewerRegistry(redis);
    expect(await streams.claim(record(), { takeover: false })).toEqual({ claimed: true });

    await server.kill('SIGKILL');
    const { error, ms } = await expectRegistryError(() => streams.refresh('cam1', 'pub-1'));
    expect(ms).toBeLessThan(300);
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.message).toMatch(/^refresh: redis unavailable: /);

    const calls: Array<() => Promise<unknown>> = [
      () => streams.claim(record(), { takeover: false }),
      () => streams.get('cam1'),
      () => streams.list(),
      () => streams.update('cam1', 'pub-1', { a: 1 }),
      () => streams.release('cam1', 'pub-1'),
      () => nodes.heartbeat({ id: 'e', role: 'edge', host: 'h', ports: {}, startedAt: 0, epoch: 1, load: { connections: 0, streams: 0 }, updatedAt: 0 }),
      () => nodes.list(),
      () => nodes.nextEpoch('e'),
      () => viewers.report('o', new Map([['cam1', 1]])),
      () => viewers.getMany(['cam1']),
    ];
    await sleep(1_200); // several reconnect attempts
    for (const call of calls) expect((await expectRegistryError(call)).ms).toBeLessThan(100);

    await server.restart(); // same port, no persistence: the data is gone
    expect(await whenAvailable(() => streams.refresh('cam1', 'pub-1'))).toBe('missing');
    expect(await streams.claim(record(), { takeover: false })).toEqual({ claimed: true });
    expect((await streams.get('cam1'))?.publisherId).toBe('pub-1');
    expect(await nodes.nextEpoch('e')).toBe(1);

    // One line per transition, however many reconnect attempts failed in between.
    const messages = log.messages();
    expect(messages.filter((m) => m.startsWith('redis connection lost'))).toHaveLength(1);
    expect(messages.filter((m) => m === 'redis connection restored')).toHaveLength(1);
    expect(messages).toHaveLength(3);
    expect(log.lines.find((l) => l.msg === 'redis connection restored')?.downMs).toBeGreaterThan(1_000);
  });

  it('rejects in-flight commands when Redis freezes (no reply within commandTimeout)', async () => {
    const { server, redis } = await setup(200);
    const streams = new StreamRegistry(redis);
    process.kill(server.process.pid, 'SIGSTOP');
    try {
      const { ms } = await expectRegistryError(() => streams.get('cam1'));
      expect(ms).toBeGreaterThanOrEqual(150);
      expect(ms).toBeLessThan(600);
    } finally {
      process.kill(server.process.pid, 'SIGCONT');
    }
    expect(await whenAvailable(() => streams.get('cam1'))).toBeUndefined();
  });

  it('starts without Redis: calls fail fast, then work once Redis appears', async () => {
    const port = await freePort();
    const log = capturingLogger();
    const redis = connectRedis(`redis://127.0.0.1:${port}`, { logger: log.logger });
    clients.push(redis);
    const streams = new StreamRegistry(redis);
    expect((await expectRegistryError(() => streams.list())).ms).toBeLessThan(100);
    await expectRegistryError(() => waitForRedis(redis, 300));
    await sleep(700);
    const server = await startRedis({ port });
    servers.push(server);
    await waitForRedis(redis, 3_000);
    expect(await streams.list()).toEqual([]);
    expect(log.messages()).toEqual(['redis unreachable; retrying in the background, registry calls fail fast meanwhile', 'redis connected']);
    expect(log.lines[1].downMs).toBeGreaterThan(700);
  });
});

describe('errors', () => {
  it('reports Redis error replies as REGISTRY_ERROR', async () => {
    const { redis } = await setup();
    await redis.hset('ingest:stream:cam1', 'a', 'b');
    const { error } = await expectRegistryError(() => new StreamRegistry(redis).get('cam1'), 'REGISTRY_ERROR');
    expect(error.message).toMatch(/WRONGTYPE/);
  });

  it('reloads scripts that Redis forgot (SCRIPT FLUSH)', async () => {
    const { redis } = await setup();
    const streams = new StreamRegistry(redis);
    await streams.claim(record(), { takeover: false });
    await redis.script('FLUSH');
    expect(await streams.refresh('cam1', 'pub-1')).toBe('refreshed');
  });
});

describe('closeRedis', () => {
  it('quits a connected client', async () => {
    const { redis, log } = await setup();
    await closeRedis(redis);
    expect(redis.status).toBe('end');
    expect(log.messages()).toEqual(['redis connected', 'redis connection closed']);
  });

  it('returns at once while Redis is down and stops reconnecting', async () => {
    const { server, redis } = await setup();
    await server.kill('SIGKILL');
    await sleep(50);
    const started = performance.now();
    await closeRedis(redis);
    expect(performance.now() - started).toBeLessThan(100);
    await server.restart();
    await sleep(1_100); // longer than the back-off cap
    expect(redis.status).not.toBe('ready');
    await closeRedis(redis); // idempotent
  });
});
