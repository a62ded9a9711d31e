import type { FanoutResult } from './fanout-bench';
import type { IngestResult } from './ingest-bench';
import {
  COMPARE_SUMMARY_HEADERS,
  compareSummaryRows,
  failedFanoutRow,
  FANOUT_HEADERS,
  fanoutRow,
  INGEST_HEADERS,
  ingestRow,
  ingestServerLabel,
  ingestStreamRows,
  lowerIsBetter,
} from './tables';

const cpu = { pid: 1, cpuSeconds: 2, userSeconds: 0.5, systemSeconds: 1.5, cpuPercent: 10 };

function fanoutResult(overrides: Partial<FanoutResult>): FanoutResult {
  return {
    ok: true, failures: [], warnings: [], serverName: 'nms', peerVersion: '4.4.3', loadAverageAtStart: 0.2, windowSeconds: 20,
    publisher: { bytes: 0, messages: 0, videoFrames: 0, audioFrames: 0, mbitPerSecond: 2.67, drainWaits: 0, meanLagMs: 0, maxLagMs: 0 },
    delivery: { viewers: 100, connected: 100, socketBytes: 0, mediaBytes: 0, mbitPerSecond: 266.6, perViewerMbitPerSecond: 2.67 },
    latency: { count: 1, min: 0.5, mean: 1, p50: 1.004, p90: 1.63, p99: 5.88, p999: 10, max: 19.5, unmatched: 0 },
    origin: { ...cpu, cpuPercent: 8.2, cpuSecondsPerGB: 2.456, idleRssMiB: 90.4, rssMiB: 101.2, rssEndMiB: 101.5, peakRssMiB: 102, rssPerViewerKiB: 112.3 },
    edge: null, nats: null, redis: null,
    total: { cpuSeconds: 2, cpuPercent: 8.2, cpuSecondsPerGB: 2.456 },
    load: { cpuSeconds: 3, cpuPercent: 15.2, eventLoopDelayMs: { mean: 1, p50: 1, p99: 3.42, max: 10.3 } },
    system: { cpus: [], otherProcessesCpuPercent: 0.4 },
    check: {
      connected: 100, connectErrors: [], disconnects: 0, disconnectReasons: [], stalled: 0, silent: 0, maxGapMs: 100, expectedVideo: 600,
      expectedAudio: 861, deliveredPercent: { min: 100, median: 100, max: 100 }, viewersShort: 0, originDroppedFrames: null, slowViewerCuts: null,
      originProblems: [], edgeProblems: [],
    },
    ...overrides,
  };
}

describe('fanoutRow', () => {
  it('renders a row of the peer with no relay processes', () => {
    const row = fanoutRow({ path: 'nms', protocol: 'ws-flv', viewers: 100 }, fanoutResult({}));
    expect(row).toHaveLength(FANOUT_HEADERS.length);
    expect(row).toEqual([
      'nms', 'ws-flv', 100, '267', '8.2%', '2.46', '-', '2.46', '1.00 / 1.63 / 5.88 / 19.5', '90 / 101', '112', '15%', '3.42 / 10.3', '0%',
      '100.0 / 100.0', 'yes',
    ]);
  });

  it("shows the edge's and nats-server's CPU on the cluster path, and a failed run", () => {
    const row = fanoutRow({ path: 'cluster', protocol: 'rtmp', viewers: 800 }, fanoutResult({ ok: false, edge: { ...cpu, cpuPercent: 3.46 }, nats: { cpuSeconds: 1, cpuPercent: 1.44 } }));
    expect(row[6]).toBe('3.5% + 1.4%');
    expect(row.at(-1)).toBe('NO');
  });
});

describe('failedFanoutRow', () => {
  it('fills every column', () => {
    const row = failedFanoutRow({ path: 'nms', protocol: 'rtmp', viewers: 800 });
    expect(row).toHaveLength(FANOUT_HEADERS.length);
    expect(row.slice(0, 4)).toEqual(['nms', 'rtmp', 800, '-']);
    expect(row.at(-1)).toBe('NO (error)');
  });
});

const ingestFixture: IngestResult = {
  stealPercent: 0.4,
  ok: true, failures: [], windowSeconds: 30.01,
  ingest: { bytes: 200e6, mbitPerSecond: 53.31, messages: 43900, videoFrames: 18000, audioFrames: 25850 },
  server: { name: 'nms', version: '4.4.3', ...cpu, cpuSecondsPerGB: 11.061, rssMiB: 147.2, peakRssMiB: 147.9, idleRssMiB: 88.1 },
  load: { cpuSeconds: 2, cpuPercent: 6.14, drainWaits: 0, meanLagMs: 0.634, maxLagMs: 9.21 },
  services: null,
  check: {
    liveAtStart: 2, liveAtEnd: 2, framesIncreasing: 2, streamsMatched: 2, videoFramesSent: 480, videoFramesReceived: 480, audioFramesSent: 684,
    audioFramesReceived: 684, serverProblems: [],
  },
  streams: [
    { name: 'bench-0', videoSent: 240, videoReceived: 240, audioSent: 342, audioReceived: 342, match: true },
    { name: 'bench-1', videoSent: 240, videoReceived: undefined, audioSent: 342, audioReceived: undefined, match: false },
  ],
};

describe('ingest rows', () => {
  const result = ingestFixture;

  it('names the peer with its version and has no nats-server figure for it', () => {
    expect(ingestServerLabel(result)).toBe('node-media-server 4.4.3');
    const row = ingestRow(2, result);
    expect(row).toHaveLength(INGEST_HEADERS.length);
    expect(row).toEqual([
      'node-media-server 4.4.3', 2, '30.0', '53.3', '2.00 (0.50+1.50)', '10.0%', '11.06', '88 / 147 / 148', '-', '6.1%', 0, '0.63 / 9.2', '480 / 480', '2/2',
    ]);
  });

  it("shows the edge's nats-server CPU and one stream row per publisher", () => {
    const edge: IngestResult = { ...result, server: { ...result.server, name: 'edge', version: undefined }, services: { natsCpuSeconds: 2.014, redisCpuSeconds: 0.1 } };
    expect(ingestRow(2, edge).slice(0, 1)).toEqual(['edge']);
    expect(ingestRow(2, edge)[8]).toBe('2.01');
    expect(ingestStreamRows(edge)).toEqual([
      ['edge', 'bench-0', 240, 240, 342, 342, 'yes'],
      ['edge', 'bench-1', 240, '-', 342, '-', 'NO'],
    ]);
  });
});

describe('compare summary', () => {
  const run = (path: string, protocol: 'rtmp' | 'http-flv' | 'ws-flv', viewers: number, cost: number, rssMiB: number, p50 = 1, p99 = 5) => ({
    options: { path: path as 'cluster' | 'nms', protocol, viewers },
    result: fanoutResult({
      origin: { ...fanoutResult({}).origin, cpuSecondsPerGB: cost, rssMiB },
      delivery: { ...fanoutResult({}).delivery, viewers },
      latency: { ...fanoutResult({}).latency, p50, p99 },
      system: { otherProcessesCpuPercent: 0, cpus: [{ name: 'cpu0', userSystemPercent: 10, irqPercent: 1, stealPercent: cost, idlePercent: 80 }] },
    }),
  });

  it('compares lower-is-better figures, with a 2 % band for a tie', () => {
    expect(lowerIsBetter(1.5, 2.0)).toBe('25 % cheaper');
    expect(lowerIsBetter(2.2, 2.0)).toBe('10 % dearer');
    expect(lowerIsBetter(2.01, 2.0)).toBe('tie');
    expect(lowerIsBetter(NaN, 2.0)).toBe('-');
  });

  it("puts each of the issue's rows beside its target and node-media-server's figure from the same run", () => {
    const runs = [
      run('cluster', 'rtmp', 100, 1.1, 90, 1.2, 6),
      run('nms', 'rtmp', 100, 1.5, 95, 0.8, 7),
      run('cluster', 'rtmp', 800, 0.95, 97),
      run('nms', 'rtmp', 800, 1.2, 116.5),
      run('cluster', 'http-flv', 100, 1.4, 90, 1, 25),
      run('nms', 'http-flv', 100, 2.0, 95, 1, 10),
    ];
    const edge: IngestResult = { ...ingestFixture, stealPercent: 7.2, server: { ...ingestFixture.server, name: 'edge', cpuSecondsPerGB: 11 }, services: { natsCpuSeconds: 0.44, redisCpuSeconds: 0 } };
    const nms: IngestResult = { ...ingestFixture, server: { ...ingestFixture.server, cpuSecondsPerGB: 12 } };
    const rows = compareSummaryRows(runs, [edge, nms]);
    for (const row of rows) expect(row).toHaveLength(COMPARE_SUMMARY_HEADERS.length);
    const byLabel = new Map(rows.map((r) => [String(r[0]), r.slice(1)]));
    expect(byLabel.get('RTMP fan-out, 100 viewers: CPU-s/GB')).toEqual(['<= 1.2', '1.10', '1.50', 'met', '27 % cheaper', '1 / 2']);
    expect(byLabel.get('latency p50 / p99, RTMP 100 viewers (ms)')).toEqual(['p99 <= 20', '1.20 / 6.00', '0.80 / 7.00', 'met', 'p50 50 % higher, p99 14 % lower', '1 / 2']);
    expect(byLabel.get('RTMP fan-out, 800 viewers: CPU-s/GB')).toEqual(['<= 0.9', '0.95', '1.20', 'missed by 0.05', '21 % cheaper', '1 / 1']);
    // (97 - 90) MiB over 700 viewers = 10.2 KiB; NMS (116.5 - 95) MiB = 31.5 KiB.
    expect(byLabel.get('memory per extra RTMP viewer, 100 -> 800 (KiB)')).toEqual(['<= 16', '10.2', '31.5', 'met', '67 % less', '-']);
    expect(byLabel.get('ingest, 20 publishers: edge CPU-s/GB')).toEqual(['<= 5.0', '11.00', '12.00', 'missed by 6.00', '8 % cheaper', '7 / 0']);
    expect(byLabel.get('nats-server CPU during ingest (CPU-s per window)')?.[1]).toBe('0.44');
    expect(byLabel.get('HTTP-FLV 100 viewers: p99 latency (ms)')).toEqual(['<= 20', '25.0', '10.0', 'missed by 5.00', '150 % higher', '1 / 2']);
    // No WebSocket runs: the row is there, with no figures.
    expect(byLabel.get('WebSocket-FLV fan-out, 100 viewers: CPU-s/GB')).toEqual(['-', '-', '-', '-', '-', '- / -']);
  });

  it('leaves out a run that failed its delivery checks', () => {
    const failed = run('cluster', 'rtmp', 100, 0.5, 90);
    failed.result.ok = false;
    const rows = compareSummaryRows([failed, run('nms', 'rtmp', 100, 1.5, 95)], []);
    expect(rows[0].slice(2)).toEqual(['-', '1.50', '-', '-', '- / 2']);
  });
});
