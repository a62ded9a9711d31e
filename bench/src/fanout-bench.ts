/**
 * Scenario fanout: one real-time publisher, N viewers on one origin; what the origin (and, on the cluster path,
 * the edge and nats-server) spends per GB delivered, and the latency from the publisher to the viewers.
 *
 * 1. A private redis-server and nats-server start (@ingest/testing startServices). `--path cluster`: the edge and
 *    the origin start from their builds; the publisher publishes to the edge, which relays over NATS to the
 *    origin. `--path single`: only the origin, with ORIGIN_DIRECT_INGEST_PORT; the publisher publishes there
 *    (Redis and NATS are still running: the origin needs them to start). `--pin-server` runs the edge and the
 *    origin under taskset and pins nats-server's threads to the same CPUs.
 * 2. The publisher (publisher.ts) replays the FLV as bench-0. For every message it hands to socket.write it
 *    reports the RTMP type, timestamp and performance.now(); video write times go into a SentClock by timestamp.
 * 3. Once the stream is live, the origin's idle RSS is read, then N viewers (viewers.ts) connect, spread over
 *    `--connect-seconds`. After the warm-up the window opens: the publisher's last video and audio timestamps
 *    so far become the window's lower bounds; at its end, the last ones sent become the upper bounds. A viewer
 *    counts a message as the window's when its timestamp lies in (lower, upper] for its type (timestamps of one
 *    type are unique and increasing), and for each such video message records latency = receive time - the
 *    publisher's write time for that timestamp. The count per viewer is therefore exact: every message the
 *    publisher wrote in the window, once. After the window, viewers get up to 3 s to receive the rest.
 * 4. At both ends of the window: /proc CPU of the origin, the edge, nats-server and redis-server, the viewers'
 *    byte counters, our own process.cpuUsage(); the event-loop delay of this process over the window
 *    (perf_hooks.monitorEventLoopDelay). At the end: the origin's VmRSS and VmHWM.
 * 5. Checks: every viewer connected and stayed connected, got data throughout the window (no silence > 2 s),
 *    and received at least 99 % and at most 100 % of the window's messages; the processes logged nothing at
 *    warn level or above.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, startServices, type ClusterServices } from '@ingest/testing';
import type { FanoutOptions } from './cli';
import { startEdgeProcess, type EdgeProcess } from './edge-process';
import { LatencyHistogram, percentileOf, SentClock, type LatencySummary } from './latency';
import type { BenchMedia } from './media';
import { startOriginProcess, type OriginProcess } from './origin-process';
import { buildTimeline } from './pacing';
import { readCpuSeconds, readCpuTimes, readMemory, readSystemCpu, systemCpuBetween, type CpuTimes } from './procfs';
import { PacedPublisher } from './publisher';
import { createViewer, webSocketClass, type BenchViewer } from './viewers';

const STREAM = 'bench-0';
const TYPE_AUDIO = 8;
const TYPE_VIDEO = 9;
/** A viewer silent for longer than this in the window counts as stalled. */
export const STALL_MS = 2000;
/** A viewer must receive at least this share of the window's messages. */
export const MIN_DELIVERED_PERCENT = 99;
const MiB = 1024 * 1024;

export interface ProcessCpu {
  pid: number;
  cpuSeconds: number;
  userSeconds: number;
  systemSeconds: number;
  /** Of one core. */
  cpuPercent: number;
}

export interface FanoutResult {
  ok: boolean;
  failures: string[];
  /** Not failures, but they qualify the numbers (e.g. the load process was saturated). */
  warnings: string[];
  /** 1-minute load average when the run started (after any --wait-load). */
  loadAverageAtStart: number;
  windowSeconds: number;
  publisher: { bytes: number; messages: number; videoFrames: number; audioFrames: number; mbitPerSecond: number; drainWaits: number; meanLagMs: number; maxLagMs: number };
  delivery: {
    viewers: number;
    connected: number;
    /** Bytes off the viewers' sockets in the window (see viewers.ts), the "delivered" of CPU-s/GB. */
    socketBytes: number;
    /** RTMP payloads or FLV stream bytes in the window. */
    mediaBytes: number;
    mbitPerSecond: number;
    perViewerMbitPerSecond: number;
  };
  latency: LatencySummary & { unmatched: number };
  origin: ProcessCpu & { cpuSecondsPerGB: number; idleRssMiB: number; rssMiB: number; peakRssMiB: number; rssPerViewerKiB: number };
  edge: ProcessCpu | null;
  nats: { cpuSeconds: number; cpuPercent: number };
  redis: { cpuSeconds: number };
  /** Edge + nats-server + origin (single: nats-server + origin; nats-server is idle there). */
  total: { cpuSeconds: number; cpuPercent: number; cpuSecondsPerGB: number };
  load: { cpuSeconds: number; cpuPercent: number; eventLoopDelayMs: { mean: number; p50: number; p99: number; max: number } };
  /**
   * The whole machine over the window (/proc/stat): per CPU, the shares spent in processes, in interrupts
   * (mostly loopback networking: softirq), stolen by the hypervisor, and idle; and the CPU time of processes
   * other than ours (the benchmark, the edge, the origin, nats-server, redis-server), in % of one core.
   */
  system: {
    cpus: Array<{ name: string; userSystemPercent: number; irqPercent: number; stealPercent: number; idlePercent: number }>;
    otherProcessesCpuPercent: number;
  };
  check: {
    connected: number;
    connectErrors: string[];
    disconnects: number;
    disconnectReasons: string[];
    /** Viewers silent for more than STALL_MS in the window, and viewers that got no bytes in it. */
    stalled: number;
    silent: number;
    maxGapMs: number;
    expectedVideo: number;
    expectedAudio: number;
    /** Per viewer, window messages received as a % of the publisher's. */
    deliveredPercent: { min: number; median: number; max: number };
    viewersShort: number;
    /** From the origin's "viewer left" log lines (frames it dropped for slow viewers) and "viewer cut off". */
    originDroppedFrames: number;
    slowViewerCuts: number;
    originProblems: string[];
    edgeProblems: string[];
  };
}

/**
 * monitorEventLoopDelay samples with a timer every LOOP_RESOLUTION_MS and (Node 26) records the whole interval
 * between samples, so an idle loop reads about 10 ms. The delay is the excess over the interval.
 */
const LOOP_RESOLUTION_MS = 10;
function loopDelayMs(ns: number): number {
  return Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
}

/** Waits until the 1-minute load average is below `max` (checked every 5 s, for up to `timeoutMs`). */
export async function waitForQuietMachine(max: number, log: (line: string) => void, timeoutMs = 15 * 60_000): Promise<number> {
  if (max <= 0) return loadavg()[0];
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    const load = loadavg()[0];
    if (load < max) {
      if (announced) log(`1-minute load ${load.toFixed(2)} < ${max}: starting`);
      return load;
    }
    if (Date.now() > deadline) {
      log(`1-minute load still ${load.toFixed(2)} after ${timeoutMs / 60_000} min: starting anyway`);
      return load;
    }
    if (!announced) log(`waiting for the 1-minute load average (${load.toFixed(2)}) to drop below ${max}`);
    announced = true;
    await sleep(5000);
  }
}

let pinnedLoad: string | undefined;

function pinProcess(cpus: string, pid: number): void {
  execFileSync('taskset', ['-a', '-cp', cpus, String(pid)], { stdio: 'ignore' });
}

function cpuOf(pid: number, a: CpuTimes, b: CpuTimes, seconds: number): ProcessCpu {
  const userSeconds = b.user - a.user;
  const systemSeconds = b.system - a.system;
  const cpuSeconds = userSeconds + systemSeconds;
  return { pid, cpuSeconds, userSeconds, systemSeconds, cpuPercent: (cpuSeconds / seconds) * 100 };
}

/** libs/testing's eventually, with a failing check (a refused /status) counting as not yet. */
async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  await eventually(() => check().catch(() => false), timeoutMs, what);
}

export async function runFanout(options: FanoutOptions, media: BenchMedia, log: (line: string) => void): Promise<FanoutResult> {
  if (options.pinLoad && pinnedLoad !== options.pinLoad) {
    pinProcess(options.pinLoad, process.pid);
    pinnedLoad = options.pinLoad;
    log(`load process ${process.pid} pinned to CPU ${options.pinLoad}`);
  }
  if (options.protocol === 'ws-flv') webSocketClass(); // fails early, before any server starts, on a Node without it
  // --wait-load is applied by the caller, before the run's date is taken.
  const loadAverageAtStart = loadavg()[0];
  const timeline = buildTimeline(media.tags);
  const failures: string[] = [];
  const warnings: string[] = [];
  const cluster = options.path === 'cluster';

  let services: ClusterServices | undefined;
  let edge: EdgeProcess | undefined;
  let origin: OriginProcess | undefined;
  let publisher: PacedPublisher | undefined;
  const viewers: BenchViewer[] = [];
  const eventLoop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });

  let interrupted = false;
  const teardown = async (): Promise<void> => {
    for (const v of viewers) v.stop();
    publisher?.destroy();
    await Promise.allSettled([edge?.stop(), origin?.stop()]);
    await services?.stop();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping viewers, the publisher and the servers`);
    void teardown().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let phase = 'start';
  let ticker: NodeJS.Timeout | undefined;
  try {
    services = await startServices();
    const natsPid = services.nats.process.pid;
    const redisPid = services.redis.process.pid;
    if (options.pinServer) pinProcess(options.pinServer, natsPid);
    // No slow-viewer settings are changed (high water 1 MiB, cut-off 8 MiB, 10 s behind); only the viewer cap.
    const originEnv = { ORIGIN_MAX_VIEWERS: String(Math.max(10_000, options.viewers * 2)) };
    if (cluster) {
      edge = await startEdgeProcess({ pinServer: options.pinServer, services });
      origin = await startOriginProcess({ services, pinServer: options.pinServer, env: originEnv });
    } else {
      origin = await startOriginProcess({ services, pinServer: options.pinServer, directIngest: true, env: originEnv });
    }
    const pinned = options.pinServer ? `, pinned to CPU ${options.pinServer} with nats-server` : '';
    log(
      cluster
        ? `edge pid ${edge!.pid} rtmp :${edge!.rtmpPort}; origin pid ${origin.pid} rtmp :${origin.rtmpPort} http :${origin.httpPort}${pinned}`
        : `origin pid ${origin.pid}, direct ingest :${origin.directIngestPort} rtmp :${origin.rtmpPort} http :${origin.httpPort}${pinned}`,
    );
    const originProc = origin;
    const edgeProc = edge;

    // Publisher, with the write time of every video message by timestamp.
    const clock = new SentClock();
    const sent = { video: 0, audio: 0, lastVideoTs: -1, lastAudioTs: -1 };
    publisher = new PacedPublisher(0, cluster ? edgeProc!.rtmpPort : originProc.directIngestPort!, timeline, media.metadata, options.chunkSize);
    publisher.onSent = (type, timestamp, at) => {
      if (type === TYPE_VIDEO) {
        sent.video++;
        sent.lastVideoTs = timestamp;
        clock.record(timestamp, at);
      } else if (type === TYPE_AUDIO) {
        sent.audio++;
        sent.lastAudioTs = timestamp;
      }
    };

    // The window, by timestamps: (after, upTo] per type. Nothing counts until the window opens.
    const bounds = { videoAfter: Infinity, videoUpTo: Infinity, audioAfter: Infinity, audioUpTo: Infinity };
    const latency = new LatencyHistogram();
    let unmatched = 0;
    const onMessage = (viewer: BenchViewer, type: number, timestamp: number, at: number): void => {
      if (type === TYPE_VIDEO) {
        if (timestamp > bounds.videoAfter && timestamp <= bounds.videoUpTo) {
          viewer.windowVideo++;
          const sentAt = clock.sentAt(timestamp);
          if (Number.isNaN(sentAt)) unmatched++;
          else latency.record(at - sentAt);
        }
      } else if (type === TYPE_AUDIO) {
        if (timestamp > bounds.audioAfter && timestamp <= bounds.audioUpTo) viewer.windowAudio++;
      }
    };

    const sumBytes = (): number => viewers.reduce((n, v) => n + v.socketBytes, 0);
    const t0 = performance.now();
    let last = {
      t: t0,
      origin: readCpuSeconds(originProc.pid),
      edge: edgeProc ? readCpuSeconds(edgeProc.pid) : 0,
      bench: process.cpuUsage(),
      bytes: 0,
      system: readSystemCpu(),
    };
    eventLoop.enable();
    ticker = setInterval(() => {
      const now = performance.now();
      const dt = (now - last.t) / 1000;
      let originCpu = last.origin;
      let edgeCpu = last.edge;
      try {
        originCpu = readCpuSeconds(originProc.pid);
        if (edgeProc) edgeCpu = readCpuSeconds(edgeProc.pid);
      } catch {
        // exited; reported below
      }
      const bench = process.cpuUsage();
      const system = readSystemCpu();
      const idle = systemCpuBetween(last.system, system)
        .filter((c) => c.name !== 'cpu')
        .map((c) => `${c.idlePercent.toFixed(0)}%`)
        .join('/');
      const bytes = sumBytes();
      const benchCpu = (bench.user + bench.system - last.bench.user - last.bench.system) / 1e6;
      const up = viewers.filter((v) => v.connected && v.closeReason === undefined).length;
      const pct = (cpu: number, before: number): string => `${(((cpu - before) / dt) * 100).toFixed(1)}%`;
      const lat = latency.count > 0 ? `  latency p50 ${latency.percentile(50).toFixed(1)} p99 ${latency.percentile(99).toFixed(1)} ms` : '';
      log(
        `${phase.padEnd(8)} ${((now - t0) / 1000).toFixed(0).padStart(3)} s  viewers ${up}/${options.viewers}` +
          `  delivered ${(((bytes - last.bytes) * 8) / 1e6 / dt).toFixed(0)} Mbit/s  origin CPU ${pct(originCpu, last.origin)}` +
          (edgeProc ? `  edge CPU ${pct(edgeCpu, last.edge)}` : '') +
          `  bench CPU ${((benchCpu / dt) * 100).toFixed(1)}%  CPUs idle ${idle}  event-loop delay max ${loopDelayMs(eventLoop.max).toFixed(1)} ms${lat}`,
      );
      last = { t: now, origin: originCpu, edge: edgeCpu, bench, bytes, system };
    }, 1000);

    const assertHealthy = (): void => {
      for (const p of [originProc, edgeProc]) {
        const exit = p?.process.exitStatus();
        if (p && exit) throw new Error(`${p.process.name} exited (${exit.code ?? exit.signal}):\n${p.process.output().slice(-2000)}`);
      }
      if (publisher?.error) throw new Error(`the publisher failed: ${publisher.error.message}`);
    };

    phase = 'publish';
    await publisher.start();
    // Live where the viewers will look: the edge has claimed it (cluster) or the origin has its hub (single).
    await until(`${STREAM} to be live`, 10_000, async () =>
      edgeProc
        ? (await edgeProc.status()).streams.some((s) => s.name === STREAM && s.videoFrames > 0)
        : (await originProc.status()).streams.some((s) => s.name === STREAM && s.messages > 0),
    );
    await sleep(1000);
    assertHealthy();
    const idle = readMemory(originProc.pid);

    phase = 'connect';
    const spacing = options.viewers > 1 ? (options.connectSeconds * 1000) / (options.viewers - 1) : 0;
    const connectErrors: string[] = [];
    const connectStart = performance.now();
    await Promise.all(
      Array.from({ length: options.viewers }, async (_, i) => {
        await sleep(i * spacing);
        const viewer = createViewer(options.protocol, i, options.protocol === 'rtmp' ? originProc.rtmpPort : originProc.httpPort, STREAM, onMessage);
        viewers.push(viewer);
        try {
          await viewer.start();
        } catch (err) {
          connectErrors.push((err as Error).message);
          viewer.stop();
        }
      }),
    );
    const connected = viewers.filter((v) => v.connected).length;
    log(`${connected}/${options.viewers} viewers playing after ${((performance.now() - connectStart) / 1000).toFixed(1)} s`);
    if (connected === 0) throw new Error(`no viewer could play: ${connectErrors.slice(0, 3).join('; ')}`);
    if (connectErrors.length > 0) failures.push(`${connectErrors.length} viewer(s) could not play: ${connectErrors.slice(0, 3).join('; ')}`);

    phase = 'warm-up';
    await sleep(options.warmup * 1000);
    assertHealthy();

    // The window.
    phase = 'measure';
    const snapshot = () => ({
      t: performance.now(),
      origin: readCpuTimes(originProc.pid),
      edge: edgeProc ? readCpuTimes(edgeProc.pid) : undefined,
      nats: readCpuTimes(natsPid),
      redis: readCpuSeconds(redisPid),
      bench: process.cpuUsage(),
      system: readSystemCpu(),
      socketBytes: sumBytes(),
      mediaBytes: viewers.reduce((n, v) => n + v.mediaBytes, 0),
      publisher: { ...publisher!.counters },
      sent: { ...sent },
    });
    publisher.counters.lagMaxMs = 0;
    const w0 = snapshot();
    bounds.videoAfter = w0.sent.lastVideoTs;
    bounds.audioAfter = w0.sent.lastAudioTs;
    for (const v of viewers) v.resetGap(w0.t);
    latency.reset();
    unmatched = 0;
    eventLoop.reset();
    await sleep(options.seconds * 1000);
    const w1 = snapshot();
    bounds.videoUpTo = w1.sent.lastVideoTs;
    bounds.audioUpTo = w1.sent.lastAudioTs;
    const eld = {
      mean: loopDelayMs(eventLoop.mean),
      p50: loopDelayMs(eventLoop.percentile(50)),
      p99: loopDelayMs(eventLoop.percentile(99)),
      max: loopDelayMs(eventLoop.max),
    };
    const gaps = viewers.filter((v) => v.connected).map((v) => v.gapUntil(w1.t));
    const memory = readMemory(originProc.pid);
    assertHealthy();

    // The rest of the window's messages are in flight: give the viewers up to 3 s.
    phase = 'drain';
    const expectedVideo = w1.sent.video - w0.sent.video;
    const expectedAudio = w1.sent.audio - w0.sent.audio;
    const live = viewers.filter((v) => v.connected && v.closeReason === undefined);
    const drainEnd = performance.now() + 3000;
    while (performance.now() < drainEnd && live.some((v) => v.windowVideo < expectedVideo || v.windowAudio < expectedAudio)) await sleep(50);
    const originProblems = originProc.problems();
    const edgeProblems = edgeProc?.problems() ?? [];

    // Stop the viewers first, so the origin logs what it dropped for each.
    phase = 'stopping';
    clearInterval(ticker);
    for (const v of viewers) v.stop();
    await until('the origin to see the viewers leave', 5000, async () => (await originProc.status()).viewers === 0).catch(() => undefined);
    let originDroppedFrames = 0;
    let slowViewerCuts = 0;
    for (const entry of originProc.logs()) {
      if (entry.msg === 'viewer left') originDroppedFrames += Number(entry.dropped ?? 0);
      else if (entry.msg === 'viewer cut off') slowViewerCuts++;
    }
    await publisher.stop();

    // Figures.
    const windowSeconds = (w1.t - w0.t) / 1000;
    const socketBytes = w1.socketBytes - w0.socketBytes;
    const GB = socketBytes / 1e9;
    const originCpu = cpuOf(originProc.pid, w0.origin, w1.origin, windowSeconds);
    const edgeCpu = edgeProc && w0.edge && w1.edge ? cpuOf(edgeProc.pid, w0.edge, w1.edge, windowSeconds) : null;
    const natsCpu = cpuOf(natsPid, w0.nats, w1.nats, windowSeconds);
    const totalCpu = originCpu.cpuSeconds + natsCpu.cpuSeconds + (edgeCpu?.cpuSeconds ?? 0);
    const benchCpu = (w1.bench.user + w1.bench.system - w0.bench.user - w0.bench.system) / 1e6;
    const pubMessages = w1.publisher.messages - w0.publisher.messages;
    const expected = expectedVideo + expectedAudio;
    const playing = viewers.filter((v) => v.connected);
    const percents = playing.map((v) => (expected > 0 ? ((v.windowVideo + v.windowAudio) / expected) * 100 : 0));
    const disconnected = viewers.filter((v) => v.disconnected);
    const stalled = gaps.filter((g) => g > STALL_MS).length;
    const silent = playing.filter((v) => v.lastDataAt <= w0.t).length;
    const viewersShort = percents.filter((p) => p < 100).length;
    const summary = latency.summary();

    if (disconnected.length > 0) failures.push(`${disconnected.length} viewer(s) disconnected (${[...new Set(disconnected.map((v) => v.closeReason))].join(', ')})`);
    if (stalled > 0) failures.push(`${stalled} viewer(s) received nothing for more than ${STALL_MS / 1000} s in the window`);
    if (silent > 0) failures.push(`${silent} viewer(s) received no bytes in the window`);
    const minPercent = Math.min(...percents);
    const maxPercent = Math.max(...percents);
    if (minPercent < MIN_DELIVERED_PERCENT) failures.push(`a viewer received only ${minPercent.toFixed(2)} % of the window's ${expected} messages (${viewersShort} below 100 %)`);
    if (maxPercent > 100) failures.push(`a viewer received ${maxPercent.toFixed(2)} % of the window's messages (duplicates)`);
    if (unmatched > 0) failures.push(`${unmatched} video message(s) had no recorded publisher write time`);
    const parseErrors = viewers.filter((v) => v.error);
    if (parseErrors.length > 0) failures.push(`${parseErrors.length} viewer(s) failed: ${parseErrors[0].error?.message}`);
    if (originProblems.length > 0) failures.push(`the origin logged ${originProblems.length} warning/error line(s)`);
    if (edgeProblems.length > 0) failures.push(`the edge logged ${edgeProblems.length} warning/error line(s)`);
    if (viewersShort > 0 && minPercent >= MIN_DELIVERED_PERCENT) warnings.push(`${viewersShort} viewer(s) received less than 100 % of the window's messages`);
    const benchPercent = (benchCpu / windowSeconds) * 100;
    const cpus = systemCpuBetween(w0.system, w1.system);
    const ours = totalCpu + benchCpu + (w1.redis - w0.redis);
    const otherProcessesCpuPercent = Math.max(0, ((cpus.find((c) => c.name === 'cpu')?.processSeconds ?? ours) - ours) / windowSeconds) * 100;
    if (otherProcessesCpuPercent > 10) warnings.push(`other processes used ${otherProcessesCpuPercent.toFixed(0)} % of a core during the window`);
    const steal = Math.max(...cpus.map((c) => c.stealPercent));
    if (steal > 5) warnings.push(`the hypervisor stole up to ${steal.toFixed(0)} % of a CPU during the window`);
    if (benchPercent > 85) warnings.push(`the load process used ${benchPercent.toFixed(0)} % of a core: latency includes its own queueing`);
    if (eld.p99 > 20) warnings.push(`the load process's event-loop delay p99 was ${eld.p99.toFixed(1)} ms: latency includes it`);
    if (w1.publisher.drainWaits > w0.publisher.drainWaits) warnings.push(`the publisher waited for 'drain' ${w1.publisher.drainWaits - w0.publisher.drainWaits} time(s)`);

    return {
      ok: failures.length === 0,
      failures,
      warnings,
      loadAverageAtStart,
      windowSeconds,
      publisher: {
        bytes: w1.publisher.bytes - w0.publisher.bytes,
        messages: pubMessages,
        videoFrames: w1.publisher.videoFrames - w0.publisher.videoFrames,
        audioFrames: w1.publisher.audioFrames - w0.publisher.audioFrames,
        mbitPerSecond: ((w1.publisher.bytes - w0.publisher.bytes) * 8) / windowSeconds / 1e6,
        drainWaits: w1.publisher.drainWaits - w0.publisher.drainWaits,
        meanLagMs: pubMessages > 0 ? (w1.publisher.lagSumMs - w0.publisher.lagSumMs) / pubMessages : 0,
        maxLagMs: w1.publisher.lagMaxMs,
      },
      delivery: {
        viewers: options.viewers,
        connected: playing.length,
        socketBytes,
        mediaBytes: w1.mediaBytes - w0.mediaBytes,
        mbitPerSecond: (socketBytes * 8) / windowSeconds / 1e6,
        perViewerMbitPerSecond: playing.length > 0 ? (socketBytes * 8) / windowSeconds / 1e6 / playing.length : 0,
      },
      latency: { ...summary, unmatched },
      origin: {
        ...originCpu,
        cpuSecondsPerGB: originCpu.cpuSeconds / GB,
        idleRssMiB: idle.rss / MiB,
        rssMiB: memory.rss / MiB,
        peakRssMiB: memory.hwm / MiB,
        rssPerViewerKiB: playing.length > 0 ? (memory.rss - idle.rss) / 1024 / playing.length : 0,
      },
      edge: edgeCpu,
      nats: { cpuSeconds: natsCpu.cpuSeconds, cpuPercent: natsCpu.cpuPercent },
      redis: { cpuSeconds: w1.redis - w0.redis },
      total: { cpuSeconds: totalCpu, cpuPercent: (totalCpu / windowSeconds) * 100, cpuSecondsPerGB: totalCpu / GB },
      load: { cpuSeconds: benchCpu, cpuPercent: benchPercent, eventLoopDelayMs: eld },
      system: {
        cpus: cpus.map(({ name, userSystemPercent, irqPercent, stealPercent, idlePercent }) => ({ name, userSystemPercent, irqPercent, stealPercent, idlePercent })),
        otherProcessesCpuPercent,
      },
      check: {
        connected: playing.length,
        connectErrors: connectErrors.slice(0, 20),
        disconnects: disconnected.length,
        disconnectReasons: [...new Set(disconnected.map((v) => v.closeReason ?? '?'))],
        stalled,
        silent,
        maxGapMs: gaps.length > 0 ? Math.max(...gaps) : 0,
        expectedVideo,
        expectedAudio,
        deliveredPercent: { min: minPercent, median: percentileOf(percents, 50), max: maxPercent },
        viewersShort,
        originDroppedFrames,
        slowViewerCuts,
        originProblems: originProblems.slice(0, 20),
        edgeProblems: edgeProblems.slice(0, 20),
      },
    };
  } finally {
    clearInterval(ticker);
    eventLoop.disable();
    phase = 'stopped';
    await teardown();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
