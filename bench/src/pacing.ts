/**
 * Real-time pacing of a file replay, looping with monotonic timestamps (pure: no clock, no I/O).
 *
 * Loop 0 sends every audio/video tag of the file (its sequence headers included) at its own timestamp; every later
 * loop sends the same tags minus the sequence headers, shifted by `periodMs` = the file's duration (last tag
 * timestamp minus first) + one video frame, so timestamps keep increasing and the first frame of a loop comes one
 * frame interval after the last of the previous loop. A tag is due `timestamp` ms after the publisher's start.
 * Script tags are left out (onMetaData goes first through sendMetadata), and so is the end-of-sequence marker
 * FFmpeg writes at the end of a file: a live encoder sends none in the middle of a stream.
 */
import type { TagKind } from './media';

export interface PacedTagLike {
  timestamp: number;
  kind: TagKind;
}

export interface Timeline<T extends PacedTagLike> {
  /** Loop 0: every media tag. */
  first: readonly T[];
  /** Loops 1, 2, ...: without sequence headers. */
  loop: readonly T[];
  /** Smallest timestamp of the file's media tags; sent timestamps and due times start at 0 from it. */
  baseMs: number;
  /** Mean video frame interval, rounded (33 ms at 30 fps). */
  frameMs: number;
  /** Timestamp shift per loop: duration + one frame. */
  periodMs: number;
}

const SKIPPED: ReadonlySet<TagKind> = new Set<TagKind>(['script', 'videoEnd', 'audioEnd']);
const CONFIG: ReadonlySet<TagKind> = new Set<TagKind>(['videoConfig', 'audioConfig']);

export function buildTimeline<T extends PacedTagLike>(tags: readonly T[]): Timeline<T> {
  const first = tags.filter((t) => !SKIPPED.has(t.kind));
  const loop = first.filter((t) => !CONFIG.has(t.kind));
  if (loop.length === 0) throw new Error('no audio or video frames to replay');
  let baseMs = Infinity;
  let lastMs = -Infinity;
  for (const t of first) {
    if (t.timestamp < baseMs) baseMs = t.timestamp;
    if (t.timestamp > lastMs) lastMs = t.timestamp;
  }
  const frameMs = meanInterval(first.filter((t) => t.kind === 'videoFrame')) ?? meanInterval(first.filter((t) => t.kind === 'audioFrame')) ?? 1;
  return { first, loop, baseMs, frameMs, periodMs: lastMs - baseMs + frameMs };
}

function meanInterval(tags: readonly PacedTagLike[]): number | undefined {
  if (tags.length < 2) return undefined;
  const stamps = tags.map((t) => t.timestamp);
  const span = Math.max(...stamps) - Math.min(...stamps);
  return span > 0 ? Math.max(1, Math.round(span / (tags.length - 1))) : undefined;
}

/** Walks a timeline forever: the current tag, the timestamp to send it with and when it is due. */
export class PacingCursor<T extends PacedTagLike> {
  /** Loops completed. */
  loop = 0;
  private index = 0;
  private tags: readonly T[];

  constructor(private readonly timeline: Timeline<T>) {
    this.tags = timeline.first;
  }

  get tag(): T {
    return this.tags[this.index];
  }

  /** RTMP timestamp for the current tag (ms, from 0). */
  get timestamp(): number {
    return this.tag.timestamp - this.timeline.baseMs + this.loop * this.timeline.periodMs;
  }

  /** Milliseconds after the publisher's start at which the current tag is due (equal to its timestamp). */
  get dueMs(): number {
    return this.timestamp;
  }

  advance(): void {
    if (++this.index < this.tags.length) return;
    this.loop++;
    this.index = 0;
    this.tags = this.timeline.loop;
  }
}
