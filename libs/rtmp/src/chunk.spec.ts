import fc from 'fast-check';
import { ChunkReader, type ChunkReaderLimits, type RtmpMessage } from './chunk-reader';
import { ChunkWriter, encodeChunks } from './chunk-writer';
import { MessageType } from './constants';
import { genSetChunkSize } from './control';
import { RtmpError } from './errors';

interface Msg {
  csid: number;
  type: number;
  streamId: number;
  timestamp: number;
  payload: Buffer;
}

function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** Encodes messages with a writer, honouring Set Chunk Size messages in the sequence. */
function encodeAll(messages: Msg[], chunkSize = 128): Buffer {
  const writer = new ChunkWriter();
  writer.chunkSize = chunkSize;
  const parts: Buffer[] = [];
  for (const m of messages) {
    parts.push(writer.encode(m.csid, m.type, m.streamId, m.timestamp, m.payload));
    if (m.type === MessageType.SetChunkSize) writer.chunkSize = m.payload.readUInt32BE(0);
  }
  return Buffer.concat(parts);
}

function decodeAll(data: Buffer, splits: number[] = [], limits?: Partial<ChunkReaderLimits>): RtmpMessage[] {
  const out: RtmpMessage[] = [];
  const reader = new ChunkReader((m) => out.push({ ...m, payload: Buffer.from(m.payload) }), limits);
  let last = 0;
  for (const s of [...splits, data.length]) {
    reader.push(data.subarray(last, s));
    last = s;
  }
  return out;
}

/** Comparable form (jest compares Buffers byte by byte, slowly; hex strings compare at once). */
function strip(m: RtmpMessage | Msg): Omit<Msg, 'payload'> & { payload: string } {
  return { csid: m.csid, type: m.type, streamId: m.streamId, timestamp: m.timestamp, payload: m.payload.toString('hex') };
}

const video = (csid: number, timestamp: number, size: number, streamId = 1): Msg => ({
  csid,
  type: MessageType.Video,
  streamId,
  timestamp,
  payload: bytes(size, timestamp),
});

// One table of cases, each run through encode then decode (and fed whole, byte by byte and split everywhere).
const cases: Array<{ name: string; chunkSize?: number; messages: Msg[] }> = [
  { name: 'csid 2 (protocol control)', messages: [{ csid: 2, type: MessageType.WindowAckSize, streamId: 0, timestamp: 0, payload: bytes(4) }] },
  { name: 'csid 63 (largest 1-byte basic header)', messages: [video(63, 0, 10), video(63, 40, 10)] },
  { name: 'csid 64 (smallest 2-byte basic header)', messages: [video(64, 0, 300), video(64, 33, 300)] },
  { name: 'csid 319 (largest 2-byte basic header)', messages: [video(319, 0, 129), video(319, 33, 50)] },
  { name: 'csid 320 (smallest 3-byte basic header)', messages: [video(320, 0, 129), video(320, 33, 129)] },
  { name: 'csid 65599 (largest id)', messages: [video(65599, 0, 1000), video(65599, 66, 1000)] },
  { name: 'empty payload', messages: [video(6, 0, 0), video(6, 10, 0)] },
  { name: 'type 1/2/3 headers: same size, changing deltas', messages: [video(6, 0, 200), video(6, 33, 200), video(6, 66, 200), video(6, 100, 300), video(6, 133, 300)] },
  { name: 'timestamp at 0xFFFFFE', messages: [video(6, 0xfffffe, 300), video(6, 0xfffffe + 1, 300)] },
  { name: 'timestamp at 0xFFFFFF (extended)', messages: [video(6, 0xffffff, 300), video(6, 0xffffff + 40, 300)] },
  { name: 'timestamps across 0xFFFFFF', messages: [video(6, 0xffffff - 40, 200), video(6, 0xffffff - 7, 200), video(6, 0xffffff + 26, 200), video(6, 0xffffff + 59, 200)] },
  { name: 'delta of 0xFFFFFF and more (extended delta)', messages: [video(6, 0, 130), video(6, 0x1000000, 130), video(6, 0x2000000, 130)] },
  { name: 'timestamp wrapping at 2^32', messages: [video(6, 0xffffffff - 10, 130), video(6, 0xffffffff, 130)] },
  { name: 'timestamp going backwards (new type 0 header)', messages: [video(6, 1000, 50), video(6, 500, 50)] },
  {
    name: 'interleaved chunk streams and message streams',
    messages: [video(6, 0, 500, 1), { csid: 4, type: MessageType.Audio, streamId: 1, timestamp: 0, payload: bytes(20) }, video(6, 33, 500, 2), video(7, 33, 10, 1)],
  },
  {
    name: 'chunk size changed mid-stream (128 -> 4096 -> 200)',
    messages: [
      video(6, 0, 1000),
      { csid: 2, type: MessageType.SetChunkSize, streamId: 0, timestamp: 0, payload: genSetChunkSize(4096) },
      video(6, 33, 10000),
      { csid: 2, type: MessageType.SetChunkSize, streamId: 0, timestamp: 0, payload: genSetChunkSize(200) },
      video(6, 66, 1000),
    ],
  },
  { name: 'large chunk size, one chunk per message', chunkSize: 65536, messages: [video(6, 0, 60000), video(6, 33, 60001)] },
];

describe('chunk stream: one table through encode and decode', () => {
  for (const c of cases) {
    const data = encodeAll(c.messages, c.chunkSize);
    const withChunkSize = c.chunkSize
      ? Buffer.concat([encodeAll([{ csid: 2, type: MessageType.SetChunkSize, streamId: 0, timestamp: 0, payload: genSetChunkSize(c.chunkSize) }]), data])
      : data;
    const expected = c.chunkSize
      ? [{ csid: 2, type: MessageType.SetChunkSize, streamId: 0, timestamp: 0, payload: genSetChunkSize(c.chunkSize) }, ...c.messages]
      : c.messages;
    const expectedMsgs = expected.map((m) => strip({ ...m, timestamp: m.timestamp >>> 0 }));

    test(`${c.name}: whole`, () => {
      expect(decodeAll(withChunkSize).map(strip)).toEqual(expectedMsgs);
    });
    test(`${c.name}: byte by byte`, () => {
      const splits = Array.from({ length: withChunkSize.length - 1 }, (_, i) => i + 1);
      expect(decodeAll(withChunkSize, splits).map(strip)).toEqual(expectedMsgs);
    });
    test(`${c.name}: split at every offset`, () => {
      const step = Math.max(1, Math.floor(withChunkSize.length / 400));
      for (let at = 1; at < withChunkSize.length; at += step) {
        expect(decodeAll(withChunkSize, [at]).map(strip)).toEqual(expectedMsgs);
      }
    });
  }
});

describe('chunk headers on the wire', () => {
  test.each([
    [2, '02'],
    [63, '3f'],
    [64, '0000'],
    [319, '00ff'],
    [320, '010001'],
    [65599, '01ffff'],
  ])('basic header for csid %i is %s', (csid, hex) => {
    const out = encodeChunks(128, 0, csid, 9, 1, 0, Buffer.alloc(0));
    expect(out.subarray(0, hex.length / 2).toString('hex')).toBe(hex);
  });

  test('writer picks type 0, then 1, 2 and 3 headers', () => {
    const w = new ChunkWriter();
    const fmt = (b: Buffer) => b[0] >> 6;
    expect(fmt(w.encode(6, 9, 1, 0, bytes(10)))).toBe(0);
    expect(fmt(w.encode(6, 9, 1, 33, bytes(11)))).toBe(1); // length changed
    expect(fmt(w.encode(6, 9, 1, 66, bytes(11)))).toBe(3); // same delta, length, type
    expect(fmt(w.encode(6, 9, 1, 100, bytes(11)))).toBe(2); // delta changed
    expect(fmt(w.encode(6, 9, 2, 133, bytes(11)))).toBe(0); // other message stream
  });

  test('type 0 header with extended timestamp repeats it in continuation chunks', () => {
    const out = encodeChunks(128, 0, 6, 9, 1, 0x01000000, bytes(200));
    // basic(1) ts(3)=ffffff len(3) type(1) sid(4) ext(4) payload(128) basic(1)=c6 ext(4)
    expect(out.subarray(1, 4).toString('hex')).toBe('ffffff');
    expect(out.readUInt32BE(12)).toBe(0x01000000);
    expect(out[16 + 128]).toBe(0xc6);
    expect(out.readUInt32BE(16 + 128 + 1)).toBe(0x01000000);
    expect(out.length).toBe(16 + 200 + 1 + 4);
  });

  test('reader accepts continuation chunks that do not repeat the extended timestamp', () => {
    const full = encodeChunks(128, 0, 6, 9, 1, 0x01000000, bytes(200));
    // Remove the 4 repeated bytes after the continuation basic header.
    const cut = Buffer.concat([full.subarray(0, 16 + 128 + 1), full.subarray(16 + 128 + 5)]);
    const msgs = decodeAll(cut);
    expect(msgs).toHaveLength(1);
    expect(msgs[0].timestamp).toBe(0x01000000);
    expect(msgs[0].payload.equals(bytes(200))).toBe(true);
  });

  test('a single-chunk message wholly inside one read is a view of the input (no copy)', () => {
    const data = encodeAll([video(6, 0, 100)]);
    let seen: Buffer | undefined;
    new ChunkReader((m) => (seen = m.payload)).push(data);
    expect(seen!.buffer).toBe(data.buffer);
  });

  test('Abort discards the partial message of its chunk stream', () => {
    const first = encodeChunks(128, 0, 6, 9, 1, 0, bytes(300)).subarray(0, 12 + 128);
    const abort = encodeChunks(128, 0, 2, MessageType.Abort, 0, 0, Buffer.from([0, 0, 0, 6]));
    const next = encodeChunks(128, 0, 6, 9, 1, 5, bytes(50));
    const msgs = decodeAll(Buffer.concat([first, abort, next]));
    expect(msgs.map((m) => m.type)).toEqual([MessageType.Abort, 9]);
    expect(msgs[1].payload.equals(bytes(50))).toBe(true);
  });
});

describe('chunk stream violations raise named errors', () => {
  const expectCode = (fn: () => unknown, code: string) => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(RtmpError);
      expect((e as RtmpError).code).toBe(code);
      return;
    }
    throw new Error(`expected ${code}`);
  };
  const setChunkSize = (n: number) => encodeChunks(128, 0, 2, MessageType.SetChunkSize, 0, 0, (() => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; })());

  test('Set Chunk Size 0', () => expectCode(() => decodeAll(setChunkSize(0)), 'RTMP_BAD_CHUNK_SIZE'));
  test('Set Chunk Size 2^31-1', () => expectCode(() => decodeAll(setChunkSize(0x7fffffff)), 'RTMP_BAD_CHUNK_SIZE'));
  test('Set Chunk Size 1 (1-byte chunks)', () => expectCode(() => decodeAll(setChunkSize(1)), 'RTMP_BAD_CHUNK_SIZE'));
  test('Set Chunk Size with a short body', () =>
    expectCode(() => decodeAll(encodeChunks(128, 0, 2, MessageType.SetChunkSize, 0, 0, Buffer.from([0, 1]))), 'RTMP_BAD_MESSAGE'));
  test('a 16 MB message length', () => {
    const header = Buffer.from([0x06, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0]);
    expectCode(() => decodeAll(header), 'RTMP_MESSAGE_TOO_LARGE');
  });
  test('thousands of chunk stream ids', () => {
    const parts: Buffer[] = [];
    for (let csid = 3; csid < 3003; csid++) parts.push(encodeChunks(128, 0, csid, 9, 1, 0, bytes(5)));
    expectCode(() => decodeAll(Buffer.concat(parts)), 'RTMP_TOO_MANY_CHUNK_STREAMS');
  });
  test('type 2 header on a fresh chunk stream', () => expectCode(() => decodeAll(Buffer.from([0x86, 0, 0, 1, 0xaa])), 'RTMP_BAD_CHUNK_HEADER'));
  test('type 3 header on a fresh chunk stream', () => expectCode(() => decodeAll(Buffer.from([0xc6, 0xaa])), 'RTMP_BAD_CHUNK_HEADER'));
  test('partial messages over the memory cap', () => {
    const parts: Buffer[] = [];
    for (let csid = 3; csid < 40; csid++) parts.push(encodeChunks(128, 0, csid, 9, 1, 0, bytes(1_000_000)).subarray(0, 12 + 128));
    expectCode(() => decodeAll(Buffer.concat(parts), [], { maxBufferedBytes: 16_000_000 }), 'RTMP_BUFFER_LIMIT');
  });
});

describe('chunk reader properties', () => {
  const message = fc.record({
    csid: fc.oneof(fc.integer({ min: 3, max: 70 }), fc.constantFrom(319, 320, 65599)),
    type: fc.constantFrom(8, 9, 18, 20),
    streamId: fc.integer({ min: 0, max: 3 }),
    timestamp: fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0xfffff0, max: 0x1000010 })),
    payload: fc.uint8Array({ maxLength: 700 }).map((a) => Buffer.from(a)),
  });

  test('any message sequence round-trips at any chunk size and any read split', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 12 }), fc.integer({ min: 128, max: 1000 }), fc.array(fc.nat(), { maxLength: 6 }), (msgs, chunkSize, cuts) => {
        const prefix: Msg = { csid: 2, type: MessageType.SetChunkSize, streamId: 0, timestamp: 0, payload: genSetChunkSize(chunkSize) };
        const all = [prefix, ...msgs];
        const data = encodeAll(all);
        const splits = [...new Set(cuts.map((c) => c % data.length))].filter((c) => c > 0).sort((a, b) => a - b);
        expect(decodeAll(data, splits).map(strip)).toEqual(all.map(strip));
      }),
      { numRuns: 1500 },
    );
  });

  test('arbitrary bytes never throw anything but RtmpError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (input) => {
        try {
          decodeAll(Buffer.from(input), [], { maxBufferedBytes: 1 << 20, maxMessageSize: 1 << 20 });
        } catch (e) {
          if (!(e instanceof RtmpError)) throw e;
        }
      }),
      { numRuns: 4000 },
    );
  });

  test('mutated valid streams never throw anything but RtmpError', () => {
    const valid = encodeAll(cases.flatMap((c) => c.messages).slice(0, 20));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (flips) => {
        const data = Buffer.from(valid);
        for (const [at, value] of flips) data[at % data.length] = value;
        try {
          decodeAll(data, [], { maxBufferedBytes: 1 << 22 });
        } catch (e) {
          if (!(e instanceof RtmpError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });
});
