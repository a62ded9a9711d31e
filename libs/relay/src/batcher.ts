/**
 * Coalesces NATS publishes over a short window so the client writes to its socket once per window instead of once
 * per event-loop turn. nats.js flushes its outbound buffer in a microtask after the first publish of a turn; an
 * edge with 20 publishers gets about one socket read, so one NATS write, per RTMP message (~1,500 writes/s of a few
 * KB each, ~10 us of kernel time apiece on loopback). Holding publishes for `flushMs` (default 5 ms) turns that
 * into at most 1000/flushMs writes per second for the whole process, at the price of that much added latency.
 *
 * Order is kept: entries are published in the order given, and flush() publishes everything queued before it
 * returns (callers flush before anything that must not overtake queued media, e.g. a GOP reply or shutdown).
 * With `flushMs` 0 every publish goes straight to nats.js (its own per-turn batching only).
 */
import type { NatsConnection } from '@nats-io/transport-node';

export type PublishFailure = (err: unknown, subject: string) => void;

export interface PublishBatcherOptions {
  /** Longest a publish waits in the queue. 0 = publish at once. Default 5. */
  flushMs?: number;
  /** Flush at once when this many bytes are queued. Default 1 MiB. */
  maxQueuedBytes?: number;
}

export const DEFAULT_RELAY_FLUSH_MS = 5;

export class PublishBatcher {
  readonly flushMs: number;
  private readonly maxQueuedBytes: number;
  private subjects: string[] = [];
  private payloads: Uint8Array[] = [];
  private failures: Array<PublishFailure | undefined> = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Batches handed to nats.js. A buffer queued while `flushes` was N goes to nats.js with flush N + 1. */
  flushes = 0;
  /**
   * Flushes nats.js has surely copied out of our buffers: nats.js keeps references to published payloads until its
   * own microtask concatenates them into the socket write, so a buffer queued at generation N may be rewritten
   * once `drained` > N (arena.ts relies on this).
   */
  drained = 0;
  private drainScheduled = false;

  constructor(
    private readonly nc: NatsConnection,
    options: PublishBatcherOptions = {},
  ) {
    this.flushMs = Math.max(0, options.flushMs ?? DEFAULT_RELAY_FLUSH_MS);
    this.maxQueuedBytes = options.maxQueuedBytes ?? 1024 * 1024;
  }

  /** Messages waiting for the next flush. */
  get pending(): number {
    return this.subjects.length;
  }

  /**
   * Queues one publish (or publishes it at once with flushMs 0). `payload` must stay unchanged until the next
   * flush. Never throws: a publish nats.js refuses is reported to `onFailure`.
   */
  publish(subject: string, payload: Uint8Array, onFailure?: PublishFailure): void {
    if (this.flushMs === 0) {
      this.flushes++;
      this.publishNow(subject, payload, onFailure);
      this.scheduleDrained();
      return;
    }
    this.subjects.push(subject);
    this.payloads.push(payload);
    this.failures.push(onFailure);
    this.queuedBytes += payload.length;
    if (this.queuedBytes >= this.maxQueuedBytes) this.flush();
    else this.timer ??= setTimeout(this.onTimer, this.flushMs);
  }

  /** Publishes everything queued, in order. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const count = this.subjects.length;
    if (count === 0) return;
    const subjects = this.subjects;
    const payloads = this.payloads;
    const failures = this.failures;
    this.subjects = [];
    this.payloads = [];
    this.failures = [];
    this.queuedBytes = 0;
    this.flushes++;
    for (let i = 0; i < count; i++) this.publishNow(subjects[i], payloads[i], failures[i]);
    this.scheduleDrained();
  }

  /** Flushes and stops the timer (before draining or closing the connection). */
  close(): void {
    this.flush();
  }

  /** Microtasks run in order: this one runs after the nats.js flush that the publishes above scheduled. */
  private scheduleDrained(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(this.markDrained);
  }

  private readonly markDrained = (): void => {
    this.drainScheduled = false;
    this.drained = this.flushes;
  };

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.flush();
  };

  private publishNow(subject: string, payload: Uint8Array, onFailure: PublishFailure | undefined): void {
    try {
      this.nc.publish(subject, payload);
    } catch (err) {
      onFailure?.(err, subject);
    }
  }
}
