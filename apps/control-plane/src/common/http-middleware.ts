import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadRequestException, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { Logger } from '@ingest/telemetry';
import type { AdminTokenVerifier } from './admin-token.guard';

export type Next = (err?: unknown) => void;
export type Middleware = (req: IncomingMessage & { body?: unknown }, res: ServerResponse, next: Next) => void;

/** True when the request carries a body (a positive Content-Length, or chunked). */
function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(req.headers['content-length'] ?? '0');
  return !Number.isFinite(length) || length > 0;
}

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json$/;

/** Object.prototype's members ('__proto__', 'constructor', 'toString', ...) and 'prototype'. */
function isReservedKey(key: string): boolean {
  return key === 'prototype' || key in Object.prototype;
}

/** 'application/json; charset=utf-8' -> { type: 'application/json', charset: 'utf-8' }. */
function contentType(header: string | undefined): { type: string; charset?: string } {
  const [type = '', ...params] = (header ?? '').split(';').map((s) => s.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/^"|"$/g, '');
  return charset === undefined ? { type } : { type, charset };
}

/**
 * The API's body parser (Nest's own is off): JSON only, at most `limitBytes`, always answered through the global
 * exception filter as JSON errors, with messages that never quote the body.
 * - another content type, charset or a Content-Encoding: 415;
 * - a declared or actual size above the limit: 413 (a declared one is refused before reading);
 * - bytes that are not UTF-8, text that is not JSON, JSON that is not an object, or that has a property named like
 *   a member of Object.prototype ('__proto__', 'constructor', ...): 400.
 * A request without a body leaves `req.body` undefined.
 */
export function jsonBody(limitBytes: number): Middleware {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  return (req, _res, next) => {
    if (!hasBody(req)) return next();
    const { type, charset } = contentType(req.headers['content-type']);
    if (!JSON_TYPE.test(type)) return next(new UnsupportedMediaTypeException('Request body must be application/json'));
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return next(new UnsupportedMediaTypeException('Request body must be UTF-8'));
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') return next(new UnsupportedMediaTypeException('Content-Encoding is not supported'));
    const tooLarge = (): PayloadTooLargeException => new PayloadTooLargeException(`Request body exceeds ${limitBytes} bytes`);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limitBytes) {
      req.resume(); // discard what the client sends anyway; the answer goes out at once
      return next(tooLarge());
    }

    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: unknown): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      next(err);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        req.resume();
        finish(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      let text: string;
      try {
        text = decoder.decode(Buffer.concat(chunks, size));
      } catch {
        finish(new BadRequestException('Request body is not valid UTF-8'));
        return;
      }
      let body: unknown;
      let reserved: string | undefined;
      try {
        body = JSON.parse(text, (key: string, value: unknown) => {
          if (reserved === undefined && isReservedKey(key)) reserved = key;
          return value;
        });
      } catch {
        finish(new BadRequestException('Request body is not valid JSON'));
        return;
      }
      if (reserved !== undefined) {
        // class-transformer would silently drop these (and __proto__ invites prototype pollution): refuse them.
        finish(new BadRequestException(`property ${reserved} should not exist`));
        return;
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        finish(new BadRequestException('Request body must be a JSON object'));
        return;
      }
      req.body = body;
      finish();
    };
    const onError = (): void => finish(new BadRequestException('Request body could not be read'));
    const onAborted = (): void => finish(new BadRequestException('Request body was incomplete'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  };
}

/** API answers are never cached (some carry a stream key secret). */
export const noStore: Middleware = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/**
 * One log line per request: method, path (without the query), status, duration. Headers (Authorization) and bodies
 * (stream key secrets) are never logged.
 */
export function requestLog(logger: Logger): Middleware {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const path = ((req as { originalUrl?: string }).originalUrl ?? req.url ?? '').split('?', 1)[0];
      const fields = { method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 };
      if (res.statusCode >= 500) logger.warn(fields, 'request');
      else if (path === '/healthz' || path === '/readyz') logger.debug(fields, 'request');
      else logger.info(fields, 'request');
    });
    next();
  };
}

/** 401 (through the exception filter) unless the request carries the admin bearer token. */
export function requireAdminToken(verifier: AdminTokenVerifier): Middleware {
  return (req, _res, next) => {
    try {
      verifier.verify(req.headers.authorization);
    } catch (err) {
      next(err);
      return;
    }
    next();
  };
}
