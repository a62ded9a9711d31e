/**
 * Latency bookkeeping for the fanout scenario (pure: no clock, no I/O; times are passed in).
 *
 * SentClock: when the publisher wrote each video message, keyed by the message's RTMP timestamp. Video frame
 * timestamps are unique and increasing while the file loops (pacing.ts), so the timestamp a viewer sees names the
 * publisher's write. A ring of 2^15 one-millisecond slots (32.8 s of stream) keeps it bounded; a slot remembers
 * its timestamp, so a lookup older than the ring or never recorded answers NaN instead of a wrong time.
 *
 * LatencyHistogram: a bounded histogram of latencies in microseconds, in the style of HdrHistogram. Values below
 * 2048 us are counted exactly; above, each power of two is split into 1024 buckets, so a bucket is at most
 * 0.1 % wide. Percentiles are nearest-rank (the smallest recorded value with at least p % of the samples at or
 * below it), reported as the middle of that value's bucket and clamped to the exact minimum and maximum.
 */

const SLOT_BITS = 15;

export class SentClock {
  readonly capacityMs = 1 << SLOT_BITS;
  private readonly mask = (1 << SLOT_BITS) - 1;
  private readonly stamps = new Float64Array(1 << SLOT_BITS).fill(-1);
  private readonly times = new Float64Array(1 << SLOT_BITS);

  /** Records that the message with RTMP timestamp `timestamp` (ms) was written at `at` (any clock, ms). */
  record(timestamp: number, at: number): void {
    const slot = timestamp & this.mask;
    this.stamps[slot] = timestamp;
    this.times[slot] = at;
  }

  /** When the message with this timestamp was written, or NaN when it was not recorded (or is too old). */
  sentAt(timestamp: number): number {
    const slot = timestamp & this.mask;
    return this.stamps[slot] === timestamp ? this.times[slot] : NaN;
  }
}

/** Sub-buckets per power of two above the exact range; also the exact range's size / 2. */
const SUB_BITS = 10;
const SUB = 1 << SUB_BITS;
const EXACT = SUB * 2;
/** Values of 2^40 us (12.7 days) and more go to the last bucket (max stays exact). */
const MAX_EXPONENT = 40;
const BUCKETS = EXACT + (MAX_EXPONENT - SUB_BITS - 1) * SUB;

/** Bucket of a non-negative integer number of microseconds. */
export function bucketOf(us: number): number {
  if (us < EXACT) return us;
  let e = Math.floor(Math.log2(us));
  // Guard floating point near exact powers of two: 2^e <= us < 2^(e+1).
  if (2 ** e > us) e--;
  else if (2 ** (e + 1) <= us) e++;
  if (e >= MAX_EXPONENT) return BUCKETS - 1;
  const sub = Math.floor(us / 2 ** (e - SUB_BITS)) - SUB;
  return EXACT + (e - SUB_BITS - 1) * SUB + sub;
}

/** [lowest, highest] microseconds that fall into `bucket`. */
export function bucketRange(bucket: number): [number, number] {
  if (bucket < EXACT) return [bucket, bucket];
  const e = Math.floor((bucket - EXACT) / SUB) + SUB_BITS + 1;
  const sub = (bucket - EXACT) % SUB;
  const width = 2 ** (e - SUB_BITS);
  const low = (SUB + sub) * width;
  return [low, low + width - 1];
}

export interface LatencySummary {
  count: number;
  /** Milliseconds. NaN when nothing was recorded. */
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export class LatencyHistogram {
  private counts = new Float64Array(BUCKETS);
  count = 0;
  private sumUs = 0;
  private minUs = Infinity;
  private maxUs = -Infinity;

  /** Records one latency in milliseconds (negative values, which a shared clock cannot produce, count as 0). */
  record(ms: number): void {
    const us = ms > 0 ? Math.round(ms * 1000) : 0;
    this.counts[bucketOf(us)]++;
    this.count++;
    this.sumUs += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sumUs = 0;
    this.minUs = Infinity;
    this.maxUs = -Infinity;
  }

  /** Adds another histogram's samples to this one. */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i];
    this.count += other.count;
    this.sumUs += other.sumUs;
    this.minUs = Math.min(this.minUs, other.minUs);
    this.maxUs = Math.max(this.maxUs, other.maxUs);
  }

  /** Nearest-rank percentile (0 < p <= 100) in milliseconds; NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is not in (0, 100]`);
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) {
        const [low, high] = bucketRange(i);
        const value = Math.min(this.maxUs, Math.max(this.minUs, (low + high) / 2));
        return value / 1000;
      }
    }
    return this.maxUs / 1000;
  }

  summary(): LatencySummary {
    const empty = this.count === 0;
    return {
      count: this.count,
      min: empty ? NaN : this.minUs / 1000,
      mean: empty ? NaN : this.sumUs / this.count / 1000,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: empty ? NaN : this.maxUs / 1000,
    };
  }
}

/** Nearest-rank percentile of a plain list (for small per-viewer lists); NaN when empty. */
export function percentileOf(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}
