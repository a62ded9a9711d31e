import { OriginConfigError, loadOriginConfig } from './config';

describe('loadOriginConfig', () => {
  it('runs one process by default, and reads ORIGIN_WORKERS', () => {
    expect(loadOriginConfig({}).workers).toBe(1);
    expect(loadOriginConfig({ ORIGIN_WORKERS: '4' }).workers).toBe(4);
    expect(loadOriginConfig({ ORIGIN_WORKERS: '0' }).workers).toBe(1);
    expect(() => loadOriginConfig({ ORIGIN_WORKERS: 'two' })).toThrow(/ORIGIN_WORKERS must be a non-negative integer/);
  });

  it('allows direct ingest in a single process', () => {
    expect(loadOriginConfig({ ORIGIN_DIRECT_INGEST_PORT: '1999' }).directIngestPort).toBe(1999);
    expect(loadOriginConfig({ ORIGIN_WORKERS: '1', ORIGIN_DIRECT_INGEST_PORT: '1999' }).workers).toBe(1);
    expect(loadOriginConfig({ ORIGIN_WORKERS: '2', ORIGIN_DIRECT_INGEST_PORT: '0' }).workers).toBe(2);
  });

  it('refuses ORIGIN_WORKERS > 1 with direct ingest, with a named error', () => {
    let caught: unknown;
    try {
      loadOriginConfig({ ORIGIN_WORKERS: '2', ORIGIN_DIRECT_INGEST_PORT: '1999' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(OriginConfigError);
    expect((caught as OriginConfigError).code).toBe('ORIGIN_WORKERS_WITH_DIRECT_INGEST');
    expect(String(caught)).toMatch(/^OriginConfigError: ORIGIN_WORKERS_WITH_DIRECT_INGEST: ORIGIN_WORKERS=2 cannot be combined with ORIGIN_DIRECT_INGEST_PORT=1999/);
  });
});
