import { capacityOutcome, capacityRow, CAPACITY_HEADERS, judgeStep, lossPercent, shouldContinue, type CapacityStep, type StepVerdict } from './capacity';

const limits = { maxP99Ms: 1000, maxLossPercent: 1, maxLoadCpuPercent: 90, maxLoadLoopDelayMs: 100 };
const ok = { viewers: 100, p99Ms: 12, lossPercent: 0, loadCpuPercent: 30, loadLoopDelayP99Ms: 5 };
const pass: StepVerdict = { pass: true, saturated: false, reasons: [] };

describe('judgeStep', () => {
  it('passes a step within both limits, the limits themselves included', () => {
    expect(judgeStep(ok, limits)).toEqual(pass);
    expect(judgeStep({ ...ok, p99Ms: 1000, lossPercent: 1 }, limits).pass).toBe(true);
  });

  it('fails on p99 latency, on loss, and when no frame arrived at all', () => {
    expect(judgeStep({ ...ok, p99Ms: 1000.5 }, limits)).toEqual({ pass: false, saturated: false, reasons: ['p99 latency 1001 ms > 1000 ms'] });
    expect(judgeStep({ ...ok, lossPercent: 1.01 }, limits)).toEqual({ pass: false, saturated: false, reasons: ['loss 1.01 % > 1 %'] });
    expect(judgeStep({ ...ok, p99Ms: NaN, lossPercent: 100 }, limits).reasons).toEqual(['no video frame reached a viewer in the window', 'loss 100.00 % > 1 %']);
    expect(judgeStep({ ...ok, lossPercent: NaN }, limits).pass).toBe(false);
  });

  it('flags the load process as saturated by its CPU or its event-loop delay, apart from pass/fail', () => {
    const cpu = judgeStep({ ...ok, loadCpuPercent: 95 }, limits);
    expect(cpu).toEqual({ pass: true, saturated: true, reasons: ['load process at 95 % of a core (>= 90 %)'] });
    const delay = judgeStep({ ...ok, p99Ms: 2000, loadLoopDelayP99Ms: 150 }, limits);
    expect(delay.pass).toBe(false);
    expect(delay.saturated).toBe(true);
    expect(delay.reasons[1]).toMatch(/event-loop delay p99 150 ms/);
  });
});

describe('shouldContinue', () => {
  it('goes on only after a passing step with the load tool not saturated', () => {
    expect(shouldContinue(pass)).toBe(true);
    expect(shouldContinue({ pass: false, saturated: false, reasons: ['x'] })).toBe(false);
    expect(shouldContinue({ pass: true, saturated: true, reasons: ['x'] })).toBe(false);
  });
});

describe('capacityOutcome', () => {
  const fail: StepVerdict = { pass: false, saturated: false, reasons: ['p99 latency 1500 ms > 1000 ms'] };

  it('is the last passing step before the failing one, exact', () => {
    const outcome = capacityOutcome([{ viewers: 100, verdict: pass }, { viewers: 200, verdict: pass }, { viewers: 400, verdict: fail }], limits);
    expect(outcome.capacity).toBe(200);
    expect(outcome.lowerBound).toBe(false);
    expect(outcome.summary).toMatch(/^capacity 200 viewers .*400 viewers failed: p99 latency 1500 ms/);
  });

  it('is null when the first step fails', () => {
    expect(capacityOutcome([{ viewers: 100, verdict: fail }], limits)).toMatchObject({ capacity: null, lowerBound: false });
  });

  it('is a lower bound when the load tool saturated, whether that step passed or not', () => {
    const passed = capacityOutcome([{ viewers: 100, verdict: pass }, { viewers: 200, verdict: { pass: true, saturated: true, reasons: ['load'] } }], limits);
    expect(passed).toMatchObject({ capacity: 200, lowerBound: true });
    expect(passed.summary).toMatch(/saturated at 200 viewers: the capacity .* is at least 200 viewers/);
    const failed = capacityOutcome([{ viewers: 100, verdict: pass }, { viewers: 200, verdict: { pass: false, saturated: true, reasons: ['loss 5.00 % > 1 %', 'load'] } }], limits);
    expect(failed).toMatchObject({ capacity: 100, lowerBound: true });
    expect(failed.summary).toMatch(/that step failed \(loss 5\.00 % > 1 %\), which the load tool may have caused/);
  });

  it('is a lower bound when every step passed', () => {
    expect(capacityOutcome([{ viewers: 100, verdict: pass }, { viewers: 200, verdict: pass }], limits)).toMatchObject({ capacity: 200, lowerBound: true });
    expect(capacityOutcome([], limits)).toMatchObject({ capacity: null, summary: 'no step was run' });
  });
});

describe('lossPercent', () => {
  it('counts what the viewers missed, viewers that failed to connect as receiving nothing', () => {
    expect(lossPercent([100, 100], 0, 100)).toBe(0);
    expect(lossPercent([100, 50], 0, 100)).toBe(25);
    expect(lossPercent([100, 100, 100], 1, 100)).toBe(25);
  });

  it('does not let duplicates make up for losses', () => {
    expect(lossPercent([150, 50], 0, 100)).toBe(25);
  });

  it('is 100 % without viewers or without messages to expect', () => {
    expect(lossPercent([], 0, 100)).toBe(100);
    expect(lossPercent([], 3, 100)).toBe(100);
    expect(lossPercent([5], 0, 0)).toBe(100);
  });
});

describe('capacityRow', () => {
  const step: CapacityStep = {
    viewers: 800, playing: 798, connectErrors: 1, disconnects: 1, windowSeconds: 10, expectedPerViewer: 730, lossPercent: 0.25,
    latencyMs: { count: 240000, p50: 6.04, p90: 20, p99: 41.26, max: 120.4 }, deliveredMbitPerSecond: 2140.4, serverCpuPercent: 55.55,
    serverCpuSecondsPerGB: 2.074, relayCpuPercent: null, serverRssMiB: 180.2, loadCpuPercent: 91.2, loadLoopDelayP99Ms: 33.33,
    otherProcessesCpuPercent: 2, serverProblems: 0, verdict: { pass: true, saturated: true, reasons: ['load process at 91 % of a core (>= 90 %)'] },
  };

  it('has a cell per header and shows the verdict with its reasons', () => {
    const row = capacityRow(step);
    expect(row).toHaveLength(CAPACITY_HEADERS.length);
    expect(row).toEqual([
      '800', '798', '1 / 1', '2140', '55.5%', '-', '2.07', '180', '6.0 / 41.3 / 120', '0.25', '91%', '33.3',
      'pass (load saturated): load process at 91 % of a core (>= 90 %)',
    ]);
  });

  it('shows the relay CPU on the cluster path and dashes for missing latencies', () => {
    const row = capacityRow({ ...step, relayCpuPercent: 4.44, latencyMs: { count: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN }, verdict: { pass: false, saturated: false, reasons: ['x'] } });
    expect(row[5]).toBe('4.4%');
    expect(row[8]).toBe('- / - / -');
    expect(row[12]).toBe('FAIL: x');
  });
});
