/**
 * fMP4/CMAF and DASH output checked by real decoders: an FFmpeg-made FLV (H.264 with B-frames + AAC) is read
 * with FlvFileReader, packaged with fmp4InitSegment / fmp4MediaSegment / flvToSamples, and the result is decoded
 * by ffprobe and ffmpeg.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FlvFileReader, parseAudioTag, parseVideoTag } from '@ingest/flv';
import { cleanupTempDirs, makeTempDir, makeTestMedia, requireBinary, spawnManaged } from '@ingest/testing';
import {
  Fmp4AudioTrack,
  Fmp4FlvAudioFrame,
  Fmp4FlvVideoFrame,
  Fmp4Fragment,
  Fmp4VideoTrack,
  codecString,
  dashDateTime,
  dashManifest,
  flvToSamples,
  fmp4AudioTrack,
  fmp4InitSegment,
  fmp4MediaSegment,
  fmp4VideoTrack,
} from '../src';

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a binary to completion, keeping stdout and stderr apart. */
async function run(bin: 'ffmpeg' | 'ffprobe', args: string[], timeoutMs = 60_000): Promise<RunResult> {
  const proc = spawnManaged(requireBinary(bin), args, { name: bin });
  let stdout = '';
  let stderr = '';
  proc.child.stdout?.on('data', (c: string) => (stdout += c));
  proc.child.stderr?.on('data', (c: string) => (stderr += c));
  try {
    const { code } = await proc.waitForExit(timeoutMs);
    return { code, stdout, stderr };
  } finally {
    await proc.kill('SIGKILL');
  }
}

interface FlvContent {
  avcC: Uint8Array;
  asc: Uint8Array;
  video: Fmp4FlvVideoFrame[];
  audio: Fmp4FlvAudioFrame[];
}

function readFlv(file: Buffer): FlvContent {
  const reader = new FlvFileReader();
  const tags = reader.push(file);
  reader.end();
  const out: Partial<FlvContent> & Pick<FlvContent, 'video' | 'audio'> = { video: [], audio: [] };
  for (const tag of tags) {
    if (tag.type === 9) {
      const v = parseVideoTag(tag.body);
      const t = v.tracks[0];
      if (t.packetType === 'sequenceStart') out.avcC = t.payload;
      else if (t.packetType === 'codedFrames') out.video.push({ dts: tag.timestamp, cts: t.compositionTimeOffset, keyframe: v.isKeyframe, data: t.payload });
    } else if (tag.type === 8) {
      const a = parseAudioTag(tag.body);
      const t = a.tracks[0];
      if (t.packetType === 'sequenceStart') out.asc = t.payload;
      else if (t.packetType === 'codedFrames') out.audio.push({ dts: tag.timestamp, data: t.payload });
    }
  }
  if (!out.avcC || !out.asc) throw new Error('the FLV has no AVC or AAC sequence header');
  return out as FlvContent;
}

let dir: string;
let flvPath: string;
let flv: FlvContent;
let videoTrack: Fmp4VideoTrack;
let audioTrack: Fmp4AudioTrack;
/** Per segment (2 of them, split at the keyframe closest after 2 s): the video and audio fragments. */
let segments: Array<{ video: Fmp4Fragment; audio: Fmp4Fragment; durationMs: number }>;

beforeAll(async () => {
  dir = await makeTempDir('hls-fmp4-');
  flvPath = await makeTestMedia({ file: join(dir, 'source.flv'), seconds: 4, bframes: true, audio: 'aac', size: '640x360', fps: 30, gop: 30 });
  flv = readFlv(await readFile(flvPath));
  videoTrack = fmp4VideoTrack(1, 'avc1', flv.avcC);
  audioTrack = fmp4AudioTrack(2, flv.asc);

  const split = flv.video.findIndex((f, i) => i > 0 && f.keyframe && f.dts >= 2000);
  expect(split).toBeGreaterThan(0);
  const splitMs = flv.video[split].dts;
  const parts = [
    { video: flv.video.slice(0, split), audio: flv.audio.filter((a) => a.dts < splitMs), nextDts: splitMs as number | undefined },
    { video: flv.video.slice(split), audio: flv.audio.filter((a) => a.dts >= splitMs), nextDts: undefined },
  ];
  segments = parts.map((p) => ({
    video: { trackId: 1, ...flvToSamples({ kind: 'video', frames: p.video, nextDts: p.nextDts }) },
    audio: { trackId: 2, ...flvToSamples({ kind: 'audio', frames: p.audio, sampleRate: audioTrack.sampleRate }) },
    durationMs: (p.nextDts ?? p.video[p.video.length - 1].dts + 33) - p.video[0].dts,
  }));
}, 120_000);

afterAll(async () => {
  await cleanupTempDirs();
});

describe('fMP4 from an FLV with B-frames, decoded by FFmpeg', () => {
  let mp4: string;

  beforeAll(async () => {
    const init = fmp4InitSegment([videoTrack, audioTrack]);
    const media = segments.map((s, i) => fmp4MediaSegment(i + 1, [s.video, s.audio]));
    mp4 = join(dir, 'out.mp4');
    await writeFile(mp4, Buffer.concat([init, ...media]));
  });

  it('has B-frames in the source and the sequence headers the tracks were made from', () => {
    expect(flv.video.some((f) => f.cts > 0)).toBe(true);
    expect(flv.video.length).toBe(120);
    expect(videoTrack).toMatchObject({ width: 640, height: 360 });
    expect(audioTrack).toMatchObject({ sampleRate: 44100, channels: 2 });
    expect(codecString('avc1', flv.avcC)).toMatch(/^avc1\.64[0-9a-f]{4}$/);
  });

  it('probes as h264 + aac with the right size and every frame, without errors', async () => {
    const r = await run('ffprobe', ['-v', 'error', '-show_streams', '-count_frames', '-of', 'json', mp4]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const streams = (JSON.parse(r.stdout) as { streams: Array<Record<string, unknown>> }).streams;
    const v = streams.find((s) => s.codec_type === 'video');
    const a = streams.find((s) => s.codec_type === 'audio');
    expect(v).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
    expect(Number(v!.nb_read_frames)).toBe(flv.video.length);
    expect(a).toMatchObject({ codec_name: 'aac', sample_rate: '44100', channels: 2 });
    expect(Number(a!.nb_read_frames)).toBe(flv.audio.length);
  });

  it('decodes to the end without errors or timestamp warnings', async () => {
    const r = await run('ffmpeg', ['-nostdin', '-v', 'error', '-i', mp4, '-f', 'null', '-']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const w = await run('ffmpeg', ['-nostdin', '-v', 'warning', '-i', mp4, '-f', 'null', '-']);
    expect(w.code).toBe(0);
    expect(w.stderr).not.toMatch(/monoton|out of order|discontinuity|invalid dts|invalid pts/i);
  });

  it('presents the video frames at the FLV presentation times, in increasing order', async () => {
    const probe = async (file: string): Promise<number[]> => {
      const r = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'json', file]);
      expect(r.stderr).toBe('');
      const frames = (JSON.parse(r.stdout) as { frames: Array<{ pts_time: string }> }).frames;
      return frames.map((f) => Math.round(Number(f.pts_time) * 1000));
    };
    const fromMp4 = await probe(mp4);
    expect(fromMp4.length).toBe(flv.video.length);
    for (let i = 1; i < fromMp4.length; i++) expect(fromMp4[i]).toBeGreaterThan(fromMp4[i - 1]);
    const flvPts = flv.video.map((f) => f.dts + f.cts).sort((x, y) => x - y);
    expect(fromMp4).toEqual(flvPts);
  });

  it('decodes to the same pictures as the FLV', async () => {
    const hashes = async (file: string): Promise<string[]> => {
      const r = await run('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-map', '0:v:0', '-f', 'framemd5', '-']);
      expect(r.code).toBe(0);
      return r.stdout
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => l.split(',').pop()!.trim());
    };
    const [a, b] = await Promise.all([hashes(flvPath), hashes(mp4)]);
    expect(b.length).toBe(flv.video.length);
    expect(b).toEqual(a);
  });

  it('is byte-identical when packaged twice', () => {
    const again = fmp4MediaSegment(2, [segments[1].video, segments[1].audio]);
    expect(again.equals(fmp4MediaSegment(2, [segments[1].video, segments[1].audio]))).toBe(true);
    expect(fmp4InitSegment([fmp4VideoTrack(1, 'avc1', flv.avcC), fmp4AudioTrack(2, flv.asc)]).equals(fmp4InitSegment([videoTrack, audioTrack]))).toBe(true);
  });
});

describe('DASH manifest for the same segments, read by FFmpeg', () => {
  let dashDir: string;

  beforeAll(async () => {
    dashDir = await makeTempDir('hls-dash-');
    await writeFile(join(dashDir, 'init-video.mp4'), fmp4InitSegment([videoTrack]));
    await writeFile(join(dashDir, 'init-audio.mp4'), fmp4InitSegment([audioTrack]));
    for (const [i, s] of segments.entries()) {
      await writeFile(join(dashDir, `seg-video-${i + 1}.m4s`), fmp4MediaSegment(i + 1, [s.video]));
      await writeFile(join(dashDir, `seg-audio-${i + 1}.m4s`), fmp4MediaSegment(i + 1, [s.audio]));
    }
  });

  const common = {
    publishTime: dashDateTime(0),
    segmentDurationMs: 2000,
    video: { codecs: '', width: 640, height: 360, frameRate: 30, bandwidth: 1_000_000 },
    audio: { codecs: 'mp4a.40.2' as const, sampleRate: 44100, channels: 2, bandwidth: 128_000 },
    startNumber: 1,
    initTemplate: 'init-$RepresentationID$.mp4',
    mediaTemplate: 'seg-$RepresentationID$-$Number$.m4s',
  };

  async function probeMpd(name: string, mpd: string): Promise<RunResult> {
    const file = join(dashDir, name);
    await writeFile(file, mpd);
    return run('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file]);
  }

  function staticMpd(): string {
    return dashManifest({
      ...common,
      video: { ...common.video, codecs: codecString('avc1', flv.avcC) },
      type: 'static',
      mediaPresentationDurationMs: segments.length * common.segmentDurationMs,
    });
  }

  it('probes a static MPD with both representations', async () => {
    const r = await probeMpd('static.mpd', staticMpd());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const streams = (JSON.parse(r.stdout) as { streams: Array<Record<string, unknown>> }).streams;
    expect(streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(streams.find((s) => s.codec_name === 'h264')).toMatchObject({ width: 640, height: 360 });
  });

  it('decodes every video frame through the static MPD', async () => {
    const file = join(dashDir, 'static.mpd');
    await writeFile(file, staticMpd());
    const r = await run('ffprobe', ['-v', 'verbose', '-count_frames', '-show_entries', 'stream=codec_name,nb_read_frames', '-of', 'json', file]);
    expect(r.code).toBe(0);
    const streams = (JSON.parse(r.stdout) as { streams: Array<{ codec_name: string; nb_read_frames: string }> }).streams;
    expect(Number(streams.find((s) => s.codec_name === 'h264')!.nb_read_frames)).toBe(flv.video.length);
    // FFmpeg 5.1's DASH demuxer counts ceil(duration / segment duration) + 1 numbers as available (its last
    // number is inclusive), so it asks for segment 3 of 2, logs the failure and stops there; the stream that
    // hits it first ends the read, which can cost the other stream its last frame.
    const audioFrames = Number(streams.find((s) => s.codec_name === 'aac')!.nb_read_frames);
    expect(audioFrames).toBeGreaterThanOrEqual(flv.audio.length - 1);
    expect(audioFrames).toBeLessThanOrEqual(flv.audio.length);
    const requested = [...r.stderr.matchAll(/DASH request for url '[^']*seg-(?:video|audio)-(\d+)\.m4s'/g)].map((m) => Number(m[1]));
    expect(Math.max(...requested)).toBeLessThanOrEqual(segments.length + 1);
    const errors = r.stderr
      .split('\n')
      .filter((l) => /error|fail|invalid/i.test(l))
      .filter((l) => !/Failed to open fragment of playlist|Error when loading first fragment of playlist/.test(l));
    expect(errors).toEqual([]);
  });

  it('probes a dynamic MPD', async () => {
    // FFmpeg's DASH demuxer picks the live segment from the wall clock: startNumber + (now -
    // availabilityStartTime - suggestedPresentationDelay) / duration. For files written once, the test puts the
    // stream start 3 s in the past (the library itself takes the time from the caller, never a clock), so that
    // segment 1 is the one it plays first. Only probing is checked: FFmpeg 5.1 cannot read a dynamic MPD of
    // files to the end - past the newest segment it does not wait but asks for ever higher numbers in a busy
    // loop, and while the stream is younger than timeShiftBufferDepth its oldest-segment number underflows so
    // it keeps going back to the live-edge segment. The static variant above is decoded in full instead.
    const start = Math.floor(Date.now() / 1000) * 1000 - 3000;
    const mpd = dashManifest({
      ...common,
      video: { ...common.video, codecs: codecString('avc1', flv.avcC) },
      availabilityStartTime: dashDateTime(start),
      publishTime: dashDateTime(start + 3000),
      timeShiftBufferDepthMs: 30_000,
      suggestedPresentationDelayMs: 3000,
    });
    const r = await probeMpd('manifest.mpd', mpd);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const streams = (JSON.parse(r.stdout) as { streams: Array<Record<string, unknown>> }).streams;
    expect(streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  });
});
