import { BadRequestException, ConflictException, NotFoundException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DEFAULT_STREAM_KEY_POLICY, RegistryError, StreamKeyStore, type CreatedStreamKey, type StreamKeyRecord } from '@ingest/registry';
import { loadConfig } from '../config';
import { CONFIG } from '../common/tokens';
import { StreamKeysService } from './stream-keys.service';

const SECRET = 'sk_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';

function record(overrides: Partial<StreamKeyRecord> = {}): StreamKeyRecord {
  return {
    id: 'key_abcdefghijkl',
    name: 'my-show',
    createdAt: '2026-01-01T00:00:00.000Z',
    rotatedAt: null,
    revokedAt: null,
    policy: { ...DEFAULT_STREAM_KEY_POLICY, allowedCidrs: [], allowedCodecs: [] },
    keyHint: SECRET.slice(0, 6),
    ...overrides,
  };
}

type FakeStore = { [K in 'create' | 'list' | 'get' | 'getByName' | 'rotate' | 'revoke']: jest.Mock };

describe('StreamKeysService', () => {
  let service: StreamKeysService;
  let store: FakeStore;

  beforeEach(async () => {
    store = { create: jest.fn(), list: jest.fn(), get: jest.fn(), getByName: jest.fn(), rotate: jest.fn(), revoke: jest.fn() };
    const config = loadConfig({ ADMIN_TOKEN: 't', PUBLIC_INGEST_URL: 'rtmp://ingest.example.com/live/', PUBLIC_PLAYBACK_HTTP_URL: 'https://cdn.example.com/live' });
    const moduleRef = await Test.createTestingModule({
      providers: [StreamKeysService, { provide: StreamKeyStore, useValue: {} }, { provide: CONFIG, useValue: config }],
    })
      .overrideProvider(StreamKeyStore)
      .useValue(store)
      .compile();
    service = moduleRef.get(StreamKeysService);
  });

  it('creates a key: the secret in `key` and the publish URLs, the name in the playback URLs', async () => {
    const created: CreatedStreamKey = { ...record(), key: SECRET };
    store.create.mockResolvedValue(created);
    const dto = await service.create({ name: 'my-show', policy: { maxBitrateKbps: 6000, allowedCodecs: ['h264'] } });
    expect(store.create).toHaveBeenCalledWith({ name: 'my-show', policy: { maxBitrateKbps: 6000, allowedCodecs: ['h264'] } });
    expect(dto.key).toBe(SECRET);
    expect(dto.ingestUrls).toEqual({ rtmp: `rtmp://ingest.example.com/live/${SECRET}`, rtmps: `rtmps://127.0.0.1:1936/live/${SECRET}` });
    expect(dto.playbackUrls).toEqual({
      rtmp: 'rtmp://127.0.0.1:1945/live/my-show',
      httpFlv: 'https://cdn.example.com/live/my-show.flv',
      hls: 'https://cdn.example.com/live/my-show/index.m3u8',
    });
    expect(JSON.stringify(dto.playbackUrls)).not.toContain(SECRET);
    expect(dto.status).toBe('active');
  });

  it('passes no policy when none is given', async () => {
    store.create.mockResolvedValue({ ...record(), key: SECRET });
    await service.create({ name: 'my-show' });
    expect(store.create).toHaveBeenCalledWith({ name: 'my-show', policy: undefined });
  });

  it('maps a taken name to 409 and invalid input to 400', async () => {
    store.create.mockRejectedValueOnce(new RegistryError('REGISTRY_CONFLICT', 'taken'));
    await expect(service.create({ name: 'my-show' })).rejects.toBeInstanceOf(ConflictException);
    store.create.mockRejectedValueOnce(new RegistryError('REGISTRY_INVALID', 'policy.expiresAt must be an ISO 8601 date-time'));
    await expect(service.create({ name: 'my-show' })).rejects.toBeInstanceOf(BadRequestException);
    store.create.mockRejectedValueOnce(new RegistryError('REGISTRY_UNAVAILABLE', 'down'));
    await expect(service.create({ name: 'my-show' })).rejects.toBeInstanceOf(RegistryError);
  });

  it('lists keys without secrets: publish URLs carry a <key> placeholder', async () => {
    store.list.mockResolvedValue([record(), record({ id: 'key_revokedrevok', name: 'old', revokedAt: '2026-01-02T00:00:00.000Z' })]);
    const list = await service.list();
    expect(list.map((k) => k.status)).toEqual(['active', 'revoked']);
    expect(list[0].ingestUrls.rtmp).toBe('rtmp://ingest.example.com/live/<key>');
    expect(list[0]).not.toHaveProperty('key');
  });

  it('reports expired keys', async () => {
    store.get.mockResolvedValue(record({ policy: { ...DEFAULT_STREAM_KEY_POLICY, expiresAt: '2020-01-01T00:00:00.000Z' } }));
    expect((await service.get('key_abcdefghijkl')).status).toBe('expired');
  });

  it('answers 404 for unknown ids', async () => {
    store.get.mockResolvedValue(undefined);
    store.revoke.mockResolvedValue(undefined);
    await expect(service.get('key_nope')).rejects.toBeInstanceOf(NotFoundException);
    await expect(service.rotate('key_nope')).rejects.toBeInstanceOf(NotFoundException);
    await expect(service.revoke('key_nope')).rejects.toBeInstanceOf(NotFoundException);
  });

  it('rotates: a new secret, shown once', async () => {
    store.get.mockResolvedValue(record());
    store.rotate.mockResolvedValue({ ...record({ rotatedAt: '2026-01-03T00:00:00.000Z', keyHint: 'sk_new' }), key: 'sk_newsecret' });
    const dto = await service.rotate('key_abcdefghijkl');
    expect(dto.key).toBe('sk_newsecret');
    expect(dto.ingestUrls.rtmp).toBe('rtmp://ingest.example.com/live/sk_newsecret');
    expect(dto.rotatedAt).toBe('2026-01-03T00:00:00.000Z');
  });

  it('refuses to rotate a revoked key with 409', async () => {
    store.get.mockResolvedValue(record({ revokedAt: '2026-01-02T00:00:00.000Z' }));
    await expect(service.rotate('key_abcdefghijkl')).rejects.toBeInstanceOf(ConflictException);
    expect(store.rotate).not.toHaveBeenCalled();
  });

  it('revokes', async () => {
    store.revoke.mockResolvedValue(record({ revokedAt: '2026-01-02T00:00:00.000Z' }));
    const dto = await service.revoke('key_abcdefghijkl');
    expect(dto).toMatchObject({ id: 'key_abcdefghijkl', revokedAt: '2026-01-02T00:00:00.000Z', status: 'revoked' });
  });
});
