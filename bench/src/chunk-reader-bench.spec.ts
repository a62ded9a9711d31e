import { ChunkReader, MessageType, type RtmpMessage } from '@ingest/rtmp';
import { encodeChunkStream, readPass } from './chunk-reader-bench';
import type { MediaTag } from './media';

function tags(): MediaTag[] {
  const out: MediaTag[] = [{ type: MessageType.DataAmf0, timestamp: 0, body: Buffer.from('meta'), kind: 'script' }];
  for (let i = 0; i < 50; i++) {
    out.push({ type: MessageType.Video, timestamp: i * 33, body: Buffer.alloc(100 + i * 97, i), kind: 'videoFrame' });
    out.push({ type: MessageType.Audio, timestamp: i * 23, body: Buffer.alloc(300, 255 - i), kind: 'audioFrame' });
  }
  return out;
}

describe.each([128, 4096])('encodeChunkStream at chunk size %i', (chunkSize) => {
  const stream = encodeChunkStream(tags(), chunkSize);

  it('is what a publisher sends: Set Chunk Size first unless 128, then every tag as one message', () => {
    const got: RtmpMessage[] = [];
    const reader = new ChunkReader((m) => got.push({ ...m, payload: Buffer.from(m.payload) }));
    reader.push(stream.bytes);
    expect(got).toHaveLength(stream.messages);
    const media = chunkSize === 128 ? got : got.slice(1);
    if (chunkSize !== 128) expect(got[0]).toMatchObject({ type: MessageType.SetChunkSize, csid: 2 });
    expect(reader.chunkSize).toBe(chunkSize);
    expect(media.map((m) => [m.type, m.timestamp, m.payload.length, m.streamId])).toEqual(
      tags().map((t) => [t.type, t.timestamp, t.body.length, 1]),
    );
    expect(media.map((m) => m.csid)).toEqual(tags().map((t) => (t.type === MessageType.Video ? 6 : t.type === MessageType.Audio ? 4 : 5)));
  });

  it.each([1, 7, 4096, 65536])('parses back completely when pushed in %i-byte pieces', (piece) => {
    expect(readPass(stream.bytes, piece)).toEqual({ messages: stream.messages, payloadBytes: stream.payloadBytes });
  });
});
