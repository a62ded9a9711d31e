import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, killAllManaged, startRedis, type RedisServer } from '@ingest/testing';
import { createLogger } from '@ingest/telemetry';
import type { Redis } from 'ioredis';
import { closeRedis, connectRedis, RegistryError, waitForRedis } from './connection';
import { DEFAULT_STREAM_KEY_POLICY, StreamKeyStore, type CreatedStreamKey, type StreamKeyPolicy } from './stream-keys';

jest.setTimeout(30_000);

const logger = createLogger('stream-keys-spec', { level: 'silent' });
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

let server: RedisServer;
let redis: Redis;
let store: StreamKeyStore;

beforeAll(async () => {
  server = await startRedis();
  redis = connectRedis(server.url, { logger, name: 'stream-keys-spec' });
  store = new StreamKeyStore(redis);
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

async function rejection(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(RegistryError);
    return err as RegistryError;
  }
  throw new Error('expected a rejection');
}

/** Every key name and every value (any type) in the current database, as text. */
async function dumpRedis(client: Redis): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      out.push(key);
      const type = await client.type(key);
      if (type === 'string') out.push((await client.get(key)) ?? '');
      else if (type === 'set') out.push(...(await client.smembers(key)));
      else if (type === 'hash') out.push(...Object.entries(await client.hgetall(key)).flat());
      else if (type === 'list') out.push(...(await client.lrange(key, '0', '-1')));
      else if (type === 'zset') out.push(...(await client.zrange(key, '0', '-1', 'WITHSCORES')));
      else out.push(`(${type})`);
    }
  } while (cursor !== '0');
  return out;
}

describe('StreamKeyStore.create / get / getByName / list', () => {
  it('creates a key with a fresh secret, stores only its hash, and finds it by id and name', async () => {
    const before = Date.now();
    const created = await store.create({ name: 'cam1' });
    expect(created.id).toMatch(/^key_[A-Za-z0-9_-]{12}$/);
    expect(created.key).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(created.keyHint).toBe(created.key.slice(0, 6));
    expect(created).toMatchObject({ name: 'cam1', rotatedAt: null, revokedAt: null, policy: DEFAULT_STREAM_KEY_POLICY });
    expect(created.createdAt).toMatch(ISO);
    expect(Date.parse(created.createdAt)).toBeGreaterThanOrEqual(before - 1);

    const { key: secret, ...record } = created;
    expect(await store.get(created.id)).toEqual(record);
    expect(await store.getByName('cam1')).toEqual(record);
    expect(await store.list()).toEqual([record]);
    expect(await store.authorize(secret, '203.0.113.7')).toEqual({ allowed: true, record });

    // The documented key layout.
    expect((await redis.keys('*')).sort()).toEqual(['ingest:key-hash:' + sha256(secret), 'ingest:key-name:cam1', `ingest:key:${created.id}`, 'ingest:keys'].sort());
    expect(await redis.get('ingest:key-hash:' + sha256(secret))).toBe(created.id);
    expect(await redis.get('ingest:key-name:cam1')).toBe(created.id);
    expect(await redis.smembers('ingest:keys')).toEqual([created.id]);
    expect(JSON.parse((await redis.get(`ingest:key:${created.id}`))!)).toEqual({ ...record, secretSha256: sha256(secret) });
    for (const key of await redis.keys('*')) expect(await redis.pttl(key)).toBe(-1); // nothing expires
  });

  it('gives every key its own id and secret; list is sorted by createdAt', async () => {
    const created: CreatedStreamKey[] = [];
    for (const name of ['b-stream', 'a-stream', 'c_stream', 'D1']) {
      created.push(await store.create({ name }));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(new Set(created.map((c) => c.id)).size).toBe(4);
    expect(new Set(created.map((c) => c.key)).size).toBe(4);
    expect((await store.list()).map((r) => r.name)).toEqual(['b-stream', 'a-stream', 'c_stream', 'D1']);
  });

  it('stores the given policy, normalized, with defaults for the missing fields', async () => {
    const created = await store.create({
      name: 'cam2',
      policy: { allowedCidrs: [' 10.0.0.0/8', '::1/128', '10.0.0.0/8'], allowedCodecs: ['H264', 'aac', 'h264'], expiresAt: '2099-01-02T03:04:05+01:00', maxBitrateKbps: 6000 },
    });
    const expected: StreamKeyPolicy = {
      allowedCidrs: ['10.0.0.0/8', '::1/128'],
      maxBitrateKbps: 6000,
      allowedCodecs: ['h264', 'aac'],
      duplicatePolicy: 'reject',
      expiresAt: '2099-01-02T02:04:05.000Z',
    };
    expect(created.policy).toEqual(expected);
    expect((await store.get(created.id))?.policy).toEqual(expected);
    const takeover = await store.create({ name: 'cam3', policy: { duplicatePolicy: 'takeover', maxBitrateKbps: null, expiresAt: null } });
    expect(takeover.policy).toEqual({ ...DEFAULT_STREAM_KEY_POLICY, duplicatePolicy: 'takeover' });
  });

  it('returns copies: changing a returned record does not change the store or the default policy', async () => {
    const created = await store.create({ name: 'cam1' });
    created.policy.allowedCidrs.push('10.0.0.0/8');
    expect(DEFAULT_STREAM_KEY_POLICY.allowedCidrs).toEqual([]);
    expect((await store.get(created.id))?.policy.allowedCidrs).toEqual([]);
  });

  it.each([
    ['an empty name', { name: '' }],
    ['a name starting with -', { name: '-cam' }],
    ['a name with a space', { name: 'cam 1' }],
    ['a name with a slash', { name: 'live/cam1' }],
    ['a 129-character name', { name: 'a'.repeat(129) }],
    ['a non-string name', { name: 42 }],
    ['a bad CIDR', { name: 'ok', policy: { allowedCidrs: ['10.0.0.0/33'] } }],
    ['a non-array CIDR list', { name: 'ok', policy: { allowedCidrs: '10.0.0.0/8' } }],
    ['a zero bitrate', { name: 'ok', policy: { maxBitrateKbps: 0 } }],
    ['a fractional bitrate', { name: 'ok', policy: { maxBitrateKbps: 1.5 } }],
    ['a string bitrate', { name: 'ok', policy: { maxBitrateKbps: '6000' } }],
    ['an unknown codec', { name: 'ok', policy: { allowedCodecs: ['h263'] } }],
    ['an unknown duplicate policy', { name: 'ok', policy: { duplicatePolicy: 'queue' } }],
    ['an unparseable expiry', { name: 'ok', policy: { expiresAt: 'tomorrow' } }],
    ['an expiry without a time zone', { name: 'ok', policy: { expiresAt: '2099-01-01T00:00:00' } }],
    ['an unknown policy field', { name: 'ok', policy: { maxBitrate: 5 } }],
    ['a non-object policy', { name: 'ok', policy: 'open' }],
  ])('rejects %s with REGISTRY_INVALID and stores nothing', async (_what, input) => {
    const err = await rejection(store.create(input as unknown as { name: string }));
    expect(err.code).toBe('REGISTRY_INVALID');
    expect(await redis.dbsize()).toBe(0);
  });

  it('answers undefined for unknown or malformed ids and names', async () => {
    await store.create({ name: 'cam1' });
    expect(await store.get('key_AAAAAAAAAAAA')).toBeUndefined();
    expect(await store.get('nonsense')).toBeUndefined();
    expect(await store.getByName('cam2')).toBeUndefined();
    expect(await store.getByName('not a name')).toBeUndefined();
    expect(await store.rotate('key_AAAAAAAAAAAA')).toBeUndefined();
    expect(await store.revoke('key_AAAAAAAAAAAA')).toBeUndefined();
  });

  it('uses a configured prefix', async () => {
    const staging = new StreamKeyStore(redis, { prefix: 'staging:' });
    const created = await staging.create({ name: 'cam1' });
    expect((await redis.keys('*')).every((k) => k.startsWith('staging:'))).toBe(true);
    expect(await redis.exists(`staging:key:${created.id}`)).toBe(1);
    expect(await store.get(created.id)).toBeUndefined();
    expect((await staging.authorize(created.key, '127.0.0.1')).allowed).toBe(true);
    expect(await store.authorize(created.key, '127.0.0.1')).toEqual({ allowed: false, reason: 'unknown' });
  });

  it('rejects reads of an unreadable record with REGISTRY_CORRUPT; list skips it', async () => {
    const good = await store.create({ name: 'good' });
    const bad = await store.create({ name: 'bad' });
    await redis.set(`ingest:key:${bad.id}`, '{not json');
    expect((await rejection(store.get(bad.id))).code).toBe('REGISTRY_CORRUPT');
    expect((await store.list()).map((r) => r.id)).toEqual([good.id]);
  });
});

describe('StreamKeyStore name conflicts', () => {
  it('refuses a second live key for a name with REGISTRY_CONFLICT', async () => {
    const first = await store.create({ name: 'cam1' });
    const err = await rejection(store.create({ name: 'cam1', policy: { duplicatePolicy: 'takeover' } }));
    expect(err.code).toBe('REGISTRY_CONFLICT');
    expect((await store.list()).map((r) => r.id)).toEqual([first.id]);
    expect(await store.create({ name: 'CAM1' })).toMatchObject({ name: 'CAM1' }); // names are case-sensitive
  });

  it('lets exactly one of 20 clients creating the same name at once win', async () => {
    const clients = Array.from({ length: 20 }, (_, i) => connectRedis(server.url, { logger, name: `racer-${i}` }));
    try {
      await Promise.all(clients.map((c) => waitForRedis(c)));
      const results = await Promise.allSettled(clients.map((c) => new StreamKeyStore(c).create({ name: 'race' })));
      const winners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as RegistryError).code).toBe('REGISTRY_CONFLICT');
      expect((await store.list()).map((r) => r.id)).toEqual([winners[0].id]);
      expect(await store.getByName('race')).toMatchObject({ id: winners[0].id });
      expect(await redis.keys('ingest:key-hash:*')).toHaveLength(1);
      expect((await store.authorize(winners[0].key, '127.0.0.1')).allowed).toBe(true);
    } finally {
      await Promise.all(clients.map((c) => closeRedis(c)));
    }
  });
});

describe('StreamKeyStore.rotate', () => {
  it('issues a new secret; the old one is unknown at once, the new one is allowed', async () => {
    const created = await store.create({ name: 'cam1', policy: { maxBitrateKbps: 3000 } });
    const rotated = await store.rotate(created.id);
    expect(rotated).toBeDefined();
    const { key: newSecret, ...record } = rotated!;
    expect(newSecret).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(newSecret).not.toBe(created.key);
    expect(record).toMatchObject({ id: created.id, name: 'cam1', createdAt: created.createdAt, revokedAt: null, keyHint: newSecret.slice(0, 6) });
    expect(record.policy).toEqual(created.policy);
    expect(record.rotatedAt).toMatch(ISO);

    expect(await store.authorize(created.key, '127.0.0.1')).toEqual({ allowed: false, reason: 'unknown' });
    expect(await store.authorize(newSecret, '127.0.0.1')).toEqual({ allowed: true, record });
    expect(await store.get(created.id)).toEqual(record);
    expect(await store.getByName('cam1')).toEqual(record);
    expect(await redis.exists('ingest:key-hash:' + sha256(created.key))).toBe(0);
    expect(await redis.keys('ingest:key-hash:*')).toEqual(['ingest:key-hash:' + sha256(newSecret)]);
  });

  it('leaves exactly one valid secret after concurrent rotations', async () => {
    const created = await store.create({ name: 'cam1' });
    const clients = Array.from({ length: 8 }, (_, i) => connectRedis(server.url, { logger, name: `rotator-${i}` }));
    try {
      await Promise.all(clients.map((c) => waitForRedis(c)));
      const rotated = await Promise.all(clients.map((c) => new StreamKeyStore(c).rotate(created.id)));
      const secrets = [created.key, ...rotated.map((r) => r!.key)];
      const decisions = await Promise.all(secrets.map((s) => store.authorize(s, '127.0.0.1')));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(1);
      expect(await redis.keys('ingest:key-hash:*')).toHaveLength(1);
    } finally {
      await Promise.all(clients.map((c) => closeRedis(c)));
    }
  });

  it('does not rotate a revoked key', async () => {
    const created = await store.create({ name: 'cam1' });
    await store.revoke(created.id);
    expect(await store.rotate(created.id)).toBeUndefined();
    expect(await store.authorize(created.key, '127.0.0.1')).toMatchObject({ allowed: false, reason: 'revoked' });
  });
});

describe('StreamKeyStore.revoke', () => {
  it("refuses the secret as 'revoked' with the record and frees the name", async () => {
    const created = await store.create({ name: 'cam1' });
    const revoked = await store.revoke(created.id);
    expect(revoked).toMatchObject({ id: created.id, name: 'cam1', revokedAt: expect.stringMatching(ISO) });
    expect(await store.authorize(created.key, '127.0.0.1')).toEqual({ allowed: false, reason: 'revoked', record: revoked });
    expect(await store.get(created.id)).toEqual(revoked);
    expect(await store.getByName('cam1')).toBeUndefined();
    expect(await redis.exists('ingest:key-name:cam1')).toBe(0);

    const again = await store.create({ name: 'cam1' });
    expect(again.id).not.toBe(created.id);
    expect(await store.authorize(again.key, '127.0.0.1')).toMatchObject({ allowed: true, record: { id: again.id } });
    expect(await store.getByName('cam1')).toMatchObject({ id: again.id });
    expect(await store.authorize(created.key, '127.0.0.1')).toMatchObject({ allowed: false, reason: 'revoked' });
    expect((await store.list()).map((r) => [r.id, r.revokedAt === null])).toEqual([
      [created.id, false],
      [again.id, true],
    ]);
  });

  it('is idempotent and never frees a name that a newer key holds', async () => {
    const created = await store.create({ name: 'cam1' });
    const revoked = await store.revoke(created.id);
    const newer = await store.create({ name: 'cam1' });
    expect(await store.revoke(created.id)).toEqual(revoked);
    expect(await store.getByName('cam1')).toMatchObject({ id: newer.id });
  });

  it('lets concurrent revoke and rotate end with the key revoked and no valid secret', async () => {
    const created = await store.create({ name: 'cam1' });
    const other = connectRedis(server.url, { logger, name: 'revoker' });
    try {
      await waitForRedis(other);
      const [rotated] = await Promise.all([store.rotate(created.id), new StreamKeyStore(other).revoke(created.id)]);
      expect((await store.get(created.id))?.revokedAt).not.toBeNull();
      for (const secret of [created.key, rotated?.key].filter((s): s is string => s !== undefined)) {
        expect((await store.authorize(secret, '127.0.0.1')).allowed).toBe(false);
      }
    } finally {
      await closeRedis(other);
    }
  });
});

describe('StreamKeyStore.authorize', () => {
  it("refuses an expired key as 'expired' with the record", async () => {
    const past = await store.create({ name: 'past', policy: { expiresAt: '2020-01-01T00:00:00Z' } });
    expect(await store.authorize(past.key, '127.0.0.1')).toEqual({ allowed: false, reason: 'expired', record: await store.get(past.id) });

    const future = await store.create({ name: 'future', policy: { expiresAt: '2099-01-01T00:00:00Z' } });
    expect((await store.authorize(future.key, '127.0.0.1')).allowed).toBe(true);
    expect(await store.authorize(future.key, '127.0.0.1', new Date('2098-12-31T23:59:59.999Z'))).toMatchObject({ allowed: true });
    expect(await store.authorize(future.key, '127.0.0.1', new Date('2099-01-01T00:00:00Z'))).toMatchObject({ allowed: false, reason: 'expired' });
  });

  it('checks the remote address against the allowed CIDRs (IPv4, IPv6, IPv4-mapped)', async () => {
    const v4 = await store.create({ name: 'v4', policy: { allowedCidrs: ['127.0.0.1/32', '10.0.0.0/8'] } });
    for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '10.20.30.40', '::ffff:10.0.0.1']) {
      expect(await store.authorize(v4.key, address)).toMatchObject({ allowed: true, record: { id: v4.id } });
    }
    for (const address of ['127.0.0.2', '192.168.0.1', '::1', '::ffff:192.168.0.1', '', 'garbage']) {
      expect(await store.authorize(v4.key, address)).toEqual({ allowed: false, reason: 'cidr', record: await store.get(v4.id) });
    }

    const v6 = await store.create({ name: 'v6', policy: { allowedCidrs: ['::1/128', '2001:db8::/32'] } });
    for (const address of ['::1', '2001:db8:1::5']) expect((await store.authorize(v6.key, address)).allowed).toBe(true);
    for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '2001:db9::1']) expect(await store.authorize(v6.key, address)).toMatchObject({ allowed: false, reason: 'cidr' });

    const any = await store.create({ name: 'any' });
    for (const address of ['203.0.113.1', '::1', '::ffff:127.0.0.1']) expect((await store.authorize(any.key, address)).allowed).toBe(true);
  });

  it('checks revoked before expired before the address', async () => {
    const created = await store.create({ name: 'cam1', policy: { expiresAt: '2020-01-01T00:00:00Z', allowedCidrs: ['10.0.0.0/8'] } });
    expect(await store.authorize(created.key, '127.0.0.1')).toMatchObject({ reason: 'expired' });
    await store.revoke(created.id);
    expect(await store.authorize(created.key, '127.0.0.1')).toMatchObject({ reason: 'revoked' });
  });

  it("refuses unknown secrets as 'unknown' without a record", async () => {
    const created = await store.create({ name: 'cam1' });
    for (const secret of ['sk_' + 'A'.repeat(43), created.key.slice(0, -1), created.key + 'x', created.key.toUpperCase(), created.keyHint, '', 'x'.repeat(5000)]) {
      expect(await store.authorize(secret, '127.0.0.1')).toEqual({ allowed: false, reason: 'unknown' });
    }
  });

  it('never puts a secret into an error message', async () => {
    const created = await store.create({ name: 'cam1' });
    const closed = connectRedis(server.url, { logger, name: 'closed' });
    await waitForRedis(closed);
    await closeRedis(closed);
    const err = await rejection(new StreamKeyStore(closed).authorize(created.key, '127.0.0.1'));
    expect(err.code).toBe('REGISTRY_UNAVAILABLE');
    expect(`${err.message} ${err.stack} ${String(err.cause)}`).not.toContain(created.key);
  });
});

describe('StreamKeyStore secrets at rest', () => {
  it('keeps no secret anywhere in Redis (key names and values of every type)', async () => {
    const a = await store.create({ name: 'a', policy: { allowedCidrs: ['10.0.0.0/8'] } });
    const b = await store.create({ name: 'b' });
    const c = await store.create({ name: 'c' });
    const bRotated = (await store.rotate(b.id))!;
    await store.revoke(c.id);
    const secrets = [a.key, b.key, bRotated.key, c.key];
    const dump = await dumpRedis(redis);
    expect(dump.length).toBeGreaterThan(8);
    for (const text of dump) for (const secret of secrets) expect(text).not.toContain(secret);
    // ... nor their base64url bodies without the 'sk_' prefix.
    for (const text of dump) for (const secret of secrets) expect(text).not.toContain(secret.slice(3));
  });
});

describe('StreamKeyStore persistence (redis-server with appendonly)', () => {
  let durable: RedisServer;
  let client: Redis;

  beforeAll(async () => {
    durable = await startRedis({ appendonly: true });
    client = connectRedis(durable.url, { logger, name: 'durable' });
    await waitForRedis(client);
  });
  afterAll(async () => {
    await closeRedis(client);
    await durable?.stop();
  });

  async function reconnect(): Promise<void> {
    await closeRedis(client);
    client = connectRedis(durable.url, { logger, name: 'durable' });
    await waitForRedis(client, 10_000);
  }

  async function filesUnder(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { withFileTypes: true, recursive: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  }

  it('every key still authorizes (and revoked/rotated ones stay refused) after a restart and after a crash', async () => {
    const keys = new StreamKeyStore(client);
    const created: CreatedStreamKey[] = [];
    for (let i = 0; i < 5; i++) created.push(await keys.create({ name: `cam${i}`, policy: { allowedCidrs: ['127.0.0.0/8'], maxBitrateKbps: 1000 + i } }));
    const rotated = (await keys.rotate(created[3].id))!;
    const revoked = (await keys.revoke(created[4].id))!;
    const live = [...created.slice(0, 3).map((c) => c.key), rotated.key];
    const records = await keys.list();

    const check = async (): Promise<void> => {
      const store2 = new StreamKeyStore(client);
      for (const secret of live) expect(await store2.authorize(secret, '::ffff:127.0.0.1')).toMatchObject({ allowed: true });
      expect(await store2.authorize(created[3].key, '127.0.0.1')).toEqual({ allowed: false, reason: 'unknown' });
      expect(await store2.authorize(created[4].key, '127.0.0.1')).toEqual({ allowed: false, reason: 'revoked', record: revoked });
      expect(await store2.list()).toEqual(records);
      expect(await store2.getByName('cam4')).toBeUndefined();
    };

    await durable.restart(); // graceful (SIGTERM)
    await reconnect();
    await check();

    await durable.kill('SIGKILL'); // crash: Redis writes the AOF (to the OS) before it replies to a write
    await durable.restart();
    await reconnect();
    await check();

    // The append-only files on disk do not contain the secrets either.
    const files = await filesUnder(durable.dir);
    expect(files.some((f) => f.includes('appendonly'))).toBe(true);
    for (const file of files) {
      const text = (await readFile(file)).toString('latin1');
      for (const secret of [...created.map((c) => c.key), rotated.key]) expect(text).not.toContain(secret);
    }
  });
});
