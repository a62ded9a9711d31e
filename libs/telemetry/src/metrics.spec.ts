import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Meter } from '@opentelemetry/api';
import { startMetrics, type Metrics } from './metrics';
import {
  METRIC,
  counter,
  gauge,
  histogram,
  hotCounter,
  prometheusName,
  prometheusType,
  upDownCounter,
  type MetricDef,
} from './names';

jest.setTimeout(20_000);

async function scrape(port: number, path = '/metrics'): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

/** Sample lines of one family, as `series{labels}` -> value. */
function samples(body: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const SAMPLE_HISTOGRAM = {
  name: 'ingest_test_latency_seconds',
  kind: 'histogram',
  unit: 's',
  description: 'test-only histogram',
  labels: { path: ['a', 'b'] },
  buckets: [0.1, 0.5, 1],
} as const satisfies MetricDef<'histogram'>;

describe('startMetrics', () => {
  let metrics: Metrics;

  beforeEach(async () => {
    metrics = await startMetrics({ serviceName: 'test', port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    await metrics.close();
  });

  it('binds port 0 and serves recorded counters and histograms', async () => {
    expect(metrics.port).toBeGreaterThan(0);
    const connections = counter(metrics.meter, METRIC.rtmpConnectionsTotal);
    connections.add(2, { protocol: 'rtmp' });
    connections.add(1, { protocol: 'rtmps' });
    connections.add(1, { protocol: 'rtmp' });
    const latency = histogram(metrics.meter, SAMPLE_HISTOGRAM);
    latency.record(0.05, { path: 'a' });
    latency.record(0.3, { path: 'a' });
    latency.record(2, { path: 'a' });

    const { status, body } = await scrape(metrics.port);
    expect(status).toBe(200);
    const s = samples(body);
    expect(body).toContain('# TYPE ingest_rtmp_connections_total counter');
    expect(s.get('ingest_rtmp_connections_total{protocol="rtmp"}')).toBe(3);
    expect(s.get('ingest_rtmp_connections_total{protocol="rtmps"}')).toBe(1);

    expect(body).toContain('# TYPE ingest_test_latency_seconds histogram');
    expect(s.get('ingest_test_latency_seconds_count{path="a"}')).toBe(3);
    expect(s.get('ingest_test_latency_seconds_sum{path="a"}')).toBeCloseTo(2.35, 10);
    expect(s.get('ingest_test_latency_seconds_bucket{path="a",le="0.1"}')).toBe(1);
    expect(s.get('ingest_test_latency_seconds_bucket{path="a",le="0.5"}')).toBe(2);
    expect(s.get('ingest_test_latency_seconds_bucket{path="a",le="1"}')).toBe(2);
    expect(s.get('ingest_test_latency_seconds_bucket{path="a",le="+Inf"}')).toBe(3);
    // No scope labels, no target_info.
    expect(body).not.toContain('otel_scope_name');
    expect(body).not.toContain('target_info');
  });

  it('serves a hot counter as an ordinary Prometheus counter holding the running total', async () => {
    const own = await startMetrics({ serviceName: 'hot', port: 0, host: '127.0.0.1' });
    try {
      const frames = hotCounter(own.meter, METRIC.ingestVideoFramesTotal);
      for (let i = 0; i < 1000; i++) frames.add(1);
      frames.add(234);
      expect(frames.total).toBe(1234);
      const { body } = await scrape(own.port);
      expect(body).toContain('# TYPE ingest_video_frames_total counter');
      expect(body).toContain('# HELP ingest_video_frames_total');
      expect(samples(body).get('ingest_video_frames_total')).toBe(1234);
      frames.add(6);
      expect(samples((await scrape(own.port)).body).get('ingest_video_frames_total')).toBe(1240);
    } finally {
      await own.close();
    }
  });

  it('exports the default process metrics', async () => {
    const s = samples((await scrape(metrics.port)).body);
    expect(s.get('ingest_process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(s.get('ingest_process_resident_memory_bytes')).toBeGreaterThan(1024 * 1024);
    const lag = s.get('ingest_event_loop_lag_seconds');
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(5);
    const elu = s.get('ingest_event_loop_utilization');
    expect(elu).toBeGreaterThanOrEqual(0);
    expect(elu).toBeLessThanOrEqual(1);
  });

  it('answers 404 outside /metrics', async () => {
    expect((await scrape(metrics.port, '/')).status).toBe(404);
    expect((await scrape(metrics.port, '/metrics?x=1')).status).toBe(200);
  });

  it('emits every metric of the table under its documented Prometheus name and type', async () => {
    for (const def of Object.values(METRIC) as MetricDef[]) record(metrics.meter, def);
    const { body } = await scrape(metrics.port);
    const s = samples(body);
    for (const def of Object.values(METRIC) as MetricDef[]) {
      const family = prometheusName(def);
      expect(family).toBe(def.name); // the table's name is also the Prometheus family name
      expect(body).toContain(`# TYPE ${family} ${prometheusType(def)}`);
      expect(body).toContain(`# UNIT ${family} ${def.unit}`);
      const labels = Object.keys(def.labels);
      const series = [...s.keys()].filter((k) => k === family || k.startsWith(`${family}{`));
      expect(series.length).toBeGreaterThan(0);
      for (const k of series) for (const label of labels) expect(k).toContain(`${label}="`);
    }
  });

  it('rejects when the port is taken', async () => {
    await expect(startMetrics({ serviceName: 'dup', port: metrics.port, host: '127.0.0.1' })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('close()', () => {
  it('frees the port, even with a keep-alive connection open, and is idempotent', async () => {
    const metrics = await startMetrics({ serviceName: 'test', port: 0, host: '127.0.0.1' });
    await scrape(metrics.port); // leaves an idle keep-alive socket in fetch's pool
    expect(await canBind(metrics.port)).toBe(false);
    await metrics.close();
    await metrics.close();
    expect(await canBind(metrics.port)).toBe(true);
  });
});

describe('METRIC table', () => {
  const defs = Object.values(METRIC) as MetricDef[];

  it('has unique, prefixed, Prometheus-safe names', () => {
    const names = defs.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^ingest_[a-z0-9_]+$/);
  });

  it('names every counter with _total so the exporter does not rename it', () => {
    for (const d of defs) {
      if (d.kind === 'counter' || d.kind === 'observablecounter') expect(d.name).toMatch(/_total$/);
      else expect(d.name).not.toMatch(/_total$/);
    }
  });

  it('is what docs/metrics.md shows', () => {
    const doc = readFileSync(join(__dirname, '../../../docs/metrics.md'), 'utf8');
    const table = renderTable(defs);
    if (!doc.includes(table)) {
      throw new Error(`docs/metrics.md is out of date with libs/telemetry/src/names.ts; the table should read:\n\n${table}`);
    }
  });

  it('types labels (compile-time check, see tsc -p tsconfig.spec.json)', () => {
    const meter = { createCounter: () => ({ add: () => undefined }) } as unknown as Meter;
    const c = counter(meter, METRIC.handshakesTotal);
    c.add(1, { result: 'complex' });
    // @ts-expect-error 'weird' is not an allowed value of `result`
    c.add(1, { result: 'weird' });
    // @ts-expect-error the `result` label is required
    c.add(1);
    const plain = counter(meter, METRIC.ingestBytesTotal);
    plain.add(10);
    // @ts-expect-error an unlabelled metric takes no labels
    plain.add(10, { foo: 'bar' });
    // @ts-expect-error an up-down counter is not a counter
    counter(meter, METRIC.publishStreams);
    // @ts-expect-error a hot counter takes no labels
    expect(() => hotCounter(meter, METRIC.handshakesTotal)).toThrow('no labels');
  });
});

function sampleLabels(def: MetricDef): Record<string, string> {
  return Object.fromEntries(Object.entries(def.labels).map(([k, values]) => [k, values[0] ?? 'test']));
}

function record(meter: Meter, def: MetricDef): void {
  // The typed helpers need literal table entries; here every entry is walked generically.
  const labels = sampleLabels(def);
  const anyDef = def as never;
  switch (def.kind) {
    case 'counter':
      (counter(meter, anyDef) as { add(v: number, l: object): void }).add(1, labels);
      break;
    case 'updowncounter':
      (upDownCounter(meter, anyDef) as { add(v: number, l: object): void }).add(1, labels);
      break;
    case 'histogram':
      (histogram(meter, anyDef) as { record(v: number, l: object): void }).record(1, labels);
      break;
    case 'gauge':
      (gauge(meter, anyDef) as { record(v: number, l: object): void }).record(1, labels);
      break;
    default:
      break; // observables: the process metrics are registered by startMetrics itself
  }
}

function renderTable(defs: MetricDef[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const rows = defs.map((d) => {
    const family = prometheusName(d);
    const series =
      d.kind === 'histogram' ? `\`${family}_bucket\`, \`${family}_sum\`, \`${family}_count\`` : `\`${family}\``;
    const labels = Object.entries(d.labels)
      .map(([k, v]) => (v.length ? `\`${k}\` = ${v.join(' \\| ')}` : `\`${k}\``))
      .join(', ');
    return `| \`${d.name}\` | ${series} | ${d.kind} | ${prometheusType(d)} | \`${d.unit}\` | ${labels || '-'} | ${esc(d.description)} |`;
  });
  return [
    '| Instrument (OTel) | Prometheus series | Kind | Prometheus type | Unit | Labels | Meaning |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
