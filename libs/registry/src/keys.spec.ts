import { DEFAULT_PREFIX, registryKeys, resolveOptions } from './keys';

describe('registryKeys', () => {
  it('names every key under the default prefix', () => {
    const keys = registryKeys();
    expect(DEFAULT_PREFIX).toBe('ingest:');
    expect([keys.stream('live/cam1'), keys.streams, keys.node('edge-1'), keys.nodes, keys.nodeEpoch('edge-1'), keys.viewers('cam1')]).toEqual([
      'ingest:stream:live/cam1',
      'ingest:streams',
      'ingest:node:edge-1',
      'ingest:nodes',
      'ingest:node-epoch:edge-1',
      'ingest:viewers:cam1',
    ]);
  });

  it('uses a configured prefix', () => {
    const keys = registryKeys('staging:');
    expect(keys.prefix).toBe('staging:');
    expect(keys.stream('a')).toBe('staging:stream:a');
    expect(keys.streams).toBe('staging:streams');
  });

  it('defaults the TTL to 10 s and rejects bad ones', () => {
    expect(resolveOptions().ttlMs).toBe(10_000);
    expect(resolveOptions({ ttlMs: 300, prefix: 'x:' })).toMatchObject({ ttlMs: 300, keys: { prefix: 'x:' } });
    for (const ttlMs of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => resolveOptions({ ttlMs })).toThrow(RangeError);
  });
});
