import type { Redis } from 'ioredis';
import { attempt, chunks, LUA_NOW, LuaScript, RegistryError } from './connection';
import { resolveOptions, type RegistryKeys, type RegistryOptions } from './keys';

/**
 * KEYS: viewer hashes; the first ARGV[3] get this origin's count, the rest lose it.
 * ARGV: originId, ttlMs, number of counts, counts...
 * Field value "count:expiresAtMs" (Redis clock); the hash itself lives at least ttlMs after the latest report.
 */
const REPORT = new LuaScript(`${LUA_NOW}
local origin = ARGV[1]
local ttl = tonumber(ARGV[2])
local nset = tonumber(ARGV[3])
local value_suffix = ':' .. string.format('%d', now + ttl)
for i = 1, #KEYS do
  if i <= nset then
    redis.call('HSET', KEYS[i], origin, ARGV[3 + i] .. value_suffix)
    if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
  else
    redis.call('HDEL', KEYS[i], origin)
  end
end
return #KEYS
`);

/** KEYS: viewer hashes. Returns the sum of live counts per hash, deleting expired (or unreadable) fields. */
const SUM = new LuaScript(`${LUA_NOW}
local out = {}
for i = 1, #KEYS do
  local fields = redis.call('HGETALL', KEYS[i])
  local sum = 0
  for j = 1, #fields, 2 do
    local value = fields[j + 1]
    local sep = string.find(value, ':', 1, true)
    local count, expires = nil, nil
    if sep then
      count = tonumber(string.sub(value, 1, sep - 1))
      expires = tonumber(string.sub(value, sep + 1))
    end
    if count and expires and expires > now then
      sum = sum + count
    else
      redis.call('HDEL', KEYS[i], fields[j])
    end
  end
  out[i] = sum
end
return out
`);

/** Keys per script call (reports and sums of many streams are split into calls of this size, sent back to back). */
const KEYS_PER_CALL = 500;

function assertName(what: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`ViewerRegistry: ${what} must be a non-empty string`);
}

/**
 * Viewer counts per stream, summed over origins. Each origin periodically reports its own counts; a count lives
 * ttlMs (default 10 s) after the report that wrote it, so a dead origin's viewers disappear within ttlMs.
 *
 * Layout: one hash per stream, `{prefix}viewers:{name}`, field = originId, value = "count:expiresAtMs" on the Redis
 * server's clock. Readers ignore (and delete) expired fields; the hash key itself expires ttlMs after the last
 * report of any origin. A report is the origin's complete state: streams it reported last time but not now (or with
 * count 0) lose its field at once. That "last time" is remembered in this instance, so after an origin restart its
 * stale fields simply expire.
 */
export class ViewerRegistry {
  readonly keys: RegistryKeys;
  readonly ttlMs: number;
  private readonly lastReported = new Map<string, Set<string>>();

  constructor(
    private readonly redis: Redis,
    options: RegistryOptions = {},
  ) {
    ({ keys: this.keys, ttlMs: this.ttlMs } = resolveOptions(options));
  }

  /** Replaces `originId`'s counts: one round trip (one script call per 500 streams, pipelined). */
  async report(originId: string, counts: ReadonlyMap<string, number>): Promise<void> {
    assertName('originId', originId);
    const live: Array<[string, number]> = [];
    for (const [name, count] of counts) {
      assertName('stream name', name);
      if (!Number.isFinite(count) || count < 0) throw new TypeError(`ViewerRegistry: count for ${name} must be a non-negative number (got ${count})`);
      if (count > 0) live.push([name, Math.floor(count)]);
    }
    const liveNames = new Set(live.map(([name]) => name));
    const gone = [...(this.lastReported.get(originId) ?? [])].filter((name) => !liveNames.has(name));

    // Each call carries a slice of `live` (set) followed by a slice of `gone` (delete).
    const calls: Array<{ set: Array<[string, number]>; del: string[] }> = [];
    for (const set of chunks(live, KEYS_PER_CALL)) calls.push({ set, del: [] });
    for (const del of chunks(gone, KEYS_PER_CALL)) calls.push({ set: [], del });
    try {
      await attempt('report', () =>
        Promise.all(
          calls.map(({ set, del }) =>
            REPORT.run(
              this.redis,
              [...set.map(([name]) => this.keys.viewers(name)), ...del.map((name) => this.keys.viewers(name))],
              [originId, this.ttlMs, set.length, ...set.map(([, count]) => count)],
            ),
          ),
        ),
      );
      this.lastReported.set(originId, liveNames);
    } catch (err) {
      // Unknown which calls landed: remember both sets, so the next report clears whatever is no longer live.
      this.lastReported.set(originId, new Set([...liveNames, ...gone]));
      throw err;
    }
  }

  /** Viewers of `name` over all live origins (0 when none). */
  async get(name: string): Promise<number> {
    return (await this.getMany([name])).get(name) ?? 0;
  }

  /** Viewers per name over all live origins; every requested name is in the result (0 when none). */
  async getMany(names: readonly string[]): Promise<Map<string, number>> {
    const unique = [...new Set(names)];
    unique.forEach((name) => assertName('stream name', name));
    const sums = await attempt('getMany', () =>
      Promise.all(chunks(unique, KEYS_PER_CALL).map((batch) => SUM.run(this.redis, batch.map((name) => this.keys.viewers(name)), []))),
    );
    const flat = sums.flatMap((reply) => {
      if (!Array.isArray(reply)) throw new RegistryError('REGISTRY_ERROR', `getMany: unexpected reply ${JSON.stringify(reply)}`);
      return reply as number[];
    });
    return new Map(unique.map((name, i) => [name, Number(flat[i] ?? 0)]));
  }
}
