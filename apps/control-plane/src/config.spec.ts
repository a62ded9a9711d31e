import { loadConfig } from './config';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({ ADMIN_TOKEN: 'secret-token' });
    expect(config).toMatchObject({
      apiPort: 3000,
      apiHost: '0.0.0.0',
      adminToken: 'secret-token',
      adminTokenGenerated: false,
      redisUrl: 'redis://127.0.0.1:6379',
      natsUrl: 'nats://127.0.0.1:4222',
      metricsPort: 9466,
      publicIngestUrl: 'rtmp://127.0.0.1:1935/live',
      publicIngestRtmpsUrl: 'rtmps://127.0.0.1:1936/live',
      publicPlaybackRtmpUrl: 'rtmp://127.0.0.1:1945/live',
      publicPlaybackHttpUrl: 'http://127.0.0.1:8080/live',
    });
  });

  it('generates a random token outside production when ADMIN_TOKEN is unset or empty', () => {
    const a = loadConfig({});
    const b = loadConfig({ ADMIN_TOKEN: '', NODE_ENV: 'development' });
    expect(a.adminTokenGenerated).toBe(true);
    expect(a.adminToken.length).toBeGreaterThanOrEqual(32);
    expect(b.adminTokenGenerated).toBe(true);
    expect(a.adminToken).not.toBe(b.adminToken);
  });

  it('requires ADMIN_TOKEN in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/ADMIN_TOKEN is required/);
    expect(() => loadConfig({ NODE_ENV: 'production', ADMIN_TOKEN: '' })).toThrow(/ADMIN_TOKEN is required/);
    expect(loadConfig({ NODE_ENV: 'production', ADMIN_TOKEN: 'x' }).adminToken).toBe('x');
  });

  it('reads ports and URLs, trimming trailing slashes', () => {
    const config = loadConfig({ ADMIN_TOKEN: 't', API_PORT: '8088', METRICS_PORT: '0', PUBLIC_INGEST_URL: 'rtmp://ingest.example.com/live/' });
    expect(config.apiPort).toBe(8088);
    expect(config.metricsPort).toBe(0);
    expect(config.publicIngestUrl).toBe('rtmp://ingest.example.com/live');
  });

  it('rejects bad values', () => {
    expect(() => loadConfig({ ADMIN_TOKEN: 't', API_PORT: 'http' })).toThrow(/API_PORT/);
    expect(() => loadConfig({ ADMIN_TOKEN: 't', PUBLIC_PLAYBACK_HTTP_URL: 'not a url' })).toThrow(/PUBLIC_PLAYBACK_HTTP_URL/);
    expect(() => loadConfig({ ADMIN_TOKEN: 'has space' })).toThrow(/whitespace/);
  });
});
