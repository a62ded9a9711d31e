/**
 * A growable big-endian byte writer: one Buffer, grown geometrically, returned as a view of the bytes written.
 */

/** Strings up to this many bytes are copied in JavaScript when they are ASCII. */
const SHORT_STRING = 32;

export class ByteWriter {
  private buf: Buffer;
  private view: DataView;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  get length(): number {
    return this.len;
  }

  private ensure(n: number): void {
    const needed = this.len + n;
    if (needed <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < needed) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  writeU8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }

  writeU16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.len, v);
    this.len += 2;
  }

  writeS16(v: number): void {
    this.ensure(2);
    this.view.setInt16(this.len, v);
    this.len += 2;
  }

  writeU32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.len, v);
    this.len += 4;
  }

  writeS32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.len, v);
    this.len += 4;
  }

  /** IEEE-754 big-endian double; every NaN is written as the canonical quiet NaN 0x7FF8000000000000. */
  writeDouble(v: number): void {
    this.ensure(8);
    if (Number.isNaN(v)) {
      this.view.setUint32(this.len, 0x7ff80000);
      this.view.setUint32(this.len + 4, 0);
    } else {
      this.view.setFloat64(this.len, v);
    }
    this.len += 8;
  }

  writeBytes(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  /** Writes `s` as UTF-8; `byteLength` must be Buffer.byteLength(s, 'utf8') (callers need it for the length prefix). */
  writeUtf8(s: string, byteLength: number): void {
    if (byteLength === 0) return;
    this.ensure(byteLength);
    if (byteLength === s.length && byteLength <= SHORT_STRING) {
      // ASCII (byte length equals UTF-16 length only then): copy the code units directly.
      const buf = this.buf;
      let at = this.len;
      for (let i = 0; i < byteLength; i++) buf[at++] = s.charCodeAt(i);
      this.len = at;
      return;
    }
    this.len += this.buf.write(s, this.len, byteLength, 'utf8');
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/** UTF-8 byte length of a string (lone surrogates count as the 3-byte U+FFFD they are written as). */
export function utf8Length(s: string): number {
  // Fast path: short ASCII strings (keys, command names) need no scan by Buffer.
  if (s.length <= SHORT_STRING) {
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) return s.length;
  }
  return Buffer.byteLength(s, 'utf8');
}
