import { workerEnvironment } from './workers';

describe('workerEnvironment', () => {
  it('suffixes the node id with the worker index and offsets the metrics port', () => {
    expect(workerEnvironment({ NODE_ID: 'origin-a', METRICS_PORT: '9500' }, 1, 'origin', 9465)).toEqual({ NODE_ID: 'origin-a-1', METRICS_PORT: '9501' });
    expect(workerEnvironment({ NODE_ID: 'edge-x', METRICS_PORT: '9464' }, 0, 'edge', 9464)).toEqual({ NODE_ID: 'edge-x-0', METRICS_PORT: '9464' });
  });

  it("uses the role's default metrics port and a pid-based node id when they are not set", () => {
    expect(workerEnvironment({}, 2, 'origin', 9465)).toEqual({ NODE_ID: `origin-${process.pid}-2`, METRICS_PORT: '9467' });
    expect(workerEnvironment({ NODE_ID: '', METRICS_PORT: '' }, 1, 'edge', 9464)).toEqual({ NODE_ID: `edge-${process.pid}-1`, METRICS_PORT: '9465' });
  });

  it('keeps METRICS_PORT=0 (a free port for every worker)', () => {
    expect(workerEnvironment({ NODE_ID: 'o', METRICS_PORT: '0' }, 3, 'origin', 9465).METRICS_PORT).toBe('0');
  });
});
