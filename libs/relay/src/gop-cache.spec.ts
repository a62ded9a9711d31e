import { EnvelopeFlags, EnvelopeKind, encodeEnvelope } from './envelope';
import { GopCache, type GopEntry } from './gop-cache';
import { aacRaw, aacSequenceHeader, avcInterframe, avcKeyframe, avcSequenceHeader, onCuePoint, onMetaData } from '../test/fixtures';

let seq = 0;
function entry(kind: EnvelopeKind, flags: number, timestamp: number, payload: Buffer): GopEntry {
  const sequence = ++seq;
  const buf = encodeEnvelope({ kind, flags, timestamp, compositionOffset: 0, sequence, epoch: 1 }, payload);
  return { kind, flags, sequence, timestamp, envelopes: [buf], bytes: buf.length };
}
const meta = (ts = 0): GopEntry => entry(EnvelopeKind.DATA, EnvelopeFlags.SEQUENCE_HEADER, ts, onMetaData());
const cue = (ts: number): GopEntry => entry(EnvelopeKind.DATA, 0, ts, onCuePoint());
const vhdr = (variant = 0): GopEntry => entry(EnvelopeKind.VIDEO, EnvelopeFlags.KEYFRAME | EnvelopeFlags.SEQUENCE_HEADER, 0, avcSequenceHeader(variant));
const ahdr = (): GopEntry => entry(EnvelopeKind.AUDIO, EnvelopeFlags.SEQUENCE_HEADER, 0, aacSequenceHeader());
const key = (ts: number, size = 64): GopEntry => entry(EnvelopeKind.VIDEO, EnvelopeFlags.KEYFRAME, ts, avcKeyframe(ts, size));
const inter = (ts: number): GopEntry => entry(EnvelopeKind.VIDEO, 0, ts, avcInterframe(ts));
const aac = (ts: number): GopEntry => entry(EnvelopeKind.AUDIO, 0, ts, aacRaw(ts));

describe('GopCache', () => {
  it('gives metadata, sequence headers, then the GOP from its key frame', () => {
    const gop = new GopCache();
    const m = meta();
    const v = vhdr();
    const a = ahdr();
    gop.add(m);
    gop.add(v);
    gop.add(a);
    const early = [aac(0), inter(0)]; // before any key frame: not kept
    early.forEach((e) => gop.add(e));
    expect(gop.complete).toBe(false);
    const first = [key(40), aac(45), inter(80), cue(90), aac(95)];
    first.forEach((e) => gop.add(e));
    expect(gop.snapshot()).toEqual([m, v, a, ...first]);
    const second = [key(120), aac(125), inter(160)];
    second.forEach((e) => gop.add(e));
    expect(gop.snapshot()).toEqual([m, v, a, ...second]);
    expect(gop.complete).toBe(true);
    expect(gop.gopMessages).toBe(3);
    expect(gop.gopBytes).toBe(second.reduce((n, e) => n + e.bytes, 0));
    // The snapshot holds the published buffers themselves.
    expect(gop.snapshot()[3].envelopes[0]).toBe(second[0].envelopes[0]);
  });

  it('keeps the latest metadata and headers', () => {
    const gop = new GopCache();
    gop.add(meta());
    const m2 = meta(10);
    gop.add(m2);
    const a2 = ahdr();
    gop.add(ahdr());
    gop.add(a2);
    const v1 = vhdr();
    gop.add(v1);
    const k = key(0);
    gop.add(k);
    // The same configuration again (encoders repeat it before key frames) keeps the GOP.
    const v1again = vhdr();
    gop.add(v1again);
    const i = inter(40);
    gop.add(i);
    expect(gop.snapshot()).toEqual([m2, v1again, a2, k, i]);
    // A new configuration: the GOP restarts at the next key frame.
    const v2 = vhdr(1);
    gop.add(v2);
    expect(gop.snapshot()).toEqual([m2, v2, a2]);
    expect(gop.complete).toBe(false);
    expect(gop.stats.configChanges).toBe(1);
  });

  it('drops the GOP above maxBytes and waits for the next key frame', () => {
    const gop = new GopCache({ maxBytes: 1000 });
    const v = vhdr();
    gop.add(v);
    gop.add(key(0, 400));
    gop.add(inter(40));
    gop.add(key(80, 400)); // new GOP
    gop.add(inter(120));
    gop.add(entry(EnvelopeKind.VIDEO, 0, 160, avcInterframe(1, 600))); // overflow
    expect(gop.stats.overflows).toBe(1);
    expect(gop.snapshot()).toEqual([v]);
    expect(gop.complete).toBe(false);
    gop.add(inter(200));
    gop.add(aac(205));
    expect(gop.snapshot()).toEqual([v]);
    const k = key(240);
    gop.add(k);
    expect(gop.snapshot()).toEqual([v, k]);
    expect(gop.complete).toBe(true);
  });

  it('drops the GOP above maxMessages', () => {
    const gop = new GopCache({ maxMessages: 3 });
    gop.add(key(0));
    gop.add(inter(40));
    gop.add(inter(80));
    expect(gop.gopMessages).toBe(3);
    gop.add(inter(120));
    expect(gop.gopMessages).toBe(0);
    expect(gop.complete).toBe(false);
  });

  it('keeps a window of audio when there is no video', () => {
    const gop = new GopCache({ audioWindowMs: 1000 });
    const a = ahdr();
    gop.add(a);
    expect(gop.complete).toBe(true);
    const frames: GopEntry[] = [];
    for (let ts = 0; ts <= 3000; ts += 23) {
      const e = aac(ts);
      frames.push(e);
      gop.add(e);
    }
    const snap = gop.snapshot();
    expect(snap[0]).toBe(a);
    const window = snap.slice(1);
    const last = frames.at(-1)!.timestamp;
    expect(window).toEqual(frames.filter((e) => last - e.timestamp <= 1000));
    expect(gop.complete).toBe(true);
  });

  it('the audio window also respects the caps, and wraps with the timestamps', () => {
    const gop = new GopCache({ audioWindowMs: 1000, maxMessages: 5 });
    for (let i = 0; i < 10; i++) gop.add(aac((0xffffffff - 50 + i * 10) >>> 0));
    expect(gop.gopMessages).toBe(5);
  });

  it('switches from the audio window to GOPs at the first video message', () => {
    const gop = new GopCache();
    gop.add(aac(0));
    gop.add(aac(23));
    const v = vhdr();
    gop.add(v);
    expect(gop.snapshot()).toEqual([v]);
    expect(gop.complete).toBe(false);
    gop.add(aac(46)); // no key frame yet: not kept
    const k = key(50);
    gop.add(k);
    expect(gop.snapshot()).toEqual([v, k]);
  });

  it('clear() forgets everything', () => {
    const gop = new GopCache();
    gop.add(meta());
    gop.add(vhdr());
    gop.add(key(0));
    gop.clear();
    expect(gop.snapshot()).toEqual([]);
    expect(gop.complete).toBe(true);
  });

  it('ignores end-of-stream and gop-end envelopes', () => {
    const gop = new GopCache();
    gop.add(entry(EnvelopeKind.END_OF_STREAM, 0, 0, Buffer.alloc(0)));
    gop.add(entry(EnvelopeKind.GOP_END, 0, 0, Buffer.alloc(0)));
    expect(gop.snapshot()).toEqual([]);
  });

  it('keeps a long GOP in order past its first column capacity, and takes single envelopes without a list', () => {
    const gop = new GopCache();
    const k = key(0);
    gop.add(k);
    const rest: GopEntry[] = [];
    for (let n = 1; n < 1000; n++) {
      const e = n % 3 === 0 ? aac(n * 10) : inter(n * 10);
      rest.push(e);
      gop.addMessage(e.kind, e.flags, e.sequence, e.timestamp, e.envelopes[0], e.bytes);
    }
    const snap = gop.snapshot();
    expect(snap).toHaveLength(1000);
    expect(snap).toEqual([k, ...rest]);
    expect(snap[999].envelopes[0]).toBe(rest[998].envelopes[0]);
    expect(gop.oldestSequence).toBe(k.sequence);
    expect(gop.gopBytes).toBe(k.bytes + rest.reduce((n, e) => n + e.bytes, 0));
  });
});
