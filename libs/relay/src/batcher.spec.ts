import type { NatsConnection } from '@nats-io/transport-node';
import { FLUSH_BURST, PublishBatcher } from './batcher';

/** Records what reaches nats.js and when (jest's fake clock). The batcher's timing logic is what is under test. */
function fakeNats(): { nc: NatsConnection; published: Array<{ subject: string; at: number; data: string }> } {
  const published: Array<{ subject: string; at: number; data: string }> = [];
  const nc = {
    publish(subject: string, data: Uint8Array) {
      published.push({ subject, at: Date.now(), data: Buffer.from(data).toString() });
    },
  } as unknown as NatsConnection;
  return { nc, published };
}

const b = (text: string): Buffer => Buffer.from(text);

describe('PublishBatcher', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('without early flush holds every publish for the window', () => {
    const { nc, published } = fakeNats();
    const batcher = new PublishBatcher(nc, { flushMs: 5, early: false });
    batcher.publish('media.a', b('1'), undefined, Infinity);
    expect(published).toHaveLength(0);
    jest.advanceTimersByTime(4);
    expect(published).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(published.map((p) => p.data)).toEqual(['1']);
    expect(batcher.earlyFlushes).toBe(0);
  });

  it('flushes at once when the stream expects nothing within the window', () => {
    const { nc, published } = fakeNats();
    const batcher = new PublishBatcher(nc, { flushMs: 5 });
    batcher.publish('media.a', b('1'), undefined, 23);
    expect(published.map((p) => p.data)).toEqual(['1']);
    expect(batcher.earlyFlushes).toBe(1);
    expect(batcher.pending).toBe(0);
  });

  it('by default does not wait for a next frame due a few ms later, but does for one of the same instant', () => {
    const { nc, published } = fakeNats();
    const batcher = new PublishBatcher(nc, { flushMs: 5 });
    batcher.publish('media.a', b('video'), undefined, 3);
    expect(published.map((p) => p.data)).toEqual(['video']);
    batcher.publish('media.a', b('audio'), undefined, 0); // the video frame of the same instant is right behind
    expect(published).toHaveLength(1);
    batcher.publish('media.a', b('video2'), undefined, 20);
    expect(published.map((p) => p.data)).toEqual(['video', 'audio', 'video2']);
    expect(published[2].at).toBe(published[0].at);
  });

  it('with mergeWithinMs, holds a message whose partner is due within it, then sends both together when it comes', () => {
    const { nc, published } = fakeNats();
    const batcher = new PublishBatcher(nc, { flushMs: 5, mergeWithinMs: 5 });
    batcher.publish('media.a', b('video'), undefined, 3);
    jest.advanceTimersByTime(3);
    expect(published).toHaveLength(0);
    batcher.publish('media.a', b('audio'), undefined, 20);
    expect(published.map((p) => p.data)).toEqual(['video', 'audio']);
    expect(published[1].at - 1_000_000).toBe(3);
  });

  it('sends at the deadline when the partner does not come', () => {
    const { nc, published } = fakeNats();
    const batcher = new PublishBatcher(nc, { flushMs: 5, mergeWithinMs: 5 });
    batcher.publish('media.a', b('video'), undefined, 2);
    jest.advanceTimersByTime(4);
    expect(published).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(published.map((p) => p.data)).toEqual(['video']);
    expect(batcher.earlyFlushes).toBe(0);
  });

  it('waits for every stream in the batch: one waiting stream holds the others until it is served', () => {
    const { nc, published } = fakeNats();
    const batcher = new PublishBatcher(nc, { flushMs: 5, mergeWithinMs: 5 });
    batcher.publish('media.a', b('a1'), undefined, 2);
    batcher.publish('media.b', b('b1'), undefined, 30);
    expect(published).toHaveLength(0);
    jest.advanceTimersByTime(2);
    batcher.publish('media.a', b('a2'), undefined, 21);
    expect(published.map((p) => p.data)).toEqual(['a1', 'b1', 'a2']);
  });

  it('paces early flushes: a burst goes at once, then one per minGapMs, merging what comes meanwhile', () => {
    const { nc, published } = fakeNats();
    const batcher = new PublishBatcher(nc, { flushMs: 5, minGapMs: 2 });
    for (let i = 1; i <= FLUSH_BURST; i++) batcher.publish('media.a', b(`a${i}`), undefined, 30);
    expect(published).toHaveLength(FLUSH_BURST);
    batcher.publish('media.b', b('b1'), undefined, 30);
    jest.advanceTimersByTime(1);
    batcher.publish('media.c', b('c1'), undefined, 30);
    expect(published).toHaveLength(FLUSH_BURST);
    jest.advanceTimersByTime(1);
    expect(published.slice(FLUSH_BURST).map((p) => p.data)).toEqual(['b1', 'c1']);
    expect(published.at(-1)!.at - published[0].at).toBe(2);
    expect(batcher.earlyFlushes).toBe(FLUSH_BURST + 1);
    expect(batcher.flushes).toBe(FLUSH_BURST + 1);
  });

  it('by default paces early flushes at one per window on average (no more writes than the plain window)', () => {
    const { nc, published } = fakeNats();
    const batcher = new PublishBatcher(nc, { flushMs: 5 });
    // 20 streams, a message each every ms for 100 ms: ~1 flush per 5 ms, plus the first burst.
    for (let t = 0; t < 100; t++) {
      for (let s = 0; s < 20; s++) batcher.publish(`media.s${s}`, b(`${t}`), undefined, 30);
      jest.advanceTimersByTime(1);
    }
    jest.advanceTimersByTime(5);
    expect(published).toHaveLength(2000);
    expect(batcher.flushes).toBeGreaterThanOrEqual(20);
    expect(batcher.flushes).toBeLessThanOrEqual(100 / 5 + FLUSH_BURST + 1);
  });

  it('a stream that starts waiting cancels a planned early flush, up to the deadline', () => {
    const { nc, published } = fakeNats();
    const batcher = new PublishBatcher(nc, { flushMs: 5, minGapMs: 3, mergeWithinMs: 5 });
    for (let i = 1; i <= FLUSH_BURST; i++) batcher.publish('media.a', b(`a${i}`), undefined, 30); // flushed at once
    batcher.publish('media.b', b('b1'), undefined, 30); // the bucket is empty: early flush planned at +3
    batcher.publish('media.c', b('c1'), undefined, 4); // c waits: its partner is due at +4, before the deadline (+5)
    jest.advanceTimersByTime(3);
    expect(published).toHaveLength(FLUSH_BURST);
    jest.advanceTimersByTime(1);
    batcher.publish('media.c', b('c2'), undefined, 30);
    expect(published.slice(FLUSH_BURST).map((p) => p.data)).toEqual(['b1', 'c1', 'c2']);
  });

  it('fragments of one message (due 0) never go without the rest', () => {
    const { nc, published } = fakeNats();
    const batcher = new PublishBatcher(nc, { flushMs: 5, minGapMs: 0 });
    batcher.publish('media.a', b('f1'), undefined, 0);
    batcher.publish('media.a', b('f2'), undefined, 0);
    expect(published).toHaveLength(0);
    batcher.publish('media.a', b('f3'), undefined, 25);
    expect(published.map((p) => p.data)).toEqual(['f1', 'f2', 'f3']);
  });

  it('flushes when the queue passes its byte limit, whatever is waiting', () => {
    const { nc, published } = fakeNats();
    const batcher = new PublishBatcher(nc, { flushMs: 5, maxQueuedBytes: 8, mergeWithinMs: 5 });
    batcher.publish('media.a', b('12345'), undefined, 1);
    expect(published).toHaveLength(0);
    batcher.publish('media.a', b('6789'), undefined, 1);
    expect(published.map((p) => p.data)).toEqual(['12345', '6789']);
  });
});
