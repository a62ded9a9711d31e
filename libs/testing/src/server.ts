import { mkdir } from 'node:fs/promises';
import { freePort } from './ports';
import { spawnManaged, type ManagedProcess } from './process';
import { makeTempDir, removeTempDir } from './tmp';

/** A private server process for one test suite: same shape for redis-server and nats-server. */
export interface TestServer {
  readonly url: string;
  readonly port: number;
  /** Working/data directory (Redis --dir, NATS config and JetStream store). */
  readonly dir: string;
  /** The current process (a new one after restart()). */
  readonly process: ManagedProcess;
  /** Graceful stop (SIGTERM, SIGKILL after 5 s); removes `dir` if it was created here. */
  stop(): Promise<void>;
  /** Simulates a crash: `signal` defaults to SIGKILL. Resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the process if it is still running (gracefully), then starts it again on the same port and dir. */
  restart(): Promise<void>;
}

export interface ServerSpec {
  binary: string;
  name: string;
  scheme: string;
  /** The port the caller asked for; when absent a free port is picked (and re-picked if another process wins it). */
  port?: number;
  dir?: string;
  tempPrefix: string;
  args(port: number, dir: string): string[];
  /** Called once before the first start, e.g. to write a config file into `dir`. */
  prepare?(dir: string): Promise<void>;
  ready: RegExp;
  readyTimeoutMs?: number;
}

const ADDRESS_IN_USE = /address already in use/i;
const START_ATTEMPTS = 5;

async function launch(spec: ServerSpec, port: number, dir: string): Promise<ManagedProcess> {
  const proc = spawnManaged(spec.binary, spec.args(port, dir), { name: `${spec.name}:${port}` });
  try {
    await proc.waitForOutput(spec.ready, spec.readyTimeoutMs ?? 15_000);
    return proc;
  } catch (err) {
    await proc.kill('SIGKILL');
    throw err;
  }
}

export async function startServer(spec: ServerSpec): Promise<TestServer> {
  const ownDir = spec.dir === undefined;
  const dir = spec.dir ?? (await makeTempDir(spec.tempPrefix));
  await mkdir(dir, { recursive: true });
  await spec.prepare?.(dir);

  let port = spec.port ?? (await freePort());
  let proc: ManagedProcess | undefined;
  for (let attempt = 1; proc === undefined; attempt++) {
    try {
      proc = await launch(spec, port, dir);
    } catch (err) {
      const raced = spec.port === undefined && ADDRESS_IN_USE.test(String(err)) && attempt < START_ATTEMPTS;
      if (!raced) {
        if (ownDir) await removeTempDir(dir).catch(() => undefined);
        throw err;
      }
      port = await freePort();
    }
  }

  let current: ManagedProcess = proc;
  const fixedPort = port;
  return {
    url: `${spec.scheme}://127.0.0.1:${fixedPort}`,
    port: fixedPort,
    dir,
    get process() {
      return current;
    },
    async stop() {
      await current.kill('SIGTERM');
      if (ownDir) await removeTempDir(dir);
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      await current.kill(signal);
    },
    async restart() {
      await current.kill('SIGTERM');
      await mkdir(dir, { recursive: true }); // stop() may have removed it
      await spec.prepare?.(dir);
      // The old listener is gone once the process has exited, but retry briefly in case the kernel lags.
      for (let attempt = 1; ; attempt++) {
        try {
          current = await launch(spec, fixedPort, dir);
          return;
        } catch (err) {
          if (!ADDRESS_IN_USE.test(String(err)) || attempt >= START_ATTEMPTS) throw err;
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
      }
    },
  };
}
