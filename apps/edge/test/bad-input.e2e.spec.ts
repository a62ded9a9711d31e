/**
 * Bad input against the real edge process while a good FFmpeg publisher streams beside it. Each bad client must
 * be closed by the server with a named error in the log, and the good stream must keep flowing throughout.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { encodeAmf0 } from '@ingest/amf';
import { MessageType, encodeChunks, encodeCommand } from '@ingest/rtmp';
import { makeTempDir, makeTestMedia, requireBinary, RtmpTestClient, spawnManaged, type ManagedProcess } from '@ingest/testing';
import { eventually, startEdge, type RunningEdge } from './harness';

jest.setTimeout(120_000);

let edge: RunningEdge;
let good: ManagedProcess;
let lastFrames = 0;

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

beforeAll(async () => {
  const dir = await makeTempDir('edge-bad-');
  const media = await makeTestMedia({ file: join(dir, 'good.flv'), seconds: 10, audio: 'aac', bframes: true, size: '640x360', fps: 30 });
  edge = await startEdge({ EDGE_HANDSHAKE_TIMEOUT_MS: '2000', EDGE_IDLE_TIMEOUT_MS: '3000', EDGE_MAX_COMMANDS_PER_SECOND: '100' });
  good = spawnManaged(
    requireBinary('ffmpeg'),
    ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', media, '-c', 'copy', '-t', '100', '-f', 'flv', `rtmp://127.0.0.1:${edge.rtmpPort}/live/good`],
    { name: 'ffmpeg-good' },
  );
  await eventually(async () => ((await edge.stream('good'))?.videoFrames ?? 0) > 10, 15_000, 'the good stream');
});

afterAll(async () => {
  await good?.kill('SIGKILL');
  await edge?.stop();
});

/** The good stream is still live and its frame count went up since the last check. */
async function expectGoodStreamFlowing(): Promise<void> {
  const before = lastFrames;
  const frames = await eventually(async () => {
    const s = (await edge.status()).streams.find((x) => x.name === 'good');
    return s && s.videoFrames > before ? s.videoFrames : undefined;
  }, 5_000, 'the good stream to advance');
  lastFrames = frames;
}

/** The client was closed by the server, and the edge logged the named error for that client. */
async function expectClosedWith(client: RtmpTestClient, code: string, withinMs = 3000): Promise<void> {
  expect(await client.closedWithin(withinMs)).toBe(true);
  const port = client.localPort;
  const line = await eventually(
    async () => edge.logs().find((l) => l.code === code && String(l.client).endsWith(`:${port}`)),
    3000,
    `a log line with ${code} for client port ${port}`,
  );
  expect(line.msg).toContain(code);
  await expectGoodStreamFlowing();
}

async function connected(): Promise<RtmpTestClient> {
  const client = new RtmpTestClient({ port: edge.rtmpPort });
  await client.connect();
  return client;
}

test('garbage instead of a handshake', async () => {
  const client = new RtmpTestClient({ port: edge.rtmpPort });
  await client.open();
  client.writeRaw(Buffer.from('GET / HTTP/1.1\r\nHost: edge\r\n\r\n'));
  await expectClosedWith(client, 'RTMP_BAD_VERSION');
});

test('a wrong version byte', async () => {
  const client = new RtmpTestClient({ port: edge.rtmpPort });
  await client.open();
  client.writeRaw(Buffer.concat([Buffer.from([0x0a]), randomBytes(1536)]));
  await expectClosedWith(client, 'RTMP_BAD_VERSION');
});

test('RTMPE (C0 = 6) on the plain listener is refused at once', async () => {
  const client = new RtmpTestClient({ port: edge.rtmpPort });
  await client.open();
  client.writeRaw(Buffer.concat([Buffer.from([0x06]), randomBytes(1536)]));
  await expectClosedWith(client, 'RTMP_RTMPE_UNSUPPORTED');
});

test('a handshake that never finishes', async () => {
  const client = new RtmpTestClient({ port: edge.rtmpPort });
  await client.open();
  client.writeRaw(Buffer.concat([Buffer.from([0x03]), randomBytes(100)]));
  await expectClosedWith(client, 'EDGE_HANDSHAKE_TIMEOUT', 5000);
});

test('a client that goes silent after connecting is closed at the idle timeout, not before', async () => {
  const client = await connected();
  const silentAt = Date.now();
  expect(await client.closedWithin(2000)).toBe(false);
  expect(await client.closedWithin(4000)).toBe(true);
  const closedAfter = Date.now() - silentAt;
  expect(closedAfter).toBeGreaterThanOrEqual(2900);
  expect(closedAfter).toBeLessThan(4500); // the timeout plus at most one sweep (a quarter of it)
  await expectClosedWith(client, 'EDGE_IDLE_TIMEOUT');
});

test('random bytes after a valid handshake', async () => {
  const client = new RtmpTestClient({ port: edge.rtmpPort });
  await client.handshake();
  // 0xC5: a type 3 chunk on a chunk stream that never had a header.
  client.writeRaw(Buffer.concat([Buffer.from([0xc5]), randomBytes(4000)]));
  await expectClosedWith(client, 'RTMP_BAD_CHUNK_HEADER');
});

test.each([
  ['Set Chunk Size of 0', 0],
  ['Set Chunk Size of 2^31-1', 0x7fffffff],
  ['1-byte chunks (Set Chunk Size of 1)', 1],
])('%s', async (_name, size) => {
  const client = new RtmpTestClient({ port: edge.rtmpPort });
  await client.handshake();
  client.writeRaw(encodeChunks(128, 0, 2, MessageType.SetChunkSize, 0, 0, uint32(size)));
  await expectClosedWith(client, 'RTMP_BAD_CHUNK_SIZE');
});

test('a message length of 16 MB', async () => {
  const client = new RtmpTestClient({ port: edge.rtmpPort });
  await client.handshake();
  // fmt 0 on csid 6: timestamp 0, length 0xFFFFFF, type 9, stream 1, then the start of the body.
  client.writeRaw(Buffer.concat([Buffer.from([0x06, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0]), randomBytes(128)]));
  await expectClosedWith(client, 'RTMP_MESSAGE_TOO_LARGE');
});

test('chunks on thousands of chunk stream ids', async () => {
  const client = await connected();
  const parts: Buffer[] = [];
  for (let csid = 10; csid < 5010; csid++) parts.push(encodeChunks(128, 0, csid, MessageType.Video, 1, 0, Buffer.from([0x17, 1, 0, 0, 0])));
  client.writeRaw(Buffer.concat(parts));
  await expectClosedWith(client, 'RTMP_TOO_MANY_CHUNK_STREAMS');
});

test('an unknown command', async () => {
  const client = await connected();
  client.writeRaw(encodeChunks(128, 0, 3, MessageType.CommandAmf0, 0, 0, encodeCommand('formatHardDisk', 7, null, 'now')));
  await expectClosedWith(client, 'RTMP_UNKNOWN_COMMAND');
});

test('AMF nested 10,000 deep', async () => {
  const client = new RtmpTestClient({ port: edge.rtmpPort });
  await client.handshake();
  const depth = 10_000;
  const open = Buffer.from([0x00, 0x01, 0x61, 0x03]); // key "a", object marker
  const body = Buffer.concat([
    encodeAmf0('connect', 1),
    Buffer.from([0x03]),
    Buffer.concat(Array.from({ length: depth }, () => open)),
    Buffer.concat(Array.from({ length: depth + 1 }, () => Buffer.from([0, 0, 9]))),
  ]);
  client.writeRaw(encodeChunks(128, 0, 3, MessageType.CommandAmf0, 0, 0, body));
  await expectClosedWith(client, 'RTMP_BAD_COMMAND');
  const line = edge.logs().find((l) => l.code === 'RTMP_BAD_COMMAND');
  expect(String(line?.reason)).toContain('AMF_DEPTH_EXCEEDED');
});

test('a command flood', async () => {
  const client = await connected();
  const flood = Array.from({ length: 500 }, (_, i) => encodeChunks(4096, 0, 3, MessageType.CommandAmf0, 0, 0, encodeCommand('releaseStream', i + 10, null, 'x')));
  client.writeRaw(Buffer.concat(flood));
  await expectClosedWith(client, 'EDGE_COMMAND_FLOOD');
});

test('a malformed stream key is refused with NetStream.Publish.BadName before any Publish.Start', async () => {
  const client = new RtmpTestClient({ port: edge.rtmpPort });
  const { status } = await client.publish('../../etc/passwd');
  expect(status.info.code).toBe('NetStream.Publish.BadName');
  expect(client.statuses.some((s) => s.info.code === 'NetStream.Publish.Start')).toBe(false);
  await expectClosedWith(client, 'EDGE_PUBLISH_REFUSED');
});

test('a second publisher of a live stream is refused with NetStream.Publish.BadName', async () => {
  const client = new RtmpTestClient({ port: edge.rtmpPort });
  const { status } = await client.publish('good');
  expect(status.info.code).toBe('NetStream.Publish.BadName');
  await expectClosedWith(client, 'EDGE_PUBLISH_REFUSED');
});

test('a connect to an application that does not exist is rejected', async () => {
  const client = new RtmpTestClient({ port: edge.rtmpPort, app: 'nope' });
  await expect(client.connect()).rejects.toThrow(/NetConnection.Connect.Rejected/);
  await expectClosedWith(client, 'RTMP_REJECTED');
});

test('through all of it the good publisher streamed on at its real-time rate, and the edge never restarted', async () => {
  const s = (await edge.status()).streams.find((x) => x.name === 'good');
  expect(s).toBeDefined();
  expect(s!.malformedTags).toBe(0);
  // 30 fps in real time: frames / uptime stays close to 30 (it would drop if the event loop had stalled).
  expect(s!.videoFrames / s!.uptimeSeconds).toBeGreaterThan(25);
  expect(edge.process.exitStatus()).toBeUndefined();
  expect(edge.logs().filter((l) => Number(l.level) >= 50)).toEqual([]);
});
