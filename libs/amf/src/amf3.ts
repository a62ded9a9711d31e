/**
 * AMF3 decoder and encoder (Adobe "AMF 3 Specification", amf-file-format-spec).
 *
 * Decoding keeps the three reference tables of §2.2 (strings, objects, traits) for one decode call.
 * Encoding writes string and trait references (never object references: a cyclic value is AMF_UNENCODABLE).
 */
import { AmfError, decodeError, quote, toAmfError } from './errors';
import { CycleGuard, describeValue, encodableKeys, isPlainObject } from './encode-support';
import { resolveAmfLimits, type AmfLimits } from './limits';
import { ByteReader, DecodeBudget, setOwn } from './reader';
import { ByteWriter, utf8Length } from './writer';
import {
  AMF3_MARKER as M,
  AmfAvmPlus,
  AmfEcmaArray,
  AmfTypedObject,
  AmfVector,
  AmfXmlDocument,
  type AmfObject,
  type AmfValue,
} from './types';

/** Largest value a U29 can carry (§1.3.1: "up to 29 bits"). */
const U29_MAX = 0x1fffffff;
/** §3.6 integer type: "a 29-bit signed integer", i.e. -2^28 .. 2^28-1; anything else is a double. */
const INT29_MIN = -0x10000000;
const INT29_MAX = 0x0fffffff;
/** Largest length / count / index that fits in a U29 beside its 1-bit flag. */
const U28_MAX = 0x0fffffff;

/**
 * §3.12: externalizable classes carry a custom body; only these two Flex wrappers are understood. Each wraps
 * exactly one AMF3 value (ArrayCollection: an array, ObjectProxy: an object), which the decoder returns.
 */
const KNOWN_EXTERNALIZABLE = new Set(['flex.messaging.io.ArrayCollection', 'flex.messaging.io.ObjectProxy']);

/** Object-table slot of an externalizable wrapper whose inner value is still being decoded. */
const PENDING: unique symbol = Symbol('amf3-pending');

interface Amf3Traits {
  className: string;
  externalizable: boolean;
  dynamic: boolean;
  sealed: string[];
}

const NO_MEMBERS: string[] = [];

/** Decodes AMF3 values from a ByteReader; one instance = one set of reference tables. */
export class Amf3Decoder {
  private readonly strings: string[] = [];
  private readonly objects: (AmfValue | typeof PENDING)[] = [];
  private readonly traits: Amf3Traits[] = [];

  constructor(
    private readonly r: ByteReader,
    private readonly budget: DecodeBudget,
  ) {}

  /** §3.1: value-type = undefined-marker | null-marker | ... | dictionary-type */
  readValue(): AmfValue {
    const r = this.r;
    const at = r.pos;
    const marker = r.readU8('AMF3 type marker');
    switch (marker) {
      case M.undefined:
        return undefined;
      case M.null:
        return null;
      case M.false:
        return false;
      case M.true:
        return true;
      case M.integer:
        // §3.6: "integer-type = integer-marker U29"; the 29 bits are two's complement, so sign-extend bit 28.
        return (this.readU29('AMF3 integer') << 3) >> 3;
      case M.double:
        return r.readDouble('AMF3 double');
      case M.string:
        return this.readStringVr('AMF3 string');
      case M.xmlDoc:
      case M.xml:
        return this.readXml(at);
      case M.date:
        return this.readDate(at);
      case M.array:
        return this.readArray(at);
      case M.object:
        return this.readObject(at);
      case M.byteArray:
        return this.readByteArray(at);
      case M.vectorInt:
      case M.vectorUint:
      case M.vectorDouble:
        return this.readNumberVector(at, marker);
      case M.vectorObject:
        return this.readObjectVector(at);
      case M.dictionary:
        return this.readDictionary(at);
      default:
        throw decodeError('AMF_UNKNOWN_MARKER', `unknown AMF3 type marker 0x${marker.toString(16).padStart(2, '0')}`, at);
    }
  }

  /**
   * §1.3.1 U29: "the high bit of the first 3 bytes are used as flags to determine whether the next byte is
   * part of the integer"; the 4th byte contributes all 8 bits.
   */
  private readU29(what: string): number {
    const r = this.r;
    let b = r.readU8(what);
    if (b < 0x80) return b;
    let v = (b & 0x7f) << 7;
    b = r.readU8(what);
    if (b < 0x80) return v | b;
    v = (v | (b & 0x7f)) << 7;
    b = r.readU8(what);
    if (b < 0x80) return v | b;
    v = (v | (b & 0x7f)) << 8;
    return v | r.readU8(what);
  }

  /**
   * §1.3.2 UTF-8-vr = U29S-ref | (U29S-value *(UTF8-char)). Low bit 0: string-table index; low bit 1:
   * inline byte length. "The empty String is never sent by reference" (and never enters the table).
   */
  private readStringVr(what: string): string {
    const at = this.r.pos;
    const h = this.readU29(what);
    if ((h & 1) === 0) {
      const idx = h >>> 1;
      if (idx >= this.strings.length) {
        throw decodeError('AMF_BAD_REFERENCE', `${what}: string reference ${idx} but only ${this.strings.length} strings defined`, at);
      }
      return this.strings[idx];
    }
    const len = h >>> 1;
    if (len === 0) return '';
    this.budget.checkString(len, what, at);
    const s = this.r.readUtf8(len, what);
    this.strings.push(s);
    return s;
  }

  /** §2.2 object reference: U29O-ref, index into the object table. */
  private readObjectRef(h: number, what: string, at: number): AmfValue {
    const idx = h >>> 1;
    if (idx >= this.objects.length) {
      throw decodeError('AMF_BAD_REFERENCE', `${what}: object reference ${idx} but only ${this.objects.length} objects defined`, at);
    }
    const v = this.objects[idx];
    if (v === PENDING) {
      throw decodeError('AMF_BAD_REFERENCE', `${what}: reference ${idx} to an externalizable object still being decoded`, at);
    }
    return v;
  }

  /** §3.9 xml-doc-type / §3.13 xml-type = marker (U29O-ref | (U29X-value *(UTF8-char))) */
  private readXml(at: number): AmfValue {
    const h = this.readU29('AMF3 XML header');
    if ((h & 1) === 0) return this.readObjectRef(h, 'AMF3 XML', at);
    const len = h >>> 1;
    this.budget.checkString(len, 'AMF3 XML', at);
    const doc = new AmfXmlDocument(this.r.readUtf8(len, 'AMF3 XML'));
    this.objects.push(doc);
    return doc;
  }

  /** §3.10 date-type = date-marker (U29O-ref | (U29D-value date-time)); date-time is a DOUBLE of ms since epoch, UTC. */
  private readDate(at: number): AmfValue {
    const h = this.readU29('AMF3 date header');
    if ((h & 1) === 0) return this.readObjectRef(h, 'AMF3 date', at);
    const d = new Date(this.r.readDouble('AMF3 date'));
    this.objects.push(d);
    return d;
  }

  /**
   * §3.11 array-type = array-marker (U29O-ref | (U29A-value (UTF-8-empty | *(assoc-value) UTF-8-empty) *(value-type)))
   * U29A-value carries the dense count. Without an associative part: a JS array; with one: an object holding
   * the associative members and the dense items under "0", "1", ...
   */
  private readArray(at: number): AmfValue {
    const { r, budget } = this;
    const h = this.readU29('AMF3 array header');
    if ((h & 1) === 0) return this.readObjectRef(h, 'AMF3 array', at);
    const dense = h >>> 1;
    budget.checkCount(dense, at);
    // Each dense item takes at least one byte, and the associative part at least its empty-string terminator.
    r.need(dense + 1, 'AMF3 array', at);
    budget.enter(at);
    let key = this.readStringVr('AMF3 array key');
    if (key === '') {
      budget.reserve(0, dense, at);
      const arr: AmfValue[] = [];
      this.objects.push(arr);
      for (let i = 0; i < dense; i++) arr.push(this.readValue());
      budget.leave();
      return arr;
    }
    const obj: AmfObject = {};
    this.objects.push(obj);
    let n = 0;
    do {
      budget.reserve(n++, 1, at);
      setOwn(obj, key, this.readValue());
      key = this.readStringVr('AMF3 array key');
    } while (key !== '');
    budget.reserve(n, dense, at);
    for (let i = 0; i < dense; i++) setOwn(obj, String(i), this.readValue());
    budget.leave();
    return obj;
  }

  /**
   * §3.12 object-type = object-marker (U29O-ref | (U29O-traits-ext class-name *(U8)) | U29O-traits-ref |
   *   (U29O-traits class-name *(UTF-8-vr))) *(value-type) *(dynamic-member)
   * Header bits, low first: 1 = inline object (else object ref); 1 = inline traits (else trait ref, index in
   * the remaining bits); 1 = externalizable; 1 = dynamic; remaining bits = sealed member count.
   */
  private readObject(at: number): AmfValue {
    const { r, budget } = this;
    const h = this.readU29('AMF3 object header');
    if ((h & 1) === 0) return this.readObjectRef(h, 'AMF3 object', at);
    let traits: Amf3Traits;
    if ((h & 2) === 0) {
      const idx = h >>> 2;
      if (idx >= this.traits.length) {
        throw decodeError('AMF_BAD_REFERENCE', `AMF3 object: traits reference ${idx} but only ${this.traits.length} traits defined`, at);
      }
      traits = this.traits[idx];
    } else if ((h & 4) !== 0) {
      const className = this.readStringVr('AMF3 class name');
      traits = { className, externalizable: true, dynamic: false, sealed: NO_MEMBERS };
      this.traits.push(traits);
    } else {
      const count = h >>> 4;
      budget.checkCount(count, at);
      r.need(count + 1, 'AMF3 traits', at); // class name + member names, each at least one byte
      const className = this.readStringVr('AMF3 class name');
      const sealed: string[] = [];
      for (let i = 0; i < count; i++) sealed.push(this.readStringVr('AMF3 sealed member name'));
      traits = { className, externalizable: false, dynamic: (h & 8) !== 0, sealed };
      this.traits.push(traits);
    }
    if (traits.externalizable) return this.readExternalizable(traits.className, at);

    budget.enter(at);
    const props: AmfObject = {};
    const value = traits.className === '' ? props : new AmfTypedObject(traits.className, props);
    this.objects.push(value);
    const sealed = traits.sealed;
    budget.reserve(0, sealed.length, at);
    for (let i = 0; i < sealed.length; i++) setOwn(props, sealed[i], this.readValue());
    if (traits.dynamic) {
      // dynamic-member = UTF-8-vr value-type, terminated by UTF-8-empty
      let n = sealed.length;
      for (;;) {
        const key = this.readStringVr('AMF3 dynamic member name');
        if (key === '') break;
        budget.reserve(n++, 1, at);
        setOwn(props, key, this.readValue());
      }
    }
    budget.leave();
    return value;
  }

  private readExternalizable(className: string, at: number): AmfValue {
    if (!KNOWN_EXTERNALIZABLE.has(className)) {
      throw decodeError('AMF_UNSUPPORTED_MARKER', `AMF3 externalizable class ${quote(className)} is not supported`, at);
    }
    this.budget.enter(at);
    const slot = this.objects.length;
    this.objects.push(PENDING);
    const inner = this.readValue();
    this.objects[slot] = inner;
    this.budget.leave();
    return inner;
  }

  /** §3.14 bytearray-type = bytearray-marker (U29O-ref | U29B-value *(U8)) */
  private readByteArray(at: number): AmfValue {
    const h = this.readU29('AMF3 ByteArray header');
    if ((h & 1) === 0) return this.readObjectRef(h, 'AMF3 ByteArray', at);
    const len = h >>> 1;
    const max = this.budget.limits.maxByteArrayLength;
    if (len > max) {
      throw decodeError('AMF_STRING_TOO_LONG', `AMF3 ByteArray of ${len} bytes exceeds maxByteArrayLength ${max}`, at);
    }
    const bytes = this.r.readBytes(len, 'AMF3 ByteArray');
    this.objects.push(bytes);
    return bytes;
  }

  /**
   * §3.15 vector-int-type = vector-int-marker (U29O-ref | (U29V-value fixed-vector *(U32)))
   * (and likewise uint with U32, double with DOUBLE); fixed-vector = U8, 0x00 not fixed, 0x01 fixed.
   */
  private readNumberVector(at: number, marker: number): AmfValue {
    const { r, budget } = this;
    const h = this.readU29('AMF3 vector header');
    if ((h & 1) === 0) return this.readObjectRef(h, 'AMF3 vector', at);
    const count = h >>> 1;
    const fixed = r.readU8('AMF3 vector fixed flag') !== 0;
    const size = marker === M.vectorDouble ? 8 : 4;
    budget.checkCount(count, at);
    r.need(count * size, 'AMF3 vector items', at);
    budget.reserve(0, count, at);
    const items: number[] = new Array<number>(count);
    if (marker === M.vectorInt) {
      for (let i = 0; i < count; i++) items[i] = r.readS32('AMF3 vector item');
    } else if (marker === M.vectorUint) {
      for (let i = 0; i < count; i++) items[i] = r.readU32('AMF3 vector item');
    } else {
      for (let i = 0; i < count; i++) items[i] = r.readDouble('AMF3 vector item');
    }
    const kind = marker === M.vectorInt ? 'int' : marker === M.vectorUint ? 'uint' : 'double';
    const vec = new AmfVector(kind, items, fixed);
    this.objects.push(vec);
    return vec;
  }

  /** §3.15 vector-object-type = vector-object-marker (U29O-ref | (U29V-value fixed-vector object-type-name *(value-type))) */
  private readObjectVector(at: number): AmfValue {
    const { r, budget } = this;
    const h = this.readU29('AMF3 vector header');
    if ((h & 1) === 0) return this.readObjectRef(h, 'AMF3 vector', at);
    const count = h >>> 1;
    const fixed = r.readU8('AMF3 vector fixed flag') !== 0;
    const typeName = this.readStringVr('AMF3 vector type name');
    budget.checkCount(count, at);
    r.need(count, 'AMF3 vector items', at);
    budget.reserve(0, count, at);
    budget.enter(at);
    const items: AmfValue[] = [];
    const vec = new AmfVector('object', items, fixed, typeName);
    this.objects.push(vec);
    for (let i = 0; i < count; i++) items.push(this.readValue());
    budget.leave();
    return vec;
  }

  /** §3.16 dictionary-type = dictionary-marker (U29O-ref | (U29Dict-value weak-keys *(entry-key entry-value))) */
  private readDictionary(at: number): AmfValue {
    const { r, budget } = this;
    const h = this.readU29('AMF3 dictionary header');
    if ((h & 1) === 0) return this.readObjectRef(h, 'AMF3 dictionary', at);
    const count = h >>> 1;
    r.readU8('AMF3 dictionary weak-keys flag'); // weak keys mean nothing outside the AVM
    budget.checkCount(count, at);
    r.need(count * 2, 'AMF3 dictionary entries', at);
    budget.reserve(0, count, at);
    budget.enter(at);
    const map = new Map<AmfValue, AmfValue>();
    this.objects.push(map);
    for (let i = 0; i < count; i++) {
      const key = this.readValue();
      map.set(key, this.readValue());
    }
    budget.leave();
    return map;
  }
}

/**
 * Decodes one AMF3 value starting at `offset`. Returns the value and the offset just past it.
 * Throws only AmfError.
 */
export function decodeAmf3(buf: Uint8Array, offset = 0, limits?: Partial<AmfLimits>): { value: AmfValue; offset: number } {
  try {
    const r = new ByteReader(buf, offset);
    const value = new Amf3Decoder(r, new DecodeBudget(resolveAmfLimits(limits))).readValue();
    return { value, offset: r.pos };
  } catch (err) {
    throw toAmfError(err, 'decodeAmf3');
  }
}

// ---------------------------------------------------------------------------------------------------------
// Encoding

function unencodable(what: string): AmfError {
  return new AmfError('AMF_UNENCODABLE', `AMF3: ${what}`);
}

/**
 * Writes AMF3 values into a ByteWriter. With `references` it emits string and trait references (§2.2);
 * without, every string and trait is inline (used for AMF3 embedded in AMF0, see AmfAvmPlus).
 */
export class Amf3Encoder {
  private readonly strings = new Map<string, number>();
  private readonly traits = new Map<string, number>();

  constructor(
    private readonly w: ByteWriter,
    private readonly references: boolean,
    private readonly guard: CycleGuard,
  ) {}

  writeValue(v: AmfValue): void {
    const w = this.w;
    switch (typeof v) {
      case 'number':
        if (Number.isInteger(v) && v >= INT29_MIN && v <= INT29_MAX && !Object.is(v, -0)) {
          w.writeU8(M.integer);
          this.writeU29(v & U29_MAX);
        } else {
          w.writeU8(M.double);
          w.writeDouble(v);
        }
        return;
      case 'boolean':
        w.writeU8(v ? M.true : M.false);
        return;
      case 'string':
        w.writeU8(M.string);
        this.writeStringVr(v);
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

  /** §1.3.1 U29, 1 to 4 bytes. */
  private writeU29(n: number): void {
    const w = this.w;
    if (n < 0x80) {
      w.writeU8(n);
    } else if (n < 0x4000) {
      w.writeU8((n >>> 7) | 0x80);
      w.writeU8(n & 0x7f);
    } else if (n < 0x200000) {
      w.writeU8((n >>> 14) | 0x80);
      w.writeU8(((n >>> 7) & 0x7f) | 0x80);
      w.writeU8(n & 0x7f);
    } else {
      w.writeU8((n >>> 22) | 0x80);
      w.writeU8(((n >>> 15) & 0x7f) | 0x80);
      w.writeU8(((n >>> 8) & 0x7f) | 0x80);
      w.writeU8(n & 0xff);
    }
  }

  /** An inline U29 header: (length or count << 1) | 1. */
  private writeInlineHeader(n: number, what: string): void {
    if (n > U28_MAX) throw unencodable(`${what} of ${n} exceeds the U29 limit of ${U28_MAX}`);
    this.writeU29((n << 1) | 1);
  }

  /** §1.3.2 UTF-8-vr; the empty string is always inline (0x01). */
  private writeStringVr(s: string): void {
    if (s === '') {
      this.w.writeU8(0x01);
      return;
    }
    if (this.references) {
      const idx = this.strings.get(s);
      if (idx !== undefined) {
        this.writeU29(idx << 1);
        return;
      }
    }
    const len = utf8Length(s);
    this.writeInlineHeader(len, 'string byte length');
    this.w.writeUtf8(s, len);
    if (this.references && this.strings.size < U28_MAX) this.strings.set(s, this.strings.size);
  }

  /** §3.12 traits: a trait reference if this class/member list was written before, else inline traits. */
  private writeTraits(className: string, sealed: string[], dynamic: boolean): void {
    let key: string | undefined;
    if (this.references) {
      key = JSON.stringify([dynamic, className, sealed]);
      const idx = this.traits.get(key);
      if (idx !== undefined) {
        this.writeU29((idx << 2) | 0x01);
        return;
      }
    }
    if (sealed.length > 0x01ffffff) throw unencodable(`${sealed.length} sealed members exceed the U29 limit`);
    this.writeU29((sealed.length << 4) | (dynamic ? 0x0b : 0x03));
    this.writeStringVr(className);
    for (const name of sealed) this.writeStringVr(name);
    if (key !== undefined && this.traits.size < U28_MAX) this.traits.set(key, this.traits.size);
  }

  private writeObjectLike(v: object): void {
    const w = this.w;
    if (v instanceof Date) {
      // §3.10: U29D-value is 1 (inline, remaining bits unused), then ms since epoch as a DOUBLE.
      w.writeU8(M.date);
      w.writeU8(0x01);
      w.writeDouble(v.getTime());
      return;
    }
    if (v instanceof AmfXmlDocument) {
      const len = utf8Length(v.xml);
      w.writeU8(M.xmlDoc);
      this.writeInlineHeader(len, 'XML byte length');
      w.writeUtf8(v.xml, len);
      return;
    }
    if (v instanceof Uint8Array) {
      w.writeU8(M.byteArray);
      this.writeInlineHeader(v.length, 'ByteArray length');
      w.writeBytes(v);
      return;
    }
    this.guard.enter(v, 'AMF3');
    if (Array.isArray(v)) {
      this.writeDenseArray(v);
    } else if (v instanceof AmfEcmaArray) {
      this.writeAssociativeArray(v.entries);
    } else if (v instanceof AmfTypedObject) {
      this.writeTypedObject(v);
    } else if (v instanceof AmfVector) {
      this.writeVector(v);
    } else if (v instanceof Map) {
      this.writeDictionary(v);
    } else if (v instanceof AmfAvmPlus) {
      this.writeValue(v.value);
    } else if (isPlainObject(v)) {
      this.writeAnonymousObject(v);
    } else {
      throw unencodable(`cannot encode ${describeValue(v)}`);
    }
    this.guard.leave(v);
  }

  /** §3.11 with an empty associative part. Holes are written as undefined. */
  private writeDenseArray(arr: AmfValue[]): void {
    this.w.writeU8(M.array);
    this.writeInlineHeader(arr.length, 'array length');
    this.w.writeU8(0x01); // UTF-8-empty: no associative members
    for (let i = 0; i < arr.length; i++) this.writeValue(arr[i]);
  }

  /** §3.11 with only an associative part (AmfEcmaArray). */
  private writeAssociativeArray(entries: AmfObject): void {
    this.w.writeU8(M.array);
    this.w.writeU8(0x01); // dense count 0
    for (const key of encodableKeys(entries)) {
      if (key === '') throw unencodable('an associative array cannot have an empty key (it terminates the list)');
      this.writeStringVr(key);
      this.writeValue(entries[key]);
    }
    this.w.writeU8(0x01);
  }

  /** AmfTypedObject: traits with the class name and every property as a sealed member (not dynamic). */
  private writeTypedObject(obj: AmfTypedObject): void {
    const keys = encodableKeys(obj.properties);
    this.w.writeU8(M.object);
    this.writeTraits(obj.className, keys, false);
    for (const key of keys) this.writeValue(obj.properties[key]);
  }

  /**
   * A plain object: anonymous dynamic object (class name ""), members as dynamic members. A key "" cannot be
   * a dynamic member name (it is the terminator), so it is sent as the one sealed member.
   */
  private writeAnonymousObject(obj: AmfObject): void {
    const keys = encodableKeys(obj);
    const hasEmpty = keys.includes('');
    this.w.writeU8(M.object);
    this.writeTraits('', hasEmpty ? [''] : [], true);
    if (hasEmpty) this.writeValue(obj['']);
    for (const key of keys) {
      if (key === '') continue;
      this.writeStringVr(key);
      this.writeValue(obj[key]);
    }
    this.w.writeU8(0x01);
  }

  /** §3.15 vectors. */
  private writeVector(vec: AmfVector): void {
    const w = this.w;
    const items = vec.items;
    const marker =
      vec.kind === 'int' ? M.vectorInt : vec.kind === 'uint' ? M.vectorUint : vec.kind === 'double' ? M.vectorDouble : vec.kind === 'object' ? M.vectorObject : -1;
    if (marker < 0) throw unencodable(`unknown vector kind ${quote(String(vec.kind))}`);
    w.writeU8(marker);
    this.writeInlineHeader(items.length, 'vector length');
    w.writeU8(vec.fixed ? 0x01 : 0x00);
    if (marker === M.vectorObject) {
      this.writeStringVr(vec.typeName ?? '*');
      for (let i = 0; i < items.length; i++) this.writeValue(items[i]);
      return;
    }
    for (let i = 0; i < items.length; i++) {
      const n = items[i];
      if (typeof n !== 'number') throw unencodable(`${vec.kind} vector item ${i} is not a number`);
      if (marker === M.vectorInt) {
        if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) throw unencodable(`int vector item ${i} (${n}) is not a 32-bit signed integer`);
        w.writeS32(n);
      } else if (marker === M.vectorUint) {
        if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw unencodable(`uint vector item ${i} (${n}) is not a 32-bit unsigned integer`);
        w.writeU32(n);
      } else {
        w.writeDouble(n);
      }
    }
  }

  /** §3.16 dictionary; weak-keys is written as 0x00. */
  private writeDictionary(map: Map<AmfValue, AmfValue>): void {
    this.w.writeU8(M.dictionary);
    this.writeInlineHeader(map.size, 'dictionary size');
    this.w.writeU8(0x00);
    for (const [key, value] of map) {
      this.writeValue(key);
      this.writeValue(value);
    }
  }
}

/**
 * Encodes one value as AMF3. Integers in -2^28..2^28-1 (except -0) use the integer type, other numbers
 * the double type. Strings and traits are written by reference when repeated. Throws only AmfError
 * (AMF_UNENCODABLE for functions, symbols, bigints, class instances, cycles).
 */
export function encodeAmf3(value: AmfValue): Buffer {
  const w = new ByteWriter();
  try {
    new Amf3Encoder(w, true, new CycleGuard()).writeValue(value);
  } catch (err) {
    throw toAmfError(err, 'encodeAmf3');
  }
  return w.finish();
}
