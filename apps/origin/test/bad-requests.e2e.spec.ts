/**
 * Bad requests at the origin while a good viewer plays: unknown names, path traversal, absurd URLs and headers,
 * and a viewer that never reads. Each gets a clear status (or is cut off) and the good viewer plays on.
 */
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { MessageType } from '@ingest/rtmp';
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
} from '@ingest/testing';

jest.setTimeout(120_000);

let cluster: Cluster;
let publisher: ManagedProcess;
let good: RtmpTestClient;
let goodFrames = 0;
let lastChecked = 0;

/** One raw HTTP/1.1 exchange; returns the status line and the body. */
function rawHttp(port: number, request: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let data = '';
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(request);
  });
}

async function expectGoodViewerPlaying(): Promise<void> {
  const before = lastChecked;
  lastChecked = await eventually(async () => (goodFrames > before + 5 ? goodFrames : undefined), 5000, 'the good viewer to keep receiving');
}

beforeAll(async () => {
  const dir = await makeTempDir('origin-bad-');
  const media = await makeTestMedia({ file: join(dir, 'b.flv'), seconds: 10, audio: 'aac', bframes: false, size: '1280x720', fps: 30, gop: 30 });
  cluster = await startCluster({
    edges: 1,
    origins: 1,
    originEnv: { ORIGIN_VIEWER_HIGH_WATER_BYTES: '65536', ORIGIN_VIEWER_CUTOFF_BYTES: '1048576', ORIGIN_VIEWER_MAX_BEHIND_MS: '2000' },
  });
  publisher = spawnManaged(
    requireBinary('ffmpeg'),
    ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', media, '-c', 'copy', '-t', '100', '-f', 'flv', `rtmp://127.0.0.1:${cluster.edges[0].rtmpPort}/live/good`],
    { name: 'publisher' },
  );
  await eventually(async () => ((await cluster.edges[0].stream('good'))?.videoFrames ?? 0) > 10, 15_000, 'the stream');
  good = new RtmpTestClient({ port: cluster.origins[0].rtmpPort });
  good.keepMedia = false;
  good.onMedia = (m) => {
    if (m.type === MessageType.Video) goodFrames++;
  };
  expect((await good.play('good')).status.info.code).toBe('NetStream.Play.Start');
  await expectGoodViewerPlaying();
});

afterAll(async () => {
  good?.close();
  await publisher?.kill('SIGKILL');
  await cluster?.stop();
});

const origin = () => cluster.origins[0];

test('an unknown stream: HTTP-FLV 404 with a JSON error, RTMP StreamNotFound, WebSocket 404', async () => {
  const res = await fetch(origin().flvUrl('nobody-here'));
  expect(res.status).toBe(404);
  expect(await res.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
  const rtmp = new RtmpTestClient({ port: origin().rtmpPort });
  expect((await rtmp.play('nobody-here')).status.info.code).toBe('NetStream.Play.StreamNotFound');
  rtmp.close();
  const wsStatus = await new Promise<number>((resolve) => {
    const ws = new WebSocket(origin().wsUrl('nobody-here'));
    ws.on('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
  expect(wsStatus).toBe(404);
  await expectGoodViewerPlaying();
});

test.each([
  ['/live/../../etc/passwd.flv', 404],
  ['/live/..%2F..%2Fetc%2Fpasswd.flv', 400],
  ['/live/%2e%2e%2fsecret.flv', 400],
  ['/live/good%00.flv', 400],
  ['/live/%E0%A4%A.flv', 400],
  ['/etc/passwd', 404],
  ['/live/good/../../x.flv', 404],
])('path traversal and malformed names: GET %s -> %i', async (path, status) => {
  const res = await rawHttp(origin().httpPort, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  expect(res.status).toBe(status);
  expect(JSON.parse(res.body)).toMatchObject({ statusCode: status, error: expect.any(String), message: expect.any(String) });
  const rtmp = new RtmpTestClient({ port: origin().rtmpPort });
  expect((await rtmp.play(decodeURIComponent(path.replace(/%00|%E0%A4%A/g, '')))).status.info.code).toBe('NetStream.Play.StreamNotFound');
  rtmp.close();
});

test('absurd URLs and headers: 414 and 431, and absurd methods 405', async () => {
  const long = await rawHttp(origin().httpPort, `GET /live/${'a'.repeat(10_000)}.flv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  expect(long.status).toBe(414);
  const hugeHeader = await rawHttp(origin().httpPort, `GET /live/good.flv HTTP/1.1\r\nHost: x\r\nX-Junk: ${'j'.repeat(100_000)}\r\n\r\n`);
  expect(hugeHeader.status).toBe(431);
  const method = await rawHttp(origin().httpPort, `DELETE /live/good.flv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  expect(method.status).toBe(405);
  const garbage = await rawHttp(origin().httpPort, '\x16\x03\x01garbage\r\n\r\n');
  expect(garbage.status).toBe(400);
  await expectGoodViewerPlaying();
});

test('CORS: preflight and responses allow browsers from any origin', async () => {
  const pre = await fetch(origin().flvUrl('good'), { method: 'OPTIONS', headers: { origin: 'https://player.example', 'access-control-request-method': 'GET' } });
  expect(pre.status).toBe(204);
  expect(pre.headers.get('access-control-allow-origin')).toBe('*');
  const head = await fetch(origin().flvUrl('good'), { method: 'HEAD' });
  expect(head.status).toBe(200);
  expect(head.headers.get('content-type')).toBe('video/x-flv');
  expect(head.headers.get('access-control-allow-origin')).toBe('*');
});

test('a viewer that never reads is cut off, and the other viewers play on', async () => {
  const sockets: Socket[] = [];
  const stalled = connect({ port: origin().httpPort, host: '127.0.0.1' });
  sockets.push(stalled);
  await new Promise((r) => stalled.once('connect', r));
  const port = stalled.localPort;
  stalled.write('GET /live/good.flv HTTP/1.1\r\nHost: x\r\n\r\n');
  stalled.pause(); // never reads: kernel buffers fill, then the origin's queue
  const cut = await eventually(
    async () => origin().logs().find((l) => l.msg === 'viewer left' && String(l.client).endsWith(`:${port}`) && l.reason === 'slow viewer'),
    40_000,
    'the stalled viewer to be cut off',
  );
  expect(cut.protocol).toBe('http-flv');
  expect(Number(cut.dropped)).toBeGreaterThan(0); // it first lost frames (skipping to keyframes), then was cut
  await expectGoodViewerPlaying();
  for (const s of sockets) s.destroy();
});

test('the good viewer saw real-time video throughout', async () => {
  const s = await origin().status();
  expect(s.streams.find((x) => x.name === 'good')?.viewers.rtmp).toBe(1);
  expect(await good.closedWithin(10)).toBe(false);
});
