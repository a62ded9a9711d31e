/**
 * RTMP handshake (RTMP specification 1.0 section 5.2, plus the "complex" digest handshake that Flash Player,
 * FFmpeg, OBS and librtmp use). No I/O: bytes in, bytes to send out.
 *
 *   C0/S0: 1 byte version (3 = plain RTMP, 6 = RTMPE)
 *   C1/S1: time(4) | version-or-zero(4) | 1528 random bytes
 *   C2/S2: echo of the peer's C1/S1 (simple), or random bytes closed by an HMAC-SHA256 (complex)
 *
 * Complex handshake: C1 carries a 32-byte HMAC-SHA256 digest (key "Genuine Adobe Flash Player 001") over the
 * 1504 other bytes. Its position is derived from 4 offset bytes, either at byte 8 (digest in 12..739) or at
 * byte 772 (digest in 776..1503):  pos = (b[o] + b[o+1] + b[o+2] + b[o+3]) % 728 + o + 4.
 * The server answers with S1 carrying its own digest (key "Genuine Adobe Flash Media Server 001") at the same
 * scheme, and S2 whose last 32 bytes are HMAC(HMAC(full FMS key, C1 digest), S2[0..1504]).
 * A C1 whose digest validates under neither scheme gets the simple handshake (S2 = echo of C1).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { HANDSHAKE_SIZE, RTMP_VERSION, RTMPE_VERSION } from './constants';
import { RtmpError } from './errors';

const KEY_TAIL = Buffer.from('f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae', 'hex');
const FMS_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Media Server 001', 'latin1'), KEY_TAIL]); // 68 bytes
const FP_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Player 001', 'latin1'), KEY_TAIL]); // 62 bytes
const FMS_KEY_PUBLIC = FMS_KEY.subarray(0, 36);
const FP_KEY_PUBLIC = FP_KEY.subarray(0, 30);
const DIGEST_SIZE = 32;
/** Offsets of the 4 bytes that locate the digest, for the two schemes. */
const DIGEST_SCHEMES = [8, 772] as const;
/** Version we announce in S1 for the complex handshake (FMS 4.5.0.1, as most servers do). */
const SERVER_VERSION = 0x04050001;
/** Version a Flash client announces in C1 to ask for the complex handshake (9.0.124.2). */
const CLIENT_VERSION = 0x09007c02;

export type HandshakeKind = 'simple' | 'complex';

export function digestPosition(packet: Uint8Array, scheme: number): number {
  return ((packet[scheme] + packet[scheme + 1] + packet[scheme + 2] + packet[scheme + 3]) % 728) + scheme + 4;
}

/** HMAC-SHA256 over the packet without the 32 digest bytes at `gap`. */
function digestExcluding(packet: Uint8Array, gap: number, key: Uint8Array): Buffer {
  return createHmac('sha256', key)
    .update(packet.subarray(0, gap))
    .update(packet.subarray(gap + DIGEST_SIZE))
    .digest();
}

/** Returns the digest position when the packet carries a valid digest under `key` in either scheme. */
export function findDigest(packet: Uint8Array, key: Uint8Array): { scheme: number; position: number } | undefined {
  for (const scheme of DIGEST_SCHEMES) {
    const position = digestPosition(packet, scheme);
    const expected = digestExcluding(packet, position, key);
    if (timingSafeEqual(expected, packet.subarray(position, position + DIGEST_SIZE))) return { scheme, position };
  }
  return undefined;
}

/** Writes a digest into a 1536-byte packet at the given scheme and returns its position. */
export function imprintDigest(packet: Buffer, scheme: number, key: Uint8Array): number {
  const position = digestPosition(packet, scheme);
  digestExcluding(packet, position, key).copy(packet, position);
  return position;
}

function genS2Complex(clientDigest: Uint8Array): Buffer {
  const s2 = randomBytes(HANDSHAKE_SIZE);
  const key = createHmac('sha256', FMS_KEY).update(clientDigest).digest();
  createHmac('sha256', key)
    .update(s2.subarray(0, HANDSHAKE_SIZE - DIGEST_SIZE))
    .digest()
    .copy(s2, HANDSHAKE_SIZE - DIGEST_SIZE);
  return s2;
}

/** Collects bytes until `size` are present; keeps the excess. */
class Accumulator {
  private parts: Buffer[] = [];
  private length = 0;
  add(data: Buffer): void {
    if (data.length === 0) return;
    this.parts.push(data);
    this.length += data.length;
  }
  get available(): number {
    return this.length;
  }
  /** First byte, or undefined when nothing has arrived. */
  first(): number | undefined {
    return this.length > 0 ? this.parts[0][0] : undefined;
  }
  take(size: number): Buffer {
    const all = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.length);
    const head = all.subarray(0, size);
    const rest = all.subarray(size);
    this.parts = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    return head;
  }
  drain(): Buffer {
    return this.take(this.length);
  }
}

export interface HandshakeProgress {
  /** Bytes to write to the peer now, if any. */
  send?: Buffer;
  /** True once the handshake is complete; `rest` then holds the first chunk-stream bytes that followed it. */
  done: boolean;
  rest?: Buffer;
}

/**
 * Server side: waits for C0+C1, answers S0+S1+S2 at once, then waits for C2.
 * Throws RtmpError RTMP_BAD_VERSION (or RTMP_RTMPE_UNSUPPORTED) as soon as C0 is wrong, without waiting for C1.
 */
export class ServerHandshake {
  private readonly input = new Accumulator();
  private state: 'c0c1' | 'c2' | 'done' = 'c0c1';
  kind: HandshakeKind | undefined;
  /** Epoch the peer put into C1 (informational). */
  clientEpoch = 0;

  constructor(private readonly options: { now?: () => number; allowComplex?: boolean } = {}) {}

  get done(): boolean {
    return this.state === 'done';
  }

  /** handle_c0c1 / handle_c2 */
  receive(data: Buffer): HandshakeProgress {
    if (this.state === 'done') return { done: true, rest: data };
    this.input.add(data);
    let send: Buffer | undefined;
    if (this.state === 'c0c1') {
      const version = this.input.first();
      if (version !== undefined && version !== RTMP_VERSION) {
        if (version === RTMPE_VERSION) {
          throw new RtmpError('RTMP_RTMPE_UNSUPPORTED', 'client asked for RTMPE (C0 = 6) on a plain RTMP listener');
        }
        throw new RtmpError('RTMP_BAD_VERSION', `C0 version byte is ${version}, expected 3`);
      }
      if (this.input.available < 1 + HANDSHAKE_SIZE) return { done: false };
      const c0c1 = this.input.take(1 + HANDSHAKE_SIZE);
      send = this.genS0S1S2(c0c1.subarray(1));
      this.state = 'c2';
    }
    if (this.state === 'c2') {
      if (this.input.available < HANDSHAKE_SIZE) return { done: false, send };
      // C2 echoes S1 (or carries a digest); clients in the field are inconsistent, so it is read and not checked.
      this.input.take(HANDSHAKE_SIZE);
      this.state = 'done';
      const rest = this.input.drain();
      return { done: true, send, rest: rest.length > 0 ? rest : undefined };
    }
    return { done: false, send };
  }

  /** gen_s0s1s2: complex when C1 carries a valid Flash Player digest, simple otherwise. */
  private genS0S1S2(c1: Buffer): Buffer {
    this.clientEpoch = c1.readUInt32BE(0);
    const out = Buffer.allocUnsafe(1 + 2 * HANDSHAKE_SIZE);
    out[0] = RTMP_VERSION;
    const s1 = out.subarray(1, 1 + HANDSHAKE_SIZE);
    const s2 = out.subarray(1 + HANDSHAKE_SIZE);
    randomBytes(HANDSHAKE_SIZE).copy(s1);
    s1.writeUInt32BE((this.options.now?.() ?? 0) >>> 0, 0);
    const clientVersion = c1.readUInt32BE(4);
    const found = clientVersion !== 0 && this.options.allowComplex !== false ? findDigest(c1, FP_KEY_PUBLIC) : undefined;
    if (found) {
      this.kind = 'complex';
      s1.writeUInt32BE(SERVER_VERSION, 4);
      imprintDigest(s1, found.scheme, FMS_KEY_PUBLIC);
      genS2Complex(c1.subarray(found.position, found.position + DIGEST_SIZE)).copy(s2);
    } else {
      this.kind = 'simple';
      s1.writeUInt32BE(0, 4);
      c1.copy(s2); // section 5.2.4: S2 echoes C1 (time and random)
    }
    return out;
  }
}

/**
 * Client side: `start()` gives C0+C1; `receive()` takes S0+S1+S2 and gives C2.
 */
export class ClientHandshake {
  private readonly input = new Accumulator();
  private state: 'start' | 's0s1s2' | 'done' = 'start';
  kind: HandshakeKind;
  private c1: Buffer | undefined;

  constructor(options: { complex?: boolean } = {}) {
    this.kind = options.complex === false ? 'simple' : 'complex';
  }

  get done(): boolean {
    return this.state === 'done';
  }

  /** gen_c0c1 */
  start(): Buffer {
    const out = Buffer.allocUnsafe(1 + HANDSHAKE_SIZE);
    out[0] = RTMP_VERSION;
    const c1 = out.subarray(1);
    randomBytes(HANDSHAKE_SIZE).copy(c1);
    c1.writeUInt32BE(0, 0);
    if (this.kind === 'complex') {
      c1.writeUInt32BE(CLIENT_VERSION, 4);
      imprintDigest(c1, DIGEST_SCHEMES[0], FP_KEY_PUBLIC);
    } else {
      c1.writeUInt32BE(0, 4);
    }
    this.c1 = Buffer.from(c1);
    this.state = 's0s1s2';
    return out;
  }

  /** handle_s0s1s2 -> C2 */
  receive(data: Buffer): HandshakeProgress {
    if (this.state === 'done') return { done: true, rest: data };
    if (this.state !== 's0s1s2') throw new RtmpError('RTMP_HANDSHAKE_FAILED', 'receive() before start()');
    this.input.add(data);
    if (this.input.available < 1 + 2 * HANDSHAKE_SIZE) return { done: false };
    const packet = this.input.take(1 + 2 * HANDSHAKE_SIZE);
    if (packet[0] !== RTMP_VERSION) throw new RtmpError('RTMP_BAD_VERSION', `S0 version byte is ${packet[0]}, expected 3`);
    const s1 = packet.subarray(1, 1 + HANDSHAKE_SIZE);
    let c2: Buffer;
    const serverDigest = this.kind === 'complex' ? findDigest(s1, FMS_KEY_PUBLIC) : undefined;
    if (serverDigest) {
      c2 = randomBytes(HANDSHAKE_SIZE);
      const key = createHmac('sha256', FP_KEY)
        .update(s1.subarray(serverDigest.position, serverDigest.position + DIGEST_SIZE))
        .digest();
      createHmac('sha256', key)
        .update(c2.subarray(0, HANDSHAKE_SIZE - DIGEST_SIZE))
        .digest()
        .copy(c2, HANDSHAKE_SIZE - DIGEST_SIZE);
    } else {
      this.kind = 'simple';
      c2 = Buffer.from(s1); // section 5.2.4: C2 echoes S1
    }
    this.state = 'done';
    const rest = this.input.drain();
    return { done: true, send: c2, rest: rest.length > 0 ? rest : undefined };
  }

  /** The C1 we sent (tests check that a simple server echoed it in S2). */
  get sentC1(): Buffer | undefined {
    return this.c1;
  }
}
