/**
 * Framed publishes: the batcher writes a batch's NATS `PUB` commands itself, into one buffer, and hands that to
 * nats.js as one command.
 *
 * Why: nats.js's `publish()` costs, per message, an options object, a `PUB <subject> <size>\r\n` template string,
 * a TextEncoder copy of it into a new buffer, three pushes onto its outbound list, and at the end of the turn a
 * concatenation of everything queued into one new buffer. With 20 ingest streams that was ~12 % of the edge's CPU
 * (a perf profile, bench/README.md). Framed, a batch costs one buffer and one copy of each envelope into it (the
 * copy nats.js made anyway); per message there is a cached subject prefix and a few digits. nats.js's protocol
 * handler passes a single queued command to the socket as it is.
 *
 * This uses nats.js's protocol handler (`nc.protocol.sendCommand`), which is not part of its typed API: it is
 * probed here, and without it (another client version) the batcher goes through `publish()` as before. What
 * `sendCommand` does is what `publish()` ends with: append to the outbound buffer, flush in a microtask, keep
 * appending while disconnected (nats.js resets that buffer on each reconnect attempt), so the relay's loss
 * accounting is unchanged. `publish()`'s own checks are made by the batcher: closed or draining connection, and
 * the server's max_payload.
 */
import type { NatsConnection } from '@nats-io/transport-node';

/** The part of nats.js's protocol handler (ProtocolHandler in @nats-io/nats-core) that framed publishes use. */
export interface NatsWire {
  sendCommand(cmd: Uint8Array): void;
  /** The client's counters behind `nc.stats()`, kept true for framed publishes. */
  outMsgs: number;
  outBytes: number;
}

/** nats.js's protocol handler when it has what framed publishes need, else undefined. */
export function natsWire(nc: NatsConnection): NatsWire | undefined {
  const protocol = (nc as unknown as { protocol?: Partial<NatsWire> }).protocol;
  if (protocol === undefined || protocol === null) return undefined;
  if (typeof protocol.sendCommand !== 'function' || typeof protocol.outMsgs !== 'number' || typeof protocol.outBytes !== 'number') {
    return undefined;
  }
  return protocol as NatsWire;
}

const CR = 13;
const LF = 10;

/** `PUB <subject> ` as bytes (the subject is one the relay built: ASCII, no whitespace). */
export function pubPrefix(subject: string): Buffer {
  return Buffer.from(`PUB ${subject} `, 'latin1');
}

function decimalLength(n: number): number {
  let digits = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    digits++;
  }
  return digits;
}

/** Bytes of a framed publish of `size` payload bytes after `prefix`: `PUB <subject> <size>\r\n<payload>\r\n`. */
export function framedSize(prefix: Uint8Array, size: number): number {
  return prefix.length + decimalLength(size) + 2 + size + 2;
}

/**
 * Writes `PUB <subject> <size>\r\n` at `at`, leaves `size` bytes for the payload, writes the closing `\r\n`, and
 * returns where the payload goes. The caller made room for framedSize(prefix, size) bytes.
 */
export function writeFrame(buf: Uint8Array, at: number, prefix: Uint8Array, size: number): number {
  buf.set(prefix, at);
  let pos = at + prefix.length;
  const digits = decimalLength(size);
  for (let i = digits - 1, n = size; i >= 0; i--, n = Math.floor(n / 10)) buf[pos + i] = 48 + (n % 10);
  pos += digits;
  buf[pos] = CR;
  buf[pos + 1] = LF;
  const payloadAt = pos + 2;
  buf[payloadAt + size] = CR;
  buf[payloadAt + size + 1] = LF;
  return payloadAt;
}
