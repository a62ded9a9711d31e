/**
 * Browser end-to-end helpers: Debian's Chromium (the `chromium` package, see scripts/setup.sh) driven by
 * playwright-core, and a tiny static server for an hls.js player page. `npx playwright install` cannot work on
 * these machines, so the browser is always the system one.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { requireBinary } from './binaries';

/** The Chromium flags known to work here (docs: shared stack notes, "Browser"). playwright adds `--headless`. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

/**
 * Launches the system Chromium headless. playwright gives it a fresh temporary profile and removes it on
 * `browser.close()`; call that in afterAll (the browser is a child process of the test).
 */
export async function launchChromium(): Promise<Browser> {
  // Loaded here, not at the top: every test file imports this library, few of them need a browser.
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: requireBinary('chromium'), args: [...CHROMIUM_ARGS], headless: true, timeout: 30_000 });
}

/** What the player page keeps in `window.playerState` (read it with `page.evaluate('window.playerState')`). */
export interface PlayerState {
  /** `type/details: message` of the first fatal hls.js error (or a media element error), else null. */
  fatal: string | null;
  /** Every hls.js error (fatal or not) and failed play() call, in order. */
  errors: string[];
  currentTime: number;
  readyState: number;
  /** True once the video element fired 'playing'. */
  playing: boolean;
  /** getVideoPlaybackQuality().totalVideoFrames / droppedVideoFrames. */
  frames: number;
  droppedFrames: number;
  videoWidth: number;
  videoHeight: number;
  /** hls.js version the page runs. */
  hlsVersion: string;
  /** hls.lowLatencyMode, and hls.latency (s behind the live edge; 0 before playing). */
  lowLatencyMode: boolean;
  latency: number;
  /** From the last LEVEL_UPDATED: EXT-X-PART-INF PART-TARGET (0 without parts), parts in the playlist, CAN-BLOCK-RELOAD. */
  partTarget: number;
  parts: number;
  canBlockReload: boolean;
}

/**
 * The player: a muted autoplaying <video> fed by hls.js. Query: `src` (playlist URL) and `lowLatency=1` for
 * `new Hls({ lowLatencyMode: true })`. Plain ES5-ish script so nothing needs compiling.
 */
export const PLAYER_HTML = `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>ingest player</title>
<style>html,body{margin:0;background:#000}video{display:block;width:1280px;height:720px;background:#000}</style>
</head>
<body>
<video id="video" muted autoplay playsinline></video>
<script src="/hls.min.js"></script>
<script>
(function () {
  var params = new URLSearchParams(location.search);
  var src = params.get('src');
  var lowLatency = params.get('lowLatency') === '1' || params.get('lowLatency') === 'true';
  var video = document.getElementById('video');
  video.muted = true;
  var state = {
    fatal: null, errors: [], currentTime: 0, readyState: 0, playing: false, frames: 0, droppedFrames: 0,
    videoWidth: 0, videoHeight: 0, hlsVersion: typeof Hls === 'undefined' ? '' : Hls.version,
    lowLatencyMode: lowLatency, latency: 0, partTarget: 0, parts: 0, canBlockReload: false
  };
  var hls = null;
  window.playerState = state;
  function update() {
    state.currentTime = video.currentTime;
    state.readyState = video.readyState;
    state.videoWidth = video.videoWidth;
    state.videoHeight = video.videoHeight;
    if (hls) {
      state.lowLatencyMode = hls.lowLatencyMode;
      state.latency = hls.latency || 0;
    }
    if (video.getVideoPlaybackQuality) {
      var q = video.getVideoPlaybackQuality();
      state.frames = q.totalVideoFrames;
      state.droppedFrames = q.droppedVideoFrames;
    }
  }
  ['timeupdate', 'playing', 'loadeddata', 'progress', 'waiting', 'resize'].forEach(function (e) { video.addEventListener(e, update); });
  video.addEventListener('playing', function () { state.playing = true; });
  video.addEventListener('error', function () {
    var msg = 'media element error ' + (video.error ? video.error.code + ': ' + video.error.message : '');
    state.errors.push(msg);
    if (state.fatal === null) state.fatal = msg;
  });
  setInterval(update, 250);
  if (!src) { state.fatal = 'no src in the query string'; return; }
  if (typeof Hls === 'undefined' || !Hls.isSupported()) { state.fatal = 'hls.js not loaded or MediaSource not supported'; return; }
  hls = new Hls({ lowLatencyMode: lowLatency });
  window.hls = hls;
  hls.on(Hls.Events.ERROR, function (_event, data) {
    var msg = data.type + '/' + data.details + (data.error && data.error.message ? ': ' + data.error.message : '') +
      (data.response && data.response.code ? ' (HTTP ' + data.response.code + ')' : '');
    state.errors.push(msg);
    if (data.fatal && state.fatal === null) state.fatal = msg;
  });
  hls.on(Hls.Events.LEVEL_UPDATED, function (_event, data) {
    state.partTarget = data.details.partTarget || 0;
    state.parts = data.details.partList ? data.details.partList.length : 0;
    state.canBlockReload = !!data.details.canBlockReload;
  });
  hls.on(Hls.Events.MANIFEST_PARSED, function () {
    var p = video.play();
    if (p && p.catch) p.catch(function (err) { state.errors.push('play(): ' + err.message); });
  });
  hls.loadSource(src);
  hls.attachMedia(video);
})();
</script>
</body>
</html>
`;

export interface PlayerPageServer {
  /** The player page, e.g. http://127.0.0.1:12345/player.html. */
  url: string;
  /** The page URL that plays `src` (with hls.js lowLatencyMode when asked). */
  playerUrl(src: string, options?: { lowLatency?: boolean }): string;
  close(): Promise<void>;
}

/** Serves PLAYER_HTML at /player.html (and /) and hls.js from node_modules at /hls.min.js, on 127.0.0.1:0. */
export async function servePlayerPage(): Promise<PlayerPageServer> {
  const hlsJs = await readFile(require.resolve('hls.js/dist/hls.min.js'));
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
    } else if (path === '/' || path === '/player.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(PLAYER_HTML);
    } else if (path === '/hls.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' }).end(hlsJs);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/player.html`;
  return {
    url,
    playerUrl: (src, options = {}) => `${url}?${new URLSearchParams({ src, lowLatency: options.lowLatency ? '1' : '0' }).toString()}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** Pixel rows of the frame a page's <video> shows, drawn onto a canvas (see readVideoRows). */
export interface VideoRows {
  /** Date.now() in the page just after the frame was drawn (the same machine clock as the test's). */
  now: number;
  /** video.currentTime when the frame was drawn. */
  currentTime: number;
  /** The video's intrinsic size; the rows are in its pixels (0 x 0 before the first frame, and then no rows). */
  width: number;
  height: number;
  /** Per requested y: the luma (BT.601 from the canvas RGB, 0-255) of each of the `width` pixels of that row. */
  rows: number[][];
}

/** In-page half of readVideoRows: plain ES5-ish script, one canvas kept on window. */
const READ_VIDEO_ROWS = `(function (args) {
  var video = document.querySelector(args.selector);
  var out = { now: Date.now(), currentTime: 0, width: 0, height: 0, rows: [] };
  if (!video || !video.videoWidth || !video.videoHeight) return out;
  var w = video.videoWidth, h = video.videoHeight;
  var canvas = window.__videoRowsCanvas || (window.__videoRowsCanvas = document.createElement('canvas'));
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  var ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(video, 0, 0, w, h);
  out.now = Date.now();
  out.currentTime = video.currentTime;
  out.width = w;
  out.height = h;
  out.rows = args.ys.map(function (y) {
    var row = Math.min(h - 1, Math.max(0, Math.round(y)));
    var data = ctx.getImageData(0, row, w, 1).data;
    var luma = new Array(w);
    for (var x = 0; x < w; x++) luma[x] = Math.round(0.299 * data[4 * x] + 0.587 * data[4 * x + 1] + 0.114 * data[4 * x + 2]);
    return luma;
  });
  return out;
})`;

/**
 * Draws the frame the page's video element (default `#video`, the player page's) currently shows onto a canvas at
 * the video's intrinsic size, and returns the luma of every pixel of rows `ys`, with the page's Date.now() taken
 * right after the draw. For reading markers burnt into the picture (e.g. a clock barcode, to measure latency).
 */
export async function readVideoRows(page: Page, ys: readonly number[], options: { selector?: string } = {}): Promise<VideoRows> {
  const args = { ys: [...ys], selector: options.selector ?? '#video' };
  return (await page.evaluate(`${READ_VIDEO_ROWS}(${JSON.stringify(args)})`)) as VideoRows;
}
