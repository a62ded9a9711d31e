import { spawn, type ChildProcess } from 'node:child_process';
import { basename } from 'node:path';

export interface SpawnManagedOptions {
  /** Added to (not replacing) process.env; a key set to undefined removes that variable. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Used in error messages; defaults to the command's basename. */
  name?: string;
  /** 'ignore' (default: stdin is /dev/null) or 'pipe' to write to `child.stdin`. */
  stdin?: 'ignore' | 'pipe';
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout and stderr interleaved as received, capped to the last ~4 MiB. */
  output(): string;
  /** The exit status once the process has exited, else undefined. */
  exitStatus(): ExitStatus | undefined;
  /**
   * Resolves with the first match of `re` in the output so far (already printed text counts), waiting for more
   * output as needed. Rejects on timeout, or if the process exits first, with the exit status and the last 2 KB.
   */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves once the process has exited and its output is complete; rejects on timeout (the process is left running). */
  waitForExit(timeoutMs?: number): Promise<ExitStatus>;
  /** Sends `signal` (default SIGTERM), then SIGKILL after 5 s if still alive; resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export const OUTPUT_CAP_CHARS = 4 * 1024 * 1024;
const ERROR_TAIL_CHARS = 2048;
const KILL_GRACE_MS = 5000;
/** After 'exit', how long to wait for the pipes to close (a grandchild may hold them open) before giving up on them. */
const PIPE_CLOSE_GRACE_MS = 1000;

const registry = new Set<Managed>();
let exitHookInstalled = false;

/** Last resort when the test process exits (normally or via process.exit): no child may outlive it. */
function killAllOnExit(): void {
  for (const managed of registry) managed.signal('SIGKILL');
}

/**
 * The same processes by pid, on the test file's global object: the workspace's jest environment
 * (scripts/jest-environment.js) kills whatever is still listed there when the file is done, so a suite whose
 * set-up failed half-way (and so never stopped what it had started) leaves nothing running for the next file.
 */
function globalPids(): Map<number, string> {
  const holder = globalThis as { __ingestManagedPids?: Map<number, string> };
  return (holder.__ingestManagedPids ??= new Map());
}

function track(managed: Managed): void {
  registry.add(managed);
  globalPids().set(managed.pid, managed.name);
  if (!exitHookInstalled) {
    process.on('exit', killAllOnExit);
    exitHookInstalled = true;
  }
}

function untrack(managed: Managed): void {
  registry.delete(managed);
  globalPids().delete(managed.pid);
  // Detach while nothing runs, so test files that clean up after themselves do not pile up 'exit' listeners.
  if (registry.size === 0 && exitHookInstalled) {
    process.off('exit', killAllOnExit);
    exitHookInstalled = false;
  }
}

function describeStatus(status: ExitStatus | undefined): string {
  if (status === undefined) return 'still running';
  return status.signal !== null ? `killed by ${status.signal}` : `exit code ${String(status.code)}`;
}

// Only erasable TypeScript syntax here (no parameter properties): the exit-hook test loads this file with node's
// built-in type stripping in a separate process.
class Managed implements ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  private buffer = '';
  private status: ExitStatus | undefined;
  private ended = false;
  private readonly endedPromise: Promise<void>;
  private markEnded: () => void = () => undefined;
  private readonly watchers = new Set<() => void>();

  constructor(name: string, child: ChildProcess, echo: boolean) {
    this.name = name;
    this.child = child;
    if (child.pid === undefined) {
      child.on('error', () => undefined);
      throw new Error(`${name}: failed to spawn ${child.spawnfile} (not found or not executable)`);
    }
    this.pid = child.pid;
    this.endedPromise = new Promise<void>((resolve) => (this.markEnded = resolve));

    const onData = (chunk: string): void => {
      this.append(chunk);
      if (echo) process.stderr.write(chunk.replace(/^(?=.)/gm, `[${name}] `));
    };
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', onData);
    }
    child.on('error', (err) => this.append(`\n[${name}] ${err.message}\n`));
    child.once('exit', (code, signal) => {
      this.status = { code, signal };
      untrack(this);
      const grace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        this.end();
      }, PIPE_CLOSE_GRACE_MS);
      grace.unref();
      child.once('close', () => clearTimeout(grace));
    });
    child.once('close', (code, signal) => {
      this.status ??= { code, signal };
      untrack(this);
      this.end();
    });
    track(this);
  }

  output(): string {
    return this.buffer.length > OUTPUT_CAP_CHARS ? this.buffer.slice(-OUTPUT_CAP_CHARS) : this.buffer;
  }

  exitStatus(): ExitStatus | undefined {
    return this.status;
  }

  /** Sends a signal if the process is still running; never throws. */
  signal(sig: NodeJS.Signals): void {
    if (this.status !== undefined) return;
    try {
      this.child.kill(sig);
    } catch {
      // already gone
    }
  }

  waitForOutput(re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const matcher = new RegExp(re.source, re.flags.replace(/[gy]/g, ''));
    const exitedEarly = (): Error =>
      this.error(`exited (${describeStatus(this.status)}) before its output matched ${String(re)}`);
    return new Promise((resolve, reject) => {
      const first = this.buffer.match(matcher);
      if (first) return resolve(first);
      if (this.ended) return reject(exitedEarly());
      const check = (): void => {
        const match = this.buffer.match(matcher);
        if (match === null && !this.ended) return;
        this.watchers.delete(check);
        clearTimeout(timer);
        if (match) resolve(match);
        else reject(exitedEarly());
      };
      const timer = setTimeout(() => {
        this.watchers.delete(check);
        reject(this.error(`output did not match ${String(re)} within ${timeoutMs} ms (${describeStatus(this.status)})`));
      }, timeoutMs);
      this.watchers.add(check);
    });
  }

  waitForExit(timeoutMs = 10_000): Promise<ExitStatus> {
    return new Promise((resolve, reject) => {
      if (this.ended) return resolve(this.status as ExitStatus);
      const timer = setTimeout(
        () => reject(this.error(`did not exit within ${timeoutMs} ms (${describeStatus(this.status)})`)),
        timeoutMs,
      );
      void this.endedPromise.then(() => {
        clearTimeout(timer);
        resolve(this.status as ExitStatus);
      });
    });
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.ended) return;
    this.signal(signal);
    const escalate = setTimeout(() => this.signal('SIGKILL'), KILL_GRACE_MS);
    try {
      await this.endedPromise;
    } finally {
      clearTimeout(escalate);
    }
  }

  private append(chunk: string): void {
    this.buffer += chunk;
    // Trim in steps so a chatty process does not copy 4 MiB on every chunk.
    if (this.buffer.length > OUTPUT_CAP_CHARS * 1.25) this.buffer = this.buffer.slice(-OUTPUT_CAP_CHARS);
    for (const watcher of [...this.watchers]) watcher();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.markEnded();
    for (const watcher of [...this.watchers]) watcher();
  }

  private error(what: string): Error {
    const out = this.output();
    const tail = out.length > ERROR_TAIL_CHARS ? `...${out.slice(-ERROR_TAIL_CHARS)}` : out;
    return new Error(`${this.name} (pid ${this.pid}) ${what}; last output:\n${tail || '(no output)'}`);
  }
}

/**
 * Spawns a real process (never detached) whose output is collected and which is killed when the test process
 * exits if nobody stopped it before. Set INGEST_TEST_ECHO=1 to copy children's output to stderr while debugging.
 */
export function spawnManaged(command: string, args: string[], options: SpawnManagedOptions = {}): ManagedProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    detached: false,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  return new Managed(options.name ?? basename(command), child, process.env.INGEST_TEST_ECHO === '1');
}

/** Managed processes still running in this module instance (i.e. this test file). */
export function runningManaged(): ManagedProcess[] {
  return [...registry];
}

/** Kills every managed process still running (signal, then SIGKILL after 5 s); resolves once all have exited. */
export async function killAllManaged(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  await Promise.all([...registry].map((managed) => managed.kill(signal)));
}
