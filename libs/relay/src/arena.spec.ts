import { EnvelopeArena } from './arena';

/** An arena whose drained generation the test sets (the batcher's role). */
function arenaOf(slabBytes: number): { arena: EnvelopeArena; drain: (generation: number) => void } {
  let drained = 0;
  return { arena: new EnvelopeArena(() => drained, slabBytes), drain: (generation) => (drained = generation) };
}

const none = (): undefined => undefined;

describe('EnvelopeArena', () => {
  test('allocations are consecutive slices of one slab until it is full', () => {
    const { arena } = arenaOf(1024);
    const a = arena.alloc(100, 1, 0, none);
    const b = arena.alloc(100, 2, 0, none);
    expect(a.buffer).toBe(b.buffer);
    expect(b.byteOffset).toBe(a.byteOffset + 100);
    expect(arena.stats.slabs).toBe(1);
  });

  test('a full slab is reused only once everything in it is older than the oldest message the cache holds', () => {
    const { arena, drain } = arenaOf(1024);
    drain(100);
    let oldest: number | undefined = 1;
    const first = arena.alloc(200, 1, 0, () => oldest);
    for (let seq = 2; seq <= 5; seq++) arena.alloc(200, seq, 0, () => oldest); // slab 1: 1..5
    const sixth = arena.alloc(200, 6, 0, () => oldest); // slab 2 (slab 1 holds live message 1)
    expect(sixth.buffer).not.toBe(first.buffer);
    expect(arena.stats).toMatchObject({ slabs: 2, reuses: 0 });
    for (let seq = 7; seq <= 10; seq++) arena.alloc(200, seq, 0, () => oldest); // slab 2: 6..10
    oldest = 5; // message 5 (in slab 1) is still live: no reuse
    expect(arena.alloc(200, 11, 0, () => oldest).buffer).not.toBe(first.buffer);
    expect(arena.stats.slabs).toBe(3);
    for (let seq = 12; seq <= 15; seq++) arena.alloc(200, seq, 0, () => oldest); // slab 3: 11..15
    oldest = 6; // slab 1 (1..5) is free now
    const reused = arena.alloc(200, 16, 0, () => oldest);
    expect(reused.buffer).toBe(first.buffer);
    expect(reused.byteOffset).toBe(first.byteOffset);
    expect(arena.stats).toMatchObject({ slabs: 3, reuses: 1 });
  });

  test('a slab whose last publish generation the NATS client has not drained yet is not reused', () => {
    const { arena, drain } = arenaOf(1000);
    const first = arena.alloc(250, 1, 7, none);
    for (let seq = 2; seq <= 4; seq++) arena.alloc(250, seq, 7, none); // slab 1 full, generation 7
    drain(7); // generation 7 is queued or handed over, not yet copied by nats.js
    expect(arena.alloc(250, 5, 8, none).buffer).not.toBe(first.buffer);
    for (let seq = 6; seq <= 8; seq++) arena.alloc(250, seq, 8, none); // slab 2 full
    drain(8); // generation 7 copied out; 8 not yet
    expect(arena.alloc(250, 9, 9, none).buffer).toBe(first.buffer);
    expect(arena.stats).toMatchObject({ slabs: 2, reuses: 1 });
  });

  test('sequence numbers compare across the 2^32 wrap', () => {
    const { arena, drain } = arenaOf(4000);
    drain(1);
    const first = arena.alloc(1000, 0xfffffffb, 0, none);
    for (const seq of [0xfffffffc, 0xfffffffd, 0xfffffffe]) arena.alloc(1000, seq, 0, none); // slab 1 full
    arena.alloc(1000, 0xffffffff, 0, () => 0xfffffffe); // 0xfffffffe still live: a second slab
    expect(arena.stats.slabs).toBe(2);
    for (const seq of [0, 1, 2]) arena.alloc(1000, seq, 0, () => 0xfffffffe); // slab 2 full
    const reused = arena.alloc(1000, 3, 0, () => 3); // everything in slab 1 precedes 3
    expect(reused.buffer).toBe(first.buffer);
    expect(arena.stats).toMatchObject({ slabs: 2, reuses: 1 });
  });

  test('large requests get a buffer of their own', () => {
    const { arena } = arenaOf(1024);
    const big = arena.alloc(300, 1, 0, none);
    expect(big.length).toBe(300);
    expect(arena.stats).toMatchObject({ oversize: 1, slabs: 0 });
  });

  test('slabs start small and double up to the maximum; reused slabs keep their size', () => {
    let drained = 1;
    const arena = new EnvelopeArena(() => drained, 1024 * 1024, 64 * 1024);
    const sizes: number[] = [];
    let seq = 0;
    let last: ArrayBufferLike | undefined;
    for (let i = 0; i < 400; i++) {
      const buf = arena.alloc(10_000, ++seq, 0, () => undefined);
      if (buf.buffer !== last) sizes.push(buf.buffer.byteLength);
      last = buf.buffer;
      drained = 0; // nothing drained: every full slab stays busy, so each switch takes a new slab
    }
    expect(sizes.slice(0, 6)).toEqual([65536, 131072, 262144, 524288, 1048576, 1048576]);
    expect(arena.alloc(20_000, ++seq, 0, () => undefined).length).toBe(20_000); // fits a 1 MiB slab now
    expect(arena.stats.oversize).toBe(0);
  });
});
