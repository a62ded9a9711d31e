import { PassThrough } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpException } from '@nestjs/common';
import { jsonBody } from './http-middleware';

const LIMIT = 64;

/** A request stream with these headers; `body` is written and ended on the next tick. */
function fakeRequest(headers: Record<string, string>, body?: Buffer | string): IncomingMessage & { body?: unknown } {
  const stream = new PassThrough() as unknown as IncomingMessage & { body?: unknown };
  Object.assign(stream, { headers, method: 'POST', url: '/v1/stream-keys' });
  setImmediate(() => (stream as unknown as PassThrough).end(body));
  return stream;
}

function run(req: IncomingMessage & { body?: unknown }): Promise<unknown> {
  return new Promise((resolve) => jsonBody(LIMIT)(req, {} as ServerResponse, (err?: unknown) => resolve(err)));
}

function status(err: unknown): number | undefined {
  return err instanceof HttpException ? err.getStatus() : undefined;
}

describe('jsonBody', () => {
  it('parses a JSON object', async () => {
    const text = JSON.stringify({ name: 'my-show' });
    const req = fakeRequest({ 'content-type': 'application/json; charset=utf-8', 'content-length': String(text.length) }, text);
    expect(await run(req)).toBeUndefined();
    expect(req.body).toEqual({ name: 'my-show' });
  });

  it('leaves a request without a body alone', async () => {
    const req = fakeRequest({});
    expect(await run(req)).toBeUndefined();
    expect(req.body).toBeUndefined();
    const empty = fakeRequest({ 'content-type': 'application/json', 'content-length': '0' });
    expect(await run(empty)).toBeUndefined();
  });

  it('refuses a declared oversized body with 413 before reading it', async () => {
    const req = fakeRequest({ 'content-type': 'application/json', 'content-length': String(LIMIT + 1) }, 'x'.repeat(LIMIT + 1));
    const err = await run(req);
    expect(status(err)).toBe(413);
  });

  it('refuses an oversized chunked body with 413', async () => {
    const req = fakeRequest({ 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, `{"a":"${'x'.repeat(LIMIT)}"}`);
    expect(status(await run(req))).toBe(413);
  });

  it('answers malformed JSON with 400 and a message that does not quote the body', async () => {
    const req = fakeRequest({ 'content-type': 'application/json', 'content-length': '16' }, '{"key": sk_abc}');
    const err = await run(req);
    expect(status(err)).toBe(400);
    expect((err as Error).message).toBe('Request body is not valid JSON');
  });

  it.each(['[1,2]', '"text"', '42', 'null'])('answers the JSON value %s (not an object) with 400', async (text) => {
    const req = fakeRequest({ 'content-type': 'application/json', 'content-length': String(text.length) }, text);
    expect(status(await run(req))).toBe(400);
  });

  it.each(['{"__proto__":{"x":1}}', '{"a":{"constructor":1}}', '{"toString":"x"}', '{"prototype":1}'])('refuses reserved property names: %s', async (text) => {
    const req = fakeRequest({ 'content-type': 'application/json', 'content-length': String(text.length) }, text);
    const err = await run(req);
    expect(status(err)).toBe(400);
    expect((err as Error).message).toMatch(/should not exist/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('answers invalid UTF-8 with 400', async () => {
    const bytes = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]);
    const req = fakeRequest({ 'content-type': 'application/json', 'content-length': String(bytes.length) }, bytes);
    expect(status(await run(req))).toBe(400);
  });

  it.each([
    [{ 'content-type': 'text/plain' }],
    [{ 'content-type': 'application/x-www-form-urlencoded' }],
    [{}],
    [{ 'content-type': 'application/json; charset=latin1' }],
    [{ 'content-type': 'application/json', 'content-encoding': 'gzip' }],
  ])('answers other content types, charsets and encodings with 415 (%j)', async (headers) => {
    const req = fakeRequest({ ...headers, 'content-length': '2' }, '{}');
    expect(status(await run(req))).toBe(415);
  });
});
