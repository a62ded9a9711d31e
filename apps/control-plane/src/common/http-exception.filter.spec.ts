import { Writable } from 'node:stream';
import {
  BadRequestException,
  Controller,
  ForbiddenException,
  HttpException,
  NotFoundException,
  PayloadTooLargeException,
  UnauthorizedException,
  type ArgumentsHost,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { RegistryError } from '@ingest/registry';
import { createLogger, type Logger } from '@ingest/telemetry';
import { HttpExceptionFilter, toErrorBody } from './http-exception.filter';
import { LOGGER } from './tokens';

/** A pino logger writing into `lines`. */
function captureLogger(lines: string[]): Logger {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      callback();
    },
  });
  return createLogger('control-plane-test', { destination, level: 'debug' });
}

interface FakeResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  body?: string;
  headersSent: boolean;
  ended: boolean;
  setHeader(name: string, value: unknown): void;
  end(body?: string): void;
}

function fakeResponse(headersSent = false): FakeResponse {
  return {
    statusCode: 200,
    headers: {},
    headersSent,
    ended: false,
    setHeader(name, value) {
      this.headers[name.toLowerCase()] = value;
    },
    end(body) {
      this.body = body;
      this.ended = true;
    },
  };
}

function hostFor(response: FakeResponse, request: object = { method: 'GET', originalUrl: '/v1/stream-keys?x=1' }): ArgumentsHost {
  return {
    switchToHttp: () => ({ getResponse: () => response, getRequest: () => request, getNext: () => undefined }),
    getArgs: () => [request, response],
    getArgByIndex: (i: number) => [request, response][i],
    getType: () => 'http',
    switchToRpc: () => {
      throw new Error('not rpc');
    },
    switchToWs: () => {
      throw new Error('not ws');
    },
  } as unknown as ArgumentsHost;
}

@Controller()
class EmptyController {}

describe('HttpExceptionFilter', () => {
  let lines: string[];
  let filter: HttpExceptionFilter;

  beforeEach(async () => {
    lines = [];
    const moduleRef = await Test.createTestingModule({
      controllers: [EmptyController],
      providers: [
        { provide: LOGGER, useValue: createLogger('unused') },
        { provide: APP_FILTER, useFactory: (logger: Logger) => new HttpExceptionFilter(logger), inject: [LOGGER] },
      ],
    })
      .overrideProvider(LOGGER)
      .useValue(captureLogger(lines))
      .compile();
    // APP_FILTER providers are registered under a generated token: take the filter from the logger it was built with.
    filter = new HttpExceptionFilter(moduleRef.get<Logger>(LOGGER));
  });

  function answer(exception: unknown, response = fakeResponse()): { status: number; body: Record<string, unknown>; response: FakeResponse } {
    filter.catch(exception, hostFor(response));
    return { status: response.statusCode, body: JSON.parse(response.body ?? 'null') as Record<string, unknown>, response };
  }

  it('answers an HttpException with { statusCode, error, message }', () => {
    const { status, body, response } = answer(new NotFoundException('Stream key key_abc not found'));
    expect(status).toBe(404);
    expect(body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Stream key key_abc not found' });
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(lines).toHaveLength(0);
  });

  it('keeps validation messages as a list', () => {
    const { status, body } = answer(new BadRequestException(['name must be a string', 'property x should not exist']));
    expect(status).toBe(400);
    expect(body).toEqual({ statusCode: 400, error: 'Bad Request', message: ['name must be a string', 'property x should not exist'] });
  });

  it('adds WWW-Authenticate to 401 answers', () => {
    const { body, response } = answer(new UnauthorizedException('Invalid bearer token'));
    expect(body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Invalid bearer token' });
    expect(response.headers['www-authenticate']).toBe('Bearer realm="control-plane"');
  });

  it('handles HttpExceptions built from strings and objects', () => {
    expect(answer(new HttpException('Too many', 429)).body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: 'Too many' });
    expect(answer(new HttpException({ message: 'nope', error: 'Custom' }, 403)).body).toEqual({ statusCode: 403, error: 'Custom', message: 'nope' });
    expect(answer(new ForbiddenException()).body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'Forbidden' });
    expect(answer(new PayloadTooLargeException('Request body exceeds 16384 bytes')).body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
  });

  it('maps registry errors by code, without their (internal) messages', () => {
    const unavailable = answer(new RegistryError('REGISTRY_UNAVAILABLE', 'list: redis unavailable: connect ECONNREFUSED 10.0.0.5:6379'));
    expect(unavailable.status).toBe(503);
    expect(unavailable.body.message).not.toContain('10.0.0.5');
    expect(answer(new RegistryError('REGISTRY_CONFLICT', 'x')).status).toBe(409);
    expect(answer(new RegistryError('REGISTRY_INVALID', 'x')).status).toBe(400);
    expect(answer(new RegistryError('REGISTRY_CORRUPT', 'unreadable record')).status).toBe(500);
  });

  it('keeps the client status of http-errors style errors (express middleware) with a generic message', () => {
    const err = Object.assign(new Error('request entity too large: {"key":"sk_secret"}'), { status: 413, expose: true, type: 'entity.too.large' });
    const { status, body } = answer(err);
    expect(status).toBe(413);
    expect(body).toEqual({ statusCode: 413, error: 'Payload Too Large', message: 'Payload Too Large' });
  });

  it('answers anything else with a generic 500 and logs it (path without query)', () => {
    const { status, body } = answer(new TypeError('cannot read properties of undefined (sk_leaky)'));
    expect(status).toBe(500);
    expect(body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
    expect(JSON.stringify(body)).not.toContain('sk_leaky');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 50, msg: 'request failed', method: 'GET', path: '/v1/stream-keys', statusCode: 500 });
    expect(answer('a string was thrown').status).toBe(500);
    expect(answer(undefined).status).toBe(500);
  });

  it('only ends a response whose headers were already sent', () => {
    const response = fakeResponse(true);
    filter.catch(new NotFoundException(), hostFor(response));
    expect(response.ended).toBe(true);
    expect(response.body).toBeUndefined();
  });
});

describe('toErrorBody', () => {
  it('flags 5xx HttpExceptions as unexpected, 4xx as expected', () => {
    expect(toErrorBody(new HttpException('x', 502)).unexpected).toBe(true);
    expect(toErrorBody(new BadRequestException('x')).unexpected).toBe(false);
  });
});
