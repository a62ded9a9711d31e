/** Starts the real edge process (from its build) on free ports, for end-to-end tests. */
import { join } from 'node:path';
import { freePort, makeSelfSignedCert, makeTempDir, spawnManaged, type ManagedProcess } from '@ingest/testing';
import type { StreamSnapshot } from '../src/stream-stats';

export interface EdgeStatus {
  connections: number;
  streams: StreamSnapshot[];
  recent: StreamSnapshot[];
}

export interface RunningEdge {
  process: ManagedProcess;
  rtmpPort: number;
  rtmpsPort: number;
  httpPort: number;
  metricsPort: number;
  status(): Promise<EdgeStatus>;
  /** Every stream (live and ended) with that name, newest first. */
  stream(name: string): Promise<StreamSnapshot | undefined>;
  /** JSON log lines so far. */
  logs(): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

const ROOT = join(__dirname, '..', '..', '..');
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');

export async function startEdge(env: Record<string, string> = {}): Promise<RunningEdge> {
  const dir = await makeTempDir('edge-test-');
  const { cert, key } = await makeSelfSignedCert(dir);
  const [rtmpPort, rtmpsPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const proc = spawnManaged(NODE, [join(ROOT, 'apps', 'edge', 'dist', 'main.js')], {
    name: 'edge',
    env: {
      EDGE_HOST: '127.0.0.1',
      EDGE_RTMP_PORT: String(rtmpPort),
      EDGE_RTMPS_PORT: String(rtmpsPort),
      EDGE_HTTP_PORT: String(httpPort),
      METRICS_PORT: String(metricsPort),
      EDGE_TLS_CERT: cert,
      EDGE_TLS_KEY: key,
      LOG_LEVEL: 'debug',
      ...env,
    },
  });
  await proc.waitForOutput(/edge ready/, 15_000);
  const status = async (): Promise<EdgeStatus> => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/status`);
    return (await res.json()) as EdgeStatus;
  };
  return {
    process: proc,
    rtmpPort,
    rtmpsPort,
    httpPort,
    metricsPort,
    status,
    async stream(name) {
      const s = await status();
      return [...s.streams, ...s.recent].find((x) => x.name === name);
    },
    logs() {
      return proc
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return {};
          }
        });
    },
    stop: () => proc.kill('SIGTERM'),
  };
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
