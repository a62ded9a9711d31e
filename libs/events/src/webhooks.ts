/**
 * Webhook delivery: one durable JetStream consumer per URL, so a failing receiver retries on its own schedule
 * and never holds the others back. Each event is POSTed as JSON with an HMAC-SHA256 signature of
 * `<timestamp>.<body>`; a 2xx acknowledges it, anything else (or a timeout) redelivers it after a back-off.
 * Delivery is at least once: receivers de-duplicate on the X-Ingest-Event-Id header.
 */
import { createHash, createHmac } from 'node:crypto';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection } from '@ingest/relay';
import type { Logger } from '@ingest/telemetry';
import { EVENTS_STREAM, ensureEventsStream, type StreamEvent } from './events';

export const SIGNATURE_HEADER = 'x-ingest-signature';
export const TIMESTAMP_HEADER = 'x-ingest-timestamp';
export const EVENT_ID_HEADER = 'x-ingest-event-id';
export const EVENT_TYPE_HEADER = 'x-ingest-event';

/** `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>` */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface WebhookOptions {
  urls: string[];
  secret: string;
  logger?: Logger;
  /** Per-attempt HTTP timeout. */
  timeoutMs?: number;
  /** Delay before attempt n+1 (the last value repeats). */
  backoffMs?: number[];
  /** Attempts before an event is given up for a URL (logged). */
  maxAttempts?: number;
}

export class WebhookDispatcher {
  private readonly running: ConsumerMessages[] = [];
  private stopped = false;
  delivered = 0;
  failedAttempts = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: WebhookOptions,
  ) {}

  static consumerName(url: string): string {
    return `webhook-${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;
  }

  async start(): Promise<void> {
    if (this.options.urls.length === 0) return;
    await ensureEventsStream(this.nc);
    const jsm = await jetstreamManager(this.nc);
    const js = jetstream(this.nc);
    for (const url of this.options.urls) {
      const name = WebhookDispatcher.consumerName(url);
      try {
        await jsm.consumers.info(EVENTS_STREAM, name);
      } catch {
        await jsm.consumers.add(EVENTS_STREAM, {
          durable_name: name,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.New,
          ack_wait: 30 * 1_000_000_000,
          max_deliver: -1,
        });
      }
      const consumer = await js.consumers.get(EVENTS_STREAM, name);
      const messages = await consumer.consume({ max_messages: 16 });
      this.running.push(messages);
      void this.loop(url, messages);
    }
    this.options.logger?.info({ urls: this.options.urls.length }, 'webhook dispatcher started');
  }

  private async loop(url: string, messages: ConsumerMessages): Promise<void> {
    for await (const m of messages) {
      if (this.stopped) break;
      const body = m.string();
      let event: StreamEvent | undefined;
      try {
        event = JSON.parse(body) as StreamEvent;
      } catch {
        m.term('not JSON');
        continue;
      }
      const attempt = m.info.deliveryCount;
      const ok = await this.deliver(url, event, body);
      if (ok) {
        this.delivered++;
        m.ack();
      } else if (attempt >= (this.options.maxAttempts ?? 20)) {
        this.options.logger?.error({ code: 'WEBHOOK_GAVE_UP', url, event: event.id, attempts: attempt }, 'webhook delivery given up');
        m.term('max attempts');
      } else {
        this.failedAttempts++;
        const backoff = this.options.backoffMs ?? [500, 1000, 2000, 5000, 10_000, 30_000];
        m.nak(backoff[Math.min(attempt - 1, backoff.length - 1)]);
      }
    }
  }

  private async deliver(url: string, event: StreamEvent, body: string): Promise<boolean> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [EVENT_TYPE_HEADER]: event.type,
          [EVENT_ID_HEADER]: event.id,
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signWebhook(this.options.secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return true;
      this.options.logger?.warn({ code: 'WEBHOOK_REJECTED', url, status: res.status, event: event.id }, 'webhook receiver refused an event; will retry');
    } catch (err) {
      this.options.logger?.warn({ code: 'WEBHOOK_UNREACHABLE', url, reason: (err as Error).message, event: event.id }, 'webhook receiver unreachable; will retry');
    }
    return false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const m of this.running) await m.close().catch(() => undefined);
    this.running.length = 0;
  }
}
