/**
 * node-media-server 4 (npm `node-media-server`, a devDependency of the bench; the version is in the result) as
 * the peer under test: a separate process of the project's Node running the launcher bench/dist/nms-main.js on free
 * loopback ports, optionally under `taskset -c` (taskset execs, so the pid we hold is NMS's own), like the origin,
 * with the same Node flags as the edge and the origin (serverNodeArgs in edge-process.ts, BENCH_SERVER_NODE_ARGS included).
 * NMS needs no Redis or NATS. One RTMP port takes publishers and players alike; the HTTP port serves HTTP-FLV and
 * WS-FLV at /<app>/<name>.flv, the same layout as the origin's /live/<name>.flv.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { freePort, makeTempDir, removeTempDir, spawnManaged, type ManagedProcess } from '@ingest/testing';
import { nodeBinary, serverNodeArgs } from './edge-process';
import type { NmsStatus } from './nms-main';
import { pinnedCommand } from './procfs';

export const NMS_MAIN = join(__dirname, 'nms-main.js');

/** The installed node-media-server's version (package.json), or undefined when it is not installed. */
export function nmsVersion(): string | undefined {
  try {
    return (createRequire(__filename)('node-media-server/package.json') as { version: string }).version;
  } catch {
    return undefined;
  }
}

export interface NmsProcess {
  process: ManagedProcess;
  pid: number;
  version: string;
  /** Publishers and players both use this port (NMS has no separate ingest port). */
  rtmpPort: number;
  /** HTTP-FLV and WS-FLV. */
  httpPort: number;
  status(): Promise<NmsStatus>;
  /** NMS's log lines at warn level or above (its logger prints `[time] [LEVEL] message`). */
  problems(): string[];
  /** SIGTERM (NMS stops and flushes its store), SIGKILL after 5 s; removes the store directory. */
  stop(): Promise<void>;
}

/** Lines of NMS's output at WARN or ERROR, and anything that is not one of its log lines (a crash). */
export function nmsProblemLines(output: string): string[] {
  return output.split('\n').filter((line) => {
    if (line.trim() === '' || line.startsWith('nms ready ')) return false;
    const level = /^\[[^\]]*\] \[([A-Z]+)\] /.exec(line)?.[1];
    return level === undefined || level === 'WARN' || level === 'ERROR';
  });
}

export async function startNmsProcess(options: { pinServer?: string; countFrames?: boolean; logLevel?: string } = {}): Promise<NmsProcess> {
  if (!existsSync(NMS_MAIN)) throw new Error(`${NMS_MAIN} is missing: run \`npm run build\` first`);
  const version = nmsVersion();
  if (version === undefined) throw new Error('node-media-server is not installed: run `npm install` (it is a devDependency of bench)');
  const ports = new Set<number>();
  while (ports.size < 3) ports.add(await freePort());
  const [rtmpPort, httpPort, statusPort] = [...ports];
  const storeDir = await makeTempDir('bench-nms-');
  const env = {
    NMS_RTMP_PORT: String(rtmpPort),
    NMS_HTTP_PORT: String(httpPort),
    NMS_STATUS_PORT: String(statusPort),
    NMS_STORE_DIR: storeDir,
    NMS_LOG_LEVEL: options.logLevel ?? 'warn',
    NMS_COUNT_FRAMES: options.countFrames ? '1' : '0',
  };
  const node = nodeBinary();
  let proc: ManagedProcess;
  try {
    proc = spawnManaged(...pinnedCommand(options.pinServer, node, serverNodeArgs(NMS_MAIN)), { name: 'nms', env });
  } catch (err) {
    await removeTempDir(storeDir);
    throw err;
  }
  try {
    await proc.waitForOutput(/nms ready/, 15_000);
  } catch (err) {
    await proc.kill('SIGKILL');
    await removeTempDir(storeDir);
    throw err;
  }
  return {
    process: proc,
    pid: proc.pid,
    version,
    rtmpPort,
    httpPort,
    status: async () => {
      const res = await fetch(`http://127.0.0.1:${statusPort}/status`);
      if (!res.ok) throw new Error(`nms launcher /status answered ${res.status}`);
      return (await res.json()) as NmsStatus;
    },
    problems: () => nmsProblemLines(proc.output()),
    stop: async () => {
      try {
        await proc.kill('SIGTERM');
      } finally {
        await removeTempDir(storeDir);
      }
    },
  };
}
