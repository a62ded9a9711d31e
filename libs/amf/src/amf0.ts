/**
 * AMF0 decoder and encoder (Adobe "Action Message Format -- AMF 0", amf0-file-format-specification).
 *
 * Decoding keeps one reference table (§2.9) per decode call; decodeAmf0Sequence is one call, so a
 * reference in a later value of an RTMP command may point at an object of an earlier value.
 * avmplus-object-marker (0x11, §3.1) switches to AMF3 for exactly one value; all 0x11 values of one decode
 * call share one set of AMF3 reference tables.
 */
import { AmfError, decodeError, toAmfError } from './errors';
import { Amf3Decoder, Amf3Encoder } from './amf3';
import { CycleGuard, describeValue, encodableKeys, isPlainObject } from './encode-support';
import { resolveAmfLimits, type AmfLimits } from './limits';
import { ByteReader, DecodeBudget, setOwn } from './reader';
import {
  AMF0_MARKER as M,
  AmfAvmPlus,
  AmfEcmaArray,
  AmfTypedObject,
  AmfVector,
  AmfXmlDocument,
  type AmfObject,
  type AmfValue,
} from './types';
import { ByteWriter, utf8Length } from './writer';

/** Decodes AMF0 values from a ByteReader; one instance = one reference table. */
class Amf0Decoder {
  /** §2.9: "complex objects" (anonymous objects, typed objects, ECMA arrays, strict arrays) in order of appearance. */
  private readonly refs: AmfValue[] = [];
  private amf3: Amf3Decoder | undefined;

  constructor(
    private readonly r: ByteReader,
    private readonly budget: DecodeBudget,
  ) {}

  /** §2.1: value-type = number-type | boolean-type | string-type | ... | typed-object | avmplus-object */
  readValue(): AmfValue {
    const r = this.r;
    const at = r.pos;
    const marker = r.readU8('AMF0 type marker');
    switch (marker) {
      case M.number:
        // §2.2 number-type = number-marker DOUBLE
        return r.readDouble('AMF0 number');
      case M.boolean:
        // §2.3 boolean-type = boolean-marker U8 ; 0 is false, <> 0 is true
        return r.readU8('AMF0 boolean') !== 0;
      case M.string:
        // §2.4 string-type = string-marker UTF-8 (U16 byte length)
        return this.readUtf8(r.readU16('AMF0 string length'), 'AMF0 string', at);
      case M.object:
        return this.readAnonymousObject(at);
      case M.movieclip:
        // §2.6: "This type is not supported and is reserved for future use."
        throw decodeError('AMF_UNSUPPORTED_MARKER', 'AMF0 movieclip marker (0x04) is reserved and not supported', at);
      case M.null:
        return null;
      case M.undefined:
        return undefined;
      case M.reference:
        return this.readReference(at);
      case M.ecmaArray:
        return this.readEcmaArray(at);
      case M.objectEnd:
        // §2.11: the object-end marker only terminates object properties.
        throw decodeError('AMF_INVALID', 'AMF0 object-end marker (0x09) where a value was expected', at);
      case M.strictArray:
        return this.readStrictArray(at);
      case M.date: {
        // §2.13 date-type = date-marker DOUBLE time-zone; time-zone = S16, "reserved, not supported"
        const ms = r.readDouble('AMF0 date');
        r.readS16('AMF0 date time-zone');
        return new Date(ms);
      }
      case M.longString:
        // §2.14 long-string-type = long-string-marker UTF-8-long (U32 byte length)
        return this.readUtf8(r.readU32('AMF0 long string length'), 'AMF0 long string', at);
      case M.unsupported:
        // §2.15: "If a type cannot be serialized a special unsupported marker can be used"
        return undefined;
      case M.recordset:
        // §2.16: "This type is not supported and is reserved for future use."
        throw decodeError('AMF_UNSUPPORTED_MARKER', 'AMF0 recordset marker (0x0E) is reserved and not supported', at);
      case M.xmlDocument:
        // §2.17 xml-document-type = xml-document-marker UTF-8-long
        return new AmfXmlDocument(this.readUtf8(r.readU32('AMF0 XML document length'), 'AMF0 XML document', at));
      case M.typedObject:
        return this.readTypedObject(at);
      case M.avmplusObject:
        // §3.1 AVM+ Type Marker: the following value is AMF3 encoded.
        this.amf3 ??= new Amf3Decoder(r, this.budget);
        return this.amf3.readValue();
      default:
        throw decodeError('AMF_UNKNOWN_MARKER', `unknown AMF0 type marker 0x${marker.toString(16).padStart(2, '0')}`, at);
    }
  }

  private readUtf8(len: number, what: string, at: number): string {
    this.budget.checkString(len, what, at);
    return this.r.readUtf8(len, what);
  }

  /**
   * §2.5 object-property = (UTF-8 value-type) | (UTF-8-empty object-end-marker), repeated until the
   * empty name followed by 0x09. An empty name followed by any other marker is a property named "".
   */
  private readProperties(target: AmfObject, at: number): void {
    const { r, budget } = this;
    let n = 0;
    for (;;) {
      const keyAt = r.pos;
      const len = r.readU16('AMF0 property name length');
      if (len === 0) {
        r.need(1, 'AMF0 object-end marker or value');
        if (r.bytes[r.pos] === M.objectEnd) {
          r.pos++;
          return;
        }
      }
      const key = this.readUtf8(len, 'AMF0 property name', keyAt);
      budget.reserve(n++, 1, at);
      setOwn(target, key, this.readValue());
    }
  }

  /** §2.5 anonymous-object-type = object-marker *(object-property) */
  private readAnonymousObject(at: number): AmfValue {
    this.budget.enter(at);
    const obj: AmfObject = {};
    this.refs.push(obj);
    this.readProperties(obj, at);
    this.budget.leave();
    return obj;
  }

  /**
   * §2.10 ecma-array-type = ecma-array-marker associative-count *(object-property)
   * The count is only a hint (encoders get it wrong); properties run until the object-end marker.
   */
  private readEcmaArray(at: number): AmfValue {
    this.r.readU32('AMF0 ECMA array count');
    this.budget.enter(at);
    const obj: AmfObject = {};
    this.refs.push(obj);
    this.readProperties(obj, at);
    this.budget.leave();
    return obj;
  }

  /** §2.18 object-type = typed-object-marker class-name *(object-property) */
  private readTypedObject(at: number): AmfValue {
    const className = this.readUtf8(this.r.readU16('AMF0 class name length'), 'AMF0 class name', at);
    this.budget.enter(at);
    const props: AmfObject = {};
    const obj = new AmfTypedObject(className, props);
    this.refs.push(obj);
    this.readProperties(props, at);
    this.budget.leave();
    return obj;
  }

  /** §2.12 strict-array-type = array-count *(value-type); array-count = U32 */
  private readStrictArray(at: number): AmfValue {
    const { r, budget } = this;
    const count = r.readU32('AMF0 strict array count');
    // Checked before allocating: the limit, then one byte per element at least.
    budget.checkCount(count, at);
    r.need(count, 'AMF0 strict array elements', at);
    budget.reserve(0, count, at);
    budget.enter(at);
    const arr: AmfValue[] = [];
    this.refs.push(arr);
    for (let i = 0; i < count; i++) arr.push(this.readValue());
    budget.leave();
    return arr;
  }

  /** §2.9 reference-type = reference-marker U16, an index into the complex objects decoded so far. */
  private readReference(at: number): AmfValue {
    const idx = this.r.readU16('AMF0 reference');
    if (idx >= this.refs.length) {
      throw decodeError('AMF_BAD_REFERENCE', `AMF0 reference ${idx} but only ${this.refs.length} complex objects defined`, at);
    }
    return this.refs[idx];
  }
}

/**
 * Decodes one AMF0 value starting at `offset`. Returns the value and the offset just past it.
 * Objects and ECMA arrays become plain objects; a 0x11 marker decodes the next value as AMF3.
 * Throws only AmfError.
 */
export function decodeAmf0(buf: Uint8Array, offset = 0, limits?: Partial<AmfLimits>): { value: AmfValue; offset: number } {
  try {
    const r = new ByteReader(buf, offset);
    const value = new Amf0Decoder(r, new DecodeBudget(resolveAmfLimits(limits))).readValue();
    return { value, offset: r.pos };
  } catch (err) {
    throw toAmfError(err, 'decodeAmf0');
  }
}

/**
 * Decodes AMF0 values from `offset` to the end of `buf` (the body of an RTMP command / data message,
 * types 20 and 18; for types 17 and 15 skip the leading format byte first). One decode call: limits and
 * reference tables span the whole sequence. Throws only AmfError.
 */
export function decodeAmf0Sequence(buf: Uint8Array, offset = 0, limits?: Partial<AmfLimits>): AmfValue[] {
  try {
    const r = new ByteReader(buf, offset);
    const decoder = new Amf0Decoder(r, new DecodeBudget(resolveAmfLimits(limits)));
    const values: AmfValue[] = [];
    while (r.pos < r.end) values.push(decoder.readValue());
    return values;
  } catch (err) {
    throw toAmfError(err, 'decodeAmf0Sequence');
  }
}

// ---------------------------------------------------------------------------------------------------------
// Encoding

function unencodable(what: string): AmfError {
  return new AmfError('AMF_UNENCODABLE', `AMF0: ${what}`);
}

const OBJECT_END = [0x00, 0x00, M.objectEnd] as const;

/** Writes AMF0 values into a ByteWriter (never writes references). */
class Amf0Encoder {
  private amf3: Amf3Encoder | undefined;

  constructor(
    private readonly w: ByteWriter,
    private readonly guard: CycleGuard,
  ) {}

  writeValue(v: AmfValue): void {
    const w = this.w;
    switch (typeof v) {
      case 'number':
        w.writeU8(M.number);
        w.writeDouble(v);
        return;
      case 'boolean':
        w.writeU8(M.boolean);
        w.writeU8(v ? 1 : 0);
        return;
      case 'string':
        this.writeString(v);
        return;
      case 'undefined':
        w.writeU8(M.undefined);
        return;
      case 'object':
        if (v === null) w.writeU8(M.null);
        else this.writeObjectLike(v);
        return;
      default:
        throw unencodable(`cannot encode a ${typeof v}`);
    }
  }

  /** §2.4 string-type when the UTF-8 fits a U16 length, else §2.14 long-string-type. */
  private writeString(s: string): void {
    const w = this.w;
    const len = utf8Length(s);
    if (len <= 0xffff) {
      w.writeU8(M.string);
      w.writeU16(len);
    } else if (len <= 0xffffffff) {
      w.writeU8(M.longString);
      w.writeU32(len);
    } else {
      throw unencodable(`string of ${len} bytes exceeds the U32 length limit`);
    }
    w.writeUtf8(s, len);
  }

  /** §1.3 UTF-8 = U16 *(UTF8-char): property names and class names. */
  private writeShortUtf8(s: string, what: string): void {
    const len = utf8Length(s);
    if (len > 0xffff) throw unencodable(`${what} of ${len} bytes exceeds the U16 length limit`);
    this.w.writeU16(len);
    this.w.writeUtf8(s, len);
  }

  private writeObjectLike(v: object): void {
    const w = this.w;
    if (v instanceof Date) {
      // §2.13: time-zone "should be set to 0x0000"
      w.writeU8(M.date);
      w.writeDouble(v.getTime());
      w.writeS16(0);
      return;
    }
    if (v instanceof AmfXmlDocument) {
      const len = utf8Length(v.xml);
      if (len > 0xffffffff) throw unencodable(`XML document of ${len} bytes exceeds the U32 length limit`);
      w.writeU8(M.xmlDocument);
      w.writeU32(len);
      w.writeUtf8(v.xml, len);
      return;
    }
    if (v instanceof AmfAvmPlus) {
      // §3.1: avmplus-object-marker, then one AMF3 value, written without references (see AmfAvmPlus).
      w.writeU8(M.avmplusObject);
      this.amf3 ??= new Amf3Encoder(w, false, this.guard);
      this.amf3.writeValue(v.value);
      return;
    }
    if (v instanceof Uint8Array || v instanceof Map || v instanceof AmfVector) {
      throw unencodable(`${describeValue(v)} has no AMF0 form; wrap it in AmfAvmPlus to send it as AMF3`);
    }
    this.guard.enter(v, 'AMF0');
    if (Array.isArray(v)) {
      // §2.12 strict array; holes are written as undefined.
      w.writeU8(M.strictArray);
      w.writeU32(v.length);
      for (let i = 0; i < v.length; i++) this.writeValue(v[i]);
    } else if (v instanceof AmfEcmaArray) {
      // §2.10: associative-count is the number of properties written.
      const keys = encodableKeys(v.entries);
      w.writeU8(M.ecmaArray);
      w.writeU32(keys.length);
      this.writeProperties(v.entries, keys);
    } else if (v instanceof AmfTypedObject) {
      w.writeU8(M.typedObject);
      this.writeShortUtf8(v.className, 'class name');
      this.writeProperties(v.properties, encodableKeys(v.properties));
    } else if (isPlainObject(v)) {
      w.writeU8(M.object);
      this.writeProperties(v, encodableKeys(v));
    } else {
      throw unencodable(`cannot encode ${describeValue(v)}`);
    }
    this.guard.leave(v);
  }

  /** §2.5 *(object-property) then UTF-8-empty object-end-marker */
  private writeProperties(obj: AmfObject, keys: string[]): void {
    for (const key of keys) {
      this.writeShortUtf8(key, 'property name');
      this.writeValue(obj[key]);
    }
    for (const b of OBJECT_END) this.w.writeU8(b);
  }
}

/**
 * Encodes the values as consecutive AMF0 values (e.g. an RTMP command: name, transaction id, command
 * object, arguments). Numbers are doubles; strings whose UTF-8 exceeds 65535 bytes are long strings; arrays
 * are strict arrays; AmfEcmaArray is an ECMA array; plain objects are anonymous objects (function- and
 * symbol-valued properties skipped). Uint8Array, Map and AmfVector have no AMF0 form: AMF_UNENCODABLE
 * unless wrapped in AmfAvmPlus. Throws only AmfError.
 */
export function encodeAmf0(...values: AmfValue[]): Buffer {
  const w = new ByteWriter();
  try {
    const enc = new Amf0Encoder(w, new CycleGuard());
    for (const v of values) enc.writeValue(v);
  } catch (err) {
    throw toAmfError(err, 'encodeAmf0');
  }
  return w.finish();
}
