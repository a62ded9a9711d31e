/**
 * One stream on this origin: one source (the NATS subscription, shared by all local viewers), the join cache,
 * and the fan-out. Each message is encoded once per output format by OutMessage and the same buffer goes to
 * every viewer. A viewer whose backlog passes the high-water mark loses non-key frames until the next keyframe;
 * one that stays behind too long, or whose backlog passes the cut-off, is disconnected.
 *
 * Writes are batched: published messages are collected and flushed together, either at the end of the current
 * event-loop turn (`mergeMs` 0: what arrived in one NATS read goes out in one write) or at most `mergeMs` after the
 * first message of the batch. Nothing is done per viewer per message: at the flush, a viewer that is in step (not
 * waiting for a keyframe, not paused, backlog under the high-water mark, not joined during the batch) takes the whole
 * batch, as ONE buffer shared by every in-step viewer of its format; only the others go through the batch message by
 * message (drops, keyframe waits, cut-offs) into their own gathered write. Since a viewer's socket gets nothing between
 * two flushes, its backlog cannot change inside a batch, so deciding once per flush is the same decision as deciding
 * per message. A flush therefore costs one check and one socket write per viewer, however many messages it holds.
 *
 * Large audiences (`mergeViewers`, default 200) also hold a batch up to `mergeWithinMs` (15) when the stream's cadence
 * (StreamCadence, as the edge's relay uses) says its next message is due by then: an audio frame and the video frame
 * next to it mostly share a write, which is where such an origin's CPU goes, for up to 15 ms on those messages (at
 * 800 RTMP viewers, 2 interleaved runs each: 1.77-1.81 CPU-s/GB with 5 ms, 1.45-1.57 with 10, 1.37-1.42 with 15).
 */
import { HlsPackager } from '@ingest/hls';
import { StreamCadence } from '@ingest/relay';
import { JoinCache } from './join-cache';
import type { OutMessage } from './media';
import { concatEncoded, type Viewer } from './viewer';

export interface FanoutLimits {
  highWaterBytes: number;
  cutoffBytes: number;
  maxBehindMs: number;
  /** Longest a message waits to be merged with the next ones into one write per viewer. 0 = the current turn only. */
  mergeMs?: number;
  /**
   * With at least `mergeViewers` viewers (and mergeMs 0), a batch waits up to `mergeWithinMs` for the stream's next
   * message when the stream's cadence says it is due within that time, so both go out in one write per viewer. Where
   * an origin's cost is its writes (many viewers) this saves ~16 % of them for a few ms on those messages.
   */
  mergeViewers?: number;
  mergeWithinMs?: number;
}

export const DEFAULT_MERGE_VIEWERS = 200;
export const DEFAULT_MERGE_WITHIN_MS = 15;

/** A batch this large is written at once, whatever the merge window. */
const MAX_BATCH_BYTES = 512 * 1024;

export interface HubEvents {
  onViewerDropped?(viewer: Viewer, frames: number): void;
  onViewerCut?(viewer: Viewer, reason: string): void;
}

export class StreamHub {
  readonly viewers = new Set<Viewer>();
  readonly cache = new JoinCache();
  lastMessageAt = 0;
  messages = 0;
  ended = false;
  /** Set while nobody watches: when the hub may be closed. */
  idleSince = 0;
  /** When the stream started publishing (the registry's value): DASH's availabilityStartTime. */
  startedAt = Date.now();
  /** HLS packaging, created by the first HLS request (streams nobody watches over HLS are not packaged). */
  hls: HlsPackager | undefined;
  /** Messages published since the last flush. */
  private readonly batch: OutMessage[] = [];
  private batchBytes = 0;
  private flushScheduled = false;
  private flushTimer: NodeJS.Timeout | undefined;
  /** performance.now() of the batch's first message (large audiences wait for the next message from then). */
  private batchStartedAt = 0;
  private readonly cadence = new StreamCadence();
  /** Writes saved by batching (messages delivered minus writes issued). */
  mergedWrites = 0;

  constructor(
    readonly name: string,
    private readonly limits: FanoutLimits,
    private readonly events: HubEvents = {},
  ) {}

  /** A new viewer gets the join cache at once, then the live flow. */
  addViewer(viewer: Viewer): void {
    this.viewers.add(viewer);
    this.idleSince = 0;
    viewer.waitingForKeyframe = this.cache.hasVideo;
    const now = Date.now();
    for (const message of this.cache.snapshot()) this.deliver(viewer, message, now);
    // The join cache goes out at once, in one write; the live flow follows with the next flush. The cache already
    // holds what the current batch published so far: the viewer takes only the rest of the batch.
    viewer.flushPending();
    viewer.batchFrom = this.batch.length;
  }

  removeViewer(viewer: Viewer): void {
    viewer.pending.length = 0;
    this.viewers.delete(viewer);
    if (this.viewers.size === 0) this.idleSince = Date.now();
  }

  publish(message: OutMessage): void {
    this.lastMessageAt = Date.now();
    this.messages++;
    this.ended = false;
    this.cache.add(message);
    this.hls?.push(message);
    const first = this.batch.length === 0;
    this.batch.push(message);
    this.batchBytes += message.payload.length;
    const nextInMs = this.cadence.next(message.type, message.timestamp);
    if (this.batchBytes >= MAX_BATCH_BYTES) this.flush();
    else if (!this.waitForNext(first, nextInMs)) this.scheduleFlush();
  }

  /**
   * Large audiences: holds the batch (at most mergeWithinMs from its first message) when the stream's next message
   * is due before then. Returns false when the batch should go at the end of this turn as usual.
   */
  private waitForNext(first: boolean, nextInMs: number): boolean {
    const within = this.limits.mergeWithinMs ?? DEFAULT_MERGE_WITHIN_MS;
    if ((this.limits.mergeMs ?? 0) > 0 || within <= 0 || this.viewers.size < (this.limits.mergeViewers ?? DEFAULT_MERGE_VIEWERS)) return false;
    const now = performance.now();
    if (first) this.batchStartedAt = now;
    const deadline = this.batchStartedAt + within;
    if (now + nextInMs >= deadline) return false;
    if (this.flushTimer === undefined) {
      this.flushScheduled = true;
      this.flushTimer = setTimeout(this.flushNow, Math.max(0, deadline - now));
    }
    return true;
  }

  /**
   * Writes the batch to every viewer: one write each. In-step viewers share one buffer per format (the messages' shared
   * encodings, concatenated once per flush); the others get the messages they take, as a gathered write of the shared
   * encodings (Viewer.flushPending).
   */
  flush(): void {
    this.flushScheduled = false;
    if (this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    const batch = this.batch;
    const count = batch.length;
    if (count === 0) return;
    const highWater = this.limits.highWaterBytes;
    const now = Date.now();
    let shared: Map<number, Buffer> | undefined;
    for (const viewer of this.viewers) {
      const from = viewer.batchFrom;
      if (viewer.closed) continue;
      if (from === 0 && !viewer.waitingForKeyframe && !viewer.paused && viewer.buffered() <= highWater) {
        viewer.behindSince = 0;
        shared ??= new Map();
        let bytes = shared.get(viewer.formatKey);
        if (bytes === undefined) {
          bytes = concatEncoded(viewer, batch);
          shared.set(viewer.formatKey, bytes);
        }
        this.mergedWrites += count - 1;
        viewer.write(bytes);
        continue;
      }
      viewer.batchFrom = 0;
      for (let i = from; i < count && !viewer.closed; i++) this.deliver(viewer, batch[i], now);
      const n = viewer.pending.length;
      if (n > 1) this.mergedWrites += n - 1;
      viewer.flushPending();
    }
    batch.length = 0;
    this.batchBytes = 0;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled && this.flushTimer !== undefined && (this.limits.mergeMs ?? 0) === 0) {
      // Held for the next message, which came: go at the end of this turn.
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      setImmediate(this.flushAtTurnEnd);
      return;
    }
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const mergeMs = this.limits.mergeMs ?? 0;
    if (mergeMs > 0) this.flushTimer = setTimeout(this.flushNow, mergeMs);
    else setImmediate(this.flushAtTurnEnd);
  }

  /** The end-of-turn flush; not while a timer holds the batch (an earlier turn's callback must not cut a wait short). */
  private readonly flushAtTurnEnd = (): void => {
    if (this.flushScheduled && this.flushTimer === undefined) this.flush();
  };

  private readonly flushNow = (): void => {
    if (this.flushScheduled) this.flush();
  };

  /** The HLS packager, started on first use from the join cache; an HLS request also keeps the hub open. */
  packager(options: { targetDurationMs: number; windowSegments: number }): HlsPackager {
    if (!this.hls) {
      this.hls = new HlsPackager(options);
      for (const message of this.cache.snapshot()) this.hls.push(message);
    }
    this.hls.lastRequestAt = Date.now();
    if (this.viewers.size === 0) this.idleSince = Date.now();
    return this.hls;
  }

  /** Publisher gone: viewers are told; the cache is cleared for the next publisher. */
  end(): void {
    this.flush();
    this.ended = true;
    this.cache.clear();
    for (const viewer of [...this.viewers]) viewer.streamEnded();
  }

  /** A new publisher (or edge) took over: configuration and timestamps restart. */
  restart(): void {
    this.flush();
    this.cache.clear();
    this.hls?.restart();
    for (const viewer of this.viewers) viewer.waitingForKeyframe = true;
  }

  private deliver(viewer: Viewer, message: OutMessage, now: number): void {
    if (viewer.closed) return;
    if (message.config) {
      viewer.pending.push(message);
      return;
    }
    if (viewer.paused) return;
    const backlog = viewer.buffered();
    if (backlog > this.limits.highWaterBytes) {
      if (viewer.behindSince === 0) viewer.behindSince = now;
      if (backlog > this.limits.cutoffBytes || now - viewer.behindSince > this.limits.maxBehindMs) {
        this.events.onViewerCut?.(viewer, 'slow');
        viewer.close('slow viewer');
        return;
      }
      if (this.cache.hasVideo) viewer.waitingForKeyframe = true;
      viewer.droppedFrames++;
      this.events.onViewerDropped?.(viewer, 1);
      return;
    }
    viewer.behindSince = 0;
    if (viewer.waitingForKeyframe) {
      if (!message.keyframe && this.cache.hasVideo) {
        viewer.droppedFrames++;
        return;
      }
      viewer.waitingForKeyframe = false;
    }
    viewer.pending.push(message);
  }
}
