/**
 * Deterministic HLS segmentation: frames in, segment and part boundaries out. No I/O, no clock: the output is a
 * pure function of the frames pushed (their order, kinds, timestamps and key frame flags).
 *
 * Segment naming scheme (design.md point 8: every origin produces the same segment names, so a CDN can ask any
 * of them). With T = targetDurationMs, a key frame at DTS k lies in slot floor(k / T).
 *   - A segment starts at a key frame and is numbered by that key frame's slot.
 *   - The open segment is cut at the first key frame whose slot is above the slot of the segment's first key
 *     frame. Equivalently: a key frame starts a segment exactly when its slot differs from the slot of the key
 *     frame before it. That is a property of two neighbouring key frames only, so an origin that joins the stream
 *     late cuts at the same key frames, and gives the segments the same numbers, as one that saw it from the start.
 *     (Cutting "at the first key frame at least T after the segment start" would not be: where a segment starts
 *     would depend on where the first one did, i.e. on when the origin joined.)
 *   - Joining: the first key frame a segmenter sees may or may not be the first of its slot (the one before it
 *     is unknown), so the frames up to the first confirmed cut are dropped: the first segment starts at the first
 *     key frame whose slot differs from the previous key frame's, or at a key frame lying exactly on a slot
 *     boundary (k mod T == 0, which no earlier key frame can share; a stream starting at 0 loses nothing).
 *     `startAtFirstKeyframe: true` starts at once instead; that first segment is marked `partial: true`, since
 *     another origin may have cut the same slot earlier and given different content the same name.
 *
 * Edge cases:
 *   - Key frame intervals longer than T: a segment covers every slot up to its end, so numbers are skipped
 *     (segment 4 is followed by 6; `skipped` says how many). Names stay deterministic, but HLS Media Sequence
 *     Numbers are positional (RFC 8216 6.2.1), so MSN == number holds only while the encoder's key frame interval
 *     is at most T. Durations range up to T plus one key frame interval; with regular key frames every T or less
 *     they stay close to T.
 *   - Timestamps jumping back (a new publisher, whose timestamps restart) by more than `backwardToleranceMs` on
 *     either track, or the cutting track jumping forward by more than `maxGapMs`: the open segment is closed where
 *     its last frame ends, frames are dropped until the next key frame, and the segment starting there is marked
 *     `discontinuity: true` (EXT-X-DISCONTINUITY) and numbered max(previous + 1, slot), so numbers keep
 *     increasing. After such a jump the new segment is started at the first key frame, with no join wait. Numbers
 *     after a jump back depend on what this segmenter saw before it: an origin that joins after the jump numbers
 *     from the new timeline (so a CDN could hold an older segment under the same name; put the publish epoch in
 *     the URIs if that matters).
 *   - Timestamp wrap-around at 2^32 ms (49.7 days) is not handled: it looks like a jump back.
 *   - Audio-only outputs (`hasVideo: false`): every audio frame counts as a key frame.
 *
 * Parts (LL-HLS, draft-pantos-hls-rfc8216bis 4.4.4.9 EXT-X-PART): the target duration is split into
 * n = round(T / partTargetMs) equal parts, and within a segment that starts at S the part grid lines lie at
 * S + floor(i * T / n) (2000 / 333 -> 6 parts: S, S+333, S+666, S+1000, S+1333, S+1666, S+2000, ...; the grid
 * continues past S + T for a longer segment). Splitting T evenly, rather than stepping by partTargetMs, makes a
 * segment of exactly T end on a grid line, so with regular key frames no part is longer than
 * `advertisedPartTargetMs` = ceil(T / n) (334 here), the value for EXT-X-PART-INF:PART-TARGET, which the spec
 * requires to bound every part and which cannot change during the stream. A frame of the cutting track (video, or
 * audio when audio-only) at or past the next grid line closes the open part, and the new part starts at the grid
 * line the frame lies in. Parts are numbered 0, 1, 2 ... within their segment (the Part Index of 6.2.5.2), so an
 * empty grid cell (no frame for a whole part) widens the part before it rather than leaving a hole. A part's
 * `durationMs` is its grid span; the last part of a segment ends at the segment's end, which can make it longer
 * than a grid step by less than one frame interval when the cutting key frame lies past the next grid line
 * (irregular key frames). Part durations add up to the segment's duration exactly. `independent`
 * (INDEPENDENT=YES) is set when the part's first frame of the cutting track is a key frame. Frames of the other
 * track (audio in a video output) join whichever part is open when they arrive.
 */

export interface SegmenterFrame {
  kind: 'video' | 'audio';
  /** Decoding timestamp, ms. */
  dts: number;
  /** Composition offset, ms (not used for cutting). */
  cts?: number;
  /** A video key frame (IDR / IRAP); ignored for audio. */
  keyframe?: boolean;
}

export interface HlsSegmenterOptions {
  /** Slot length: segments are cut at the first key frame of each slot. Default 2000. */
  targetDurationMs?: number;
  /** Requested LL-HLS part duration, at most targetDurationMs: the target is split into round(T / this) parts. Default 333. */
  partTargetMs?: number;
  /** Segments kept in `window` (the live playlist). Default 6. */
  windowSegments?: number;
  /** false: an audio-only output, cut on audio frames. Default true. */
  hasVideo?: boolean;
  /** Start the first segment at the first key frame instead of the first confirmed cut (see above). Default false. */
  startAtFirstKeyframe?: boolean;
  /** A timestamp going back by more than this on either track is a discontinuity. Default 500. */
  backwardToleranceMs?: number;
  /** A gap larger than this between two frames of the cutting track is a discontinuity. Default 10000. */
  maxGapMs?: number;
}

export interface PartInfo {
  segmentNumber: number;
  partIndex: number;
  /** Grid start: the segment start, or a part grid line after it. */
  startDts: number;
  durationMs: number;
  /** The part starts with a key frame (EXT-X-PART INDEPENDENT=YES). */
  independent: boolean;
}

export interface SegmenterPartEvent<F> extends PartInfo {
  type: 'part';
  frames: F[];
}

export interface SegmentInfo {
  number: number;
  /** DTS of the key frame the segment starts with, ms. */
  startDts: number;
  durationMs: number;
  /** The first segment after a timestamp jump (EXT-X-DISCONTINUITY before it). */
  discontinuity: boolean;
  /** Started at the first key frame seen without a confirmed cut (`startAtFirstKeyframe`). */
  partial: boolean;
  /** Numbers left out between the previous segment and this one (key frame interval > target, or a jump). */
  skipped: number;
  parts: PartInfo[];
}

export interface SegmenterSegmentEvent<F> extends SegmentInfo {
  type: 'segment';
  frames: F[];
}

export type SegmenterEvent<F> = SegmenterPartEvent<F> | SegmenterSegmentEvent<F>;

/** The segment being built: its parts so far (for LL-HLS playlists and preload hints). */
export interface PendingSegment {
  number: number;
  startDts: number;
  discontinuity: boolean;
  parts: PartInfo[];
}

interface OpenPart<F> {
  index: number;
  startDts: number;
  cell: number;
  independent: boolean;
  frames: F[];
}

interface OpenSegment<F> {
  number: number;
  slot: number;
  startDts: number;
  discontinuity: boolean;
  partial: boolean;
  skipped: number;
  frames: F[];
  parts: PartInfo[];
  part: OpenPart<F>;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer (got ${value})`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a non-negative number (got ${value})`);
  return value;
}

export class HlsSegmenter<F extends SegmenterFrame = SegmenterFrame> {
  readonly targetDurationMs: number;
  /** Parts per target duration: round(targetDurationMs / partTargetMs). */
  readonly partsPerTarget: number;
  /** ceil(targetDurationMs / partsPerTarget): the longest grid step, what EXT-X-PART-INF:PART-TARGET should say. */
  readonly advertisedPartTargetMs: number;
  readonly windowSegments: number;
  readonly hasVideo: boolean;
  private readonly startAtFirstKeyframe: boolean;
  private readonly backwardToleranceMs: number;
  private readonly maxGapMs: number;

  private cur?: OpenSegment<F>;
  private lastNumber?: number;
  private readonly lastDts: { video?: number; audio?: number } = {};
  private lastClockDts?: number;
  private lastClockDelta = 0;
  private prevKeyframeDts?: number;
  private nextDiscontinuity = false;
  private startAnywhere = false;
  private readonly segments: SegmentInfo[] = [];
  private discontinuities = 0;

  constructor(options: HlsSegmenterOptions = {}) {
    this.targetDurationMs = positiveInteger('targetDurationMs', options.targetDurationMs ?? 2000);
    const partTargetMs = positiveInteger('partTargetMs', options.partTargetMs ?? 333);
    if (partTargetMs > this.targetDurationMs) throw new RangeError('partTargetMs must not exceed targetDurationMs');
    this.partsPerTarget = Math.max(1, Math.round(this.targetDurationMs / partTargetMs));
    this.advertisedPartTargetMs = Math.ceil(this.targetDurationMs / this.partsPerTarget);
    this.windowSegments = positiveInteger('windowSegments', options.windowSegments ?? 6);
    this.hasVideo = options.hasVideo ?? true;
    this.startAtFirstKeyframe = options.startAtFirstKeyframe ?? false;
    this.backwardToleranceMs = nonNegative('backwardToleranceMs', options.backwardToleranceMs ?? 500);
    this.maxGapMs = nonNegative('maxGapMs', options.maxGapMs ?? 10_000);
  }

  /** The last `windowSegments` completed segments, oldest first. */
  get window(): readonly SegmentInfo[] {
    return this.segments;
  }

  /** Number of the first segment in the window (EXT-X-MEDIA-SEQUENCE when numbers are contiguous). */
  get mediaSequence(): number | undefined {
    return this.segments[0]?.number;
  }

  /** EXT-X-DISCONTINUITY-SEQUENCE: discontinuities that have left the window (RFC 8216 6.2.2). */
  get discontinuitySequence(): number {
    return this.discontinuities;
  }

  /** The segment being built, with its completed parts; undefined while waiting for a key frame. */
  get pending(): PendingSegment | undefined {
    const c = this.cur;
    return c && { number: c.number, startDts: c.startDts, discontinuity: c.discontinuity, parts: [...c.parts] };
  }

  /** Feeds one frame (decode order); returns the parts and segments it completes, in order. */
  push(frame: F): SegmenterEvent<F>[] {
    const { dts } = frame;
    if (typeof dts !== 'number' || !Number.isFinite(dts)) throw new RangeError(`frame dts ${String(dts)} is not a finite number`);
    if (frame.kind !== 'video' && frame.kind !== 'audio') throw new RangeError(`frame kind ${String(frame.kind)}`);
    const events: SegmenterEvent<F>[] = [];
    const clock = this.hasVideo ? frame.kind === 'video' : frame.kind === 'audio';
    const key = clock && (this.hasVideo ? frame.keyframe === true : true);

    const last = this.lastDts[frame.kind];
    if (last !== undefined && (dts < last - this.backwardToleranceMs || (clock && dts - last > this.maxGapMs))) {
      this.breakTimeline(events);
    }
    this.lastDts[frame.kind] = Math.max(this.lastDts[frame.kind] ?? dts, dts);
    if (clock) {
      if (this.lastClockDts !== undefined && dts > this.lastClockDts) this.lastClockDelta = dts - this.lastClockDts;
      this.lastClockDts = Math.max(this.lastClockDts ?? dts, dts);
    }

    const cur = this.cur;
    const slot = Math.floor(dts / this.targetDurationMs);
    if (!cur) {
      if (key) {
        const confirmed =
          (this.prevKeyframeDts !== undefined && slot > Math.floor(this.prevKeyframeDts / this.targetDurationMs)) ||
          dts - slot * this.targetDurationMs === 0;
        if (confirmed || this.startAnywhere || this.startAtFirstKeyframe) {
          this.open(frame, slot, !confirmed && !this.startAnywhere);
        }
        this.prevKeyframeDts = dts;
      }
      return events;
    }

    if (key && slot > cur.slot) {
      this.close(dts, events);
      this.open(frame, slot, false);
    } else {
      if (clock) this.advancePart(cur, frame, events);
      cur.part.frames.push(frame);
      cur.frames.push(frame);
    }
    if (key) this.prevKeyframeDts = dts;
    return events;
  }

  /** Closes the open segment (end of stream), ending it one frame interval after its last frame. */
  flush(): SegmenterEvent<F>[] {
    const events: SegmenterEvent<F>[] = [];
    this.breakTimeline(events);
    return events;
  }

  /** A timestamp jump or the end of the stream: close what is open, forget the timeline, restart at a key frame. */
  private breakTimeline(events: SegmenterEvent<F>[]): void {
    if (this.cur) {
      const lastEnd = (this.lastClockDts ?? this.cur.startDts) + this.lastClockDelta;
      this.close(Math.max(this.cur.startDts, lastEnd), events);
    }
    if (this.lastNumber !== undefined) {
      this.nextDiscontinuity = true;
      this.startAnywhere = true;
    }
    this.lastDts.video = undefined;
    this.lastDts.audio = undefined;
    this.lastClockDts = undefined;
    this.lastClockDelta = 0;
    this.prevKeyframeDts = undefined;
  }

  private open(frame: F, slot: number, partial: boolean): void {
    const number = this.lastNumber === undefined ? slot : Math.max(this.lastNumber + 1, slot);
    this.cur = {
      number,
      slot,
      startDts: frame.dts,
      discontinuity: this.nextDiscontinuity,
      partial,
      skipped: this.lastNumber === undefined ? 0 : number - this.lastNumber - 1,
      frames: [frame],
      parts: [],
      part: { index: 0, startDts: frame.dts, cell: 0, independent: true, frames: [frame] },
    };
    this.nextDiscontinuity = false;
    this.startAnywhere = false;
  }

  /** Grid line i of a segment, relative to its start: floor(i * T / n) ms. */
  private gridLine(i: number): number {
    return Math.floor((i * this.targetDurationMs) / this.partsPerTarget);
  }

  /** The largest i with gridLine(i) <= offset: floor(i T / n) <= floor(d) <=> i < (floor(d) + 1) n / T. */
  private gridCell(offset: number): number {
    if (offset < 0) return 0;
    return Math.ceil(((Math.floor(offset) + 1) * this.partsPerTarget) / this.targetDurationMs) - 1;
  }

  private advancePart(cur: OpenSegment<F>, frame: F, events: SegmenterEvent<F>[]): void {
    const cell = this.gridCell(frame.dts - cur.startDts);
    if (cell <= cur.part.cell) return;
    const startDts = cur.startDts + this.gridLine(cell);
    this.closePart(cur, startDts, events);
    const independent = this.hasVideo ? frame.keyframe === true : true;
    cur.part = { index: cur.part.index + 1, startDts, cell, independent, frames: [] };
  }

  private closePart(cur: OpenSegment<F>, end: number, events: SegmenterEvent<F>[]): void {
    const p = cur.part;
    const info: PartInfo = {
      segmentNumber: cur.number,
      partIndex: p.index,
      startDts: p.startDts,
      durationMs: end - p.startDts,
      independent: p.independent,
    };
    cur.parts.push(info);
    events.push({ type: 'part', ...info, frames: p.frames });
  }

  private close(end: number, events: SegmenterEvent<F>[]): void {
    const cur = this.cur!;
    this.closePart(cur, Math.max(end, cur.part.startDts), events);
    const info: SegmentInfo = {
      number: cur.number,
      startDts: cur.startDts,
      durationMs: Math.max(end, cur.part.startDts) - cur.startDts,
      discontinuity: cur.discontinuity,
      partial: cur.partial,
      skipped: cur.skipped,
      parts: cur.parts,
    };
    events.push({ type: 'segment', ...info, frames: cur.frames });
    this.segments.push(info);
    while (this.segments.length > this.windowSegments) {
      if (this.segments.shift()!.discontinuity) this.discontinuities++;
    }
    this.lastNumber = cur.number;
    this.cur = undefined;
  }
}
