/**
 * The capacity scenario's rules (pure: figures in, verdicts out): when a step passes, when the load process
 * itself is the bottleneck, when to stop, and what the capacity is.
 */

export interface CapacityLimits {
  /** A step fails when its p99 latency is above this (ms). */
  maxP99Ms: number;
  /** A step fails when its loss is above this (%). */
  maxLossPercent: number;
  /** The load process is saturated when its CPU over the window reaches this (% of one core) ... */
  maxLoadCpuPercent: number;
  /** ... or its event-loop delay p99 reaches this (ms): every latency sample then includes its own queueing. */
  maxLoadLoopDelayMs: number;
}

/** Event-loop delay p99 of the load process at which it counts as saturated (ms). */
export const MAX_LOAD_LOOP_DELAY_MS = 100;

export interface StepFigures {
  viewers: number;
  /** NaN when no video message of the window reached any viewer. */
  p99Ms: number;
  lossPercent: number;
  loadCpuPercent: number;
  loadLoopDelayP99Ms: number;
}

export interface StepVerdict {
  pass: boolean;
  /** The load process was saturated in this window: the step's figures are bounded by the load tool. */
  saturated: boolean;
  /** Why it failed, and why it counts as saturated. */
  reasons: string[];
}

export function judgeStep(f: StepFigures, limits: CapacityLimits): StepVerdict {
  const reasons: string[] = [];
  if (Number.isNaN(f.p99Ms)) reasons.push('no video frame reached a viewer in the window');
  else if (f.p99Ms > limits.maxP99Ms) reasons.push(`p99 latency ${f.p99Ms.toFixed(0)} ms > ${limits.maxP99Ms} ms`);
  if (!(f.lossPercent <= limits.maxLossPercent)) reasons.push(`loss ${f.lossPercent.toFixed(2)} % > ${limits.maxLossPercent} %`);
  const pass = reasons.length === 0;
  let saturated = false;
  if (f.loadCpuPercent >= limits.maxLoadCpuPercent) {
    saturated = true;
    reasons.push(`load process at ${f.loadCpuPercent.toFixed(0)} % of a core (>= ${limits.maxLoadCpuPercent} %)`);
  }
  if (f.loadLoopDelayP99Ms >= limits.maxLoadLoopDelayMs) {
    saturated = true;
    reasons.push(`load process event-loop delay p99 ${f.loadLoopDelayP99Ms.toFixed(0)} ms (>= ${limits.maxLoadLoopDelayMs} ms)`);
  }
  return { pass, saturated, reasons };
}

/** Whether to go on to the next step after this one. */
export function shouldContinue(verdict: StepVerdict): boolean {
  return verdict.pass && !verdict.saturated;
}

export interface CapacityOutcome {
  /** The largest step that passed, every step before it passing too; null when the first step failed. */
  capacity: number | null;
  /** True when the real capacity may be higher: the load process saturated, or every step passed. */
  lowerBound: boolean;
  /** One sentence for the output. */
  summary: string;
}

/** The outcome of the steps run so far (in order; the run stops after the first that fails or saturates). */
export function capacityOutcome(steps: ReadonlyArray<{ viewers: number; verdict: StepVerdict }>, limits: CapacityLimits): CapacityOutcome {
  let capacity: number | null = null;
  for (const step of steps) {
    if (!step.verdict.pass) break;
    capacity = step.viewers;
  }
  const last = steps.at(-1);
  const criteria = `p99 <= ${limits.maxP99Ms} ms and loss <= ${limits.maxLossPercent} %`;
  if (!last) return { capacity: null, lowerBound: true, summary: 'no step was run' };
  const at = capacity === null ? 'below the first step' : `${capacity} viewers`;
  if (last.verdict.saturated) {
    const failed = last.verdict.pass ? '' : `; that step failed (${last.verdict.reasons[0]}), which the load tool may have caused`;
    return {
      capacity,
      lowerBound: true,
      summary:
        `the load process saturated at ${last.viewers} viewers${failed}: the capacity (${criteria}) is at least ${at}, ` +
        'a lower bound set by the load tool, not by the server',
    };
  }
  if (last.verdict.pass) {
    return { capacity, lowerBound: true, summary: `every step passed (${criteria}): the capacity is at least ${at}; add larger --steps` };
  }
  return {
    capacity,
    lowerBound: false,
    summary: `capacity ${at} (${criteria}); ${last.viewers} viewers failed: ${last.verdict.reasons.join('; ')}`,
  };
}

/**
 * Loss of one step, in %: the window's messages its viewers did not receive, out of what they all should have.
 * `received` is per viewer that played in the step (each capped at `expectedPerViewer`: a duplicate is not a
 * delivery); `failedToConnect` viewers count as receiving nothing.
 */
export function lossPercent(received: readonly number[], failedToConnect: number, expectedPerViewer: number): number {
  const viewers = received.length + failedToConnect;
  if (viewers === 0 || expectedPerViewer <= 0) return 100;
  const got = received.reduce((n, r) => n + Math.min(r, expectedPerViewer), 0);
  return (1 - got / (viewers * expectedPerViewer)) * 100;
}

/** One step's figures, as recorded and shown. */
export interface CapacityStep {
  viewers: number;
  /** Viewers still playing at the window's end. */
  playing: number;
  /** This step's viewers that could not connect, and the step's viewers disconnected by its end. */
  connectErrors: number;
  disconnects: number;
  windowSeconds: number;
  /** The window's messages (audio + video) each viewer should have received. */
  expectedPerViewer: number;
  lossPercent: number;
  latencyMs: { count: number; p50: number; p90: number; p99: number; max: number };
  deliveredMbitPerSecond: number;
  serverCpuPercent: number;
  serverCpuSecondsPerGB: number;
  /** Edge + nats-server, % of one core; null on the single and nms paths. */
  relayCpuPercent: number | null;
  serverRssMiB: number;
  loadCpuPercent: number;
  loadLoopDelayP99Ms: number;
  otherProcessesCpuPercent: number;
  /** Warn-level lines the servers logged during the step. */
  serverProblems: number;
  verdict: StepVerdict;
}

const num = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');

export const CAPACITY_HEADERS = [
  'viewers', 'playing', 'connect errors / disconnects', 'delivered Mbit/s', 'server CPU', 'edge + nats CPU', 'server CPU-s/GB',
  'server RSS MiB', 'latency ms p50 / p99 / max', 'loss %', 'bench CPU', 'bench event-loop p99 ms', 'result',
];

export function capacityRow(s: CapacityStep): string[] {
  const l = s.latencyMs;
  const v = s.verdict;
  const result = `${v.pass ? 'pass' : 'FAIL'}${v.saturated ? ' (load saturated)' : ''}`;
  return [
    String(s.viewers),
    String(s.playing),
    `${s.connectErrors} / ${s.disconnects}`,
    num(s.deliveredMbitPerSecond, 0),
    `${num(s.serverCpuPercent, 1)}%`,
    s.relayCpuPercent === null ? '-' : `${num(s.relayCpuPercent, 1)}%`,
    num(s.serverCpuSecondsPerGB, 2),
    num(s.serverRssMiB, 0),
    `${num(l.p50, 1)} / ${num(l.p99, 1)} / ${num(l.max, 0)}`,
    num(s.lossPercent, 2),
    `${num(s.loadCpuPercent, 0)}%`,
    num(s.loadLoopDelayP99Ms, 1),
    v.reasons.length > 0 ? `${result}: ${v.reasons.join('; ')}` : result,
  ];
}
