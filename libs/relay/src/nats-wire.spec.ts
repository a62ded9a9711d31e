import type { NatsConnection } from '@nats-io/transport-node';
import { framedSize, natsWire, pubPrefix, writeFrame } from './nats-wire';

describe('framed PUB commands', () => {
  it.each([0, 7, 9, 10, 99, 100, 12345, 1048576])('frames a %d-byte payload exactly as the NATS protocol spells it', (size) => {
    const prefix = pubPrefix('media.cam-1');
    const payload = Buffer.alloc(size, 0x61);
    const buf = Buffer.alloc(framedSize(prefix, size));
    const at = writeFrame(buf, 0, prefix, size);
    buf.set(payload, at);
    expect(buf.toString('latin1')).toBe(`PUB media.cam-1 ${size}\r\n${payload.toString('latin1')}\r\n`);
  });

  it('frames back to back at the offsets it returns', () => {
    const prefix = pubPrefix('media.a');
    const buf = Buffer.alloc(framedSize(prefix, 5) + framedSize(prefix, 12));
    let at = writeFrame(buf, 0, prefix, 5);
    buf.write('hello', at, 'latin1');
    at = writeFrame(buf, at + 5 + 2, prefix, 12);
    buf.write('hello, again', at, 'latin1');
    expect(buf.toString('latin1')).toBe('PUB media.a 5\r\nhello\r\nPUB media.a 12\r\nhello, again\r\n');
  });

  it("uses nats.js's protocol handler only when it has sendCommand and the counters", () => {
    expect(natsWire({} as NatsConnection)).toBeUndefined();
    expect(natsWire({ protocol: { sendCommand: () => undefined } } as unknown as NatsConnection)).toBeUndefined();
    expect(natsWire({ protocol: { sendCommand: 'no', outMsgs: 0, outBytes: 0 } } as unknown as NatsConnection)).toBeUndefined();
    const protocol = { sendCommand: () => undefined, outMsgs: 0, outBytes: 0 };
    expect(natsWire({ protocol } as unknown as NatsConnection)).toBe(protocol);
  });
});
