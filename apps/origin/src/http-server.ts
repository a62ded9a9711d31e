/**
 * HTTP playback: `GET /live/<name>.flv` (HTTP-FLV) and a WebSocket upgrade on the same path (WebSocket-FLV),
 * CORS for browsers, `/healthz`, `/readyz`, `/status`. Errors are JSON `{ statusCode, error, message }`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeFlvHeader } from '@ingest/flv';
import { parseBlockingReload } from '@ingest/hls';
import type { Logger } from '@ingest/telemetry';
import type { OriginConfig } from './config';
import { STREAM_NAME, type StreamDirectory } from './directory';
import type { StreamHub } from './hub';
import type { ViewerTracker } from './rtmp-server';
import { HttpFlvViewer, WsFlvViewer, type Viewer } from './viewer';

export interface HttpStatusSource {
  ready(): boolean;
  status(): unknown;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-allow-headers': 'range, content-type',
  'access-control-expose-headers': 'content-length, content-type',
};

const MAX_URL = 2048;
const FLV_PATH = /^\/live\/([^/]+)\.flv$/;
/** /live/<name>/<file>: index.m3u8 (HLS, MPEG-TS), fmp4.m3u8 (HLS, fMP4/CMAF), init.mp4, seg-<n>.ts, seg-<n>.m4s */
const HLS_PATH = /^\/live\/([^/]+)\/([^/]+)$/;
const HLS_FILE = /^(?:(index\.m3u8|fmp4\.m3u8|ll\.m3u8|init\.mp4|manifest\.mpd)|seg-(\d{1,12})\.(ts|m4s)|part-(\d{1,12})\.(\d{1,3})\.m4s|init-(video|audio)\.mp4|seg-(video|audio)-(\d{1,12})\.m4s)$/;
const PLAYLIST_WAIT_MS = 8000;

function sendJson(res: ServerResponse, statusCode: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  res.writeHead(statusCode, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(json), ...CORS, ...headers });
  res.end(json);
}

function error(res: ServerResponse, statusCode: number, name: string, message: string): void {
  sendJson(res, statusCode, { statusCode, error: name, message });
}

function flvHeader(hub: StreamHub): Buffer {
  return encodeFlvHeader({ audio: true, video: hub.cache.hasVideo || hub.messages === 0 });
}

export function createHttpPlayServer(
  config: OriginConfig,
  directory: StreamDirectory,
  tracker: ViewerTracker,
  source: HttpStatusSource,
  logger: Logger,
): Server {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 });

  /** Validates the path; answers the error itself and returns undefined when it is not a stream URL. */
  const streamName = (url: string | undefined, res?: ServerResponse): string | undefined => {
    const raw = url ?? '/';
    if (raw.length > MAX_URL) return void (res && error(res, 414, 'URI Too Long', `URLs are limited to ${MAX_URL} characters`));
    const path = raw.split('?', 1)[0];
    const match = FLV_PATH.exec(path);
    if (!match) return void (res && error(res, 404, 'Not Found', 'use /live/<name>.flv'));
    let name: string;
    try {
      name = decodeURIComponent(match[1]);
    } catch {
      return void (res && error(res, 400, 'Bad Request', 'malformed percent-encoding'));
    }
    if (!STREAM_NAME.test(name)) return void (res && error(res, 400, 'Bad Request', 'stream names are 1-128 characters of A-Z a-z 0-9 _ -'));
    return name;
  };

  const attach = (viewer: Viewer, hub: StreamHub) => {
    viewer.onClose = (v, reason) => {
      hub.removeViewer(v);
      directory.release(hub);
      tracker.removed(v, hub, reason);
    };
    tracker.added(viewer, hub);
    hub.addViewer(viewer);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...CORS, 'access-control-max-age': '86400' });
      res.end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return error(res, 405, 'Method Not Allowed', 'use GET');
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz') return source.ready() ? sendJson(res, 200, { status: 'ready' }) : sendJson(res, 503, { status: 'not ready' });
    if (path === '/status') return sendJson(res, 200, source.status());
    const hls = HLS_PATH.exec(path);
    if (hls) return void serveHls(req, res, hls[1], hls[2]);
    const name = streamName(req.url, res);
    if (!name) return;
    if (tracker.count() >= config.maxViewers) return error(res, 503, 'Service Unavailable', 'too many viewers on this origin');
    directory
      .open(name)
      .then((hub) => {
        if (res.destroyed) return;
        if (!hub) return error(res, 404, 'Not Found', `stream ${name} is not live`);
        // No chunked encoding: the body runs until the connection closes, and tags go straight to the socket.
        res.useChunkedEncodingByDefault = false;
        res.writeHead(200, { 'content-type': 'video/x-flv', 'cache-control': 'no-cache, no-store', connection: 'close', ...CORS });
        if (req.method === 'HEAD') return res.end();
        res.flushHeaders();
        const socket = req.socket;
        socket.setNoDelay(true);
        const viewer = new HttpFlvViewer(socket, `${socket.remoteAddress}:${socket.remotePort}`);
        viewer.writeHeader(flvHeader(hub));
        res.on('close', () => viewer.close('client closed'));
        attach(viewer, hub);
      })
      .catch((err: Error) => {
        logger.warn({ code: 'ORIGIN_LOOKUP_FAILED', reason: err.message, stream: name }, 'stream lookup failed');
        if (!res.headersSent) error(res, 503, 'Service Unavailable', 'stream lookup failed');
      });
  });

  /** HLS from memory: the hub's packager, started on the first request; playlists wait for the first segment. */
  const serveHls = async (req: IncomingMessage, res: ServerResponse, rawName: string, file: string): Promise<void> => {
    let name: string;
    try {
      name = decodeURIComponent(rawName);
    } catch {
      return error(res, 400, 'Bad Request', 'malformed percent-encoding');
    }
    if (!STREAM_NAME.test(name)) return error(res, 400, 'Bad Request', 'stream names are 1-128 characters of A-Z a-z 0-9 _ -');
    const match = HLS_FILE.exec(file);
    if (!match) return error(res, 404, 'Not Found', 'use index.m3u8, fmp4.m3u8, init.mp4, seg-<n>.ts or seg-<n>.m4s');
    let hub: StreamHub | undefined;
    try {
      hub = await directory.open(name);
    } catch (err) {
      logger.warn({ code: 'ORIGIN_LOOKUP_FAILED', reason: (err as Error).message, stream: name }, 'stream lookup failed');
      return error(res, 503, 'Service Unavailable', 'stream lookup failed');
    }
    if (!hub) return error(res, 404, 'Not Found', `stream ${name} is not live`);
    const packager = hub.packager({ targetDurationMs: config.hlsTargetMs, windowSegments: config.hlsWindowSegments });
    const [, named, number, ext, partSegment, partIndex, initTrack, segTrack, segTrackNumber] = match;
    const send = (type: string, cache: string, body: Buffer | string) => {
      res.writeHead(200, { 'content-type': type, 'cache-control': cache, 'content-length': Buffer.byteLength(body), ...CORS });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (initTrack || segTrack || named === 'manifest.mpd') {
      // DASH over the same CMAF segments, one representation per track.
      if (!packager.ready) await packager.waitUntil(() => packager.ready, PLAYLIST_WAIT_MS);
      if (!packager.ready) return error(res, 404, 'Not Found', `stream ${name} has no segment yet`);
      if (named === 'manifest.mpd') return send('application/dash+xml', 'public, max-age=1', packager.dashMpd(hub.startedAt));
      const body = initTrack ? packager.initMp4(initTrack as 'video' | 'audio') : packager.trackSegmentM4s(Number(segTrackNumber), segTrack as 'video' | 'audio');
      if (!body) return error(res, 404, 'Not Found', 'not available (from the future or already gone)');
      return send(initTrack ? 'video/mp4' : 'video/iso.segment', 'public, max-age=60', body);
    }
    if (partSegment !== undefined) {
      // LL-HLS part; the preload hint names the next part before it exists: wait for it (a few part durations).
      const n = Number(partSegment);
      const i = Number(partIndex);
      await packager.waitUntil(() => packager.partM4s(n, i) !== undefined || (packager.lastSegment ?? -1) > n, 3 * packager.partTargetMs);
      const part = packager.partM4s(n, i);
      if (!part) return error(res, 404, 'Not Found', `part ${n}.${i} is not available`);
      return send('video/iso.segment', 'public, max-age=60', part);
    }
    if (named === 'll.m3u8') {
      const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
      const request = parseBlockingReload(query);
      if ('error' in request) return error(res, 400, 'Bad Request', request.error);
      if (!packager.ready) await packager.waitUntil(() => packager.ready, PLAYLIST_WAIT_MS);
      if (!packager.ready) return error(res, 404, 'Not Found', `stream ${name} has no segment yet`);
      if (request.msn !== undefined) {
        // Blocking reload (draft-pantos-hls-rfc8216bis 6.2.5.2): answer once that segment/part exists; a request
        // more than two segments ahead of the last one is an error.
        if (request.msn > (packager.lastSegment ?? 0) + 2) return error(res, 400, 'Bad Request', '_HLS_msn is more than two segments ahead');
        const { msn, part } = request;
        const ok = await packager.waitUntil(() => packager.hasSegmentOrPart(msn, part), 3 * config.hlsTargetMs);
        if (res.destroyed) return;
        if (!ok) return error(res, 503, 'Service Unavailable', 'the requested segment did not appear in time');
      }
      return send('application/vnd.apple.mpegurl', 'no-cache', packager.playlistLowLatency());
    }
    if (named === 'index.m3u8' || named === 'fmp4.m3u8' || named === 'init.mp4') {
      const deadline = Date.now() + PLAYLIST_WAIT_MS;
      while (!packager.ready && Date.now() < deadline && !res.destroyed) await new Promise((r) => setTimeout(r, 100));
      if (res.destroyed) return;
      if (!packager.ready) return error(res, 404, 'Not Found', `stream ${name} has no segment yet`);
      // Playlists change every segment: a CDN may cache them for a second at most.
      if (named === 'index.m3u8') return send('application/vnd.apple.mpegurl', 'public, max-age=1', packager.playlistTs());
      if (named === 'fmp4.m3u8') return send('application/vnd.apple.mpegurl', 'public, max-age=1', packager.playlistFmp4());
      const init = packager.initMp4();
      return init ? send('video/mp4', 'public, max-age=60', init) : error(res, 404, 'Not Found', 'no init segment');
    }
    const n = Number(number);
    const body = ext === 'ts' ? packager.segmentTs(n) : packager.segmentM4s(n);
    if (!body) return error(res, 404, 'Not Found', `segment ${n} is not available (from the future or already gone)`);
    // Segment bytes never change for a given name while the stream lives: cacheable.
    return send(ext === 'ts' ? 'video/mp2t' : 'video/iso.segment', 'public, max-age=60', body);
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    const name = streamName(req.url);
    if (!name) return reject(404, 'Not Found');
    socket.on('error', () => socket.destroy());
    directory
      .open(name)
      .then((hub) => {
        if (socket.destroyed) return;
        if (!hub) return reject(404, 'Not Found');
        wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
          const viewer = new WsFlvViewer(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`);
          ws.on('close', () => viewer.close('client closed'));
          ws.on('error', () => viewer.close('socket error'));
          ws.on('message', () => undefined); // players send nothing meaningful; frames are capped by maxPayload
          viewer.writeHeader(flvHeader(hub));
          attach(viewer, hub);
        });
      })
      .catch(() => reject(503, 'Service Unavailable'));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const [status, text] = err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
    socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
  return server;
}
