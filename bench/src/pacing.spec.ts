import type { TagKind } from './media';
import { buildTimeline, PacingCursor } from './pacing';

interface Tag {
  timestamp: number;
  kind: TagKind;
  id: string;
}

/** A 4-frame "file" at 30 fps starting at `base` ms: script, sequence headers, interleaved audio, EOS marker. */
function file(base = 0): Tag[] {
  const t = (ms: number, kind: TagKind, id: string): Tag => ({ timestamp: base + ms, kind, id });
  return [
    t(0, 'script', 'meta'),
    t(0, 'videoConfig', 'avcC'),
    t(0, 'audioConfig', 'asc'),
    t(0, 'videoFrame', 'v0'),
    t(0, 'audioFrame', 'a0'),
    t(23, 'audioFrame', 'a1'),
    t(33, 'videoFrame', 'v1'),
    t(46, 'audioFrame', 'a2'),
    t(67, 'videoFrame', 'v2'),
    t(70, 'audioFrame', 'a3'),
    t(100, 'videoFrame', 'v3'),
    t(100, 'videoEnd', 'eos'),
  ];
}

function take(cursor: PacingCursor<Tag>, n: number): Array<{ id: string; ts: number; due: number; loop: number }> {
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push({ id: cursor.tag.id, ts: cursor.timestamp, due: cursor.dueMs, loop: cursor.loop });
    cursor.advance();
  }
  return out;
}

describe('buildTimeline', () => {
  it('sends every audio/video tag in the first loop, no sequence headers after, and never script data or EOS', () => {
    const timeline = buildTimeline(file());
    expect(timeline.first.map((t) => t.id)).toEqual(['avcC', 'asc', 'v0', 'a0', 'a1', 'v1', 'a2', 'v2', 'a3', 'v3']);
    expect(timeline.loop.map((t) => t.id)).toEqual(['v0', 'a0', 'a1', 'v1', 'a2', 'v2', 'a3', 'v3']);
  });

  it('shifts each loop by the duration plus one mean video frame interval', () => {
    const timeline = buildTimeline(file());
    expect(timeline.frameMs).toBe(33);
    expect(timeline.periodMs).toBe(100 + 33);
  });

  it('falls back to the audio frame interval for audio-only files', () => {
    const audioOnly = file().filter((t) => t.kind.startsWith('audio'));
    expect(buildTimeline(audioOnly).frameMs).toBe(23);
  });

  it('refuses a file without frames', () => {
    expect(() => buildTimeline([{ timestamp: 0, kind: 'script', id: 'meta' }])).toThrow(/no audio or video frames/);
  });
});

describe('PacingCursor', () => {
  it('gives each tag its own timestamp as due time in loop 0, then continues with monotonic timestamps', () => {
    const cursor = new PacingCursor(buildTimeline(file()));
    const sent = take(cursor, 10 + 8 + 8);
    expect(sent.slice(0, 10).map((s) => [s.id, s.ts])).toEqual([
      ['avcC', 0], ['asc', 0], ['v0', 0], ['a0', 0], ['a1', 23], ['v1', 33], ['a2', 46], ['v2', 67], ['a3', 70], ['v3', 100],
    ]);
    expect(sent.slice(10, 18).map((s) => [s.id, s.ts, s.loop])).toEqual([
      ['v0', 133, 1], ['a0', 133, 1], ['a1', 156, 1], ['v1', 166, 1], ['a2', 179, 1], ['v2', 200, 1], ['a3', 203, 1], ['v3', 233, 1],
    ]);
    expect(sent[18]).toEqual({ id: 'v0', ts: 266, due: 266, loop: 2 });
    for (const s of sent) expect(s.due).toBe(s.ts);
    // Never backwards, per media type and overall; and video frames one frame interval apart across the loop seam.
    for (let i = 1; i < sent.length; i++) expect(sent[i].ts).toBeGreaterThanOrEqual(sent[i - 1].ts);
    const video = sent.filter((s) => s.id.startsWith('v')).map((s) => s.ts);
    expect(video[4] - video[3]).toBe(33);
  });

  it('starts at 0 whatever the first timestamp of the file', () => {
    const cursor = new PacingCursor(buildTimeline(file(5000)));
    const sent = take(cursor, 11);
    expect(sent[0]).toEqual({ id: 'avcC', ts: 0, due: 0, loop: 0 });
    expect(sent[9].ts).toBe(100);
    expect(sent[10]).toEqual({ id: 'v0', ts: 133, due: 133, loop: 1 });
  });

  it('keeps timestamps increasing over many loops (an hour of a 60 s file)', () => {
    const tags: Tag[] = [];
    for (let i = 0; i < 1800; i++) tags.push({ timestamp: Math.round((i * 1000) / 30), kind: 'videoFrame', id: `v${i}` });
    const timeline = buildTimeline(tags);
    expect(timeline.periodMs).toBe(59967 + 33);
    const cursor = new PacingCursor(timeline);
    let previous = -1;
    for (let i = 0; i < 1800 * 60; i++) {
      expect(cursor.timestamp).toBeGreaterThan(previous);
      previous = cursor.timestamp;
      cursor.advance();
    }
    expect(cursor.loop).toBe(60);
    expect(cursor.timestamp).toBe(60 * 60_000);
  });
});
