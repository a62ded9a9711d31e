/**
 * The server side of a fan-out run (fanout and capacity scenarios), one of three paths:
 *
 * - cluster: publisher -> edge -> NATS -> origin -> viewers (private Redis and NATS, the apps' builds);
 * - single: publisher -> the origin's direct-ingest port -> viewers (Redis and NATS still run: the origin needs
 *   them to start, but they are off the media path);
 * - nms: publisher -> node-media-server 4 -> viewers (no Redis, no NATS), the peer.
 *
 * Every path exposes the same things: where to publish, where each protocol plays, the pid of the process that
 * serves the viewers (its CPU and RSS are the headline), the other processes whose CPU counts towards the
 * path's total, whether the stream is live, how many viewers the server sees, what it logged at warn level and
 * what it dropped for slow viewers.
 */
import { startServices, type ClusterServices, type ManagedProcess } from '@ingest/testing';
import type { FanoutPath, FanoutProtocol } from './cli';
import { startEdgeProcess, type EdgeProcess } from './edge-process';
import { startNmsProcess, type NmsProcess } from './nms-process';
import { startOriginProcess, type OriginProcess } from './origin-process';
import { pinProcess } from './procfs';

export interface FanoutServers {
  path: FanoutPath;
  /** 'origin' or 'nms': the process that serves the viewers. */
  serverName: 'origin' | 'nms';
  /** node-media-server's version on the nms path. */
  peerVersion: string | undefined;
  serverPid: number;
  edgePid: number | undefined;
  /** Private nats-server and redis-server (cluster and single paths). */
  natsPid: number | undefined;
  redisPid: number | undefined;
  publishPort: number;
  playPort(protocol: FanoutProtocol): number;
  /** One line for the log: pids and ports. */
  describe(): string;
  /** The stream is live where the viewers will look (with frames). */
  isLive(stream: string): Promise<boolean>;
  /** Viewers the serving process counts. */
  viewerCount(): Promise<number>;
  /** Throws when a server process has exited. */
  assertRunning(): void;
  /** Log lines at warn level or above: the serving process's and the edge's. */
  problems(): { server: string[]; edge: string[] };
  /**
   * What the server dropped for slow viewers, from the origin's log (`viewer left` with `dropped`, `viewer cut
   * off`); null on the nms path: NMS has no slow-viewer policy (it buffers without bound) and logs nothing of it.
   */
  slowViewerDrops(): { droppedFrames: number; cuts: number } | null;
  stop(): Promise<void>;
}

function exited(proc: ManagedProcess | undefined): void {
  const exit = proc?.exitStatus();
  if (proc && exit) throw new Error(`${proc.name} exited (${exit.code ?? exit.signal}):\n${proc.output().slice(-2000)}`);
}

async function startNmsPath(pinServer: string | undefined): Promise<FanoutServers> {
  const nms: NmsProcess = await startNmsProcess({ pinServer });
  const pinned = pinServer ? `, pinned to CPU ${pinServer}` : '';
  return {
    path: 'nms',
    serverName: 'nms',
    peerVersion: nms.version,
    serverPid: nms.pid,
    edgePid: undefined,
    natsPid: undefined,
    redisPid: undefined,
    publishPort: nms.rtmpPort,
    playPort: (protocol) => (protocol === 'rtmp' ? nms.rtmpPort : nms.httpPort),
    describe: () => `node-media-server ${nms.version} pid ${nms.pid} rtmp :${nms.rtmpPort} (publish and play) http :${nms.httpPort}${pinned}`,
    isLive: async (stream) => (await nms.status()).streams.some((s) => s.name === stream && s.status === 'publishing' && s.inBytes > 0),
    viewerCount: async () => (await nms.status()).viewers,
    assertRunning: () => exited(nms.process),
    problems: () => ({ server: nms.problems(), edge: [] }),
    slowViewerDrops: () => null,
    stop: () => nms.stop(),
  };
}

/**
 * Starts the path's servers. `viewers` is the most viewers the run will connect (the origin's cap is set to at
 * least twice that). `--pin-server` runs the edge, the origin and NMS under taskset and pins nats-server there.
 */
export async function startFanoutServers(path: FanoutPath, options: { pinServer: string | undefined; viewers: number }): Promise<FanoutServers> {
  if (path === 'nms') return startNmsPath(options.pinServer);
  const cluster = path === 'cluster';
  let services: ClusterServices | undefined;
  let edge: EdgeProcess | undefined;
  let origin: OriginProcess | undefined;
  const stop = async (): Promise<void> => {
    await Promise.allSettled([edge?.stop(), origin?.stop()]);
    await services?.stop();
  };
  try {
    services = await startServices();
    if (options.pinServer) pinProcess(options.pinServer, services.nats.process.pid);
    // No slow-viewer settings are changed (high water 1 MiB, cut-off 8 MiB, 10 s behind); only the viewer cap.
    const env = { ORIGIN_MAX_VIEWERS: String(Math.max(10_000, options.viewers * 2)) };
    if (cluster) edge = await startEdgeProcess({ pinServer: options.pinServer, services });
    origin = await startOriginProcess({ services, pinServer: options.pinServer, directIngest: !cluster, env });
  } catch (err) {
    await stop();
    throw err;
  }
  const o = origin;
  const e = edge;
  const pinned = options.pinServer ? `, pinned to CPU ${options.pinServer} with nats-server` : '';
  return {
    path,
    serverName: 'origin',
    peerVersion: undefined,
    serverPid: o.pid,
    edgePid: e?.pid,
    natsPid: services.nats.process.pid,
    redisPid: services.redis.process.pid,
    publishPort: e ? e.rtmpPort : o.directIngestPort!,
    playPort: (protocol) => (protocol === 'rtmp' ? o.rtmpPort : o.httpPort),
    describe: () =>
      e
        ? `edge pid ${e.pid} rtmp :${e.rtmpPort}; origin pid ${o.pid} rtmp :${o.rtmpPort} http :${o.httpPort}${pinned}`
        : `origin pid ${o.pid}, direct ingest :${o.directIngestPort} rtmp :${o.rtmpPort} http :${o.httpPort}${pinned}`,
    // Live where the viewers will look: the edge has claimed it (cluster) or the origin has its hub (single).
    isLive: async (stream) =>
      e
        ? (await e.status()).streams.some((s) => s.name === stream && s.videoFrames > 0)
        : (await o.status()).streams.some((s) => s.name === stream && s.messages > 0),
    viewerCount: async () => (await o.status()).viewers,
    assertRunning: () => {
      exited(o.process);
      exited(e?.process);
    },
    problems: () => ({ server: o.problems(), edge: e?.problems() ?? [] }),
    slowViewerDrops: () => {
      let droppedFrames = 0;
      let cuts = 0;
      for (const entry of o.logs()) {
        if (entry.msg === 'viewer left') droppedFrames += Number(entry.dropped ?? 0);
        else if (entry.msg === 'viewer cut off') cuts++;
      }
      return { droppedFrames, cuts };
    },
    stop,
  };
}
