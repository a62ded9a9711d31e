import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ffprobeCountVideoFrames, ffprobeStreams, makeTestMedia, testMediaArgs } from './media';
import { killAllManaged } from './process';
import { cleanupTempDirs, makeTempDir } from './tmp';

jest.setTimeout(60_000);

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('ingest-media-spec-');
});
afterAll(async () => {
  await killAllManaged('SIGKILL');
  await cleanupTempDirs();
});

describe('makeTestMedia', () => {
  it('writes a 2 s H.264 + AAC FLV that ffprobe reads back', async () => {
    const file = await makeTestMedia({ seconds: 2, video: 'h264', audio: 'aac', file: join(dir, 'h264-aac.flv') });
    const streams = await ffprobeStreams(file);
    const video = streams.find((s) => s.codec_type === 'video');
    const audio = streams.find((s) => s.codec_type === 'audio');
    expect(video).toMatchObject({ codec_name: 'h264', width: 640, height: 360, avg_frame_rate: '30/1' });
    expect(video?.has_b_frames).toBe(0); // zerolatency
    expect(audio).toMatchObject({ codec_name: 'aac', sample_rate: '44100', channels: 2 });
    expect(await ffprobeCountVideoFrames(file)).toBe(60);
  });

  it('reuses an existing non-empty file', async () => {
    const file = join(dir, 'h264-aac.flv');
    const before = await stat(file);
    await makeTestMedia({ seconds: 2, file });
    expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);
  });

  it('honours size, fps, B-frames, mp3 and no audio', async () => {
    const bframes = await makeTestMedia({ seconds: 1, bframes: true, size: '320x180', fps: 25, gop: 25, audio: 'mp3', file: join(dir, 'b.flv') });
    const streams = await ffprobeStreams(bframes);
    expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 320, height: 180, avg_frame_rate: '25/1' });
    expect(streams.find((s) => s.codec_type === 'video')?.has_b_frames).toBeGreaterThan(0);
    expect(streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe('mp3');
    expect(await ffprobeCountVideoFrames(bframes)).toBe(25);

    const silent = await makeTestMedia({ seconds: 1, audio: 'none', file: join(dir, 'video-only.flv') });
    expect((await ffprobeStreams(silent)).map((s) => s.codec_type)).toEqual(['video']);
  });

  it('never combines zerolatency with B-frames', () => {
    const withB = testMediaArgs({ seconds: 1, bframes: true, file: 'x' }, 'x');
    expect(withB).not.toContain('zerolatency');
    expect(withB.join(' ')).toContain('-bf 2');
    expect(testMediaArgs({ seconds: 1, file: 'x' }, 'x').join(' ')).toContain('-tune zerolatency');
  });

  it('reports ffprobe failures with its stderr', async () => {
    await expect(ffprobeStreams(join(dir, 'missing.flv'))).rejects.toThrow(/No such file or directory/);
  });
});
