import { clockTicksPerSecond, parseProcStat, parseProcStatusKb, parseSystemStat, readCpuSeconds, readMemory, systemCpuBetween } from './procfs';

// Fields 1..22 of proc(5): pid comm state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
// utime(14) stime(15) cutime cstime priority nice num_threads itrealvalue starttime ...
const line = (comm: string, utime: number, stime: number): string =>
  `4242 (${comm}) S 1 4242 4242 0 -1 4194560 21734 0 12 0 ${utime} ${stime} 7 9 20 0 11 0 123456 1192468480 21447 18446744073709551615\n`;

describe('parseProcStat', () => {
  it('reads utime and stime (fields 14 and 15) in clock ticks, without the children times', () => {
    expect(parseProcStat(line('node', 1234, 56))).toEqual({ utime: 1234, stime: 56 });
  });

  it('counts fields after the last parenthesis, so a command name with spaces and parentheses does not shift them', () => {
    expect(parseProcStat(line('we ird) (name', 10, 20))).toEqual({ utime: 10, stime: 20 });
    expect(parseProcStat(line(')', 3, 4))).toEqual({ utime: 3, stime: 4 });
  });

  it('rejects text that is not a stat line', () => {
    expect(() => parseProcStat('')).toThrow(/not a \/proc/);
    expect(() => parseProcStat('1 (x) S 1 2')).toThrow(/utime\/stime/);
  });
});

describe('parseProcStatusKb', () => {
  const status = 'Name:\tnode\nVmPeak:\t 1300000 kB\nVmSize:\t 1164520 kB\nVmHWM:\t   98304 kB\nVmRSS:\t   85796 kB\nThreads:\t11\n';
  it('reads VmRSS and VmHWM in bytes', () => {
    expect(parseProcStatusKb(status, 'VmRSS')).toBe(85796 * 1024);
    expect(parseProcStatusKb(status, 'VmHWM')).toBe(98304 * 1024);
  });
  it('is undefined when the field is absent (kernel threads, zombies)', () => {
    expect(parseProcStatusKb('Name:\tkthreadd\nState:\tS\n', 'VmRSS')).toBeUndefined();
  });
});

const linux = process.platform === 'linux' ? describe : describe.skip;
linux('on this process', () => {
  it('agrees with process.cpuUsage() within a few ticks', () => {
    const end = Date.now() + 200;
    while (Date.now() < end) Math.sqrt(Math.random());
    const usage = process.cpuUsage();
    const fromNode = (usage.user + usage.system) / 1e6;
    const fromProc = readCpuSeconds(process.pid);
    expect(clockTicksPerSecond()).toBeGreaterThan(0);
    // /proc counts every thread and ticks are coarse; process.cpuUsage is per process too (getrusage).
    expect(Math.abs(fromProc - fromNode)).toBeLessThan(0.2);
    expect(readMemory(process.pid).rss).toBeGreaterThan(10 * 1024 * 1024);
  });
});

describe('parseSystemStat and systemCpuBetween', () => {
  const at = (t: number) =>
    `cpu  ${100 + 60 * t} 0 ${50 + 20 * t} ${1000 + 110 * t} 5 0 ${3 + 8 * t} ${1 + 2 * t} 0 0\n` +
    `cpu0 ${50 + 50 * t} 0 ${25 + 10 * t} ${500 + 38 * t} 2 0 ${1 + 2 * t} 0 0 0\n` +
    `cpu1 ${50 + 10 * t} 0 ${25 + 10 * t} ${500 + 72 * t} 3 0 ${2 + 6 * t} ${1 + 2 * t} 0 0\n` +
    'intr 1 2 3\nctxt 99\n';

  it('reads every cpu line and nothing else', () => {
    const lines = parseSystemStat(at(0));
    expect(lines.map((l) => l.name)).toEqual(['cpu', 'cpu0', 'cpu1']);
    expect(lines[2]).toEqual({ name: 'cpu1', user: 50, nice: 0, system: 25, idle: 500, iowait: 3, irq: 0, softirq: 2, steal: 1 });
  });

  it('splits each CPU\'s interval into processes, interrupts, steal and idle', () => {
    const [all, cpu0, cpu1] = systemCpuBetween(parseSystemStat(at(0)), parseSystemStat(at(1)), 100);
    expect(cpu0).toEqual({ name: 'cpu0', userSystemPercent: 60, irqPercent: 2, stealPercent: 0, idlePercent: 38, busySeconds: 0.62, processSeconds: 0.6 });
    expect(cpu1).toMatchObject({ userSystemPercent: 20, irqPercent: 6, stealPercent: 2, idlePercent: 72 });
    expect(all).toMatchObject({ name: 'cpu', userSystemPercent: 40, irqPercent: 4, stealPercent: 1, processSeconds: 0.8 });
    expect(all.idlePercent).toBeCloseTo(55, 10);
  });
});
