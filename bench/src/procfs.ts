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

/** Pins every thread of a running process to `cpus` (`taskset -a -cp`), before returning. */
export function pinProcess(cpus: string, pid: number): void {
  execFileSync('taskset', ['-a', '-cp', cpus, String(pid)], { stdio: 'ignore' });
}

/** The command and arguments that run `command args` on `cpus` (`taskset -c`, which execs: the pid stays the command's), or as they are. */
export function pinnedCommand(cpus: string | undefined, command: string, args: string[]): [string, string[]] {
  return cpus ? ['taskset', ['-c', cpus, command, ...args]] : [command, args];
}

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

/** One `cpu`/`cpuN` line of /proc/stat, in clock ticks (proc(5): user nice system idle iowait irq softirq steal ...). */
export interface SystemCpuTicks {
  /** "cpu" for the sum over all CPUs, else "cpu0", "cpu1", ... */
  name: string;
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  /** Time the hypervisor ran something else while this virtual CPU wanted to run. */
  steal: number;
}

/** The cpu lines of /proc/stat. guest times are already inside user and nice, so they are not read. */
export function parseSystemStat(text: string): SystemCpuTicks[] {
  const out: SystemCpuTicks[] = [];
  for (const line of text.split('\n')) {
    if (!/^cpu\d*\s/.test(line)) continue;
    const [name, ...fields] = line.trim().split(/\s+/);
    const n = fields.map(Number);
    if (n.length < 4 || n.some((v) => !Number.isFinite(v))) throw new Error(`bad /proc/stat line: ${JSON.stringify(line)}`);
    out.push({ name, user: n[0], nice: n[1], system: n[2], idle: n[3], iowait: n[4] ?? 0, irq: n[5] ?? 0, softirq: n[6] ?? 0, steal: n[7] ?? 0 });
  }
  return out;
}

export interface SystemCpuShare {
  name: string;
  /** Shares of the interval, in % of that CPU (the "cpu" line: of one CPU times the count, summed). */
  userSystemPercent: number;
  irqPercent: number;
  stealPercent: number;
  idlePercent: number;
  /** user + nice + system + irq + softirq + steal, in CPU seconds. */
  busySeconds: number;
  /** user + nice + system (what processes' utime + stime add up to), in CPU seconds. */
  processSeconds: number;
}

/** What each CPU did between two /proc/stat readings. */
export function systemCpuBetween(a: SystemCpuTicks[], b: SystemCpuTicks[], hz = clockTicksPerSecond()): SystemCpuShare[] {
  return b.map((end) => {
    const start = a.find((s) => s.name === end.name);
    if (!start) throw new Error(`${end.name} missing from the first /proc/stat reading`);
    const d = (k: keyof Omit<SystemCpuTicks, 'name'>) => end[k] - start[k];
    const processTicks = d('user') + d('nice') + d('system');
    const irqTicks = d('irq') + d('softirq');
    const idleTicks = d('idle') + d('iowait');
    const total = processTicks + irqTicks + d('steal') + idleTicks;
    const pct = (ticks: number) => (total > 0 ? (ticks / total) * 100 : 0);
    return {
      name: end.name,
      userSystemPercent: pct(processTicks),
      irqPercent: pct(irqTicks),
      stealPercent: pct(d('steal')),
      idlePercent: pct(idleTicks),
      busySeconds: (processTicks + irqTicks + d('steal')) / hz,
      processSeconds: processTicks / hz,
    };
  });
}

export function readSystemCpu(): SystemCpuTicks[] {
  return parseSystemStat(readFileSync('/proc/stat', 'utf8'));
}
