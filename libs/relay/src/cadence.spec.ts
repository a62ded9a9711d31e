import { StreamCadence } from './cadence';

const AUDIO = 8;
const VIDEO = 9;
const DATA = 18;

describe('StreamCadence', () => {
  it('knows nothing before a track has two messages', () => {
    const cadence = new StreamCadence();
    expect(cadence.next(DATA, 0)).toBe(Infinity);
    expect(cadence.next(VIDEO, 0)).toBe(Infinity);
    expect(cadence.next(AUDIO, 0)).toBe(Infinity);
  });

  it('predicts the next message of either track from the last interval of each', () => {
    const cadence = new StreamCadence();
    cadence.next(VIDEO, 1000);
    cadence.next(AUDIO, 1000);
    cadence.next(AUDIO, 1023);
    // video due at 1000 + ? (no interval yet): only audio counts, due at 1046
    expect(cadence.next(VIDEO, 1033)).toBe(13); // audio at 1046, video at 1066
    expect(cadence.next(AUDIO, 1046)).toBe(20); // video at 1066, audio at 1069
    expect(cadence.next(VIDEO, 1066)).toBe(3); // audio at 1069
    expect(cadence.next(AUDIO, 1069)).toBe(23); // audio at 1092, video at 1099: 23 then 30
  });

  it('expects the other track now when its frame of the same instant is a little overdue', () => {
    const cadence = new StreamCadence();
    for (const ts of [0, 33, 66]) cadence.next(VIDEO, ts);
    cadence.next(AUDIO, 78);
    cadence.next(AUDIO, 101);
    // video due at 99: 1 ms overdue at 100, less than half its interval: it comes right behind
    expect(cadence.next(DATA, 100)).toBe(0);
    // 20 ms overdue at 119: a dropped frame, not waited for; audio due at 124
    expect(cadence.next(DATA, 119)).toBe(5);
  });

  it('drops a track cadence on a jump and keeps it on a repeated timestamp', () => {
    const cadence = new StreamCadence();
    cadence.next(AUDIO, 0);
    cadence.next(AUDIO, 20);
    expect(cadence.next(AUDIO, 20)).toBe(20);
    expect(cadence.next(AUDIO, 5000)).toBe(Infinity); // 4980 ms: not a cadence
    expect(cadence.next(AUDIO, 5020)).toBe(20);
    expect(cadence.next(AUDIO, 4000)).toBe(Infinity); // backwards
  });

  it('follows timestamps across the 2^32 wrap', () => {
    const cadence = new StreamCadence();
    cadence.next(AUDIO, 0xffffffff - 30);
    cadence.next(AUDIO, 0xffffffff - 7);
    expect(cadence.next(AUDIO, 15)).toBe(23);
  });
});
