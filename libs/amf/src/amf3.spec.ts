import { decodeAmf3, encodeAmf3 } from './amf3';
import { AmfError, type AmfErrorCode } from './errors';
import { AmfAvmPlus, AmfEcmaArray, AmfTypedObject, AmfVector, AmfXmlDocument, type AmfObject, type AmfValue } from './types';

/** Hex with whitespace and `// comments` ignored. */
const hex = (s: string): Buffer => Buffer.from(s.replace(/\/\/[^\n]*/g, '').replace(/\s+/g, ''), 'hex');

function errorOf(fn: () => unknown): AmfError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AmfError) return err;
    throw new Error(`expected an AmfError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected an AmfError, nothing was thrown');
}

const codeOf = (fn: () => unknown): AmfErrorCode => errorOf(fn).code;
const decode = (s: string): AmfValue => {
  const bytes = hex(s);
  const { value, offset } = decodeAmf3(bytes);
  expect(offset).toBe(bytes.length);
  return value;
};

const ARRAY_COLLECTION = '43 666c65782e6d6573736167696e672e696f2e4172726179436f6c6c656374696f6e';
const OBJECT_PROXY = '3b 666c65782e6d6573736167696e672e696f2e4f626a65637450726f7879';

describe('AMF3 references', () => {
  it('resolves string references; the empty string never enters the table', () => {
    const bytes = `
      09 09 01          // array, 4 dense items, no associative part
      06 01             // ""       (not added to the string table)
      06 07 616263      // "abc"    string 0
      06 00             // ref 0 -> "abc"
      06 00             // ref 0 -> "abc"
    `;
    expect(decode(bytes)).toStrictEqual(['', 'abc', 'abc', 'abc']);
    expect(encodeAmf3(['', 'abc', 'abc', 'abc']).toString('hex')).toBe(hex(bytes).toString('hex'));
  });

  it('shares one string table between values, keys and class names', () => {
    const value = decode(`
      09 05 01                          // array of 2
      0a 0b 01  03 61  06 00  01        // {a: ref 0}: key "a" is string 0, the value refers to it
      0a 13 00  00  04 01               // typed object, 1 sealed member: class name ref 0 ("a"), member name ref 0 ("a")
    `) as AmfValue[];
    expect(value).toStrictEqual([{ a: 'a' }, new AmfTypedObject('a', { a: 1 })]);
  });

  it('resolves object references to the same instance, including cycles', () => {
    // array (object 0) of [{a: 1} (object 1), ref 1, ref 0]
    const value = decode('09 07 01  0a 0b 01 03 61 04 01 01  0a 02  09 00') as AmfValue[];
    expect(value[0]).toStrictEqual({ a: 1 });
    expect(value[1]).toBe(value[0]);
    expect(value[2]).toBe(value);
  });

  it('puts dates, XML, byte arrays, vectors and dictionaries in the object table', () => {
    const value = decode(`
      09 0d 01                       // array of 6 (object 0)
      08 01 4278bcfe56800000         // Date            object 1
      0c 03 ff                       // ByteArray       object 2
      07 09 3c612f3e                 // XMLDocument     object 3
      08 02                          // ref 1 (date)
      0c 04                          // ref 2 (bytes)
      07 06                          // ref 3 (xml)
    `) as AmfValue[];
    expect(value[3]).toBe(value[0]);
    expect(value[4]).toBe(value[1]);
    expect(value[5]).toBe(value[2]);
    expect(value[0]).toStrictEqual(new Date(1700000000000));
    expect(value[1]).toStrictEqual(new Uint8Array([0xff]));
    expect(value[2]).toStrictEqual(new AmfXmlDocument('<a/>'));
  });

  it('resolves trait references: two objects of the same class share traits', () => {
    const bytes = `
      09 05 01                                  // array of 2
      0a 13 0b 506f696e74 03 78  04 01          // traits inline: 1 sealed member, class "Point", member "x"; x = 1
      0a 01  04 02                              // traits ref 0; x = 2
    `;
    const expected = [new AmfTypedObject('Point', { x: 1 }), new AmfTypedObject('Point', { x: 2 })];
    expect(decode(bytes)).toStrictEqual(expected);
    expect(encodeAmf3(expected).toString('hex')).toBe(hex(bytes).toString('hex'));
  });

  it('combines sealed and dynamic members of a dynamic typed object', () => {
    expect(decode('0a 1b 03 43 03 73 04 01  03 64 04 02 01')).toStrictEqual(new AmfTypedObject('C', { s: 1, d: 2 }));
  });

  it('decodes a dictionary, including object keys', () => {
    const value = decode(`
      11 05 00                          // dictionary, 2 entries, weak keys off
      06 03 6b  04 01                   // "k" -> 1
      0a 0b 01 03 61 04 01 01  06 03 76 // {a: 1} -> "v"
    `) as Map<AmfValue, AmfValue>;
    expect(value).toBeInstanceOf(Map);
    expect(value.get('k')).toBe(1);
    const [objectKey, objectValue] = [...value.entries()][1];
    expect(objectKey).toStrictEqual({ a: 1 });
    expect(objectValue).toBe('v');
  });

  it('rejects references to entries not defined yet', () => {
    expect(codeOf(() => decodeAmf3(hex('06 02')))).toBe('AMF_BAD_REFERENCE');
    expect(codeOf(() => decodeAmf3(hex('0a 00')))).toBe('AMF_BAD_REFERENCE');
    expect(codeOf(() => decodeAmf3(hex('09 03 01 09 02')))).toBe('AMF_BAD_REFERENCE');
    expect(codeOf(() => decodeAmf3(hex('0a 05')))).toBe('AMF_BAD_REFERENCE'); // traits ref 1 of none
    expect(codeOf(() => decodeAmf3(hex('08 00')))).toBe('AMF_BAD_REFERENCE');
    expect(codeOf(() => decodeAmf3(hex('11 00')))).toBe('AMF_BAD_REFERENCE');
    expect(errorOf(() => decodeAmf3(hex('09 03 01 06 04'))).message).toMatch(/string reference 2 but only 0 strings defined at byte offset 4$/);
  });

  it('starts fresh reference tables on every decode call', () => {
    const bytes = hex('06 07 616263 06 00');
    expect(decodeAmf3(bytes)).toEqual({ value: 'abc', offset: 5 });
    expect(codeOf(() => decodeAmf3(bytes, 5))).toBe('AMF_BAD_REFERENCE');
  });
});

describe('AMF3 decoding details', () => {
  it('decodes an array with an associative part to an object', () => {
    expect(decode('09 05  03 6b 06 03 76  01  04 01 04 02')).toStrictEqual({ k: 'v', 0: 1, 1: 2 });
    expect(decode('09 01  03 6b 06 03 76  01')).toStrictEqual({ k: 'v' });
  });

  it('decodes XML (0x0B) like XMLDocument', () => {
    expect(decode('0b 09 3c612f3e')).toStrictEqual(new AmfXmlDocument('<a/>'));
  });

  it('unwraps flex.messaging.io.ArrayCollection and ObjectProxy', () => {
    expect(decode(`0a 07 ${ARRAY_COLLECTION} 09 05 01 04 01 04 02`)).toStrictEqual([1, 2]);
    expect(decode(`0a 07 ${OBJECT_PROXY} 0a 0b 01 03 61 04 01 01`)).toStrictEqual({ a: 1 });
    // the externalizable traits are reusable by reference, and the wrapper is referencable as its content
    const twice = decode(`09 07 01  0a 07 ${ARRAY_COLLECTION} 09 03 01 04 01  0a 01 09 01 01  0a 02`) as AmfValue[];
    expect(twice).toStrictEqual([[1], [], [1]]);
    expect(twice[2]).toBe(twice[0]);
  });

  it('rejects other externalizable classes and self-references through a wrapper', () => {
    expect(codeOf(() => decodeAmf3(hex('0a 07 25 636f6d2e6578616d706c652e536563726574 00')))).toBe('AMF_UNSUPPORTED_MARKER');
    expect(errorOf(() => decodeAmf3(hex('0a 07 25 636f6d2e6578616d706c652e536563726574 00'))).message).toMatch(/"com\.example\.Secret"/);
    expect(codeOf(() => decodeAmf3(hex(`0a 07 ${ARRAY_COLLECTION} 09 03 01 0a 00`)))).toBe('AMF_BAD_REFERENCE');
  });

  it('decodes vectors with the fixed flag and type name', () => {
    expect(decode('0d 05 01 80000000 7fffffff')).toStrictEqual(new AmfVector('int', [-0x80000000, 0x7fffffff], true));
    expect(decode('10 03 00 01 01')).toStrictEqual(new AmfVector('object', [null], false, ''));
  });

  it('rejects unknown markers', () => {
    expect(codeOf(() => decodeAmf3(hex('12')))).toBe('AMF_UNKNOWN_MARKER');
    expect(codeOf(() => decodeAmf3(hex('ff')))).toBe('AMF_UNKNOWN_MARKER');
  });

  it('returns byte arrays as copies, not views of the input', () => {
    const bytes = hex('0c 05 0102');
    const value = decodeAmf3(bytes).value as Uint8Array;
    bytes[2] = 9;
    expect([...value]).toEqual([1, 2]);
  });
});

describe('AMF3 hostile input', () => {
  it.each([
    ['arrays', '09 03 01'],
    ['associative arrays', '09 01 03 61'],
    ['objects', '0a 0b 01 03 61'],
    ['object vectors', '10 03 00 01'],
    ['dictionaries', '11 03 00 01'],
    ['ArrayCollections', `0a 07 ${ARRAY_COLLECTION}`],
  ])('fails fast on 10,000 nested %s with AMF_DEPTH_EXCEEDED', (_name, level) => {
    const bytes = hex(level.repeat(10000));
    const start = process.hrtime.bigint();
    expect(codeOf(() => decodeAmf3(bytes))).toBe('AMF_DEPTH_EXCEEDED');
    expect(Number(process.hrtime.bigint() - start) / 1e6).toBeLessThan(50);
  });

  it('checks counts against limits and remaining bytes before allocating', () => {
    const hugeArray = hex('09 bf ff ff ff 01'); // 2^28-1 dense items
    expect(codeOf(() => decodeAmf3(hugeArray))).toBe('AMF_TOO_MANY_ELEMENTS');
    expect(codeOf(() => decodeAmf3(hugeArray, 0, { maxElements: Infinity, maxTotalElements: Infinity }))).toBe('AMF_TRUNCATED');
    for (const marker of ['0d', '0e', '0f', '10', '11']) {
      const huge = hex(`${marker} bf ff ff ff 00 01`);
      expect(codeOf(() => decodeAmf3(huge))).toBe('AMF_TOO_MANY_ELEMENTS');
      expect(codeOf(() => decodeAmf3(huge, 0, { maxElements: Infinity, maxTotalElements: Infinity }))).toBe('AMF_TRUNCATED');
    }
    const hugeTraits = hex('0a bf ff ff f3 01'); // 2^24-1 sealed members
    expect(codeOf(() => decodeAmf3(hugeTraits))).toBe('AMF_TOO_MANY_ELEMENTS');
    expect(codeOf(() => decodeAmf3(hugeTraits, 0, { maxElements: Infinity }))).toBe('AMF_TRUNCATED');
  });

  it('caps strings, XML and byte arrays', () => {
    expect(codeOf(() => decodeAmf3(hex('06 bf ff ff ff 61')))).toBe('AMF_STRING_TOO_LONG');
    expect(codeOf(() => decodeAmf3(hex('07 bf ff ff ff 61')))).toBe('AMF_STRING_TOO_LONG');
    expect(codeOf(() => decodeAmf3(hex('0c bf ff ff ff 61')))).toBe('AMF_STRING_TOO_LONG');
    expect(codeOf(() => decodeAmf3(hex('0c 07 010203'), 0, { maxByteArrayLength: 2 }))).toBe('AMF_STRING_TOO_LONG');
    expect(codeOf(() => decodeAmf3(hex('06 bf ff ff ff 61'), 0, { maxStringLength: Infinity }))).toBe('AMF_TRUNCATED');
    expect(codeOf(() => decodeAmf3(hex('0c bf ff ff ff 61'), 0, { maxByteArrayLength: Infinity }))).toBe('AMF_TRUNCATED');
  });

  it('counts elements reached through trait references against maxTotalElements', () => {
    // one class with 3 sealed members, then the same traits by reference: 3 + 3 elements
    const bytes = hex('09 05 01  0a 33 03 43 03 61 03 62 03 63 01 01 01  0a 01 01 01 01');
    expect(() => decodeAmf3(bytes, 0, { maxTotalElements: 8 })).not.toThrow();
    expect(codeOf(() => decodeAmf3(bytes, 0, { maxTotalElements: 7 }))).toBe('AMF_TOO_MANY_ELEMENTS');
  });

  it('keeps "__proto__" keys as own properties', () => {
    const cases = [
      '0a 0b 01  13 5f5f70726f746f5f5f  0a 01 11 706f6c6c75746564 03 01  01', // dynamic member
      '0a 13 01  13 5f5f70726f746f5f5f  0a 0b 01 11 706f6c6c75746564 03 01', // sealed member
      '09 01  13 5f5f70726f746f5f5f  0a 0b 01 11 706f6c6c75746564 03 01  01', // associative array key
    ];
    for (const c of cases) {
      const value = decode(c) as AmfObject;
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(Object.keys(value)).toEqual(['__proto__']);
      expect((value as { polluted?: unknown }).polluted).toBeUndefined();
    }
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('AMF3 encoding details', () => {
  it('uses the integer type only for -2^28..2^28-1 and never for -0', () => {
    expect(encodeAmf3(-(2 ** 28) - 1)[0]).toBe(0x05);
    expect(encodeAmf3(-0)[0]).toBe(0x05);
    expect(encodeAmf3(1.5)[0]).toBe(0x05);
    expect(encodeAmf3(5)[0]).toBe(0x04);
  });

  it('sends a "" key of a plain object as a sealed member', () => {
    const bytes = encodeAmf3({ '': 1, a: 2 });
    expect(bytes.toString('hex')).toBe(hex('0a 1b 01 01  04 01  03 61 04 02  01').toString('hex'));
    expect(decodeAmf3(bytes).value).toStrictEqual({ '': 1, a: 2 });
  });

  it('decodes an anonymous typed object as a plain object', () => {
    expect(decodeAmf3(encodeAmf3(new AmfTypedObject('', { a: 1 }))).value).toStrictEqual({ a: 1 });
  });

  it('is transparent for AmfAvmPlus', () => {
    expect(encodeAmf3(new AmfAvmPlus('x')).toString('hex')).toBe('060378');
  });

  it('writes an object vector without a type name as "*"', () => {
    expect(encodeAmf3(new AmfVector('object', [])).toString('hex')).toBe('10010003' + '2a');
  });

  it('rejects what it cannot encode', () => {
    const bad: unknown[] = [
      1n,
      Symbol('s'),
      () => 1,
      new (class Foo {})(),
      new Int16Array(2),
      new AmfEcmaArray({ '': 1 }),
      new AmfVector('int', [1.5]),
      new AmfVector('int', [2 ** 31]),
      new AmfVector('uint', [-1]),
      new AmfVector('double', ['x']),
      new AmfVector('bogus' as 'int', []),
      new Map([[1, () => 1]]),
    ];
    for (const v of bad) expect(codeOf(() => encodeAmf3(v as AmfValue))).toBe('AMF_UNENCODABLE');
    const cyclic: AmfValue[] = [];
    cyclic.push(cyclic);
    expect(codeOf(() => encodeAmf3(cyclic))).toBe('AMF_UNENCODABLE');
  });

  it('skips function- and symbol-valued properties', () => {
    const value = { a: 1, f: () => 1, s: Symbol('x') } as unknown as AmfObject;
    expect(decodeAmf3(encodeAmf3(value)).value).toStrictEqual({ a: 1 });
  });
});
