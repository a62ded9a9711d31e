/**
 * The relay over a real nats-server (no mocks): envelopes through NATS, fragmentation at the server's max_payload,
 * joining mid-stream with a GOP request, gap detection and resync, epoch changes, end-of-stream, NATS restarts.
 */
import { cleanupTempDirs, freePort, killAllManaged, startNats, type NatsServer } from '@ingest/testing';
import { parseVideoTag } from '@ingest/flv';
import { createLogger } from '@ingest/telemetry';
import { closeNats, connectNats, type NatsConnection } from '../src/connection';
import {
  ENVELOPE_HEADER_SIZE,
  EnvelopeFlags,
  EnvelopeKind,
  encodeEnvelope,
  isKeyframe,
  type EnvelopeKind as Kind,
} from '../src/envelope';
import { PublishBatcher } from '../src/batcher';
import { RelayPublisher } from '../src/publisher';
import { RelaySubscriber, type RelayedMessage, type RelaySubscriberOptions } from '../src/subscriber';
import {
  aacRaw,
  aacSequenceHeader,
  avFrame,
  avcInterframe,
  avcKeyframe,
  avcSequenceHeader,
  onMetaData,
  sleep,
  streamStart,
  video,
  waitFor,
} from './fixtures';

jest.setTimeout(60_000);

type Event =
  | { type: 'message'; message: RelayedMessage }
  | { type: 'gap'; expected: number; got: number }
  | { type: 'end' }
  | { type: 'restart'; epoch: number };

interface Collector {
  sub: RelaySubscriber;
  events: Event[];
  messages(): RelayedMessage[];
  gaps(): Array<{ expected: number; got: number }>;
}

function collect(nc: NatsConnection, stream: string, options: Partial<RelaySubscriberOptions> = {}): Collector {
  const events: Event[] = [];
  const sub = new RelaySubscriber(nc, {
    stream,
    ...options,
    onMessage: (message) => events.push({ type: 'message', message }),
    onGap: (expected, got) => events.push({ type: 'gap', expected, got }),
    onEnd: () => events.push({ type: 'end' }),
    onRestart: (epoch) => events.push({ type: 'restart', epoch }),
  });
  return {
    sub,
    events,
    messages: () => events.flatMap((e) => (e.type === 'message' ? [e.message] : [])),
    gaps: () => events.flatMap((e) => (e.type === 'gap' ? [{ expected: e.expected, got: e.got }] : [])),
  };
}

/** Frame id written by the fixtures into video (offset 5) and AAC raw (offset 2) payloads; -1 for headers/data. */
function frameId(m: RelayedMessage): number {
  if (m.type === 18 || (m.header.flags & EnvelopeFlags.SEQUENCE_HEADER) !== 0) return -1;
  return Buffer.from(m.payload).readUInt32BE(m.type === 9 ? 5 : 2);
}

const connections: NatsConnection[] = [];
async function connectTo(server: NatsServer, name: string): Promise<NatsConnection> {
  const nc = await connectNats(server.url, { name });
  connections.push(nc);
  return nc;
}

afterAll(async () => {
  await Promise.all(connections.map((nc) => closeNats(nc, 500).catch(() => undefined)));
  await killAllManaged('SIGKILL');
  await cleanupTempDirs();
});

describe('relay over NATS', () => {
  let server: NatsServer;
  let pubNc: NatsConnection;
  let subNc: NatsConnection;

  beforeAll(async () => {
    server = await startNats();
    pubNc = await connectTo(server, 'edge');
    subNc = await connectTo(server, 'origin');
  });

  afterAll(() => server?.stop());

  it('a subscriber that starts mid-stream gets metadata, headers, a key frame, then the live flow without duplicates or holes', async () => {
    const pub = new RelayPublisher(pubNc, { stream: 'join', epoch: 11 });
    for (const m of streamStart()) pub.publish(m);
    let i = 0;
    for (; i < 60; i++) for (const m of avFrame(i, 25)) pub.publish(m);
    await pubNc.flush();

    // Keep publishing while the subscriber joins, so live messages overlap the snapshot.
    const timer = setInterval(() => {
      for (const m of avFrame(i, 25)) pub.publish(m);
      i++;
    }, 3);
    const c = collect(subNc, 'join');
    try {
      const result = await c.sub.start();
      expect(result.answered).toBe(true);
      expect(result.synced).toBe(true);
      expect(result.gopMessages).toBeGreaterThan(3);
      const target = i + 40;
      await waitFor(() => c.messages().some((m) => m.type === 9 && frameId(m) >= target), 10_000, 'live frames');
    } finally {
      clearInterval(timer);
      c.sub.close();
    }

    const msgs = c.messages();
    expect(c.gaps()).toEqual([]);
    expect(msgs[0]).toMatchObject({ type: 18, fromGop: true });
    expect(msgs[0].header.flags & EnvelopeFlags.SEQUENCE_HEADER).toBeTruthy();
    expect(msgs[1]).toMatchObject({ type: 9, fromGop: true });
    expect(msgs[1].header.flags & EnvelopeFlags.SEQUENCE_HEADER).toBeTruthy();
    expect(msgs[2]).toMatchObject({ type: 8, fromGop: true });
    expect(msgs[2].header.flags & EnvelopeFlags.SEQUENCE_HEADER).toBeTruthy();
    expect(isKeyframe(msgs[3].header)).toBe(true);
    expect(msgs[3].fromGop).toBe(true);
    expect(frameId(msgs[3]) % 25).toBe(0);

    // From the key frame on: every sequence number exactly once, in order, across the GOP/live splice.
    const rest = msgs.slice(3);
    for (let k = 1; k < rest.length; k++) expect(rest[k].header.sequence).toBe(rest[k - 1].header.sequence + 1);
    expect(rest.some((m) => m.fromGop)).toBe(true);
    expect(rest.some((m) => !m.fromGop)).toBe(true);
    const firstLive = rest.findIndex((m) => !m.fromGop);
    expect(rest.slice(firstLive).every((m) => !m.fromGop)).toBe(true);

    // Flags and composition offsets were derived from the FLV tag headers; bodies arrive unchanged.
    for (const m of rest) {
      expect(m.envelope).toBeDefined();
      expect(Buffer.from(m.envelope!.subarray(ENVELOPE_HEADER_SIZE)).equals(Buffer.from(m.payload))).toBe(true);
      if (m.type !== 9) {
        expect(m.header.compositionOffset).toBe(0);
        continue;
      }
      const tag = parseVideoTag(m.payload);
      expect(isKeyframe(m.header)).toBe(tag.isKeyframe);
      expect(m.header.compositionOffset).toBe(tag.tracks[0].compositionTimeOffset);
    }
    expect(rest.some((m) => m.header.compositionOffset < 0)).toBe(true);
    pub.end();
  });

  it('splices the snapshot and the buffered live flow: live messages the snapshot covers are dropped', async () => {
    const stream = 'splice';
    const V = EnvelopeKind.VIDEO;
    const A = EnvelopeKind.AUDIO;
    const KEY = EnvelopeFlags.KEYFRAME;
    const HDR = EnvelopeFlags.SEQUENCE_HEADER;
    const send = (subject: string, sequence: number, kind: Kind, flags: number, payload: Buffer): void =>
      pubNc.publish(subject, encodeEnvelope({ kind, flags, timestamp: sequence * 10, compositionOffset: 0, sequence, epoch: 21 }, payload));
    const media = `media.${stream}`;
    // A hand-made edge: messages 5 and 6 go live after the origin subscribed but before the snapshot is taken.
    const edge = pubNc.subscribe(`gop.${stream}`, {
      callback: (_err, msg) => {
        const reply = msg.reply ?? '';
        send(media, 5, V, KEY, avcKeyframe(5));
        send(media, 6, A, 0, aacRaw(6));
        send(reply, 1, EnvelopeKind.DATA, HDR, onMetaData());
        send(reply, 2, V, KEY | HDR, avcSequenceHeader());
        send(reply, 5, V, KEY, avcKeyframe(5));
        send(reply, 6, A, 0, aacRaw(6));
        send(reply, 6, EnvelopeKind.GOP_END, KEY, Buffer.alloc(0));
        send(media, 7, V, 0, avcInterframe(7));
      },
    });
    await pubNc.flush();
    const c = collect(subNc, stream);
    expect(await c.sub.start()).toEqual({ answered: true, gopMessages: 4, synced: true });
    await waitFor(() => c.messages().length === 5, 5000, '5 messages');
    await sleep(50);
    expect(c.messages().map((m) => [m.header.sequence, m.fromGop])).toEqual([
      [1, true],
      [2, true],
      [5, true],
      [6, true],
      [7, false],
    ]);
    expect(c.sub.stats).toMatchObject({ duplicates: 2, gaps: 0 });
    edge.unsubscribe();
    c.sub.close();
  });

  it('batched publishes from reused arena slabs arrive intact, in order, in fewer NATS writes; a joiner splices cleanly', async () => {
    const batcher = new PublishBatcher(pubNc, { flushMs: 20 });
    // Small slabs so that they are recycled many times during the test.
    const pub = new RelayPublisher(pubNc, { stream: 'arena', epoch: 41, batcher, arenaSlabBytes: 2048 });
    expect(batcher.framed).toBe(true); // the installed nats.js has the protocol handler framed batches use
    const outMsgsBefore = pubNc.stats().outMsgs;
    await pubNc.flush();
    const live = collect(subNc, 'arena');
    await live.sub.start();
    const sent: Buffer[] = [];
    const publish = (messages: ReturnType<typeof avFrame>): void => {
      for (const m of messages) {
        sent.push(Buffer.from(m.payload));
        pub.publish(m);
      }
    };
    publish(streamStart());
    let i = 0;
    for (; i < 150; i++) {
      publish(avFrame(i, 10));
      if (i % 5 === 4) await sleep(2);
    }
    const joiner = collect(subNc, 'arena');
    const joined = await joiner.sub.start(); // answered after the batcher flushed what it held
    for (; i < 200; i++) publish(avFrame(i, 10));
    await waitFor(() => live.messages().length === sent.length, 5000, 'every message').catch((err: Error) => {
      throw new Error(`${err.message}: ${live.messages().length} of ${sent.length}, events ${JSON.stringify(live.events.filter((e) => e.type !== 'message'))}, stats ${JSON.stringify(live.sub.stats)}`);
    });
    const got = live.messages();
    expect(live.gaps()).toEqual([]);
    expect(got.map((m) => Buffer.from(m.payload))).toEqual(sent);
    expect(pub.stats.messages).toBe(sent.length);
    expect(batcher.flushes).toBeLessThan(sent.length / 4);
    expect(pub.arenaStats?.reuses).toBeGreaterThan(10);
    // The client's own counters include the framed publishes (and the GOP request and reply traffic).
    expect(pubNc.stats().outMsgs - outMsgsBefore).toBeGreaterThanOrEqual(sent.length);
    expect(joined).toMatchObject({ answered: true, synced: true });
    await waitFor(() => joiner.messages().some((m) => m.type === 9 && frameId(m) === 199), 5000, 'joiner at the last frame');
    const rest = joiner.messages().slice(3);
    expect(isKeyframe(rest[0].header)).toBe(true);
    for (let k = 1; k < rest.length; k++) expect(rest[k].header.sequence).toBe(rest[k - 1].header.sequence + 1);
    // What the joiner got (GOP from the cache, then live) is byte for byte what was published with those sequences.
    for (const m of rest) expect(Buffer.from(m.payload)).toEqual(sent[m.header.sequence - 1]);
    pub.end();
    batcher.close();
    await waitFor(() => live.events.some((e) => e.type === 'end'), 5000, 'end of stream');
    live.sub.close();
    joiner.sub.close();
  });

  it('early flush: a message its stream will not follow within the window arrives at once; one that expects a partner waits for it', async () => {
    // No pacing of flushes here (by default one per window): each message is its own test case. A message waits
    // for its stream's next one when that is due within the window (by default only for a frame of the same instant).
    const batcher = new PublishBatcher(pubNc, { flushMs: 400, minGapMs: 0, mergeWithinMs: 400 });
    const pub = new RelayPublisher(pubNc, { stream: 'early', epoch: 7, batcher });
    await pubNc.flush();
    const live = collect(subNc, 'early');
    await live.sub.start();
    const arrivals: number[] = [];
    const arrived = (n: number): Promise<void> =>
      waitFor(() => live.messages().length >= n, 5000, `message ${n}`).then(() => {
        arrivals.push(Date.now());
      });
    // Audio every 1000 ms of media time: after the second message the stream's cadence says nothing comes within
    // the 400 ms window, so neither waits (the first has no cadence yet: nothing to wait for either).
    let sentAt = Date.now();
    pub.publish({ type: 8, timestamp: 0, payload: aacRaw(1) });
    await arrived(1);
    sentAt = Date.now();
    pub.publish({ type: 8, timestamp: 1000, payload: aacRaw(2) });
    await arrived(2);
    expect(arrivals[1] - sentAt).toBeLessThan(200);
    // Video 100 ms after the audio: the audio track is due 900 ms later, the video track has no cadence: at once.
    sentAt = Date.now();
    pub.publish({ type: 9, timestamp: 1100, payload: avcKeyframe(3, 50, 0) });
    await arrived(3);
    expect(arrivals[2] - sentAt).toBeLessThan(200);
    // Video again 100 ms later: the video cadence (100 ms) says the next video is due within the window, so this
    // one waits for it ...
    sentAt = Date.now();
    pub.publish({ type: 9, timestamp: 1200, payload: avcInterframe(4, 50, 0) });
    await sleep(100);
    expect(live.messages()).toHaveLength(3);
    // ... and goes with it, together, as soon as it comes (its successor is due in 100 ms again: it waits too, and
    // nothing comes, so both go at the 400 ms deadline).
    pub.publish({ type: 9, timestamp: 1300, payload: avcInterframe(5, 50, 0) });
    await arrived(5);
    expect(arrivals[3] - sentAt).toBeGreaterThanOrEqual(350);
    expect(live.messages().map((m) => m.header.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(live.gaps()).toEqual([]);
    expect(batcher.earlyFlushes).toBe(3);
    pub.end();
    batcher.close();
    live.sub.close();
  });

  it('relays across the sequence-number wrap without a gap', async () => {
    const pub = new RelayPublisher(pubNc, { stream: 'wrap', epoch: 3, initialSequence: 0xfffffffd });
    await pubNc.flush();
    const c = collect(subNc, 'wrap');
    await c.sub.start();
    for (const m of streamStart()) pub.publish(m);
    for (let i = 0; i < 4; i++) for (const m of avFrame(i, 25)) pub.publish(m);
    await waitFor(() => c.messages().length === 11, 5000, '11 messages');
    expect(c.messages().map((m) => m.header.sequence)).toEqual([0xfffffffd, 0xfffffffe, 0xffffffff, 0, 1, 2, 3, 4, 5, 6, 7]);
    expect(c.gaps()).toEqual([]);
    c.sub.close();
    pub.end();
  });

  it('detects a gap and resynchronises at the next key frame', async () => {
    const stream = 'gap';
    const c = collect(subNc, stream);
    const result = await c.sub.start(); // no edge: "no responders", live flow in resync
    expect(result.answered).toBe(false);
    const send = (sequence: number, kind: Kind, flags: number, payload: Buffer): void =>
      pubNc.publish(`media.${stream}`, encodeEnvelope({ kind, flags, timestamp: sequence * 10, compositionOffset: 0, sequence, epoch: 5 }, payload));
    const V = EnvelopeKind.VIDEO;
    const A = EnvelopeKind.AUDIO;
    const KEY = EnvelopeFlags.KEYFRAME;
    const HDR = EnvelopeFlags.SEQUENCE_HEADER;
    send(1, EnvelopeKind.DATA, HDR, onMetaData());
    send(2, V, KEY | HDR, avcSequenceHeader());
    send(3, A, HDR, aacSequenceHeader());
    send(4, V, KEY, avcKeyframe(4));
    send(5, A, 0, aacRaw(5));
    send(6, V, 0, avcInterframe(6));
    // 7 is lost
    send(8, V, 0, avcInterframe(8)); // gap: skipped
    send(9, A, 0, aacRaw(9)); // skipped (video stream: wait for the key frame)
    send(10, V, KEY | HDR, avcSequenceHeader()); // headers pass during resync
    send(11, V, 0, avcInterframe(11)); // skipped
    send(12, V, KEY, avcKeyframe(12)); // resync
    send(13, A, 0, aacRaw(13));
    send(12, V, KEY, avcKeyframe(12)); // duplicate: dropped, no gap
    send(14, V, 0, avcInterframe(14));
    await waitFor(() => c.messages().some((m) => m.header.sequence === 14), 5000, 'sequence 14');
    expect(c.messages().map((m) => m.header.sequence)).toEqual([1, 2, 3, 4, 5, 6, 10, 12, 13, 14]);
    expect(c.gaps()).toEqual([{ expected: 7, got: 8 }]);
    expect(c.events.findIndex((e) => e.type === 'gap')).toBe(6);
    expect(c.sub.stats).toMatchObject({ gaps: 1, skipped: 3, duplicates: 1 });
    c.sub.close();
  });

  it('an audio-only stream resynchronises at the next audio message', async () => {
    const stream = 'gap-audio';
    const c = collect(subNc, stream);
    await c.sub.start();
    const send = (sequence: number, flags: number, payload: Buffer): void =>
      pubNc.publish(
        `media.${stream}`,
        encodeEnvelope({ kind: EnvelopeKind.AUDIO, flags, timestamp: sequence * 23, compositionOffset: 0, sequence, epoch: 9 }, payload),
      );
    send(1, EnvelopeFlags.SEQUENCE_HEADER, aacSequenceHeader());
    send(2, 0, aacRaw(2));
    send(3, 0, aacRaw(3));
    send(5, 0, aacRaw(5));
    send(6, 0, aacRaw(6));
    await waitFor(() => c.messages().length === 5, 5000, '5 messages');
    expect(c.messages().map((m) => m.header.sequence)).toEqual([1, 2, 3, 5, 6]);
    expect(c.gaps()).toEqual([{ expected: 4, got: 5 }]);
    c.sub.close();
  });

  it('an epoch change is a restart: onRestart, then the new session from its key frame', async () => {
    const stream = 'epoch';
    const first = new RelayPublisher(pubNc, { stream, epoch: 100 });
    for (const m of streamStart()) first.publish(m);
    for (let i = 0; i < 10; i++) for (const m of avFrame(i, 5)) first.publish(m);
    await pubNc.flush();
    const c = collect(subNc, stream);
    await c.sub.start();
    for (let i = 10; i < 13; i++) for (const m of avFrame(i, 5)) first.publish(m);
    await waitFor(() => c.messages().some((m) => m.type === 9 && frameId(m) === 12), 5000, 'frame 12');

    // The publisher comes back on another edge (another connection, new epoch); the old one just vanished.
    const otherEdge = await connectTo(server, 'edge-2');
    const second = new RelayPublisher(otherEdge, { stream, epoch: 101 });
    for (const m of streamStart()) second.publish(m);
    for (let i = 0; i < 6; i++) for (const m of avFrame(i, 5)) second.publish(m);
    const afterRestart = (): RelayedMessage[] => {
      const at = c.events.findIndex((e) => e.type === 'restart');
      return at < 0 ? [] : c.events.slice(at + 1).flatMap((e) => (e.type === 'message' ? [e.message] : []));
    };
    await waitFor(() => afterRestart().length === 15, 5000, 'second session');

    const restartAt = c.events.findIndex((e) => e.type === 'restart');
    expect(c.events[restartAt]).toEqual({ type: 'restart', epoch: 101 });
    expect(c.gaps()).toEqual([]);
    const after = afterRestart();
    expect(after.map((m) => m.header.epoch)).toEqual(new Array(15).fill(101));
    expect(after.map((m) => m.header.sequence)).toEqual(Array.from({ length: 15 }, (_, k) => k + 1));
    expect(isKeyframe(after[3].header)).toBe(true);
    expect(c.sub.epoch).toBe(101);
    c.sub.close();
    first.end();
    second.end();
  });

  it('end-of-stream calls onEnd, and the publisher stops answering GOP requests', async () => {
    const stream = 'eos';
    const pub = new RelayPublisher(pubNc, { stream, epoch: 1 });
    for (const m of streamStart()) pub.publish(m);
    for (let i = 0; i < 3; i++) for (const m of avFrame(i, 25)) pub.publish(m);
    await pubNc.flush();
    const c = collect(subNc, stream);
    const joined = await c.sub.start();
    expect(joined).toEqual({ answered: true, gopMessages: 9, synced: true });
    pub.end();
    pub.end();
    expect(pub.publish(video(500, avcKeyframe(99)))).toBe(-1);
    await waitFor(() => c.events.some((e) => e.type === 'end'), 5000, 'onEnd');
    expect(c.events.filter((e) => e.type === 'end')).toHaveLength(1);
    expect(c.gaps()).toEqual([]);
    c.sub.close();

    await pubNc.flush();
    const late = collect(subNc, stream, { gopTimeoutMs: 3000 });
    const t0 = Date.now();
    const result = await late.sub.start();
    expect(result.answered).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2000); // "no responders", not the timeout
    late.sub.close();
  });

  it('without an answer the join times out and the live flow starts at the next key frame', async () => {
    const stream = 'silent-edge';
    // Something listens on the GOP subject but never answers.
    const mute = pubNc.subscribe(`gop.${stream}`, { callback: () => undefined });
    await pubNc.flush();
    const c = collect(subNc, stream, { gopTimeoutMs: 300 });
    const t0 = Date.now();
    const result = await c.sub.start();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(result).toEqual({ answered: false, gopMessages: 0, synced: false });
    mute.unsubscribe();

    const pub = new RelayPublisher(pubNc, { stream, epoch: 4, initialSequence: 50 });
    for (let i = 1; i < 4; i++) for (const m of avFrame(i, 25)) pub.publish(m); // inter frames (and audio): skipped
    for (let i = 25; i < 27; i++) for (const m of avFrame(i, 25)) pub.publish(m);
    await waitFor(() => c.messages().length === 4, 5000, '4 messages');
    const msgs = c.messages();
    expect(isKeyframe(msgs[0].header)).toBe(true);
    expect(msgs.map((m) => m.header.sequence)).toEqual([56, 57, 58, 59]);
    expect(c.gaps()).toEqual([]);
    c.sub.close();
    pub.end();
  });

  it('publish() never throws: a closed connection is counted and logged', async () => {
    const nc = await connectTo(server, 'doomed');
    const pub = new RelayPublisher(nc, { stream: 'closed', epoch: 1 });
    await nc.close();
    expect(() => {
      for (const m of streamStart()) pub.publish(m);
      pub.publish(video(0, avcKeyframe(0)));
      pub.end();
    }).not.toThrow();
    expect(pub.stats.errors).toBe(5);
  });

  it('connectNats waits for the first server', async () => {
    const port = await freePort();
    const connecting = connectNats(`nats://127.0.0.1:${port}`, { name: 'early' });
    await sleep(400);
    const late = await startNats({ port });
    try {
      const nc = await connecting;
      expect(nc.isClosed()).toBe(false);
      await nc.flush();
      await closeNats(nc);
      expect(nc.isClosed()).toBe(true);
    } finally {
      await late.stop();
    }
  });
});

describe('fragmentation at the server max_payload', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNats({ maxPayload: 64 * 1024 });
  });
  afterAll(() => server?.stop());

  it.each([
    ['published one by one', false],
    ['through a framed batcher and its arena', true],
  ])('splits a 200 KiB video payload and the subscriber reassembles the same bytes, live and from the GOP (%s)', async (_, batched) => {
    const pubNc = await connectTo(server, 'edge');
    const subNc = await connectTo(server, 'origin');
    expect(pubNc.info?.max_payload).toBe(64 * 1024);
    const batcher = batched ? new PublishBatcher(pubNc, { flushMs: 5 }) : undefined;
    expect(batcher?.framed ?? true).toBe(true);
    const stream = batched ? 'big-batched' : 'big';
    const pub = new RelayPublisher(pubNc, { stream, epoch: 1, batcher });
    await pubNc.flush(); // the edge's GOP subscription is registered before the origin asks
    const live = collect(subNc, stream);
    expect(await live.sub.start()).toEqual({ answered: true, gopMessages: 0, synced: true });

    const big = avcKeyframe(7, 200 * 1024, 40);
    for (const m of streamStart()) pub.publish(m);
    pub.publish(video(0, big));
    pub.publish(video(40, avcInterframe(8)));
    expect(pub.stats.fragmented).toBe(1);
    expect(pub.stats.envelopes).toBe(3 + 4 + 1);
    await waitFor(() => live.messages().length === 5, 5000, '5 live messages');
    const got = live.messages()[3];
    expect(Buffer.from(got.payload).equals(big)).toBe(true);
    expect(got.header).toMatchObject({ sequence: 4, payloadLength: big.length, fragmentCount: 4, compositionOffset: 40 });
    expect(isKeyframe(got.header)).toBe(true);
    expect(got.envelope).toBeUndefined();
    expect(live.messages()[4].header.sequence).toBe(5);

    const joiner = collect(subNc, stream);
    expect(await joiner.sub.start()).toEqual({ answered: true, gopMessages: 5, synced: true });
    expect(Buffer.from(joiner.messages()[3].payload).equals(big)).toBe(true);
    live.sub.close();
    joiner.sub.close();
    pub.end();
    batcher?.close();
  });
});

describe('NATS restart', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNats();
  });
  afterAll(() => server?.stop());

  it('publisher and subscriber recover on the same connections after kill -9 and a restart', async () => {
    const lines: Array<{ msg: string; component: string }> = [];
    const logger = createLogger('relay-test', { level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
    const pubNc = await connectNats(server.url, { name: 'edge', logger });
    const subNc = await connectNats(server.url, { name: 'origin', logger: logger.child({ role: 'origin' }) });
    connections.push(pubNc, subNc);
    const pub = new RelayPublisher(pubNc, { stream: 'crash', epoch: 77, logger });
    await pubNc.flush();
    const c = collect(subNc, 'crash');
    for (const m of streamStart()) pub.publish(m);
    let i = 0;
    const GOP = 10; // a key frame every 10 frames (100 ms at this rate)
    const timer = setInterval(() => {
      for (const m of avFrame(i, GOP)) pub.publish(m); // must never throw, connected or not
      i++;
    }, 10);
    try {
      await c.sub.start();
      await waitFor(() => c.messages().length > 30, 5000, 'messages before the crash');

      await server.kill('SIGKILL');
      const deliveredAtCrash = c.messages().length;
      await sleep(500);
      await server.restart();
      const restartedAt = Date.now();
      await waitFor(() => c.messages().length > deliveredAtCrash + 20, 5000, 'messages after the restart');
      const recoveryMs = Date.now() - restartedAt;
      expect(recoveryMs).toBeLessThan(5000);
    } finally {
      clearInterval(timer);
    }
    expect(pubNc.isClosed()).toBe(false);
    expect(subNc.isClosed()).toBe(false);
    expect(pub.stats.errors).toBe(0);
    expect(pub.stats.publishedWhileDisconnected).toBeGreaterThan(0);
    // Each connection logs each transition once, however many reconnect attempts it took.
    const count = (msg: string): number => lines.filter((l) => l.msg === msg).length;
    expect(count('nats disconnected')).toBe(2);
    expect(count('nats reconnecting')).toBe(2);
    expect(count('nats reconnected')).toBe(2);
    expect(count('relay: NATS reconnected; messages published while disconnected are likely lost')).toBe(1);

    // Messages were lost while the server was down: one gap, then delivery resumed at a key frame.
    const gapAt = c.events.findIndex((e) => e.type === 'gap');
    expect(gapAt).toBeGreaterThan(0);
    const afterGap = c.events.slice(gapAt + 1).flatMap((e) => (e.type === 'message' ? [e.message] : []));
    const firstMedia = afterGap.find((m) => (m.header.flags & EnvelopeFlags.SEQUENCE_HEADER) === 0 && m.type !== 18);
    expect(firstMedia && isKeyframe(firstMedia.header)).toBe(true);
    // After the resync the flow is contiguous again.
    const fromKey = afterGap.slice(afterGap.indexOf(firstMedia!));
    for (let k = 1; k < fromKey.length; k++) expect(fromKey[k].header.sequence).toBe(fromKey[k - 1].header.sequence + 1);
    c.sub.close();
    pub.end();
  });
});
