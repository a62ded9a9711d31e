import fc from 'fast-check';
import {
  ENVELOPE_HEADER_SIZE,
  EnvelopeFlags,
  EnvelopeKind,
  FragmentAssembler,
  decodeEnvelope,
  encodeEnvelope,
  encodeEnvelopeFragments,
  isKeyframe,
  kindOfMessageType,
  messageTypeOfKind,
  sequenceDiff,
  type EnvelopeFields,
} from './envelope';
import { RelayError } from './errors';
import { assertStreamToken, relaySubjects } from './subjects';

const base: EnvelopeFields = { kind: EnvelopeKind.VIDEO, flags: 0, timestamp: 0, compositionOffset: 0, sequence: 0, epoch: 0 };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof RelayError) return err.code;
    throw err;
  }
  return undefined;
}

describe('envelope encode/decode', () => {
  const payload = Buffer.from([0x17, 0x01, 0x00, 0x00, 0x50, 1, 2, 3]);

  it.each<[string, Partial<EnvelopeFields>]>([
    ['zeros', {}],
    ['audio', { kind: EnvelopeKind.AUDIO, timestamp: 1234 }],
    ['data with config flag', { kind: EnvelopeKind.DATA, flags: EnvelopeFlags.SEQUENCE_HEADER }],
    ['keyframe', { flags: EnvelopeFlags.KEYFRAME, timestamp: 40, compositionOffset: 80, sequence: 7, epoch: 99 }],
    ['max timestamp', { timestamp: 0xffffffff }],
    ['negative composition offset', { compositionOffset: -40 }],
    ['min composition offset (SI24)', { compositionOffset: -(2 ** 23) }],
    ['int32 extremes', { compositionOffset: -(2 ** 31) }],
    ['max sequence', { sequence: 0xffffffff }],
    ['max epoch', { epoch: 0xffffffff }],
    ['end of stream', { kind: EnvelopeKind.END_OF_STREAM, sequence: 12 }],
    ['gop end', { kind: EnvelopeKind.GOP_END, flags: EnvelopeFlags.KEYFRAME, sequence: 12 }],
  ])('round-trips %s', (_name, fields) => {
    const h = { ...base, ...fields };
    const buf = encodeEnvelope(h, payload);
    expect(buf.length).toBe(ENVELOPE_HEADER_SIZE + payload.length);
    const { header, payload: out } = decodeEnvelope(buf);
    expect(header).toEqual({ ...h, version: 1, fragmentIndex: 0, fragmentCount: 1, payloadLength: payload.length });
    expect(Buffer.from(out)).toEqual(payload);
    // A view, not a copy.
    expect(out.buffer).toBe(buf.buffer);
    expect(out.byteOffset).toBe(buf.byteOffset + ENVELOPE_HEADER_SIZE);
  });

  it('writes the documented big-endian layout', () => {
    const buf = encodeEnvelope(
      { kind: EnvelopeKind.VIDEO, flags: 3, timestamp: 0x01020304, compositionOffset: -2, sequence: 0x0a0b0c0d, epoch: 0xdeadbeef },
      Buffer.from([0xaa, 0xbb]),
    );
    expect([...buf]).toEqual([
      1, 2, 3, 0, 1,
      0x01, 0x02, 0x03, 0x04,
      0xff, 0xff, 0xff, 0xfe,
      0x0a, 0x0b, 0x0c, 0x0d,
      0xde, 0xad, 0xbe, 0xef,
      0, 0, 0, 2,
      0xaa, 0xbb,
    ]);
  });

  it('takes timestamps, sequences and epochs modulo 2^32 (RTMP wrap)', () => {
    const { header } = decodeEnvelope(encodeEnvelope({ ...base, timestamp: 2 ** 32 + 5, sequence: 2 ** 32, epoch: -1 }, payload));
    expect(header.timestamp).toBe(5);
    expect(header.sequence).toBe(0);
    expect(header.epoch).toBe(0xffffffff);
  });

  it('compares sequence numbers across the wrap', () => {
    expect(sequenceDiff(0, 0xffffffff)).toBe(1);
    expect(sequenceDiff(0xffffffff, 0)).toBe(-1);
    expect(sequenceDiff(5, 3)).toBe(2);
    expect(sequenceDiff(3, 3)).toBe(0);
    expect(((0xffffffff + 1) >>> 0)).toBe(0);
  });

  it('accepts an empty payload', () => {
    const { header, payload: out } = decodeEnvelope(encodeEnvelope({ ...base, kind: EnvelopeKind.END_OF_STREAM }, new Uint8Array(0)));
    expect(header.payloadLength).toBe(0);
    expect(out.length).toBe(0);
  });

  it('maps RTMP message types', () => {
    expect(kindOfMessageType(8)).toBe(EnvelopeKind.AUDIO);
    expect(kindOfMessageType(9)).toBe(EnvelopeKind.VIDEO);
    expect(kindOfMessageType(18)).toBe(EnvelopeKind.DATA);
    expect(kindOfMessageType(20)).toBeUndefined();
    expect(messageTypeOfKind(EnvelopeKind.AUDIO)).toBe(8);
    expect(messageTypeOfKind(EnvelopeKind.VIDEO)).toBe(9);
    expect(messageTypeOfKind(EnvelopeKind.DATA)).toBe(18);
    expect(messageTypeOfKind(EnvelopeKind.GOP_END)).toBeUndefined();
    expect(isKeyframe({ kind: EnvelopeKind.VIDEO, flags: EnvelopeFlags.KEYFRAME })).toBe(true);
    expect(isKeyframe({ kind: EnvelopeKind.VIDEO, flags: EnvelopeFlags.KEYFRAME | EnvelopeFlags.SEQUENCE_HEADER })).toBe(false);
    expect(isKeyframe({ kind: EnvelopeKind.AUDIO, flags: EnvelopeFlags.KEYFRAME })).toBe(false);
  });

  it.each<[string, EnvelopeFields & { fragmentIndex?: number; fragmentCount?: number }]>([
    ['kind 0', { ...base, kind: 0 as EnvelopeKind }],
    ['kind 6', { ...base, kind: 6 as EnvelopeKind }],
    ['reserved flag', { ...base, flags: 0x08 }],
    ['fragment count 0', { ...base, fragmentCount: 0 }],
    ['fragment count 256', { ...base, fragmentCount: 256 }],
    ['index past count', { ...base, fragmentIndex: 2, fragmentCount: 2 }],
  ])('refuses to encode %s', (_name, h) => {
    expect(codeOf(() => encodeEnvelope(h, payload))).toBe('RELAY_BAD_HEADER');
  });

  const good = encodeEnvelope(base, payload);
  const patched = (offset: number, value: number): Buffer => {
    const b = Buffer.from(good);
    b[offset] = value;
    return b;
  };
  it.each<[string, Uint8Array, string]>([
    ['empty', new Uint8Array(0), 'RELAY_BAD_ENVELOPE'],
    ['version 0', patched(0, 0), 'RELAY_UNSUPPORTED_VERSION'],
    ['version 2', patched(0, 2), 'RELAY_UNSUPPORTED_VERSION'],
    ['truncated header', good.subarray(0, ENVELOPE_HEADER_SIZE - 1), 'RELAY_BAD_ENVELOPE'],
    ['truncated payload', good.subarray(0, good.length - 1), 'RELAY_BAD_ENVELOPE'],
    ['trailing bytes', Buffer.concat([good, Buffer.from([0])]), 'RELAY_BAD_ENVELOPE'],
    ['kind 0', patched(1, 0), 'RELAY_BAD_KIND'],
    ['kind 9', patched(1, 9), 'RELAY_BAD_KIND'],
    ['fragment count 0', patched(4, 0), 'RELAY_BAD_FRAGMENT'],
    ['index >= count', patched(3, 1), 'RELAY_BAD_FRAGMENT'],
    ['count 2 without fragment flag', patched(4, 2), 'RELAY_BAD_FRAGMENT'],
    ['fragment flag with count 1', patched(2, EnvelopeFlags.FRAGMENT), 'RELAY_BAD_FRAGMENT'],
  ])('rejects %s', (_name, buf, code) => {
    expect(codeOf(() => decodeEnvelope(buf))).toBe(code);
  });

  it('ignores reserved flag bits when reading', () => {
    expect(decodeEnvelope(patched(2, 0xf9)).header.flags).toBe(EnvelopeFlags.KEYFRAME);
  });

  it('decodeEnvelope on arbitrary bytes throws nothing but RelayError (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (bytes, plausible) => {
        // Half the cases start like a real envelope so that the deeper checks are reached too.
        const buf = Buffer.from(bytes);
        if (plausible && buf.length > 0) buf[0] = 1;
        if (plausible && buf.length >= ENVELOPE_HEADER_SIZE) buf.writeUInt32BE(buf.length - ENVELOPE_HEADER_SIZE, 21);
        try {
          const { header, payload: out } = decodeEnvelope(buf);
          expect(out.length).toBe(header.payloadLength);
        } catch (err) {
          if (!(err instanceof RelayError)) throw err;
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('round-trips any header (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          kind: fc.integer({ min: 1, max: 5 }),
          flags: fc.integer({ min: 0, max: 3 }),
          timestamp: fc.nat({ max: 0xffffffff }),
          compositionOffset: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
          sequence: fc.nat({ max: 0xffffffff }),
          epoch: fc.nat({ max: 0xffffffff }),
        }),
        fc.uint8Array({ maxLength: 64 }),
        (fields, bytes) => {
          const h = fields as EnvelopeFields;
          const { header, payload: out } = decodeEnvelope(encodeEnvelope(h, bytes));
          expect(header).toMatchObject(h);
          expect(Buffer.from(out)).toEqual(Buffer.from(bytes));
        },
      ),
    );
  });
});

describe('fragments', () => {
  const h: EnvelopeFields = { ...base, flags: EnvelopeFlags.KEYFRAME, timestamp: 1000, compositionOffset: -40, sequence: 42, epoch: 7 };
  const payload = Buffer.alloc(200 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + (i >> 8)) & 0xff;

  it('keeps a payload that fits in one envelope', () => {
    const parts = encodeEnvelopeFragments(h, payload.subarray(0, 1000), 1000 + ENVELOPE_HEADER_SIZE);
    expect(parts).toHaveLength(1);
    expect(decodeEnvelope(parts[0]).header.fragmentCount).toBe(1);
  });

  it('splits at maxPayload - header and reassembles the same bytes', () => {
    const maxPayload = 64 * 1024;
    const parts = encodeEnvelopeFragments(h, payload, maxPayload);
    expect(parts).toHaveLength(Math.ceil(payload.length / (maxPayload - ENVELOPE_HEADER_SIZE)));
    for (const [i, part] of parts.entries()) {
      expect(part.length).toBeLessThanOrEqual(maxPayload);
      const { header } = decodeEnvelope(part);
      expect(header).toMatchObject({ ...h, fragmentIndex: i, fragmentCount: parts.length, flags: EnvelopeFlags.KEYFRAME | EnvelopeFlags.FRAGMENT });
    }
    expect(parts[0].length).toBe(maxPayload);

    const assembler = new FragmentAssembler();
    const results = parts.map((p) => assembler.push(decodeEnvelope(p)));
    expect(results.slice(0, -1).every((r) => r === undefined)).toBe(true);
    const whole = results.at(-1);
    expect(whole).toBeDefined();
    expect(Buffer.from(whole!.payload).equals(payload)).toBe(true);
    // The header of a reassembled message keeps FRAGMENT and the count: the reader can tell it was split.
    expect(whole!.header).toMatchObject({
      ...h,
      flags: EnvelopeFlags.KEYFRAME | EnvelopeFlags.FRAGMENT,
      payloadLength: payload.length,
      fragmentIndex: 0,
      fragmentCount: parts.length,
    });
    expect(assembler.pending).toBe(0);
  });

  it('splits exactly at the boundary', () => {
    const room = 100;
    expect(encodeEnvelopeFragments(h, payload.subarray(0, room), room + ENVELOPE_HEADER_SIZE)).toHaveLength(1);
    expect(encodeEnvelopeFragments(h, payload.subarray(0, room + 1), room + ENVELOPE_HEADER_SIZE)).toHaveLength(2);
    expect(encodeEnvelopeFragments(h, payload.subarray(0, room * 255), room + ENVELOPE_HEADER_SIZE)).toHaveLength(255);
    expect(codeOf(() => encodeEnvelopeFragments(h, payload.subarray(0, room * 255 + 1), room + ENVELOPE_HEADER_SIZE))).toBe(
      'RELAY_PAYLOAD_TOO_LARGE',
    );
    expect(codeOf(() => encodeEnvelopeFragments(h, payload, ENVELOPE_HEADER_SIZE))).toBe('RELAY_PAYLOAD_TOO_LARGE');
  });

  it('drops an incomplete message when a new sequence starts, and counts it', () => {
    const assembler = new FragmentAssembler();
    const a = encodeEnvelopeFragments(h, payload.subarray(0, 300), 125);
    const b = encodeEnvelopeFragments({ ...h, sequence: 43 }, payload.subarray(0, 300), 125);
    expect(assembler.push(decodeEnvelope(a[0]))).toBeUndefined();
    expect(assembler.push(decodeEnvelope(a[1]))).toBeUndefined();
    // a[2] lost; b starts
    for (const part of b.slice(0, -1)) expect(assembler.push(decodeEnvelope(part))).toBeUndefined();
    expect(assembler.stats.droppedMessages).toBe(1);
    const whole = assembler.push(decodeEnvelope(b.at(-1)!));
    expect(whole?.header.sequence).toBe(43);
    // Late fragment of the abandoned message: orphan.
    expect(assembler.push(decodeEnvelope(a[2]))).toBeUndefined();
    expect(assembler.stats.droppedFragments).toBe(1);
  });

  it('a whole message of the same epoch also ends an incomplete one', () => {
    const assembler = new FragmentAssembler();
    const a = encodeEnvelopeFragments(h, payload.subarray(0, 300), 125);
    assembler.push(decodeEnvelope(a[0]));
    const single = decodeEnvelope(encodeEnvelope({ ...h, sequence: 43 }, payload.subarray(0, 10)));
    expect(assembler.push(single)).toBe(single);
    expect(assembler.pending).toBe(0);
    expect(assembler.stats.droppedMessages).toBe(1);
  });

  it('drops a message whose fragments arrive out of order', () => {
    const assembler = new FragmentAssembler();
    const a = encodeEnvelopeFragments(h, payload.subarray(0, 300), 125);
    assembler.push(decodeEnvelope(a[0]));
    expect(assembler.push(decodeEnvelope(a[2]))).toBeUndefined();
    expect(assembler.push(decodeEnvelope(a[1]))).toBeUndefined();
    expect(assembler.stats.droppedMessages).toBe(1);
    expect(assembler.pending).toBe(0);
  });

  it('keeps messages of different epochs apart, at most maxInFlight of them', () => {
    const assembler = new FragmentAssembler({ maxInFlight: 2 });
    const parts = [1, 2, 3].map((epoch) => encodeEnvelopeFragments({ ...h, epoch }, payload.subarray(0, 200), 125));
    assembler.push(decodeEnvelope(parts[0][0]));
    assembler.push(decodeEnvelope(parts[1][0]));
    expect(assembler.pending).toBe(2);
    expect(assembler.push(decodeEnvelope(parts[1][1]))?.header.epoch).toBe(2);
    assembler.push(decodeEnvelope(parts[2][0]));
    expect(assembler.pending).toBe(2);
    assembler.push(decodeEnvelope(parts[1][0]));
    expect(assembler.pending).toBe(2); // epoch 1 evicted
    expect(assembler.stats.droppedMessages).toBe(1);
    expect(assembler.push(decodeEnvelope(parts[0][1]))).toBeUndefined();
    expect(assembler.push(decodeEnvelope(parts[2][1]))?.header.epoch).toBe(3);
  });

  it('drops a message above maxMessageBytes', () => {
    const assembler = new FragmentAssembler({ maxMessageBytes: 250 });
    const parts = encodeEnvelopeFragments(h, payload.subarray(0, 300), 125);
    for (const part of parts) expect(assembler.push(decodeEnvelope(part))).toBeUndefined();
    expect(assembler.stats.oversized).toBe(1);
    expect(assembler.pending).toBe(0);
  });

  it('defaults to a 16 MiB cap', () => {
    const assembler = new FragmentAssembler();
    const big = Buffer.alloc(16 * 1024 * 1024 + 1);
    const parts = encodeEnvelopeFragments(h, big, 128 * 1024);
    for (const part of parts) expect(assembler.push(decodeEnvelope(part))).toBeUndefined();
    expect(assembler.stats.oversized).toBe(1);
  });
});

describe('subjects', () => {
  it('builds per-stream subjects once', () => {
    expect(relaySubjects('my-show')).toEqual({ media: 'media.my-show', gop: 'gop.my-show' });
  });
  it.each(['', 'a.b', 'a*', '>', 'a b', 'a\tb'])('refuses %j', (bad) => {
    expect(codeOf(() => assertStreamToken(bad))).toBe('RELAY_BAD_STREAM');
  });
});
