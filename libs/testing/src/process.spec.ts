import { join } from 'node:path';
import { killAllManaged, OUTPUT_CAP_CHARS, runningManaged, spawnManaged } from './process';

const node = process.execPath;
jest.setTimeout(20_000);

afterAll(() => killAllManaged('SIGKILL'));

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL'); // do not leak it even when the test fails
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('spawnManaged', () => {
  it('collects stdout and stderr and resolves waitForOutput with the match', async () => {
    const proc = spawnManaged(node, ['-e', 'console.log("hello"); console.error("listening on port 4321"); setInterval(() => {}, 1000)'], {
      name: 'greeter',
    });
    expect(proc.pid).toBeGreaterThan(0);
    const match = await proc.waitForOutput(/listening on port (\d+)/g, 5000);
    expect(match[1]).toBe('4321');
    expect(proc.output()).toContain('hello');
    // Text printed earlier still counts.
    await expect(proc.waitForOutput(/hello/, 100)).resolves.toBeTruthy();
    await proc.kill();
    expect(proc.exitStatus()).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('passes env on top of process.env, and cwd', async () => {
    const proc = spawnManaged(node, ['-e', 'console.log(process.env.MY_VAR, typeof process.env.PATH, process.cwd())'], {
      env: { MY_VAR: 'xyz' },
      cwd: '/tmp',
    });
    await expect(proc.waitForExit(5000)).resolves.toEqual({ code: 0, signal: null });
    expect(proc.output().trim()).toBe('xyz string /tmp');
  });

  it('rejects waitForOutput with the exit code and the output when the process exits first', async () => {
    const proc = spawnManaged(node, ['-e', 'console.error("fatal: config is broken"); process.exit(3)'], { name: 'broken' });
    const err = (await proc.waitForOutput(/ready/, 5000).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain('broken (pid');
    expect(err.message).toContain('exit code 3');
    expect(err.message).toContain('fatal: config is broken');
    // Also when asked after the fact.
    await expect(proc.waitForOutput(/ready/, 5000)).rejects.toThrow(/exit code 3[\s\S]*config is broken/);
  });

  it('rejects waitForOutput on timeout with the last 2 KB of output, leaving the process running', async () => {
    const proc = spawnManaged(node, ['-e', 'console.log("x".repeat(10000) + "END"); setInterval(() => {}, 1000)']);
    await proc.waitForOutput(/END/, 5000);
    const err = (await proc.waitForOutput(/never/, 200).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/did not match \/never\/ within 200 ms \(still running\)/);
    expect(err.message).toContain('END');
    expect(err.message.length).toBeLessThan(2500);
    expect(proc.exitStatus()).toBeUndefined();
    await proc.kill();
  });

  it('caps the collected output to the last ~4 MiB', async () => {
    const proc = spawnManaged(node, [
      '-e',
      'const line = "y".repeat(1023) + "\\n"; let n = 6 * 1024; (function w() { while (n > 0) { n--; if (!process.stdout.write(line)) return process.stdout.once("drain", w); } process.stdout.write("LAST\\n"); })()',
    ]);
    await expect(proc.waitForExit(10_000)).resolves.toEqual({ code: 0, signal: null });
    const out = proc.output();
    expect(out.length).toBeLessThanOrEqual(OUTPUT_CAP_CHARS);
    expect(out.length).toBeGreaterThan(OUTPUT_CAP_CHARS - 2048);
    expect(out.endsWith('LAST\n')).toBe(true);
  });

  it('waitForExit rejects on timeout', async () => {
    const proc = spawnManaged(node, ['-e', 'setInterval(() => {}, 1000)']);
    await expect(proc.waitForExit(100)).rejects.toThrow(/did not exit within 100 ms/);
    await proc.kill();
  });

  it('kill() escalates to SIGKILL after 5 s when SIGTERM is ignored', async () => {
    const proc = spawnManaged(node, ['-e', 'process.on("SIGTERM", () => console.log("ignoring")); console.log("up"); setInterval(() => {}, 1000)']);
    await proc.waitForOutput(/up/, 5000);
    const started = Date.now();
    await proc.kill();
    expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
    expect(proc.exitStatus()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(proc.output()).toContain('ignoring');
    await proc.kill(); // already gone: resolves at once
  });

  it('killAllManaged() stops every running child and empties the registry', async () => {
    const a = spawnManaged(node, ['-e', 'setInterval(() => {}, 1000)']);
    const b = spawnManaged(node, ['-e', 'setInterval(() => {}, 1000)']);
    expect(runningManaged()).toEqual(expect.arrayContaining([a, b]));
    await killAllManaged();
    expect(a.exitStatus()?.signal).toBe('SIGTERM');
    expect(b.exitStatus()?.signal).toBe('SIGTERM');
    expect(runningManaged()).toEqual([]);
    expect(() => process.kill(a.pid, 0)).toThrow();
  });

  it.each([
    ['process.exit()', 'process.exit(0)'],
    ['an uncaught exception', 'throw new Error("boom")'],
  ])('kills children still running when the parent exits via %s', async (_how, ending) => {
    // A separate node process loads process.ts with node's built-in type stripping, starts a child, then dies.
    const script = [
      `const { spawnManaged } = require(${JSON.stringify(join(__dirname, 'process.ts'))});`,
      `const child = spawnManaged(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);`,
      `console.log('child=' + child.pid);`,
      `setTimeout(() => { ${ending} }, 100);`,
    ].join('\n');
    const parent = spawnManaged(node, ['--disable-warning=ExperimentalWarning', '-e', script], { name: 'parent' });
    const [, pid] = await parent.waitForOutput(/child=(\d+)/, 10_000);
    await parent.waitForExit(10_000);
    expect(await gone(Number(pid), 3000)).toBe(true);
  });

  it('throws at once when the command cannot be spawned', () => {
    expect(() => spawnManaged('/nonexistent/binary', [])).toThrow(/failed to spawn \/nonexistent\/binary/);
  });
});
