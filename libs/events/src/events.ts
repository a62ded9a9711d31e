/**
 * Stream lifecycle events on JetStream (stream EVENTS, subjects events.<type>), published by edges (started,
 * ended) and the control plane (kicked), consumed by the webhook dispatcher. Publishing is fire-and-forget:
 * a JetStream outage costs events, never ingest time.
 */
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@ingest/relay';
import type { Logger } from '@ingest/telemetry';

export const EVENTS_STREAM = 'EVENTS';
export const EVENTS_SUBJECT_PREFIX = 'events.';

export type StreamEventType = 'stream.started' | 'stream.ended' | 'stream.kicked';

export interface StreamEvent {
  /** Unique per event: JetStream de-duplicates on it and webhook receivers can too. */
  id: string;
  type: StreamEventType;
  stream: string;
  /** ISO 8601. */
  at: string;
  edgeId?: string;
  keyId?: string;
  data?: Record<string, unknown>;
}

/** Creates (or keeps) the EVENTS stream: file storage, limits retention, a week of history. */
export async function ensureEventsStream(nc: NatsConnection, options: { maxAgeMs?: number } = {}): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const config = {
    name: EVENTS_STREAM,
    subjects: [`${EVENTS_SUBJECT_PREFIX}>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: (options.maxAgeMs ?? 7 * 24 * 3600 * 1000) * 1_000_000, // nanoseconds
    duplicate_window: 120 * 1_000_000_000,
  };
  try {
    await jsm.streams.info(EVENTS_STREAM);
  } catch {
    await jsm.streams.add(config);
  }
}

export class EventPublisher {
  private readonly js;
  private lastErrorLog = 0;
  published = 0;
  failed = 0;

  constructor(
    nc: NatsConnection,
    private readonly logger?: Logger,
  ) {
    this.js = jetstream(nc);
  }

  /** Never throws, never waits: the acknowledgement is checked in the background. */
  publish(event: Omit<StreamEvent, 'id' | 'at'> & { id?: string; at?: string }): StreamEvent {
    const full: StreamEvent = { id: event.id ?? randomUUID(), at: event.at ?? new Date().toISOString(), ...event } as StreamEvent;
    this.js
      .publish(EVENTS_SUBJECT_PREFIX + full.type, JSON.stringify(full), { msgID: full.id, timeout: 5000 })
      .then(() => this.published++)
      .catch((err: Error) => {
        this.failed++;
        const now = Date.now();
        if (now - this.lastErrorLog > 10_000) {
          this.lastErrorLog = now;
          this.logger?.warn({ code: 'EVENTS_PUBLISH_FAILED', reason: err.message, type: full.type, stream: full.stream }, 'stream event not stored (JetStream unavailable?)');
        }
      });
    return full;
  }
}
