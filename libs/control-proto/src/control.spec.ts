import { existsSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createLogger, type Logger } from '@ingest/telemetry';
import {
  CONTROL_PROTO_PATH,
  ControlClient,
  ControlUnavailableError,
  INTERNAL_ERROR_MESSAGE,
  PUBLISH_STATUS,
  refusalStatusCode,
  startControlGrpcServer,
  type AuthorizePublishRequest,
  type AuthorizePublishResponse,
  type ControlGrpcServer,
  type ControlService,
} from './index';

jest.setTimeout(20_000);

const SECRET = 'sk_c2VjcmV0LXN0cmVhbS1rZXktZm9yLXRoZS1zcGVjLXRlc3Rz';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger('control-spec', { level: 'debug', destination: { write: (line: string) => void lines.push(line) } }), lines };
}

function request(overrides: Partial<AuthorizePublishRequest> = {}): AuthorizePublishRequest {
  return { key: SECRET, app: 'live', remoteAddress: '::ffff:127.0.0.1', protocol: 'rtmp', edgeId: 'edge-1', ...overrides };
}

const allowed: AuthorizePublishResponse = {
  allowed: true,
  streamName: 'cam1',
  statusCode: '',
  description: '',
  keyId: 'key_AbCdEfGhIjKl',
  policy: { maxBitrateKbps: 6000, allowedCodecs: ['h264', 'aac'], duplicatePolicy: 'takeover' },
};

/** A fake control plane: known key -> allowed; 'sk_cidr' -> Unauthorized; anything else -> BadName. */
class FakeControl implements ControlService {
  readonly requests: AuthorizePublishRequest[] = [];

  async authorizePublish(req: AuthorizePublishRequest): Promise<AuthorizePublishResponse> {
    this.requests.push(req);
    if (req.key === SECRET) return allowed;
    const reason = req.key === 'sk_cidr' ? 'cidr' : 'unknown';
    return {
      allowed: false,
      streamName: '',
      statusCode: refusalStatusCode(reason),
      description: reason === 'cidr' ? 'Publishing from this address is not allowed.' : 'Unknown stream key.',
      keyId: '',
      policy: { maxBitrateKbps: 0, allowedCodecs: [], duplicatePolicy: 'reject' },
    };
  }
}

const servers: ControlGrpcServer[] = [];
const clients: ControlClient[] = [];

async function serve(service: ControlService, options: { port?: number; logger?: Logger } = {}): Promise<ControlGrpcServer> {
  const server = await startControlGrpcServer(service, { port: options.port ?? 0, logger: options.logger ?? createLogger('control-spec', { level: 'silent' }) });
  servers.push(server);
  return server;
}

function connect(port: number, logger: Logger = createLogger('control-spec', { level: 'silent' })): ControlClient {
  const client = new ControlClient(`127.0.0.1:${port}`, { logger });
  clients.push(client);
  return client;
}

async function failure(promise: Promise<unknown>): Promise<ControlUnavailableError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ControlUnavailableError);
    expect((err as ControlUnavailableError).code).toBe('CONTROL_UNAVAILABLE');
    return err as ControlUnavailableError;
  }
  throw new Error('expected ControlUnavailableError');
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('control.proto', () => {
  it('is found next to src/ (and dist/)', () => {
    expect(CONTROL_PROTO_PATH).toMatch(/libs[/\\]control-proto[/\\]proto[/\\]control\.proto$/);
    expect(existsSync(CONTROL_PROTO_PATH)).toBe(true);
  });

  it('maps onStatus codes for refusal reasons', () => {
    expect(['unknown', 'revoked', 'expired', 'cidr'].map((r) => refusalStatusCode(r as 'cidr'))).toEqual([
      'NetStream.Publish.BadName',
      'NetStream.Publish.BadName',
      'NetStream.Publish.BadName',
      'NetStream.Publish.Unauthorized',
    ]);
    expect(PUBLISH_STATUS).toEqual({ BadName: 'NetStream.Publish.BadName', Unauthorized: 'NetStream.Publish.Unauthorized' });
  });
});

describe('startControlGrpcServer + ControlClient', () => {
  it('serves AuthorizePublish on a free port and passes requests and answers through unchanged', async () => {
    const control = new FakeControl();
    const server = await serve(control);
    expect(server.port).toBeGreaterThan(0);
    const client = connect(server.port);

    expect(await client.authorizePublish(request(), 2000)).toEqual(allowed);
    expect(control.requests).toEqual([request()]);

    expect(await client.authorizePublish(request({ key: 'sk_nope', protocol: 'rtmps' }), 2000)).toEqual({
      allowed: false,
      streamName: '',
      statusCode: 'NetStream.Publish.BadName',
      description: 'Unknown stream key.',
      keyId: '',
      policy: { maxBitrateKbps: 0, allowedCodecs: [], duplicatePolicy: 'reject' },
    });
    expect(await client.authorizePublish(request({ key: 'sk_cidr' }), 2000)).toMatchObject({ allowed: false, statusCode: 'NetStream.Publish.Unauthorized' });
    expect(control.requests[1]).toEqual(request({ key: 'sk_nope', protocol: 'rtmps' }));
  });

  it('uses snake_case field names on the wire (a client built from the .proto with keepCase)', async () => {
    const control = new FakeControl();
    const server = await serve(control);
    const definition = protoLoader.loadSync(CONTROL_PROTO_PATH, { keepCase: true, defaults: true, longs: Number, arrays: true });
    const Control = (grpc.loadPackageDefinition(definition) as unknown as { ingest: { control: { v1: { Control: grpc.ServiceClientConstructor } } } }).ingest.control.v1.Control;
    const raw = new Control(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      AuthorizePublish(req: object, cb: (err: grpc.ServiceError | null, res: Record<string, unknown>) => void): void;
    };
    try {
      const response = await new Promise<Record<string, unknown>>((resolve, reject) =>
        raw.AuthorizePublish({ key: SECRET, app: 'live', remote_address: '10.0.0.1', protocol: 'rtmp', edge_id: 'edge-9' }, (err, res) => (err ? reject(err) : resolve(res))),
      );
      expect(control.requests).toEqual([{ key: SECRET, app: 'live', remoteAddress: '10.0.0.1', protocol: 'rtmp', edgeId: 'edge-9' }]);
      expect(response).toEqual({
        allowed: true,
        stream_name: 'cam1',
        status_code: '',
        description: '',
        key_id: 'key_AbCdEfGhIjKl',
        policy: { max_bitrate_kbps: 6000, allowed_codecs: ['h264', 'aac'], duplicate_policy: 'takeover' },
      });
    } finally {
      raw.close();
    }
  });

  it('fills in a missing policy and missing strings on the client side', async () => {
    const server = await serve({ authorizePublish: async () => ({ allowed: false }) as AuthorizePublishResponse });
    expect(await connect(server.port).authorizePublish(request(), 2000)).toEqual({
      allowed: false,
      streamName: '',
      statusCode: '',
      description: '',
      keyId: '',
      policy: { maxBitrateKbps: 0, allowedCodecs: [], duplicatePolicy: 'reject' },
    });
  });

  it('answers INTERNAL with a generic message when the handler fails, and never logs the key', async () => {
    const { logger, lines } = capture();
    const server = await serve(
      {
        authorizePublish: async (req) => {
          throw new Error(`database exploded while looking up ${req.key}`);
        },
      },
      { logger },
    );
    const client = connect(server.port);
    const err = await failure(client.authorizePublish(request(), 2000));
    expect(err.grpcCode).toBe(grpc.status.INTERNAL);
    expect(err.message).toContain(INTERNAL_ERROR_MESSAGE);
    expect(`${err.message} ${err.stack}`).not.toContain(SECRET);
    const log = lines.join('');
    expect(log).toContain('AuthorizePublish failed');
    expect(log).toContain('database exploded while looking up [Redacted]');
    expect(log).toContain('edge-1');
    expect(log).not.toContain(SECRET);
  });

  it('answers INTERNAL when the handler returns something that is not a response', async () => {
    const bad = [
      { allowed: 'yes' },
      { ...allowed, policy: { ...allowed.policy, maxBitrateKbps: -1 } },
      { ...allowed, policy: { ...allowed.policy, maxBitrateKbps: 1.5 } },
      { ...allowed, policy: { ...allowed.policy, duplicatePolicy: 'queue' } },
      { ...allowed, streamName: 42 },
      null,
    ];
    let next = 0;
    const server = await serve({ authorizePublish: async () => bad[next++] as unknown as AuthorizePublishResponse });
    const client = connect(server.port);
    for (let i = 0; i < bad.length; i++) expect((await failure(client.authorizePublish(request(), 2000))).grpcCode).toBe(grpc.status.INTERNAL);
  });

  it('rejects with CONTROL_UNAVAILABLE at the deadline when the service never answers', async () => {
    const server = await serve({
      authorizePublish: (req) => (req.key === 'warm-up' ? Promise.resolve(allowed) : new Promise<never>(() => undefined)),
    });
    const client = connect(server.port);
    await client.authorizePublish(request({ key: 'warm-up' }), 2000); // connected
    for (const deadlineMs of [200, 50]) {
      const started = performance.now();
      const err = await failure(client.authorizePublish(request(), deadlineMs));
      const elapsed = performance.now() - started;
      expect(err.grpcCode).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(elapsed).toBeGreaterThanOrEqual(deadlineMs - 5);
      expect(elapsed).toBeLessThan(deadlineMs + 300);
      expect(err.message).not.toContain(SECRET);
    }
  });

  it('meets the deadline also when nothing listens and when the address does not answer at all', async () => {
    // 192.0.2.1 (TEST-NET-1) is not routed: the connection attempt hangs or fails, the deadline still holds.
    for (const address of ['127.0.0.1:1', '192.0.2.1:50051']) {
      const client = new ControlClient(address, { logger: createLogger('control-spec', { level: 'silent' }) });
      clients.push(client);
      const started = performance.now();
      await failure(client.authorizePublish(request(), 300));
      expect(performance.now() - started).toBeLessThan(400);
    }
  });

  it('rejects quickly once the server is stopped, and works again after it restarts on the same port', async () => {
    const { logger, lines } = capture();
    const control = new FakeControl();
    const first = await serve(control);
    const port = first.port;
    const client = connect(port, logger);
    expect((await client.authorizePublish(request(), 2000)).allowed).toBe(true);

    await first.close();
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const err = await failure(client.authorizePublish(request(), 5000));
      expect(err.grpcCode).toBe(grpc.status.UNAVAILABLE);
      expect(performance.now() - started).toBeLessThan(500);
      await sleep(300); // also while the channel is backing off
    }

    await serve(control, { port });
    const restarted = performance.now();
    let answer: AuthorizePublishResponse | undefined;
    while (answer === undefined && performance.now() - restarted < 5000) {
      answer = await client.authorizePublish(request(), 500).catch(() => undefined);
      if (answer === undefined) await sleep(50);
    }
    expect(answer).toEqual(allowed);
    expect(performance.now() - restarted).toBeLessThan(2000);

    const log = lines.map((l) => JSON.parse(l) as { msg: string });
    expect(log.filter((l) => l.msg.startsWith('control plane unreachable'))).toHaveLength(1); // once per outage
    expect(log.filter((l) => l.msg === 'control plane reachable again')).toHaveLength(1);
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('recovers the same way after a server is force-closed with calls in flight', async () => {
    let hold = true;
    const control: ControlService = { authorizePublish: () => (hold ? new Promise<never>(() => undefined) : Promise.resolve(allowed)) };
    const first = await serve(control);
    const client = connect(first.port);
    const pending = client.authorizePublish(request(), 10_000);
    await sleep(100);
    const started = performance.now();
    await first.close(); // the held call makes it wait the 1 s grace, then force-close
    const err = await failure(pending);
    expect([grpc.status.UNAVAILABLE, grpc.status.CANCELLED, grpc.status.INTERNAL]).toContain(err.grpcCode);
    expect(performance.now() - started).toBeLessThan(2000);

    hold = false;
    await serve(control, { port: first.port });
    const restarted = performance.now();
    let answer: AuthorizePublishResponse | undefined;
    while (answer === undefined && performance.now() - restarted < 5000) {
      answer = await client.authorizePublish(request(), 500).catch(() => undefined);
      if (answer === undefined) await sleep(50);
    }
    expect(answer).toEqual(allowed);
    expect(performance.now() - restarted).toBeLessThan(2000);
  });

  it('rejects calls after close() and bad deadlines', async () => {
    const server = await serve(new FakeControl());
    const client = connect(server.port);
    await expect(client.authorizePublish(request(), 0)).rejects.toThrow(RangeError);
    await expect(client.authorizePublish(request(), Number.NaN)).rejects.toThrow(RangeError);
    client.close();
    client.close();
    await failure(client.authorizePublish(request(), 1000));
  });

  it('refuses to start on a port that is taken', async () => {
    const server = await serve(new FakeControl());
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined); // grpc-js logs the bind failure
    await expect(startControlGrpcServer(new FakeControl(), { port: server.port, host: '0.0.0.0', logger: createLogger('x', { level: 'silent' }) })).rejects.toThrow(
      /cannot listen/,
    );
    consoleError.mockRestore();
  });
});
