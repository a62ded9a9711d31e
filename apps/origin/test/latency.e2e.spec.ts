/**
 * Glass-to-glass latency of LL-HLS (and, for comparison, HLS fMP4) in a real browser: FFmpeg paints the wall clock
 * into every frame as a 32-block barcode (bit k of (clock ms mod 2^32), white = 1), the page draws the frame the
 * player shows onto a canvas, and the test decodes it: latency = page clock - painted clock, same machine.
 * The painted clock is "the clock read before FFmpeg starts + frame time", so each frame is painted earlier than it
 * was made by FFmpeg's start-up time (0.3-1.5 s here, more on a busy host). The test measures that offset at the
 * edge (wall clock when the edge holds frame N, minus frame N's painted clock; the smallest of several readings, so
 * it also holds the encoder's and the edge's few ms) and takes it off every latency.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import {
  eventually,
  launchChromium,
  readVideoRows,
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

const BLOCK = 40;
const BITS = 32;
let cluster: Cluster;
let publisher: ManagedProcess;
/** How much earlier than it was made a frame's painted clock is (FFmpeg's start-up), ms. */
let startOffsetMs = 0;
let browser: Browser;
let player: PlayerPageServer;

/** Decodes the barcode row: 32 blocks of 40 px, most significant bit first. */
function decodeClock(luma: number[]): number | undefined {
  let value = 0;
  for (let k = 0; k < BITS; k++) {
    const centre = luma[k * BLOCK + BLOCK / 2];
    if (centre > 96 && centre < 160) return undefined; // not clearly black or white: a blurred or partial frame
    value = value * 2 + (centre >= 128 ? 1 : 0);
  }
  return value;
}

async function measure(url: string, lowLatency: boolean, samples: number): Promise<number[]> {
  const page = await browser.newPage();
  try {
    await page.goto(player.playerUrl(url, { lowLatency }));
    await eventually(async () => {
      const s = (await page.evaluate('window.playerState')) as PlayerState;
      if (s.fatal) throw new Error(`hls.js fatal error: ${s.fatal}`);
      return s.currentTime > 3;
    }, 30_000, 'playback');
    await new Promise((r) => setTimeout(r, 3000)); // settle at the live edge
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const { rows, now } = await readVideoRows(page, [BLOCK / 2]);
      const painted = rows[0] ? decodeClock(rows[0]) : undefined;
      if (painted !== undefined) {
        const latency = (now % 2 ** 32) - painted - startOffsetMs;
        const wrapped = latency < 0 ? latency + 2 ** 32 : latency;
        if (wrapped < 60_000) latencies.push(wrapped);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    return latencies.sort((a, b) => a - b);
  } finally {
    await page.close();
  }
}

const summary = (l: number[]) => ({ samples: l.length, min: l[0], median: l[Math.floor(l.length / 2)], max: l[l.length - 1] });

beforeAll(async () => {
  cluster = await startCluster({ edges: 1, origins: 1, originEnv: { ORIGIN_HLS_TARGET_MS: '1000', ORIGIN_HLS_WINDOW: '6' } });
  const start = Date.now();
  const clock = `geq=lum='255*mod(trunc(mod(${start}+T*1000\\,4294967296)/pow(2\\,31-trunc(X/${BLOCK})))\\,2)'`;
  publisher = spawnManaged(
    requireBinary('ffmpeg'),
    [
      '-hide_banner', '-loglevel', 'error', '-re',
      '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30',
      '-f', 'lavfi', '-i', `color=black:s=${BLOCK * BITS}x${BLOCK}:r=30,format=gray,${clock}`,
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-filter_complex', '[1:v]format=yuv420p[bar];[0:v][bar]overlay=0:0:shortest=1[v]',
      '-map', '[v]', '-map', '2:a', '-t', '80',
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', '30', '-c:a', 'aac', '-b:a', '96k',
      '-f', 'flv', `rtmp://127.0.0.1:${cluster.edges[0].rtmpPort}/live/clock`,
    ],
    { name: 'clock-publisher' },
  );
  [browser, player] = await Promise.all([
    launchChromium(),
    servePlayerPage(),
    eventually(async () => ((await cluster.edges[0].stream('clock'))?.videoFrames ?? 0) > 30, 20_000, 'the clock stream'),
  ]);
  const offsets: number[] = [];
  for (let i = 0; i < 10; i++) {
    const frames = (await cluster.edges[0].stream('clock'))?.videoFrames ?? 0;
    const at = Date.now();
    // Frame k (from 1) is painted with start + (k - 1) / 30 s.
    if (frames > 0) offsets.push(at - (start + ((frames - 1) * 1000) / 30));
    await new Promise((r) => setTimeout(r, 100));
  }
  startOffsetMs = Math.max(0, Math.min(...offsets));
});

afterAll(async () => {
  await browser?.close();
  await player?.close();
  await publisher?.kill('SIGKILL');
  await cluster?.stop();
});

test('LL-HLS glass-to-glass latency is under 3 s (and plain HLS fMP4 is reported beside it)', async () => {
  const base = `http://127.0.0.1:${cluster.origins[0].httpPort}/live/clock`;
  const ll = await measure(`${base}/ll.m3u8`, true, 20);
  const hls = await measure(`${base}/fmp4.m3u8`, false, 12);
  const result = { date: new Date().toISOString(), ffmpegStartOffsetMs: Math.round(startOffsetMs), llHls: summary(ll), hlsFmp4: summary(hls) };
  console.log(`glass-to-glass latency (ms): ${JSON.stringify(result)}`);
  await mkdir(join(tmpdir(), 'ingest-browser-e2e'), { recursive: true });
  await writeFile(join(tmpdir(), 'ingest-browser-e2e', 'latency.json'), `${JSON.stringify(result)}\n`);
  expect(ll.length).toBeGreaterThanOrEqual(10);
  expect(hls.length).toBeGreaterThanOrEqual(5);
  expect(summary(ll).median).toBeLessThan(3000);
});
