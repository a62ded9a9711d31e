import type { Redis } from 'ioredis';
import { attempt, chunks, LUA_NOW, LuaScript, parseRecord, RegistryError } from './connection';
import { resolveOptions, type RegistryKeys, type RegistryOptions } from './keys';
import { MGET_CHUNK, PRUNE_INDEX } from './streams';

export type NodeRole = 'edge' | 'origin' | 'control-plane';

export interface NodeLoad {
  connections: number;
  streams: number;
  viewers?: number;
  cpu?: number;
  rssBytes?: number;
  bytesInPerSec?: number;
  bytesOutPerSec?: number;
}

/** One cluster process, as it last reported itself. */
export interface NodeRecord {
  id: string;
  role: NodeRole;
  host: string;
  ports: Record<string, number>;
  startedAt: number;
  epoch: number;
  load: NodeLoad;
  updatedAt: number;
}

/** How long an epoch counter outlives its node's last heartbeat or start: long after every record it fenced expired. */
export const EPOCH_COUNTER_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * KEYS: record, index, epoch counter. ARGV: record JSON, ttlMs, id, epoch, counter TTL.
 * Also raises the epoch counter to the node's epoch, so a node running on a fallback epoch (Date.now(), taken while
 * Redis was unreachable), or a Redis that restarted without persistence, never hands out a smaller epoch later.
 */
const HEARTBEAT = new LuaScript(`${LUA_NOW}
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[3])
local epoch = tonumber(ARGV[4])
local counter = tonumber(redis.call('GET', KEYS[3]) or '0') or 0
if epoch > counter then redis.call('SET', KEYS[3], ARGV[4]) end
redis.call('PEXPIRE', KEYS[3], ARGV[5])
return 1
`);

/** KEYS: epoch counter. ARGV: counter TTL. Returns the incremented epoch. */
const NEXT_EPOCH = new LuaScript(`
local epoch = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return epoch
`);

/** KEYS: record, index. ARGV: id. */
const REMOVE = new LuaScript(`
local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return n
`);

const ROLES: ReadonlySet<string> = new Set<NodeRole>(['edge', 'origin', 'control-plane']);

function assertId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id === '') throw new TypeError('NodeRegistry: node id must be a non-empty string');
}

function parseNode(text: string | null | undefined): NodeRecord | undefined {
  const record = parseRecord<NodeRecord>(text, ['id', 'role']);
  return record && ROLES.has(record.role) ? record : undefined;
}

/**
 * Cluster membership: every node heartbeats its NodeRecord (TTL ttlMs, default 10 s); a node that stops
 * heartbeating disappears from list() within the TTL. Also hands out per-node epochs.
 */
export class NodeRegistry {
  readonly keys: RegistryKeys;
  readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    options: RegistryOptions = {},
  ) {
    ({ keys: this.keys, ttlMs: this.ttlMs } = resolveOptions(options));
  }

  /** Stores the record (TTL ttlMs) and indexes it; call every ttlMs / 3 or so. */
  async heartbeat(node: NodeRecord): Promise<void> {
    assertId(node.id);
    if (!ROLES.has(node.role)) throw new TypeError(`NodeRegistry: unknown role ${String(node.role)}`);
    if (!Number.isSafeInteger(node.epoch) || node.epoch < 0) throw new TypeError(`NodeRegistry: epoch must be a non-negative integer (got ${node.epoch})`);
    await attempt('heartbeat', () =>
      HEARTBEAT.run(
        this.redis,
        [this.keys.node(node.id), this.keys.nodes, this.keys.nodeEpoch(node.id)],
        [JSON.stringify(node), this.ttlMs, node.id, String(node.epoch), EPOCH_COUNTER_TTL_MS],
      ),
    );
  }

  /** Live nodes (of `role`, when given), sorted by id. Prunes expired index entries; skips unreadable records. */
  async list(role?: NodeRole): Promise<NodeRecord[]> {
    const ids = (await attempt('list', () => PRUNE_INDEX.run(this.redis, [this.keys.nodes], []))) as string[];
    const out: NodeRecord[] = [];
    for (const batch of chunks(ids, MGET_CHUNK)) {
      const values = await attempt('list', () => this.redis.mget(batch.map((id) => this.keys.node(id))));
      for (const value of values) {
        const node = parseNode(value);
        if (node && (role === undefined || node.role === role)) out.push(node);
      }
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The live record, or undefined. Rejects with REGISTRY_CORRUPT when the stored value is unreadable. */
  async get(id: string): Promise<NodeRecord | undefined> {
    assertId(id);
    const text = await attempt('get', () => this.redis.get(this.keys.node(id)));
    if (text === null) return undefined;
    const node = parseNode(text);
    if (!node) throw new RegistryError('REGISTRY_CORRUPT', `get: unreadable node record for ${id}`);
    return node;
  }

  /** Deletes the record (e.g. on graceful shutdown); true when there was one. */
  async remove(id: string): Promise<boolean> {
    assertId(id);
    return (await attempt('remove', () => REMOVE.run(this.redis, [this.keys.node(id), this.keys.nodes], [id]))) === 1;
  }

  /**
   * The next epoch for `nodeId` (INCR of a per-node counter): call once per process start. Strictly increases across
   * restarts of the same node id while Redis keeps the counter (it lives 30 days past the node's last heartbeat).
   *
   * When Redis is unreachable this rejects with REGISTRY_UNAVAILABLE, and the caller should fall back to `Date.now()`
   * rather than wait (a node must start without Redis). That fallback stays monotonic: Date.now() is far above any
   * INCR value, and the node's heartbeat raises the counter to its current epoch once Redis is back, so the next
   * nextEpoch() after a restart returns more than the fallback. Likewise a Redis restarted without persistence
   * relearns each live node's epoch from its next heartbeat.
   */
  async nextEpoch(nodeId: string): Promise<number> {
    assertId(nodeId);
    const epoch = await attempt('nextEpoch', () => NEXT_EPOCH.run(this.redis, [this.keys.nodeEpoch(nodeId)], [EPOCH_COUNTER_TTL_MS]));
    if (typeof epoch !== 'number') throw new RegistryError('REGISTRY_ERROR', `nextEpoch: unexpected reply ${JSON.stringify(epoch)}`);
    return epoch;
  }
}
