/**
 * Where the edge's envelopes live: large slabs reused in rotation instead of one buffer per message.
 *
 * Why: every envelope stays in the GOP cache for a whole GOP (2 s at the usual key-frame interval), long enough to
 * survive two scavenges and be promoted, so one buffer per message made the old generation grow by the stream's
 * bit rate and V8 ran a full mark-compact every ~300 ms for 20 ingest streams (a third of the edge's CPU). Slabs
 * are allocated once and rewritten, so the steady state allocates nothing here.
 *
 * A slab is reused only when every message in it is older than the oldest message the GOP cache still holds
 * (`oldestLive`, a relay sequence number, compared in serial-number order) AND nobody may still read it: each
 * allocation records the publish generation it belongs to (batcher.ts `flushes`), and a slab is reused only once
 * that generation has been drained (nats.js copied it into its socket write). Otherwise a new slab is taken.
 * Slabs start at 64 KiB and double with each new one up to `slabBytes` (1 MiB), so a low-bit-rate stream keeps
 * little memory (a 2.6 Mbit/s stream settles at a few MiB: its 2 s GOP plus the slab being filled).
 * Messages larger than a quarter slab, decoder configuration (kept by the cache for the whole session) and anything
 * published while NATS is disconnected (nats.js may hold it until a reconnect) are allocated on their own by the
 * caller.
 */
export const DEFAULT_ARENA_SLAB_BYTES = 1024 * 1024;
/** First slab of a stream; each new slab (not a reused one) is twice the last, up to the maximum. */
export const MIN_ARENA_SLAB_BYTES = 64 * 1024;

interface Slab {
  buf: Buffer;
  used: number;
  /** Sequence number of the last message written into the slab. */
  last: number;
  /** Publish generation of the last message written into the slab. */
  generation: number;
}

export interface ArenaStats {
  slabs: number;
  reuses: number;
  /** Requests too large for a slab (allocated on their own). */
  oversize: number;
}

export class EnvelopeArena {
  /** The largest slab. */
  readonly slabBytes: number;
  readonly stats: ArenaStats = { slabs: 0, reuses: 0, oversize: 0 };
  /** Size of the next new slab. */
  private nextSlabBytes: number;
  private current: Slab | undefined;
  private readonly full: Slab[] = [];

  /** `drained()`: the generations below it have been copied out by the NATS client (batcher.ts `drained`). */
  constructor(
    private readonly drained: () => number,
    slabBytes = DEFAULT_ARENA_SLAB_BYTES,
    minSlabBytes = Math.min(MIN_ARENA_SLAB_BYTES, slabBytes),
  ) {
    this.slabBytes = slabBytes;
    this.nextSlabBytes = minSlabBytes;
  }

  /**
   * `size` bytes for the message with relay sequence `sequence`, to be published in generation `generation`.
   * `oldestLive()` (asked only when a slab is full) is the oldest sequence the cache still holds (undefined: none).
   */
  alloc(size: number, sequence: number, generation: number, oldestLive: () => number | undefined): Buffer {
    if (size > (this.current?.buf.length ?? this.nextSlabBytes) >>> 2) {
      this.stats.oversize++;
      return Buffer.allocUnsafe(size);
    }
    let slab = this.current;
    if (slab === undefined || slab.used + size > slab.buf.length) {
      if (slab !== undefined) this.full.push(slab);
      slab = this.reusable(oldestLive) ?? this.newSlab();
      this.current = slab;
    }
    const start = slab.used;
    slab.used = start + size;
    slab.last = sequence;
    slab.generation = generation;
    return slab.buf.subarray(start, start + size);
  }

  /** Drops every slab (a new session, or the publisher ended). */
  clear(): void {
    this.current = undefined;
    this.full.length = 0;
  }

  private reusable(oldestLiveOf: () => number | undefined): Slab | undefined {
    const full = this.full;
    if (full.length === 0) return undefined;
    const oldestLive = oldestLiveOf();
    const drained = this.drained();
    for (let i = 0; i < full.length; i++) {
      const slab = full[i];
      if (slab.generation < drained && (oldestLive === undefined || ((slab.last - oldestLive) | 0) < 0)) {
        full.splice(i, 1);
        slab.used = 0;
        this.stats.reuses++;
        return slab;
      }
    }
    return undefined;
  }

  private newSlab(): Slab {
    this.stats.slabs++;
    const bytes = this.nextSlabBytes;
    this.nextSlabBytes = Math.min(this.slabBytes, bytes * 2);
    // allocUnsafeSlow: a slab of its own, never a slice of Node's shared pool.
    return { buf: Buffer.allocUnsafeSlow(bytes), used: 0, last: 0, generation: 0 };
  }
}
