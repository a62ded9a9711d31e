/** Logging and metrics helpers shared by the publisher and the subscriber (internal). */
import { METRIC, counter, type CounterOf, type Logger } from '@ingest/telemetry';

/** The OpenTelemetry Meter type, as @ingest/telemetry takes it (keeps @opentelemetry/api out of our deps). */
export type Meter = Parameters<typeof counter>[0];

export interface RelayInstruments {
  messagesPublished: CounterOf<typeof METRIC.relayMessagesPublishedTotal>;
  bytesPublished: CounterOf<typeof METRIC.relayBytesPublishedTotal>;
  gaps: CounterOf<typeof METRIC.relayGapsTotal>;
}

const instrumentsByMeter = new WeakMap<Meter, RelayInstruments>();

/** One set of instruments per meter, shared by every publisher/subscriber of the process. */
export function relayInstruments(meter: Meter | undefined): RelayInstruments | undefined {
  if (meter === undefined) return undefined;
  let instruments = instrumentsByMeter.get(meter);
  if (instruments === undefined) {
    instruments = {
      messagesPublished: counter(meter, METRIC.relayMessagesPublishedTotal),
      bytesPublished: counter(meter, METRIC.relayBytesPublishedTotal),
      gaps: counter(meter, METRIC.relayGapsTotal),
    };
    instrumentsByMeter.set(meter, instruments);
  }
  return instruments;
}

/**
 * Logs a warning for a key at most once per interval; the next line carries how many were suppressed. Keeps a
 * flood of identical failures (a NATS outage at 100 messages/s) down to a line every few seconds.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger | undefined,
    private readonly intervalMs = 5000,
  ) {}

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.logger === undefined) return;
    const now = Date.now();
    const entry = this.last.get(key);
    if (entry !== undefined && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { at: now, suppressed: 0 });
    this.logger.warn(suppressed > 0 ? { ...fields, suppressed } : fields, message);
  }
}
