/** Events through a real JetStream (private nats-server) to a real HTTP receiver, with signatures and retries. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeNats, connectNats, type NatsConnection } from '@ingest/relay';
import { createLogger } from '@ingest/telemetry';
import { eventually, startNats, type TestServer } from '@ingest/testing';
import { EventPublisher, WebhookDispatcher, ensureEventsStream, signWebhook } from '../src';

jest.setTimeout(60_000);

const SECRET = 'whsec_test_secret';
let nats: TestServer;
let nc: NatsConnection;
let receiver: Server;
let url: string;
const received: Array<{ id: string; type: string; valid: boolean; attempt: number }> = [];
const attempts = new Map<string, number>();
let failFirst = true;

beforeAll(async () => {
  nats = await startNats({ jetstream: true });
  nc = await connectNats(nats.url, { logger: createLogger('test', { level: 'silent' }) });
  await ensureEventsStream(nc);
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const id = String(req.headers['x-ingest-event-id']);
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      if (failFirst && n === 1) {
        res.writeHead(503).end();
        return;
      }
      const valid = req.headers['x-ingest-signature'] === signWebhook(SECRET, String(req.headers['x-ingest-timestamp']), body);
      received.push({ id, type: String(req.headers['x-ingest-event']), valid, attempt: n });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await closeNats(nc);
  await nats.stop();
  receiver.close();
});

test('events are delivered signed, retried after a failure, at least once', async () => {
  const dispatcher = new WebhookDispatcher(nc, { urls: [url], secret: SECRET, backoffMs: [200], logger: createLogger('test', { level: 'silent' }) });
  await dispatcher.start();
  const publisher = new EventPublisher(nc);
  const sent = ['stream.started', 'stream.kicked', 'stream.ended'].map((type) => publisher.publish({ type: type as 'stream.started', stream: 'show', edgeId: 'edge-a' }));
  await eventually(async () => sent.every((e) => received.some((r) => r.id === e.id)), 15_000, 'all events delivered');
  for (const e of sent) {
    const r = received.find((x) => x.id === e.id)!;
    expect(r.valid).toBe(true);
    expect(r.type).toBe(e.type);
    expect(r.attempt).toBeGreaterThanOrEqual(2); // the first attempt got a 503 and was retried
  }
  await dispatcher.stop();
});

test('a receiver that is down gets the events after it comes back (durable consumer)', async () => {
  failFirst = false;
  const port = (receiver.address() as AddressInfo).port;
  receiver.close();
  await new Promise((r) => setTimeout(r, 100));
  const dispatcher = new WebhookDispatcher(nc, { urls: [url], secret: SECRET, backoffMs: [300], logger: createLogger('test', { level: 'silent' }) });
  await dispatcher.start();
  const event = new EventPublisher(nc).publish({ type: 'stream.ended', stream: 'late' });
  await new Promise((r) => setTimeout(r, 800));
  expect(received.some((r) => r.id === event.id)).toBe(false);
  await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', () => r()));
  await eventually(async () => received.some((r) => r.id === event.id && r.valid), 10_000, 'the late event');
  await dispatcher.stop();
});

test('signWebhook is HMAC-SHA256 over "<timestamp>.<body>"', () => {
  const { createHmac } = jest.requireActual('node:crypto') as typeof import('node:crypto');
  expect(signWebhook('k', '1700000000', '{"a":1}')).toBe(`sha256=${createHmac('sha256', 'k').update('1700000000.{"a":1}').digest('hex')}`);
});
