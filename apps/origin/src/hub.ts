/**
 * One stream on this origin: one source (the NATS subscription, shared by all local viewers), the join cache,
 * and the fan-out. Each message is encoded once per output format by OutMessage and the same buffer goes to
 * every viewer. A viewer whose backlog passes the high-water mark loses non-key frames until the next keyframe;
 * one that stays behind too long, or whose backlog passes the cut-off, is disconnected.
 */
import { HlsPackager } from '@ingest/hls';
import { JoinCache } from './join-cache';
import type { OutMessage } from './media';
import type { Viewer } from './viewer';

export interface FanoutLimits {
  highWaterBytes: number;
  cutoffBytes: number;
  maxBehindMs: number;
}

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
    for (const message of this.cache.snapshot()) this.deliver(viewer, message, Date.now());
  }

  removeViewer(viewer: Viewer): void {
    this.viewers.delete(viewer);
    if (this.viewers.size === 0) this.idleSince = Date.now();
  }

  publish(message: OutMessage): void {
    this.lastMessageAt = Date.now();
    this.messages++;
    this.ended = false;
    this.cache.add(message);
    this.hls?.push(message);
    const now = this.lastMessageAt;
    for (const viewer of this.viewers) this.deliver(viewer, message, now);
  }

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
    this.ended = true;
    this.cache.clear();
    for (const viewer of [...this.viewers]) viewer.streamEnded();
  }

  /** A new publisher (or edge) took over: configuration and timestamps restart. */
  restart(): void {
    this.cache.clear();
    this.hls?.restart();
    for (const viewer of this.viewers) viewer.waitingForKeyframe = true;
  }

  private deliver(viewer: Viewer, message: OutMessage, now: number): void {
    if (viewer.closed) return;
    if (message.config) {
      viewer.send(message);
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
    viewer.send(message);
  }
}
