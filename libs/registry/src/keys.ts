/**
 * Every Redis key the registry uses, in one place. All keys start with a configurable prefix (default `ingest:`), so
 * several clusters (or test runs) can share one Redis.
 *
 * | key                              | type   | value                                                   | expiry              |
 * | -------------------------------- | ------ | ------------------------------------------------------- | ------------------- |
 * | `{prefix}stream:{name}`          | string | StreamRecord JSON                                       | PX ttl (heartbeat)  |
 * | `{prefix}streams`                | zset   | member stream name, score = record expiry (Redis ms)    | none (pruned)       |
 * | `{prefix}node:{id}`              | string | NodeRecord JSON                                         | PX ttl (heartbeat)  |
 * | `{prefix}nodes`                  | zset   | member node id, score = record expiry (Redis ms)        | none (pruned)       |
 * | `{prefix}node-epoch:{id}`        | string | integer epoch counter (INCR)                            | 30 days, refreshed  |
 * | `{prefix}viewers:{name}`         | hash   | field originId -> `"{count}:{expiresAtMs}"` (Redis ms)  | PX ttl, refreshed   |
 */
export const DEFAULT_PREFIX = 'ingest:';

export interface RegistryKeys {
  readonly prefix: string;
  /** String: one stream's StreamRecord JSON. */
  stream(name: string): string;
  /** Sorted set of stream names scored by expiry time (Redis clock, ms). */
  readonly streams: string;
  /** String: one node's NodeRecord JSON. */
  node(id: string): string;
  /** Sorted set of node ids scored by expiry time (Redis clock, ms). */
  readonly nodes: string;
  /** String: the per-node epoch counter. */
  nodeEpoch(id: string): string;
  /** Hash: originId -> "count:expiresAtMs" for one stream. */
  viewers(name: string): string;
}

export function registryKeys(prefix: string = DEFAULT_PREFIX): RegistryKeys {
  return {
    prefix,
    stream: (name) => `${prefix}stream:${name}`,
    streams: `${prefix}streams`,
    node: (id) => `${prefix}node:${id}`,
    nodes: `${prefix}nodes`,
    nodeEpoch: (id) => `${prefix}node-epoch:${id}`,
    viewers: (name) => `${prefix}viewers:${name}`,
  };
}

/** Options shared by StreamRegistry, NodeRegistry and ViewerRegistry. */
export interface RegistryOptions {
  /** Key prefix; default `ingest:`. */
  prefix?: string;
  /** Record lifetime without a heartbeat, in ms; default 10_000. */
  ttlMs?: number;
}

export const DEFAULT_TTL_MS = 10_000;

/** Validated { keys, ttlMs } from RegistryOptions. */
export function resolveOptions(options: RegistryOptions = {}): { keys: RegistryKeys; ttlMs: number } {
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new RangeError(`registry: ttlMs must be a positive integer (got ${String(ttlMs)})`);
  return { keys: registryKeys(options.prefix ?? DEFAULT_PREFIX), ttlMs };
}
