import { encodeAmf0, type AmfObject } from '@ingest/amf';
import { ChunkReader, type RtmpMessage } from './chunk-reader';
import { encodeChunks } from './chunk-writer';
import { RtmpClientSession } from './client-session';
import { decodeCommand, encodeCommand } from './commands';
import { MessageType } from './constants';
import { RtmpError } from './errors';
import { ClientHandshake } from './handshake';
import { RtmpServerSession, type PlayRequest, type PublishRequest, type ServerSessionHandler } from './server-session';

/** Wires a client and a server session back to back through queues (no re-entrant pushes). */
function pair(serverHandler: Partial<ServerSessionHandler> = {}) {
  const toServer: Buffer[] = [];
  const toClient: Buffer[] = [];
  const statuses: Array<{ streamId: number; info: AmfObject }> = [];
  const received: RtmpMessage[] = [];
  const serverCommands: string[] = [];
  const server = new RtmpServerSession({ send: (b) => toClient.push(b), onCommand: (c) => serverCommands.push(c.name), ...serverHandler });
  const client = new RtmpClientSession(
    {
      send: (b) => toServer.push(b),
      onStatus: (streamId, info) => statuses.push({ streamId, info }),
      onMedia: (m) => received.push({ ...m, payload: Buffer.from(m.payload) }),
    },
    { app: 'live', tcUrl: 'rtmp://test/live', chunkSize: 4096 },
  );
  const flush = () => {
    for (let i = 0; i < 100 && (toServer.length || toClient.length); i++) {
      while (toServer.length) server.push(toServer.shift()!);
      while (toClient.length) client.push(toClient.shift()!);
    }
  };
  return { server, client, flush, statuses, received, serverCommands };
}

function connectAndCreate(p: ReturnType<typeof pair>, publishName?: string): number {
  let streamId = 0;
  p.client.start();
  p.flush();
  p.client.connect((err) => expect(err).toBeUndefined());
  p.flush();
  p.client.createStream((err, id) => {
    expect(err).toBeUndefined();
    streamId = id;
  }, publishName);
  p.flush();
  return streamId;
}

describe('server and client sessions', () => {
  test('publish: connect, releaseStream, FCPublish, createStream, publish -> Publish.Start only once accepted', () => {
    const requests: PublishRequest[] = [];
    const media: RtmpMessage[] = [];
    const p = pair({ onPublish: (r) => requests.push(r), onMedia: (_id, m) => media.push(m) });
    const streamId = connectAndCreate(p, 'key1');
    expect(p.server.state).toBe('connected');
    expect(streamId).toBe(1);
    p.client.publish(streamId, 'key1?token=abc');
    p.flush();
    expect(requests).toEqual([{ streamId: 1, name: 'key1', query: 'token=abc', publishType: 'live' }]);
    expect(p.statuses).toEqual([]); // not yet accepted
    p.client.sendMedia(streamId, MessageType.Video, 0, Buffer.from([0x17, 0, 0, 0, 0])); // dropped: not accepted yet
    p.flush();
    expect(media).toHaveLength(0);
    p.server.acceptPublish(streamId);
    p.flush();
    expect(p.statuses.map((s) => s.info.code)).toEqual(['NetStream.Publish.Start']);
    p.client.sendMetadata(streamId, { width: 1280, height: 720 });
    p.client.sendMedia(streamId, MessageType.Video, 40, Buffer.alloc(10000, 7));
    p.flush();
    expect(media.map((m) => [m.type, m.timestamp, m.payload.length])).toEqual([
      [MessageType.DataAmf0, 0, expect.any(Number)],
      [MessageType.Video, 40, 10000],
    ]);
    expect(p.serverCommands).toEqual(['connect', 'releaseStream', 'FCPublish', 'createStream', 'publish']);
  });

  test('a refused publish gets an error status and no Publish.Start', () => {
    const p = pair({ onPublish: (r) => p.server.rejectPublish(r.streamId, 'NetStream.Publish.BadName', 'taken') });
    const streamId = connectAndCreate(p);
    p.client.publish(streamId, 'x');
    p.flush();
    expect(p.statuses.map((s) => [s.info.level, s.info.code])).toEqual([['error', 'NetStream.Publish.BadName']]);
  });

  test('FCUnpublish and deleteStream end the publication once', () => {
    const ended: string[] = [];
    const p = pair({ onPublish: (r) => p.server.acceptPublish(r.streamId), onUnpublish: (_id, reason) => ended.push(reason) });
    const streamId = connectAndCreate(p, 's');
    p.client.publish(streamId, 's');
    p.flush();
    p.client.unpublish(streamId, 's');
    p.flush();
    expect(ended).toEqual(['FCUnpublish']);
    expect(p.statuses.map((s) => s.info.code)).toContain('NetStream.Unpublish.Success');
  });

  test('play: statuses, |RtmpSampleAccess, media, pause and unpause, seek, end', () => {
    const plays: PlayRequest[] = [];
    const pauses: boolean[] = [];
    const p = pair({ onPlay: (r) => plays.push(r), onPause: (_id, paused) => pauses.push(paused) });
    const streamId = connectAndCreate(p);
    p.client.play(streamId, 'show');
    p.flush();
    expect(plays[0]).toMatchObject({ name: 'show', start: -2, reset: true });
    p.server.acceptPlay(streamId);
    p.server.sendMedia(streamId, MessageType.Video, 1000, Buffer.alloc(9000, 1));
    p.flush();
    expect(p.statuses.map((s) => s.info.code)).toEqual(['NetStream.Play.Reset', 'NetStream.Play.Start']);
    const data = p.received.filter((m) => m.type === MessageType.DataAmf0).map((m) => decodeCommand(20, m.payload).name);
    expect(data).toEqual(['|RtmpSampleAccess']);
    expect(p.received.find((m) => m.type === MessageType.Video)?.payload.length).toBe(9000);
    p.client.pause(streamId, true);
    p.client.pause(streamId, false);
    p.client.call('seek', null, [5000], undefined, streamId);
    p.flush();
    expect(pauses).toEqual([true, false]);
    expect(p.statuses.map((s) => s.info.code).slice(2)).toEqual(['NetStream.Pause.Notify', 'NetStream.Unpause.Notify', 'NetStream.Seek.Notify']);
    p.server.endPlay(streamId);
    p.flush();
    expect(p.statuses.at(-1)?.info.code).toBe('NetStream.Play.UnpublishNotify');
  });

  test('play of an unknown stream gets StreamNotFound', () => {
    const p = pair({ onPlay: (r) => p.server.rejectPlay(r.streamId) });
    const streamId = connectAndCreate(p);
    p.client.play(streamId, 'missing');
    p.flush();
    expect(p.statuses.map((s) => s.info.code)).toEqual(['NetStream.Play.StreamNotFound']);
  });

  test('getStreamLength, _checkbw and FCSubscribe are answered', () => {
    const p = pair();
    connectAndCreate(p);
    const results: unknown[] = [];
    p.client.call('getStreamLength', null, ['x'], (err, r) => results.push(err ?? r?.args[0]));
    p.client.call('_checkbw', null, [], (err, r) => results.push(err ?? r?.name));
    p.flush();
    expect(results).toEqual([0, '_result']);
  });

  test('an AMF3 client (objectEncoding 3, command messages of type 17) is answered in type 17', () => {
    const out: Buffer[] = [];
    const server = new RtmpServerSession({ send: (b) => out.push(b) });
    const handshake = new ClientHandshake();
    server.push(handshake.start());
    const s0s1s2 = Buffer.concat(out.splice(0));
    server.push(handshake.receive(s0s1s2).send!);
    const body = Buffer.concat([Buffer.from([0]), encodeCommand('connect', 1, { app: 'live', objectEncoding: 3 })]);
    server.push(encodeChunks(128, 0, 3, MessageType.CommandAmf3, 0, 0, body));
    expect(server.state).toBe('connected');
    expect(server.connectInfo?.objectEncoding).toBe(3);
    const replies: RtmpMessage[] = [];
    new ChunkReader((m) => replies.push(m)).push(Buffer.concat(out));
    const result = replies.find((m) => m.type === MessageType.CommandAmf3);
    expect(result).toBeDefined();
    expect(decodeCommand(result!.type, result!.payload).name).toBe('_result');
  });

  test('an aggregate message is split into its audio and video messages', () => {
    const media: RtmpMessage[] = [];
    const p = pair({ onPublish: (r) => p.server.acceptPublish(r.streamId), onMedia: (_id, m) => media.push(m) });
    const streamId = connectAndCreate(p);
    p.client.publish(streamId, 'agg');
    p.flush();
    const sub = (type: number, ts: number, body: Buffer) => {
      const h = Buffer.alloc(11);
      h[0] = type;
      h.writeUIntBE(body.length, 1, 3);
      h.writeUIntBE(ts & 0xffffff, 4, 3);
      h[7] = ts >>> 24;
      const back = Buffer.alloc(4);
      back.writeUInt32BE(11 + body.length);
      return Buffer.concat([h, body, back]);
    };
    const aggregate = Buffer.concat([sub(9, 100, Buffer.from([0x17, 1, 0, 0, 0, 9])), sub(8, 120, Buffer.from([0xaf, 1, 5]))]);
    p.client.sendMedia(streamId, MessageType.Aggregate, 5000, aggregate);
    p.flush();
    expect(media.map((m) => [m.type, m.timestamp, m.payload.toString('hex')])).toEqual([
      [9, 5000, '170100000009'],
      [8, 5020, 'af0105'],
    ]);
  });

  test('the server acknowledges after the window the client set', () => {
    const p = pair({ onPublish: (r) => p.server.acceptPublish(r.streamId) });
    const streamId = connectAndCreate(p);
    p.client.sendRaw(encodeChunks(128, 0, 2, MessageType.WindowAckSize, 0, 0, Buffer.from([0, 0, 0x10, 0])));
    p.client.publish(streamId, 'ack');
    p.flush();
    const acks: RtmpMessage[] = [];
    const sniffer = new ChunkReader((m) => acks.push(m), {});
    const original = p.client.push.bind(p.client);
    let first = true;
    p.client.push = (b: Buffer) => {
      if (first) {
        sniffer.chunkSize = 4096;
        first = false;
      }
      sniffer.push(b);
      original(b);
    };
    p.client.sendMedia(streamId, MessageType.Video, 0, Buffer.alloc(5000, 1));
    p.flush();
    expect(acks.some((m) => m.type === MessageType.Acknowledgement)).toBe(true);
  });

  describe('violations', () => {
    const expectCode = (fn: () => void, code: string) => {
      let caught: unknown;
      try {
        fn();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(RtmpError);
      expect((caught as RtmpError).code).toBe(code);
    };

    test('a command before connect', () => {
      const p = pair();
      p.client.start();
      p.flush();
      expectCode(() => p.server.push(encodeChunks(128, 0, 3, 20, 0, 0, encodeCommand('createStream', 2, null))), 'RTMP_COMMAND_OUT_OF_ORDER');
    });

    test('an unknown command is answered with _error, then RTMP_UNKNOWN_COMMAND', () => {
      const p = pair();
      connectAndCreate(p);
      const sent: Buffer[] = [];
      (p.server as unknown as { handler: ServerSessionHandler }).handler.send = (b) => sent.push(b);
      expectCode(() => p.server.push(encodeChunks(4096, 0, 3, 20, 0, 0, encodeCommand('launchRocket', 9, null))), 'RTMP_UNKNOWN_COMMAND');
      expect(Buffer.concat(sent).includes(Buffer.from('NetConnection.Call.Failed'))).toBe(true);
    });

    test('publish on a stream that was never created', () => {
      const p = pair();
      connectAndCreate(p);
      expectCode(() => p.server.push(encodeChunks(4096, 0, 8, 20, 7, 0, encodeCommand('publish', 0, null, 'x'))), 'RTMP_BAD_STREAM_ID');
    });

    test('an undecodable command', () => {
      const p = pair();
      p.client.start();
      p.flush();
      expectCode(() => p.server.push(encodeChunks(128, 0, 3, 20, 0, 0, Buffer.from([0x02, 0x00, 0x40, 0x61]))), 'RTMP_BAD_COMMAND');
    });

    test('a connect refused by the application', () => {
      const p = pair({ onConnect: () => 'no such app' });
      p.client.start();
      p.flush();
      expectCode(() => p.server.push(encodeChunks(128, 0, 3, 20, 0, 0, encodeAmf0('connect', 1, { app: 'x' }))), 'RTMP_REJECTED');
    });

    test('too many streams on one connection', () => {
      const p = pair();
      connectAndCreate(p); // stream 1
      const createStream = (txn: number) => encodeChunks(4096, 0, 3, 20, 0, 0, encodeCommand('createStream', txn, null));
      for (let i = 0; i < 7; i++) p.server.push(createStream(20 + i)); // streams 2..8
      expectCode(() => p.server.push(createStream(30)), 'RTMP_TOO_MANY_STREAMS');
    });
  });
});
