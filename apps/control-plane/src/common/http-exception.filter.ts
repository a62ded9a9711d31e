import { STATUS_CODES, type ServerResponse } from 'node:http';
import { Catch, HttpException, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Logger } from '@ingest/telemetry';

/** Every error the API returns. `message` is a string, or a list of strings for validation errors. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

/** The HTTP reason phrase of `status` ('Bad Request', 'Not Found', ...). */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

function isMessage(value: unknown): value is string | string[] {
  return typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
}

/** Error codes of @ingest/registry's RegistryError, mapped to HTTP (errors that services did not map themselves). */
const REGISTRY_STATUS: Record<string, { status: number; message: string }> = {
  REGISTRY_UNAVAILABLE: { status: HttpStatus.SERVICE_UNAVAILABLE, message: 'The registry (Redis) is unavailable; try again shortly.' },
  REGISTRY_CONFLICT: { status: HttpStatus.CONFLICT, message: 'The request conflicts with the current state.' },
  REGISTRY_INVALID: { status: HttpStatus.BAD_REQUEST, message: 'The request is not valid.' },
};

/**
 * Turns an exception into `{ statusCode, error, message }`. HttpExceptions keep their status and message (the
 * ValidationPipe's list of messages stays a list); registry errors get a status by code; errors from express
 * middleware that carry a client status (http-errors, e.g. from body-parser) keep it with a generic message; anything
 * else is a 500 whose details are logged, never sent.
 */
export function toErrorBody(exception: unknown): { body: ErrorBody; unexpected: boolean } {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    let message: string | string[] = exception.message;
    let error = reasonPhrase(status);
    if (typeof response === 'string') {
      message = response;
    } else if (typeof response === 'object' && response !== null) {
      const r = response as { message?: unknown; error?: unknown };
      if (isMessage(r.message)) message = r.message;
      if (typeof r.error === 'string' && r.error !== '' && r.error !== message) error = r.error;
    }
    return { body: { statusCode: status, error, message }, unexpected: status >= 500 };
  }
  if (exception instanceof Error) {
    const code = (exception as { code?: unknown }).code;
    if (exception.name === 'RegistryError' && typeof code === 'string' && REGISTRY_STATUS[code]) {
      const { status, message } = REGISTRY_STATUS[code];
      return { body: { statusCode: status, error: reasonPhrase(status), message }, unexpected: status >= 500 };
    }
    const status = (exception as { status?: unknown; statusCode?: unknown }).status ?? (exception as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 500 && (exception as { expose?: unknown }).expose === true) {
      return { body: { statusCode: status, error: reasonPhrase(status), message: reasonPhrase(status) }, unexpected: false };
    }
  }
  const status = HttpStatus.INTERNAL_SERVER_ERROR;
  return { body: { statusCode: status, error: reasonPhrase(status), message: 'Internal server error' }, unexpected: true };
}

/** The one exception filter of the app (registered globally): every error is JSON `{ statusCode, error, message }`. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { body, unexpected } = toErrorBody(exception);
    const http = host.switchToHttp();
    const response = http.getResponse<ServerResponse>();
    if (unexpected) {
      const request = http.getRequest<{ method?: string; originalUrl?: string; url?: string }>();
      const path = (request.originalUrl ?? request.url ?? '').split('?', 1)[0];
      this.logger.error({ err: exception, method: request.method, path, statusCode: body.statusCode }, 'request failed');
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    const json = JSON.stringify(body);
    response.statusCode = body.statusCode;
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.setHeader('Content-Length', Buffer.byteLength(json));
    if (body.statusCode === HttpStatus.UNAUTHORIZED) response.setHeader('WWW-Authenticate', 'Bearer realm="control-plane"');
    response.end(json);
  }
}
