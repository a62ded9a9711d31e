/**
 * Process CPU time and memory from Linux procfs, for the process under test (the edge) and for ourselves.
 *
 * /proc/<pid>/stat (proc(5)): "pid (comm) state ppid ..." where comm may itself contain spaces and parentheses,
 * so fields are counted after the LAST ')'. utime and stime are fields 14 and 15 (1-based), in clock ticks
 * (sysconf(_SC_CLK_TCK), `getconf CLK_TCK`, 100 on every Linux this runs on), summed over all threads of the
 * process (JS thread, GC helpers, libuv pool). Children's times (cutime, cstime) are not included: the edge has none.
 * /proc/<pid>/status: "VmRSS:   123456 kB" (resident now) and "VmHWM:" (peak resident).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcCpuTicks {
  /** User-mode time in clock ticks. */
  utime: number;
  /** Kernel-mode time in clock ticks. */
  stime: number;
}

/** Parses the utime and stime fields of a /proc/<pid>/stat line. */
export function parseProcStat(text: string): ProcCpuTicks {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error(`not a /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  // After "pid (comm)": field 3 (state) is at index 0, so field N is at index N - 3.
  const fields = text.slice(close + 1).trim().split(/\s+/);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) {
    throw new Error(`/proc/<pid>/stat without numeric utime/stime: ${JSON.stringify(text.slice(0, 200))}`);
  }
  return { utime, stime };
}

/** A "Name:   value kB" line of /proc/<pid>/status, in bytes; undefined when absent (kernel threads, zombies). */
export function parseProcStatusKb(text: string, field: 'VmRSS' | 'VmHWM' | 'VmSize'): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return match ? Number(match[1]) * 1024 : undefined;
}

let cachedTicks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`); 100 if getconf is unavailable. */
export function clockTicksPerSecond(): number {
  if (cachedTicks === undefined) {
    try {
      const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      cachedTicks = Number.isInteger(value) && value > 0 ? value : 100;
    } catch {
      cachedTicks = 100;
    }
  }
  return cachedTicks;
}

export interface CpuTimes {
  user: number;
  system: number;
}

/** User and system CPU seconds a process has used so far. */
export function readCpuTimes(pid: number): CpuTimes {
  const { utime, stime } = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  const hz = clockTicksPerSecond();
  return { user: utime / hz, system: stime / hz };
}

/** CPU seconds (user + system) a process has used so far. */
export function readCpuSeconds(pid: number): number {
  const { user, system } = readCpuTimes(pid);
  return user + system;
}

export interface ProcMemory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size, bytes. */
  hwm: number;
}

export function readMemory(pid: number): ProcMemory {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rss: parseProcStatusKb(text, 'VmRSS') ?? 0, hwm: parseProcStatusKb(text, 'VmHWM') ?? 0 };
}
