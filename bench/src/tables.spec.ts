import type { FanoutResult } from './fanout-bench';
import type { IngestResult } from './ingest-bench';
import { failedFanoutRow, FANOUT_HEADERS, fanoutRow, INGEST_HEADERS, ingestRow, ingestServerLabel, ingestStreamRows } from './tables';

const cpu = { pid: 1, cpuSeconds: 2, userSeconds: 0.5, systemSeconds: 1.5, cpuPercent: 10 };

function fanoutResult(overrides: Partial<FanoutResult>): FanoutResult {
  return {
    ok: true, failures: [], warnings: [], serverName: 'nms', peerVersion: '4.4.3', loadAverageAtStart: 0.2, windowSeconds: 20,
    publisher: { bytes: 0, messages: 0, videoFrames: 0, audioFrames: 0, mbitPerSecond: 2.67, drainWaits: 0, meanLagMs: 0, maxLagMs: 0 },
    delivery: { viewers: 100, connected: 100, socketBytes: 0, mediaBytes: 0, mbitPerSecond: 266.6, perViewerMbitPerSecond: 2.67 },
    latency: { count: 1, min: 0.5, mean: 1, p50: 1.004, p90: 1.63, p99: 5.88, p999: 10, max: 19.5, unmatched: 0 },
    origin: { ...cpu, cpuPercent: 8.2, cpuSecondsPerGB: 2.456, idleRssMiB: 90.4, rssMiB: 101.2, peakRssMiB: 102, rssPerViewerKiB: 112.3 },
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

describe('ingest rows', () => {
  const result: IngestResult = {
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
