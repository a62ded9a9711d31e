/**
 * The Markdown rows of the ingest, fanout and fanout-matrix tables (pure: results in, cells out). Our rows and
 * node-media-server's go in the same table, so every figure has its peer beside it.
 */
import type { FanoutOptions } from './cli';
import type { FanoutResult } from './fanout-bench';
import type { IngestResult } from './ingest-bench';
import { fixed } from './report';

export const ms = (value: number): string => (Number.isFinite(value) ? fixed(value, value < 10 ? 2 : 1) : '-');

export const FANOUT_HEADERS = [
  'path', 'protocol', 'viewers', 'delivered Mbit/s', 'server CPU', '**server CPU-s/GB**', 'edge + nats CPU', 'total CPU-s/GB',
  'latency ms p50 / p90 / p99 / max', 'server RSS MiB idle / end', 'RSS per viewer KiB', 'bench CPU', 'bench event-loop delay p99 / max ms',
  'other processes CPU', 'messages min / median %', 'ok',
];

export function fanoutRow(options: Pick<FanoutOptions, 'path' | 'protocol' | 'viewers'>, r: FanoutResult): Array<string | number> {
  const l = r.latency;
  const c = r.check;
  return [
    options.path,
    options.protocol,
    options.viewers,
    fixed(r.delivery.mbitPerSecond, 0),
    `${fixed(r.origin.cpuPercent, 1)}%`,
    fixed(r.origin.cpuSecondsPerGB, 2),
    r.edge ? `${fixed(r.edge.cpuPercent, 1)}% + ${fixed(r.nats?.cpuPercent ?? 0, 1)}%` : '-',
    fixed(r.total.cpuSecondsPerGB, 2),
    `${ms(l.p50)} / ${ms(l.p90)} / ${ms(l.p99)} / ${ms(l.max)}`,
    `${fixed(r.origin.idleRssMiB, 0)} / ${fixed(r.origin.rssMiB, 0)}`,
    fixed(r.origin.rssPerViewerKiB, 0),
    `${fixed(r.load.cpuPercent, 0)}%`,
    `${ms(r.load.eventLoopDelayMs.p99)} / ${ms(r.load.eventLoopDelayMs.max)}`,
    `${fixed(r.system.otherProcessesCpuPercent, 0)}%`,
    `${fixed(c.deliveredPercent.min, 1)} / ${fixed(c.deliveredPercent.median, 1)}`,
    r.ok ? 'yes' : 'NO',
  ];
}

/** A matrix row for a run that threw (its error is printed below the table). */
export function failedFanoutRow(options: Pick<FanoutOptions, 'path' | 'protocol' | 'viewers'>): Array<string | number> {
  return [options.path, options.protocol, options.viewers, ...FANOUT_HEADERS.slice(3, -1).map(() => '-'), 'NO (error)'];
}

export const INGEST_HEADERS = [
  'server', 'publishers', 'window s', 'ingest Mbit/s', 'server CPU-s (user+sys)', 'server CPU', '**server CPU-s/GB**',
  'server RSS MiB (idle/end/peak)', 'nats-server CPU-s', 'bench CPU', 'drain waits', 'lag ms (mean/max)', 'video frames sent/received', 'streams OK',
];

/** `node-media-server 4.4.3` for NMS, `edge` for ours. */
export function ingestServerLabel(r: Pick<IngestResult, 'server'>): string {
  return r.server.name === 'nms' ? `node-media-server ${r.server.version ?? '?'}` : 'edge';
}

export function ingestRow(publishers: number, r: IngestResult): Array<string | number> {
  const { server: s, load, check } = r;
  return [
    ingestServerLabel(r),
    publishers,
    fixed(r.windowSeconds, 1),
    fixed(r.ingest.mbitPerSecond, 1),
    `${fixed(s.cpuSeconds, 2)} (${fixed(s.userSeconds, 2)}+${fixed(s.systemSeconds, 2)})`,
    `${fixed(s.cpuPercent, 1)}%`,
    fixed(s.cpuSecondsPerGB, 2),
    `${fixed(s.idleRssMiB, 0)} / ${fixed(s.rssMiB, 0)} / ${fixed(s.peakRssMiB, 0)}`,
    r.services ? fixed(r.services.natsCpuSeconds, 2) : '-',
    `${fixed(load.cpuPercent, 1)}%`,
    load.drainWaits,
    `${fixed(load.meanLagMs, 2)} / ${fixed(load.maxLagMs, 1)}`,
    `${check.videoFramesSent} / ${check.videoFramesReceived}`,
    `${check.streamsMatched}/${publishers}`,
  ];
}

export const INGEST_STREAM_HEADERS = ['server', 'stream', 'video sent', 'video received', 'audio sent', 'audio received', 'match'];

export function ingestStreamRows(r: IngestResult): Array<Array<string | number>> {
  const label = ingestServerLabel(r);
  return r.streams.map((s) => [label, s.name, s.videoSent, s.videoReceived ?? '-', s.audioSent, s.audioReceived ?? '-', s.match ? 'yes' : 'NO']);
}
