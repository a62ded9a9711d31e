import { parseCli, UsageError } from './cli';

describe('parseCli', () => {
  it('prints usage without a scenario or with --help', () => {
    expect(parseCli([]).scenario).toBe('help');
    expect(parseCli(['--help']).scenario).toBe('help');
    const help = parseCli(['ingest', '--help']);
    expect(help.scenario === 'help' && help.text).toMatch(/--pin-server/);
  });

  it('has the documented defaults', () => {
    expect(parseCli(['chunk-reader'])).toEqual({
      scenario: 'chunk-reader',
      options: { seconds: 3, warmup: 1, piece: 65536, sizes: [128, 4096], media: undefined, save: true, note: undefined },
    });
    expect(parseCli(['ingest'])).toEqual({
      scenario: 'ingest',
      options: {
        servers: ['edge'], publishers: 20, seconds: 30, warmup: 5, chunkSize: 4096,
        pinServer: undefined, pinLoad: undefined, media: undefined, save: true, note: undefined,
      },
    });
  });

  it('reads the options', () => {
    const command = parseCli(['ingest', '--publishers', '50', '--seconds=60', '--warmup', '0', '--pin-server', '1', '--pin-load', '0', '--no-save', '--chunk-size', '128']);
    expect(command).toMatchObject({
      scenario: 'ingest',
      options: { publishers: 50, seconds: 60, warmup: 0, pinServer: '1', pinLoad: '0', save: false, chunkSize: 128 },
    });
    expect(parseCli(['chunk-reader', '--sizes', '128,256,60000'])).toMatchObject({ options: { sizes: [128, 256, 60000] } });
  });

  it('has the fanout defaults, and the matrix ones', () => {
    const common = {
      warmup: 5, connectSeconds: 1.5, chunkSize: 4096, pinServer: undefined, pinLoad: undefined,
      media: undefined, save: true, note: undefined,
    };
    expect(parseCli(['fanout'])).toEqual({
      scenario: 'fanout',
      options: { ...common, path: 'cluster', protocol: 'rtmp', viewers: 100, seconds: 30, waitLoad: 0 },
    });
    const matrix = {
      scenario: 'fanout-matrix',
      options: {
        ...common, paths: ['cluster', 'single', 'nms'], protocols: ['rtmp', 'http-flv', 'ws-flv'], viewerCounts: [100, 800], seconds: 20, waitLoad: 0.5,
      },
    };
    expect(parseCli(['fanout-matrix'])).toEqual(matrix);
    expect(parseCli(['fanout', '--matrix'])).toEqual(matrix);
    const help = parseCli(['fanout', '--help']);
    expect(help.scenario === 'help' && help.text).toMatch(/--protocol/);
  });

  it('reads the fanout options', () => {
    expect(
      parseCli(['fanout', '--path', 'single', '--protocol', 'http-flv', '--viewers', '500', '--seconds', '20', '--pin-server', '1', '--pin-load', '0', '--wait-load', '0.5']),
    ).toMatchObject({ scenario: 'fanout', options: { path: 'single', protocol: 'http-flv', viewers: 500, seconds: 20, pinServer: '1', pinLoad: '0', waitLoad: 0.5 } });
    expect(parseCli(['fanout-matrix', '--paths', 'single', '--protocols', 'ws-flv,rtmp', '--viewers', '10,20', '--wait-load', '0'])).toMatchObject({
      options: { paths: ['single'], protocols: ['ws-flv', 'rtmp'], viewerCounts: [10, 20], waitLoad: 0 },
    });
  });

  it.each([
    [['fanout', '--path', 'edge'], /--path must be one of cluster, single, nms/],
    [['fanout', '--protocol', 'hls'], /--protocol must be one of rtmp, http-flv, ws-flv/],
    [['fanout', '--viewers', '0'], /--viewers must be an integer >= 1/],
    [['fanout', '--protocols', 'rtmp'], /--protocols is for fanout-matrix/],
    [['fanout-matrix', '--protocol', 'rtmp'], /fanout-matrix takes --protocols/],
    [['fanout-matrix', '--viewers', '100,'], /comma-separated/],
    [['fanout-matrix', '--viewers', '100,x'], /--viewers/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(UsageError);
    expect(() => parseCli(argv)).toThrow(message);
  });

  it('runs fanout against node-media-server with --path nms', () => {
    expect(parseCli(['fanout', '--path', 'nms', '--protocol', 'ws-flv'])).toMatchObject({ scenario: 'fanout', options: { path: 'nms', protocol: 'ws-flv' } });
    expect(parseCli(['fanout-matrix', '--paths', 'cluster,nms'])).toMatchObject({ options: { paths: ['cluster', 'nms'] } });
  });

  it('ingests into the edge, NMS or both, in the order given', () => {
    expect(parseCli(['ingest', '--server', 'nms'])).toMatchObject({ scenario: 'ingest', options: { servers: ['nms'] } });
    expect(parseCli(['ingest', '--server', 'nms,edge,nms'])).toMatchObject({ options: { servers: ['nms', 'edge'] } });
    expect(parseCli(['ingest-compare', '--publishers', '5'])).toMatchObject({ scenario: 'ingest', options: { servers: ['edge', 'nms'], publishers: 5 } });
    const help = parseCli(['ingest-compare', '--help']);
    expect(help.scenario === 'help' && help.text).toMatch(/--server <list>/);
  });

  it('has the capacity defaults and reads its options', () => {
    expect(parseCli(['capacity'])).toEqual({
      scenario: 'capacity',
      options: {
        path: 'cluster', protocol: 'rtmp', steps: [100, 200, 400, 800, 1200, 1600, 2000, 2400, 2800, 3200], seconds: 10, settle: 3,
        connectSeconds: 2, chunkSize: 4096, pinServer: undefined, pinLoad: undefined, waitLoad: 0, maxP99Ms: 1000, maxLossPercent: 1,
        maxLoadCpuPercent: 90, media: undefined, save: true, note: undefined,
      },
    });
    expect(
      parseCli(['capacity', '--path', 'nms', '--protocol', 'http-flv', '--steps', '10,20', '--seconds', '5', '--settle', '0', '--max-p99-ms', '500', '--max-loss', '0', '--max-load-cpu', '80']),
    ).toMatchObject({ options: { path: 'nms', protocol: 'http-flv', steps: [10, 20], seconds: 5, settle: 0, maxP99Ms: 500, maxLossPercent: 0, maxLoadCpuPercent: 80 } });
    const help = parseCli(['capacity', '--help']);
    expect(help.scenario === 'help' && help.text).toMatch(/--steps/);
  });

  it('has the compare defaults: the whole matrix with the peer, then ingest into both', () => {
    const command = parseCli(['compare', '--pin-server', '1', '--pin-load', '0', '--no-save']);
    expect(command).toMatchObject({
      scenario: 'compare',
      options: {
        matrix: { paths: ['cluster', 'single', 'nms'], protocols: ['rtmp', 'http-flv', 'ws-flv'], viewerCounts: [100, 800], seconds: 15, waitLoad: 0, pinServer: '1', pinLoad: '0', save: false },
        ingest: { servers: ['edge', 'nms'], publishers: 20, seconds: 30, warmup: 5, pinServer: '1', pinLoad: '0', save: false },
      },
    });
    expect(parseCli(['compare', '--viewers', '10', '--ingest-seconds', '3', '--publishers', '2'])).toMatchObject({
      options: { matrix: { viewerCounts: [10] }, ingest: { seconds: 3, publishers: 2 } },
    });
  });

  it.each([
    [['ingest', '--server', 'srs'], /--server must be one of edge, nms/],
    [['ingest-compare', '--server', 'edge'], /ingest-compare always runs edge,nms/],
    [['capacity', '--steps', '100,100'], /--steps must increase/],
    [['capacity', '--steps', '200,100'], /--steps must increase/],
    [['capacity', '--steps', '0,100'], /--steps must be an integer >= 1/],
    [['capacity', '--path', 'srs'], /--path must be one of/],
    [['capacity', '--paths', 'nms'], /paths/],
    [['compare', '--path', 'nms'], /path/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(UsageError);
    expect(() => parseCli(argv)).toThrow(message);
  });

  it.each([
    [['bogus'], /unknown scenario/],
    [['ingest', '--publishers', '0'], /--publishers must be an integer >= 1/],
    [['ingest', '--publishers', '2.5'], /--publishers/],
    [['ingest', '--seconds=-1'], /--seconds must be a positive number/],
    [['ingest', '--seconds', '0'], /--seconds must be a positive number/],
    [['ingest', '--pin-server', 'all'], /taskset CPU list/],
    [['ingest', '--chunk-size', '64'], /--chunk-size must be an integer >= 128/],
    [['chunk-reader', '--sizes', '128,x'], /--sizes/],
    [['chunk-reader', '--frobnicate'], /frobnicate/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(UsageError);
    expect(() => parseCli(argv)).toThrow(message);
  });
});
