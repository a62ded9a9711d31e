import { encodeFlvHeader, encodeFlvTag } from '@ingest/flv';
import { FlvStreamError, FlvTagHeaderParser } from './flv-tag-parser';

type Tag = [type: number, timestamp: number, size: number];

/** An FLV stream as the origin sends it: header + PreviousTagSize0, then tags (empty, small, extended timestamp). */
function stream(): { bytes: Buffer; tags: Tag[] } {
  const tags: Tag[] = [
    [18, 0, 40],
    [9, 0, 0],
    [8, 0, 7],
    [9, 33, 300],
    [8, 23, 1],
    [9, 0x00ffffff, 12],
    [9, 0x01000021, 25],
    [8, 0xfffffffe, 3],
  ];
  const bytes = Buffer.concat([
    encodeFlvHeader({ audio: true, video: true }),
    ...tags.map(([type, ts, size], i) => encodeFlvTag(type, ts, Buffer.alloc(size, i + 1))),
  ]);
  return { bytes, tags };
}

function parse(pieces: Uint8Array[]): { tags: Tag[]; parser: FlvTagHeaderParser } {
  const tags: Tag[] = [];
  const parser = new FlvTagHeaderParser((type, timestamp, size) => tags.push([type, timestamp, size]));
  for (const piece of pieces) parser.push(piece);
  return { tags, parser };
}

describe('FlvTagHeaderParser', () => {
  const { bytes, tags } = stream();

  it('reads type, timestamp (with the extended byte) and size of every tag in one push', () => {
    const { tags: got, parser } = parse([bytes]);
    expect(got).toEqual(tags);
    expect(parser.tags).toBe(tags.length);
    expect(parser.bytes).toBe(bytes.length);
    expect(parser.atTagBoundary).toBe(true);
  });

  it('gives the same tags whatever offset the stream is split at', () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { tags: got, parser } = parse([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect({ cut, got }).toEqual({ cut, got: tags });
      expect(parser.bytes).toBe(bytes.length);
    }
  });

  it('gives the same tags when split at every pair of offsets, and byte by byte', () => {
    for (let a = 0; a <= bytes.length; a += 3) {
      for (let b = a; b <= bytes.length; b += 5) {
        expect(parse([bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]).tags).toEqual(tags);
      }
    }
    expect(parse([...bytes].map((byte) => Uint8Array.of(byte))).tags).toEqual(tags);
  });

  it('reports a tag only once its last body byte has arrived', () => {
    const seen: number[] = [];
    const parser = new FlvTagHeaderParser((_type, timestamp) => seen.push(timestamp));
    const header = encodeFlvHeader({ audio: true, video: true });
    const tag = encodeFlvTag(9, 1234, Buffer.alloc(100));
    parser.push(header);
    parser.push(tag.subarray(0, 11 + 99));
    expect(seen).toEqual([]);
    parser.push(tag.subarray(11 + 99, 11 + 100));
    expect(seen).toEqual([1234]);
    expect(parser.atTagBoundary).toBe(false); // PreviousTagSize still to come
    parser.push(tag.subarray(11 + 100));
    expect(parser.atTagBoundary).toBe(true);
  });

  it('skips a longer header (DataOffset > 9)', () => {
    const header = Buffer.concat([encodeFlvHeader({ audio: true, video: false }).subarray(0, 9), Buffer.alloc(3), Buffer.alloc(4)]);
    header.writeUInt32BE(12, 5);
    const body = encodeFlvTag(8, 5, Buffer.alloc(4));
    expect(parse([header, body]).tags).toEqual([[8, 5, 4]]);
  });

  it('masks the filter bit out of the type', () => {
    const tag = encodeFlvTag(9, 1, Buffer.alloc(2));
    tag[0] |= 0x20;
    expect(parse([encodeFlvHeader({ audio: false, video: true }), tag]).tags).toEqual([[9, 1, 2]]);
  });

  it('rejects a stream without the FLV signature, and a PreviousTagSize that does not match', () => {
    expect(() => parse([Buffer.from('GIF89a...........')])).toThrow(FlvStreamError);
    const bad = Buffer.from(bytes);
    bad.writeUInt32BE(999, 13 + 11 + 40); // the first tag's PreviousTagSize
    expect(() => parse([bad])).toThrow(/PreviousTagSize 999 after a 40-byte tag/);
  });
});
