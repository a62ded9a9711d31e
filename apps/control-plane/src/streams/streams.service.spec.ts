import { NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { errors } from '@nats-io/transport-node';
import { StreamKeyStore, StreamRegistry, ViewerRegistry, type StreamRecord } from '@ingest/registry';
import { createLogger } from '@ingest/telemetry';
import { LOGGER, NATS } from '../common/tokens';
import { STREAM_EVENTS, type StreamEvent } from './stream-events';
import { KICK_REPLY_TIMEOUT_MS, streamView, StreamsService } from './streams.service';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');

function liveRecord(overrides: Partial<StreamRecord> = {}): StreamRecord {
  return {
    name: 'my-show',
    app: 'live',
    edgeId: 'edge-1',
    publisherId: 'pub-1',
    epoch: 3,
    startedAt: NOW - 90_500,
    updatedAt: NOW - 1000,
    info: {
      video: { codec: 'avc1', name: 'H.264', profile: 'High', level: '4.1', width: 1280, height: 720, fps: 30, secret: 'x' },
      audio: { codec: 'mp4a', name: 'AAC', profile: 'LC', sampleRate: 48000, channels: 2 },
      fps: 29.97,
      bitrateKbps: 2500,
      protocol: 'rtmp',
      encoder: 'Lavf61',
      key: 'sk_must_not_leak',
      streamKey: 'sk_must_not_leak_either',
    },
    ...overrides,
  };
}

describe('streamView', () => {
  it('shows the known fields and nothing else of the record', () => {
    const view = streamView(liveRecord(), 4, NOW);
    expect(view).toEqual({
      name: 'my-show',
      app: 'live',
      edge: 'edge-1',
      startedAt: new Date(NOW - 90_500).toISOString(),
      uptimeSeconds: 90,
      viewers: 4,
      video: { codec: 'avc1', name: 'H.264', profile: 'High', level: '4.1', width: 1280, height: 720, fps: 30 },
      audio: { codec: 'mp4a', name: 'AAC', profile: 'LC', sampleRate: 48000, channels: 2 },
      fps: 29.97,
      bitrateKbps: 2500,
      protocol: 'rtmp',
      encoder: 'Lavf61',
      updatedAt: new Date(NOW - 1000).toISOString(),
    });
    expect(JSON.stringify(view)).not.toMatch(/sk_must_not_leak|pub-1|secret/);
  });

  it('copes with a record whose info is empty or malformed', () => {
    const view = streamView(liveRecord({ info: { video: 'nope', audio: null, fps: 'fast' } as unknown as Record<string, unknown> }), 0, NOW);
    expect(view.video).toBeUndefined();
    expect(view.audio).toBeUndefined();
    expect(view.fps).toBeUndefined();
  });
});

describe('StreamsService.kick', () => {
  let service: StreamsService;
  let nats: { request: jest.Mock; isClosed: jest.Mock };
  let keys: { getByName: jest.Mock; revoke: jest.Mock };
  let streams: { get: jest.Mock; list: jest.Mock };
  let events: StreamEvent[];
  let order: string[];

  beforeEach(async () => {
    order = [];
    events = [];
    nats = { request: jest.fn(), isClosed: jest.fn(() => false) };
    keys = {
      getByName: jest.fn(async () => ({ id: 'key_abcdefghijkl', name: 'my-show', revokedAt: null })),
      revoke: jest.fn(async () => {
        order.push('revoke');
        return { id: 'key_abcdefghijkl', name: 'my-show', revokedAt: new Date(NOW).toISOString() };
      }),
    };
    streams = { get: jest.fn(async (name: string) => (name === 'my-show' ? liveRecord() : undefined)), list: jest.fn() };
    const moduleRef = await Test.createTestingModule({
      providers: [
        StreamsService,
        { provide: StreamRegistry, useValue: streams },
        { provide: ViewerRegistry, useValue: { getMany: jest.fn(), get: jest.fn() } },
        { provide: StreamKeyStore, useValue: keys },
        { provide: NATS, useValue: nats },
        { provide: STREAM_EVENTS, useValue: { publish: () => undefined } },
        { provide: LOGGER, useValue: createLogger('test', { level: 'silent' }) },
      ],
    })
      .overrideProvider(STREAM_EVENTS)
      .useValue({ publish: (e: StreamEvent) => events.push(e) })
      .compile();
    service = moduleRef.get(StreamsService);
  });

  function replyWith(body: unknown): void {
    nats.request.mockImplementation(async () => {
      order.push('request');
      return { json: () => body };
    });
  }

  it('asks on control.stream.<name> and reports the edge that confirmed', async () => {
    replyWith({ kicked: true, edge: 'edge-x' });
    const result = await service.kick('my-show', false);
    expect(result).toEqual({ name: 'my-show', kicked: true, edge: 'edge-x', keyRevoked: false });
    const [subject, payload, options] = nats.request.mock.calls[0] as [string, string, { timeout: number }];
    expect(subject).toBe('control.stream.my-show');
    expect(JSON.parse(payload)).toEqual({ action: 'kick', reason: 'Stream was stopped by the operator.' });
    expect(options.timeout).toBe(KICK_REPLY_TIMEOUT_MS);
    expect(keys.revoke).not.toHaveBeenCalled();
    expect(events).toEqual([{ type: 'stream.kicked', stream: 'my-show', keyId: 'key_abcdefghijkl', edgeId: 'edge-x', at: expect.any(String) }]);
  });

  it('with revoke, revokes the key before kicking (so the encoder cannot come straight back)', async () => {
    replyWith({ kicked: true, edge: 'edge-x' });
    const result = await service.kick('my-show', true);
    expect(result.keyRevoked).toBe(true);
    expect(keys.revoke).toHaveBeenCalledWith('key_abcdefghijkl');
    expect(order).toEqual(['revoke', 'request']);
  });

  it('reports keyRevoked false when the stream has no live key', async () => {
    replyWith({ kicked: true, edge: 'edge-x' });
    keys.getByName.mockResolvedValue(undefined);
    expect((await service.kick('my-show', true)).keyRevoked).toBe(false);
  });

  it('treats "no responders" and a timeout as an unconfirmed kick', async () => {
    nats.request.mockRejectedValueOnce(new errors.RequestError('no responders', { cause: new errors.NoRespondersError('control.stream.my-show') }));
    const noResponders = await service.kick('my-show', false);
    expect(noResponders).toEqual({ name: 'my-show', kicked: false, keyRevoked: false });
    nats.request.mockRejectedValueOnce(new errors.TimeoutError());
    expect((await service.kick('my-show', false)).kicked).toBe(false);
    // The event still names the registry's edge.
    expect(events[1].edgeId).toBe('edge-1');
  });

  it('answers 503 when NATS is closed and 404 when the stream is not live', async () => {
    await expect(service.kick('other', false)).rejects.toBeInstanceOf(NotFoundException);
    nats.isClosed.mockReturnValue(true);
    await expect(service.kick('my-show', false)).rejects.toBeInstanceOf(ServiceUnavailableException);
    nats.isClosed.mockReturnValue(false);
    nats.request.mockRejectedValueOnce(new errors.ClosedConnectionError());
    await expect(service.kick('my-show', false)).rejects.toBeInstanceOf(ServiceUnavailableException);
  });

  it('never fails a kick because the events publisher threw', async () => {
    replyWith({ kicked: true, edge: 'edge-x' });
    const throwing = {
      publish: (): void => {
        throw new Error('broken');
      },
    };
    const direct = new StreamsService(
      streams as unknown as StreamRegistry,
      {} as ViewerRegistry,
      keys as unknown as StreamKeyStore,
      nats as never,
      throwing,
      createLogger('test', { level: 'silent' }),
    );
    expect((await direct.kick('my-show', false)).kicked).toBe(true);
  });
});
