/**
 * Scenario ingest: N real-time publishers into the real edge process (or into node-media-server 4, the peer, with
 * `--server nms`), measuring what the server spends.
 *
 * 1. A private redis-server and nats-server start, then the edge from apps/edge/dist/main.js on free loopback
 *    ports (optionally under taskset); it claims each stream in Redis and relays every message over NATS.
 *    For NMS: bench/dist/nms-main.js (nms-process.ts), no Redis or NATS; it counts each publisher's frames
 *    (NMS_COUNT_FRAMES=1) and its launcher's /status lists them, the stand-in for the edge's /status below.
 * 2. Publishers bench-0..bench-(N-1) start staggered over the first second: connect, publish, onMetaData, then
 *    the FLV at real-time pace, looping (pacing.ts, publisher.ts).
 * 3. After all are up, a warm-up (default 5 s), then the measured window (default 30 s). At both ends of the
 *    window: the server's utime+stime from /proc/<pid>/stat (and nats-server's and redis-server's, reported
 *    apart), the bytes the publishers wrote, our own process.cpuUsage(). At the end: the server's VmRSS/VmHWM,
 *    and /status must list all N streams live with videoFrames higher than at the start of the window.
 * 4. Publishers stop (FCUnpublish, deleteStream, close); one second later every stream in the edge's /status
 *    `recent` (NMS: the launcher's frame counts) must have counted exactly the video and audio frames its
 *    publisher sent.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IngestOptions, IngestServer } from './cli';
import { startEdgeProcess, type EdgeStreamStatus } from './edge-process';
import type { BenchMedia } from './media';
import { startNmsProcess } from './nms-process';
import { buildTimeline } from './pacing';
import { pinProcess, readCpuSeconds, readCpuTimes, readMemory, readSystemCpu, systemCpuBetween } from './procfs';
import { PacedPublisher, emptyCounters, type PublisherCounters } from './publisher';

export interface StreamCheck {
  name: string;
  videoSent: number;
  videoReceived: number | undefined;
  audioSent: number;
  audioReceived: number | undefined;
  match: boolean;
}

export interface IngestResult {
  ok: boolean;
  failures: string[];
  windowSeconds: number;
  /** The largest share of a CPU the hypervisor gave to other guests during the window (/proc/stat steal), %. */
  stealPercent: number;
  ingest: { bytes: number; mbitPerSecond: number; messages: number; videoFrames: number; audioFrames: number };
  /** The server ingested into: the edge, or NMS. */
  server: {
    name: IngestServer;
    /** node-media-server's version, for nms. */
    version: string | undefined;
    pid: number;
    cpuSeconds: number;
    /** The user/system split of cpuSeconds. */
    userSeconds: number;
    systemSeconds: number;
    /** Of one core. */
    cpuPercent: number;
    cpuSecondsPerGB: number;
    rssMiB: number;
    peakRssMiB: number;
    /** Before any publisher connected. */
    idleRssMiB: number;
  };
  load: { cpuSeconds: number; cpuPercent: number; drainWaits: number; meanLagMs: number; maxLagMs: number };
  /** CPU seconds of the edge's private NATS and Redis over the same window (not part of the edge's figure); null for NMS. */
  services: { natsCpuSeconds: number; redisCpuSeconds: number } | null;
  check: {
    liveAtStart: number;
    liveAtEnd: number;
    framesIncreasing: number;
    streamsMatched: number;
    videoFramesSent: number;
    videoFramesReceived: number;
    audioFramesSent: number;
    audioFramesReceived: number;
    /** The server's log lines at warn level or above. */
    serverProblems: string[];
  };
  streams: StreamCheck[];
}

function sumCounters(publishers: PacedPublisher[]): PublisherCounters {
  const total = emptyCounters();
  for (const { counters: c } of publishers) {
    total.bytes += c.bytes;
    total.messages += c.messages;
    total.videoFrames += c.videoFrames;
    total.audioFrames += c.audioFrames;
    total.drainWaits += c.drainWaits;
    total.lagSumMs += c.lagSumMs;
    total.lagMaxMs = Math.max(total.lagMaxMs, c.lagMaxMs);
  }
  return total;
}

/** Per bench stream, its frame counts as the server saw them. */
type FrameCounts = Map<string, { videoFrames: number; audioFrames: number }>;

function benchStreams(list: Array<{ name: string; videoFrames: number; audioFrames: number }>): FrameCounts {
  return new Map(list.filter((s) => s.name.startsWith('bench-')).map((s) => [s.name, s]));
}

const MiB = 1024 * 1024;

/** What the scenario needs of the server: the edge, or NMS through its launcher's /status. */
interface IngestTarget {
  name: IngestServer;
  version: string | undefined;
  pid: number;
  rtmpPort: number;
  natsPid: number | undefined;
  redisPid: number | undefined;
  process: { exitStatus(): { code: number | null; signal: string | null } | undefined; output(): string };
  /** Live bench streams and their frame counts so far. */
  live(): Promise<FrameCounts>;
  /** After the publishers stopped: every bench stream's frames since its publish started. */
  ended(): Promise<FrameCounts>;
  /** A note when a stream is missing from ended() (the edge keeps only the last 50). */
  missingNote: string;
  problems(): string[];
  stop(): Promise<void>;
}

async function startTarget(server: IngestServer, pinServer: string | undefined): Promise<IngestTarget> {
  if (server === 'nms') {
    const nms = await startNmsProcess({ pinServer, countFrames: true });
    const frames = async (): Promise<FrameCounts> =>
      new Map(Object.entries((await nms.status()).frames).map(([path, count]) => [path.split('/')[2] ?? path, count]));
    return {
      name: 'nms',
      version: nms.version,
      pid: nms.pid,
      rtmpPort: nms.rtmpPort,
      natsPid: undefined,
      redisPid: undefined,
      process: nms.process,
      live: async () =>
        benchStreams((await nms.status()).streams.filter((s) => s.status === 'publishing').map((s) => ({ name: s.name, videoFrames: s.videoFrames ?? 0, audioFrames: s.audioFrames ?? 0 }))),
      ended: async () => benchStreams([...(await frames())].map(([name, c]) => ({ name, ...c }))),
      missingNote: '',
      problems: () => nms.problems(),
      stop: () => nms.stop(),
    };
  }
  const edge = await startEdgeProcess({ pinServer });
  return {
    name: 'edge',
    version: undefined,
    pid: edge.pid,
    rtmpPort: edge.rtmpPort,
    natsPid: edge.services.nats.process.pid,
    redisPid: edge.services.redis.process.pid,
    process: edge.process,
    live: async () => benchStreams((await edge.status()).streams),
    ended: async () => {
      // Ended streams, newest first; the edge keeps the last 50.
      const ended = new Map<string, EdgeStreamStatus>();
      for (const s of (await edge.status()).recent) if (s.name.startsWith('bench-') && !ended.has(s.name)) ended.set(s.name, s);
      return ended;
    },
    missingNote: ': the edge keeps only the last 50',
    problems: () => edge.problems(),
    stop: () => edge.stop(),
  };
}

export async function runIngest(server: IngestServer, options: IngestOptions, media: BenchMedia, log: (line: string) => void): Promise<IngestResult> {
  if (options.pinLoad) {
    pinProcess(options.pinLoad, process.pid);
    log(`load process ${process.pid} pinned to CPU ${options.pinLoad}`);
  }
  const timeline = buildTimeline(media.tags);
  const failures: string[] = [];
  const target = await startTarget(server, options.pinServer);
  const label = server === 'nms' ? `node-media-server ${target.version}` : 'edge';
  log(`${label} pid ${target.pid} on rtmp 127.0.0.1:${target.rtmpPort}${options.pinServer ? `, pinned to CPU ${options.pinServer}` : ''}`);
  const publishers = Array.from({ length: options.publishers }, (_, i) => new PacedPublisher(i, target.rtmpPort, timeline, media.metadata, options.chunkSize));

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping publishers and the ${server}`);
    for (const p of publishers) p.destroy();
    void target.stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let phase = 'start';
  const t0 = performance.now();
  let last = { t: t0, serverCpu: readCpuSeconds(target.pid), bench: process.cpuUsage(), bytes: 0 };
  const ticker = setInterval(() => {
    const now = performance.now();
    let serverCpu = last.serverCpu;
    try {
      serverCpu = readCpuSeconds(target.pid);
    } catch {
      // exited; reported below
    }
    const bench = process.cpuUsage();
    const total = sumCounters(publishers);
    const dt = (now - last.t) / 1000;
    const benchCpu = (bench.user + bench.system - last.bench.user - last.bench.system) / 1e6;
    log(
      `${phase.padEnd(8)} ${((now - t0) / 1000).toFixed(0).padStart(3)} s  publishers ${publishers.filter((p) => p.up).length}/${publishers.length}` +
        `  sent ${(total.bytes / 1e6).toFixed(1)} MB (${((total.bytes - last.bytes) / 1e6 / dt).toFixed(2)} MB/s)` +
        `  ${server} CPU ${(((serverCpu - last.serverCpu) / dt) * 100).toFixed(1)}%  bench CPU ${((benchCpu / dt) * 100).toFixed(1)}%  drain waits ${total.drainWaits}`,
    );
    last = { t: now, serverCpu, bench, bytes: total.bytes };
  }, 1000);

  const assertHealthy = (): void => {
    const exit = target.process.exitStatus();
    if (exit) throw new Error(`the ${server} exited (${exit.code ?? exit.signal}):\n${target.process.output().slice(-2000)}`);
    const failed = publishers.filter((p) => p.error);
    if (failed.length > 0) throw new Error(`${failed.length} publisher(s) failed: ${failed.map((p) => p.error?.message).join('; ')}`);
  };

  try {
    const idle = readMemory(target.pid);
    phase = 'starting';
    const spacing = 1000 / options.publishers;
    await Promise.all(publishers.map(async (p, i) => {
      await sleep(i * spacing);
      await p.start();
    }));
    phase = 'warm-up';
    await sleep(options.warmup * 1000);
    assertHealthy();

    const startStreams = await target.live();
    phase = 'measure';
    for (const p of publishers) p.counters.lagMaxMs = 0;
    const { natsPid, redisPid } = target;
    const snapshot = () => ({
      t: performance.now(),
      cpu: readCpuTimes(target.pid),
      nats: natsPid !== undefined ? readCpuSeconds(natsPid) : 0,
      redis: redisPid !== undefined ? readCpuSeconds(redisPid) : 0,
      bench: process.cpuUsage(),
      sent: sumCounters(publishers),
      system: readSystemCpu(),
    });
    const w0 = snapshot();
    await sleep(options.seconds * 1000);
    const w1 = snapshot();
    const memory = readMemory(target.pid);
    const endStreams = await target.live();
    assertHealthy();

    phase = 'stopping';
    await Promise.all(publishers.map((p) => p.stop()));
    await sleep(1000);
    const ended = await target.ended();
    clearInterval(ticker);

    const windowSeconds = (w1.t - w0.t) / 1000;
    const bytes = w1.sent.bytes - w0.sent.bytes;
    const messages = w1.sent.messages - w0.sent.messages;
    const serverUser = w1.cpu.user - w0.cpu.user;
    const serverSystem = w1.cpu.system - w0.cpu.system;
    const serverCpu = serverUser + serverSystem;
    const benchCpu = (w1.bench.user + w1.bench.system - w0.bench.user - w0.bench.system) / 1e6;
    const stealPercent = Math.max(0, ...systemCpuBetween(w0.system, w1.system).map((c) => c.stealPercent));
    if (stealPercent > 5) log(`note: the hypervisor stole up to ${stealPercent.toFixed(0)} % of a CPU during the window: the figures are not comparable`);

    let framesIncreasing = 0;
    for (const [name, s] of endStreams) if (s.videoFrames > (startStreams.get(name)?.videoFrames ?? Infinity)) framesIncreasing++;
    if (startStreams.size !== options.publishers) failures.push(`${startStreams.size}/${options.publishers} streams live in /status at the start of the window`);
    if (endStreams.size !== options.publishers) failures.push(`${endStreams.size}/${options.publishers} streams live in /status at the end of the window`);
    if (framesIncreasing !== options.publishers) failures.push(`videoFrames increased during the window on ${framesIncreasing}/${options.publishers} streams`);

    const streams: StreamCheck[] = publishers.map((p) => {
      const s = ended.get(p.name);
      const check = {
        name: p.name,
        videoSent: p.counters.videoFrames,
        videoReceived: s?.videoFrames,
        audioSent: p.counters.audioFrames,
        audioReceived: s?.audioFrames,
      };
      return { ...check, match: check.videoSent === check.videoReceived && check.audioSent === check.audioReceived };
    });
    const matched = streams.filter((s) => s.match).length;
    if (matched !== streams.length) {
      const missing = streams.filter((s) => s.videoReceived === undefined).length;
      failures.push(
        `frame counts differ on ${streams.length - matched} stream(s)` +
          (missing > 0 ? ` (${missing} not in /status${options.publishers > 50 ? target.missingNote : ''})` : ''),
      );
    }
    const serverProblems = target.problems();
    if (serverProblems.length > 0) failures.push(`the ${server} logged ${serverProblems.length} warning/error line(s)`);
    if (w1.sent.drainWaits > 0) log(`note: publishers waited for 'drain' ${w1.sent.drainWaits} time(s)`);

    return {
      ok: failures.length === 0,
      failures,
      windowSeconds,
      stealPercent,
      ingest: {
        bytes,
        mbitPerSecond: (bytes * 8) / windowSeconds / 1e6,
        messages,
        videoFrames: w1.sent.videoFrames - w0.sent.videoFrames,
        audioFrames: w1.sent.audioFrames - w0.sent.audioFrames,
      },
      server: {
        name: server,
        version: target.version,
        pid: target.pid,
        cpuSeconds: serverCpu,
        userSeconds: serverUser,
        systemSeconds: serverSystem,
        cpuPercent: (serverCpu / windowSeconds) * 100,
        cpuSecondsPerGB: serverCpu / (bytes / 1e9),
        rssMiB: memory.rss / MiB,
        peakRssMiB: memory.hwm / MiB,
        idleRssMiB: idle.rss / MiB,
      },
      load: {
        cpuSeconds: benchCpu,
        cpuPercent: (benchCpu / windowSeconds) * 100,
        drainWaits: w1.sent.drainWaits - w0.sent.drainWaits,
        meanLagMs: messages > 0 ? (w1.sent.lagSumMs - w0.sent.lagSumMs) / messages : 0,
        maxLagMs: w1.sent.lagMaxMs,
      },
      services: natsPid !== undefined ? { natsCpuSeconds: w1.nats - w0.nats, redisCpuSeconds: w1.redis - w0.redis } : null,
      check: {
        liveAtStart: startStreams.size,
        liveAtEnd: endStreams.size,
        framesIncreasing,
        streamsMatched: matched,
        videoFramesSent: streams.reduce((n, s) => n + s.videoSent, 0),
        videoFramesReceived: streams.reduce((n, s) => n + (s.videoReceived ?? 0), 0),
        audioFramesSent: streams.reduce((n, s) => n + s.audioSent, 0),
        audioFramesReceived: streams.reduce((n, s) => n + (s.audioReceived ?? 0), 0),
        serverProblems: serverProblems.slice(0, 20),
      },
      streams,
    };
  } finally {
    clearInterval(ticker);
    for (const p of publishers) p.destroy();
    await target.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
