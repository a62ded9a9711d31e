/**
 * Bounds-checked big-endian reads over a caller's Uint8Array (no copy), plus the per-decode-call budget
 * (depth, element counts) shared by the AMF0 and AMF3 decoders.
 */
import { AmfError, decodeError } from './errors';
import type { AmfLimits } from './limits';

/** Strings up to this many bytes are decoded in JavaScript when they are ASCII. */
const SHORT_STRING = 32;

export class ByteReader {
  /** Current read position, relative to `bytes`. */
  pos: number;
  readonly end: number;
  private readonly view: DataView;
  private textView: Buffer | undefined;

  constructor(
    readonly bytes: Uint8Array,
    offset: number,
  ) {
    if (!(bytes instanceof Uint8Array) && Object.prototype.toString.call(bytes) !== '[object Uint8Array]') {
      throw new AmfError('AMF_INVALID', 'AMF input must be a Uint8Array');
    }
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > bytes.length) {
      throw new AmfError('AMF_INVALID', `AMF offset ${String(offset)} is outside the input (length ${bytes.length})`);
    }
    this.pos = offset;
    this.end = bytes.length;
    // Views over the same memory (no copy): DataView for numbers, a Buffer (made on first use) for UTF-8.
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private get text(): Buffer {
    return (this.textView ??= Buffer.isBuffer(this.bytes)
      ? this.bytes
      : Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength));
  }

  /** Throws AMF_TRUNCATED unless `n` bytes remain. `at` is the offset reported (start of the item). */
  need(n: number, what: string, at = this.pos): void {
    if (n > this.end - this.pos) {
      throw decodeError('AMF_TRUNCATED', `truncated input: ${what} needs ${n} bytes, ${this.end - this.pos} remain`, at);
    }
  }

  readU8(what: string): number {
    if (this.pos >= this.end) throw decodeError('AMF_TRUNCATED', `truncated input: ${what} needs 1 byte, 0 remain`, this.pos);
    return this.bytes[this.pos++];
  }

  readU16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  readS16(what: string): number {
    this.need(2, what);
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }

  readU32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  readS32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  readDouble(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  /** Reads `len` bytes as UTF-8 (malformed sequences become U+FFFD). The caller checked limits. */
  readUtf8(len: number, what: string): string {
    if (len === 0) return '';
    this.need(len, what);
    const start = this.pos;
    this.pos += len;
    if (len <= SHORT_STRING) {
      // Keys and command names are short ASCII: building them directly beats a native call.
      const bytes = this.bytes;
      let s = '';
      for (let i = start; i < start + len; i++) {
        const b = bytes[i];
        if (b >= 0x80) return this.text.toString('utf8', start, start + len);
        s += String.fromCharCode(b);
      }
      return s;
    }
    return this.text.toString('utf8', start, start + len);
  }

  /** Copies `len` bytes into a new Uint8Array (decoded values never alias the caller's buffer). */
  readBytes(len: number, what: string): Uint8Array {
    this.need(len, what);
    const out = new Uint8Array(len);
    out.set(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return out;
  }
}

/** Depth and element accounting for one decode call; shared by the AMF0 decoder and any AMF3 it switches to. */
export class DecodeBudget {
  depth = 0;
  total = 0;

  constructor(readonly limits: AmfLimits) {}

  /** Enter a container starting at byte `at`. */
  enter(at: number): void {
    if (++this.depth > this.limits.maxDepth) {
      throw decodeError('AMF_DEPTH_EXCEEDED', `containers nested deeper than maxDepth ${this.limits.maxDepth}`, at);
    }
  }

  leave(): void {
    this.depth--;
  }

  /** Checks a count read from the wire against maxElements, before anything is allocated for it. */
  checkCount(count: number, at: number): void {
    if (count > this.limits.maxElements) {
      throw decodeError('AMF_TOO_MANY_ELEMENTS', `container of ${count} entries exceeds maxElements ${this.limits.maxElements}`, at);
    }
  }

  /**
   * Reserve `count` elements of a container that already holds `held` elements (container starts at `at`).
   * Called up front with the wire count for counted containers, and per entry for end-marker-terminated ones.
   */
  reserve(held: number, count: number, at: number): void {
    if (held + count > this.limits.maxElements) {
      throw decodeError('AMF_TOO_MANY_ELEMENTS', `container with more than maxElements ${this.limits.maxElements} entries`, at);
    }
    this.total += count;
    if (this.total > this.limits.maxTotalElements) {
      throw decodeError('AMF_TOO_MANY_ELEMENTS', `more than maxTotalElements ${this.limits.maxTotalElements} entries in one decode call`, at);
    }
  }

  /** Checks a string / XML byte length read from the wire (before reading it). */
  checkString(len: number, what: string, at: number): void {
    if (len > this.limits.maxStringLength) {
      throw decodeError('AMF_STRING_TOO_LONG', `${what} of ${len} bytes exceeds maxStringLength ${this.limits.maxStringLength}`, at);
    }
  }
}

/**
 * Sets an own enumerable property. A key "__proto__" becomes an ordinary own property instead of
 * replacing the object's prototype (prototype-pollution guard).
 */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}
