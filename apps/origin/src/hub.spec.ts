import { ChunkReader } from '@ingest/rtmp';
import { FlvFileReader, encodeFlvHeader } from '@ingest/flv';
import { StreamHub } from './hub';
import { OutMessage, TYPE_AUDIO, TYPE_DATA, TYPE_VIDEO } from './media';
import { FLV_FORMAT, Viewer } from './viewer';

/** Every FLV tag any FakeViewer encoded, to map written bytes back to messages (shared buffers included). */
const encodedBy = new Map<Buffer, OutMessage>();

/**
 * A viewer whose backlog the test controls (logic test: the real sockets are in the e2e suite). It records each
 * write and maps the FLV tags in it back to the messages they encode.
 */
class FakeViewer extends Viewer {
  readonly formatKey = FLV_FORMAT;
  backlog = 0;
  got: OutMessage[] = [];
  writes: Buffer[] = [];
  endedStream = false;
  constructor() {
    super('http-flv', 'test');
  }
  buffered(): number {
    return this.backlog;
  }
  encode(message: OutMessage): Buffer {
    const tag = message.flvTag();
    encodedBy.set(tag, message);
    return tag;
  }
  protected writeBytes(bytes: Buffer): void {
    this.writes.push(bytes);
    for (let offset = 0; offset < bytes.length; ) {
      const size = 11 + bytes.readUIntBE(offset + 1, 3) + 4;
      const tag = bytes.subarray(offset, offset + size);
      const message = [...encodedBy].find(([encoded]) => encoded.equals(tag))?.[1];
      if (!message) throw new Error(`write holds a tag no message encodes, at offset ${offset}`);
      this.got.push(message);
      offset += size;
    }
  }
  streamEnded(): void {
    this.endedStream = true;
  }
  protected end(): void {}
}

const limits = { highWaterBytes: 1000, cutoffBytes: 5000, maxBehindMs: 10_000 };
const meta = () => new OutMessage(TYPE_DATA, 0, Buffer.from('meta'), false, true);
const vcfg = () => new OutMessage(TYPE_VIDEO, 0, Buffer.from([0x17, 0, 0, 0, 0]), false, true);
const acfg = () => new OutMessage(TYPE_AUDIO, 0, Buffer.from([0xaf, 0, 0x12, 0x10]), false, true);
const key = (ts: number) => new OutMessage(TYPE_VIDEO, ts, Buffer.from([0x17, 1, 0, 0, 0, ts & 0xff]), true, false);
const inter = (ts: number) => new OutMessage(TYPE_VIDEO, ts, Buffer.from([0x27, 1, 0, 0, 0, ts & 0xff]), false, false);
const audio = (ts: number) => new OutMessage(TYPE_AUDIO, ts, Buffer.from([0xaf, 1, ts & 0xff]), false, false);

function feed(hub: StreamHub, messages: OutMessage[]): void {
  for (const m of messages) hub.publish(m);
  hub.flush();
}

describe('StreamHub fan-out', () => {
  test('a viewer joining mid-GOP gets metadata, sequence headers and the GOP from its keyframe first', () => {
    const hub = new StreamHub('s', limits);
    feed(hub, [meta(), vcfg(), acfg(), key(0), audio(10), inter(33), key(66), audio(70), inter(100)]);
    const v = new FakeViewer();
    hub.addViewer(v);
    expect(v.writes).toHaveLength(1); // the whole join cache in one write
    hub.publish(inter(133));
    hub.flush();
    expect(v.got.map((m) => [m.type, m.timestamp, m.config, m.keyframe])).toEqual([
      [TYPE_DATA, 0, true, false],
      [TYPE_VIDEO, 0, true, false],
      [TYPE_AUDIO, 0, true, false],
      [TYPE_VIDEO, 66, false, true],
      [TYPE_AUDIO, 70, false, false],
      [TYPE_VIDEO, 100, false, false],
      [TYPE_VIDEO, 133, false, false],
    ]);
  });

  test('every viewer gets the same encoded buffer (encode once per format)', () => {
    const hub = new StreamHub('s', limits);
    const a = new FakeViewer();
    const b = new FakeViewer();
    hub.addViewer(a);
    hub.addViewer(b);
    const m = key(0);
    hub.publish(m);
    hub.flush();
    expect(a.got[0]).toBe(b.got[0]);
    expect(a.writes[0]).toBe(b.writes[0]);
    expect(a.got[0].flvTag()).toBe(b.got[0].flvTag());
    expect(a.got[0].rtmpChunks(4096, 1)).toBe(b.got[0].rtmpChunks(4096, 1));
  });

  test('a backed-up viewer skips to the next keyframe, then is cut off if it stays behind', () => {
    const hub = new StreamHub('s', { ...limits, maxBehindMs: 50 });
    const slow = new FakeViewer();
    const fast = new FakeViewer();
    hub.addViewer(slow);
    hub.addViewer(fast);
    feed(hub, [vcfg(), key(0), inter(33)]);
    slow.backlog = 2000; // above high water
    feed(hub, [inter(66), audio(70)]);
    slow.backlog = 0;
    feed(hub, [inter(100), key(133), inter(166)]);
    expect(slow.got.map((m) => m.timestamp)).toEqual([0, 0, 33, 133, 166]);
    expect(slow.droppedFrames).toBe(3); // 66, 70 while behind, 100 while waiting for a keyframe
    expect(fast.got.map((m) => m.timestamp)).toEqual([0, 0, 33, 66, 70, 100, 133, 166]);
    slow.backlog = 2000;
    feed(hub, [inter(200)]);
    expect(slow.closed).toBe(false);
    const until = Date.now() + 60;
    while (Date.now() < until) {
      /* stay behind past maxBehindMs */
    }
    feed(hub, [inter(233)]);
    expect(slow.closed).toBe(true);
    expect(hub.viewers.has(fast)).toBe(true);
  });

  test('a viewer above the cut-off backlog is disconnected at the next flush; the others play on', () => {
    const hub = new StreamHub('s', limits);
    const v = new FakeViewer();
    const other = new FakeViewer();
    hub.addViewer(v);
    hub.addViewer(other);
    v.backlog = 6000;
    feed(hub, [key(0)]);
    expect(v.closed).toBe(true);
    expect(v.got).toEqual([]);
    expect(other.got.map((m) => m.timestamp)).toEqual([0]);
  });

  test('a viewer joining during a batch gets what the batch published before it once (in the join cache), then the rest', () => {
    const hub = new StreamHub('s', limits);
    const early = new FakeViewer();
    hub.addViewer(early);
    hub.publish(vcfg());
    hub.publish(key(0));
    hub.publish(audio(10));
    const joiner = new FakeViewer();
    hub.addViewer(joiner);
    hub.publish(inter(33));
    hub.publish(audio(46));
    hub.flush();
    expect(joiner.got.map((m) => [m.timestamp, m.config])).toEqual([
      [0, true],
      [0, false],
      [10, false],
      [33, false],
      [46, false],
    ]);
    expect(joiner.writes).toHaveLength(2); // the join cache, then its part of the batch
    expect(early.got.map((m) => m.timestamp)).toEqual([0, 0, 10, 33, 46]);
    expect(early.writes).toHaveLength(1);
    // The next batch: both are in step and share one buffer.
    feed(hub, [inter(66), audio(70)]);
    expect(joiner.writes.at(-1)).toBe(early.writes.at(-1));
  });

  test('a paused viewer gets sequence headers only, and resumes at a keyframe', () => {
    class PausableViewer extends FakeViewer {
      pausedNow = false;
      override get paused(): boolean {
        return this.pausedNow;
      }
    }
    const hub = new StreamHub('s', limits);
    const v = new PausableViewer();
    hub.addViewer(v);
    feed(hub, [vcfg(), key(0), inter(33)]);
    v.pausedNow = true;
    feed(hub, [inter(66), vcfg(), audio(70)]);
    v.pausedNow = false;
    v.waitingForKeyframe = true; // what the RTMP server does on unpause
    feed(hub, [inter(100), key(133), audio(140)]);
    expect(v.got.map((m) => [m.timestamp, m.config])).toEqual([
      [0, true],
      [0, false],
      [33, false],
      [0, true],
      [133, false],
      [140, false],
    ]);
  });

  test('an audio-only stream starts viewers at once', () => {
    const hub = new StreamHub('s', limits);
    feed(hub, [acfg(), audio(0), audio(23)]);
    const v = new FakeViewer();
    hub.addViewer(v);
    hub.publish(audio(46));
    hub.flush();
    expect(v.got.map((m) => m.timestamp)).toEqual([0, 0, 23, 46]);
  });

  test('end writes what is still queued, then tells viewers, and clears the join cache', () => {
    const hub = new StreamHub('s', { ...limits, mergeMs: 1000 });
    const v = new FakeViewer();
    hub.addViewer(v);
    hub.publish(vcfg());
    hub.publish(key(0));
    expect(v.got).toEqual([]);
    hub.end();
    expect(v.got.map((m) => m.timestamp)).toEqual([0, 0]);
    expect(v.endedStream).toBe(true);
    expect(hub.cache.snapshot()).toEqual([]);
  });

  test('a flush is one write per viewer; in-step viewers share one buffer, others get their own', () => {
    const hub = new StreamHub('s', limits);
    const a = new FakeViewer();
    const b = new FakeViewer();
    const behind = new FakeViewer();
    hub.addViewer(a);
    hub.addViewer(b);
    hub.addViewer(behind);
    feed(hub, [meta(), vcfg(), acfg(), key(0)]);
    const before = { a: a.writes.length, behind: behind.writes.length };
    const merged = hub.mergedWrites;
    behind.backlog = 2000; // above the high-water mark: loses the non-key frames of this batch
    hub.publish(audio(10));
    const late = new FakeViewer();
    hub.addViewer(late); // joins during the batch: out of step for the rest of it
    const lateWrites = late.writes.length;
    hub.publish(inter(33));
    hub.publish(audio(46));
    hub.publish(inter(66));
    hub.flush();
    expect(a.writes.length - before.a).toBe(1);
    expect(a.writes.at(-1)).toBe(b.writes.at(-1));
    expect(a.got.slice(-4).map((m) => m.timestamp)).toEqual([10, 33, 46, 66]);
    expect(late.writes.length - lateWrites).toBe(1);
    expect(late.writes.at(-1)).not.toBe(a.writes.at(-1));
    expect(late.got.map((m) => m.timestamp)).toEqual([0, 0, 0, 0, 10, 33, 46, 66]);
    expect(behind.writes.length - before.behind).toBe(0);
    expect(behind.droppedFrames).toBe(4);
    expect(hub.mergedWrites - merged).toBe(3 + 3 + 2);
  });

  test('without an explicit flush, the batch goes out at the end of the turn (mergeMs 0) or after mergeMs', async () => {
    const now = new StreamHub('s', limits);
    const merged = new StreamHub('s', { ...limits, mergeMs: 30 });
    const a = new FakeViewer();
    const b = new FakeViewer();
    now.addViewer(a);
    merged.addViewer(b);
    for (const hub of [now, merged]) {
      hub.publish(acfg());
      hub.publish(audio(0));
      hub.publish(audio(23));
    }
    expect(a.writes).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(a.writes).toHaveLength(1);
    expect(a.got.map((m) => m.timestamp)).toEqual([0, 0, 23]);
    expect(b.writes).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(b.writes).toHaveLength(1);
    expect(b.got.map((m) => m.timestamp)).toEqual([0, 0, 23]);
  });
});

describe('StreamHub with a large audience', () => {
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  /** A hub holding batches from `mergeViewers` viewers, one viewer, and audio every 23 ms from the last message. */
  function oneViewerWithCadence(mergeViewers: number): { hub: StreamHub; v: FakeViewer } {
    const hub = new StreamHub('s', { ...limits, mergeViewers, mergeWithinMs: 5 });
    const v = new FakeViewer();
    hub.addViewer(v);
    feed(hub, [acfg(), vcfg(), key(0), audio(0), audio(23)]);
    return { hub, v };
  }

  test('a batch waits for the stream\'s next message when it is due within mergeWithinMs, then both go in one write', async () => {
    const hub = new StreamHub('s', { ...limits, mergeViewers: 2, mergeWithinMs: 5 });
    const a = new FakeViewer();
    const b = new FakeViewer();
    hub.addViewer(a);
    hub.addViewer(b);
    feed(hub, [acfg(), vcfg(), key(0), audio(0), audio(23)]); // audio every 23 ms from here
    const writes = a.writes.length;
    hub.publish(inter(43)); // the next audio is due at 46: held
    await settle();
    expect(a.writes).toHaveLength(writes);
    hub.publish(audio(46)); // nothing else due within 5 ms: goes at the end of this turn, with the video frame
    await settle();
    expect(a.writes).toHaveLength(writes + 1);
    expect(a.got.slice(-2).map((m) => m.timestamp)).toEqual([43, 46]);
    expect(b.writes.at(-1)).toBe(a.writes.at(-1));
  });

  test('a held batch goes at the deadline when the next message does not come', async () => {
    const { hub, v } = oneViewerWithCadence(1);
    const writes = v.writes.length;
    const sentAt = performance.now();
    hub.publish(inter(43)); // the next audio is due at 46 (in 3 ms), and never comes
    await settle();
    expect(v.writes).toHaveLength(writes);
    while (v.writes.length === writes) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(performance.now() - sentAt).toBeGreaterThanOrEqual(4);
    expect(v.got.at(-1)?.timestamp).toBe(43);
  });

  test('below mergeViewers nothing is held', async () => {
    const { hub, v } = oneViewerWithCadence(3);
    const writes = v.writes.length;
    hub.publish(inter(43));
    await settle();
    expect(v.writes).toHaveLength(writes + 1);
  });
});

describe('OutMessage encodings', () => {
  test('the FLV tag parses back to the same tag', () => {
    const m = new OutMessage(TYPE_VIDEO, 0x01020304, Buffer.from([0x17, 1, 0, 0, 0, 1, 2, 3]), true, false);
    const reader = new FlvFileReader();
    const tags = reader.push(Buffer.concat([encodeFlvHeader({ audio: false, video: true }), m.flvTag()]));
    expect(tags).toHaveLength(1);
    expect(tags[0].type).toBe(TYPE_VIDEO);
    expect(tags[0].timestamp).toBe(0x01020304);
    expect(Buffer.from(tags[0].body).equals(Buffer.from(m.payload))).toBe(true);
  });

  test('the RTMP chunks decode to the same message at any prior connection state', () => {
    const payload = Buffer.alloc(10000, 5);
    const m = new OutMessage(TYPE_VIDEO, 12345, payload, true, false);
    const got: Array<{ type: number; timestamp: number; streamId: number; length: number }> = [];
    const reader = new ChunkReader((msg) => got.push({ type: msg.type, timestamp: msg.timestamp, streamId: msg.streamId, length: msg.payload.length }));
    reader.chunkSize = 4096;
    reader.push(m.rtmpChunks(4096, 1));
    reader.push(new OutMessage(TYPE_VIDEO, 12378, payload, false, false).rtmpChunks(4096, 1));
    expect(got).toEqual([
      { type: 9, timestamp: 12345, streamId: 1, length: 10000 },
      { type: 9, timestamp: 12378, streamId: 1, length: 10000 },
    ]);
    expect(m.rtmpChunks(4096, 1)).toBe(m.rtmpChunks(4096, 1));
    expect(m.rtmpChunks(4096, 2)).not.toBe(m.rtmpChunks(4096, 1));
  });
});
