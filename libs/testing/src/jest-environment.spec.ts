import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { spawnManaged } from './process';

// The workspace's jest environment (scripts/jest-environment.js), driven directly: what a test file left listed as
// running is killed at teardown, and a file that cleaned up after itself is left alone.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const IngestTestEnvironment = require(join(__dirname, '..', '..', '..', 'scripts', 'jest-environment.js'));

interface Environment {
  global: { __ingestManagedPids?: Map<number, string> };
  setup(): Promise<void>;
  teardown(): Promise<void>;
  report(line: string): void;
}

function environment(): Environment {
  return new IngestTestEnvironment(
    { globalConfig: {}, projectConfig: { testEnvironmentOptions: {}, globals: {} } },
    { testPath: '/x/leaky.e2e.spec.ts', console, docblockPragmas: {} },
  );
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('jest environment: processes a test file left running', () => {
  test('are killed at teardown, with one line naming them', async () => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    const exited = once(child, 'exit');
    const env = environment();
    await env.setup();
    env.global.__ingestManagedPids = new Map([[child.pid as number, 'sleep']]);
    const report = jest.spyOn(env, 'report').mockImplementation(() => undefined);
    await env.teardown();
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
    expect(alive(child.pid as number)).toBe(false);
    expect(report).toHaveBeenCalledTimes(1);
    expect(report.mock.calls[0][0]).toMatch(/leaky\.e2e\.spec\.ts: killed 1 process\(es\) the file left running: sleep \(pid \d+\)/);
  });

  test('leave alone a file that stopped what it started', async () => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const env = environment();
      await env.setup();
      env.global.__ingestManagedPids = new Map();
      const report = jest.spyOn(env, 'report').mockImplementation(() => undefined);
      await env.teardown();
      expect(report).not.toHaveBeenCalled();
      expect(alive(child.pid as number)).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('@ingest/testing lists its running processes on the global object', () => {
  test('a spawned process is listed while it runs and unlisted once it exits', async () => {
    const holder = globalThis as { __ingestManagedPids?: Map<number, string> };
    const managed = spawnManaged('sleep', ['60'], { name: 'sleeper' });
    expect(holder.__ingestManagedPids?.get(managed.pid)).toBe('sleeper');
    await managed.kill('SIGKILL');
    expect(holder.__ingestManagedPids?.has(managed.pid)).toBe(false);
  });
});
