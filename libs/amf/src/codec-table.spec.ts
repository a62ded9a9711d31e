/**
 * One table of values with their exact AMF0 and AMF3 encodings, checked in both directions:
 * encode(value) === bytes, decode(bytes) equals the value (or `decoded` where decoding normalises),
 * and every proper prefix of the bytes is AMF_TRUNCATED.
 */
import { decodeAmf0, encodeAmf0 } from './amf0';
import { decodeAmf3, encodeAmf3 } from './amf3';
import { AmfError } from './errors';
import { AmfAvmPlus, AmfEcmaArray, AmfTypedObject, AmfVector, AmfXmlDocument, type AmfValue } from './types';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

interface Case {
  name: string;
  value: AmfValue;
  /** Expected AMF0 bytes (absent: the value has no AMF0 form). */
  amf0?: string;
  /** Expected AMF3 bytes. */
  amf3?: string;
  /** What decoding yields when it differs from `value` (encode-only wrappers). */
  decoded?: AmfValue;
}

const LONG = 'a'.repeat(70000);
const DATE_MS = 1700000000000; // 2023-11-14T22:13:20Z, double 0x4278bcfe56800000

const cases: Case[] = [
  { name: 'number 0', value: 0, amf0: '00 0000000000000000', amf3: '04 00' },
  { name: 'number -0', value: -0, amf0: '00 8000000000000000', amf3: '05 8000000000000000' },
  { name: 'number -1.5', value: -1.5, amf0: '00 bff8000000000000', amf3: '05 bff8000000000000' },
  { name: 'NaN (canonical quiet NaN)', value: NaN, amf0: '00 7ff8000000000000', amf3: '05 7ff8000000000000' },
  { name: 'Infinity', value: Infinity, amf0: '00 7ff0000000000000', amf3: '05 7ff0000000000000' },
  { name: 'true', value: true, amf0: '01 01', amf3: '03' },
  { name: 'false', value: false, amf0: '01 00', amf3: '02' },
  { name: "''", value: '', amf0: '02 0000', amf3: '06 01' },
  { name: "'hello'", value: 'hello', amf0: '02 0005 68656c6c6f', amf3: '06 0b 68656c6c6f' },
  { name: "'é€' (multi-byte UTF-8)", value: 'é€', amf0: '02 0005 c3a9 e282ac', amf3: '06 0b c3a9e282ac' },
  // 70000 = 0x11170 > 0xffff: AMF0 long string; AMF3 U29 header (70000 << 1 | 1) = 140001 = 88 c5 61
  { name: '70000-char string', value: LONG, amf0: `0c 00011170 ${'61'.repeat(70000)}`, amf3: `06 88c561 ${'61'.repeat(70000)}` },
  { name: 'null', value: null, amf0: '05', amf3: '01' },
  { name: 'undefined', value: undefined, amf0: '06', amf3: '00' },
  {
    name: 'nested object',
    value: { a: 1, b: { c: 'x' } },
    amf0: '03 0001 61 00 3ff0000000000000  0001 62 03 0001 63 02 0001 78 000009  000009',
    // inner object reuses the anonymous dynamic traits by reference (01 = trait ref 0)
    amf3: '0a 0b 01  03 61 04 01  03 62 0a 01 03 63 06 03 78 01  01',
  },
  {
    name: 'ECMA array (decodes to a plain object)',
    value: new AmfEcmaArray({ duration: 0, ok: true }),
    decoded: { duration: 0, ok: true },
    amf0: '08 00000002  0008 6475726174696f6e 00 0000000000000000  0002 6f6b 01 01  000009',
    amf3: '09 01  11 6475726174696f6e 04 00  05 6f6b 03  01',
  },
  {
    name: 'strict array',
    value: [1, 'a', null],
    amf0: '0a 00000003 00 3ff0000000000000 02 0001 61 05',
    amf3: '09 07 01 04 01 06 03 61 01',
  },
  { name: 'empty array', value: [], amf0: '0a 00000000', amf3: '09 01 01' },
  { name: 'Date', value: new Date(DATE_MS), amf0: '0b 4278bcfe56800000 0000', amf3: '08 01 4278bcfe56800000' },
  {
    name: 'typed object',
    value: new AmfTypedObject('Point', { x: 1, y: 2 }),
    amf0: '10 0005 506f696e74  0001 78 00 3ff0000000000000  0001 79 00 4000000000000000  000009',
    // traits: 2 sealed members, not dynamic = (2 << 4) | 0b0011 = 0x23
    amf3: '0a 23 0b 506f696e74 03 78 03 79  04 01 04 02',
  },
  { name: 'XML document', value: new AmfXmlDocument('<a/>'), amf0: '0f 00000004 3c612f3e', amf3: '07 09 3c612f3e' },
  // AMF3 integer boundaries (U29: 1-4 bytes); AMF0 always writes doubles.
  { name: 'int 127', value: 127, amf0: '00 405fc00000000000', amf3: '04 7f' },
  { name: 'int 128', value: 128, amf0: '00 4060000000000000', amf3: '04 81 00' },
  { name: 'int 16383', value: 16383, amf0: '00 40cfff8000000000', amf3: '04 ff 7f' },
  { name: 'int 16384', value: 16384, amf0: '00 40d0000000000000', amf3: '04 81 80 00' },
  { name: 'int 2^21-1', value: 2 ** 21 - 1, amf0: '00 413fffff00000000', amf3: '04 ff ff 7f' },
  { name: 'int 2^21', value: 2 ** 21, amf0: '00 4140000000000000', amf3: '04 80 c0 80 00' },
  { name: 'int 2^28-1', value: 2 ** 28 - 1, amf0: '00 41affffffe000000', amf3: '04 bf ff ff ff' },
  { name: 'int -1', value: -1, amf0: '00 bff0000000000000', amf3: '04 ff ff ff ff' },
  { name: 'int -2^28', value: -(2 ** 28), amf0: '00 c1b0000000000000', amf3: '04 c0 80 80 00' },
  { name: '2^28 (AMF3 double)', value: 2 ** 28, amf0: '00 41b0000000000000', amf3: '05 41b0000000000000' },
  // AMF3-only types; in AMF0 they travel behind the avmplus-object marker 0x11.
  { name: 'ByteArray', value: new Uint8Array([1, 2, 3]), amf3: '0c 07 010203' },
  {
    name: 'ByteArray via AmfAvmPlus',
    value: new AmfAvmPlus(new Uint8Array([1, 2])),
    decoded: new Uint8Array([1, 2]),
    amf0: '11 0c 05 0102',
    amf3: '0c 05 0102',
  },
  { name: 'Vector.<int>', value: new AmfVector('int', [1, -1], true), amf3: '0d 05 01 00000001 ffffffff' },
  { name: 'Vector.<uint>', value: new AmfVector('uint', [0xffffffff]), amf3: '0e 03 00 ffffffff' },
  { name: 'Vector.<Number>', value: new AmfVector('double', [0.5]), amf3: '0f 03 00 3fe0000000000000' },
  { name: 'Vector.<Object>', value: new AmfVector('object', ['a', 1], false, 'String'), amf3: '10 05 00 0d 537472696e67 06 03 61 04 01' },
  { name: 'Dictionary', value: new Map<AmfValue, AmfValue>([['k', 1], [2, true]]), amf3: '11 05 00 06 03 6b 04 01 04 02 03' },
  { name: 'repeated string (AMF3 string reference)', value: ['ab', 'ab'], amf0: '0a 00000002 02 0002 6162 02 0002 6162', amf3: '09 05 01 06 05 6162 06 00' },
];

const amf0Cases = cases.filter((c): c is Case & { amf0: string } => c.amf0 !== undefined);
const amf3Cases = cases.filter((c): c is Case & { amf3: string } => c.amf3 !== undefined);
const expectedOf = (c: Case): AmfValue => ('decoded' in c ? c.decoded : c.value);

/** Lengths of the proper prefixes of `bytes` whose decoding does not fail with AMF_TRUNCATED. */
function prefixesNotTruncated(bytes: Buffer, decode: (b: Uint8Array) => unknown): string[] {
  const bad: string[] = [];
  for (let len = 0; len < bytes.length; len++) {
    try {
      decode(bytes.subarray(0, len));
      bad.push(`${len}: decoded`);
    } catch (err) {
      if (!(err instanceof AmfError) || err.code !== 'AMF_TRUNCATED') bad.push(`${len}: ${String(err)}`);
    }
  }
  return bad;
}

describe('AMF0 table', () => {
  it.each(amf0Cases)('encodes $name', (c) => {
    expect(encodeAmf0(c.value).toString('hex')).toBe(hex(c.amf0).toString('hex'));
  });

  it.each(amf0Cases)('decodes $name', (c) => {
    const bytes = hex(c.amf0);
    const { value, offset } = decodeAmf0(bytes);
    expect(value).toStrictEqual(expectedOf(c));
    expect(offset).toBe(bytes.length);
  });

  it.each(amf0Cases)('every prefix of $name is AMF_TRUNCATED', (c) => {
    expect(prefixesNotTruncated(hex(c.amf0), (b) => decodeAmf0(b))).toEqual([]);
  });
});

describe('AMF3 table', () => {
  it.each(amf3Cases)('encodes $name', (c) => {
    expect(encodeAmf3(c.value).toString('hex')).toBe(hex(c.amf3).toString('hex'));
  });

  it.each(amf3Cases)('decodes $name', (c) => {
    const bytes = hex(c.amf3);
    const { value, offset } = decodeAmf3(bytes);
    expect(value).toStrictEqual(expectedOf(c));
    expect(offset).toBe(bytes.length);
  });

  it.each(amf3Cases)('every prefix of $name is AMF_TRUNCATED', (c) => {
    expect(prefixesNotTruncated(hex(c.amf3), (b) => decodeAmf3(b))).toEqual([]);
  });
});

describe('decoding at an offset inside a larger buffer', () => {
  it('reads from a Buffer slice with a non-zero byteOffset and reports offsets relative to it', () => {
    const backing = hex('ffff 02 0005 68656c6c6f 05 ff');
    const view = backing.subarray(2, 11); // 02 0005 hello 05
    expect(decodeAmf0(view, 0)).toEqual({ value: 'hello', offset: 8 });
    expect(decodeAmf0(view, 8)).toEqual({ value: null, offset: 9 });
    expect(decodeAmf3(hex('00 06 0b 68656c6c6f'), 1)).toEqual({ value: 'hello', offset: 8 });
  });
});
