/**
 * The MPEG-TS muxer and the segmenter against real decoders: an H.264 (with B-frames) + AAC FLV made by FFmpeg is
 * read with FlvFileReader, muxed to one .ts file and to an HLS playlist of segments, and FFmpeg / ffprobe must read
 * both without a single error, with every video frame of the FLV.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FlvFileReader, FlvTagType, parseAudioTag, parseVideoTag } from '@ingest/flv';
import { cleanupTempDirs, killAllManaged, makeTempDir, makeTestMedia, requireBinary, spawnManaged, type FfprobeStream } from '@ingest/testing';
import { HlsSegmenter, mediaPlaylistTs, TsMuxer, type SegmentInfo, type TsMuxerFrame } from '../src';

jest.setTimeout(120_000);

let dir: string;
let avcC: Uint8Array;
let asc: Uint8Array;
let frames: TsMuxerFrame[];
let videoFrames: number;

beforeAll(async () => {
  dir = await makeTempDir('hls-ts-');
  const flv = await makeTestMedia({ file: join(dir, 'src.flv'), seconds: 5, audio: 'aac', bframes: true, size: '640x360', fps: 30, gop: 45 });
  const reader = new FlvFileReader();
  const tags = reader.push(await readFile(flv));
  reader.end();
  frames = [];
  for (const tag of tags) {
    if (tag.type === FlvTagType.VIDEO) {
      const v = parseVideoTag(tag.body);
      const track = v.tracks[0];
      if (track.packetType === 'sequenceStart') avcC = track.payload;
      else if (track.packetType === 'codedFrames' && track.payload.length > 0) {
        frames.push({ kind: 'video', dts: tag.timestamp, cts: track.compositionTimeOffset, keyframe: v.isKeyframe, data: track.payload });
      }
    } else if (tag.type === FlvTagType.AUDIO) {
      const track = parseAudioTag(tag.body).tracks[0];
      if (track?.packetType === 'sequenceStart') asc = track.payload;
      else if (track?.packetType === 'codedFrames') frames.push({ kind: 'audio', dts: tag.timestamp, data: track.payload });
    }
  }
  videoFrames = frames.filter((f) => f.kind === 'video').length;
  expect(videoFrames).toBe(150);
  expect(frames.some((f) => f.kind === 'video' && f.cts > 0)).toBe(true); // B-frames: PTS != DTS
});

afterAll(async () => {
  await killAllManaged('SIGKILL');
  await cleanupTempDirs();
});

async function run(binary: 'ffmpeg' | 'ffprobe', args: string[]): Promise<{ code: number | null; output: string }> {
  const proc = spawnManaged(requireBinary(binary), args, { name: binary });
  const exit = await proc.waitForExit(60_000);
  return { code: exit.code, output: proc.output() };
}

/** `ffprobe -v error -count_frames -show_streams` of a file or playlist. */
async function probe(input: string): Promise<FfprobeStream[]> {
  const { code, output } = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-of', 'json', input]);
  expect(code).toBe(0);
  return (JSON.parse(output) as { streams: FfprobeStream[] }).streams;
}

/** Decodes everything with `ffmpeg -v <level> ... -f null -`; returns what it printed. */
async function decodeErrors(input: string, level = 'error'): Promise<string> {
  const { code, output } = await run('ffmpeg', ['-nostdin', '-v', level, '-i', input, '-f', 'null', '-']);
  expect(code).toBe(0);
  return output.trim();
}

function expectStreams(streams: FfprobeStream[]): void {
  const video = streams.find((s) => s.codec_type === 'video');
  const audio = streams.find((s) => s.codec_type === 'audio');
  expect(video).toMatchObject({ codec_name: 'h264', width: 640, height: 360, nb_read_frames: String(videoFrames) });
  expect(audio).toMatchObject({ codec_name: 'aac', sample_rate: '44100', channels: 2 });
}

test('one .ts of the whole FLV decodes without errors, with every video frame', async () => {
  const mux = () => {
    const m = new TsMuxer({ video: { codec: 'avc', config: avcC }, audio: { codec: 'aac', config: asc } });
    return m.writeSegment(frames);
  };
  const ts = mux();
  expect(Buffer.compare(ts, mux())).toBe(0); // deterministic
  const file = join(dir, 'seg.ts');
  await writeFile(file, ts);
  expectStreams(await probe(file));
  expect(await decodeErrors(file)).toBe('');
});

test('an HLS playlist of segmenter-cut segments plays through FFmpeg without errors, with every video frame', async () => {
  const segmenter = new HlsSegmenter<TsMuxerFrame>({ targetDurationMs: 2000, partTargetMs: 333 });
  const muxer = new TsMuxer({ video: { codec: 'avc', config: avcC }, audio: { codec: 'aac', config: asc }, continuity: 'per-segment' });
  const segments: SegmentInfo[] = [];
  for (const event of [...frames.flatMap((f) => segmenter.push(f)), ...segmenter.flush()]) {
    if (event.type !== 'segment') continue;
    expect(event.frames[0]).toMatchObject({ kind: 'video', keyframe: true });
    await writeFile(join(dir, `seg-${event.number}.ts`), muxer.writeSegment(event.frames, event.number));
    segments.push(event);
  }
  // Key frames every 1.5 s in slots of 2 s: slot 0 holds 0 and 1500, slot 1 starts at 3000, slot 2 at 4500; the last
  // segment ends one frame after the last frame (4967 ms).
  expect(segments.map((s) => [s.number, s.startDts, s.durationMs])).toEqual([
    [0, 0, 3000],
    [1, 3000, 1500],
    [2, 4500, 500],
  ]);
  const playlist = join(dir, 'index.m3u8');
  await writeFile(playlist, mediaPlaylistTs(segments, { targetDuration: 3, endList: true }));
  expectStreams(await probe(playlist));
  expect(await decodeErrors(playlist)).toBe('');
  // Self-contained segments whose continuity counters still join up: no "Packet corrupt" from FFmpeg's demuxer.
  expect(await decodeErrors(playlist, 'warning')).toBe('');
});
