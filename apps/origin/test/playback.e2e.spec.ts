/**
 * Two edges and two origins as real processes with private Redis and NATS. FFmpeg publishes to edge A; players
 * read the stream from origin B over RTMP, HTTP-FLV and WebSocket-FLV.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { FlvFileReader } from '@ingest/flv';
import { MessageType, type RtmpMessage } from '@ingest/rtmp';
import {
  ffprobeStreams,
  makeTempDir,
  makeTestMedia,
  requireBinary,
  RtmpTestClient,
  spawnManaged,
  type ManagedProcess,
} from '@ingest/testing';
import { eventually, startCluster, type Cluster } from '@ingest/testing';

jest.setTimeout(120_000);

let cluster: Cluster;
let dir: string;
let media: string;
let publisher: ManagedProcess;

/** Decodes `frames` video frames (and the audio alongside); returns what ffmpeg printed at level error. */
async function decodeErrors(input: string, frames: number): Promise<{ code: number | null; output: string; frames: number }> {
  // -copyts keeps the stream's own timestamps: without it ffmpeg 5.1 rebases on the first audio packet and rounds
  // millisecond timestamps onto a shifted frame grid, reporting duplicate dts at its null muxer (not a decoding error).
  const ffmpeg = spawnManaged(requireBinary('ffmpeg'), ['-nostdin', '-v', 'error', '-stats', '-copyts', '-i', input, '-frames:v', String(frames), '-f', 'null', '-'], {
    name: 'ffmpeg-decode',
  });
  const exit = await ffmpeg.waitForExit(frames * 40 + 20_000);
  // -stats prints progress lines ("frame=  150 ...") on stderr; everything else is an error message.
  const lines = ffmpeg.output().split(/[\r\n]+/).filter((l) => l.trim());
  const decoded = Math.max(0, ...lines.map((l) => Number(/frame=\s*(\d+)/.exec(l)?.[1] ?? 0)));
  return { code: exit.code, output: lines.filter((l) => !/^frame=/.test(l.trim())).join('\n'), frames: decoded };
}

function captureWebSocket(url: string, ms: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const parts: Buffer[] = [];
    ws.on('message', (data: Buffer) => parts.push(Buffer.from(data)));
    ws.on('error', reject);
    ws.on('open', () => setTimeout(() => ws.close(), ms));
    ws.on('close', () => resolve(Buffer.concat(parts)));
  });
}

beforeAll(async () => {
  dir = await makeTempDir('cluster-play-');
  media = await makeTestMedia({ file: join(dir, 'show.flv'), seconds: 10, audio: 'aac', bframes: true, size: '960x540', fps: 30, gop: 60 });
  cluster = await startCluster({ edges: 2, origins: 2 });
  publisher = spawnManaged(
    requireBinary('ffmpeg'),
    ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', media, '-c', 'copy', '-t', '110', '-f', 'flv', `rtmp://127.0.0.1:${cluster.edges[0].rtmpPort}/live/show`],
    { name: 'publisher' },
  );
  await eventually(async () => ((await cluster.edges[0].stream('show'))?.videoFrames ?? 0) > 30, 15_000, 'the stream on edge A');
});

afterAll(async () => {
  await publisher?.kill('SIGKILL');
  await cluster?.stop();
});

const originB = () => cluster.origins[1];

test('ffprobe reads the stream from origin B over RTMP and HTTP-FLV with the right codecs and resolution, and nothing else', async () => {
  for (const url of [originB().rtmpUrl('show'), originB().flvUrl('show')]) {
    const streams = await ffprobeStreams(url, { timeoutMs: 20_000 });
    // Exactly the publisher's two tracks: no "data" stream made up from a status or script message.
    expect(streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    const video = streams.find((s) => s.codec_type === 'video');
    const audio = streams.find((s) => s.codec_type === 'audio');
    expect(video).toMatchObject({ codec_name: 'h264', width: 960, height: 540, profile: 'High' });
    expect(audio).toMatchObject({ codec_name: 'aac' });
  }
});

test.each(['rtmp', 'http-flv'])('ffmpeg decodes 6 s (180 frames) from origin B over %s without a single error', async (protocol) => {
  const url = protocol === 'rtmp' ? originB().rtmpUrl('show') : originB().flvUrl('show');
  const { code, output, frames } = await decodeErrors(url, 180);
  expect(output).toBe('');
  expect(code).toBe(0);
  expect(frames).toBe(180);
});

test('WebSocket-FLV from origin B: 5 s decode without a single error, with the right codecs', async () => {
  const bytes = await captureWebSocket(originB().wsUrl('show'), 5000);
  expect(bytes.subarray(0, 3).toString()).toBe('FLV');
  const file = join(process.env.KEEP_WS_FILE ?? dir, 'ws.flv');
  await writeFile(file, bytes);
  const streams = await ffprobeStreams(file);
  expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 960, height: 540 });
  expect(streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac' });
  const { code, output, frames } = await decodeErrors(file, 100);
  expect(output).toBe('');
  expect(code).toBe(0);
  expect(frames).toBe(100);
  const tags = new FlvFileReader().push(bytes);
  expect(tags.filter((t) => t.type === 9).length).toBeGreaterThan(100); // ~5 s at 30 fps
});

test('viewers joining mid-GOP start at a keyframe, their first frame within 1 s, and decode cleanly', async () => {
  for (const delay of [0, 700, 1300]) {
    await new Promise((r) => setTimeout(r, delay));
    const viewer = new RtmpTestClient({ port: originB().rtmpPort });
    const start = Date.now();
    const firstVideo = new Promise<{ message: RtmpMessage; at: number }>((resolve) => {
      viewer.onMedia = (m) => {
        if (m.type === MessageType.Video && m.payload[1] === 1) resolve({ message: m, at: Date.now() });
      };
    });
    const { status } = await viewer.play('show');
    expect(status.info.code).toBe('NetStream.Play.Start');
    const { message, at } = await firstVideo;
    expect(message.payload[0] >> 4).toBe(1); // frame type 1: keyframe
    expect(at - start).toBeLessThan(1000);
    viewer.close();
  }
  const { code, output, frames } = await decodeErrors(originB().flvUrl('show'), 90);
  expect(output).toBe('');
  expect(code).toBe(0);
  expect(frames).toBe(90);
});

test('origin B keeps one NATS subscription for all its viewers, and counts them per protocol', async () => {
  const viewers = await Promise.all(
    Array.from({ length: 3 }, async () => {
      const v = new RtmpTestClient({ port: originB().rtmpPort });
      await v.play('show');
      return v;
    }),
  );
  const status = await eventually(async () => {
    const s = await originB().status();
    return (s.streams.find((x) => x.name === 'show')?.viewers.rtmp ?? 0) >= 3 ? s : undefined;
  }, 5000, 'three RTMP viewers');
  expect(status.streams.filter((s) => s.name === 'show')).toHaveLength(1);
  expect(originB().logs().filter((l) => l.msg === 'subscribed' && l.stream === 'show')).toHaveLength(1);
  for (const v of viewers) v.close();
});

test('the timestamps and composition offsets a viewer receives are exactly what the publisher sent', async () => {
  const { readFile } = await import('node:fs/promises');
  const tags = new FlvFileReader().push(await readFile(media));
  const source = new RtmpTestClient({ port: cluster.edges[0].rtmpPort, chunkSize: 4096 });
  const { streamId, status } = await source.publish('exact');
  expect(status.info.code).toBe('NetStream.Publish.Start');
  const viewer = new RtmpTestClient({ port: originB().rtmpPort });
  // The viewer joins once the stream is registered; it receives the GOP from the edge, then the live flow.
  let sent = 0;
  const sendUntil = async (ms: number) => {
    const start = Date.now();
    const base = tags[sent]?.timestamp ?? 0;
    while (sent < tags.length && tags[sent].timestamp - base <= ms) {
      const t = tags[sent++];
      source.session.sendMedia(streamId, t.type, t.timestamp, t.body);
      const due = start + (t.timestamp - base);
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
  };
  await sendUntil(1500);
  await viewer.play('exact');
  await sendUntil(4000);
  await eventually(async () => viewer.media.filter((m) => m.type === MessageType.Video).length > 60, 5000, 'viewer media');
  const byBody = new Map(tags.map((t) => [`${t.type}:${Buffer.from(t.body).toString('base64')}`, t]));
  const received = viewer.media.filter((m) => m.type === MessageType.Video || m.type === MessageType.Audio);
  expect(received.length).toBeGreaterThan(100);
  let withOffsets = 0;
  for (const m of received) {
    const original = byBody.get(`${m.type}:${m.payload.toString('base64')}`);
    expect(original).toBeDefined(); // payload unchanged, composition offset (inside the body) included
    expect(m.timestamp).toBe(original!.timestamp);
    if (m.type === MessageType.Video && (m.payload[2] | m.payload[3] | m.payload[4]) !== 0) withOffsets++;
  }
  expect(withOffsets).toBeGreaterThan(10); // B-frames: non-zero composition offsets came through
  viewer.close();
  source.close();
});
