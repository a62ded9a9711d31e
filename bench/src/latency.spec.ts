import { bucketOf, bucketRange, LatencyHistogram, percentileOf, SentClock } from './latency';

describe('LatencyHistogram', () => {
  it('is empty at first', () => {
    const h = new LatencyHistogram();
    expect(h.summary()).toEqual({ count: 0, min: NaN, mean: NaN, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN });
  });

  it('gives exact nearest-rank percentiles for values below 2.048 ms (1 us resolution)', () => {
    const h = new LatencyHistogram();
    // 1..100 us in shuffled order.
    const values = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    for (const us of values) h.record(us / 1000);
    expect(h.percentile(50)).toBe(0.05);
    expect(h.percentile(90)).toBe(0.09);
    expect(h.percentile(99)).toBe(0.099);
    expect(h.percentile(100)).toBe(0.1);
    expect(h.percentile(0.5)).toBe(0.001);
    const s = h.summary();
    expect(s).toMatchObject({ count: 100, min: 0.001, max: 0.1 });
    expect(s.mean).toBeCloseTo(0.0505, 10);
  });

  it('agrees with the sorted-list percentile within 0.1 % over a wide range', () => {
    const h = new LatencyHistogram();
    const values: number[] = [];
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const ms = Math.round(Math.exp((x / 2 ** 31) * Math.log(60_000)) * 1000) / 1000; // 1 us .. 60 s, log-uniform
      values.push(ms);
      h.record(ms);
    }
    for (const p of [1, 10, 50, 90, 99, 99.9, 100]) {
      const exact = percentileOf(values, p);
      expect(Math.abs(h.percentile(p) - exact)).toBeLessThanOrEqual(exact * 0.001 + 0.0005);
    }
    expect(h.summary().max).toBe(Math.max(...values));
    expect(h.summary().min).toBe(Math.min(...values));
  });

  it('uses the nearest rank: p99 of 99 fast and 1 slow sample is fast, p99.5 is the slow one', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 99; i++) h.record(1);
    h.record(500);
    expect(h.percentile(99)).toBe(1);
    expect(h.percentile(99.5)).toBe(500);
    expect(h.percentile(100)).toBe(500);
  });

  it('clamps negative values to 0, resets, and merges', () => {
    const a = new LatencyHistogram();
    a.record(-3);
    expect(a.summary()).toMatchObject({ count: 1, min: 0, max: 0 });
    a.reset();
    expect(a.count).toBe(0);
    a.record(2);
    const b = new LatencyHistogram();
    b.record(4);
    b.record(6);
    a.merge(b);
    expect(a.summary()).toMatchObject({ count: 3, min: 2, max: 6 });
    expect(a.percentile(50)).toBeCloseTo(4, 2); // the middle of 4000 us's 2-us bucket
    expect(a.summary().mean).toBeCloseTo(4, 10);
  });

  it('rejects percentiles outside (0, 100]', () => {
    const h = new LatencyHistogram();
    h.record(1);
    expect(() => h.percentile(0)).toThrow(RangeError);
    expect(() => h.percentile(101)).toThrow(RangeError);
  });
});

describe('histogram buckets', () => {
  it('are contiguous, ordered and at most 0.1 % wide', () => {
    let previousHigh = -1;
    for (let b = 0; b < 2048 + 5 * 1024; b++) {
      const [low, high] = bucketRange(b);
      expect(low).toBe(previousHigh + 1);
      expect(bucketOf(low)).toBe(b);
      expect(bucketOf(high)).toBe(b);
      if (low >= 2048) expect((high - low + 1) / low).toBeLessThanOrEqual(1 / 1024);
      previousHigh = high;
    }
  });

  it('put exact powers of two at the start of their bucket group', () => {
    for (let e = 11; e < 40; e++) expect(bucketRange(bucketOf(2 ** e))[0]).toBe(2 ** e);
  });
});

describe('SentClock', () => {
  it('answers the write time recorded for a timestamp, and NaN for one never recorded', () => {
    const clock = new SentClock();
    clock.record(0, 1000.5);
    clock.record(33, 1033.25);
    expect(clock.sentAt(0)).toBe(1000.5);
    expect(clock.sentAt(33)).toBe(1033.25);
    expect(clock.sentAt(34)).toBeNaN();
  });

  it('forgets timestamps older than its ring instead of answering a wrong time', () => {
    const clock = new SentClock();
    clock.record(5, 1);
    clock.record(5 + clock.capacityMs, 2);
    expect(clock.sentAt(5)).toBeNaN();
    expect(clock.sentAt(5 + clock.capacityMs)).toBe(2);
  });
});

describe('percentileOf', () => {
  it('is the nearest-rank percentile of a list', () => {
    expect(percentileOf([], 50)).toBeNaN();
    expect(percentileOf([3, 1, 2], 50)).toBe(2);
    expect(percentileOf([3, 1, 2, 4], 50)).toBe(2);
    expect(percentileOf([5], 1)).toBe(5);
    expect(percentileOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
  });
});
