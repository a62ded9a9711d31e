import { decodeAmf0, decodeAmf0Sequence, encodeAmf0 } from './amf0';
import { decodeAmf3, encodeAmf3 } from './amf3';
import { AmfError, type AmfErrorCode } from './errors';
import { DEFAULT_AMF_LIMITS } from './limits';
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

describe('AMF0: real RTMP messages', () => {
  // FFmpeg / OBS connect command (RTMP message type 20), hand-assembled.
  const CONNECT = hex(`
    02 0007 636f6e6e656374                      // string "connect"
    00 3ff0000000000000                         // number 1 (transaction id)
    03                                          // object
      0003 617070                               //   "app"
        02 0004 6c697665                        //     "live"
      0004 74797065                             //   "type"
        02 000a 6e6f6e70726976617465            //     "nonprivate"
      0008 666c617368566572                     //   "flashVer"
        02 001f 464d4c452f332e302028636f6d70617469626c653b20464d53632f312e3029
                                                //     "FMLE/3.0 (compatible; FMSc/1.0)"
      0005 746355726c                           //   "tcUrl"
        02 001a 72746d703a2f2f3132372e302e302e313a313933352f6c697665
                                                //     "rtmp://127.0.0.1:1935/live"
    000009                                      // object end
  `);

  const CONNECT_VALUES: AmfValue[] = [
    'connect',
    1,
    { app: 'live', type: 'nonprivate', flashVer: 'FMLE/3.0 (compatible; FMSc/1.0)', tcUrl: 'rtmp://127.0.0.1:1935/live' },
  ];

  it('decodes an FFmpeg/OBS connect command', () => {
    expect(decodeAmf0Sequence(CONNECT)).toStrictEqual(CONNECT_VALUES);
  });

  it('encodes the connect command to the same bytes', () => {
    expect(encodeAmf0(...CONNECT_VALUES).toString('hex')).toBe(CONNECT.toString('hex'));
  });

  it('decodes value by value with offsets', () => {
    const first = decodeAmf0(CONNECT);
    expect(first).toEqual({ value: 'connect', offset: 10 });
    const second = decodeAmf0(CONNECT, first.offset);
    expect(second).toEqual({ value: 1, offset: 19 });
    const third = decodeAmf0(CONNECT, second.offset);
    expect(third.offset).toBe(CONNECT.length);
    expect((third.value as AmfObject).app).toBe('live');
  });

  // FFmpeg's metadata data message (type 18): @setDataFrame, onMetaData, ECMA array.
  const METADATA = hex(`
    02 000d 40736574446174614672616d65
    02 000a 6f6e4d65746144617461
    08 00000006
      0008 6475726174696f6e 00 0000000000000000
      0005 7769647468 00 4094000000000000
      0006 686569676874 00 4086800000000000
      0009 6672616d6572617465 00 403e000000000000
      000c 766964656f636f6465636964 00 401c000000000000
      0007 656e636f646572 02 000c 4c61766636312e372e313030
    000009
  `);
  const METADATA_OBJECT = { duration: 0, width: 1280, height: 720, framerate: 30, videocodecid: 7, encoder: 'Lavf61.7.100' };

  it('decodes an onMetaData ECMA array to a plain object', () => {
    const values = decodeAmf0Sequence(METADATA);
    expect(values).toStrictEqual(['@setDataFrame', 'onMetaData', METADATA_OBJECT]);
    expect(Object.getPrototypeOf(values[2])).toBe(Object.prototype);
  });

  it('encodes an onMetaData ECMA array from AmfEcmaArray', () => {
    expect(encodeAmf0('@setDataFrame', 'onMetaData', new AmfEcmaArray(METADATA_OBJECT)).toString('hex')).toBe(METADATA.toString('hex'));
  });

  it('does not trust the ECMA array count hint', () => {
    const lying = Buffer.from(METADATA);
    lying.writeUInt32BE(0xffffffff, 30); // the count after "08"
    expect(lying[29]).toBe(0x08);
    expect(decodeAmf0Sequence(lying)[2]).toStrictEqual(METADATA_OBJECT);
    lying.writeUInt32BE(0, 30);
    expect(decodeAmf0Sequence(lying)[2]).toStrictEqual(METADATA_OBJECT);
  });

  it('switches to AMF3 for one value after the avmplus-object marker 0x11 (type-17 command)', () => {
    const bytes = hex(`
      02 0007 636f6e6e656374
      00 3ff0000000000000
      11 0a 0b 01 07 617070 06 09 6c697665 01
      05
      11 06 00
    `);
    // 0x11 then AMF3 {app: "live"}; null; 0x11 then AMF3 string reference 0 ("app": one AMF3 string table per decode call)
    expect(decodeAmf0Sequence(bytes)).toStrictEqual(['connect', 1, { app: 'live' }, null, 'app']);
  });

  it('switches to AMF3 inside an AMF0 object', () => {
    expect(decodeAmf0(hex('03 0001 78 11 04 05 0001 79 05 000009')).value).toStrictEqual({ x: 5, y: null });
  });
});

describe('AMF0: decoding details', () => {
  it('decodes every NaN bit pattern as NaN (and always encodes the canonical one)', () => {
    for (const bits of ['7ff0000000000001', 'fff8000000000000', '7fffffffffffffff']) {
      expect(decodeAmf0(hex(`00 ${bits}`)).value).toBeNaN();
    }
    expect(encodeAmf0(-NaN).toString('hex')).toBe('007ff8000000000000');
  });

  it('reads any non-zero boolean byte as true', () => {
    expect(decodeAmf0(hex('01 02')).value).toBe(true);
  });

  it('ignores the date time-zone', () => {
    expect(decodeAmf0(hex('0b 4278bcfe56800000 01e0')).value).toStrictEqual(new Date(1700000000000));
  });

  it('decodes the unsupported marker 0x0D as undefined', () => {
    expect(decodeAmf0Sequence(hex('0d 05'))).toStrictEqual([undefined, null]);
  });

  it('rejects movieclip 0x04 and recordset 0x0E as unsupported', () => {
    expect(codeOf(() => decodeAmf0(hex('04')))).toBe('AMF_UNSUPPORTED_MARKER');
    expect(codeOf(() => decodeAmf0(hex('0e')))).toBe('AMF_UNSUPPORTED_MARKER');
  });

  it('rejects markers beyond 0x11 as unknown', () => {
    expect(codeOf(() => decodeAmf0(hex('12')))).toBe('AMF_UNKNOWN_MARKER');
    expect(codeOf(() => decodeAmf0(hex('ff')))).toBe('AMF_UNKNOWN_MARKER');
  });

  it('decodes references to earlier complex objects, sharing identity', () => {
    // strict array (ref 0) of [object (ref 1), reference 1]
    const value = decodeAmf0(hex('0a 00000002 03 0001 61 00 3ff0000000000000 000009 07 0001')).value as AmfValue[];
    expect(value).toStrictEqual([{ a: 1 }, { a: 1 }]);
    expect(value[1]).toBe(value[0]);
  });

  it('decodes a self-reference as a cycle', () => {
    const value = decodeAmf0(hex('03 0004 73656c66 07 0000 000009')).value as AmfObject;
    expect(value.self).toBe(value);
  });

  it('counts typed objects and ECMA arrays in the reference table', () => {
    const bytes = hex('0a 00000003  10 0001 50 000009  08 00000000 000009  07 0002');
    const value = decodeAmf0(bytes).value as AmfValue[];
    expect(value[0]).toStrictEqual(new AmfTypedObject('P', {}));
    expect(value[2]).toBe(value[1]);
  });

  it('references span the values of one sequence', () => {
    const values = decodeAmf0Sequence(hex('03 0001 61 05 000009  07 0000'));
    expect(values[1]).toBe(values[0]);
  });

  it('accepts a property named "" followed by a value', () => {
    expect(decodeAmf0(hex('03 0000 05 0001 61 06 000009')).value).toStrictEqual({ '': null, a: undefined });
  });

  it('decodes invalid UTF-8 leniently as U+FFFD', () => {
    expect(decodeAmf0(hex('02 0002 ff61')).value).toBe('\ufffda');
  });

  it('decodes an XML document', () => {
    expect(decodeAmf0(hex('0f 00000004 3c612f3e')).value).toStrictEqual(new AmfXmlDocument('<a/>'));
  });
});

describe('AMF0: hostile input', () => {
  it('rejects a strict array claiming 2^32-1 elements without allocating', () => {
    const bytes = hex('0a ffffffff 05');
    const start = process.hrtime.bigint();
    expect(codeOf(() => decodeAmf0(bytes))).toBe('AMF_TOO_MANY_ELEMENTS');
    // Even with no element limit the count is checked against the remaining bytes first.
    expect(codeOf(() => decodeAmf0(bytes, 0, { maxElements: Infinity, maxTotalElements: Infinity }))).toBe('AMF_TRUNCATED');
    expect(Number(process.hrtime.bigint() - start) / 1e6).toBeLessThan(50);
  });

  it('rejects string lengths beyond the input', () => {
    expect(codeOf(() => decodeAmf0(hex('02 ffff 61')))).toBe('AMF_TRUNCATED');
    expect(codeOf(() => decodeAmf0(hex('0c 00000005 61')))).toBe('AMF_TRUNCATED');
    expect(codeOf(() => decodeAmf0(hex('0f 00000005 61')))).toBe('AMF_TRUNCATED');
    expect(codeOf(() => decodeAmf0(hex('03 0005 61')))).toBe('AMF_TRUNCATED');
  });

  it('rejects strings over maxStringLength before reading them', () => {
    expect(codeOf(() => decodeAmf0(hex('0c 7fffffff 61')))).toBe('AMF_STRING_TOO_LONG');
    expect(codeOf(() => decodeAmf0(hex('02 0003 616263'), 0, { maxStringLength: 2 }))).toBe('AMF_STRING_TOO_LONG');
    expect(codeOf(() => decodeAmf0(hex('03 0003 616263 05 000009'), 0, { maxStringLength: 2 }))).toBe('AMF_STRING_TOO_LONG');
    expect(codeOf(() => decodeAmf0(hex('0c 7fffffff 61'), 0, { maxStringLength: Infinity }))).toBe('AMF_TRUNCATED');
  });

  it.each([
    ['objects', '03 0001 61'],
    ['ECMA arrays', '08 00000001 0001 61'],
    ['strict arrays', '0a 00000001'],
    ['typed objects', '10 0001 54 0001 61'],
  ])('fails fast on 10,000 nested %s with AMF_DEPTH_EXCEEDED', (_name, level) => {
    const bytes = hex(level.repeat(10000));
    const start = process.hrtime.bigint();
    const err = errorOf(() => decodeAmf0(bytes));
    expect(err.code).toBe('AMF_DEPTH_EXCEEDED');
    expect(Number(process.hrtime.bigint() - start) / 1e6).toBeLessThan(50);
  });

  it('allows exactly maxDepth levels', () => {
    const nested = (depth: number): Buffer => hex('0a 00000001'.repeat(depth) + '05');
    expect(() => decodeAmf0(nested(DEFAULT_AMF_LIMITS.maxDepth))).not.toThrow();
    expect(codeOf(() => decodeAmf0(nested(DEFAULT_AMF_LIMITS.maxDepth + 1)))).toBe('AMF_DEPTH_EXCEEDED');
    expect(codeOf(() => decodeAmf0(nested(3), 0, { maxDepth: 2 }))).toBe('AMF_DEPTH_EXCEEDED');
  });

  it('turns a stack overflow (maxDepth raised past what the stack allows) into AMF_DEPTH_EXCEEDED', () => {
    const bytes = hex('0a 00000001'.repeat(200000) + '05');
    expect(codeOf(() => decodeAmf0(bytes, 0, { maxDepth: Infinity, maxTotalElements: Infinity }))).toBe('AMF_DEPTH_EXCEEDED');
  });

  it('counts depth across an AMF0 -> AMF3 switch', () => {
    const bytes = hex('03 0001 61'.repeat(20) + '11' + '09 03 01'.repeat(20) + '01');
    expect(codeOf(() => decodeAmf0(bytes))).toBe('AMF_DEPTH_EXCEEDED');
  });

  it('rejects the object-end marker where a value is expected', () => {
    expect(codeOf(() => decodeAmf0(hex('09')))).toBe('AMF_INVALID');
    expect(codeOf(() => decodeAmf0Sequence(hex('05 000009')))).toBe('AMF_TRUNCATED'); // 00 = number, needs 8 bytes
    expect(codeOf(() => decodeAmf0(hex('0a 00000001 09')))).toBe('AMF_INVALID');
    expect(codeOf(() => decodeAmf0(hex('03 0001 61 09 000009')))).toBe('AMF_INVALID');
  });

  it('rejects references to objects not decoded yet', () => {
    expect(codeOf(() => decodeAmf0(hex('07 0000')))).toBe('AMF_BAD_REFERENCE');
    expect(codeOf(() => decodeAmf0(hex('0a 00000001 07 0001')))).toBe('AMF_BAD_REFERENCE');
    expect(codeOf(() => decodeAmf0Sequence(hex('05 07 0000')))).toBe('AMF_BAD_REFERENCE');
  });

  it('keeps a "__proto__" key as an own property and never changes a prototype', () => {
    const objectBytes = hex('03 0009 5f5f70726f746f5f5f 03 0008 706f6c6c75746564 01 01 000009 000009');
    const ecmaBytes = hex('08 00000001 0009 5f5f70726f746f5f5f 03 0008 706f6c6c75746564 01 01 000009 000009');
    const typedBytes = hex('10 0001 54 0009 5f5f70726f746f5f5f 03 0008 706f6c6c75746564 01 01 000009 000009');
    for (const bytes of [objectBytes, ecmaBytes]) {
      const value = decodeAmf0(bytes).value as AmfObject;
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(Object.keys(value)).toEqual(['__proto__']);
      expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toStrictEqual({ polluted: true });
      expect((value as { polluted?: unknown }).polluted).toBeUndefined();
    }
    const typed = decodeAmf0(typedBytes).value as AmfTypedObject;
    expect(Object.getPrototypeOf(typed.properties)).toBe(Object.prototype);
    expect(Object.keys(typed.properties)).toEqual(['__proto__']);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('keeps keys named like Object.prototype members as plain own properties', () => {
    const value: AmfObject = { constructor: { a: 1 }, toString: 'x', hasOwnProperty: null, valueOf: [1] };
    for (const decoded of [decodeAmf0(encodeAmf0(value)).value, decodeAmf3(encodeAmf3(value)).value] as AmfObject[]) {
      expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
      expect(Object.keys(decoded)).toEqual(['constructor', 'toString', 'hasOwnProperty', 'valueOf']);
      expect(decoded.constructor).toEqual({ a: 1 });
      expect(decoded.toString).toBe('x');
      expect(decoded.hasOwnProperty).toBeNull();
      expect(decoded.valueOf).toEqual([1]);
    }
  });

  it('enforces maxElements per container and maxTotalElements per call', () => {
    const obj3 = hex('03 0001 61 05 0001 62 05 0001 63 05 000009');
    expect(codeOf(() => decodeAmf0(obj3, 0, { maxElements: 2 }))).toBe('AMF_TOO_MANY_ELEMENTS');
    expect(() => decodeAmf0(obj3, 0, { maxElements: 3 })).not.toThrow();
    const arr = hex('0a 00000003 05 05 05');
    expect(codeOf(() => decodeAmf0(arr, 0, { maxElements: 2 }))).toBe('AMF_TOO_MANY_ELEMENTS');
    const twoArrays = hex('0a 00000002 0a 00000002 05 05 0a 00000002 05 05');
    expect(codeOf(() => decodeAmf0(twoArrays, 0, { maxTotalElements: 5 }))).toBe('AMF_TOO_MANY_ELEMENTS');
    expect(() => decodeAmf0(twoArrays, 0, { maxTotalElements: 6 })).not.toThrow();
    expect(codeOf(() => decodeAmf0Sequence(Buffer.concat([obj3, obj3]), 0, { maxTotalElements: 5 }))).toBe('AMF_TOO_MANY_ELEMENTS');
  });

  it('reports what went wrong and the byte offset', () => {
    const err = errorOf(() => decodeAmf0Sequence(hex('05 05 03 0001 61 07 0009 000009')));
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('AmfError');
    expect(err.code).toBe('AMF_BAD_REFERENCE');
    expect(err.offset).toBe(6);
    expect(err.message).toMatch(/reference 9 .* at byte offset 6$/);
    expect(errorOf(() => decodeAmf0(hex('02 0005 6162'))).message).toMatch(/truncated.*at byte offset 3$/);
  });

  it('rejects bad arguments with AMF_INVALID', () => {
    expect(codeOf(() => decodeAmf0(hex('05'), 2))).toBe('AMF_INVALID');
    expect(codeOf(() => decodeAmf0(hex('05'), -1))).toBe('AMF_INVALID');
    expect(codeOf(() => decodeAmf0(hex('05'), 0.5))).toBe('AMF_INVALID');
    expect(codeOf(() => decodeAmf0('05' as unknown as Uint8Array))).toBe('AMF_INVALID');
    expect(codeOf(() => decodeAmf0(hex('05'), 0, { maxDepth: -1 }))).toBe('AMF_INVALID');
    expect(codeOf(() => decodeAmf0(hex('05'), 0, { maxDepth: NaN }))).toBe('AMF_INVALID');
  });

  it('decodes an empty sequence and reports truncation at the end of the input', () => {
    expect(decodeAmf0Sequence(hex(''))).toEqual([]);
    expect(decodeAmf0Sequence(hex('05 05'), 2)).toEqual([]);
    expect(codeOf(() => decodeAmf0(hex('')))).toBe('AMF_TRUNCATED');
  });
});

describe('AMF0: encoding details', () => {
  it('concatenates values and encodes nothing as an empty buffer', () => {
    expect(encodeAmf0().length).toBe(0);
    expect(encodeAmf0(null, undefined, true).toString('hex')).toBe('050601' + '01');
  });

  it('skips function- and symbol-valued properties but keeps undefined', () => {
    const value = { a: 1, f: () => 1, s: Symbol('x'), u: undefined } as unknown as AmfObject;
    expect(encodeAmf0(value).toString('hex')).toBe(hex('03 0001 61 00 3ff0000000000000 0001 75 06 000009').toString('hex'));
    expect(encodeAmf0(new AmfEcmaArray(value)).subarray(0, 5).toString('hex')).toBe('0800000002');
  });

  it('writes holes in arrays as undefined', () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(encodeAmf0([1, , 2] as AmfValue[]).toString('hex')).toBe(hex('0a 00000003 00 3ff0000000000000 06 00 4000000000000000').toString('hex'));
  });

  it('writes lone surrogates as U+FFFD, with the length prefix counting the bytes written', () => {
    expect(encodeAmf0('\ud800').toString('hex')).toBe('020003efbfbd');
    expect(encodeAmf0('a\udc00'.repeat(20)).readUInt16BE(1)).toBe(80);
    expect(decodeAmf0(encodeAmf0('x\ud800'.repeat(40))).value).toBe('x\ufffd'.repeat(40));
  });

  it('encodes an invalid Date as NaN milliseconds', () => {
    expect(encodeAmf0(new Date(NaN)).toString('hex')).toBe('0b7ff80000000000000000');
    expect(Number.isNaN((decodeAmf0(encodeAmf0(new Date(NaN))).value as Date).getTime())).toBe(true);
  });

  it('rejects property names and class names longer than 0xFFFF bytes', () => {
    expect(codeOf(() => encodeAmf0({ ['k'.repeat(0x10000)]: 1 }))).toBe('AMF_UNENCODABLE');
    expect(codeOf(() => encodeAmf0(new AmfTypedObject('C'.repeat(0x10000), {})))).toBe('AMF_UNENCODABLE');
    expect(() => encodeAmf0({ ['k'.repeat(0xffff)]: 1 })).not.toThrow();
  });

  it('rejects values with no AMF0 form', () => {
    const bad: unknown[] = [new Map(), new Uint8Array(1), new AmfVector('int', []), 1n, Symbol('s'), () => 1, new (class Foo {})(), /re/, [() => 1]];
    for (const v of bad) expect(codeOf(() => encodeAmf0(v as AmfValue))).toBe('AMF_UNENCODABLE');
    expect(errorOf(() => encodeAmf0(new Map())).message).toMatch(/AmfAvmPlus/);
  });

  it('wraps AMF3-only values with AmfAvmPlus, written without AMF3 references', () => {
    const bytes = encodeAmf0(new AmfAvmPlus(['ab', 'ab']), new AmfAvmPlus(new AmfVector('int', [1])));
    expect(bytes.toString('hex')).toBe(hex('11 09 05 01 06 05 6162 06 05 6162  11 0d 03 00 00000001').toString('hex'));
    expect(decodeAmf0Sequence(bytes)).toStrictEqual([['ab', 'ab'], new AmfVector('int', [1])]);
  });

  it('rejects cycles but encodes shared (acyclic) objects twice', () => {
    const cyclic: AmfObject = {};
    cyclic.self = cyclic;
    expect(codeOf(() => encodeAmf0(cyclic))).toBe('AMF_UNENCODABLE');
    const shared = { a: 1 };
    expect(decodeAmf0(encodeAmf0([shared, shared])).value).toStrictEqual([{ a: 1 }, { a: 1 }]);
  });

  it('turns a stack overflow on absurdly deep input into AMF_DEPTH_EXCEEDED', () => {
    let deep: AmfValue = null;
    for (let i = 0; i < 200000; i++) deep = [deep];
    expect(codeOf(() => encodeAmf0(deep))).toBe('AMF_DEPTH_EXCEEDED');
  });

  it('grows its buffer for large output', () => {
    const big = Array.from({ length: 5000 }, (_, i) => ({ i, s: `item-${i}` }));
    expect(decodeAmf0(encodeAmf0(big), 0, { maxTotalElements: Infinity, maxElements: Infinity }).value).toStrictEqual(big);
  });

  it('encodes null-prototype objects as anonymous objects', () => {
    const o = Object.create(null) as AmfObject;
    o.a = true;
    expect(encodeAmf0(o).toString('hex')).toBe(hex('03 0001 61 01 01 000009').toString('hex'));
  });
});
