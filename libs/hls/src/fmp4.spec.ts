import { boxTree, boxesOf, findBox, fullBoxHeader, parseTfdt, parseTfhd, parseTrun, walkBoxes } from '../test/fmp4-walker';
import {
  Fmp4AudioTrack,
  Fmp4Fragment,
  Fmp4Sample,
  Fmp4VideoTrack,
  flvToSamples,
  fmp4AudioTrack,
  fmp4InitSegment,
  fmp4MediaSegment,
  fmp4VideoTrack,
} from './fmp4';
import { SAMPLE_FLAGS_NON_SYNC, SAMPLE_FLAGS_SYNC } from './mp4-boxes';

/** x264 High@3.0 640x360 (cropped from 368): an AVCDecoderConfigurationRecord from an ffmpeg FLV. */
const AVCC = Buffer.from(
  '0164001effe1001a6764001eacd940a02ff970110000030001000003003c0f162d9601000468ef8fcbfdf8f800',
  'hex',
);
/** x265 Main@2 320x240: HEVCDecoderConfigurationRecord with the VPS, SPS and PPS arrays. */
const HVCC = Buffer.from(
  '0101600000009000000000003cf000fcfdf8f800000f03a00001001840010c01ffff01600000030090000003000003003c959809a10001002a' +
    '42010101600000030090000003000003003ca00a080f165959a4932bc05a020000030002000003003210a2000100074401c172b46240',
  'hex',
);
/** AAC-LC 44.1 kHz stereo. */
const ASC = Buffer.from([0x12, 0x10]);

const video: Fmp4VideoTrack = { id: 1, kind: 'video', codec: 'avc1', config: AVCC, width: 640, height: 360, timescale: 90000 };
const audio: Fmp4AudioTrack = { id: 2, kind: 'audio', codec: 'mp4a', config: ASC, sampleRate: 44100, channels: 2, timescale: 44100 };

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (seed * 31 + i) & 0xff;
  return b;
}

function sample(size: number, seed: number, o: Partial<Fmp4Sample> = {}): Fmp4Sample {
  const data = bytes(size, seed);
  return { duration: 3000, size, compositionOffset: 0, keyframe: false, data, ...o };
}

describe('fmp4InitSegment', () => {
  const init = fmp4InitSegment([video, audio]);
  const boxes = walkBoxes(init);

  it('nests ftyp + moov(mvhd, trak per track, mvex(trex per track)) and every size adds up', () => {
    expect(boxTree(boxes)).toBe(
      'ftyp moov(mvhd ' +
        'trak(tkhd mdia(mdhd hdlr minf(vmhd dinf(dref(url )) stbl(stsd(avc1(avcC)) stts stsc stsz stco)))) ' +
        'trak(tkhd mdia(mdhd hdlr minf(smhd dinf(dref(url )) stbl(stsd(mp4a(esds)) stts stsc stsz stco)))) ' +
        'mvex(trex trex))',
    );
    expect(boxes.reduce((n, b) => n + b.size, 0)).toBe(init.length);
  });

  it('writes the iso6/cmfc brands', () => {
    const f = findBox(boxes, 'ftyp').body;
    expect(f.toString('latin1', 0, 4)).toBe('iso6');
    expect(f.readUInt32BE(4)).toBe(0);
    expect(f.toString('latin1', 8)).toBe('iso6cmfc');
  });

  it('fills mvhd, tkhd, mdhd and hdlr', () => {
    const mvhd = findBox(boxes, 'moov/mvhd');
    expect(mvhd.size).toBe(108);
    expect(mvhd.body.readUInt32BE(4)).toBe(0); // creation_time
    expect(mvhd.body.readUInt32BE(12)).toBe(1000); // timescale
    expect(mvhd.body.readUInt32BE(96)).toBe(3); // next_track_ID
    const [vt, at] = boxesOf(findBox(boxes, 'moov').children, 'trak');
    const vtkhd = findBox(vt.children, 'tkhd');
    expect(vtkhd.size).toBe(92);
    expect(fullBoxHeader(vtkhd).flags).toBe(3);
    expect(vtkhd.body.readUInt32BE(12)).toBe(1); // track_ID
    expect(vtkhd.body.readUInt32BE(76)).toBe(640 * 65536);
    expect(vtkhd.body.readUInt32BE(80)).toBe(360 * 65536);
    expect(findBox(at.children, 'tkhd').body.readUInt16BE(36)).toBe(0x0100); // audio volume
    expect(findBox(vt.children, 'mdia/mdhd').body.readUInt32BE(12)).toBe(90000);
    expect(findBox(at.children, 'mdia/mdhd').body.readUInt32BE(12)).toBe(44100);
    expect(findBox(at.children, 'mdia/mdhd').body.readUInt16BE(20)).toBe(0x55c4); // 'und'
    expect(findBox(vt.children, 'mdia/hdlr').body.toString('latin1', 8, 12)).toBe('vide');
    expect(findBox(at.children, 'mdia/hdlr').body.toString('latin1', 8, 12)).toBe('soun');
  });

  it('carries the avcC record as it is and the picture size in avc1', () => {
    const [vt] = boxesOf(findBox(boxes, 'moov').children, 'trak');
    const avc1 = findBox(vt.children, 'mdia/minf/stbl/stsd/avc1');
    expect(avc1.body.readUInt16BE(6)).toBe(1); // data_reference_index
    expect(avc1.body.readUInt16BE(24)).toBe(640);
    expect(avc1.body.readUInt16BE(26)).toBe(360);
    expect(findBox(avc1.children, 'avcC').body.equals(AVCC)).toBe(true);
  });

  it('writes mp4a + esds with the AudioSpecificConfig in a DecoderSpecificInfo', () => {
    const [, at] = boxesOf(findBox(boxes, 'moov').children, 'trak');
    const mp4a = findBox(at.children, 'mdia/minf/stbl/stsd/mp4a');
    expect(mp4a.body.readUInt16BE(16)).toBe(2); // channelcount
    expect(mp4a.body.readUInt16BE(18)).toBe(16); // samplesize
    expect(mp4a.body.readUInt32BE(24)).toBe(44100 * 65536); // samplerate
    const esds = findBox(mp4a.children, 'esds').body;
    // version/flags, ES_Descriptor(3) len, ES_ID, flags, DecoderConfigDescriptor(4) len, 0x40, 0x15, ...
    expect([...esds.subarray(0, 4)]).toEqual([0, 0, 0, 0]);
    expect(esds[4]).toBe(0x03);
    expect(esds[5]).toBe(esds.length - 6);
    expect(esds[9]).toBe(0x04);
    expect(esds[11]).toBe(0x40);
    expect(esds[12]).toBe(0x15);
    const dsi = esds.indexOf(Buffer.from([0x05, 0x02, 0x12, 0x10]));
    expect(dsi).toBe(24);
    expect([...esds.subarray(-3)]).toEqual([0x06, 0x01, 0x02]);
  });

  it('writes hvc1 + hvcC for HEVC tracks', () => {
    const hevc = fmp4VideoTrack(1, 'hvc1', HVCC);
    expect(hevc).toMatchObject({ width: 320, height: 240, timescale: 90000 });
    const b = walkBoxes(fmp4InitSegment([hevc]));
    const entry = findBox(b, 'moov/trak/mdia/minf/stbl/stsd/hvc1');
    expect(findBox(entry.children, 'hvcC').body.equals(HVCC)).toBe(true);
  });

  it('derives tracks from FLV sequence headers', () => {
    expect(fmp4VideoTrack(1, 'avc1', AVCC)).toEqual(video);
    expect(fmp4AudioTrack(2, ASC)).toEqual(audio);
  });

  it('is byte-deterministic', () => {
    expect(fmp4InitSegment([video, audio]).equals(init)).toBe(true);
    const now = jest.spyOn(Date, 'now').mockReturnValue(1);
    try {
      expect(fmp4InitSegment([video, audio]).equals(init)).toBe(true);
    } finally {
      now.mockRestore();
    }
  });

  it('rejects bad track lists', () => {
    expect(() => fmp4InitSegment([])).toThrow(RangeError);
    expect(() => fmp4InitSegment([video, { ...audio, id: 1 }])).toThrow(/used twice/);
    expect(() => fmp4InitSegment([{ ...video, id: 0 }])).toThrow(RangeError);
    expect(() => fmp4InitSegment([{ ...video, width: 70000 }])).toThrow(RangeError);
  });
});

describe('fmp4MediaSegment', () => {
  // A GOP with B-frames in decode order: I P B B, presentation I B B P.
  const videoSamples: Fmp4Sample[] = [
    sample(100, 1, { keyframe: true, compositionOffset: 6000 }),
    sample(50, 2, { compositionOffset: 15000 }),
    sample(30, 3, { compositionOffset: 3000 }),
    sample(31, 4, { compositionOffset: -3000 }),
  ];
  const audioSamples: Fmp4Sample[] = [0, 1, 2].map((i) => sample(20 + i, 10 + i, { duration: 1024, keyframe: true }));
  const fragments: Fmp4Fragment[] = [
    { trackId: 1, baseMediaDecodeTime: 2 ** 33 + 90, samples: videoSamples },
    { trackId: 2, baseMediaDecodeTime: 44100, samples: audioSamples },
  ];
  const seg = fmp4MediaSegment(7, fragments);
  const boxes = walkBoxes(seg);

  it('nests styp + moof(mfhd, traf(tfhd tfdt trun) per track) + mdat', () => {
    expect(boxTree(boxes)).toBe('styp moof(mfhd traf(tfhd tfdt trun) traf(tfhd tfdt trun)) mdat');
    expect(boxes.reduce((n, b) => n + b.size, 0)).toBe(seg.length);
    expect(findBox(boxes, 'styp').body.toString('latin1')).toBe('msdh\0\0\0\0msdhcmfs');
    expect(findBox(boxes, 'moof/mfhd').body.readUInt32BE(4)).toBe(7);
  });

  it('writes a version 1 trun with signed composition offsets and first_sample_flags', () => {
    const [vtraf] = boxesOf(findBox(boxes, 'moof').children, 'traf');
    const tfhd = parseTfhd(findBox(vtraf.children, 'tfhd'));
    expect(tfhd.trackId).toBe(1);
    expect(tfhd.flags & 0x020000).toBe(0x020000); // default-base-is-moof
    expect(tfhd.defaultSampleDuration).toBe(3000); // all four last 3000
    expect(tfhd.defaultSampleFlags).toBe(SAMPLE_FLAGS_NON_SYNC);
    expect(parseTfdt(findBox(vtraf.children, 'tfdt'))).toBe(2 ** 33 + 90);
    expect(fullBoxHeader(findBox(vtraf.children, 'tfdt')).version).toBe(1);
    const trun = parseTrun(findBox(vtraf.children, 'trun'));
    expect(trun.version).toBe(1);
    expect(trun.flags).toBe(0x001 | 0x004 | 0x200 | 0x800);
    expect(trun.firstSampleFlags).toBe(SAMPLE_FLAGS_SYNC);
    expect(SAMPLE_FLAGS_SYNC).toBe(0x02000000);
    expect(SAMPLE_FLAGS_NON_SYNC).toBe(0x01010000);
    expect(trun.samples).toEqual([
      { size: 100, compositionOffset: 6000 },
      { size: 50, compositionOffset: 15000 },
      { size: 30, compositionOffset: 3000 },
      { size: 31, compositionOffset: -3000 },
    ]);
  });

  it('writes audio runs with tfhd defaults and no composition offsets', () => {
    const [, atraf] = boxesOf(findBox(boxes, 'moof').children, 'traf');
    const tfhd = parseTfhd(findBox(atraf.children, 'tfhd'));
    expect(tfhd).toMatchObject({ trackId: 2, defaultSampleDuration: 1024, defaultSampleFlags: SAMPLE_FLAGS_SYNC });
    const trun = parseTrun(findBox(atraf.children, 'trun'));
    expect(trun.version).toBe(0);
    expect(trun.flags).toBe(0x001 | 0x200);
    expect(trun.samples.map((s) => s.size)).toEqual([20, 21, 22]);
  });

  it('points every data_offset at its samples in the mdat', () => {
    const moof = findBox(boxes, 'moof');
    const trafs = boxesOf(moof.children, 'traf');
    fragments.forEach((f, i) => {
      const trun = parseTrun(findBox(trafs[i].children, 'trun'));
      let p = moof.start + trun.dataOffset!;
      for (const s of f.samples) {
        expect(seg.subarray(p, p + s.size).equals(Buffer.from(s.data))).toBe(true);
        p += s.size;
      }
    });
    const mdat = findBox(boxes, 'mdat');
    expect(mdat.size).toBe(8 + [...videoSamples, ...audioSamples].reduce((n, s) => n + s.size, 0));
  });

  it('writes per-sample flags when the sync samples are not only the first, and durations when they differ', () => {
    const s = [sample(10, 1, { keyframe: true }), sample(10, 2, { duration: 2970 }), sample(10, 3, { keyframe: true })];
    const b = walkBoxes(fmp4MediaSegment(1, [{ trackId: 1, baseMediaDecodeTime: 0, samples: s }], { styp: false }));
    expect(boxTree(b)).toBe('moof(mfhd traf(tfhd tfdt trun)) mdat');
    const traf = findBox(b, 'moof/traf');
    expect(parseTfhd(findBox(traf.children, 'tfhd')).flags).toBe(0x020000);
    const trun = parseTrun(findBox(traf.children, 'trun'));
    expect(trun.samples).toEqual([
      { duration: 3000, size: 10, flags: SAMPLE_FLAGS_SYNC },
      { duration: 2970, size: 10, flags: SAMPLE_FLAGS_NON_SYNC },
      { duration: 3000, size: 10, flags: SAMPLE_FLAGS_SYNC },
    ]);
  });

  it('is byte-deterministic', () => {
    const copy = fragments.map((f) => ({ ...f, samples: f.samples.map((s) => ({ ...s, data: Buffer.from(s.data) })) }));
    expect(fmp4MediaSegment(7, copy).equals(seg)).toBe(true);
  });

  it('rejects inconsistent input', () => {
    expect(() => fmp4MediaSegment(1, [])).toThrow(RangeError);
    expect(() => fmp4MediaSegment(0, fragments)).toThrow(RangeError);
    expect(() => fmp4MediaSegment(1, [fragments[0], fragments[0]])).toThrow(/two fragments/);
    expect(() => fmp4MediaSegment(1, [{ trackId: 1, baseMediaDecodeTime: 0, samples: [{ ...sample(4, 1), size: 5 }] }])).toThrow(/size 5/);
    expect(() => fmp4MediaSegment(1, [{ trackId: 1, baseMediaDecodeTime: -1, samples: [sample(4, 1)] }])).toThrow(RangeError);
    expect(() => fmp4MediaSegment(1, [{ trackId: 1, baseMediaDecodeTime: 0, samples: [sample(4, 1, { compositionOffset: 2 ** 31 })] }])).toThrow(
      RangeError,
    );
  });
});

describe('flvToSamples', () => {
  const frame = (dts: number, cts: number, keyframe = false) => ({ dts, cts, keyframe, data: bytes(8, dts) });

  it('takes video durations from the next frame and composition offsets from the CompositionTime', () => {
    const r = flvToSamples({ kind: 'video', frames: [frame(1000, 67, true), frame(1033, 133), frame(1067, 33), frame(1100, 0)] });
    expect(r.baseMediaDecodeTime).toBe(90000);
    expect(r.samples.map((s) => s.duration)).toEqual([2970, 3060, 2970, 3000]); // last: (99000 - 90000) / 3
    expect(r.samples.map((s) => s.compositionOffset)).toEqual([6030, 11970, 2970, 0]);
    expect(r.samples.map((s) => s.keyframe)).toEqual([true, false, false, false]);
    expect(r.samples[1].size).toBe(8);
  });

  it('ends the last frame at nextDts when it is known', () => {
    const r = flvToSamples({ kind: 'video', frames: [frame(0, 0, true), frame(40, 0)], nextDts: 90 });
    expect(r.samples.map((s) => s.duration)).toEqual([3600, 4500]);
  });

  it('gives a lone frame the default duration, and clamps a backwards DTS to 0', () => {
    expect(flvToSamples({ kind: 'video', frames: [frame(10, 0, true)] }).samples[0].duration).toBe(3000);
    expect(flvToSamples({ kind: 'video', frames: [frame(10, 0, true)], defaultDuration: 3600 }).samples[0].duration).toBe(3600);
    const r = flvToSamples({ kind: 'video', frames: [frame(100, 0, true), frame(90, 0), frame(133, 0)], nextDts: 166 });
    expect(r.samples.map((s) => s.duration)).toEqual([0, 3870, 2970]);
  });

  it('handles negative composition times', () => {
    expect(flvToSamples({ kind: 'video', frames: [frame(100, -33, true)] }).samples[0].compositionOffset).toBe(-2970);
  });

  it('makes AAC samples of 1024 ticks at the audio timescale', () => {
    const r = flvToSamples({ kind: 'audio', sampleRate: 44100, frames: [0, 23, 46].map((dts) => ({ dts: 2000 + dts, data: bytes(5, dts) })) });
    expect(r.baseMediaDecodeTime).toBe(88200);
    expect(r.samples.map((s) => [s.duration, s.compositionOffset, s.keyframe, s.size])).toEqual([
      [1024, 0, true, 5],
      [1024, 0, true, 5],
      [1024, 0, true, 5],
    ]);
    expect(flvToSamples({ kind: 'audio', sampleRate: 48000, frames: [{ dts: 1001, data: bytes(1, 0) }] }).baseMediaDecodeTime).toBe(48048);
  });

  it('rejects empty or invalid input', () => {
    expect(() => flvToSamples({ kind: 'video', frames: [] })).toThrow(RangeError);
    expect(() => flvToSamples({ kind: 'video', frames: [frame(-1, 0)] })).toThrow(RangeError);
    expect(() => flvToSamples({ kind: 'audio', sampleRate: 0, frames: [{ dts: 0, data: bytes(1, 0) }] })).toThrow(RangeError);
  });

  it('feeds fmp4MediaSegment', () => {
    const v = flvToSamples({ kind: 'video', frames: [frame(0, 66, true), frame(33, 0)], nextDts: 66 });
    const seg = walkBoxes(fmp4MediaSegment(1, [{ trackId: 1, ...v }]));
    const trun = parseTrun(findBox(seg, 'moof/traf/trun'));
    expect(trun.samples.map((s) => s.compositionOffset)).toEqual([5940, 0]);
  });
});
