/**
 * HLS from an origin played by a real browser: Debian's Chromium (playwright-core) running hls.js, for
 * MPEG-TS (index.m3u8), fMP4/CMAF (fmp4.m3u8) and LL-HLS (ll.m3u8, hls.js lowLatencyMode). Each variant must
 * play 10 s of media in ~12 s of wall clock without a fatal hls.js error, and show a picture that is not blank.
 * Screenshots are kept for humans under $TMPDIR/ingest-browser-e2e/<variant>.png (their paths are printed).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  cleanupTempDirs,
  eventually,
  launchChromium,
  makeTempDir,
  makeTestMedia,
  requireBinary,
  servePlayerPage,
  spawnManaged,
  startCluster,
  type Cluster,
  type ManagedProcess,
  type PlayerPageServer,
  type PlayerState,
} from '@ingest/testing';

jest.setTimeout(90_000);

/** Wall clock over which playback is measured, and the media time it must advance by in it. */
const WATCH_MS = 12_000;
const MIN_ADVANCE_S = 10;
const ARTIFACTS = join(tmpdir(), 'ingest-browser-e2e');

let cluster: Cluster;
let publisher: ManagedProcess | undefined;
let browser: Browser | undefined;
let player: PlayerPageServer | undefined;

beforeAll(async () => {
  const [media, started] = await Promise.all([
    makeTestMedia({ file: join(await makeTempDir('browser-'), 'b.flv'), seconds: 10, audio: 'aac', bframes: true, size: '1280x720', fps: 30, gop: 30 }),
    startCluster({ edges: 1, origins: 1, originEnv: { ORIGIN_HLS_TARGET_MS: '1000', ORIGIN_HLS_WINDOW: '6' } }),
  ]);
  cluster = started;
  publisher = spawnManaged(
    requireBinary('ffmpeg'),
    ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', media, '-c', 'copy', '-t', '120', '-f', 'flv', `rtmp://127.0.0.1:${cluster.edges[0].rtmpPort}/live/browser`],
    { name: 'publisher' },
  );
  [browser, player] = await Promise.all([
    launchChromium(),
    servePlayerPage(),
    eventually(async () => ((await cluster.edges[0].stream('browser'))?.videoFrames ?? 0) > 30, 15_000, 'the stream on the edge'),
    mkdir(ARTIFACTS, { recursive: true }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await player?.close();
  await publisher?.kill('SIGKILL');
  await cluster?.stop();
  await cleanupTempDirs();
});

const playlist = (file: string) => `http://127.0.0.1:${cluster.origins[0].httpPort}/live/browser/${file}`;
const state = async (page: Page) => (await page.evaluate('window.playerState')) as PlayerState;

/** Pixels of the current video frame, scaled to 64x36 on a canvas: how many distinct (4-bit per channel) colours. */
const FRAME_COLOURS = `(() => {
  const video = document.getElementById('video');
  const canvas = document.createElement('canvas');
  canvas.width = 64;
  canvas.height = 36;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const colours = new Set();
  for (let i = 0; i < data.length; i += 4) colours.add(((data[i] >> 4) << 8) | ((data[i + 1] >> 4) << 4) | (data[i + 2] >> 4));
  return colours.size;
})()`;

describe.each([
  { variant: 'hls-ts', file: 'index.m3u8', lowLatency: false },
  { variant: 'hls-fmp4', file: 'fmp4.m3u8', lowLatency: false },
  { variant: 'll-hls', file: 'll.m3u8', lowLatency: true },
])('Chromium + hls.js: $variant ($file)', ({ variant, file, lowLatency }) => {
  test(`plays ${MIN_ADVANCE_S} s of media in ${WATCH_MS / 1000} s without a fatal error, and shows the picture`, async () => {
    // The origin must serve the playlist (for LL-HLS, a lasting 404 means the route is missing: that fails, not skips).
    let status = 0;
    await eventually(async () => {
      const r = await fetch(playlist(file));
      await r.arrayBuffer();
      status = r.status;
      return status !== 404;
    }, 5_000, `${file} on the origin`).catch(() => undefined);
    expect({ file, status }).toEqual({ file, status: 200 });

    const context = await browser!.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      await page.goto(player!.playerUrl(playlist(file), { lowLatency }));
      await page.waitForFunction('window.playerState && (window.playerState.fatal !== null || (window.playerState.playing && window.playerState.currentTime > 0.2))', undefined, { timeout: 20_000 });
      const start = await state(page);
      expect(start.fatal).toBeNull();

      const startedAt = Date.now();
      let now = start;
      while (Date.now() - startedAt < WATCH_MS && now.fatal === null) {
        await new Promise((r) => setTimeout(r, 500));
        now = await state(page);
      }
      const elapsed = (Date.now() - startedAt) / 1000;
      const advanced = now.currentTime - start.currentTime;
      console.log(
        `${variant}: hls.js ${now.hlsVersion}, currentTime ${start.currentTime.toFixed(2)} -> ${now.currentTime.toFixed(2)} (+${advanced.toFixed(2)} s in ${elapsed.toFixed(1)} s), ` +
          `frames ${start.frames} -> ${now.frames} (dropped ${now.droppedFrames}), ${now.videoWidth}x${now.videoHeight}, latency ${now.latency.toFixed(2)} s, ` +
          `lowLatencyMode ${String(now.lowLatencyMode)}, part target ${now.partTarget} s, ${now.parts} parts, can block reload ${String(now.canBlockReload)}, ` +
          `errors: ${JSON.stringify(now.errors)}`,
      );
      expect(now.fatal).toBeNull();
      expect(pageErrors).toEqual([]);
      expect(advanced).toBeGreaterThanOrEqual(MIN_ADVANCE_S);
      expect(now.frames - start.frames).toBeGreaterThanOrEqual(MIN_ADVANCE_S * 25);
      expect({ width: now.videoWidth, height: now.videoHeight }).toEqual({ width: 1280, height: 720 });
      // LL-HLS must really be low-latency HLS to hls.js: parts in the playlist and blocking reloads, in lowLatencyMode.
      if (lowLatency) expect({ lowLatencyMode: now.lowLatencyMode, parts: now.parts > 0, partTarget: now.partTarget > 0, canBlockReload: now.canBlockReload }).toEqual({ lowLatencyMode: true, parts: true, partTarget: true, canBlockReload: true });

      // Not a blank picture: testsrc2 has many colours, a black or grey frame has one or two.
      const colours = (await page.evaluate(FRAME_COLOURS)) as number;
      expect(colours).toBeGreaterThanOrEqual(16);
      const png = await page.locator('video').screenshot({ type: 'png' });
      const path = join(ARTIFACTS, `${variant}.png`);
      await writeFile(path, png);
      console.log(`${variant}: screenshot ${path} (${png.length} bytes, ${colours} colours in the frame)`);
      expect(png.length).toBeGreaterThan(10 * 1024);
    } finally {
      await context.close();
    }
  });
});
