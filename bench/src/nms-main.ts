/**
 * Launcher of node-media-server 4 (the benchmark's peer), run as its own process by nms-process.ts:
 * `node bench/dist/nms-main.js`, configured from the environment.
 *
 * - NMS_RTMP_PORT, NMS_HTTP_PORT: the RTMP listener (publish and play) and the HTTP listener (HTTP-FLV and WS-FLV at
 *   /<app>/<name>.flv). Both bind 127.0.0.1. No RTMPS, no HTTPS, no recording, no webhook, no admin API (that needs
 *   `auth.jwt`) and no webadmin console: media only, like `node-media-server --no-admin` without TLS.
 * - NMS_STORE_DIR: where NMS keeps its JSON store (stream history); a temporary directory.
 * - NMS_LOG_LEVEL: NMS's own logger (trace, debug, info, warn, error); default warn, so the benchmark does not pay
 *   for a console line per connection. NMS's constructor sets the level to debug; it is set again after it.
 * - NMS_STATUS_PORT: a small HTTP server of this launcher (not of NMS) on 127.0.0.1 that answers GET /status with
 *   the sessions and streams from NMS's Context: what the benchmark reads instead of the edge's and origin's
 *   /status. NMS's own API would need a JWT login, and its stream list has no frame counts.
 * - NMS_COUNT_FRAMES=1: counts the audio and video frames each RTMP publisher delivers to NMS (wrapping the
 *   session's onPacketCallback with one counter increment), for the ingest scenario's exact frame check. Off in the
 *   fan-out scenarios.
 *
 * Prints `nms ready {"rtmp":...,"http":...}` once both listeners are up. SIGTERM or SIGINT stops NMS (its stop()
 * flushes the store) and exits.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { Server } from 'node:net';

interface NmsSession {
  id: string;
  protocol: string;
  isPublisher: boolean;
  streamPath: string;
  inBytes: number;
  outBytes: number;
  rtmp?: { onPacketCallback: (packet: { codec_type: number; flags: number }) => void };
}

interface NmsBroadcast {
  publisher: NmsSession | null;
  subscribers: Map<string, NmsSession>;
  getPublishStatus(): string;
}

interface NmsContext {
  sessions: Map<string, NmsSession>;
  broadcasts: Map<string, NmsBroadcast>;
  eventEmitter: NodeJS.EventEmitter;
}

interface NodeMediaServer {
  run(): Promise<void>;
  stop(): Promise<void>;
  rtmpServer: { tcpServer?: Server };
  httpServer: { httpServer?: Server };
}

/** Frames one publisher delivered to NMS (flags from NMS's Flv.parserTag: 1 audio frame, 3 and 4 video frames). */
export interface NmsFrameCount {
  videoFrames: number;
  audioFrames: number;
  messages: number;
}

/** What GET /status on NMS_STATUS_PORT answers. */
export interface NmsStatus {
  sessions: number;
  /** Sessions that play (RTMP, HTTP-FLV and WS-FLV alike). */
  viewers: number;
  streams: Array<{ name: string; app: string; status: string; subscribers: number; inBytes: number } & Partial<NmsFrameCount>>;
  /** Per stream path, the frames counted since the publish started (NMS_COUNT_FRAMES=1); kept after it ended. */
  frames: Record<string, NmsFrameCount>;
}

function portFrom(name: string): number {
  const value = Number(process.env[name]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a port number, got '${process.env[name] ?? ''}'`);
  return value;
}

function listening(server: Server | undefined, what: string): Promise<void> {
  if (!server) return Promise.reject(new Error(`node-media-server has no ${what} listener`));
  if (server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
}

async function main(): Promise<void> {
  const rtmpPort = portFrom('NMS_RTMP_PORT');
  const httpPort = portFrom('NMS_HTTP_PORT');
  const statusPort = portFrom('NMS_STATUS_PORT');
  const storeDir = process.env.NMS_STORE_DIR;
  if (!storeDir) throw new Error('NMS_STORE_DIR is not set');
  const level = process.env.NMS_LOG_LEVEL ?? 'warn';
  const countFrames = process.env.NMS_COUNT_FRAMES === '1';

  const load = createRequire(__filename);
  const NodeMediaServerClass = load('node-media-server') as new (config: object) => NodeMediaServer;
  const logger = load('node-media-server/src/core/logger.js') as { level: string };
  const context = load('node-media-server/src/core/context.js') as NmsContext;
  const version = (load('node-media-server/package.json') as { version: string }).version;

  const nms = new NodeMediaServerClass({
    bind: '127.0.0.1',
    rtmp: { port: rtmpPort },
    http: { port: httpPort },
    store: { path: storeDir },
    auth: { play: false, publish: false },
    webadmin: { enable: false },
    notify: { url: '' },
  });
  logger.level = level;

  const frames: Record<string, NmsFrameCount> = {};
  if (countFrames) {
    context.eventEmitter.on('postPublish', (session: NmsSession) => {
      const rtmp = session.rtmp;
      if (!rtmp) return;
      const count: NmsFrameCount = { videoFrames: 0, audioFrames: 0, messages: 0 };
      frames[session.streamPath] = count;
      const deliver = rtmp.onPacketCallback;
      rtmp.onPacketCallback = (packet) => {
        count.messages++;
        if (packet.flags === 3 || packet.flags === 4) count.videoFrames++;
        else if (packet.flags === 1) count.audioFrames++;
        deliver(packet);
      };
    });
  }

  const status = (): NmsStatus => {
    let viewers = 0;
    for (const s of context.sessions.values()) if (!s.isPublisher) viewers++;
    return {
      sessions: context.sessions.size,
      viewers,
      streams: [...context.broadcasts].map(([path, b]) => ({
        name: path.split('/')[2] ?? '',
        app: path.split('/')[1] ?? '',
        status: b.getPublishStatus(),
        subscribers: b.subscribers.size,
        inBytes: b.publisher?.inBytes ?? 0,
        ...frames[path],
      })),
      frames,
    };
  };
  const statusServer = createServer((req, res) => {
    if (req.url !== '/status') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(status()));
  });
  await new Promise<void>((resolve) => statusServer.listen(statusPort, '127.0.0.1', resolve));

  await nms.run();
  await Promise.all([listening(nms.rtmpServer.tcpServer, 'RTMP'), listening(nms.httpServer.httpServer, 'HTTP')]);
  process.stdout.write(`nms ready ${JSON.stringify({ version, rtmp: rtmpPort, http: httpPort, status: statusPort, logLevel: level, countFrames })}\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    statusServer.close();
    nms.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`nms launcher failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
