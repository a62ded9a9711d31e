import { requireBinary } from './binaries';
import { startServer, type TestServer } from './server';

export interface StartRedisOptions {
  /** Default: a free loopback port. */
  port?: number;
  /** Default false. With true, data written before kill()/restart() survives (AOF in `dir`). */
  appendonly?: boolean;
  /** Default: a new temporary directory, removed by stop(). */
  dir?: string;
}

/** `url` is redis://127.0.0.1:PORT. */
export type RedisServer = TestServer;

/**
 * Starts a private redis-server bound to 127.0.0.1 with RDB snapshots off, and waits for
 * "Ready to accept connections". Stop it with `stop()`; `kill()` (SIGKILL) + `restart()` simulate a crash.
 */
export function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const appendonly = options.appendonly ?? false;
  return startServer({
    binary: requireBinary('redis-server'),
    name: 'redis-server',
    scheme: 'redis',
    port: options.port,
    dir: options.dir,
    tempPrefix: 'ingest-redis-',
    args: (port, dir) => [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--save', '',
      '--appendonly', appendonly ? 'yes' : 'no',
      '--dir', dir,
      '--daemonize', 'no',
      '--logfile', '',
    ],
    ready: /Ready to accept connections/,
  });
}
