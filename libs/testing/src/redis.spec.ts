import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { killAllManaged } from './process';
import { startRedis, type RedisServer } from './redis';
import { cleanupTempDirs } from './tmp';

jest.setTimeout(30_000);

/** Sends raw RESP over a fresh TCP connection and resolves with the reply once it matches `until`. */
function resp(port: number, request: string, until = /\r\n$/): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${JSON.stringify(request)}; got ${JSON.stringify(reply)}`));
    }, 5000);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (until.test(reply)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(reply);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

const PING = '*1\r\n$4\r\nPING\r\n';
const command = (...parts: string[]): string =>
  `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;

afterAll(async () => {
  await killAllManaged('SIGKILL');
  await cleanupTempDirs();
});

describe('startRedis', () => {
  let redis: RedisServer;
  afterEach(() => redis?.stop());

  it('starts a private server on a loopback port that answers PING', async () => {
    redis = await startRedis();
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(await resp(redis.port, PING)).toBe('+PONG\r\n');
    expect(redis.process.output()).toMatch(/Ready to accept connections/);
  });

  it('survives kill -9 and restarts on the same port', async () => {
    redis = await startRedis();
    const { port } = redis;
    const firstPid = redis.process.pid;
    await redis.kill(); // SIGKILL
    expect(redis.process.exitStatus()).toEqual({ code: null, signal: 'SIGKILL' });
    await expect(resp(port, PING)).rejects.toThrow(/ECONNREFUSED/);
    await redis.restart();
    expect(redis.port).toBe(port);
    expect(redis.process.pid).not.toBe(firstPid);
    expect(await resp(port, PING)).toBe('+PONG\r\n');
  });

  it('keeps data across a crash with appendonly, in the same dir', async () => {
    redis = await startRedis({ appendonly: true });
    expect(await resp(redis.port, command('SET', 'k', 'v1'))).toBe('+OK\r\n');
    await redis.kill('SIGKILL');
    await redis.restart();
    expect(await resp(redis.port, command('GET', 'k'), /v1\r\n$/)).toBe('$2\r\nv1\r\n');
  });

  it('runs without persistence by default, and stop() removes its temporary dir', async () => {
    redis = await startRedis();
    expect(await resp(redis.port, command('CONFIG', 'GET', 'save'), /save\r\n\$\d+\r\n.*\r\n$/)).toBe(
      '*2\r\n$4\r\nsave\r\n$0\r\n\r\n',
    );
    expect(await resp(redis.port, command('CONFIG', 'GET', 'appendonly'), /no\r\n$/)).toContain('no');
    const { dir } = redis;
    expect(existsSync(dir)).toBe(true);
    await redis.stop();
    expect(redis.process.exitStatus()).toEqual({ code: 0, signal: null });
    expect(existsSync(dir)).toBe(false);
  });
});
