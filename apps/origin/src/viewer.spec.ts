import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { StreamHub } from './hub';
import { OutMessage, TYPE_AUDIO, TYPE_VIDEO } from './media';
import { HttpFlvViewer, RtmpViewer } from './viewer';

/**
 * The socket viewers' gathered writes, over a real loopback connection: several pending messages go out as ONE
 * writev of the messages' shared encodings (no per-viewer concatenation), and the peer reads exactly those bytes.
 */
/** The buffers a `_writev` call got (Node hands `{ chunk }` entries and, for all-Buffer batches, swaps in the chunks). */
function writtenChunks(arg: unknown): Buffer[] {
  return (arg as ({ chunk: Buffer } | Buffer)[]).map((entry) => (Buffer.isBuffer(entry) ? entry : entry.chunk));
}

describe('socket viewers: gathered writes', () => {
  let server: Server;
  let serverSide: Socket;
  let client: Socket;
  let received: Buffer[];

  beforeEach(async () => {
    server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const accepted = once(server, 'connection');
    client = connect(port, '127.0.0.1');
    [serverSide] = (await accepted) as [Socket];
    received = [];
    client.on('data', (chunk: Buffer) => received.push(chunk));
  });

  afterEach(async () => {
    client.destroy();
    serverSide.destroy();
    server.close();
    await once(server, 'close');
  });

  async function receive(bytes: number): Promise<Buffer> {
    const until = Date.now() + 5000;
    while (Buffer.concat(received).length < bytes && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    return Buffer.concat(received);
  }

  const key = (ts: number, size: number) => new OutMessage(TYPE_VIDEO, ts, Buffer.alloc(size, 0x17), true, false);
  const inter = (ts: number, size: number) => new OutMessage(TYPE_VIDEO, ts, Buffer.alloc(size, 0x27), false, false);
  const audio = (ts: number) => new OutMessage(TYPE_AUDIO, ts, Buffer.from([0xaf, 1, ts & 0xff]), false, false);

  test('an RTMP viewer joining mid-GOP gets the join cache as one writev of the shared chunk buffers', async () => {
    const hub = new StreamHub('s', { highWaterBytes: 1 << 20, cutoffBytes: 8 << 20, maxBehindMs: 10_000 });
    const messages = [key(0, 9000), audio(10), inter(33, 5000), audio(33), inter(66, 300)];
    for (const m of messages) hub.publish(m);
    hub.flush();

    const viewer = new RtmpViewer(serverSide, 'test', 4096, 1, () => undefined);
    const writev = jest.spyOn(serverSide as unknown as { _writev: (...args: unknown[]) => void }, '_writev');
    const write = jest.spyOn(serverSide as unknown as { _write: (...args: unknown[]) => void }, '_write');
    hub.addViewer(viewer);

    expect(writev).toHaveBeenCalledTimes(1);
    expect(write).not.toHaveBeenCalled();
    const chunks = writtenChunks(writev.mock.calls[0][0]);
    expect(chunks).toHaveLength(messages.length);
    // The very buffers every viewer shares: nothing was copied for this viewer.
    chunks.forEach((chunk, i) => expect(chunk).toBe(messages[i].rtmpChunks(4096, 1)));

    const expected = Buffer.concat(messages.map((m) => m.rtmpChunks(4096, 1)));
    expect(viewer.bytesSent).toBe(expected.length);
    expect((await receive(expected.length)).equals(expected)).toBe(true);
  });

  test('an HTTP-FLV viewer out of step with the batch flushes its own queue as one writev of the shared tags', async () => {
    const viewer = new HttpFlvViewer(serverSide, 'test');
    const messages = [key(0, 2000), audio(10), inter(33, 700)];
    viewer.pending.push(...messages);
    const writev = jest.spyOn(serverSide as unknown as { _writev: (...args: unknown[]) => void }, '_writev');
    viewer.flushPending();

    expect(writev).toHaveBeenCalledTimes(1);
    const chunks = writtenChunks(writev.mock.calls[0][0]);
    chunks.forEach((chunk, i) => expect(chunk).toBe(messages[i].flvTag()));
    expect(viewer.pending).toHaveLength(0);
    const expected = Buffer.concat(messages.map((m) => m.flvTag()));
    expect((await receive(expected.length)).equals(expected)).toBe(true);
  });

  test('a closed viewer writes nothing and drops its queue', () => {
    const viewer = new HttpFlvViewer(serverSide, 'test');
    viewer.close('test');
    viewer.pending.push(audio(0), audio(23));
    const writev = jest.spyOn(serverSide as unknown as { _writev: (...args: unknown[]) => void }, '_writev');
    viewer.flushPending();
    expect(writev).not.toHaveBeenCalled();
    expect(viewer.pending).toHaveLength(0);
    expect(viewer.bytesSent).toBe(0);
  });
});
