/**
 * HLS from the origins (MPEG-TS and fMP4/CMAF), read by ffprobe/ffmpeg over HTTP, identical on two origins.
 */
import { join } from 'node:path';
import { eventually, makeTempDir, makeTestMedia, requireBinary, spawnManaged, startCluster, type Cluster, type ManagedProcess } from '@ingest/testing';

jest.setTimeout(120_000);

let cluster: Cluster;
let publisher: ManagedProcess;

async function decode(url: string, frames: number): Promise<{ code: number | null; errors: string }> {
  const ffmpeg = spawnManaged(requireBinary('ffmpeg'), ['-nostdin', '-v', 'error', '-i', url, '-frames:v', String(frames), '-f', 'null', '-'], { name: 'ffmpeg-hls' });
  const exit = await ffmpeg.waitForExit(60_000);
  return { code: exit.code, errors: ffmpeg.output().trim() };
}

beforeAll(async () => {
  const media = await makeTestMedia({ file: join(await makeTempDir('hls-'), 'h.flv'), seconds: 10, audio: 'aac', bframes: true, size: '640x360', fps: 30, gop: 30 });
  cluster = await startCluster({ edges: 1, origins: 2, originEnv: { ORIGIN_HLS_TARGET_MS: '1000', ORIGIN_HLS_WINDOW: '6' } });
  publisher = spawnManaged(
    requireBinary('ffmpeg'),
    ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', media, '-c', 'copy', '-t', '100', '-f', 'flv', `rtmp://127.0.0.1:${cluster.edges[0].rtmpPort}/live/hls`],
    { name: 'publisher' },
  );
  await eventually(async () => ((await cluster.edges[0].stream('hls'))?.videoFrames ?? 0) > 30, 15_000, 'the stream');
});

afterAll(async () => {
  await publisher?.kill('SIGKILL');
  await cluster?.stop();
});

const base = (i: number) => `http://127.0.0.1:${cluster.origins[i].httpPort}/live/hls`;

test.each([
  ['MPEG-TS', 'index.m3u8', /seg-\d+\.ts/],
  ['fMP4/CMAF', 'fmp4.m3u8', /seg-\d+\.m4s/],
])('HLS %s: a live playlist that ffmpeg decodes without a single error', async (_name, file, segment) => {
  const res = await fetch(`${base(0)}/${file}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  const text = await res.text();
  expect(text).toMatch(/^#EXTM3U/);
  expect(text).toMatch(segment);
  const { code, errors } = await decode(`${base(0)}/${file}`, 60);
  expect(errors).toBe('');
  expect(code).toBe(0);
});

test('two origins return byte-identical playlists and segments for the same live stream', async () => {
  // Both origins package the stream once asked; let both produce a few segments.
  await Promise.all([fetch(`${base(0)}/index.m3u8`), fetch(`${base(1)}/index.m3u8`)]);
  const common = await eventually(async () => {
    const [a, b] = await Promise.all([0, 1].map(async (i) => (await (await fetch(`${base(i)}/index.m3u8`)).text()).match(/seg-\d+\.ts/g) ?? ([] as string[])));
    const shared = a.filter((s) => b.includes(s));
    return shared.length >= 3 ? shared : undefined;
  }, 20_000, 'three segments on both origins');
  for (const seg of common.slice(0, 3)) {
    for (const ext of ['ts', 'm4s']) {
      const name = seg.replace(/\.ts$/, `.${ext}`);
      const [x, y] = await Promise.all([0, 1].map(async (i) => Buffer.from(await (await fetch(`${base(i)}/${name}`)).arrayBuffer())));
      expect(x.length).toBeGreaterThan(1000);
      expect(x.equals(y)).toBe(true);
    }
  }
  const [initA, initB] = await Promise.all([0, 1].map(async (i) => Buffer.from(await (await fetch(`${base(i)}/init.mp4`)).arrayBuffer())));
  expect(initA.equals(initB)).toBe(true);
});

test.each([
  ['/live/nobody/index.m3u8', 404],
  ['/live/hls/seg-999999999.ts', 404],
  ['/live/hls/seg-0.ts', 404],
  ['/live/hls/seg-abc.ts', 404],
  ['/live/hls/seg-1234567890123.ts', 404],
  ['/live/..%2F..%2Fetc/index.m3u8', 400],
  ['/live/hls/..%2Findex.m3u8', 404],
])('bad HLS request %s -> %i', async (path, status) => {
  const res = await fetch(`http://127.0.0.1:${cluster.origins[0].httpPort}${path}`);
  expect(res.status).toBe(status);
  expect(await res.json()).toMatchObject({ statusCode: status });
});

test('LL-HLS: parts, preload hint, blocking playlist reload, and bad query values', async () => {
  const first = await (await fetch(`${base(0)}/ll.m3u8`)).text();
  expect(first).toMatch(/#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=/);
  expect(first).toMatch(/#EXT-X-PART-INF:PART-TARGET=/);
  expect(first).toMatch(/#EXT-X-PART:DURATION=[\d.]+,URI="part-\d+\.\d+\.m4s"/);
  const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="(part-(\d+)\.(\d+)\.m4s)"/.exec(first);
  expect(hint).not.toBeNull();

  // The hinted part does not exist yet: the origin holds the request until it does.
  const hinted = await fetch(`${base(0)}/${hint![1]}`);
  expect(hinted.status).toBe(200);
  expect((await hinted.arrayBuffer()).byteLength).toBeGreaterThan(100);

  // Blocking reload for the next segment answers once it exists, with that segment listed.
  const last = Math.max(...[...first.matchAll(/seg-(\d+)\.m4s/g)].map((m) => Number(m[1])));
  const started = Date.now();
  const blocked = await fetch(`${base(0)}/ll.m3u8?_HLS_msn=${last + 1}`);
  expect(blocked.status).toBe(200);
  expect(await blocked.text()).toContain(`seg-${last + 1}.m4s`);
  expect(Date.now() - started).toBeLessThan(3000);

  for (const query of ['_HLS_part=1', '_HLS_msn=-1', '_HLS_msn=abc', `_HLS_msn=${last + 100}`, '_HLS_msn=99999999999999999999']) {
    const res = await fetch(`${base(0)}/ll.m3u8?${query}`);
    expect([query, res.status]).toEqual([query, 400]);
  }
  const { code, errors } = await decode(`${base(0)}/ll.m3u8`, 30);
  expect(errors).toBe('');
  expect(code).toBe(0);
});

test('DASH: a dynamic MPD over the CMAF segments, identical on both origins, readable by ffprobe', async () => {
  const [a, b] = await Promise.all([0, 1].map(async (i) => fetch(`${base(i)}/manifest.mpd`)));
  expect(a.status).toBe(200);
  expect(a.headers.get('content-type')).toBe('application/dash+xml');
  const mpd = await a.text();
  expect(mpd).toContain('type="dynamic"');
  expect(mpd).toMatch(/codecs="avc1\.64[0-9a-f]{4}"/);
  expect(mpd).toContain('codecs="mp4a.40.2"');
  expect(mpd).toContain('media="seg-$RepresentationID$-$Number$.m4s"');
  expect((await b.text()).replace(/publishTime="[^"]+"/, '')).toBe(mpd.replace(/publishTime="[^"]+"/, ''));
  const latest = Math.max(...[...(await (await fetch(`${base(0)}/fmp4.m3u8`)).text()).matchAll(/seg-(\d+)\.m4s/g)].map((m) => Number(m[1])));
  for (const track of ['video', 'audio']) {
    const [init, seg] = await Promise.all([fetch(`${base(0)}/init-${track}.mp4`), fetch(`${base(0)}/seg-${track}-${latest}.m4s`)]);
    expect([track, init.status, seg.status]).toEqual([track, 200, 200]);
  }
  const probe = spawnManaged(requireBinary('ffprobe'), ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', `${base(0)}/manifest.mpd`], { name: 'ffprobe-dash' });
  await probe.waitForExit(30_000);
  const out = probe.output().trim().split('\n');
  expect(out).toEqual(expect.arrayContaining(['h264,640,360', 'aac']));
});
