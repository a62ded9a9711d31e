import type { LoggerService, LogLevel } from '@nestjs/common';
import type { Logger } from '@ingest/telemetry';

/** Nest's own start-up chatter (one line per module and route): debug, not info. */
const QUIET_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

type PinoLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * Nest's LoggerService on top of the process's pino logger (@ingest/telemetry), so everything Nest and the app log
 * is one JSON line each, with pino's redaction of keys, tokens and authorization headers.
 *
 * Nest calls `log(message, context)`, `error(message, stack, context)` and so on; the last string argument is the
 * context (the class that logged), an error's stack comes before it.
 */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...optionalParams: unknown[]): void {
    const context = contextOf(optionalParams);
    this.write(context !== undefined && QUIET_CONTEXTS.has(context) ? 'debug' : 'info', message, optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.write('error', message, optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', message, optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', message, optionalParams);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('trace', message, optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', message, optionalParams);
  }

  /** The level is pino's (LOG_LEVEL); Nest's per-level switches are not used. */
  setLogLevels(_levels: LogLevel[]): void {}

  private write(level: PinoLevel, message: unknown, params: unknown[]): void {
    const context = contextOf(params);
    const rest = context === undefined ? params : params.slice(0, -1);
    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    const details: unknown[] = [];
    for (const param of rest) {
      if (param instanceof Error) fields.err = param;
      else if (typeof param === 'string' && /\n\s+at /.test(param)) fields.stack = param;
      else if (param !== undefined) details.push(param);
    }
    if (details.length > 0) fields.details = details.length === 1 ? details[0] : details;
    if (message instanceof Error) {
      this.logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ ...fields, details: message }, 'nest');
    } else {
      this.logger[level](fields, String(message));
    }
  }
}

function contextOf(params: unknown[]): string | undefined {
  const last = params[params.length - 1];
  return params.length > 0 && typeof last === 'string' && !/\s/.test(last) ? last : undefined;
}
