import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { cidrContains, parseCidr, type Cidr } from './cidr';
import { attempt, chunks, LuaScript, parseRecord, RegistryError } from './connection';
import { DEFAULT_PREFIX } from './keys';

/**
 * Stream keys: the secrets encoders publish with. The control plane owns them; edges ask it (gRPC AuthorizePublish)
 * and it answers with `StreamKeyStore.authorize`.
 *
 * Redis keys (prefix `ingest:` by default), none of which expire (durability is the Redis server's configuration,
 * e.g. `appendonly yes`):
 *
 * | key                            | type   | value                                                        |
 * | ------------------------------ | ------ | ------------------------------------------------------------ |
 * | `{prefix}key:{id}`             | string | the record JSON (StreamKeyRecord + `secretSha256`)           |
 * | `{prefix}key-hash:{sha256}`    | string | id; sha256 = hex SHA-256 of the current secret (kept when revoked, removed by rotate) |
 * | `{prefix}key-name:{name}`      | string | id of the live (not revoked) key of that stream name         |
 * | `{prefix}keys`                 | set    | every id (revoked ones too)                                  |
 *
 * The secret itself is never stored, logged or put in an error message; only its SHA-256 and a 6-character hint.
 */

export interface StreamKeyPolicy {
  /** [] = any address; IPv4 and IPv6 CIDRs. IPv4-mapped IPv6 addresses ('::ffff:127.0.0.1') match IPv4 CIDRs. */
  allowedCidrs: string[];
  /** null = no limit (enforced by the edge). */
  maxBitrateKbps: number | null;
  /** [] = any; lower-case names from STREAM_KEY_CODECS (enforced by the edge). */
  allowedCodecs: string[];
  duplicatePolicy: 'reject' | 'takeover';
  /** ISO 8601; from then on the key is refused. */
  expiresAt: string | null;
}

export const DEFAULT_STREAM_KEY_POLICY: StreamKeyPolicy = Object.freeze({
  allowedCidrs: Object.freeze([]) as unknown as string[],
  maxBitrateKbps: null,
  allowedCodecs: Object.freeze([]) as unknown as string[],
  duplicatePolicy: 'reject',
  expiresAt: null,
}) as StreamKeyPolicy;

/** The codec names a policy may list. */
export const STREAM_KEY_CODECS: readonly string[] = Object.freeze(['h264', 'hevc', 'av1', 'vp9', 'aac', 'mp3', 'opus']);

/** Public stream names (the same rule as the relay's STREAM_NAME_PATTERN). */
export const STREAM_KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export interface StreamKeyRecord {
  /** 'key_' + 12 base64url characters. */
  id: string;
  /** Public stream name; unique among keys that are not revoked. */
  name: string;
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
  policy: StreamKeyPolicy;
  /** The first 6 characters of the secret (e.g. 'sk_AbC'), for display. */
  keyHint: string;
}

/** `key` is the secret: returned only by create and rotate, never stored. */
export interface CreatedStreamKey extends StreamKeyRecord {
  key: string;
}

export type KeyRefusal = 'unknown' | 'revoked' | 'expired' | 'cidr';

export type KeyDecision = { allowed: true; record: StreamKeyRecord } | { allowed: false; reason: KeyRefusal; record?: StreamKeyRecord };

interface StoredKey extends StreamKeyRecord {
  /** Hex SHA-256 of the current secret. */
  secretSha256: string;
}

const ID_PATTERN = /^key_[A-Za-z0-9_-]{12}$/;
const HINT_LENGTH = 6;
/** Longer "secrets" are refused without hashing or a Redis round trip (real ones are 46 characters). */
const MAX_SECRET_LENGTH = 1024;
const MAX_BITRATE_KBPS = 0xffff_ffff;
const MAX_CIDRS = 1000;
/** Attempts when a random id or secret collides (never in practice) or a record changes under a rotate/revoke. */
const MAX_ROUNDS = 10;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/i;
const POLICY_FIELDS = new Set(['allowedCidrs', 'maxBitrateKbps', 'allowedCodecs', 'duplicatePolicy', 'expiresAt']);

/**
 * KEYS: name, record, hash, index. ARGV: id, record JSON.
 * 'conflict': a live key has the name. 'collision': the random id or secret hash is taken (retry with new ones).
 */
const CREATE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 'conflict' end
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then return 'collision' end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[3], ARGV[1])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
return 'created'
`);

/**
 * Compare-and-set of the record plus the secret swap. KEYS: record, old hash, new hash. ARGV: expected JSON, new JSON,
 * id. Returns 'rotated' | 'missing' | 'changed' (re-read and retry) | 'collision' (new secret hash taken: retry).
 */
const ROTATE = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 'missing' end
if cur ~= ARGV[1] then return 'changed' end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'collision' end
redis.call('SET', KEYS[1], ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
redis.call('SET', KEYS[3], ARGV[3])
return 'rotated'
`);

/**
 * Compare-and-set of the record; frees the name. The hash mapping stays, so the revoked secret is refused as 'revoked'.
 * KEYS: record, name. ARGV: expected JSON, new JSON, id. Returns 'revoked' | 'missing' | 'changed'.
 */
const REVOKE = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 'missing' end
if cur ~= ARGV[1] then return 'changed' end
redis.call('SET', KEYS[1], ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return 'revoked'
`);

const MGET_CHUNK = 500;

function invalid(message: string): never {
  throw new RegistryError('REGISTRY_INVALID', message);
}

function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function newSecret(): string {
  return `sk_${randomBytes(32).toString('base64url')}`;
}

function newId(): string {
  return `key_${randomBytes(9).toString('base64url')}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assertName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !STREAM_KEY_NAME_PATTERN.test(name)) {
    invalid('stream key name must match /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/');
  }
}

function stringArray(field: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) invalid(`policy.${field} must be an array of strings`);
  return value as string[];
}

/** Normalizes an ISO 8601 date-time (with a time zone) or date (UTC) to Date.toISOString(). */
function isoDate(value: string): string {
  const ms = ISO_8601.test(value.trim()) ? Date.parse(value.trim()) : Number.NaN;
  if (!Number.isFinite(ms)) invalid('policy.expiresAt must be an ISO 8601 date-time with a time zone, or null');
  return new Date(ms).toISOString();
}

/** Defaults + validation; every array in the result is new. Throws RegistryError('REGISTRY_INVALID'). */
export function resolveStreamKeyPolicy(input: Partial<StreamKeyPolicy> | undefined): StreamKeyPolicy {
  if (input === undefined || input === null) return copyPolicy(DEFAULT_STREAM_KEY_POLICY);
  if (!isPlainObject(input)) invalid('policy must be an object');
  for (const field of Object.keys(input)) if (!POLICY_FIELDS.has(field)) invalid(`policy.${field} is not a policy field`);
  const policy = copyPolicy(DEFAULT_STREAM_KEY_POLICY);

  if (input.allowedCidrs !== undefined) {
    const cidrs = stringArray('allowedCidrs', input.allowedCidrs).map((c) => c.trim());
    if (cidrs.length > MAX_CIDRS) invalid(`policy.allowedCidrs may list at most ${MAX_CIDRS} networks`);
    for (const [i, text] of cidrs.entries()) {
      try {
        parseCidr(text);
      } catch (err) {
        invalid(`policy.allowedCidrs[${i}]: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    policy.allowedCidrs = [...new Set(cidrs)];
  }

  if (input.maxBitrateKbps !== undefined && input.maxBitrateKbps !== null) {
    const kbps = input.maxBitrateKbps;
    if (typeof kbps !== 'number' || !Number.isInteger(kbps) || kbps < 1 || kbps > MAX_BITRATE_KBPS) {
      invalid(`policy.maxBitrateKbps must be null or an integer from 1 to ${MAX_BITRATE_KBPS}`);
    }
    policy.maxBitrateKbps = kbps;
  }

  if (input.allowedCodecs !== undefined) {
    const codecs = stringArray('allowedCodecs', input.allowedCodecs).map((c) => c.trim().toLowerCase());
    for (const codec of codecs) {
      if (!STREAM_KEY_CODECS.includes(codec)) invalid(`policy.allowedCodecs: unknown codec ${JSON.stringify(codec.slice(0, 32))} (known: ${STREAM_KEY_CODECS.join(', ')})`);
    }
    policy.allowedCodecs = [...new Set(codecs)];
  }

  if (input.duplicatePolicy !== undefined) {
    if (input.duplicatePolicy !== 'reject' && input.duplicatePolicy !== 'takeover') invalid("policy.duplicatePolicy must be 'reject' or 'takeover'");
    policy.duplicatePolicy = input.duplicatePolicy;
  }

  if (input.expiresAt !== undefined && input.expiresAt !== null) {
    if (typeof input.expiresAt !== 'string') invalid('policy.expiresAt must be an ISO 8601 string or null');
    policy.expiresAt = isoDate(input.expiresAt);
  }
  return policy;
}

function copyPolicy(policy: StreamKeyPolicy): StreamKeyPolicy {
  return { ...policy, allowedCidrs: [...policy.allowedCidrs], allowedCodecs: [...policy.allowedCodecs] };
}

function toJson(record: StoredKey): string {
  const { id, name, createdAt, rotatedAt, revokedAt, policy, keyHint, secretSha256 } = record;
  return JSON.stringify({ id, name, createdAt, rotatedAt, revokedAt, policy, keyHint, secretSha256 });
}

/** The stored JSON as a StoredKey (missing policy fields take their defaults); undefined when unreadable. */
function parseStored(text: string | null | undefined): StoredKey | undefined {
  const value = parseRecord<Record<string, unknown>>(text, ['id', 'name', 'createdAt', 'keyHint', 'secretSha256']);
  if (value === undefined) return undefined;
  const { id, name, createdAt, rotatedAt, revokedAt, policy, keyHint, secretSha256 } = value;
  const nullableStrings = [rotatedAt ?? null, revokedAt ?? null];
  if (!nullableStrings.every((s) => s === null || typeof s === 'string')) return undefined;
  if (policy !== undefined && !isPlainObject(policy)) return undefined;
  const p = (policy ?? {}) as Partial<StreamKeyPolicy>;
  const merged: StreamKeyPolicy = {
    allowedCidrs: Array.isArray(p.allowedCidrs) ? p.allowedCidrs.filter((c) => typeof c === 'string') : [],
    maxBitrateKbps: typeof p.maxBitrateKbps === 'number' ? p.maxBitrateKbps : null,
    allowedCodecs: Array.isArray(p.allowedCodecs) ? p.allowedCodecs.filter((c) => typeof c === 'string') : [],
    duplicatePolicy: p.duplicatePolicy === 'takeover' ? 'takeover' : 'reject',
    expiresAt: typeof p.expiresAt === 'string' ? p.expiresAt : null,
  };
  return {
    id: id as string,
    name: name as string,
    createdAt: createdAt as string,
    rotatedAt: (rotatedAt ?? null) as string | null,
    revokedAt: (revokedAt ?? null) as string | null,
    policy: merged,
    keyHint: keyHint as string,
    secretSha256: secretSha256 as string,
  };
}

/** The public record (a new object, without the secret hash). */
function toPublic(stored: StoredKey): StreamKeyRecord {
  const { id, name, createdAt, rotatedAt, revokedAt, policy, keyHint } = stored;
  return { id, name, createdAt, rotatedAt, revokedAt, policy: copyPolicy(policy), keyHint };
}

function corrupt(operation: string, id: string): never {
  throw new RegistryError('REGISTRY_CORRUPT', `${operation}: unreadable stream key record ${id}`);
}

/** Parsed CIDRs by their text, shared by all stores (policies repeat the same few networks). */
const cidrCache = new Map<string, Cidr | null>();

function cachedCidr(text: string): Cidr | null {
  let cidr = cidrCache.get(text);
  if (cidr === undefined) {
    try {
      cidr = parseCidr(text);
    } catch {
      cidr = null; // only possible for a record edited by hand: matches nothing
    }
    if (cidrCache.size >= 10_000) cidrCache.clear();
    cidrCache.set(text, cidr);
  }
  return cidr;
}

/** True when the policy admits `address` ([] admits any). */
export function policyAllowsAddress(policy: Pick<StreamKeyPolicy, 'allowedCidrs'>, address: string): boolean {
  if (policy.allowedCidrs.length === 0) return true;
  return policy.allowedCidrs.some((text) => {
    const cidr = cachedCidr(text);
    return cidr !== null && cidrContains(cidr, address);
  });
}

/**
 * Stream keys in Redis (see the key table above). create, rotate and revoke are single Lua scripts (rotate and revoke
 * compare-and-set the record they read), so concurrent writers - several control-plane replicas - cannot both win a
 * name or leave a stale secret valid. Every method rejects with RegistryError: REGISTRY_INVALID for bad input,
 * REGISTRY_CONFLICT for a name in use, REGISTRY_UNAVAILABLE when Redis cannot be reached, REGISTRY_CORRUPT for an
 * unreadable record.
 */
export class StreamKeyStore {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    options: { prefix?: string } = {},
  ) {
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
  }

  private recordKey(id: string): string {
    return `${this.prefix}key:${id}`;
  }

  private hashKey(sha256: string): string {
    return `${this.prefix}key-hash:${sha256}`;
  }

  private nameKey(name: string): string {
    return `${this.prefix}key-name:${name}`;
  }

  private get indexKey(): string {
    return `${this.prefix}keys`;
  }

  /**
   * A new key for stream `name` with `policy` (missing fields from DEFAULT_STREAM_KEY_POLICY). The result carries the
   * secret (`key`) - the only time besides rotate that it is available. REGISTRY_CONFLICT when a live key has the name.
   */
  async create(input: { name: string; policy?: Partial<StreamKeyPolicy> }): Promise<CreatedStreamKey> {
    if (!isPlainObject(input)) invalid('create: input must be an object');
    assertName(input.name);
    const policy = resolveStreamKeyPolicy(input.policy);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const id = newId();
      const secret = newSecret();
      const stored: StoredKey = {
        id,
        name: input.name,
        createdAt: new Date().toISOString(),
        rotatedAt: null,
        revokedAt: null,
        policy,
        keyHint: secret.slice(0, HINT_LENGTH),
        secretSha256: sha256Hex(secret),
      };
      const reply = await attempt('create stream key', () =>
        CREATE.run(this.redis, [this.nameKey(input.name), this.recordKey(id), this.hashKey(stored.secretSha256), this.indexKey], [id, toJson(stored)]),
      );
      if (reply === 'created') return { ...toPublic(stored), key: secret };
      if (reply === 'conflict') throw new RegistryError('REGISTRY_CONFLICT', `create stream key: the stream name ${input.name} already has a live key`);
      if (reply !== 'collision') throw new RegistryError('REGISTRY_ERROR', `create stream key: unexpected reply ${JSON.stringify(reply)}`);
    }
    throw new RegistryError('REGISTRY_ERROR', 'create stream key: could not pick an unused id');
  }

  /** Every key, revoked ones included (see `revokedAt`), sorted by createdAt (then id). Skips unreadable records. */
  async list(): Promise<StreamKeyRecord[]> {
    const ids = await attempt('list stream keys', () => this.redis.smembers(this.indexKey));
    const out: StreamKeyRecord[] = [];
    for (const batch of chunks(ids, MGET_CHUNK)) {
      const values = await attempt('list stream keys', () => this.redis.mget(batch.map((id) => this.recordKey(id))));
      for (const value of values) {
        const stored = parseStored(value);
        if (stored) out.push(toPublic(stored));
      }
    }
    return out.sort((a, b) => compare(a.createdAt, b.createdAt) || compare(a.id, b.id));
  }

  /** The key with that id (revoked or not), or undefined. */
  async get(id: string): Promise<StreamKeyRecord | undefined> {
    const stored = await this.getStored(id);
    return stored && toPublic(stored.record);
  }

  /** The live (not revoked) key of stream `name`, or undefined. */
  async getByName(name: string): Promise<StreamKeyRecord | undefined> {
    if (typeof name !== 'string' || !STREAM_KEY_NAME_PATTERN.test(name)) return undefined;
    const id = await attempt('get stream key by name', () => this.redis.get(this.nameKey(name)));
    if (id === null) return undefined;
    const stored = await this.getStored(id);
    if (!stored || stored.record.revokedAt !== null || stored.record.name !== name) return undefined;
    return toPublic(stored.record);
  }

  /**
   * A new secret for the key; the old secret is refused ('unknown') from the moment this resolves. Undefined when
   * there is no such key or it is revoked.
   */
  async rotate(id: string): Promise<CreatedStreamKey | undefined> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const current = await this.getStored(id);
      if (!current || current.record.revokedAt !== null) return undefined;
      const secret = newSecret();
      const next: StoredKey = {
        ...current.record,
        rotatedAt: new Date().toISOString(),
        keyHint: secret.slice(0, HINT_LENGTH),
        secretSha256: sha256Hex(secret),
      };
      const reply = await attempt('rotate stream key', () =>
        ROTATE.run(this.redis, [this.recordKey(id), this.hashKey(current.record.secretSha256), this.hashKey(next.secretSha256)], [current.text, toJson(next), id]),
      );
      if (reply === 'rotated') return { ...toPublic(next), key: secret };
      if (reply === 'missing') return undefined;
      if (reply !== 'changed' && reply !== 'collision') throw new RegistryError('REGISTRY_ERROR', `rotate stream key: unexpected reply ${JSON.stringify(reply)}`);
    }
    throw new RegistryError('REGISTRY_ERROR', `rotate stream key: ${id} kept changing under concurrent updates`);
  }

  /**
   * Revokes the key: its secret is refused ('revoked') and the stream name is free for a new key. Returns the revoked
   * record (for a key revoked before: unchanged, with the original revokedAt), or undefined when there is no such key.
   */
  async revoke(id: string): Promise<StreamKeyRecord | undefined> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const current = await this.getStored(id);
      if (!current) return undefined;
      if (current.record.revokedAt !== null) return toPublic(current.record);
      const next: StoredKey = { ...current.record, revokedAt: new Date().toISOString() };
      const reply = await attempt('revoke stream key', () =>
        REVOKE.run(this.redis, [this.recordKey(id), this.nameKey(current.record.name)], [current.text, toJson(next), id]),
      );
      if (reply === 'revoked') return toPublic(next);
      if (reply === 'missing') return undefined;
      if (reply !== 'changed') throw new RegistryError('REGISTRY_ERROR', `revoke stream key: unexpected reply ${JSON.stringify(reply)}`);
    }
    throw new RegistryError('REGISTRY_ERROR', `revoke stream key: ${id} kept changing under concurrent updates`);
  }

  /**
   * May `secret` publish from `remoteAddress` at `now`? Two GETs (hash -> id, id -> record). Refusals, in this order:
   * 'unknown' (no such secret, or replaced by rotate), 'revoked', 'expired' (now >= policy.expiresAt), 'cidr' (the
   * address is in none of policy.allowedCidrs); all but 'unknown' carry the record.
   */
  async authorize(secret: string, remoteAddress: string, now: Date = new Date()): Promise<KeyDecision> {
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > MAX_SECRET_LENGTH) return { allowed: false, reason: 'unknown' };
    const nowMs = now instanceof Date ? now.getTime() : Number.NaN;
    if (!Number.isFinite(nowMs)) throw new TypeError('authorize: now must be a valid Date');
    const sha256 = sha256Hex(secret);
    const id = await attempt('authorize stream key', () => this.redis.get(this.hashKey(sha256)));
    if (id === null) return { allowed: false, reason: 'unknown' };
    const stored = await this.getStored(id);
    // A hash entry whose record is gone or has another secret now: that secret is not valid.
    if (!stored || stored.record.secretSha256 !== sha256) return { allowed: false, reason: 'unknown' };
    const record = toPublic(stored.record);
    if (record.revokedAt !== null) return { allowed: false, reason: 'revoked', record };
    if (record.policy.expiresAt !== null) {
      const expiresMs = Date.parse(record.policy.expiresAt);
      if (!Number.isFinite(expiresMs) || nowMs >= expiresMs) return { allowed: false, reason: 'expired', record };
    }
    if (!policyAllowsAddress(record.policy, typeof remoteAddress === 'string' ? remoteAddress : '')) return { allowed: false, reason: 'cidr', record };
    return { allowed: true, record };
  }

  /** The stored record and its exact JSON text (for compare-and-set); undefined when absent or the id is malformed. */
  private async getStored(id: string): Promise<{ record: StoredKey; text: string } | undefined> {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) return undefined;
    const text = await attempt('get stream key', () => this.redis.get(this.recordKey(id)));
    if (text === null) return undefined;
    const record = parseStored(text);
    if (record === undefined || record.id !== id) corrupt('get stream key', id);
    return { record, text };
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
