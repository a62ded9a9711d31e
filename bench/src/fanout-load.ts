/**
 * The load side of a fan-out run, shared by the fanout and capacity scenarios: one paced publisher (bench-0), the
 * viewers, the measured window and its message accounting, the latency histogram, the /proc snapshots of every
 * process on the path, and the once-a-second progress line.
 *
 * The window is defined on the publisher's timestamps. When it opens, the last video and audio timestamps written
 * so far become the lower bounds; when it closes, the last ones written become the upper bounds. A viewer counts
 * a message as the window's when its timestamp lies in (lower, upper] for its type (timestamps of one type are
 * unique and increasing while the file loops), and for each such video message records latency = receive time -
 * the publisher's write time for that timestamp. Opening a window resets every viewer's window counts, so one
 * load can measure several windows in a row (the capacity steps).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AmfValue } from '@ingest/amf';
import { eventually } from '@ingest/testing';
import type { FanoutProtocol } from './cli';
import type { FanoutServers } from './fanout-servers';
import { LatencyHistogram, SentClock } from './latency';
import type { MediaTag } from './media';
import type { Timeline } from './pacing';
import { readCpuSeconds, readCpuTimes, readSystemCpu, systemCpuBetween, type CpuTimes, type SystemCpuTicks } from './procfs';
import { PacedPublisher, type PublisherCounters } from './publisher';
import { createViewer, type BenchViewer } from './viewers';

export const STREAM = 'bench-0';
const TYPE_AUDIO = 8;
const TYPE_VIDEO = 9;

/**
 * monitorEventLoopDelay samples with a timer every LOOP_RESOLUTION_MS and (Node 26) records the whole interval
 * between samples, so an idle loop reads about 10 ms. The delay is the excess over the interval.
 */
const LOOP_RESOLUTION_MS = 10;
export function loopDelayMs(ns: number): number {
  return Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
}

export interface ProcessCpu {
  pid: number;
  cpuSeconds: number;
  userSeconds: number;
  systemSeconds: number;
  /** Of one core. */
  cpuPercent: number;
}

export function cpuOf(pid: number, a: CpuTimes, b: CpuTimes, seconds: number): ProcessCpu {
  const userSeconds = b.user - a.user;
  const systemSeconds = b.system - a.system;
  const cpuSeconds = userSeconds + systemSeconds;
  return { pid, cpuSeconds, userSeconds, systemSeconds, cpuPercent: (cpuSeconds / seconds) * 100 };
}

/** libs/testing's eventually, with a failing check (a refused /status) counting as not yet. */
export async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  await eventually(() => check().catch(() => false), timeoutMs, what);
}

export interface WindowSnapshot {
  t: number;
  server: CpuTimes;
  edge: CpuTimes | undefined;
  nats: CpuTimes | undefined;
  redis: number;
  bench: NodeJS.CpuUsage;
  system: SystemCpuTicks[];
  socketBytes: number;
  mediaBytes: number;
  publisher: PublisherCounters;
  sent: { video: number; audio: number; lastVideoTs: number; lastAudioTs: number };
}

export interface EventLoopDelay {
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

/** CPU and bytes between two snapshots: what both scenarios report per window. */
export interface WindowFigures {
  windowSeconds: number;
  socketBytes: number;
  mediaBytes: number;
  server: ProcessCpu;
  edge: ProcessCpu | null;
  nats: ProcessCpu | null;
  redisCpuSeconds: number;
  /** Edge + nats-server + serving process. */
  totalCpuSeconds: number;
  benchCpuSeconds: number;
  benchCpuPercent: number;
  /** CPU of every other process on the machine, % of one core (/proc/stat minus ours). */
  otherProcessesCpuPercent: number;
  cpus: ReturnType<typeof systemCpuBetween>;
  expectedVideo: number;
  expectedAudio: number;
}

export function windowFigures(servers: FanoutServers, w0: WindowSnapshot, w1: WindowSnapshot): WindowFigures {
  const windowSeconds = (w1.t - w0.t) / 1000;
  const server = cpuOf(servers.serverPid, w0.server, w1.server, windowSeconds);
  const edge = servers.edgePid !== undefined && w0.edge && w1.edge ? cpuOf(servers.edgePid, w0.edge, w1.edge, windowSeconds) : null;
  const nats = servers.natsPid !== undefined && w0.nats && w1.nats ? cpuOf(servers.natsPid, w0.nats, w1.nats, windowSeconds) : null;
  const totalCpuSeconds = server.cpuSeconds + (nats?.cpuSeconds ?? 0) + (edge?.cpuSeconds ?? 0);
  const benchCpuSeconds = (w1.bench.user + w1.bench.system - w0.bench.user - w0.bench.system) / 1e6;
  const redisCpuSeconds = w1.redis - w0.redis;
  const cpus = systemCpuBetween(w0.system, w1.system);
  const ours = totalCpuSeconds + benchCpuSeconds + redisCpuSeconds;
  const otherProcessesCpuPercent = Math.max(0, ((cpus.find((c) => c.name === 'cpu')?.processSeconds ?? ours) - ours) / windowSeconds) * 100;
  return {
    windowSeconds,
    socketBytes: w1.socketBytes - w0.socketBytes,
    mediaBytes: w1.mediaBytes - w0.mediaBytes,
    server,
    edge,
    nats,
    redisCpuSeconds,
    totalCpuSeconds,
    benchCpuSeconds,
    benchCpuPercent: (benchCpuSeconds / windowSeconds) * 100,
    otherProcessesCpuPercent,
    cpus,
    expectedVideo: w1.sent.video - w0.sent.video,
    expectedAudio: w1.sent.audio - w0.sent.audio,
  };
}

export class FanoutLoad {
  readonly publisher: PacedPublisher;
  readonly viewers: BenchViewer[] = [];
  readonly latency = new LatencyHistogram();
  /** Window video messages with no recorded publisher write time. */
  unmatched = 0;
  private readonly clock = new SentClock();
  private readonly sent = { video: 0, audio: 0, lastVideoTs: -1, lastAudioTs: -1 };
  /** (after, upTo] per type; nothing counts until a window opens. */
  private readonly bounds = { videoAfter: Infinity, videoUpTo: Infinity, audioAfter: Infinity, audioUpTo: Infinity };
  private readonly eventLoop: ReturnType<typeof monitorEventLoopDelay> = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  private ticker: NodeJS.Timeout | undefined;
  /** Shown at the start of each progress line. */
  phase = 'start';

  constructor(
    private readonly servers: FanoutServers,
    timeline: Timeline<MediaTag>,
    metadata: AmfValue | undefined,
    chunkSize: number,
  ) {
    this.publisher = new PacedPublisher(0, servers.publishPort, timeline, metadata, chunkSize);
    this.publisher.onSent = (type, timestamp, at) => {
      if (type === TYPE_VIDEO) {
        this.sent.video++;
        this.sent.lastVideoTs = timestamp;
        this.clock.record(timestamp, at);
      } else if (type === TYPE_AUDIO) {
        this.sent.audio++;
        this.sent.lastAudioTs = timestamp;
      }
    };
  }

  private readonly onMessage = (viewer: BenchViewer, type: number, timestamp: number, at: number): void => {
    const b = this.bounds;
    if (type === TYPE_VIDEO) {
      if (timestamp > b.videoAfter && timestamp <= b.videoUpTo) {
        viewer.windowVideo++;
        const sentAt = this.clock.sentAt(timestamp);
        if (Number.isNaN(sentAt)) this.unmatched++;
        else this.latency.record(at - sentAt);
      }
    } else if (type === TYPE_AUDIO) {
      if (timestamp > b.audioAfter && timestamp <= b.audioUpTo) viewer.windowAudio++;
    }
  };

  /** Throws when a server exited or the publisher failed. */
  assertHealthy(): void {
    this.servers.assertRunning();
    if (this.publisher.error) throw new Error(`the publisher failed: ${this.publisher.error.message}`);
  }

  /** Starts publishing and waits (up to 10 s) until the servers list the stream as live. */
  async publish(): Promise<void> {
    this.phase = 'publish';
    await this.publisher.start();
    await until(`${STREAM} to be live`, 10_000, () => this.servers.isLive(STREAM));
  }

  /** Viewers that connected and have not been closed. */
  live(): BenchViewer[] {
    return this.viewers.filter((v) => v.connected && v.closeReason === undefined);
  }

  /** Connects `count` more viewers, their starts spread evenly over `seconds`; returns them and the errors. */
  async connect(count: number, protocol: FanoutProtocol, seconds: number): Promise<{ added: BenchViewer[]; errors: string[] }> {
    const spacing = count > 1 ? (seconds * 1000) / (count - 1) : 0;
    const errors: string[] = [];
    const added: BenchViewer[] = [];
    const first = this.viewers.length;
    const port = this.servers.playPort(protocol);
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        await sleep(i * spacing);
        const viewer = createViewer(protocol, first + i, port, STREAM, this.onMessage);
        this.viewers.push(viewer);
        added.push(viewer);
        try {
          await viewer.start();
        } catch (err) {
          errors.push((err as Error).message);
          viewer.stop();
        }
      }),
    );
    return { added, errors };
  }

  snapshot(): WindowSnapshot {
    const s = this.servers;
    return {
      t: performance.now(),
      server: readCpuTimes(s.serverPid),
      edge: s.edgePid !== undefined ? readCpuTimes(s.edgePid) : undefined,
      nats: s.natsPid !== undefined ? readCpuTimes(s.natsPid) : undefined,
      redis: s.redisPid !== undefined ? readCpuSeconds(s.redisPid) : 0,
      bench: process.cpuUsage(),
      system: readSystemCpu(),
      socketBytes: this.viewers.reduce((n, v) => n + v.socketBytes, 0),
      mediaBytes: this.viewers.reduce((n, v) => n + v.mediaBytes, 0),
      publisher: { ...this.publisher.counters },
      sent: { ...this.sent },
    };
  }

  /** Opens a window: lower bounds, and every viewer's window counts, silence, the latency and the loop delay reset. */
  openWindow(): WindowSnapshot {
    this.publisher.counters.lagMaxMs = 0;
    const w0 = this.snapshot();
    this.bounds.videoAfter = w0.sent.lastVideoTs;
    this.bounds.audioAfter = w0.sent.lastAudioTs;
    this.bounds.videoUpTo = Infinity;
    this.bounds.audioUpTo = Infinity;
    for (const v of this.viewers) {
      v.windowVideo = 0;
      v.windowAudio = 0;
      v.resetGap(w0.t);
    }
    this.latency.reset();
    this.unmatched = 0;
    this.eventLoop.reset();
    return w0;
  }

  /** Closes the window (upper bounds); returns its end snapshot and this process's event-loop delay over it. */
  closeWindow(): { w1: WindowSnapshot; eventLoopDelayMs: EventLoopDelay } {
    const w1 = this.snapshot();
    this.bounds.videoUpTo = w1.sent.lastVideoTs;
    this.bounds.audioUpTo = w1.sent.lastAudioTs;
    const e = this.eventLoop;
    return { w1, eventLoopDelayMs: { mean: loopDelayMs(e.mean), p50: loopDelayMs(e.percentile(50)), p99: loopDelayMs(e.percentile(99)), max: loopDelayMs(e.max) } };
  }

  /** Gives the live viewers up to `ms` to receive the rest of the window's messages (they are in flight). */
  async drain(expectedVideo: number, expectedAudio: number, ms = 3000): Promise<void> {
    const live = this.live();
    const end = performance.now() + ms;
    while (performance.now() < end && live.some((v) => v.windowVideo < expectedVideo || v.windowAudio < expectedAudio)) await sleep(50);
  }

  /** The once-a-second progress line on `log`, until stopTicker. */
  startTicker(log: (line: string) => void, target: () => number): void {
    const s = this.servers;
    this.eventLoop.enable();
    const t0 = performance.now();
    const read = () => {
      let server = NaN;
      let edge = NaN;
      try {
        server = readCpuSeconds(s.serverPid);
        if (s.edgePid !== undefined) edge = readCpuSeconds(s.edgePid);
      } catch {
        // exited; reported by assertHealthy
      }
      return { t: performance.now(), server, edge, bench: process.cpuUsage(), bytes: this.viewers.reduce((n, v) => n + v.socketBytes, 0), system: readSystemCpu() };
    };
    let last = read();
    this.ticker = setInterval(() => {
      const now = read();
      const dt = (now.t - last.t) / 1000;
      const idle = systemCpuBetween(last.system, now.system)
        .filter((c) => c.name !== 'cpu')
        .map((c) => `${c.idlePercent.toFixed(0)}%`)
        .join('/');
      const benchCpu = (now.bench.user + now.bench.system - last.bench.user - last.bench.system) / 1e6;
      const pct = (a: number, b: number): string => `${(((a - b) / dt) * 100).toFixed(1)}%`;
      const lat = this.latency.count > 0 ? `  latency p50 ${this.latency.percentile(50).toFixed(1)} p99 ${this.latency.percentile(99).toFixed(1)} ms` : '';
      log(
        `${this.phase.padEnd(8)} ${((now.t - t0) / 1000).toFixed(0).padStart(3)} s  viewers ${this.live().length}/${target()}` +
          `  delivered ${(((now.bytes - last.bytes) * 8) / 1e6 / dt).toFixed(0)} Mbit/s  ${s.serverName} CPU ${pct(now.server, last.server)}` +
          (s.edgePid !== undefined ? `  edge CPU ${pct(now.edge, last.edge)}` : '') +
          `  bench CPU ${((benchCpu / dt) * 100).toFixed(1)}%  CPUs idle ${idle}  event-loop delay max ${loopDelayMs(this.eventLoop.max).toFixed(1)} ms${lat}`,
      );
      last = now;
    }, 1000);
  }

  stopTicker(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** Closes every viewer (not counted as disconnects). */
  stopViewers(): void {
    for (const v of this.viewers) v.stop();
  }

  /** Immediate: the ticker, the viewers and the publisher. */
  destroy(): void {
    this.stopTicker();
    this.eventLoop.disable();
    this.stopViewers();
    this.publisher.destroy();
  }
}
