/**
 * Readers and a writer for the bit-level syntax used by the codec configuration records and parameter sets:
 *
 * - ByteReader: big-endian UI8/UI16/UI24/UI32/SI24 and sub-views over a Uint8Array, with every read checked
 *   against the bytes that remain (FlvError FLV_TRUNCATED otherwise).
 * - BitReader: MSB-first bit reading with the descriptors of H.264/H.265 clause 7.2: u(n), f(n), ue(v) and
 *   se(v) (Exp-Golomb, clause 9.1), plus AV1's uvlc() and leb128().
 * - removeEmulationPrevention: NAL unit payload -> RBSP (H.264 7.3.1 / H.265 7.3.1.1: every
 *   emulation_prevention_three_byte, the 0x03 of a 0x000003 sequence, is dropped before bit reading).
 * - BitWriter: the inverse of BitReader, used to build ADTS headers and test vectors.
 */
import { FlvError, truncated } from './errors';

export class ByteReader {
  pos: number;
  readonly end: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number, what: string): void {
    if (n > this.end - this.pos) throw truncated(what, n, this.end - this.pos);
  }

  u8(what = 'UI8'): number {
    this.need(1, what);
    return this.buf[this.pos++];
  }

  u16(what = 'UI16'): number {
    this.need(2, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 2;
    return (b[p] << 8) | b[p + 1];
  }

  u24(what = 'UI24'): number {
    this.need(3, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 3;
    return (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
  }

  /** SI24: two's complement 24-bit, as the FLV CompositionTime field. */
  s24(what = 'SI24'): number {
    const v = this.u24(what);
    return (v << 8) >> 8;
  }

  u32(what = 'UI32'): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }

  /** A view (no copy) of the next n bytes. */
  bytes(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A view of everything left. */
  rest(): Uint8Array {
    const v = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }

  skip(n: number, what = 'bytes'): void {
    this.need(n, what);
    this.pos += n;
  }
}

/**
 * Drops emulation_prevention_three_byte from a NAL unit (H.264 7.4.1, H.265 7.4.2): within the NAL unit, any
 * 0x000003 sequence has its 0x03 removed. Returns the input itself when it holds no such sequence.
 */
export function removeEmulationPrevention(nal: Uint8Array): Uint8Array {
  let zeros = 0;
  let first = -1;
  for (let i = 0; i < nal.length; i++) {
    const b = nal[i];
    if (zeros >= 2 && b === 3) {
      first = i;
      break;
    }
    zeros = b === 0 ? zeros + 1 : 0;
  }
  if (first < 0) return nal;
  const out = new Uint8Array(nal.length);
  out.set(nal.subarray(0, first));
  let n = first;
  zeros = 0;
  for (let i = first + 1; i < nal.length; i++) {
    const b = nal[i];
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[n++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}

export class BitReader {
  /** Position in bits from the start of `buf`. */
  private bitPos = 0;
  private readonly bitEnd: number;

  constructor(
    private readonly buf: Uint8Array,
    private readonly what = 'bitstream',
  ) {
    this.bitEnd = buf.length * 8;
  }

  get bitsLeft(): number {
    return this.bitEnd - this.bitPos;
  }

  get bitsRead(): number {
    return this.bitPos;
  }

  /** True when the reader sits on a byte boundary. */
  get byteAligned(): boolean {
    return (this.bitPos & 7) === 0;
  }

  private need(n: number): void {
    if (n > this.bitEnd - this.bitPos) {
      throw new FlvError('FLV_TRUNCATED', `${this.what}: need ${n} bit(s), ${this.bitEnd - this.bitPos} left`);
    }
  }

  /** u(n) for 0 <= n <= 32, MSB first. */
  u(n: number): number {
    if (n === 0) return 0;
    this.need(n);
    let v = 0;
    for (let i = 0; i < n; i++) {
      const p = this.bitPos++;
      v = v * 2 + ((this.buf[p >> 3] >> (7 - (p & 7))) & 1);
    }
    return v;
  }

  flag(): boolean {
    return this.u(1) === 1;
  }

  skip(n: number): void {
    this.need(n);
    this.bitPos += n;
  }

  /** ue(v): Exp-Golomb, H.264 9.1. Values need at most 32 leading zero bits (2^32 - 2 is the largest code). */
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) {
      zeros++;
      if (zeros > 31) throw new FlvError('FLV_INVALID', `${this.what}: Exp-Golomb code longer than 32 bits`);
    }
    return 2 ** zeros - 1 + this.u(zeros);
  }

  /** se(v): signed Exp-Golomb, H.264 9.1.1 (k -> (-1)^(k+1) * Ceil(k / 2)). */
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : k === 0 ? 0 : -(k / 2);
  }

  /** AV1 uvlc() (AV1 spec 4.10.3): 32 or more leading zeros mean 2^32 - 1. */
  uvlc(): number {
    let zeros = 0;
    while (this.u(1) === 0) {
      zeros++;
      if (zeros >= 32) return 0xffffffff;
    }
    return this.u(zeros) + 2 ** zeros - 1;
  }
}

/** Reads AV1 leb128() (AV1 spec 4.10.5) from a byte reader: at most 8 bytes, value below 2^32. */
export function readLeb128(r: ByteReader, what = 'leb128'): number {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const b = r.u8(what);
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (value > 0xffffffff) throw new FlvError('FLV_INVALID', `${what}: value above 2^32 - 1`);
      return value;
    }
  }
  throw new FlvError('FLV_INVALID', `${what}: longer than 8 bytes`);
}

export class BitWriter {
  private bytes: number[] = [];
  private cur = 0;
  private nbits = 0;

  /** Appends the low n bits of v (0 <= n <= 32), MSB first. */
  u(n: number, v: number): this {
    for (let i = n - 1; i >= 0; i--) {
      const bit = Math.floor(v / 2 ** i) & 1;
      this.cur = (this.cur << 1) | bit;
      this.nbits++;
      if (this.nbits === 8) {
        this.bytes.push(this.cur);
        this.cur = 0;
        this.nbits = 0;
      }
    }
    return this;
  }

  flag(b: boolean): this {
    return this.u(1, b ? 1 : 0);
  }

  ue(v: number): this {
    const x = v + 1;
    const len = Math.floor(Math.log2(x));
    this.u(len, 0);
    return this.u(len + 1, x);
  }

  se(v: number): this {
    return this.ue(v > 0 ? 2 * v - 1 : -2 * v);
  }

  get bitLength(): number {
    return this.bytes.length * 8 + this.nbits;
  }

  /** rbsp_trailing_bits(): a one bit, then zero bits up to the byte boundary. */
  trailingBits(): this {
    this.u(1, 1);
    while (this.nbits !== 0) this.u(1, 0);
    return this;
  }

  /** The bytes written so far, the last one zero-padded. */
  toBytes(): Uint8Array {
    const out = this.bytes.slice();
    if (this.nbits > 0) out.push(this.cur << (8 - this.nbits));
    return Uint8Array.from(out);
  }
}

/**
 * Inserts emulation_prevention_three_byte where an RBSP would otherwise contain 0x000000..0x000003
 * (the inverse of removeEmulationPrevention), giving NAL unit payload bytes.
 */
export function addEmulationPrevention(rbsp: Uint8Array): Uint8Array {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Uint8Array.from(out);
}
