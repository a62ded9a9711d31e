import { createHmac, randomBytes } from 'node:crypto';
import { HANDSHAKE_SIZE } from './constants';
import { RtmpError } from './errors';
import { ClientHandshake, ServerHandshake, digestPosition, findDigest, imprintDigest } from './handshake';

const FP_KEY_PUBLIC = Buffer.from('Genuine Adobe Flash Player 001', 'latin1');
const FMS_KEY_PUBLIC = Buffer.from('Genuine Adobe Flash Media Server 001', 'latin1');

function run(client: ClientHandshake, server: ServerHandshake, step = 0): { rest?: Buffer } {
  const c0c1 = client.start();
  const feed = (h: { receive(b: Buffer): { send?: Buffer; done: boolean; rest?: Buffer } }, data: Buffer) => {
    if (step <= 0) return h.receive(data);
    let last: ReturnType<typeof h.receive> = { done: false };
    const sends: Buffer[] = [];
    const rests: Buffer[] = [];
    for (let i = 0; i < data.length; i += step) {
      last = h.receive(data.subarray(i, i + step));
      if (last.send) sends.push(last.send);
      if (last.rest) rests.push(last.rest);
    }
    return { ...last, send: sends.length ? Buffer.concat(sends) : undefined, rest: rests.length ? Buffer.concat(rests) : undefined };
  };
  const s = feed(server, c0c1);
  expect(s.send).toBeDefined();
  expect(s.send!.length).toBe(1 + 2 * HANDSHAKE_SIZE);
  const c = client.receive(s.send!);
  expect(c.done).toBe(true);
  const trailing = Buffer.from([0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 16, 0]);
  const fin = feed(server, Buffer.concat([c.send!, trailing]));
  expect(fin.done).toBe(true);
  return { rest: fin.rest };
}

describe('handshake', () => {
  test('complex: a Flash-style C1 with a digest gets S1 with a valid server digest', () => {
    const client = new ClientHandshake({ complex: true });
    const server = new ServerHandshake();
    const c0c1 = client.start();
    expect(findDigest(c0c1.subarray(1), FP_KEY_PUBLIC)).toBeDefined();
    const s = server.receive(c0c1);
    expect(server.kind).toBe('complex');
    const s1 = s.send!.subarray(1, 1 + HANDSHAKE_SIZE);
    expect(findDigest(s1, FMS_KEY_PUBLIC)).toBeDefined();
    expect(client.receive(s.send!).done).toBe(true);
    expect(client.kind).toBe('complex');
  });

  test('complex: S2 ends with HMAC(HMAC(full FMS key, C1 digest), S2[0..1504])', () => {
    const client = new ClientHandshake({ complex: true });
    const server = new ServerHandshake();
    const c1 = client.start().subarray(1);
    const s2 = server.receive(Buffer.concat([Buffer.from([3]), c1])).send!.subarray(1 + HANDSHAKE_SIZE);
    const pos = findDigest(c1, FP_KEY_PUBLIC)!.position;
    const fullKey = Buffer.concat([FMS_KEY_PUBLIC, Buffer.from('f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae', 'hex')]);
    const key = createHmac('sha256', fullKey).update(c1.subarray(pos, pos + 32)).digest();
    const expected = createHmac('sha256', key).update(s2.subarray(0, HANDSHAKE_SIZE - 32)).digest();
    expect(s2.subarray(HANDSHAKE_SIZE - 32).equals(expected)).toBe(true);
  });

  test('complex: digest in the second scheme (offset bytes at 772) is found', () => {
    const c1 = randomBytes(HANDSHAKE_SIZE);
    c1.writeUInt32BE(0x0a000c02, 4);
    const pos = imprintDigest(c1, 772, FP_KEY_PUBLIC);
    expect(pos).toBe(digestPosition(c1, 772));
    expect(pos).toBeGreaterThanOrEqual(776);
    const server = new ServerHandshake();
    server.receive(Buffer.concat([Buffer.from([3]), c1]));
    expect(server.kind).toBe('complex');
  });

  test('simple: version zero gets S2 = echo of C1', () => {
    const client = new ClientHandshake({ complex: false });
    const server = new ServerHandshake();
    const c0c1 = client.start();
    const s = server.receive(c0c1);
    expect(server.kind).toBe('simple');
    expect(s.send!.subarray(1 + HANDSHAKE_SIZE).equals(c0c1.subarray(1))).toBe(true);
  });

  test('complex-looking C1 with a wrong digest falls back to simple', () => {
    const c1 = randomBytes(HANDSHAKE_SIZE);
    c1.writeUInt32BE(0x09007c02, 4);
    const server = new ServerHandshake();
    const s = server.receive(Buffer.concat([Buffer.from([3]), c1]));
    expect(server.kind).toBe('simple');
    expect(s.send!.subarray(1 + HANDSHAKE_SIZE).equals(c1)).toBe(true);
  });

  test('bytes after C2 are handed back as the first chunk-stream bytes', () => {
    const { rest } = run(new ClientHandshake(), new ServerHandshake());
    expect(rest?.toString('hex')).toBe('02000000000004010000000000001000');
  });

  test('fed byte by byte', () => {
    const { rest } = run(new ClientHandshake(), new ServerHandshake(), 1);
    expect(rest?.length).toBe(16);
  });

  test.each([[0], [3 + 1], [0x16 /* TLS ClientHello */], [0x47 /* 'G' of GET */]])('C0 = %i is refused at once with RTMP_BAD_VERSION', (v) => {
    const server = new ServerHandshake();
    expect(() => server.receive(Buffer.from([v]))).toThrow(RtmpError);
    try {
      new ServerHandshake().receive(Buffer.from([v, 1, 2, 3]));
    } catch (e) {
      expect((e as RtmpError).code).toBe('RTMP_BAD_VERSION');
    }
  });

  test('C0 = 6 (RTMPE) is refused with its own code', () => {
    expect.assertions(1);
    try {
      new ServerHandshake().receive(Buffer.from([6]));
    } catch (e) {
      expect((e as RtmpError).code).toBe('RTMP_RTMPE_UNSUPPORTED');
    }
  });
});
