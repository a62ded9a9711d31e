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

/** A client with nats.js's protocol handler: records each command the batcher hands it. */
function fakeWireNats(state: { closed?: boolean; draining?: boolean; maxPayload?: number } = {}) {
  const commands: string[] = [];
  const published: string[] = [];
  const protocol = {
    outMsgs: 0,
    outBytes: 0,
    sendCommand(cmd: Uint8Array) {
      commands.push(Buffer.from(cmd).toString('latin1'));
    },
  };
  const nc = {
    protocol,
    info: { max_payload: state.maxPayload ?? 1024 * 1024 },
    isClosed: () => state.closed === true,
    isDraining: () => state.draining === true,
    publish(subject: string, data: Uint8Array) {
      published.push(`${subject} ${Buffer.from(data).toString()}`);
    },
  } as unknown as NatsConnection;
  return { nc, protocol, commands, published };
}

describe('PublishBatcher, framed', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('hands nats.js one command per batch: every PUB in order, and keeps its counters', () => {
    const { nc, protocol, commands, published } = fakeWireNats();
    const batcher = new PublishBatcher(nc, { flushMs: 5, early: false });
    expect(batcher.framed).toBe(true);
    batcher.publish('media.a', b('one'));
    batcher.publish('media.b', b('two!'));
    batcher.publish('media.a', b(''));
    expect(commands).toHaveLength(0);
    jest.advanceTimersByTime(5);
    expect(commands).toEqual(['PUB media.a 3\r\none\r\nPUB media.b 4\r\ntwo!\r\nPUB media.a 0\r\n\r\n']);
    expect(published).toEqual([]);
    expect(protocol).toMatchObject({ outMsgs: 3, outBytes: 7 });
    batcher.publish('media.a', b('next'));
    jest.advanceTimersByTime(5);
    expect(commands[1]).toBe('PUB media.a 4\r\nnext\r\n');
  });

  it('copies the payloads at the flush: a buffer rewritten afterwards does not change what was sent', () => {
    const { nc, commands } = fakeWireNats();
    const batcher = new PublishBatcher(nc, { flushMs: 5, early: false });
    const payload = b('abc');
    batcher.publish('media.a', payload);
    batcher.flush();
    payload.write('xyz');
    expect(commands).toEqual(['PUB media.a 3\r\nabc\r\n']);
  });

  it('refuses the batch on a closed or draining connection, reporting each message', () => {
    for (const state of [{ closed: true }, { draining: true }]) {
      const { nc, commands } = fakeWireNats(state);
      const batcher = new PublishBatcher(nc, { flushMs: 5, early: false });
      const failed: Array<{ subject: string; code: string }> = [];
      const onFailure = (err: unknown, subject: string): void => {
        failed.push({ subject, code: (err as { code: string }).code });
      };
      batcher.publish('media.a', b('1'), onFailure);
      batcher.publish('media.b', b('2'), onFailure);
      batcher.flush();
      expect(commands).toEqual([]);
      expect(failed).toEqual([
        { subject: 'media.a', code: 'RELAY_NATS_UNAVAILABLE' },
        { subject: 'media.b', code: 'RELAY_NATS_UNAVAILABLE' },
      ]);
    }
  });

  it("refuses only the message above the server's max_payload; the rest of the batch goes", () => {
    const { nc, commands } = fakeWireNats({ maxPayload: 4 });
    const batcher = new PublishBatcher(nc, { flushMs: 5, early: false });
    const failed: string[] = [];
    batcher.publish('media.a', b('ok'), (err) => failed.push((err as { code: string }).code));
    batcher.publish('media.a', b('too long'), (err) => failed.push((err as { code: string }).code));
    batcher.publish('media.a', b('fine'), (err) => failed.push((err as { code: string }).code));
    batcher.flush();
    expect(failed).toEqual(['RELAY_OVER_MAX_PAYLOAD']);
    expect(commands).toEqual(['PUB media.a 2\r\nok\r\nPUB media.a 4\r\nfine\r\n']);
  });

  it('framed: false publishes message by message', () => {
    const { nc, commands, published } = fakeWireNats();
    const batcher = new PublishBatcher(nc, { flushMs: 5, early: false, framed: false });
    expect(batcher.framed).toBe(false);
    batcher.publish('media.a', b('1'));
    batcher.publish('media.a', b('2'));
    batcher.flush();
    expect(commands).toEqual([]);
    expect(published).toEqual(['media.a 1', 'media.a 2']);
  });
});
