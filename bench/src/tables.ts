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
  'latency ms p50 / p90 / p99 / max', 'server RSS MiB idle / window', 'RSS per viewer KiB', 'bench CPU', 'bench event-loop delay p99 / max ms',
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

/** One fan-out run of a compare, as the summary needs it. */
export interface CompareFanoutRun {
  options: Pick<FanoutOptions, 'path' | 'protocol' | 'viewers'>;
  result: FanoutResult | undefined;
}

export const COMPARE_SUMMARY_HEADERS = [
  'row', "issue's target", 'ours (cluster path)', 'node-media-server', 'target', 'against node-media-server', 'steal % ours / peer',
];

/** The largest steal (CPU the hypervisor gave to other guests) on any CPU during a fan-out run's window. */
function steal(r: FanoutResult | undefined): string {
  if (r === undefined || r.system.cpus.length === 0) return '-';
  return cell(Math.max(...r.system.cpus.map((c) => c.stealPercent)), 0);
}

/** `ours / peer` steal of two runs. */
const stealPair = (ours: FanoutResult | undefined, peer: FanoutResult | undefined): string => `${steal(ours)} / ${steal(peer)}`;

/** A figure, or '-' when the run behind it is missing. */
function cell(value: number, digits: number): string {
  return Number.isFinite(value) ? fixed(value, digits) : '-';
}

/** `12 % cheaper` / `5 % dearer` / `tie` (lower is better; within 2 % is a tie). */
export function lowerIsBetter(ours: number, peer: number, better = 'cheaper', worse = 'dearer'): string {
  if (!Number.isFinite(ours) || !Number.isFinite(peer) || peer <= 0) return '-';
  const change = (ours - peer) / peer;
  if (Math.abs(change) < 0.02) return 'tie';
  return `${cell(Math.abs(change) * 100, 0)} % ${change < 0 ? better : worse}`;
}

function met(value: number, limit: number): string {
  if (!Number.isFinite(value)) return '-';
  return value <= limit ? 'met' : `missed by ${cell(value - limit, 2)}`;
}

/**
 * The compare's verdict table: each row of the side-by-side table with its target, our cluster path's
 * figure, node-media-server's from the same run, and how they compare. Rows whose runs are missing show '-'.
 */
export function compareSummaryRows(runs: readonly CompareFanoutRun[], ingest: readonly IngestResult[]): Array<Array<string | number>> {
  const find = (path: string, protocol: string, viewers: number): FanoutResult | undefined =>
    runs.find((r) => r.options.path === path && r.options.protocol === protocol && r.options.viewers === viewers && r.result?.ok)?.result;
  const cost = (r: FanoutResult | undefined): number => r?.origin.cpuSecondsPerGB ?? NaN;
  const rows: Array<Array<string | number>> = [];
  const costRow = (label: string, protocol: string, viewers: number, target: number | undefined): void => {
    const ours = cost(find('cluster', protocol, viewers));
    const peer = cost(find('nms', protocol, viewers));
    const stealCell = stealPair(find('cluster', protocol, viewers), find('nms', protocol, viewers));
    rows.push([label, target === undefined ? '-' : `<= ${target}`, cell(ours, 2), cell(peer, 2), target === undefined ? '-' : met(ours, target), lowerIsBetter(ours, peer), stealCell]);
  };
  costRow('RTMP fan-out, 100 viewers: CPU-s/GB', 'rtmp', 100, 1.2);
  const ours100 = find('cluster', 'rtmp', 100);
  const peer100 = find('nms', 'rtmp', 100);
  const p = (r: FanoutResult | undefined, k: 'p50' | 'p99'): number => r?.latency[k] ?? NaN;
  rows.push([
    'latency p50 / p99, RTMP 100 viewers (ms)',
    'p99 <= 20',
    `${ms(p(ours100, 'p50'))} / ${ms(p(ours100, 'p99'))}`,
    `${ms(p(peer100, 'p50'))} / ${ms(p(peer100, 'p99'))}`,
    met(p(ours100, 'p99'), 20),
    `p50 ${lowerIsBetter(p(ours100, 'p50'), p(peer100, 'p50'), 'lower', 'higher')}, p99 ${lowerIsBetter(p(ours100, 'p99'), p(peer100, 'p99'), 'lower', 'higher')}`,
    stealPair(ours100, peer100),
  ]);
  costRow('RTMP fan-out, 800 viewers: CPU-s/GB', 'rtmp', 800, 0.9);
  const perViewer = (path: string): number => {
    const a = find(path, 'rtmp', 100);
    const b = find(path, 'rtmp', 800);
    return a && b ? ((b.origin.rssMiB - a.origin.rssMiB) * 1024) / (b.delivery.viewers - a.delivery.viewers) : NaN;
  };
  const oursKiB = perViewer('cluster');
  const peerKiB = perViewer('nms');
  rows.push(['memory per extra RTMP viewer, 100 -> 800 (KiB)', '<= 16', cell(oursKiB, 1), cell(peerKiB, 1), met(oursKiB, 16), lowerIsBetter(oursKiB, peerKiB, 'less', 'more'), '-']);
  rows.push(['origin RSS with 100 RTMP viewers (MiB)', 'reported', cell(ours100?.origin.rssMiB ?? NaN, 0), cell(peer100?.origin.rssMiB ?? NaN, 0), '-', '-', stealPair(ours100, peer100)]);
  const edge = ingest.find((r) => r.server.name === 'edge' && r.ok);
  const nms = ingest.find((r) => r.server.name === 'nms' && r.ok);
  const ingestOurs = edge?.server.cpuSecondsPerGB ?? NaN;
  const ingestPeer = nms?.server.cpuSecondsPerGB ?? NaN;
  rows.push(['ingest, 20 publishers: edge CPU-s/GB', '<= 5.0', cell(ingestOurs, 2), cell(ingestPeer, 2), met(ingestOurs, 5), lowerIsBetter(ingestOurs, ingestPeer), `${cell(edge?.stealPercent ?? NaN, 0)} / ${cell(nms?.stealPercent ?? NaN, 0)}`]);
  rows.push(['nats-server CPU during ingest (CPU-s per window)', 'reported', cell(edge?.services?.natsCpuSeconds ?? NaN, 2), '-', '-', '-', '-']);
  costRow('HTTP-FLV fan-out, 100 viewers: CPU-s/GB', 'http-flv', 100, 1.3);
  const flv100 = find('cluster', 'http-flv', 100);
  const flvPeer100 = find('nms', 'http-flv', 100);
  rows.push([
    'HTTP-FLV 100 viewers: p99 latency (ms)',
    '<= 20',
    ms(p(flv100, 'p99')),
    ms(p(flvPeer100, 'p99')),
    met(p(flv100, 'p99'), 20),
    lowerIsBetter(p(flv100, 'p99'), p(flvPeer100, 'p99'), 'lower', 'higher'),
    stealPair(flv100, flvPeer100),
  ]);
  costRow('WebSocket-FLV fan-out, 100 viewers: CPU-s/GB', 'ws-flv', 100, undefined);
  costRow('HTTP-FLV fan-out, 800 viewers: CPU-s/GB', 'http-flv', 800, undefined);
  costRow('WebSocket-FLV fan-out, 800 viewers: CPU-s/GB', 'ws-flv', 800, undefined);
  return rows;
}
