import type { Redis } from 'ioredis';
import { attempt, chunks, LUA_NOW, LuaScript, parseRecord, RegistryError } from './connection';
import { resolveOptions, type RegistryKeys, type RegistryOptions } from './keys';

/** One live stream, as registered by the edge that ingests it. */
export interface StreamRecord {
  name: string;
  app: string;
  edgeId: string;
  /** unique per publish session */
  publisherId: string;
  /** edge process epoch (increments per edge start) */
  epoch: number;
  startedAt: number;
  /** codec, resolution, bitrate... free-form JSON */
  info: Record<string, unknown>;
  updatedAt: number;
}

export type ClaimResult = { claimed: true; replaced?: StreamRecord } | { claimed: false; holder: StreamRecord };

export type RefreshResult = 'refreshed' | 'missing' | 'lost';

const STREAM_FIELDS = ['name', 'publisherId'] as const;

/**
 * KEYS: record, index. ARGV: record JSON, publisherId, ttlMs, takeover ('1'|'0'), name.
 * Returns {'claimed'} | {'reclaimed'} | {'replaced', previous JSON} | {'held', holder JSON}.
 * A record that is not a JSON object (corrupt) counts as no record.
 */
const CLAIM = new LuaScript(`${LUA_NOW}
local ttl = tonumber(ARGV[3])
local function put()
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
  redis.call('ZADD', KEYS[2], now + ttl, ARGV[5])
end
local cur = redis.call('GET', KEYS[1])
if not cur then put() return {'claimed'} end
local ok, rec = pcall(cjson.decode, cur)
if not ok or type(rec) ~= 'table' then put() return {'claimed'} end
if rec.publisherId == ARGV[2] then put() return {'reclaimed'} end
if ARGV[4] == '1' then put() return {'replaced', cur} end
return {'held', cur}
`);

/** KEYS: record, index. ARGV: publisherId, ttlMs, name. Returns 'refreshed' | 'missing' | 'lost'. */
const REFRESH = new LuaScript(`${LUA_NOW}
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('ZREM', KEYS[2], ARGV[3])
  return 'missing'
end
local ok, rec = pcall(cjson.decode, cur)
if not ok or type(rec) ~= 'table' or rec.publisherId ~= ARGV[1] then return 'lost' end
local ttl = tonumber(ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[3])
return 'refreshed'
`);

/**
 * Compare-and-set keeping the TTL. KEYS: record. ARGV: expected current JSON, new JSON, publisherId.
 * Returns 1 (written), 0 (missing or not ours), -1 (ours but changed since read: retry).
 * The merge itself happens in JavaScript: re-encoding JSON with Lua's cjson would round numbers to 14 digits.
 */
const UPDATE = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
if cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
local ok, rec = pcall(cjson.decode, cur)
if ok and type(rec) == 'table' and rec.publisherId == ARGV[3] then return -1 end
return 0
`);

/** KEYS: record, index. ARGV: publisherId, name. Returns 1 when deleted. */
const RELEASE = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 0
end
local ok, rec = pcall(cjson.decode, cur)
if ok and type(rec) == 'table' and rec.publisherId == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 1
end
return 0
`);

/** KEYS: index. Removes members whose expiry score has passed and returns the rest. Shared with NodeRegistry. */
export const PRUNE_INDEX = new LuaScript(`${LUA_NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
`);

/** MGET in chunks of this many keys. */
export const MGET_CHUNK = 500;

function assertName(what: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`StreamRegistry: ${what} must be a non-empty string`);
}

/**
 * Live streams in Redis: which edge ingests each stream name, owned by one publish session (publisherId) at a time.
 *
 * A record lives `ttlMs` (default 10 s) unless its owner refreshes it, so a crashed edge's streams disappear by
 * themselves. All ownership decisions are single Lua scripts (atomic). Expiry is measured on the Redis server's clock.
 * Every method rejects with RegistryError (code REGISTRY_UNAVAILABLE) at once when Redis cannot be reached.
 */
export class StreamRegistry {
  readonly keys: RegistryKeys;
  readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    options: RegistryOptions = {},
  ) {
    ({ keys: this.keys, ttlMs: this.ttlMs } = resolveOptions(options));
  }

  /**
   * Takes the stream name for `record.publisherId`, atomically:
   * - no live record: stores it (TTL ttlMs) -> `{ claimed: true }`;
   * - a record with the same publisherId: stores the given record and restarts the TTL (idempotent re-claim, also
   *   after `refresh` said 'missing') -> `{ claimed: true }`;
   * - another publisher's record: `{ claimed: false, holder }`, or with `takeover` replaces it ->
   *   `{ claimed: true, replaced }` (that publisher's next refresh returns 'lost').
   */
  async claim(record: StreamRecord, options: { takeover: boolean }): Promise<ClaimResult> {
    assertName('record.name', record.name);
    assertName('record.publisherId', record.publisherId);
    const json = JSON.stringify(record);
    const reply = (await attempt('claim', () =>
      CLAIM.run(this.redis, [this.keys.stream(record.name), this.keys.streams], [json, record.publisherId, this.ttlMs, options.takeover ? '1' : '0', record.name]),
    )) as [string, string?];
    const [status, other] = reply;
    if (status === 'claimed' || status === 'reclaimed') return { claimed: true };
    const previous = parseRecordOrUndefined(other);
    if (status === 'replaced') return previous ? { claimed: true, replaced: previous } : { claimed: true };
    if (previous === undefined) throw new RegistryError('REGISTRY_CORRUPT', `claim: unreadable holder record for ${record.name}`);
    return { claimed: false, holder: previous };
  }

  /**
   * Heartbeat: restarts the TTL when the record is ours -> 'refreshed'. 'missing': there is no record (it expired, or
   * Redis restarted without persistence): claim again with the full record. 'lost': another publisher holds the
   * name (taken over): stop publishing.
   */
  async refresh(name: string, publisherId: string): Promise<RefreshResult> {
    assertName('name', name);
    assertName('publisherId', publisherId);
    const reply = await attempt('refresh', () => REFRESH.run(this.redis, [this.keys.stream(name), this.keys.streams], [publisherId, this.ttlMs, name]));
    if (reply !== 'refreshed' && reply !== 'missing' && reply !== 'lost') {
      throw new RegistryError('REGISTRY_ERROR', `refresh: unexpected reply ${JSON.stringify(reply)}`);
    }
    return reply;
  }

  /**
   * Shallow-merges `info` into the record's info (keys given replace the stored ones, others are kept) and sets
   * updatedAt = Date.now(), keeping the TTL. False when the record is missing or not ours.
   */
  async update(name: string, publisherId: string, info: Record<string, unknown>): Promise<boolean> {
    assertName('name', name);
    assertName('publisherId', publisherId);
    const key = this.keys.stream(name);
    // Optimistic: read, merge here, compare-and-set. Only the owner writes its record, so conflicts are rare.
    for (let round = 0; round < 10; round++) {
      const current = await attempt('update', () => this.redis.get(key));
      const record = parseRecordOrUndefined(current);
      if (current === null || record === undefined || record.publisherId !== publisherId) return false;
      const next: StreamRecord = { ...record, info: { ...record.info, ...info }, updatedAt: Date.now() };
      const written = await attempt('update', () => UPDATE.run(this.redis, [key], [current, JSON.stringify(next), publisherId]));
      if (written === 1) return true;
      if (written === 0) return false;
    }
    throw new RegistryError('REGISTRY_ERROR', `update: ${name} kept changing under concurrent updates`);
  }

  /** Deletes the record only if it is ours; true when deleted. */
  async release(name: string, publisherId: string): Promise<boolean> {
    assertName('name', name);
    assertName('publisherId', publisherId);
    const reply = await attempt('release', () => RELEASE.run(this.redis, [this.keys.stream(name), this.keys.streams], [publisherId, name]));
    return reply === 1;
  }

  /** The live record, or undefined. Rejects with REGISTRY_CORRUPT when the stored value is unreadable. */
  async get(name: string): Promise<StreamRecord | undefined> {
    assertName('name', name);
    const text = await attempt('get', () => this.redis.get(this.keys.stream(name)));
    if (text === null) return undefined;
    return parseRecordOrUndefined(text) ?? corrupt('get', name);
  }

  /** Every live stream, sorted by name. Prunes expired index entries; skips unreadable records. */
  async list(): Promise<StreamRecord[]> {
    const names = (await attempt('list', () => PRUNE_INDEX.run(this.redis, [this.keys.streams], []))) as string[];
    const out: StreamRecord[] = [];
    for (const batch of chunks(names, MGET_CHUNK)) {
      const values = await attempt('list', () => this.redis.mget(batch.map((n) => this.keys.stream(n))));
      for (const value of values) {
        const record = parseRecordOrUndefined(value);
        if (record) out.push(record);
      }
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

function parseRecordOrUndefined(text: string | null | undefined): StreamRecord | undefined {
  return parseRecord<StreamRecord>(text, STREAM_FIELDS);
}

function corrupt(operation: string, name: string): never {
  throw new RegistryError('REGISTRY_CORRUPT', `${operation}: unreadable stream record for ${name}`);
}
