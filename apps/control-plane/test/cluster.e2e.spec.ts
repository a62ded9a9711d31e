/**
 * The control plane with a real cluster: Redis (with persistence), NATS with JetStream, an edge that asks the
 * control plane over gRPC, an origin, FFmpeg, and a webhook receiver.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { signWebhook } from '@ingest/events';
import { StreamRegistry, closeRedis, connectRedis, waitForRedis } from '@ingest/registry';
import { createLogger } from '@ingest/telemetry';
import {
  eventually,
  ffprobeStreams,
  makeTempDir,
  makeTestMedia,
  requireBinary,
  RtmpTestClient,
  spawnManaged,
  startControlPlane,
  startEdge,
  startNats,
  startOrigin,
  startRedis,
  type ClusterServices,
  type ManagedProcess,
  type RunningControlPlane,
  type RunningEdge,
  type RunningOrigin,
} from '@ingest/testing';

jest.setTimeout(120_000);

const WEBHOOK_SECRET = 'whsec_e2e_0123456789';
let services: ClusterServices;
let control: RunningControlPlane;
let edge: RunningEdge;
let origin: RunningOrigin;
let receiver: Server;
let media: string;
let registry: StreamRegistry;
let redis: ReturnType<typeof connectRedis>;
const hooks: Array<{ type: string; stream: string; valid: boolean; id: string }> = [];
const secrets: string[] = [];
const ffmpegs: ManagedProcess[] = [];

interface CreatedKey {
  id: string;
  name: string;
  key: string;
  ingestUrls: { rtmp: string };
  playbackUrls: Record<string, string>;
}

async function createKey(name: string, policy?: Record<string, unknown>): Promise<CreatedKey> {
  const res = await control.api('/v1/stream-keys', { method: 'POST', body: JSON.stringify({ name, ...(policy ? { policy } : {}) }) });
  expect(res.status).toBe(201);
  const body = (await res.json()) as CreatedKey;
  secrets.push(body.key);
  return body;
}

function publishWithFfmpeg(key: string): ManagedProcess {
  const p = spawnManaged(
    requireBinary('ffmpeg'),
    ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', media, '-c', 'copy', '-t', '60', '-f', 'flv', `rtmp://127.0.0.1:${edge.rtmpPort}/live/${key}`],
    { name: 'ffmpeg' },
  );
  ffmpegs.push(p);
  return p;
}

async function publishStatus(key: string): Promise<string> {
  const client = new RtmpTestClient({ port: edge.rtmpPort });
  try {
    const { status } = await client.publish(key);
    return String(status.info.code);
  } finally {
    client.close();
  }
}

beforeAll(async () => {
  media = await makeTestMedia({ file: join(await makeTempDir('cp-'), 'cp.flv'), seconds: 10, audio: 'aac', bframes: true, size: '854x480', fps: 30, gop: 30 });
  const [r, n] = await Promise.all([startRedis({ appendonly: true }), startNats({ jetstream: true })]);
  services = { redis: r, nats: n, stop: async () => void (await Promise.all([r.stop(), n.stop()])) };
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const event = JSON.parse(body) as { id: string; type: string; stream: string };
      const valid = req.headers['x-ingest-signature'] === signWebhook(WEBHOOK_SECRET, String(req.headers['x-ingest-timestamp']), body);
      hooks.push({ id: event.id, type: event.type, stream: event.stream, valid });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  control = await startControlPlane(services, {
    WEBHOOK_URLS: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
    WEBHOOK_SECRET,
  });
  edge = await startEdge({ NODE_ID: 'edge-cp', CONTROL_GRPC_URL: `127.0.0.1:${control.grpcPort}`, STREAM_TTL_MS: '3000', HEARTBEAT_MS: '1000' }, services);
  origin = await startOrigin(services, 'origin-cp');
  redis = connectRedis(services.redis.url, { logger: createLogger('test', { level: 'silent' }) });
  await waitForRedis(redis);
  registry = new StreamRegistry(redis);
});

afterAll(async () => {
  await Promise.all(ffmpegs.map((p) => p.kill('SIGKILL')));
  await closeRedis(redis);
  await Promise.all([edge?.stop(), origin?.stop(), control?.stop()]);
  await services?.stop();
  receiver?.close();
});

test('a key created over REST publishes with FFmpeg; /v1/streams shows it; it plays; a kick closes FFmpeg within 1 s; webhooks arrive signed', async () => {
  const created = await createKey('launch-show');
  expect(created.ingestUrls.rtmp).toContain(created.key);
  expect(JSON.stringify(created.playbackUrls)).not.toContain(created.key);
  const ffmpeg = publishWithFfmpeg(created.key);

  const live = await eventually(async () => {
    const res = await control.api('/v1/streams');
    const list = (await res.json()) as Array<Record<string, unknown>>;
    const s = list.find((x) => x.name === 'launch-show');
    return s && Number(s.bitrateKbps) > 0 && s.video ? s : undefined;
  }, 15_000, 'the stream in /v1/streams with stats');
  expect(live.edge).toBe('edge-cp');
  expect(live.video).toMatchObject({ width: 854, height: 480 });
  expect(String((live.video as Record<string, unknown>).codec ?? (live.video as Record<string, unknown>).name)).toMatch(/h\.?264|avc/i);
  expect(JSON.stringify(live)).not.toContain(created.key);

  const streams = await ffprobeStreams(origin.rtmpUrl('launch-show'), { timeoutMs: 20_000 });
  expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 854, height: 480 });

  const kickedAt = Date.now();
  const kick = await control.api('/v1/streams/launch-show', { method: 'DELETE' });
  expect(kick.status).toBe(200);
  expect(await kick.json()).toMatchObject({ name: 'launch-show', kicked: true, edge: 'edge-cp' });
  await ffmpeg.waitForExit(5000);
  expect(Date.now() - kickedAt).toBeLessThan(1000 + 300); // the encoder's connection is closed within a second

  const forStream = async () => hooks.filter((h) => h.stream === 'launch-show');
  const got = await eventually(async () => {
    const h = await forStream();
    const types = new Set(h.map((x) => x.type));
    return types.has('stream.started') && types.has('stream.kicked') && types.has('stream.ended') ? h : undefined;
  }, 15_000, 'started, kicked and ended webhooks');
  expect(got.every((h) => h.valid)).toBe(true);
});

test('revoked, rotated-away, expired, wrong-CIDR and unknown keys are refused at the edge and nothing is registered', async () => {
  const revoked = await createKey('revoked-show');
  expect((await control.api(`/v1/stream-keys/${revoked.id}`, { method: 'DELETE' })).status).toBe(200);
  const rotated = await createKey('rotated-show');
  const rotation = (await (await control.api(`/v1/stream-keys/${rotated.id}/rotate`, { method: 'POST' })).json()) as CreatedKey;
  secrets.push(rotation.key);
  const expired = await createKey('expired-show', { expiresAt: new Date(Date.now() - 60_000).toISOString() });
  const cidr = await createKey('cidr-show', { allowedCidrs: ['10.0.0.0/8'] });

  expect(await publishStatus(revoked.key)).toBe('NetStream.Publish.BadName');
  expect(await publishStatus(rotated.key)).toBe('NetStream.Publish.BadName');
  expect(await publishStatus(expired.key)).toBe('NetStream.Publish.BadName');
  expect(await publishStatus(cidr.key)).toBe('NetStream.Publish.Unauthorized');
  expect(await publishStatus('sk_this-key-does-not-exist')).toBe('NetStream.Publish.BadName');
  for (const name of ['revoked-show', 'rotated-show', 'expired-show', 'cidr-show']) expect(await registry.get(name)).toBeUndefined();
  // The rotated key's new secret works.
  expect(await publishStatus(rotation.key)).toBe('NetStream.Publish.Start');
});

test("the key's policy is enforced on the live stream: codecs, maximum bitrate, duplicate publisher takeover", async () => {
  // Codecs: an H.264 stream on a key that allows only HEVC is cut off once its sequence header arrives.
  const hevcOnly = await createKey('hevc-only', { allowedCodecs: ['hevc', 'aac'] });
  const codecClient = new RtmpTestClient({ port: edge.rtmpPort });
  const { streamId } = await codecClient.publish(hevcOnly.key);
  codecClient.session.sendMedia(streamId, 9, 0, Buffer.from('1700000000014d401fffe1001967640028acd940780227e5c04400000fa40003a9838f183196', 'hex'));
  expect(await codecClient.closedWithin(3000)).toBe(true);
  expect(codecClient.statuses.map((x) => x.info.code)).toContain('NetStream.Publish.Denied');
  expect(String(codecClient.statuses.at(-1)?.info.description)).toMatch(/H\.264/);

  // Bitrate: FFmpeg's stream (~1 Mbit/s here) on a key limited to 100 kbit/s is cut off after a few seconds.
  const slow = await createKey('low-bitrate', { maxBitrateKbps: 100 });
  const ffmpeg = publishWithFfmpeg(slow.key);
  const exit = await ffmpeg.waitForExit(15_000);
  expect(exit.code).not.toBe(0);
  // Logged before the connection closed; the line reaches this process through a pipe that may lag behind.
  await eventually(async () => edge.logs().some((l) => l.code === 'EDGE_POLICY_VIOLATION' && /bitrate/.test(String(l.reason))), 5000, 'the bitrate violation log line');

  // Duplicate policy per key: 'takeover' lets a second publisher replace the first.
  const shared = await createKey('shared-show', { duplicatePolicy: 'takeover' });
  const first = new RtmpTestClient({ port: edge.rtmpPort });
  expect((await first.publish(shared.key)).status.info.code).toBe('NetStream.Publish.Start');
  const second = new RtmpTestClient({ port: edge.rtmpPort });
  expect((await second.publish(shared.key)).status.info.code).toBe('NetStream.Publish.Start');
  expect(await first.closedWithin(2000)).toBe(true);
  second.close();
});

test('restart the control plane and Redis (with persistence): every key still works', async () => {
  const keep = await createKey('persistent-show');
  await control.process.kill('SIGKILL');
  await services.redis.kill('SIGKILL');
  await services.redis.restart();
  control = await startControlPlane(services, {}, { apiPort: control.apiPort, grpcPort: control.grpcPort });
  expect(await publishStatus(keep.key)).toBe('NetStream.Publish.Start');
  const list = (await (await control.api('/v1/stream-keys')).json()) as Array<{ name: string }>;
  expect(list.map((k) => k.name)).toEqual(expect.arrayContaining(['launch-show', 'rotated-show', 'persistent-show']));
});

test('with the control plane unreachable, new publishes are refused with a clear status and live streams continue', async () => {
  const liveKey = await createKey('keeps-going');
  const ffmpeg = publishWithFfmpeg(liveKey.key);
  await eventually(() => registry.get('keeps-going').catch(() => undefined), 10_000, 'keeps-going live');
  const other = await createKey('too-late');
  await control.process.kill('SIGKILL');
  expect(await publishStatus(other.key)).toBe('NetStream.Publish.Failed');
  const before = (await edge.stream('keeps-going'))!.videoFrames;
  await new Promise((r) => setTimeout(r, 1500));
  expect((await edge.stream('keeps-going'))!.videoFrames).toBeGreaterThan(before + 20);
  expect(ffmpeg.exitStatus()).toBeUndefined();
  control = await startControlPlane(services, {}, { apiPort: control.apiPort, grpcPort: control.grpcPort });
  // The edge's gRPC channel reconnects by itself (back-off up to 1 s); an encoder's retry then succeeds.
  await eventually(async () => (await publishStatus(other.key)) === 'NetStream.Publish.Start', 5000, 'publishing to work again');
});

test('secrets never appear in logs, /v1/streams or playback URLs', async () => {
  const logs = [control.process.output(), edge.process.output(), origin.process.output()].join('\n');
  const streams = await (await control.api('/v1/streams')).text();
  const keys = await (await control.api('/v1/stream-keys')).text();
  for (const secret of secrets) {
    expect(logs).not.toContain(secret);
    expect(streams).not.toContain(secret);
    expect(keys).not.toContain(secret);
  }
});
