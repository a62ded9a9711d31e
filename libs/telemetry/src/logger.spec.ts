import { createLogger, type DestinationStream } from './logger';

function capture(): { stream: DestinationStream; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  return {
    stream: { write: (msg: string) => void chunks.push(msg) },
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  const saved = { NODE_ID: process.env.NODE_ID, LOG_LEVEL: process.env.LOG_LEVEL };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('writes JSON with component, pid, node and an ISO time', () => {
    process.env.NODE_ID = 'edge-7';
    const out = capture();
    createLogger('rtmp', { destination: out.stream }).info({ streamId: 1 }, 'hello');
    const [line] = out.lines();
    expect(line).toMatchObject({ component: 'rtmp', pid: process.pid, node: 'edge-7', msg: 'hello', streamId: 1, level: 30 });
    expect(typeof line.time).toBe('string');
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
  });

  it('redacts stream keys and credentials, top-level and one level down', () => {
    const out = capture();
    const log = createLogger('rtmp', { destination: out.stream });
    log.info({ streamKey: 'sk-secret', app: 'live' }, 'publish');
    log.info({ stream: { streamKey: 'sk-secret', name: 'cam1' }, key: 'k-secret', token: 't-secret' }, 'nested');
    log.info({ req: { headers: { authorization: 'Bearer b-secret', host: 'x' } } }, 'http');
    const text = out.lines().map((l) => JSON.stringify(l)).join('\n');
    expect(text).not.toMatch(/secret/);
    const [a, b, c] = out.lines();
    expect(a).toMatchObject({ streamKey: '[Redacted]', app: 'live' });
    expect(b).toMatchObject({ stream: { streamKey: '[Redacted]', name: 'cam1' }, key: '[Redacted]', token: '[Redacted]' });
    expect(c).toMatchObject({ req: { headers: { authorization: '[Redacted]', host: 'x' } } });
  });

  it('takes the level from options, then LOG_LEVEL, then info', () => {
    process.env.LOG_LEVEL = 'warn';
    const env = capture();
    const fromEnv = createLogger('a', { destination: env.stream });
    fromEnv.info('dropped');
    fromEnv.warn('kept');
    expect(env.lines().map((l) => l.msg)).toEqual(['kept']);
    expect(fromEnv.level).toBe('warn');

    expect(createLogger('b', { level: 'debug', destination: capture().stream }).level).toBe('debug');
    delete process.env.LOG_LEVEL;
    expect(createLogger('c', { destination: capture().stream }).level).toBe('info');
  });
});
