/**
 * Scenario fanout: one real-time publisher, N viewers on one server; what the server (and, on the cluster path,
 * the edge and nats-server) spends per GB delivered, and the latency from the publisher to the viewers.
 *
 * 1. The path's servers start (fanout-servers.ts): `--path cluster`, the edge and the origin with a private Redis
 *    and NATS; `--path single`, the origin alone with direct ingest; `--path nms`, node-media-server 4 (the peer).
 *    `--pin-server` runs them under taskset and pins nats-server's threads to the same CPUs.
 * 2. The publisher (publisher.ts) replays the FLV as bench-0. For every message it hands to socket.write it
 *    reports the RTMP type, timestamp and performance.now(); video write times go into a SentClock by timestamp.
 * 3. Once the stream is live, the server's idle RSS is read, then N viewers (viewers.ts) connect, spread over
 *    `--connect-seconds`. After the warm-up the window opens (fanout-load.ts: per viewer, the exact count of the
 *    window's messages, and for each video message the latency). After the window, viewers get up to 3 s to
 *    receive the rest.
 * 4. At both ends of the window: /proc CPU of the server, the edge, nats-server and redis-server, the viewers'
 *    byte counters, our own process.cpuUsage(); the event-loop delay of this process over the window
 *    (perf_hooks.monitorEventLoopDelay). At the end: the server's VmRSS and VmHWM.
 * 5. Checks: every viewer connected and stayed connected, got data throughout the window (no silence > 2 s),
 *    and received at least 99 % and at most 100 % of the window's messages; the processes logged nothing at
 *    warn level or above.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FanoutOptions, FanoutPath } from './cli';
import { FanoutLoad, until, windowFigures, type EventLoopDelay, type ProcessCpu } from './fanout-load';
import { startFanoutServers, type FanoutServers } from './fanout-servers';
import { pinProcess } from './procfs';
import { percentileOf, type LatencySummary } from './latency';
import type { BenchMedia } from './media';
import { buildTimeline } from './pacing';
import { readMemory } from './procfs';
import { webSocketClass, type BenchViewer } from './viewers';

export type { ProcessCpu } from './fanout-load';

/** A viewer silent for longer than this in the window counts as stalled. */
export const STALL_MS = 2000;
/** A viewer must receive at least this share of the window's messages. */
export const MIN_DELIVERED_PERCENT = 99;
const MiB = 1024 * 1024;

export interface FanoutResult {
  ok: boolean;
  failures: string[];
  /** Not failures, but they qualify the numbers (e.g. the load process was saturated). */
  warnings: string[];
  /** 'origin', or 'nms' on the nms path: the process whose figures are under `origin`. */
  serverName: 'origin' | 'nms';
  /** node-media-server's version on the nms path. */
  peerVersion: string | undefined;
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
  /** The process that serves the viewers: the origin, or NMS on the nms path. */
  /**
   * `rssMiB` is the median of the RSS read every second of the window and at its end (`rssEndMiB`, the end reading
   * alone): one reading moved with when V8 and malloc last gave memory back (97.5-116 MiB for the same 800-viewer
   * run). `rssPerViewerKiB` is from the median.
   */
  origin: ProcessCpu & { cpuSecondsPerGB: number; idleRssMiB: number; rssMiB: number; rssEndMiB: number; peakRssMiB: number; rssPerViewerKiB: number };
  edge: ProcessCpu | null;
  /** null on the nms path (no nats-server, no redis-server). */
  nats: { cpuSeconds: number; cpuPercent: number } | null;
  redis: { cpuSeconds: number } | null;
  /** Edge + nats-server + origin (single: nats-server + origin; nats-server is idle there; nms: NMS alone). */
  total: { cpuSeconds: number; cpuPercent: number; cpuSecondsPerGB: number };
  load: { cpuSeconds: number; cpuPercent: number; eventLoopDelayMs: EventLoopDelay };
  /**
   * The whole machine over the window (/proc/stat): per CPU, the shares spent in processes, in interrupts
   * (mostly loopback networking: softirq), stolen by the hypervisor, and idle; and the CPU time of processes
   * other than ours (the benchmark and the path's servers), in % of one core.
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
    /** From the origin's "viewer left" log lines (frames it dropped for slow viewers) and "viewer cut off"; null for NMS. */
    originDroppedFrames: number | null;
    slowViewerCuts: number | null;
    originProblems: string[];
    edgeProblems: string[];
  };
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

/** Per viewer, its window messages as a % of `expected`. */
export function deliveredPercents(viewers: ReadonlyArray<Pick<BenchViewer, 'windowVideo' | 'windowAudio'>>, expected: number): number[] {
  return viewers.map((v) => (expected > 0 ? ((v.windowVideo + v.windowAudio) / expected) * 100 : 0));
}

let pinnedLoad: string | undefined;

/**
 * Runs `body` with the path's servers and a load (publisher, no viewers yet) in place: pins this process
 * (`--pin-load`), starts the servers, and stops everything afterwards, or on SIGINT/SIGTERM (exit 130).
 */
export async function withFanoutRun<T>(
  options: { path: FanoutPath; pinServer: string | undefined; pinLoad: string | undefined; chunkSize: number; maxViewers: number; usesWebSocket: boolean },
  media: BenchMedia,
  log: (line: string) => void,
  body: (servers: FanoutServers, load: FanoutLoad) => Promise<T>,
): Promise<T> {
  if (options.pinLoad && pinnedLoad !== options.pinLoad) {
    pinProcess(options.pinLoad, process.pid);
    pinnedLoad = options.pinLoad;
    log(`load process ${process.pid} pinned to CPU ${options.pinLoad}`);
  }
  if (options.usesWebSocket) webSocketClass(); // fails early, before any server starts, on a Node without it
  let servers: FanoutServers | undefined;
  let load: FanoutLoad | undefined;
  let interrupted = false;
  const teardown = async (): Promise<void> => {
    load?.destroy();
    await servers?.stop();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping viewers, the publisher and the servers`);
    void teardown().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    servers = await startFanoutServers(options.path, { pinServer: options.pinServer, viewers: options.maxViewers });
    log(servers.describe());
    load = new FanoutLoad(servers, buildTimeline(media.tags), media.metadata, options.chunkSize);
    return await body(servers, load);
  } finally {
    await teardown();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export async function runFanout(options: FanoutOptions, media: BenchMedia, log: (line: string) => void): Promise<FanoutResult> {
  // --wait-load is applied by the caller, before the run's date is taken.
  const loadAverageAtStart = loadavg()[0];
  const run = { ...options, maxViewers: options.viewers, usesWebSocket: options.protocol === 'ws-flv' };
  return withFanoutRun(run, media, log, async (servers, load) => {
    const failures: string[] = [];
    const warnings: string[] = [];
    const { viewers } = load;
    load.startTicker(log, () => options.viewers);

    await load.publish();
    await sleep(1000);
    load.assertHealthy();
    const idle = readMemory(servers.serverPid);

    load.phase = 'connect';
    const connectStart = performance.now();
    const { errors: connectErrors } = await load.connect(options.viewers, options.protocol, options.connectSeconds);
    const connected = viewers.filter((v) => v.connected).length;
    log(`${connected}/${options.viewers} viewers playing after ${((performance.now() - connectStart) / 1000).toFixed(1)} s`);
    if (connected === 0) throw new Error(`no viewer could play: ${connectErrors.slice(0, 3).join('; ')}`);
    if (connectErrors.length > 0) failures.push(`${connectErrors.length} viewer(s) could not play: ${connectErrors.slice(0, 3).join('; ')}`);

    load.phase = 'warm-up';
    await sleep(options.warmup * 1000);
    load.assertHealthy();

    // The window.
    load.phase = 'measure';
    const w0 = load.openWindow();
    const rssSamples: number[] = [];
    const rssSampler = setInterval(() => {
      try {
        rssSamples.push(readMemory(servers.serverPid).rss);
      } catch {
        // The server is gone: assertHealthy() below says so.
      }
    }, 1000);
    await sleep(options.seconds * 1000);
    clearInterval(rssSampler);
    const { w1, eventLoopDelayMs: eld } = load.closeWindow();
    const gaps = viewers.filter((v) => v.connected).map((v) => v.gapUntil(w1.t));
    const memory = readMemory(servers.serverPid);
    rssSamples.push(memory.rss);
    const rss = percentileOf(rssSamples, 50);
    load.assertHealthy();
    const f = windowFigures(servers, w0, w1);

    // The rest of the window's messages are in flight: give the viewers up to 3 s.
    load.phase = 'drain';
    await load.drain(f.expectedVideo, f.expectedAudio);
    const problems = servers.problems();

    // Stop the viewers first, so the origin logs what it dropped for each.
    load.phase = 'stopping';
    load.stopTicker();
    load.stopViewers();
    await until(`the ${servers.serverName} to see the viewers leave`, 5000, async () => (await servers.viewerCount()) === 0).catch(() => undefined);
    const drops = servers.slowViewerDrops();
    await load.publisher.stop();

    // Figures.
    const { windowSeconds, socketBytes } = f;
    const GB = socketBytes / 1e9;
    const pubMessages = w1.publisher.messages - w0.publisher.messages;
    const expected = f.expectedVideo + f.expectedAudio;
    const playing = viewers.filter((v) => v.connected);
    const percents = deliveredPercents(playing, expected);
    const disconnected = viewers.filter((v) => v.disconnected);
    const stalled = gaps.filter((g) => g > STALL_MS).length;
    const silent = playing.filter((v) => v.lastDataAt <= w0.t).length;
    const viewersShort = percents.filter((p) => p < 100).length;
    const summary = load.latency.summary();
    const unmatched = load.unmatched;

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
    if (problems.server.length > 0) failures.push(`the ${servers.serverName} logged ${problems.server.length} warning/error line(s)`);
    if (problems.edge.length > 0) failures.push(`the edge logged ${problems.edge.length} warning/error line(s)`);
    if (viewersShort > 0 && minPercent >= MIN_DELIVERED_PERCENT) warnings.push(`${viewersShort} viewer(s) received less than 100 % of the window's messages`);
    if (f.otherProcessesCpuPercent > 10) warnings.push(`other processes used ${f.otherProcessesCpuPercent.toFixed(0)} % of a core during the window`);
    const steal = Math.max(...f.cpus.map((c) => c.stealPercent));
    if (steal > 5) warnings.push(`the hypervisor stole up to ${steal.toFixed(0)} % of a CPU during the window`);
    if (f.benchCpuPercent > 85) warnings.push(`the load process used ${f.benchCpuPercent.toFixed(0)} % of a core: latency includes its own queueing`);
    if (eld.p99 > 20) warnings.push(`the load process's event-loop delay p99 was ${eld.p99.toFixed(1)} ms: latency includes it`);
    if (w1.publisher.drainWaits > w0.publisher.drainWaits) warnings.push(`the publisher waited for 'drain' ${w1.publisher.drainWaits - w0.publisher.drainWaits} time(s)`);

    return {
      ok: failures.length === 0,
      failures,
      warnings,
      serverName: servers.serverName,
      peerVersion: servers.peerVersion,
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
        mediaBytes: f.mediaBytes,
        mbitPerSecond: (socketBytes * 8) / windowSeconds / 1e6,
        perViewerMbitPerSecond: playing.length > 0 ? (socketBytes * 8) / windowSeconds / 1e6 / playing.length : 0,
      },
      latency: { ...summary, unmatched },
      origin: {
        ...f.server,
        cpuSecondsPerGB: f.server.cpuSeconds / GB,
        idleRssMiB: idle.rss / MiB,
        rssMiB: rss / MiB,
        rssEndMiB: memory.rss / MiB,
        peakRssMiB: memory.hwm / MiB,
        rssPerViewerKiB: playing.length > 0 ? (rss - idle.rss) / 1024 / playing.length : 0,
      },
      edge: f.edge,
      nats: f.nats && { cpuSeconds: f.nats.cpuSeconds, cpuPercent: f.nats.cpuPercent },
      redis: servers.redisPid !== undefined ? { cpuSeconds: f.redisCpuSeconds } : null,
      total: { cpuSeconds: f.totalCpuSeconds, cpuPercent: (f.totalCpuSeconds / windowSeconds) * 100, cpuSecondsPerGB: f.totalCpuSeconds / GB },
      load: { cpuSeconds: f.benchCpuSeconds, cpuPercent: f.benchCpuPercent, eventLoopDelayMs: eld },
      system: {
        cpus: f.cpus.map(({ name, userSystemPercent, irqPercent, stealPercent, idlePercent }) => ({ name, userSystemPercent, irqPercent, stealPercent, idlePercent })),
        otherProcessesCpuPercent: f.otherProcessesCpuPercent,
      },
      check: {
        connected: playing.length,
        connectErrors: connectErrors.slice(0, 20),
        disconnects: disconnected.length,
        disconnectReasons: [...new Set(disconnected.map((v) => v.closeReason ?? '?'))],
        stalled,
        silent,
        maxGapMs: gaps.length > 0 ? Math.max(...gaps) : 0,
        expectedVideo: f.expectedVideo,
        expectedAudio: f.expectedAudio,
        deliveredPercent: { min: minPercent, median: percentileOf(percents, 50), max: maxPercent },
        viewersShort,
        originDroppedFrames: drops?.droppedFrames ?? null,
        slowViewerCuts: drops?.cuts ?? null,
        originProblems: problems.server.slice(0, 20),
        edgeProblems: problems.edge.slice(0, 20),
      },
    };
  });
}
