import { execFile } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { requireBinary } from './binaries';
import { spawnManaged } from './process';

export interface TestMediaOptions {
  /** Duration in seconds. */
  seconds: number;
  /** Only H.264 (libx264) for now. */
  video?: 'h264';
  /** Default 'aac'. */
  audio?: 'aac' | 'mp3' | 'none';
  /** Default false: `-tune zerolatency` (no B-frames). true: `-bf 2` without zerolatency, so the file has B-frames. */
  bframes?: boolean;
  /** WIDTHxHEIGHT, default '640x360'. */
  size?: string;
  /** Default 30. */
  fps?: number;
  /** Keyframe interval in frames; default `fps` (one keyframe a second). */
  gop?: number;
  /** Output FLV path. Cached by path: an existing non-empty file is reused as is, whatever the other options. */
  file: string;
}

async function nonEmptyFile(path: string): Promise<boolean> {
  try {
    const s = await stat(path);
    return s.isFile() && s.size > 0;
  } catch {
    return false;
  }
}

/** The ffmpeg arguments makeTestMedia uses (exported for logging and tests). */
export function testMediaArgs(options: TestMediaOptions, output: string): string[] {
  const fps = options.fps ?? 30;
  const gop = options.gop ?? fps;
  const size = options.size ?? '640x360';
  const audio = options.audio ?? 'aac';
  if (!(options.seconds > 0)) throw new Error(`makeTestMedia: seconds must be > 0 (got ${options.seconds})`);
  if (!/^\d+x\d+$/.test(size)) throw new Error(`makeTestMedia: size must be WIDTHxHEIGHT (got ${size})`);
  if ((options.video ?? 'h264') !== 'h264') throw new Error(`makeTestMedia: unsupported video ${String(options.video)}`);

  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'];
  args.push('-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${fps}:duration=${options.seconds}`);
  if (audio !== 'none') {
    args.push('-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=4:sample_rate=44100:duration=${options.seconds}`);
  }
  args.push('-map', '0:v:0');
  if (audio !== 'none') args.push('-map', '1:a:0');

  args.push('-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-preset', 'veryfast');
  if (options.bframes) args.push('-bf', '2');
  else args.push('-tune', 'zerolatency');
  args.push('-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0');

  if (audio === 'aac') args.push('-c:a', 'aac', '-b:a', '128k', '-ar', '44100', '-ac', '2');
  if (audio === 'mp3') args.push('-c:a', 'libmp3lame', '-b:a', '128k', '-ar', '44100', '-ac', '2');

  args.push('-t', String(options.seconds), '-f', 'flv', output);
  return args;
}

/**
 * Writes a synthetic FLV (lavfi testsrc2 video + sine audio) with ffmpeg and returns its path. Written to a
 * temporary name and renamed, so a cached file is never half-written even with parallel jest workers.
 */
export async function makeTestMedia(options: TestMediaOptions): Promise<string> {
  const file = options.file;
  if (await nonEmptyFile(file)) return file;
  const ffmpeg = requireBinary('ffmpeg');
  await mkdir(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.${Date.now()}.partial`;
  const proc = spawnManaged(ffmpeg, testMediaArgs(options, partial), { name: 'ffmpeg(makeTestMedia)' });
  try {
    const timeoutMs = Math.max(60_000, options.seconds * 10_000);
    const { code, signal } = await proc.waitForExit(timeoutMs).catch(async (err: unknown) => {
      await proc.kill('SIGKILL');
      throw err;
    });
    if (code !== 0 || !(await nonEmptyFile(partial))) {
      throw new Error(
        `makeTestMedia: ffmpeg failed (code ${String(code)}, signal ${String(signal)}) writing ${file}:\n${proc.output().slice(-2048)}`,
      );
    }
    await rename(partial, file);
    return file;
  } finally {
    await rm(partial, { force: true });
  }
}

/** One entry of `ffprobe -show_streams -of json`; ffprobe prints numbers-as-strings for some fields. */
export interface FfprobeStream {
  index: number;
  codec_type: 'video' | 'audio' | 'data' | 'subtitle' | 'attachment' | string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  has_b_frames?: number;
  sample_rate?: string;
  channels?: number;
  avg_frame_rate: string;
  r_frame_rate: string;
  duration?: string;
  nb_frames?: string;
  /** Only with -count_frames. */
  nb_read_frames?: string;
  /** Only with -count_packets. */
  nb_read_packets?: string;
  [field: string]: unknown;
}

export interface FfprobeOptions {
  /** Default 60 s; ffprobe is killed (SIGKILL) when it runs longer, e.g. on a live URL. */
  timeoutMs?: number;
}

async function ffprobeJson(args: string[], input: string, timeoutMs: number): Promise<{ streams?: FfprobeStream[] }> {
  const ffprobe = requireBinary('ffprobe');
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      ffprobe,
      [...args, '-of', 'json', input],
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
      (err, out, errOut) => {
        if (err) reject(new Error(`ffprobe ${input} failed: ${err.message}\n${errOut.slice(-2048)}`));
        else resolve(out);
      },
    );
  });
  return JSON.parse(stdout) as { streams?: FfprobeStream[] };
}

/** The streams of a file or URL: `ffprobe -v error -show_streams -of json`. */
export async function ffprobeStreams(input: string, options: FfprobeOptions = {}): Promise<FfprobeStream[]> {
  const result = await ffprobeJson(['-v', 'error', '-show_streams'], input, options.timeoutMs ?? 60_000);
  return result.streams ?? [];
}

/**
 * Video packets in the first video stream (`-count_packets`, i.e. FLV video tags, which is what the edge counts
 * as video frames; counting decoded frames would differ when the decoder drops or delays some).
 */
export async function ffprobeCountVideoFrames(input: string, options: FfprobeOptions = {}): Promise<number> {
  const result = await ffprobeJson(
    ['-v', 'error', '-count_packets', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_packets'],
    input,
    options.timeoutMs ?? 60_000,
  );
  const packets = result.streams?.[0]?.nb_read_packets;
  if (packets === undefined) throw new Error(`ffprobeCountVideoFrames: ${input} has no video stream`);
  return Number(packets);
}
