import type {
  Attributes,
  Meter,
  MetricOptions,
  Observable,
  ObservableCallback,
} from '@opentelemetry/api';

/**
 * The one table of every metric this cluster emits. docs/metrics.md is generated from (and tested against) it.
 *
 * `name` is the OpenTelemetry instrument name. With @opentelemetry/exporter-prometheus 0.301 it is also the
 * Prometheus metric family name: that exporter adds `_total` to monotonic sums that lack it (every counter here
 * already ends in `_total`, which a test enforces), adds no unit suffix (the unit is only written as a `# UNIT`
 * comment), and histograms expose `<name>_bucket`, `<name>_sum` and `<name>_count`. See `prometheusName()`.
 *
 * `labels` maps each label to its allowed values; an empty list means free-form (e.g. a named error code).
 */
export type InstrumentKind =
  | 'counter'
  | 'updowncounter'
  | 'histogram'
  | 'gauge'
  | 'observablecounter'
  | 'observableupdowncounter'
  | 'observablegauge';

export type LabelSpec = { readonly [label: string]: readonly string[] };

export interface MetricDef<K extends InstrumentKind = InstrumentKind> {
  readonly name: string;
  readonly kind: K;
  /** UCUM unit as OTel expects: 's', 'By', '1', or an annotation such as '{connection}'. */
  readonly unit: string;
  readonly description: string;
  readonly labels: LabelSpec;
  /** Histograms only: explicit bucket boundaries (advice to the SDK). */
  readonly buckets?: readonly number[];
}

const NO_LABELS = {} as const;

export const METRIC = {
  // --- edge: RTMP connections and handshakes -------------------------------------------------------------
  rtmpConnections: {
    name: 'ingest_rtmp_connections',
    kind: 'updowncounter',
    unit: '{connection}',
    description: 'RTMP sessions currently publishing or playing on this edge, by transport and role',
    labels: { protocol: ['rtmp', 'rtmps', 'rtmpt'], role: ['publish', 'play'] },
  },
  rtmpConnectionsTotal: {
    name: 'ingest_rtmp_connections_total',
    kind: 'counter',
    unit: '{connection}',
    description: 'RTMP connections accepted since start, by transport',
    labels: { protocol: ['rtmp', 'rtmps', 'rtmpt'] },
  },
  rtmpConnectionErrorsTotal: {
    name: 'ingest_rtmp_connection_errors_total',
    kind: 'counter',
    unit: '{error}',
    description: 'RTMP connections closed because of an error, by named error code (e.g. RTMP_BAD_CHUNK_HEADER)',
    labels: { code: [] },
  },
  handshakesTotal: {
    name: 'ingest_handshakes_total',
    kind: 'counter',
    unit: '{handshake}',
    description: 'RTMP handshakes finished, by result: simple (plain C1/S1), complex (digest-based), failed',
    labels: { result: ['simple', 'complex', 'failed'] },
  },
  publishStreams: {
    name: 'ingest_publish_streams',
    kind: 'updowncounter',
    unit: '{stream}',
    description: 'Streams currently being published to this edge',
    labels: NO_LABELS,
  },
  ingestBytesTotal: {
    name: 'ingest_bytes_total',
    kind: 'counter',
    unit: 'By',
    description: 'Bytes received from RTMP clients by this edge (socket payload, after TLS)',
    labels: NO_LABELS,
  },
  ingestVideoFramesTotal: {
    name: 'ingest_video_frames_total',
    kind: 'counter',
    unit: '{frame}',
    description: 'Video messages (FLV video tags) received from publishers',
    labels: NO_LABELS,
  },
  ingestAudioFramesTotal: {
    name: 'ingest_audio_frames_total',
    kind: 'counter',
    unit: '{frame}',
    description: 'Audio messages (FLV audio tags) received from publishers',
    labels: NO_LABELS,
  },
  chunkStreamMessagesTotal: {
    name: 'ingest_chunk_stream_messages_total',
    kind: 'counter',
    unit: '{message}',
    description: 'Complete RTMP messages reassembled from chunk streams',
    labels: NO_LABELS,
  },
  publishRejectedTotal: {
    name: 'ingest_publish_rejected_total',
    kind: 'counter',
    unit: '{publish}',
    description: 'Publish requests refused, by reason (e.g. bad stream key, stream already live)',
    labels: { reason: [] },
  },

  // --- process (registered by startMetrics) --------------------------------------------------------------
  processCpuSecondsTotal: {
    name: 'ingest_process_cpu_seconds_total',
    kind: 'observablecounter',
    unit: 's',
    description: 'User plus system CPU time consumed by this process (process.cpuUsage())',
    labels: NO_LABELS,
  },
  processResidentMemoryBytes: {
    name: 'ingest_process_resident_memory_bytes',
    kind: 'observablegauge',
    unit: 'By',
    description: 'Resident set size of this process (process.memoryUsage.rss())',
    labels: NO_LABELS,
  },
  eventLoopLagSeconds: {
    name: 'ingest_event_loop_lag_seconds',
    kind: 'observablegauge',
    unit: 's',
    description: 'p99 event-loop delay beyond the 10 ms sampling interval, since the previous scrape (perf_hooks.monitorEventLoopDelay)',
    labels: NO_LABELS,
  },
  eventLoopUtilization: {
    name: 'ingest_event_loop_utilization',
    kind: 'observablegauge',
    unit: '1',
    description: 'Fraction of time the event loop was busy since the previous scrape (0..1)',
    labels: NO_LABELS,
  },

  // --- relay (edge -> NATS) --------------------------------------------------------------------------------
  relayMessagesPublishedTotal: {
    name: 'ingest_relay_messages_published_total',
    kind: 'counter',
    unit: '{message}',
    description: 'Media messages published to the relay (NATS)',
    labels: NO_LABELS,
  },
  relayBytesPublishedTotal: {
    name: 'ingest_relay_bytes_published_total',
    kind: 'counter',
    unit: 'By',
    description: 'Payload bytes published to the relay (NATS)',
    labels: NO_LABELS,
  },
  relayGapsTotal: {
    name: 'ingest_relay_gaps_total',
    kind: 'counter',
    unit: '{gap}',
    description: 'Sequence gaps detected by relay consumers (messages lost between edge and origin)',
    labels: NO_LABELS,
  },

  // --- origin (playback) -----------------------------------------------------------------------------------
  originViewers: {
    name: 'ingest_origin_viewers',
    kind: 'updowncounter',
    unit: '{viewer}',
    description: 'Viewers currently connected to this origin, by playback protocol (e.g. rtmp, http-flv, hls)',
    labels: { protocol: [] },
  },
  originBytesSentTotal: {
    name: 'ingest_origin_bytes_sent_total',
    kind: 'counter',
    unit: 'By',
    description: 'Bytes sent to viewers by this origin',
    labels: NO_LABELS,
  },
  originViewerDroppedFramesTotal: {
    name: 'ingest_origin_viewer_dropped_frames_total',
    kind: 'counter',
    unit: '{frame}',
    description: 'Frames skipped for slow viewers (send buffer over its limit)',
    labels: NO_LABELS,
  },
  originViewerDisconnectsTotal: {
    name: 'ingest_origin_viewer_disconnects_total',
    kind: 'counter',
    unit: '{disconnect}',
    description: 'Viewer sessions ended, by reason (e.g. client_closed, slow_consumer, stream_ended, error)',
    labels: { reason: [] },
  },
} as const satisfies Record<string, MetricDef>;

export type MetricKey = keyof typeof METRIC;

/** The attribute object a metric accepts: one property per label, typed by its allowed values. */
export type Labels<D extends MetricDef> = {
  [L in keyof D['labels']]: D['labels'][L] extends readonly [] ? string : D['labels'][L][number];
};

/** `[]` for an unlabelled metric, `[labels]` otherwise: every declared label must be given on every data point. */
export type LabelArgs<D extends MetricDef> = keyof D['labels'] extends never ? [] : [labels: Labels<D>];

export interface CounterOf<D extends MetricDef<'counter'>> {
  add(value: number, ...labels: LabelArgs<D>): void;
}
export interface UpDownCounterOf<D extends MetricDef<'updowncounter'>> {
  add(value: number, ...labels: LabelArgs<D>): void;
}
export interface HistogramOf<D extends MetricDef<'histogram'>> {
  record(value: number, ...labels: LabelArgs<D>): void;
}
export interface GaugeOf<D extends MetricDef<'gauge'>> {
  record(value: number, ...labels: LabelArgs<D>): void;
}
export type ObservableOf<D extends MetricDef> = Observable<Labels<D> & Attributes>;
export type ObservableCallbackOf<D extends MetricDef> = ObservableCallback<Labels<D> & Attributes>;

function optionsOf(def: MetricDef): MetricOptions {
  const options: MetricOptions = { unit: def.unit, description: def.description };
  if (def.buckets) options.advice = { explicitBucketBoundaries: [...def.buckets] };
  return options;
}

export function counter<D extends MetricDef<'counter'>>(meter: Meter, def: D): CounterOf<D> {
  return meter.createCounter(def.name, optionsOf(def)) as CounterOf<D>;
}

/** A counter bumped on the media path: a plain number per event, read by the exporter at scrape time. */
export interface HotCounter {
  add(value: number): void;
  /** Everything added so far. */
  readonly total: number;
}

/**
 * An unlabelled counter for per-message events (bytes read, frames ingested). `add` only increases a number; the
 * total is reported through an observable counter when metrics are collected, so the Prometheus series (name, type
 * `counter`, unit, help) is exactly what `counter()` gives, without an OpenTelemetry call per message.
 */
export function hotCounter<D extends MetricDef<'counter'>>(meter: Meter, def: D & (keyof D['labels'] extends never ? unknown : never)): HotCounter {
  if (Object.keys(def.labels).length > 0) throw new Error(`${def.name}: a hot counter takes no labels`);
  const state = {
    total: 0,
    add(value: number): void {
      state.total += value;
    },
  };
  meter.createObservableCounter(def.name, optionsOf(def)).addCallback((result) => result.observe(state.total));
  return state;
}

export function upDownCounter<D extends MetricDef<'updowncounter'>>(meter: Meter, def: D): UpDownCounterOf<D> {
  return meter.createUpDownCounter(def.name, optionsOf(def)) as UpDownCounterOf<D>;
}

export function histogram<D extends MetricDef<'histogram'>>(meter: Meter, def: D): HistogramOf<D> {
  return meter.createHistogram(def.name, optionsOf(def)) as HistogramOf<D>;
}

export function gauge<D extends MetricDef<'gauge'>>(meter: Meter, def: D): GaugeOf<D> {
  return meter.createGauge(def.name, optionsOf(def)) as GaugeOf<D>;
}

export function observableGauge<D extends MetricDef<'observablegauge'>>(
  meter: Meter,
  def: D,
  callback?: ObservableCallbackOf<D>,
): ObservableOf<D> {
  const observable = meter.createObservableGauge<Labels<D> & Attributes>(def.name, optionsOf(def));
  if (callback) observable.addCallback(callback);
  return observable;
}

export function observableCounter<D extends MetricDef<'observablecounter'>>(
  meter: Meter,
  def: D,
  callback?: ObservableCallbackOf<D>,
): ObservableOf<D> {
  const observable = meter.createObservableCounter<Labels<D> & Attributes>(def.name, optionsOf(def));
  if (callback) observable.addCallback(callback);
  return observable;
}

export function observableUpDownCounter<D extends MetricDef<'observableupdowncounter'>>(
  meter: Meter,
  def: D,
  callback?: ObservableCallbackOf<D>,
): ObservableOf<D> {
  const observable = meter.createObservableUpDownCounter<Labels<D> & Attributes>(def.name, optionsOf(def));
  if (callback) observable.addCallback(callback);
  return observable;
}

/**
 * The Prometheus metric family name the exporter (0.301) gives an instrument: counters get `_total` if they lack
 * it, nothing else changes. Histograms are exposed as `<family>_bucket`, `<family>_sum` and `<family>_count`.
 */
export function prometheusName(def: MetricDef): string {
  const monotonic = def.kind === 'counter' || def.kind === 'observablecounter';
  return monotonic && !def.name.endsWith('_total') ? `${def.name}_total` : def.name;
}

/** The Prometheus `# TYPE` of the family: up-down counters are exported as gauges. */
export function prometheusType(def: MetricDef): 'counter' | 'gauge' | 'histogram' {
  switch (def.kind) {
    case 'counter':
    case 'observablecounter':
      return 'counter';
    case 'histogram':
      return 'histogram';
    default:
      return 'gauge';
  }
}
