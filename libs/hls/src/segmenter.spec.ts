import fc from 'fast-check';
import { HlsSegmenter, type SegmenterEvent, type SegmenterFrame, type SegmenterPartEvent, type SegmenterSegmentEvent } from './segmenter';

interface Frame extends SegmenterFrame {
  id: number;
}

interface StreamSpec {
  /** Video frame indices that are key frames. */
  keys: (i: number) => boolean;
  frames: number;
  fps?: number;
  startMs?: number;
  audio?: boolean;
  firstId?: number;
}

/** 30 fps video (ms timestamps rounded as FLV has them) interleaved with 44.1 kHz AAC frames, in DTS order. */
function stream(spec: StreamSpec): Frame[] {
  const fps = spec.fps ?? 30;
  const start = spec.startMs ?? 0;
  const out: Frame[] = [];
  let id = spec.firstId ?? 0;
  let a = 0;
  for (let i = 0; i < spec.frames; i++) {
    const dts = start + Math.round((i * 1000) / fps);
    while (spec.audio !== false && start + Math.round((a * 1024000) / 44100) <= dts) {
      out.push({ id: id++, kind: 'audio', dts: start + Math.round((a * 1024000) / 44100) });
      a++;
    }
    out.push({ id: id++, kind: 'video', dts, cts: 0, keyframe: spec.keys(i) });
  }
  return out;
}

function run(seg: HlsSegmenter<Frame>, frames: Frame[]): SegmenterEvent<Frame>[] {
  return frames.flatMap((f) => seg.push(f));
}

const segmentsOf = (events: SegmenterEvent<Frame>[]): SegmenterSegmentEvent<Frame>[] =>
  events.filter((e): e is SegmenterSegmentEvent<Frame> => e.type === 'segment');
const partsOf = (events: SegmenterEvent<Frame>[], segmentNumber: number): SegmenterPartEvent<Frame>[] =>
  events.filter((e): e is SegmenterPartEvent<Frame> => e.type === 'part' && e.segmentNumber === segmentNumber);

/** What must match between origins: everything about a segment, frames by identity. */
function comparable(s: SegmenterSegmentEvent<Frame>) {
  return { number: s.number, startDts: s.startDts, durationMs: s.durationMs, frames: s.frames.map((f) => f.id), parts: s.parts, discontinuity: s.discontinuity };
}

describe('HlsSegmenter: cutting and numbering', () => {
  it('cuts at the first key frame of each 2 s slot and numbers segments floor(dts / 2000)', () => {
    const seg = new HlsSegmenter<Frame>({ targetDurationMs: 2000 });
    const frames = stream({ frames: 300, keys: (i) => i % 30 === 0 }); // 10 s, a key frame every second
    const segments = segmentsOf(run(seg, frames));
    expect(segments.map((s) => [s.number, s.startDts, s.durationMs])).toEqual([
      [0, 0, 2000],
      [1, 2000, 2000],
      [2, 4000, 2000],
      [3, 6000, 2000],
    ]);
    for (const s of segments) {
      const first = s.frames[0];
      expect(first).toMatchObject({ kind: 'video', keyframe: true, dts: s.startDts });
      expect(s.frames.filter((f) => f.kind === 'video' && f.dts >= s.startDts + s.durationMs)).toHaveLength(0);
    }
    // Every frame from the first key frame on lands in exactly one segment, in order (the audio frame at 0 ms came
    // before the key frame: nothing was open yet).
    const ids = segments.flatMap((s) => s.frames.map((f) => f.id));
    const from = frames.findIndex((f) => f.keyframe);
    expect(from).toBe(1);
    expect(ids).toEqual(frames.slice(from, from + ids.length).map((f) => f.id));
    expect(seg.pending).toMatchObject({ number: 4, startDts: 8000 });
  });

  it('never cuts at a non-key frame, and skips numbers when key frames are further apart than the target', () => {
    const keyIdx = new Set([0, 45, 63, 195, 210, 300]); // 0, 1500, 2100, 6500, 7000, 10000 ms
    const seg = new HlsSegmenter<Frame>({ targetDurationMs: 2000 });
    const segments = segmentsOf(run(seg, stream({ frames: 301, keys: (i) => keyIdx.has(i) })));
    expect(segments.map((s) => [s.number, s.startDts, s.durationMs, s.skipped])).toEqual([
      [0, 0, 2100, 0], // 1500 is in slot 0: no cut
      [1, 2100, 4400, 0],
      [3, 6500, 3500, 1], // slot 2 had no key frame: number 2 is skipped; 7000 is in slot 3 as well
    ]);
  });

  it('gives two origins that joined at different moments the same segments (names, boundaries, frames, parts)', () => {
    let compared = 0;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 8, max: 75 }), { minLength: 8, maxLength: 25 }), // GOP lengths in frames
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom(1000, 2000, 3000),
        fc.constantFrom(200, 333, 500),
        (gops, joinSeed, targetDurationMs, partTargetMs) => {
          const keys = new Set<number>();
          let n = 0;
          for (const g of gops) {
            keys.add(n);
            n += g;
          }
          const frames = stream({ frames: n, keys: (i) => keys.has(i), startMs: 123_456 });
          const join = joinSeed % frames.length;
          const a = segmentsOf(run(new HlsSegmenter<Frame>({ targetDurationMs, partTargetMs }), frames));
          const b = segmentsOf(run(new HlsSegmenter<Frame>({ targetDurationMs, partTargetMs }), frames.slice(join)));
          if (b.length === 0) return;
          const overlap = a.filter((s) => s.number >= b[0].number).map(comparable);
          expect(b.map(comparable)).toEqual(overlap);
          expect(b.every((s) => !s.partial)).toBe(true);
          compared += b.length;
        },
      ),
      { numRuns: 300 },
    );
    expect(compared).toBeGreaterThan(300); // the property was exercised, not vacuously true
  });

  it('joining mid-slot drops frames up to the first confirmed cut, or starts a partial segment when asked', () => {
    const frames = stream({ frames: 300, keys: (i) => i % 30 === 0, startMs: 0 });
    const join = frames.findIndex((f) => f.kind === 'video' && f.dts === 3000); // key frame at 3 s: slot 1, not its first
    const strict = segmentsOf(run(new HlsSegmenter<Frame>(), frames.slice(join)));
    expect(strict[0]).toMatchObject({ number: 2, startDts: 4000, partial: false });
    const eager = segmentsOf(run(new HlsSegmenter<Frame>({ startAtFirstKeyframe: true }), frames.slice(join)));
    expect(eager[0]).toMatchObject({ number: 1, startDts: 3000, durationMs: 1000, partial: true });
    expect(eager[1]).toMatchObject({ number: 2, startDts: 4000, partial: false });
    // A key frame exactly on a slot boundary is a confirmed cut: no wait.
    const onBoundary = frames.findIndex((f) => f.kind === 'video' && f.dts === 2000);
    expect(segmentsOf(run(new HlsSegmenter<Frame>(), frames.slice(onBoundary)))[0]).toMatchObject({ number: 1, startDts: 2000 });
  });

  it('marks a discontinuity when timestamps jump back (new publisher) and keeps numbers increasing', () => {
    const seg = new HlsSegmenter<Frame>({ targetDurationMs: 2000, windowSegments: 3 });
    const first = stream({ frames: 195, keys: (i) => i % 60 === 0 }); // 6.5 s from 0
    const second = stream({ frames: 300, keys: (i) => i % 60 === 0, firstId: 10_000 }); // starts over at 0
    const segments = segmentsOf(run(seg, [...first, ...second]));
    expect(segments.map((s) => [s.number, s.startDts, s.durationMs, s.discontinuity])).toEqual([
      [0, 0, 2000],
      [1, 2000, 2000],
      [2, 4000, 2000],
      [3, 6000, 501], // closed at the jump: last video frame 6467 + the last frame interval (6467 - 6433)
      [4, 0, 2000, true], // floor(0 / 2000) = 0 would go back: max(previous + 1, 0)
      [5, 2000, 2000],
      [6, 4000, 2000],
      [7, 6000, 2000],
    ].map(([n, s, d, disc]) => [n, s, d, disc ?? false]));
    // The window holds 3 segments; the discontinuity at 4 has slid out once 7 is in.
    expect(seg.window.map((s) => s.number)).toEqual([5, 6, 7]);
    expect(seg.mediaSequence).toBe(5);
    expect(seg.discontinuitySequence).toBe(1);
  });

  it('treats a gap on the cutting track as a discontinuity, but tolerates small reordering', () => {
    const seg = new HlsSegmenter<Frame>({ targetDurationMs: 2000, maxGapMs: 5000 });
    const a = stream({ frames: 90, keys: (i) => i % 30 === 0 }); // 0 .. 2967
    const b = stream({ frames: 120, keys: (i) => i % 30 === 0, startMs: 60_000, firstId: 5000 });
    const jittery = [...a.slice(0, 50), { id: 999, kind: 'audio' as const, dts: a[49].dts - 300 }, ...a.slice(50)];
    const segments = segmentsOf(run(seg, [...jittery, ...b]));
    expect(segments.map((s) => [s.number, s.startDts, s.durationMs, s.discontinuity])).toEqual([
      [0, 0, 2000, false],
      [1, 2000, 1001, false], // 2967 + 34
      [30, 60_000, 2000, true],
    ]);
  });

  it('flush() ends the open segment one frame interval after its last frame', () => {
    const seg = new HlsSegmenter<Frame>();
    run(seg, stream({ frames: 75, keys: (i) => i % 30 === 0 })); // 0 .. 2467
    const events = seg.flush();
    expect(events.map((e) => e.type)).toEqual(['part', 'segment']);
    expect(segmentsOf(events)[0]).toMatchObject({ number: 1, startDts: 2000, durationMs: 501 }); // 2467 + 34
    expect(seg.pending).toBeUndefined();
    expect(seg.flush()).toEqual([]);
  });

  it('validates its options and frames', () => {
    expect(() => new HlsSegmenter({ targetDurationMs: 0 })).toThrow(RangeError);
    expect(() => new HlsSegmenter({ targetDurationMs: 1000, partTargetMs: 1500 })).toThrow(RangeError);
    expect(() => new HlsSegmenter({ windowSegments: 1.5 })).toThrow(RangeError);
    expect(() => new HlsSegmenter().push({ kind: 'video', dts: NaN })).toThrow(RangeError);
  });
});

describe('HlsSegmenter: parts', () => {
  it('splits 2 s into six parts on the grid 0, 333, 666, 1000, 1333, 1666 and marks the ones starting on a key frame', () => {
    const seg = new HlsSegmenter<Frame>({ targetDurationMs: 2000, partTargetMs: 333 });
    expect([seg.partsPerTarget, seg.advertisedPartTargetMs]).toEqual([6, 334]);
    const events = run(seg, stream({ frames: 71, keys: (i) => i % 30 === 0 })); // key frames every second, 0 .. 2333 ms
    const [first] = segmentsOf(events);
    const parts = partsOf(events, 0);
    expect(parts.map((p) => [p.partIndex, p.startDts, p.durationMs, p.independent])).toEqual([
      [0, 0, 333, true],
      [1, 333, 333, false],
      [2, 666, 334, false],
      [3, 1000, 333, true], // the 1 s key frame starts this part
      [4, 1333, 333, false],
      [5, 1666, 334, false],
    ]);
    expect(first.parts).toEqual(parts.map(({ type: _t, frames: _f, ...info }) => info));
    // Parts come out before their segment, and hold its frames in order.
    expect(events.indexOf(first)).toBeGreaterThan(events.indexOf(parts[5]));
    expect(parts.flatMap((p) => p.frames)).toEqual(first.frames);
    // The 1 s video frame opens part 3; the audio frame at 998 ms that came before it stays in part 2.
    expect(parts[3].frames[0]).toMatchObject({ kind: 'video', dts: 1000 });
    expect(parts[2].frames.at(-1)).toMatchObject({ kind: 'audio', dts: 998 });
    expect(seg.pending).toMatchObject({ number: 1, parts: [{ segmentNumber: 1, partIndex: 0, startDts: 2000, durationMs: 333 }] });
  });

  it('widens a part across an empty grid cell instead of leaving a hole in the part indices', () => {
    const seg = new HlsSegmenter<Frame>({ targetDurationMs: 2000, partTargetMs: 250 });
    const frames = stream({ frames: 25, fps: 2.5, keys: (i) => i % 5 === 0, audio: false }); // a frame every 400 ms
    const parts = partsOf(run(seg, frames), 0);
    expect(parts.map((p) => [p.partIndex, p.startDts, p.durationMs])).toEqual([
      [0, 0, 250], // 400 is in cell 1
      [1, 250, 500], // 800 is in cell 3 (750): cell 2 had no frame
      [2, 750, 250], // 1200 is in cell 4
      [3, 1000, 500], // 1600 is in cell 6
      [4, 1500, 500], // the 2000 key frame cuts
    ]);
  });

  it('audio-only: every audio frame may start a segment, and every part is independent', () => {
    const seg = new HlsSegmenter<Frame>({ hasVideo: false, targetDurationMs: 1000, partTargetMs: 250 });
    const frames: Frame[] = Array.from({ length: 200 }, (_, a) => ({ id: a, kind: 'audio', dts: Math.round((a * 1024000) / 44100) }));
    const events = run(seg, frames);
    const segments = segmentsOf(events);
    expect(segments.map((s) => [s.number, s.startDts])).toEqual([
      [0, 0],
      [1, 1022], // audio frame 44; frame 43 is at 998
      [2, 2020],
      [3, 3019],
    ]);
    expect(events.every((e) => e.type !== 'part' || e.independent)).toBe(true);
  });
});
