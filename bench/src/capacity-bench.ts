/**
 * Scenario capacity: one real-time publisher, viewers added step by step on one server (any fan-out path, the
 * peer included), until a step's p99 latency or loss passes its limit or this load process saturates.
 *
 * The servers and the publisher are those of the fanout scenario (fanout-servers.ts, fanout-load.ts) and stay up
 * for the whole run. Each step:
 * 1. tops the playing viewers up to the step's count (replacing any that were disconnected), spread over
 *    `--connect-seconds`;
 * 2. waits `--settle` seconds, then measures a `--seconds` window exactly as fanout does (per viewer, the exact
 *    count of the window's messages; for every video message, publisher write to viewer receive), and gives the
 *    viewers up to 3 s to receive what was still in flight;
 * 3. loss = the window's messages the step's viewers did not receive, out of (viewers x the publisher's messages);
 *    a viewer that could not connect or was disconnected counts as receiving nothing from then on;
 * 4. judges it (capacity.ts): fail when p99 > --max-p99-ms or loss > --max-loss; saturated when this process used
 *    >= --max-load-cpu % of a core, or its event-loop delay p99 reached 100 ms. The run stops at the first step
 *    that fails or saturates.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { capacityOutcome, judgeStep, lossPercent, MAX_LOAD_LOOP_DELAY_MS, shouldContinue, type CapacityLimits, type CapacityOutcome, type CapacityStep } from './capacity';
import type { CapacityOptions } from './cli';
import { withFanoutRun } from './fanout-bench';
import { windowFigures } from './fanout-load';
import type { BenchMedia } from './media';
import { readMemory } from './procfs';

const MiB = 1024 * 1024;

export interface CapacityResult extends CapacityOutcome {
  serverName: 'origin' | 'nms';
  peerVersion: string | undefined;
  idleRssMiB: number;
  steps: CapacityStep[];
}

export function capacityLimits(options: CapacityOptions): CapacityLimits {
  return {
    maxP99Ms: options.maxP99Ms,
    maxLossPercent: options.maxLossPercent,
    maxLoadCpuPercent: options.maxLoadCpuPercent,
    maxLoadLoopDelayMs: MAX_LOAD_LOOP_DELAY_MS,
  };
}

export async function runCapacity(options: CapacityOptions, media: BenchMedia, log: (line: string) => void): Promise<CapacityResult> {
  const limits = capacityLimits(options);
  const maxViewers = options.steps.at(-1) ?? 0;
  const run = { ...options, maxViewers, usesWebSocket: options.protocol === 'ws-flv' };
  return withFanoutRun(run, media, log, async (servers, load) => {
    let target = 0;
    load.startTicker(log, () => target);
    await load.publish();
    await sleep(1000);
    load.assertHealthy();
    const idle = readMemory(servers.serverPid);
    const steps: CapacityStep[] = [];
    let problemsBefore = 0;

    for (const viewers of options.steps) {
      target = viewers;
      load.phase = `${viewers}`;
      const missing = viewers - load.live().length;
      log(`step ${viewers} viewers: connecting ${missing} more over ${options.connectSeconds} s`);
      const { errors } = await load.connect(missing, options.protocol, options.connectSeconds);
      const cohort = load.live();
      if (errors.length > 0) log(`${errors.length} viewer(s) could not play: ${errors.slice(0, 3).join('; ')}`);
      await sleep(options.settle * 1000);
      load.assertHealthy();

      const w0 = load.openWindow();
      await sleep(options.seconds * 1000);
      const { w1, eventLoopDelayMs } = load.closeWindow();
      const memory = readMemory(servers.serverPid);
      load.assertHealthy();
      const f = windowFigures(servers, w0, w1);
      await load.drain(f.expectedVideo, f.expectedAudio);

      const expectedPerViewer = f.expectedVideo + f.expectedAudio;
      const latency = load.latency.summary();
      const problems = servers.problems();
      const problemCount = problems.server.length + problems.edge.length;
      const figures = {
        viewers,
        p99Ms: latency.p99,
        lossPercent: lossPercent(
          cohort.map((v) => v.windowVideo + v.windowAudio),
          errors.length,
          expectedPerViewer,
        ),
        loadCpuPercent: f.benchCpuPercent,
        loadLoopDelayP99Ms: eventLoopDelayMs.p99,
      };
      const verdict = judgeStep(figures, limits);
      const relay = f.edge && f.nats ? f.edge.cpuPercent + f.nats.cpuPercent : null;
      const step: CapacityStep = {
        viewers,
        playing: load.live().length,
        connectErrors: errors.length,
        disconnects: cohort.filter((v) => v.disconnected).length,
        windowSeconds: f.windowSeconds,
        expectedPerViewer,
        lossPercent: figures.lossPercent,
        latencyMs: { count: latency.count, p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max },
        deliveredMbitPerSecond: (f.socketBytes * 8) / f.windowSeconds / 1e6,
        serverCpuPercent: f.server.cpuPercent,
        serverCpuSecondsPerGB: f.server.cpuSeconds / (f.socketBytes / 1e9),
        relayCpuPercent: relay,
        serverRssMiB: memory.rss / MiB,
        loadCpuPercent: f.benchCpuPercent,
        loadLoopDelayP99Ms: eventLoopDelayMs.p99,
        otherProcessesCpuPercent: f.otherProcessesCpuPercent,
        serverProblems: problemCount - problemsBefore,
        verdict,
      };
      problemsBefore = problemCount;
      steps.push(step);
      log(
        `step ${viewers} viewers: ${verdict.pass ? 'pass' : 'FAIL'}${verdict.saturated ? ' (load saturated)' : ''}  ` +
          `p99 ${latency.p99.toFixed(1)} ms  loss ${step.lossPercent.toFixed(2)} %  ${servers.serverName} CPU ${f.server.cpuPercent.toFixed(0)}%  ` +
          `bench CPU ${f.benchCpuPercent.toFixed(0)}%  event-loop p99 ${eventLoopDelayMs.p99.toFixed(1)} ms` +
          (verdict.reasons.length > 0 ? `  (${verdict.reasons.join('; ')})` : ''),
      );
      if (!shouldContinue(verdict)) break;
    }
    load.phase = 'stopping';
    load.stopTicker();
    load.stopViewers();
    await load.publisher.stop();
    return {
      ...capacityOutcome(steps, limits),
      serverName: servers.serverName,
      peerVersion: servers.peerVersion,
      idleRssMiB: idle.rss / MiB,
      steps,
    };
  });
}
