import { boxTree, findBox, fullBoxHeader, parseTfhd, parseTrun, walkBoxes } from '../test/fmp4-walker';
import {
  Mp4FieldWriter,
  box,
  esds,
  ftyp,
  mdat,
  mp4Language,
  mp4SampleFlags,
  sidx,
  tfhd,
  trex,
  trun,
  writeBoxes,
} from './mp4-boxes';

describe('box / writeBoxes', () => {
  it('sizes boxes from their payload and nests them', () => {
    const inner = box('abcd', Uint8Array.of(1, 2, 3));
    const outer = box('wxyz', inner, Uint8Array.of(9));
    expect(inner.size).toBe(11);
    expect(outer.size).toBe(20);
    const out = writeBoxes(outer, box('free'));
    expect(out.toString('hex')).toBe('00000014' + '7778797a' + '0000000b' + '61626364' + '010203' + '09' + '00000008' + '66726565');
  });

  it('copies media data once, into the output', () => {
    const data = Buffer.from('sample data');
    const out = writeBoxes(mdat(data, data));
    expect(out.length).toBe(8 + 2 * data.length);
    expect(out.subarray(8, 8 + data.length).equals(data)).toBe(true);
    data[0] = 0; // the box tree holds views, the output is a copy
    expect(out[8]).toBe('s'.charCodeAt(0));
  });

  it('rejects bad types and fields that do not fit', () => {
    expect(() => box('abc')).toThrow(RangeError);
    expect(() => new Mp4FieldWriter(1).u8(256)).toThrow(/UI8|unsigned 8-bit/);
    expect(() => new Mp4FieldWriter(4).i32(2 ** 31, 'sample_composition_time_offset')).toThrow(/sample_composition_time_offset/);
    expect(() => new Mp4FieldWriter(8).u64(-1)).toThrow(RangeError);
    expect(() => new Mp4FieldWriter(2).u8(1).done()).toThrow(/1 of 2/);
    expect(() => trex({ trackId: 2 ** 32 })).toThrow(RangeError);
  });

  it('writes 64-bit fields and signed fields big-endian', () => {
    const b = Buffer.from(new Mp4FieldWriter(14).u64(2 ** 40 + 5).i32(-2).i16(-1).done());
    expect(b.toString('hex')).toBe('0000010000000005' + 'fffffffe' + 'ffff');
  });
});

describe('boxes', () => {
  it('ftyp lists its brands', () => {
    expect(writeBoxes(ftyp('iso6', 0, ['iso6', 'cmfc'])).toString('latin1', 4)).toBe('ftypiso6\0\0\0\0iso6cmfc');
  });

  it('packs languages and sample flags', () => {
    expect(mp4Language('und')).toBe(0x55c4);
    expect(mp4Language('eng')).toBe(0x15c7);
    expect(() => mp4Language('EN')).toThrow(RangeError);
    expect(mp4SampleFlags({ dependsOn: 2 })).toBe(0x02000000);
    expect(mp4SampleFlags({ dependsOn: 1, nonSync: true })).toBe(0x01010000);
    expect(mp4SampleFlags({ isLeading: 3, isDependedOn: 1, hasRedundancy: 2 })).toBe(0x0c600000);
  });

  it('tfhd sets default-base-is-moof plus a flag per default', () => {
    const b = walkBoxes(writeBoxes(tfhd({ trackId: 3, defaultSampleSize: 7 })));
    expect(parseTfhd(b[0])).toEqual({ flags: 0x020010, trackId: 3, defaultSampleSize: 7 });
  });

  it('trun writes version 1 only with composition offsets, and checks that present fields are given', () => {
    const samples = [{ duration: 1, size: 2, flags: 3, compositionOffset: -4 }];
    const v1 = walkBoxes(writeBoxes(trun({ dataOffset: 100, fields: { duration: true, size: true, flags: true, compositionOffset: true }, samples })));
    expect(parseTrun(v1[0])).toEqual({ version: 1, flags: 0xf01, sampleCount: 1, dataOffset: 100, samples });
    const v0 = walkBoxes(writeBoxes(trun({ dataOffset: 0, firstSampleFlags: 9, fields: { duration: false, size: true, flags: false, compositionOffset: false }, samples })));
    expect(parseTrun(v0[0])).toEqual({ version: 0, flags: 0x205, sampleCount: 1, dataOffset: 0, firstSampleFlags: 9, samples: [{ size: 2 }] });
    expect(() => trun({ dataOffset: 0, fields: { duration: true, size: false, flags: false, compositionOffset: false }, samples: [{}] })).toThrow(
      /sample_duration is missing/,
    );
  });

  it('esds uses the multi-byte descriptor length for long configurations', () => {
    const config = new Uint8Array(200).fill(0x11);
    const b = walkBoxes(writeBoxes(esds(config)))[0].body;
    // DecSpecificInfo 1 + 2 + 200 = 203; DecoderConfigDescriptor 1 + 2 + (13 + 203) = 219; SLConfig 3;
    // ES_Descriptor body 3 + 219 + 3 = 225 = 0b1_1100001 -> length bytes 0x81 0x61
    expect([...b.subarray(4, 7)]).toEqual([0x03, 0x81, 0x61]);
    expect(b.indexOf(Buffer.from([0x05, 0x81, 0x48, 0x11]))).toBeGreaterThan(0);
    expect(b.length).toBe(4 + 3 + 225);
  });

  it('sidx writes one reference per subsegment', () => {
    const b = walkBoxes(
      writeBoxes(sidx({ referenceId: 1, timescale: 90000, earliestPresentationTime: 2 ** 33, firstOffset: 0, references: [{ referencedSize: 1000, subsegmentDuration: 180000, startsWithSap: true, sapType: 1 }] })),
    )[0];
    expect(b.size).toBe(8 + 4 + 28 + 12);
    expect(fullBoxHeader(b).version).toBe(1);
    expect(Number(b.body.readBigUInt64BE(12))).toBe(2 ** 33);
    expect(b.body.readUInt16BE(30)).toBe(1);
    expect(b.body.readUInt32BE(32)).toBe(1000);
    expect(b.body.readUInt32BE(36)).toBe(180000);
    expect(b.body.readUInt32BE(40)).toBe(0x90000000);
  });

  it('walks back its own container boxes', () => {
    const tree = walkBoxes(writeBoxes(box('moov', box('trak', box('tkhd', Uint8Array.of(0, 0, 0, 0))), box('mvex', trex({ trackId: 1 })))));
    expect(boxTree(tree)).toBe('moov(trak(tkhd) mvex(trex))');
    expect(findBox(tree, 'moov/mvex/trex').body.readUInt32BE(4)).toBe(1);
    expect(findBox(tree, 'moov/mvex/trex').body.readUInt32BE(8)).toBe(1); // default_sample_description_index
  });
});
