import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireBinary } from './binaries';
import { startServer, type TestServer } from './server';

export interface StartNatsOptions {
  /** Default: a free loopback port. */
  port?: number;
  /** Default false. With true, JetStream stores in `dir`, which survives kill()/restart(). */
  jetstream?: boolean;
  /** Max message payload in bytes (server default 1 MiB). */
  maxPayload?: number;
}

/** `url` is nats://127.0.0.1:PORT. */
export type NatsServer = TestServer;

const DEFAULT_MAX_PENDING = 64 * 1024 * 1024;

/**
 * Starts a private nats-server on 127.0.0.1 and waits for "Server is ready".
 * nats-server 2.9 has no command-line flag for max_payload, so it goes in a config file written to the temp dir.
 */
export function startNats(options: StartNatsOptions = {}): Promise<NatsServer> {
  const configFile = (dir: string): string => join(dir, 'nats-server.conf');
  const { maxPayload } = options;
  return startServer({
    binary: requireBinary('nats-server'),
    name: 'nats-server',
    scheme: 'nats',
    port: options.port,
    tempPrefix: 'ingest-nats-',
    async prepare(dir) {
      if (maxPayload === undefined) return;
      if (!Number.isInteger(maxPayload) || maxPayload <= 0) throw new Error(`startNats: bad maxPayload ${maxPayload}`);
      // The server refuses max_payload above max_pending (64 MiB by default).
      const lines = [`max_payload: ${maxPayload}`];
      if (maxPayload > DEFAULT_MAX_PENDING) lines.push(`max_pending: ${maxPayload}`);
      await writeFile(configFile(dir), `${lines.join('\n')}\n`);
    },
    args: (port, dir) => [
      '-a', '127.0.0.1',
      '-p', String(port),
      ...(options.jetstream ? ['-js', '-sd', dir] : []),
      ...(maxPayload !== undefined ? ['-c', configFile(dir)] : []),
    ],
    ready: /Server is ready/,
  });
}
