/**
 * Real encoders publish to the real edge process: FFmpeg (H.264 with B-frames + AAC, H.264 + MP3, and over
 * RTMPS) and GStreamer (rtmp2sink and the librtmp-based rtmpsink). For each, the edge's count of video frames
 * equals ffprobe's count for the same source, and codec, profile and resolution are right.
 */
import { join } from 'node:path';
import {
  ffprobeCountVideoFrames,
  ffprobeStreams,
  makeTempDir,
  makeTestMedia,
  requireBinary,
  spawnManaged,
  type ManagedProcess,
} from '@ingest/testing';
import { eventually, startEdge, type RunningEdge } from './harness';

jest.setTimeout(180_000);

let edge: RunningEdge;
let aacFile: string;
let mp3File: string;

interface Publisher {
  name: string;
  source: () => string;
  audio: 'AAC' | 'MP3';
  run: (url: { rtmp: string; rtmps: string }) => ManagedProcess;
}

const ffmpeg = (input: () => string, url: string) =>
  spawnManaged(requireBinary('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-re', '-i', input(), '-c', 'copy', '-f', 'flv', url], { name: 'ffmpeg' });

/** GStreamer re-muxes the same FLV source (flvdemux -> flvmux) and publishes it. */
const gstreamer = (sink: string[]) =>
  spawnManaged(requireBinary('gst-launch-1.0'), [
    '-q', '-e',
    'filesrc', `location=${aacFile}`, '!', 'flvdemux', 'name=d',
    'flvmux', 'name=m', 'streamable=true', '!', ...sink,
    'd.video', '!', 'queue', '!', 'h264parse', '!', 'm.',
    'd.audio', '!', 'queue', '!', 'aacparse', '!', 'm.',
  ], { name: 'gst' });

const publishers: Publisher[] = [
  { name: 'ffmpeg-h264-aac', source: () => aacFile, audio: 'AAC', run: (u) => ffmpeg(() => aacFile, `${u.rtmp}/ffmpeg-h264-aac`) },
  { name: 'ffmpeg-h264-mp3', source: () => mp3File, audio: 'MP3', run: (u) => ffmpeg(() => mp3File, `${u.rtmp}/ffmpeg-h264-mp3`) },
  { name: 'ffmpeg-rtmps', source: () => aacFile, audio: 'AAC', run: (u) => ffmpeg(() => aacFile, `${u.rtmps}/ffmpeg-rtmps`) },
  { name: 'gst-rtmp2sink', source: () => aacFile, audio: 'AAC', run: (u) => gstreamer(['rtmp2sink', `location=${u.rtmp}/gst-rtmp2sink`]) },
  // librtmp takes its options inside the location, after the URL.
  { name: 'gst-rtmpsink', source: () => aacFile, audio: 'AAC', run: (u) => gstreamer(['rtmpsink', `location=${u.rtmp}/gst-rtmpsink live=1`]) },
];

beforeAll(async () => {
  const dir = await makeTempDir('edge-media-');
  [aacFile, mp3File] = await Promise.all([
    makeTestMedia({ file: join(dir, 'h264-aac.flv'), seconds: 10, audio: 'aac', bframes: true, size: '1280x720', fps: 30 }),
    makeTestMedia({ file: join(dir, 'h264-mp3.flv'), seconds: 10, audio: 'mp3', bframes: true, size: '640x360', fps: 25 }),
  ]);
  edge = await startEdge();
  const urls = { rtmp: `rtmp://127.0.0.1:${edge.rtmpPort}/live`, rtmps: `rtmps://127.0.0.1:${edge.rtmpsPort}/live` };
  // All publishers at once: each must be counted exactly, side by side.
  const running = publishers.map((p) => ({ p, proc: p.run(urls) }));
  await Promise.all(
    running.map(async ({ p, proc }) => {
      const exit = await proc.waitForExit(60_000);
      if (exit.code !== 0) throw new Error(`${p.name} exited with ${exit.code ?? exit.signal}: ${proc.output().slice(-2000)}`);
    }),
  );
});

afterAll(async () => {
  await edge?.stop();
});

describe.each(publishers)('$name', (publisher) => {
  test('the edge counted every video frame of the source, with the right codec, profile and resolution', async () => {
    const expectedFrames = await ffprobeCountVideoFrames(publisher.source());
    const [video] = (await ffprobeStreams(publisher.source())).filter((s) => s.codec_type === 'video');
    const stream = await eventually(async () => {
      const s = await edge.stream(publisher.name);
      return s?.endedAt ? s : undefined;
    }, 10_000, `${publisher.name} to end`);

    expect(expectedFrames).toBeGreaterThan(200);
    expect(stream.videoFrames).toBe(expectedFrames);
    expect(stream.video).toMatchObject({ name: 'H.264', profile: 'High', width: video.width, height: video.height });
    expect(stream.audio?.name).toBe(publisher.audio);
    expect(stream.publisher.protocol).toBe(publisher.name === 'ffmpeg-rtmps' ? 'rtmps' : 'rtmp');
    const [num, den] = String(video.avg_frame_rate).split('/').map(Number);
    expect(stream.fps).toBeCloseTo(num / den, 0);
    expect(stream.keyframes).toBeGreaterThanOrEqual(10);
    expect(stream.malformedTags).toBe(0);
  });
});

test('publishers left no connection behind and the edge logged no error', async () => {
  const status = await edge.status();
  expect(status.connections).toBe(0);
  expect(status.streams).toHaveLength(0);
  const errors = edge.logs().filter((l) => Number(l.level) >= 40);
  expect(errors).toEqual([]);
});
