/**
 * The control plane's REST API end to end: the real app (createApp) on a free port, against a private redis-server and
 * nats-server, over real HTTP. Stream keys (create, list, get, rotate, revoke), authentication, bad input of every
 * kind (and that it never changes the store), body limits, the OpenAPI document, live streams joined with viewers,
 * kicks over NATS, nodes, readiness, and that no secret reaches the list nor the logs.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import { closeNats, connectNats, type NatsConnection } from '@ingest/relay';
import {
  closeRedis,
  connectRedis,
  NodeRegistry,
  StreamKeyStore,
  StreamRegistry,
  ViewerRegistry,
  waitForRedis,
  type StreamKeyRecord,
} from '@ingest/registry';
import { createLogger } from '@ingest/telemetry';
import { startServices, type ClusterServices } from '@ingest/testing';
import type { Redis } from 'ioredis';
import { createApp, listenApp } from '../src/app';
import { loadConfig } from '../src/config';

jest.setTimeout(60_000);

const TOKEN = `e2e-${randomBytes(18).toString('base64url')}`;
const INGEST = 'rtmp://ingest.example.com/live';
const INGEST_TLS = 'rtmps://ingest.example.com:443/live';
const PLAY_RTMP = 'rtmp://play.example.com/live';
const PLAY_HTTP = 'https://play.example.com/live';

let services: ClusterServices;
let redis: Redis;
let nats: NatsConnection;
/** The test's own NATS connection (plays the edges). */
let edgeNats: NatsConnection;
let app: INestApplication | undefined;
let base: string;
let store: StreamKeyStore;
/** Every line the app logged. */
const logLines: string[] = [];
/** Every stream key secret the API handed out. */
const secrets: string[] = [];

interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

interface RequestOptions {
  body?: unknown;
  /** Raw body text (sent as is, with content-type application/json unless headers say otherwise). */
  raw?: string | ReadableStream<Uint8Array>;
  /** Default: the admin token; null: no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
}

async function api<T = Record<string, unknown>>(method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | ReadableStream<Uint8Array> | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  const init: RequestInit & { duplex?: 'half' } = { method, headers, body };
  if (body instanceof ReadableStream) init.duplex = 'half';
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed as T };
}

/** The error answer's shape: `{ statusCode, error, message }`, JSON. */
function expectError(answer: Answer, status: number, message?: RegExp): void {
  expect({ status: answer.status, body: answer.body }).toMatchObject({ status, body: { statusCode: status, error: expect.any(String) } });
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  const m = answer.body.message;
  expect(typeof m === 'string' || (Array.isArray(m) && m.every((x) => typeof x === 'string'))).toBe(true);
  if (message) expect(Array.isArray(m) ? m.join('\n') : m).toMatch(message);
}

interface KeyAnswer {
  id: string;
  name: string;
  key?: string;
  keyHint: string;
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
  status: string;
  policy: Record<string, unknown>;
  ingestUrls: { rtmp: string; rtmps: string };
  playbackUrls: { rtmp: string; httpFlv: string; hls: string };
}

async function createKey(name: string, policy?: Record<string, unknown>): Promise<KeyAnswer> {
  const res = await api<KeyAnswer>('POST', '/v1/stream-keys', { body: policy ? { name, policy } : { name } });
  expect(res.status).toBe(201);
  if (res.body.key) secrets.push(res.body.key);
  return res.body;
}

/** The store's records, straight from Redis. */
function storedKeys(): Promise<StreamKeyRecord[]> {
  return store.list();
}

beforeAll(async () => {
  services = await startServices();
  const quiet = createLogger('e2e-support', { level: 'silent' });
  redis = connectRedis(services.redis.url, { logger: quiet, name: 'control-plane-e2e' });
  await waitForRedis(redis);
  nats = await connectNats(services.nats.url, { name: 'control-plane-e2e' });
  edgeNats = await connectNats(services.nats.url, { name: 'fake-edges' });
  store = new StreamKeyStore(redis);

  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
      callback();
    },
  });
  const logger = createLogger('control-plane', { destination, level: 'trace' });
  const config = loadConfig({
    ADMIN_TOKEN: TOKEN,
    PUBLIC_INGEST_URL: INGEST,
    PUBLIC_INGEST_RTMPS_URL: INGEST_TLS,
    PUBLIC_PLAYBACK_RTMP_URL: PLAY_RTMP,
    PUBLIC_PLAYBACK_HTTP_URL: `${PLAY_HTTP}/`,
  });
  app = await createApp({ config, redis, nats, logger });
  const port = await listenApp(app, 0, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await app?.close();
  if (edgeNats) await closeNats(edgeNats);
  if (nats) await closeNats(nats);
  if (redis) await closeRedis(redis);
  await services?.stop();
});

describe('probes and docs (public)', () => {
  it('GET /healthz answers 200 without a token', async () => {
    const res = await api('GET', '/healthz', { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 when Redis and NATS are up', async () => {
    const res = await api('GET', '/readyz', { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { redis: 'up', nats: 'up' } });
  });

  it('/docs-json is an OpenAPI document with every route and the bearer scheme', async () => {
    const res = await api<{ openapi: string; info: { title: string }; paths: Record<string, Record<string, unknown>>; components: { securitySchemes: Record<string, { type: string; scheme: string }> } }>(
      'GET',
      '/docs-json',
      { token: null },
    );
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(res.body.info.title).toEqual(expect.any(String));
    const paths = res.body.paths;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/healthz',
        '/readyz',
        '/v1/stream-keys',
        '/v1/stream-keys/{id}',
        '/v1/stream-keys/{id}/rotate',
        '/v1/streams',
        '/v1/streams/{name}',
        '/v1/nodes',
      ]),
    );
    expect(Object.keys(paths['/v1/stream-keys'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(paths['/v1/stream-keys/{id}'])).toEqual(expect.arrayContaining(['get', 'delete']));
    expect(Object.keys(paths['/v1/streams/{name}'])).toEqual(expect.arrayContaining(['get', 'delete']));
    expect(paths['/v1/stream-keys'].post).toMatchObject({ security: [{ bearer: [] }] });
    expect(Object.values(res.body.components.securitySchemes)).toContainEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
  });

  it('/docs serves the Swagger UI', async () => {
    const res = await api('GET', '/docs', { token: null });
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/swagger/i);
  });
});

describe('authentication', () => {
  it.each([
    ['no Authorization header', null, /missing bearer token/i],
    ['a wrong token', `${TOKEN}x`, /invalid bearer token/i],
    ['a short token', 'x', /invalid bearer token/i],
  ])('answers 401 JSON with %s', async (_what, token, message) => {
    for (const [method, path] of [
      ['GET', '/v1/stream-keys'],
      ['GET', '/v1/streams'],
      ['GET', '/v1/nodes'],
      ['DELETE', '/v1/streams/anything'],
    ]) {
      const res = await api(method, path, { token });
      expectError(res, 401, message);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('answers 401 to other schemes and malformed headers', async () => {
    for (const authorization of [`Basic ${TOKEN}`, TOKEN, `Bearer ${TOKEN} extra`, 'Bearer']) {
      expectError(await api('GET', '/v1/stream-keys', { token: null, headers: { authorization } }), 401);
    }
  });

  it('answers 401 before looking at the body or the route', async () => {
    expectError(await api('POST', '/v1/stream-keys', { token: null, raw: '{not json' }), 401);
    expectError(await api('POST', '/v1/stream-keys', { token: 'wrong', raw: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }) }), 401);
    expectError(await api('POST', '/v1/stream-keys', { token: null, raw: 'a=b', headers: { 'content-type': 'text/plain' } }), 401);
    expectError(await api('GET', '/v1/no-such-route', { token: null }), 401);
    expectError(await api('GET', '/v1/no-such-route'), 404);
  });

  it('creates nothing without a valid token', async () => {
    const before = await storedKeys();
    expectError(await api('POST', '/v1/stream-keys', { token: null, body: { name: 'sneaky' } }), 401);
    expectError(await api('POST', '/v1/stream-keys', { token: 'wrong', body: { name: 'sneaky' } }), 401);
    expect(await storedKeys()).toEqual(before);
  });
});

describe('stream keys', () => {
  let first: KeyAnswer;

  it('POST /v1/stream-keys creates a key: 201, the secret once, publish URLs with it, playback URLs with the name', async () => {
    first = await createKey('my-show', { allowedCodecs: ['h264', 'aac'], maxBitrateKbps: 8000 });
    expect(first).toMatchObject({
      id: expect.stringMatching(/^key_[A-Za-z0-9_-]+$/),
      name: 'my-show',
      key: expect.any(String),
      keyHint: expect.any(String),
      createdAt: expect.any(String),
      rotatedAt: null,
      revokedAt: null,
      status: 'active',
      policy: { allowedCidrs: [], maxBitrateKbps: 8000, allowedCodecs: ['h264', 'aac'], duplicatePolicy: 'reject', expiresAt: null },
    });
    const key = first.key as string;
    expect(key.length).toBeGreaterThanOrEqual(20);
    expect(key.startsWith(first.keyHint)).toBe(true);
    expect(Number.isNaN(Date.parse(first.createdAt))).toBe(false);
    expect(first.ingestUrls).toEqual({ rtmp: `${INGEST}/${key}`, rtmps: `${INGEST_TLS}/${key}` });
    expect(first.playbackUrls).toEqual({ rtmp: `${PLAY_RTMP}/my-show`, httpFlv: `${PLAY_HTTP}/my-show.flv`, hls: `${PLAY_HTTP}/my-show/index.m3u8` });
    // The key works: the store authorizes it.
    await expect(store.authorize(key, '127.0.0.1')).resolves.toMatchObject({ allowed: true });
  });

  it('POST with the default policy', async () => {
    const created = await createKey('plain');
    expect(created.policy).toEqual({ allowedCidrs: [], maxBitrateKbps: null, allowedCodecs: [], duplicatePolicy: 'reject', expiresAt: null });
  });

  it('GET /v1/stream-keys lists keys without secrets', async () => {
    const res = await api<KeyAnswer[]>('GET', '/v1/stream-keys');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const mine = res.body.find((k) => k.id === first.id);
    expect(mine).toMatchObject({ id: first.id, name: 'my-show', keyHint: first.keyHint, status: 'active' });
    expect(mine).not.toHaveProperty('key');
    expect(mine?.ingestUrls.rtmp).toBe(`${INGEST}/<key>`);
    for (const secret of secrets) expect(res.text).not.toContain(secret);
  });

  it('GET /v1/stream-keys/:id answers the key without its secret', async () => {
    const res = await api<KeyAnswer>('GET', `/v1/stream-keys/${first.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: first.id, name: 'my-show', createdAt: first.createdAt, policy: first.policy });
    expect(res.body).not.toHaveProperty('key');
    for (const secret of secrets) expect(res.text).not.toContain(secret);
  });

  it('409 for a name that already has a live key, and nothing changes', async () => {
    const before = await storedKeys();
    expectError(await api('POST', '/v1/stream-keys', { body: { name: 'my-show' } }), 409, /my-show/);
    expect(await storedKeys()).toEqual(before);
  });

  it('POST /v1/stream-keys/:id/rotate: a new secret, shown once; the old one stops working', async () => {
    const old = first.key as string;
    const res = await api<KeyAnswer>('POST', `/v1/stream-keys/${first.id}/rotate`);
    expect(res.status).toBe(200);
    const rotated = res.body;
    secrets.push(rotated.key as string);
    expect(rotated.key).toEqual(expect.any(String));
    expect(rotated.key).not.toBe(old);
    expect(rotated).toMatchObject({ id: first.id, name: 'my-show', createdAt: first.createdAt, rotatedAt: expect.any(String), revokedAt: null });
    expect(rotated.ingestUrls.rtmp).toBe(`${INGEST}/${rotated.key}`);
    await expect(store.authorize(old, '127.0.0.1')).resolves.toMatchObject({ allowed: false, reason: 'unknown' });
    await expect(store.authorize(rotated.key as string, '127.0.0.1')).resolves.toMatchObject({ allowed: true });
    first = rotated;
  });

  it('DELETE /v1/stream-keys/:id revokes: 200 with revokedAt; idempotent; a revoked key cannot publish nor be rotated', async () => {
    const res = await api<KeyAnswer>('DELETE', `/v1/stream-keys/${first.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: first.id, name: 'my-show', revokedAt: expect.any(String), status: 'revoked' });
    expect(res.body).not.toHaveProperty('key');
    await expect(store.authorize(first.key as string, '127.0.0.1')).resolves.toMatchObject({ allowed: false, reason: 'revoked' });

    const again = await api<KeyAnswer>('DELETE', `/v1/stream-keys/${first.id}`);
    expect(again.status).toBe(200);
    expect(again.body.revokedAt).toBe(res.body.revokedAt);

    const got = await api<KeyAnswer>('GET', `/v1/stream-keys/${first.id}`);
    expect(got.body).toMatchObject({ status: 'revoked', revokedAt: res.body.revokedAt });

    expectError(await api('POST', `/v1/stream-keys/${first.id}/rotate`), 409, /revoked/);

    // The name is free again.
    const renewed = await createKey('my-show');
    expect(renewed.id).not.toBe(first.id);
  });

  it('404 JSON for unknown ids', async () => {
    const unknown = 'key_unknownkey00';
    expectError(await api('GET', `/v1/stream-keys/${unknown}`), 404, /not found/);
    expectError(await api('POST', `/v1/stream-keys/${unknown}/rotate`), 404);
    expectError(await api('DELETE', `/v1/stream-keys/${unknown}`), 404);
  });
});

describe('bad requests change nothing', () => {
  let before: StreamKeyRecord[];
  let beforeApi: string;

  beforeAll(async () => {
    await createKey('taken');
  });

  beforeEach(async () => {
    before = await storedKeys();
    beforeApi = (await api('GET', '/v1/stream-keys')).text;
  });

  afterEach(async () => {
    expect(await storedKeys()).toEqual(before);
    expect((await api('GET', '/v1/stream-keys')).text).toBe(beforeApi);
  });

  it('400 for malformed JSON', async () => {
    for (const raw of ['{"name": "x"', '{name: "x"}', 'not json', '{"name": "x"}}', '\u0000']) {
      expectError(await api('POST', '/v1/stream-keys', { raw }), 400, /not valid JSON/);
    }
  });

  it('400 for JSON that is not an object', async () => {
    for (const raw of ['[]', '[{"name":"x"}]', '"x"', '1', 'null', 'true']) {
      expectError(await api('POST', '/v1/stream-keys', { raw }), 400);
    }
  });

  it('400 for wrong types', async () => {
    for (const body of [
      { name: 42 },
      { name: ['a'] },
      { name: null },
      { name: { a: 1 } },
      { name: 'ok1', policy: 'open' },
      { name: 'ok1', policy: [] },
      { name: 'ok1', policy: { allowedCidrs: '10.0.0.0/8' } },
      { name: 'ok1', policy: { allowedCidrs: [10] } },
      { name: 'ok1', policy: { maxBitrateKbps: '5000' } },
      { name: 'ok1', policy: { maxBitrateKbps: 2.5 } },
      { name: 'ok1', policy: { allowedCodecs: 'h264' } },
      { name: 'ok1', policy: { duplicatePolicy: true } },
      { name: 'ok1', policy: { expiresAt: 1893456000000 } },
    ]) {
      const res = await api('POST', '/v1/stream-keys', { body });
      expectError(res, 400);
      expect(Array.isArray(res.body.message)).toBe(true);
    }
  });

  it('400 for unknown fields (top level and in the policy)', async () => {
    expectError(await api('POST', '/v1/stream-keys', { body: { name: 'ok2', admin: true } }), 400, /property admin should not exist/);
    expectError(await api('POST', '/v1/stream-keys', { body: { name: 'ok2', key: 'sk_chosen' } }), 400, /property key should not exist/);
    expectError(await api('POST', '/v1/stream-keys', { body: { name: 'ok2', policy: { allowedIps: [] } } }), 400, /allowedIps should not exist/);
    for (const raw of ['{"name":"ok2","__proto__":{"admin":true}}', '{"name":"ok2","constructor":{"prototype":{}}}', '{"name":"ok2","toString":1}', '{"name":"ok2","policy":{"hasOwnProperty":1}}']) {
      expectError(await api('POST', '/v1/stream-keys', { raw }), 400, /should not exist/);
    }
  });

  it('400 for bad names', async () => {
    for (const name of ['', ' ', 'my show', 'my.show', 'my/show', '-show', '_show', 'x'.repeat(129), 'ünïcode', 'a*', 'a>', '../etc']) {
      expectError(await api('POST', '/v1/stream-keys', { body: { name } }), 400, /name/);
    }
    expectError(await api('POST', '/v1/stream-keys', { body: {} }), 400, /name/);
  });

  it('400 for bad policies', async () => {
    for (const policy of [
      { allowedCidrs: ['10.0.0.0/33'] },
      { allowedCidrs: ['not-a-network'] },
      { allowedCidrs: Array.from({ length: 65 }, (_, i) => `10.0.${i}.0/24`) },
      { maxBitrateKbps: 0 },
      { maxBitrateKbps: 1_000_001 },
      { allowedCodecs: ['h263'] },
      { allowedCodecs: ['H264'] },
      { duplicatePolicy: 'replace' },
      { expiresAt: 'tomorrow' },
      { expiresAt: '2030-01-01T00:00:00' },
    ]) {
      expectError(await api('POST', '/v1/stream-keys', { body: { name: 'ok3', policy } }), 400);
    }
  });

  it('400 for bad ids, on every route with an id', async () => {
    for (const id of ['nope', 'key_', `key_${'a'.repeat(65)}`, 'key_a.b', 'key_%20', 'KEY_abc']) {
      const path = `/v1/stream-keys/${encodeURIComponent(id)}`;
      expectError(await api('GET', path), 400, /id must be/);
      expectError(await api('DELETE', path), 400, /id must be/);
      expectError(await api('POST', `${path}/rotate`), 400, /id must be/);
    }
  });

  it('409 for a duplicate name', async () => {
    expectError(await api('POST', '/v1/stream-keys', { body: { name: 'taken' } }), 409);
  });

  it('413 JSON for a 1 MB body (declared length and chunked)', async () => {
    const big = JSON.stringify({ name: 'big', pad: 'x'.repeat(1024 * 1024) });
    expectError(await api('POST', '/v1/stream-keys', { raw: big }), 413, /exceeds 16384 bytes/);
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 16) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    expectError(await api('POST', '/v1/stream-keys', { raw: stream }), 413);
  });

  it('415 for a body that is not JSON', async () => {
    expectError(await api('POST', '/v1/stream-keys', { raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
    expectError(await api('POST', '/v1/stream-keys', { raw: '{"name":"x"}', headers: { 'content-type': 'text/plain' } }), 415);
  });
});

describe('streams', () => {
  const streams = (): StreamRegistry => new StreamRegistry(redis, { ttlMs: 30_000 });
  const startedAt = Date.now() - 65_000;
  /** The edges' side of the control bus: answers kicks for the streams it "holds". */
  let kicks: Array<{ subject: string; body: unknown }>;

  beforeAll(async () => {
    const claimed = await streams().claim(
      {
        name: 'live-one',
        app: 'live',
        edgeId: 'edge-a',
        publisherId: 'pub-secret-id',
        epoch: 7,
        startedAt,
        updatedAt: Date.now(),
        info: {
          video: { codec: 'avc1', name: 'H.264', profile: 'High', level: '4.0', width: 1920, height: 1080, fps: 30 },
          audio: { codec: 'mp4a', name: 'AAC', profile: 'LC', sampleRate: 48000, channels: 2 },
          fps: 29.97,
          bitrateKbps: 4500,
          protocol: 'rtmp',
          encoder: 'obs',
          key: 'sk_should_never_show',
        },
      },
      { takeover: false },
    );
    expect(claimed.claimed).toBe(true);
    await new ViewerRegistry(redis, { ttlMs: 30_000 }).report('origin-1', new Map([['live-one', 3]]));
    await new ViewerRegistry(redis, { ttlMs: 30_000 }).report('origin-2', new Map([['live-one', 2]]));
  });

  it('GET /v1/streams lists live streams with edge, codecs, bitrate, fps, viewers and uptime, and no key material', async () => {
    const res = await api<Array<Record<string, unknown>>>('GET', '/v1/streams');
    expect(res.status).toBe(200);
    const live = res.body.find((s) => s.name === 'live-one');
    expect(live).toEqual({
      name: 'live-one',
      app: 'live',
      edge: 'edge-a',
      startedAt: new Date(startedAt).toISOString(),
      uptimeSeconds: expect.any(Number),
      viewers: 5,
      video: { codec: 'avc1', name: 'H.264', profile: 'High', level: '4.0', width: 1920, height: 1080, fps: 30 },
      audio: { codec: 'mp4a', name: 'AAC', profile: 'LC', sampleRate: 48000, channels: 2 },
      fps: 29.97,
      bitrateKbps: 4500,
      protocol: 'rtmp',
      encoder: 'obs',
      updatedAt: expect.any(String),
    });
    expect(live?.uptimeSeconds).toBeGreaterThanOrEqual(65);
    expect(live?.uptimeSeconds).toBeLessThan(120);
    expect(res.text).not.toMatch(/sk_should_never_show|pub-secret-id/);
  });

  it('GET /v1/streams/:name answers one stream; 404 when not live; 400 for a bad name', async () => {
    const res = await api('GET', '/v1/streams/live-one');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'live-one', edge: 'edge-a', viewers: 5 });
    expectError(await api('GET', '/v1/streams/not-live'), 404, /not live/);
    expectError(await api('GET', '/v1/streams/bad.name'), 400, /name must be/);
  });

  describe('kick (DELETE /v1/streams/:name)', () => {
    let responder: { unsubscribe(): void } | undefined;

    beforeEach(async () => {
      kicks = [];
      responder = edgeNats.subscribe('control.stream.*', {
        callback: (err, msg) => {
          if (err) return;
          kicks.push({ subject: msg.subject, body: msg.json() });
          if (msg.subject === 'control.stream.live-one' && msg.reply) msg.respond(JSON.stringify({ kicked: true, edge: 'edge-x' }));
        },
      });
      await edgeNats.flush();
    });

    afterEach(() => responder?.unsubscribe());

    it('publishes the kick on control.stream.<name> and reports the edge that confirmed it', async () => {
      const res = await api('DELETE', '/v1/streams/live-one');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ name: 'live-one', kicked: true, edge: 'edge-x', keyRevoked: false });
      expect(kicks).toEqual([{ subject: 'control.stream.live-one', body: { action: 'kick', reason: 'Stream was stopped by the operator.' } }]);
    });

    it('with revoke=true also revokes the stream key', async () => {
      const key = await createKey('live-one');
      const res = await api('DELETE', '/v1/streams/live-one?revoke=true');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ name: 'live-one', kicked: true, edge: 'edge-x', keyRevoked: true });
      const after = await api<KeyAnswer>('GET', `/v1/stream-keys/${key.id}`);
      expect(after.body).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
      await expect(store.authorize(key.key as string, '127.0.0.1')).resolves.toMatchObject({ allowed: false, reason: 'revoked' });
    });

    it('with revoke=false leaves the key alone', async () => {
      const key = await createKey('live-one');
      const res = await api('DELETE', '/v1/streams/live-one?revoke=false');
      expect(res.body).toMatchObject({ kicked: true, keyRevoked: false });
      expect((await api<KeyAnswer>('GET', `/v1/stream-keys/${key.id}`)).body.status).toBe('active');
    });

    it('202 with kicked false when no edge confirms', async () => {
      responder?.unsubscribe();
      responder = undefined;
      const res = await api('DELETE', '/v1/streams/live-one');
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ name: 'live-one', kicked: false, keyRevoked: false });
    });

    it('404 for a stream that is not live, 400 for a bad name or revoke value; nothing is sent', async () => {
      expectError(await api('DELETE', '/v1/streams/not-live'), 404, /not live/);
      expectError(await api('DELETE', '/v1/streams/not-live?revoke=true'), 404);
      expectError(await api('DELETE', '/v1/streams/a.b'), 400);
      expectError(await api('DELETE', '/v1/streams/live-one?revoke=maybe'), 400);
      await edgeNats.flush();
      expect(kicks).toEqual([]);
    });
  });
});

describe('nodes', () => {
  it('GET /v1/nodes lists nodes from their heartbeats', async () => {
    const nodes = new NodeRegistry(redis, { ttlMs: 30_000 });
    const startedAt = Date.now() - 10_000;
    await nodes.heartbeat({
      id: 'edge-e2e',
      role: 'edge',
      host: '10.1.2.3',
      ports: { rtmp: 1935, rtmps: 1936 },
      startedAt,
      epoch: 4,
      load: { connections: 2, streams: 1, rssBytes: 1000 },
      updatedAt: Date.now(),
    });
    await nodes.heartbeat({ id: 'origin-e2e', role: 'origin', host: '10.1.2.4', ports: { rtmp: 1945, http: 8080 }, startedAt, epoch: 1, load: { connections: 5, streams: 1, viewers: 4 }, updatedAt: Date.now() });
    const res = await api<Array<Record<string, unknown>>>('GET', '/v1/nodes');
    expect(res.status).toBe(200);
    expect(res.body.find((n) => n.id === 'edge-e2e')).toEqual({
      id: 'edge-e2e',
      role: 'edge',
      host: '10.1.2.3',
      ports: { rtmp: 1935, rtmps: 1936 },
      load: { connections: 2, streams: 1, rssBytes: 1000 },
      epoch: 4,
      startedAt: new Date(startedAt).toISOString(),
      updatedAt: expect.any(String),
      uptimeSeconds: expect.any(Number),
    });
    const origins = await api<Array<Record<string, unknown>>>('GET', '/v1/nodes?role=origin');
    expect(origins.body.map((n) => n.id)).toEqual(['origin-e2e']);
    expectError(await api('GET', '/v1/nodes?role=mainframe'), 400);
  });
});

describe('secrets', () => {
  it('no stream key secret nor the admin token ever reached the logs', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    expect(logLines.length).toBeGreaterThan(10);
    const all = logLines.join('\n');
    for (const secret of secrets) expect(all).not.toContain(secret);
    expect(all).not.toContain(TOKEN);
    expect(all.toLowerCase()).not.toContain('bearer ');
    // The request log is there (so the check above is not vacuous).
    expect(logLines.some((l) => /"msg":"request"/.test(l) && /"path":"\/v1\/stream-keys"/.test(l))).toBe(true);
  });

  it('no secret in the stored list either', async () => {
    const res = await api('GET', '/v1/stream-keys');
    for (const secret of secrets) expect(res.text).not.toContain(secret);
  });
});

describe('Redis down', () => {
  it('/readyz answers 503 and API calls a JSON 503', async () => {
    await services.redis.kill();
    const ready = await api('GET', '/readyz', { token: null });
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'unavailable', checks: { redis: 'down', nats: 'up' } });
    expectError(await api('GET', '/v1/stream-keys'), 503, /unavailable/);
    // Authentication still comes first.
    expectError(await api('GET', '/v1/stream-keys', { token: null }), 401);
    expect((await api('GET', '/healthz', { token: null })).status).toBe(200);
  });
});
