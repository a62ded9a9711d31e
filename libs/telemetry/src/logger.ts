import { pino } from 'pino';

export type Logger = pino.Logger;
export type { DestinationStream } from 'pino';

export interface LoggerOptions {
  /** pino level name; defaults to $LOG_LEVEL, then 'info'. */
  level?: string;
  /** Where JSON lines go; defaults to stdout. Tests pass a stream to capture output. */
  destination?: pino.DestinationStream;
}

/**
 * Paths whose values are replaced by "[Redacted]": stream keys and credentials must never reach the logs.
 * pino's `*` matches exactly one level, so `*.streamKey` covers `{ stream: { streamKey } }` but not deeper nesting:
 * log the key-bearing object itself (or its top-level fields) rather than burying it.
 */
export const REDACT_PATHS: readonly string[] = [
  'key',
  'streamKey',
  '*.key',
  '*.streamKey',
  'token',
  '*.token',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

/**
 * A JSON logger for one component of a service. Every line carries `component`, `pid` and `node` ($NODE_ID) and an
 * ISO-8601 `time`.
 */
export function createLogger(component: string, options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const loggerOptions: pino.LoggerOptions = {
    level,
    base: { component, pid: process.pid, node: process.env.NODE_ID },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACT_PATHS], censor: '[Redacted]' },
  };
  return options.destination ? pino(loggerOptions, options.destination) : pino(loggerOptions);
}
