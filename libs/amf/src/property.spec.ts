/**
 * Property-based tests (fast-check):
 *  1. decode(encode(v)) equals v (after the documented normalisations) for arbitrary AMF values, AMF0 and AMF3.
 *  2. Arbitrary bytes and mutated valid encodings either decode or throw an AmfError - never anything else.
 */
import fc from 'fast-check';
import { decodeAmf0, decodeAmf0Sequence, encodeAmf0 } from './amf0';
import { decodeAmf3, encodeAmf3 } from './amf3';
import { AmfError } from './errors';
import type { AmfLimits } from './limits';
import { AmfAvmPlus, AmfEcmaArray, AmfTypedObject, AmfVector, AmfXmlDocument, type AmfObject, type AmfValue } from './types';

// ---------------------------------------------------------------------------------------------------------
// Arbitraries

const stringArb = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('', 'connect', 'onMetaData', 'é€😀'),
);
// (No "constructor" key: jest's toStrictEqual compares `a.constructor === b.constructor`, which an own
// "constructor" property defeats; amf0.spec.ts checks that key separately.)
const keyArb = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'toString', 'hasOwnProperty', 'valueOf', '', '0', '1', 'length') },
);
const numberArb = fc.oneof(
  fc.double(),
  fc.integer({ min: -(2 ** 28) - 2, max: 2 ** 28 + 1 }),
  fc.integer(),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** 28, 2 ** 28 - 1, -(2 ** 28), -(2 ** 28) - 1, Number.MAX_VALUE, Number.MIN_VALUE),
);
const dateArb = fc.date({ noInvalidDate: true });
const xmlArb = stringArb.map((s) => new AmfXmlDocument(s));
const commonLeafArb: fc.Arbitrary<AmfValue> = fc.oneof(
  numberArb,
  fc.boolean(),
  stringArb,
  fc.constant(null),
  fc.constant(undefined),
  dateArb,
  xmlArb,
);
const dict = <T>(value: fc.Arbitrary<T>, key: fc.Arbitrary<string> = keyArb): fc.Arbitrary<Record<string, T>> =>
  fc.dictionary(key, value, { maxKeys: 5, noNullPrototype: true });

/** Values for AMF3 (and AmfAvmPlus payloads). */
const amf3Arb = fc.letrec<{ value: AmfValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    commonLeafArb,
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 5 }),
    dict(tie('value')),
    dict(tie('value'), keyArb.filter((k) => k !== '')).map((o) => new AmfEcmaArray(o)),
    fc.tuple(stringArb, dict(tie('value'))).map(([c, p]) => new AmfTypedObject(c, p)),
    fc.tuple(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 4 }), fc.boolean()).map(([i, f]) => new AmfVector('int', i, f)),
    fc.tuple(fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 4 }), fc.boolean()).map(([i, f]) => new AmfVector('uint', i, f)),
    fc.tuple(fc.array(fc.double(), { maxLength: 4 }), fc.boolean()).map(([i, f]) => new AmfVector('double', i, f)),
    fc.tuple(fc.array(tie('value'), { maxLength: 3 }), fc.boolean(), stringArb).map(([i, f, t]) => new AmfVector('object', i, f, t)),
    fc.array(fc.tuple(fc.oneof(stringArb, fc.integer(), fc.boolean(), tie('value')), tie('value')), { maxLength: 3 }).map((e) => new Map(e)),
  ),
})).value;

/** Values for AMF0: no AMF3-only types unless wrapped in AmfAvmPlus. */
const amf0Arb = fc.letrec<{ value: AmfValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    commonLeafArb,
    fc.array(tie('value'), { maxLength: 5 }),
    dict(tie('value')),
    dict(tie('value')).map((o) => new AmfEcmaArray(o)),
    fc.tuple(stringArb, dict(tie('value'))).map(([c, p]) => new AmfTypedObject(c, p)),
    amf3Arb.map((v) => new AmfAvmPlus(v)),
  ),
})).value;

// ---------------------------------------------------------------------------------------------------------
// What decoding gives back

function objectOf(entries: Iterable<[string, AmfValue]>): AmfObject {
  const out: AmfObject = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

const mapObject = (o: AmfObject, f: (v: AmfValue) => AmfValue): AmfObject => objectOf(Object.keys(o).map((k) => [k, f(o[k])]));

/** AMF0: ECMA arrays decode to plain objects; AmfAvmPlus to its (AMF3-normalised) value. */
function expectedAmf0(v: AmfValue): AmfValue {
  if (Array.isArray(v)) return v.map(expectedAmf0);
  if (v instanceof AmfEcmaArray) return mapObject(v.entries, expectedAmf0);
  if (v instanceof AmfTypedObject) return new AmfTypedObject(v.className, mapObject(v.properties, expectedAmf0));
  if (v instanceof AmfAvmPlus) return expectedAmf3(v.value);
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return mapObject(v as AmfObject, expectedAmf0);
  return v;
}

/** AMF3: ECMA arrays decode to objects (an empty one to []); typed objects with class "" to plain objects. */
function expectedAmf3(v: AmfValue): AmfValue {
  if (Array.isArray(v)) return v.map(expectedAmf3);
  if (v instanceof AmfEcmaArray) return Object.keys(v.entries).length === 0 ? [] : mapObject(v.entries, expectedAmf3);
  if (v instanceof AmfTypedObject) {
    const props = mapObject(v.properties, expectedAmf3);
    return v.className === '' ? props : new AmfTypedObject(v.className, props);
  }
  if (v instanceof AmfAvmPlus) return expectedAmf3(v.value);
  if (v instanceof AmfVector) return v.kind === 'object' ? new AmfVector('object', v.items.map(expectedAmf3), v.fixed, v.typeName) : v;
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [expectedAmf3(k), expectedAmf3(x)]));
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return mapObject(v as AmfObject, expectedAmf3);
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// 1. Round trips

describe('round trip (property)', () => {
  it('AMF0: decodeAmf0(encodeAmf0(v)) equals v', () => {
    fc.assert(
      fc.property(amf0Arb, (v) => {
        const bytes = encodeAmf0(v);
        const { value, offset } = decodeAmf0(bytes);
        expect(offset).toBe(bytes.length);
        expect(value).toStrictEqual(expectedAmf0(v));
      }),
      { numRuns: 3000 },
    );
  });

  it('AMF0: decodeAmf0Sequence(encodeAmf0(...vs)) equals vs', () => {
    fc.assert(
      fc.property(fc.array(amf0Arb, { maxLength: 5 }), (vs) => {
        expect(decodeAmf0Sequence(encodeAmf0(...vs))).toStrictEqual(vs.map(expectedAmf0));
      }),
      { numRuns: 1000 },
    );
  });

  it('AMF3: decodeAmf3(encodeAmf3(v)) equals v', () => {
    fc.assert(
      fc.property(amf3Arb, (v) => {
        const bytes = encodeAmf3(v);
        const { value, offset } = decodeAmf3(bytes);
        expect(offset).toBe(bytes.length);
        expect(value).toStrictEqual(expectedAmf3(v));
      }),
      { numRuns: 3000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// 2. Garbage in: a value or an AmfError, nothing else

/** Runs `fn`; true if it returned or threw an AmfError. Anything else is reported. */
function returnsOrThrowsAmfError(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    if (err instanceof AmfError) return true;
    throw new Error(`decoder threw a non-AmfError: ${String(err)}`, { cause: err });
  }
}

const limitsArb: fc.Arbitrary<Partial<AmfLimits> | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant({ maxDepth: Infinity, maxElements: Infinity, maxTotalElements: Infinity, maxStringLength: Infinity, maxByteArrayLength: Infinity }),
  fc.record({
    maxDepth: fc.integer({ min: 0, max: 6 }),
    maxElements: fc.integer({ min: 0, max: 8 }),
    maxTotalElements: fc.integer({ min: 0, max: 16 }),
    maxStringLength: fc.integer({ min: 0, max: 8 }),
    maxByteArrayLength: fc.integer({ min: 0, max: 8 }),
  }),
);

/** Bytes biased towards type markers and small lengths, so random input gets past the first marker. */
const markerishBytes = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 0x12 }), fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x01, 0x03, 0x09, 0x7f, 0x80, 0xff)), {
    maxLength: 512,
  })
  .map((a) => Uint8Array.from(a));

type Mutation = { kind: 'flip'; at: number; byte: number } | { kind: 'truncate'; at: number } | { kind: 'insert'; at: number; bytes: number[] } | { kind: 'delete'; at: number; n: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 6 }) }),
);

function mutate(input: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = Array.from(input);
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % (bytes.length + 1);
    if (m.kind === 'flip') {
      if (at < bytes.length) bytes[at] = m.byte;
    } else if (m.kind === 'truncate') {
      bytes = bytes.slice(0, at);
    } else if (m.kind === 'insert') {
      bytes.splice(at, 0, ...m.bytes);
    } else {
      bytes.splice(at, m.n);
    }
  }
  return Uint8Array.from(bytes);
}

const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 4 });

describe('hostile bytes (property)', () => {
  it('arbitrary bytes: decodeAmf0Sequence and decodeAmf3 return or throw AmfError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), markerishBytes), limitsArb, (bytes, limits) => {
        return returnsOrThrowsAmfError(() => decodeAmf0Sequence(bytes, 0, limits)) && returnsOrThrowsAmfError(() => decodeAmf3(bytes, 0, limits));
      }),
      { numRuns: 5000 },
    );
  });

  it('mutated AMF0 encodings: decodeAmf0Sequence returns or throws AmfError', () => {
    fc.assert(
      fc.property(fc.array(amf0Arb, { minLength: 1, maxLength: 3 }), mutationsArb, limitsArb, (vs, mutations, limits) => {
        const bytes = mutate(encodeAmf0(...vs), mutations);
        return returnsOrThrowsAmfError(() => decodeAmf0Sequence(bytes, 0, limits));
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated AMF3 encodings: decodeAmf3 returns or throws AmfError', () => {
    fc.assert(
      fc.property(amf3Arb, mutationsArb, limitsArb, (v, mutations, limits) => {
        const bytes = mutate(encodeAmf3(v), mutations);
        return returnsOrThrowsAmfError(() => decodeAmf3(bytes, 0, limits));
      }),
      { numRuns: 3000 },
    );
  });

  it('every proper prefix of a valid encoding is AMF_TRUNCATED', () => {
    fc.assert(
      fc.property(amf3Arb, fc.nat(), (v, cut) => {
        const amf3 = encodeAmf3(v);
        const amf0 = encodeAmf0(new AmfAvmPlus(v));
        for (const [bytes, decode] of [
          [amf3, decodeAmf3],
          [amf0, decodeAmf0],
        ] as const) {
          const len = cut % bytes.length;
          try {
            decode(bytes.subarray(0, len));
            return false;
          } catch (err) {
            if (!(err instanceof AmfError) || err.code !== 'AMF_TRUNCATED') throw err;
          }
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });
});
