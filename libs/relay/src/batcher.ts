/**
 * Coalesces NATS publishes over a short window so the client writes to its socket once per window instead of once
 * per event-loop turn. nats.js flushes its outbound buffer in a microtask after the first publish of a turn; an
 * edge with 20 publishers gets about one socket read, so one NATS write, per RTMP message (~1,500 writes/s of a few
 * KB each, ~10 us of kernel time apiece on loopback). Holding publishes for `flushMs` (default 5 ms) turns that
 * into at most 1000/flushMs writes per second for the whole process, at the price of that much added latency.
 *
 * Early flush. Waiting the whole window is only worth it when another message is coming within it: a live stream
 * sends a message every ~14 ms on average (audio ~43/s, video 30/s), so most messages have nothing to be merged
 * with. The publisher tells the batcher when its stream's next message is due (`nextInMs`, from the stream's
 * cadence, cadence.ts). A message waits for its stream's next one only when that is due within `mergeWithinMs`
 * (default 0: only the other track's frame of the same instant, sent right behind it, and the next fragment of a
 * fragmented message); otherwise the batch goes at once, as soon as no stream in it is waiting.
 *
 * Why not wait for the next frame a few ms away? It would save the origins one write per viewer for the ~16 % of
 * messages that have a partner within 5 ms (bench media: 73 -> 61 writes per viewer per second), but every waiting
 * message is late by that much, and those waits made the p90 and p99 of publisher-to-viewer latency (RTMP 100
 * viewers, 4 interleaved pairs: p99 7.7-15.2 ms waiting up to 5 ms, 5.8-9.2 ms not; the origin's CPU per GB differed
 * by less than the run-to-run spread: bench/README.md). `RELAY_MERGE_WITHIN_MS=5` restores the merge where cost matters more.
 *
 * Pacing. Early flushes are paced by a token bucket: one per `minGapMs` (default: the window) on average, in bursts
 * of up to FLUSH_BURST. One stream (~73 messages/s) never runs out, so none of its messages waits; an edge with
 * 20 streams (~1,500 messages/s) writes no more often than with the plain window, ~200 times a second (flushing
 * whenever nothing waits would double its NATS writes and cost ~20 % more CPU).
 *
 * Order is kept: entries are published in the order given, and flush() publishes everything queued before it
 * returns (callers flush before anything that must not overtake queued media, e.g. a GOP reply or shutdown).
 * With `flushMs` 0 every publish goes straight to nats.js (its own per-turn batching only).
 *
 * Framing. A batch goes to nats.js as one buffer of PUB commands written here (nats-wire.ts): per message a cached
 * subject prefix and its size, instead of nats.js's per-publish string, encoder copy and list pushes.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { RelayError } from './errors';
import { framedSize, natsWire, pubPrefix, writeFrame, type NatsWire } from './nats-wire';

export type PublishFailure = (err: unknown, subject: string) => void;

export interface PublishBatcherOptions {
  /** Longest a publish waits in the queue. 0 = publish at once. Default 5. */
  flushMs?: number;
  /** Flush at once when this many bytes are queued. Default 1 MiB. */
  maxQueuedBytes?: number;
  /** Flush before the window ends when no subject waits for its next message. Default true. */
  early?: boolean;
  /**
   * A message waits (up to the window) for its stream's next message only when that is due within this many ms.
   * Default 0: only a frame of the same instant or the next fragment (nextInMs 0).
   */
  mergeWithinMs?: number;
  /**
   * Early flushes come one per this many ms on average (a token bucket, bursts of up to FLUSH_BURST). Default:
   * flushMs, so the batcher writes no more often than with the plain window (~1000/flushMs times a second), however
   * many streams.
   */
  minGapMs?: number;
  /**
   * Write each batch's PUB commands into one buffer and hand it to nats.js's protocol handler (nats-wire.ts), when
   * the client has one. Default true; false = one `publish()` per message.
   */
  framed?: boolean;
}

export const DEFAULT_RELAY_FLUSH_MS = 5;
/** Early flushes that may go back to back before the pacing applies. */
export const FLUSH_BURST = 3;
/** Subjects whose `PUB <subject> ` bytes are kept; the cache starts over beyond this (streams come and go). */
const MAX_CACHED_PREFIXES = 4096;

export class PublishBatcher {
  readonly flushMs: number;
  private readonly maxQueuedBytes: number;
  private subjects: string[] = [];
  private payloads: Uint8Array[] = [];
  private failures: Array<PublishFailure | undefined> = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires (performance.now() ms); 0 without a timer. */
  private timerAt = 0;
  private readonly early: boolean;
  private readonly mergeWithinMs: number;
  private readonly minGapMs: number;
  /** performance.now() when the oldest queued publish must go. */
  private deadline = 0;
  /** The pacing bucket: early flushes available, as of `tokensAt` (performance.now() ms). */
  private tokens = FLUSH_BURST;
  private tokensAt = 0;
  /** Subjects in the batch whose next message is due before the deadline. */
  private readonly waiting = new Set<string>();
  /** Flushes that went before their deadline. */
  earlyFlushes = 0;
  /** Batches handed to nats.js. A buffer queued while `flushes` was N goes to nats.js with flush N + 1. */
  flushes = 0;
  /**
   * Flushes nats.js has surely copied out of our buffers: nats.js keeps references to published payloads until its
   * own microtask concatenates them into the socket write, so a buffer queued at generation N may be rewritten
   * once `drained` > N (arena.ts relies on this).
   */
  drained = 0;
  private drainScheduled = false;
  /** nats.js's protocol handler, for framed batches; undefined = publish() per message. */
  private readonly wire: NatsWire | undefined;
  private readonly prefixes = new Map<string, Buffer>();

  constructor(
    private readonly nc: NatsConnection,
    options: PublishBatcherOptions = {},
  ) {
    this.flushMs = Math.max(0, options.flushMs ?? DEFAULT_RELAY_FLUSH_MS);
    this.maxQueuedBytes = options.maxQueuedBytes ?? 1024 * 1024;
    this.early = options.early ?? true;
    this.mergeWithinMs = Math.max(0, options.mergeWithinMs ?? 0);
    this.minGapMs = Math.max(0, options.minGapMs ?? this.flushMs);
    this.wire = options.framed === false ? undefined : natsWire(nc);
  }

  /** Batches go to nats.js as framed PUB commands (nats-wire.ts) rather than one publish() per message. */
  get framed(): boolean {
    return this.wire !== undefined;
  }

  /** Messages waiting for the next flush. */
  get pending(): number {
    return this.subjects.length;
  }

  /**
   * Queues one publish (or publishes it at once with flushMs 0). `payload` must stay unchanged until the next
   * flush. `nextInMs`: when the next message on `subject` is due (ms from now; Infinity = not known, 0 = right
   * behind this one, e.g. the next fragment). Never throws: a publish nats.js refuses is reported to `onFailure`.
   */
  publish(subject: string, payload: Uint8Array, onFailure?: PublishFailure, nextInMs = Infinity): void {
    if (this.flushMs === 0) {
      this.flushes++;
      this.publishNow(subject, payload, onFailure);
      this.scheduleDrained();
      return;
    }
    const first = this.subjects.length === 0;
    this.subjects.push(subject);
    this.payloads.push(payload);
    this.failures.push(onFailure);
    this.queuedBytes += payload.length;
    if (this.queuedBytes >= this.maxQueuedBytes) {
      this.flush();
      return;
    }
    if (!this.early) {
      if (first) this.timer = setTimeout(this.onTimer, this.flushMs);
      return;
    }
    const now = performance.now();
    if (first) this.deadline = now + this.flushMs;
    if (nextInMs <= this.mergeWithinMs && now + nextInMs < this.deadline) {
      this.waiting.add(subject);
      // No timer yet, or an early flush planned before this publish, which would cut the stream off from what it is
      // waiting for: the batch now goes at its deadline (or earlier, once nothing waits).
      if (this.timer === undefined || this.timerAt < this.deadline) this.arm(now, this.deadline);
      return;
    }
    this.waiting.delete(subject);
    if (this.waiting.size > 0) {
      if (this.timer === undefined) this.arm(now, this.deadline);
      return;
    }
    this.refill(now);
    if (this.tokens >= 1) {
      // The common case needs no timer at all.
      this.earlyFlushes++;
      this.flush();
      return;
    }
    const at = Math.min(now + (1 - this.tokens) * this.minGapMs, this.deadline);
    if (this.timer === undefined || at < this.timerAt) this.arm(now, at);
  }

  /** Publishes everything queued, in order. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = 0;
    }
    const count = this.subjects.length;
    if (count === 0) return;
    if (this.early) {
      this.waiting.clear();
      this.refill(performance.now());
      this.tokens = Math.max(0, this.tokens - 1);
    }
    const subjects = this.subjects;
    const payloads = this.payloads;
    const failures = this.failures;
    this.subjects = [];
    this.payloads = [];
    this.failures = [];
    this.queuedBytes = 0;
    this.flushes++;
    if (this.wire !== undefined) this.sendFramed(this.wire, count, subjects, payloads, failures);
    else for (let i = 0; i < count; i++) this.publishNow(subjects[i], payloads[i], failures[i]);
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

  private refill(now: number): void {
    this.tokens = this.minGapMs > 0 ? Math.min(FLUSH_BURST, this.tokens + (now - this.tokensAt) / this.minGapMs) : FLUSH_BURST;
    this.tokensAt = now;
  }

  /** (Re)sets the timer to fire at `at` (performance.now() ms). */
  private arm(now: number, at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.onTimer, Math.max(0, at - now));
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = 0;
    if (this.early && this.subjects.length > 0 && this.waiting.size === 0 && this.deadline - performance.now() > 0.5) {
      // The planned early flush (the pacing allows it and nothing is waiting).
      this.earlyFlushes++;
    }
    this.flush();
  };

  /**
   * The batch as one buffer of PUB commands, one command for nats.js (nats-wire.ts). Makes publish()'s checks:
   * nothing goes on a closed or draining connection, and a payload over the server's max_payload is refused alone.
   * The envelopes are copied into the buffer here, so (as with publish()) they may be rewritten after the flush.
   */
  private sendFramed(
    wire: NatsWire,
    count: number,
    subjects: readonly string[],
    payloads: readonly Uint8Array[],
    failures: ReadonlyArray<PublishFailure | undefined>,
  ): void {
    const nc = this.nc;
    if (nc.isClosed() || nc.isDraining()) {
      const err = new RelayError('RELAY_NATS_UNAVAILABLE', `NATS connection is ${nc.isClosed() ? 'closed' : 'draining'}`);
      for (let i = 0; i < count; i++) failures[i]?.(err, subjects[i]);
      return;
    }
    const maxPayload = nc.info?.max_payload ?? Infinity;
    const prefixes = new Array<Buffer | undefined>(count);
    let total = 0;
    let bytes = 0;
    let sent = 0;
    for (let i = 0; i < count; i++) {
      const size = payloads[i].length;
      if (size > maxPayload) {
        failures[i]?.(new RelayError('RELAY_OVER_MAX_PAYLOAD', `${size} bytes exceed the server's max_payload of ${maxPayload}`), subjects[i]);
        continue;
      }
      const prefix = this.prefixOf(subjects[i]);
      prefixes[i] = prefix;
      total += framedSize(prefix, size);
      bytes += size;
      sent++;
    }
    if (sent === 0) return;
    // Its own memory (not a slice of Node's shared pool): the socket may hold it past this turn.
    const buf = Buffer.allocUnsafeSlow(total);
    let pos = 0;
    for (let i = 0; i < count; i++) {
      const prefix = prefixes[i];
      if (prefix === undefined) continue;
      const payload = payloads[i];
      const at = writeFrame(buf, pos, prefix, payload.length);
      buf.set(payload, at);
      pos = at + payload.length + 2;
    }
    wire.outMsgs += sent;
    wire.outBytes += bytes;
    wire.sendCommand(buf);
  }

  private prefixOf(subject: string): Buffer {
    let prefix = this.prefixes.get(subject);
    if (prefix === undefined) {
      if (this.prefixes.size >= MAX_CACHED_PREFIXES) this.prefixes.clear();
      prefix = pubPrefix(subject);
      this.prefixes.set(subject, prefix);
    }
    return prefix;
  }

  private publishNow(subject: string, payload: Uint8Array, onFailure: PublishFailure | undefined): void {
    try {
      this.nc.publish(subject, payload);
    } catch (err) {
      onFailure?.(err, subject);
    }
  }
}
