import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startNats, type NatsServer } from './nats';
import { killAllManaged } from './process';
import { cleanupTempDirs } from './tmp';

jest.setTimeout(30_000);

interface NatsInfo {
  server_id: string;
  version: string;
  host: string;
  port: number;
  max_payload: number;
  jetstream?: boolean;
}

/** Connects over TCP and parses the INFO line the server sends first. */
function readInfo(port: number): Promise<NatsInfo> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no INFO line; got ${JSON.stringify(text)}`));
    }, 5000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.destroy();
      const line = text.slice(0, end);
      if (!line.startsWith('INFO ')) reject(new Error(`expected INFO, got ${line}`));
      else resolve(JSON.parse(line.slice(5)) as NatsInfo);
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

afterAll(async () => {
  await killAllManaged('SIGKILL');
  await cleanupTempDirs();
});

describe('startNats', () => {
  let nats: NatsServer;
  afterEach(() => nats?.stop());

  it('starts a private server whose INFO line reports its loopback port', async () => {
    nats = await startNats();
    expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
    const info = await readInfo(nats.port);
    expect(info).toMatchObject({ host: '127.0.0.1', port: nats.port, max_payload: 1024 * 1024 });
    expect(info.version).toMatch(/^2\./);
    expect(info.jetstream).toBeFalsy();
  });

  it('applies maxPayload through a config file and enables JetStream in the temp dir', async () => {
    nats = await startNats({ jetstream: true, maxPayload: 8 * 1024 * 1024 });
    const info = await readInfo(nats.port);
    expect(info.max_payload).toBe(8 * 1024 * 1024);
    expect(info.jetstream).toBe(true);
    expect(existsSync(join(nats.dir, 'nats-server.conf'))).toBe(true);
    expect(existsSync(join(nats.dir, 'jetstream'))).toBe(true);
  });

  it('restarts on the same port after a crash', async () => {
    nats = await startNats({ maxPayload: 2 * 1024 * 1024 });
    const first = (await readInfo(nats.port)).server_id;
    await nats.kill();
    await expect(readInfo(nats.port)).rejects.toThrow(/ECONNREFUSED/);
    await nats.restart();
    const info = await readInfo(nats.port);
    expect(info.server_id).not.toBe(first);
    expect(info.max_payload).toBe(2 * 1024 * 1024);
  });
});
