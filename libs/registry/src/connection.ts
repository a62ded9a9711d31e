import { createHash } from 'node:crypto';
import { createLogger, type Logger } from '@ingest/telemetry';
import { Redis, type RedisOptions } from 'ioredis';

export interface ConnectRedisOptions {
  /** Connection transitions (connected, lost, restored, closed) are logged here; default createLogger('registry'). */
  logger?: Logger;
  /** CLIENT SETNAME (spaces are replaced by '-') and a `redisClient` field in the log lines; e.g. the node id. */
  name?: string;
  /**
   * A command that has no reply within this many ms rejects (e.g. Redis is frozen, or the network drops packets
   * without closing the connection). Default 500.
   */
  commandTimeoutMs?: number;
}

/** Reconnect back-off: 100, 200, 400, 800, then 1000 ms forever. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), 1000);
}

/** The ioredis options connectRedis uses (exported for tests and for callers that build their own client). */
export function clusterNodeRedisOptions(options: Pick<ConnectRedisOptions, 'name' | 'commandTimeoutMs'> = {}): RedisOptions {
  const commandTimeout = options.commandTimeoutMs ?? 500;
  return {
    lazyConnect: false,
    // Never give up reconnecting, but keep the interval short so the node is back soon after Redis is.
    retryStrategy: reconnectDelayMs,
    // Fail fast: commands issued while disconnected reject at once instead of queueing ...
    enableOfflineQueue: false,
    // ... commands in flight when the connection drops reject at the drop instead of waiting for a reconnect ...
    maxRetriesPerRequest: 0,
    // ... and are never replayed later (a replayed claim or heartbeat could act on stale intent).
    autoResendUnfulfilledCommands: false,
    // ... and a command with no reply (frozen Redis, half-open TCP) rejects after commandTimeout.
    commandTimeout,
    // A socket with an outstanding command and no data for this long is treated as dead and reconnected.
    socketTimeout: Math.max(3000, commandTimeout * 4),
    connectTimeout: 1000,
    // disconnect() destroys a socket that has not closed after this long.
    disconnectTimeout: 200,
    keepAlive: 5000,
    ...(options.name ? { connectionName: options.name.replace(/\s+/g, '-') } : {}),
  };
}

/** redis://user:secret@host:port -> redis://user:***@host:port (for logs). */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable redis url)';
  }
}

/**
 * An ioredis client for a cluster node, which must keep working while Redis is down:
 * - reconnects forever, back-off 100 ms doubling to a 1 s cap;
 * - commands FAIL FAST while disconnected (no offline queue, no retries of in-flight commands, a command timeout),
 *   so registry calls reject with RegistryError('REGISTRY_UNAVAILABLE') instead of hanging a media path;
 * - connects at once (not lazily);
 * - logs connection transitions once each (connected / unreachable / lost / restored / closed), never per retry.
 */
export function connectRedis(url: string, options: ConnectRedisOptions = {}): Redis {
  const logger = (options.logger ?? createLogger('registry')).child({ redis: safeUrl(url), ...(options.name ? { redisClient: options.name } : {}) });
  const redis = new Redis(url, clusterNodeRedisOptions(options));

  let state: 'connecting' | 'up' | 'down' = 'connecting';
  let downSince = 0;
  const markDown = (err?: Error): void => {
    if (state === 'down' || redis.status === 'end') return;
    const wasUp = state === 'up';
    state = 'down';
    downSince = Date.now();
    const fields = err ? { err } : {};
    if (wasUp) logger.warn(fields, 'redis connection lost; registry calls fail fast until it is back');
    else logger.warn(fields, 'redis unreachable; retrying in the background, registry calls fail fast meanwhile');
  };
  let everUp = false;
  redis.on('ready', () => {
    if (state === 'up') return;
    const fields = state === 'down' ? { downMs: Date.now() - downSince } : {};
    logger.info(fields, everUp ? 'redis connection restored' : 'redis connected');
    state = 'up';
    everUp = true;
  });
  // 'error' comes on every failed attempt: without a listener ioredis prints each one to stderr.
  redis.on('error', (err: Error) => markDown(err));
  redis.on('close', () => markDown());
  redis.on('end', () => logger.info('redis connection closed'));
  return redis;
}

/**
 * Resolves once the client is connected and ready; rejects with RegistryError('REGISTRY_UNAVAILABLE') after
 * `timeoutMs` (default 5 s). For startup code that prefers to wait a little for Redis (and for tests): registry calls
 * made before the connection is ready fail fast rather than queue.
 */
export function waitForRedis(redis: Redis, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new RegistryError('REGISTRY_UNAVAILABLE', `redis not ready within ${timeoutMs} ms (status ${redis.status})`));
    }, timeoutMs);
    redis.once('ready', onReady);
  });
}

/** Resolves after `ms`, or when `promise` settles (its rejection ignored); never leaves a timer behind. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * QUIT with a timeout (default 1 s), then disconnect, and wait (within the same timeout) for the socket to close.
 * Never hangs, also when Redis is down; afterwards the client no longer reconnects. Safe to call twice.
 */
export async function closeRedis(redis: Redis, timeoutMs = 1000): Promise<void> {
  if (redis.status === 'end') return;
  const deadline = Date.now() + timeoutMs;
  let onEnd: (() => void) | undefined;
  const ended = new Promise<void>((resolve) => redis.once('end', (onEnd = resolve)));
  try {
    if (redis.status === 'ready') await settleWithin(redis.quit(), timeoutMs);
    // Stops reconnecting; closes a socket that is still open (QUIT timed out, or still connecting).
    redis.disconnect(false);
    // With no socket left (reconnecting between attempts) there is nothing to wait for: no 'end' will come.
    const socketOpen = redis.status === 'connecting' || redis.status === 'connect' || redis.status === 'ready';
    if (socketOpen || redis.status === 'close') await settleWithin(ended, Math.max(0, deadline - Date.now()));
  } finally {
    if (onEnd) redis.off('end', onEnd);
  }
}

export type RegistryErrorCode =
  /** Redis could not be reached or did not answer in time (also LOADING, BUSY, READONLY and similar transient replies). */
  | 'REGISTRY_UNAVAILABLE'
  /** Redis answered with an error (e.g. WRONGTYPE: a key of the registry was overwritten by something else). */
  | 'REGISTRY_ERROR'
  /** A stored record is not valid JSON of the expected shape. */
  | 'REGISTRY_CORRUPT'
  /** The write conflicts with existing state (e.g. a live stream key already has that name). */
  | 'REGISTRY_CONFLICT'
  /** The input is not valid (e.g. a malformed stream name, CIDR or policy). */
  | 'REGISTRY_INVALID';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly code: RegistryErrorCode;

  constructor(code: RegistryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Reply errors that mean "try again later" rather than "this request is wrong". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MISCONF)\b/;

/** Maps an ioredis failure to a RegistryError (the original error is `cause`). */
export function toRegistryError(operation: string, err: unknown): RegistryError {
  if (err instanceof RegistryError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const isReply = err instanceof Error && err.name === 'ReplyError';
  const code: RegistryErrorCode = !isReply || TRANSIENT_REPLY.test(message) ? 'REGISTRY_UNAVAILABLE' : 'REGISTRY_ERROR';
  const what = code === 'REGISTRY_UNAVAILABLE' ? 'redis unavailable' : 'redis error';
  return new RegistryError(code, `${operation}: ${what}: ${message}`, { cause: err });
}

/** Runs one Redis call and turns any failure into a RegistryError. */
export async function attempt<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toRegistryError(operation, err);
  }
}

/** Lua prelude: `now`, the Redis server's clock in ms, so expiry scores do not depend on the nodes' clocks. */
export const LUA_NOW = `local __t = redis.call('TIME')
local now = tonumber(__t[1]) * 1000 + math.floor(tonumber(__t[2]) / 1000)
`;

/** A Lua script run with EVALSHA, falling back to EVAL when Redis lost its script cache (restart, SCRIPT FLUSH). */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
      return await redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** JSON.parse for stored records: undefined when the text is not a JSON object with the given string fields. */
export function parseRecord<T>(text: string | null | undefined, stringFields: readonly string[]): T | undefined {
  if (text === null || text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  return stringFields.every((f) => typeof record[f] === 'string') ? (value as T) : undefined;
}

/** Splits `items` into chunks of at most `size` (for MGET and multi-key scripts over many keys). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
