import { FlvError } from './errors';
import {
  FLV_TAG_HEADER_SIZE,
  FlvFileReader,
  FlvTag,
  FlvTagType,
  encodeFlvHeader,
  encodeFlvTag,
  parseFlvHeader,
  writeFlvTagHeader,
} from './file';

function errCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof FlvError) return err.code;
    throw err;
  }
  throw new Error('expected an FlvError');
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

const simple = (tags: FlvTag[]) => tags.map((t) => ({ type: t.type, timestamp: t.timestamp, streamId: t.streamId, filter: t.filter, body: Buffer.from(t.body).toString('hex') }));

/** A small FLV: header, script tag, sequence headers, frames, an empty tag, and timestamps past 2^24. */
function sampleFile(): { file: Uint8Array; tags: ReturnType<typeof simple> } {
  const bodies: [number, number, Uint8Array][] = [
    [FlvTagType.SCRIPT, 0, Uint8Array.from([0x02, 0x00, 0x0a, ...Buffer.from('onMetaData'), 0x05])],
    [FlvTagType.VIDEO, 0, Uint8Array.from([0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1])],
    [FlvTagType.AUDIO, 0, Uint8Array.from([0xaf, 0x00, 0x12, 0x10])],
    [FlvTagType.VIDEO, 33, Uint8Array.from({ length: 300 }, (_, i) => i & 0xff)],
    [FlvTagType.AUDIO, 40, new Uint8Array(0)],
    [FlvTagType.VIDEO, 0x01234567, Uint8Array.from([0x27, 1, 0, 0, 0, 9, 9, 9])],
    [FlvTagType.AUDIO, 0xfffffffe, Uint8Array.from([0xaf, 0x01, 0xde, 0xad])],
  ];
  const file = concat([encodeFlvHeader({ audio: true, video: true }), ...bodies.map(([type, ts, body]) => encodeFlvTag(type, ts, body))]);
  const tags = bodies.map(([type, timestamp, body]) => ({ type, timestamp, streamId: 0, filter: false, body: Buffer.from(body).toString('hex') }));
  return { file, tags };
}

describe('FLV header and tags (Annex E.2 / E.4.1)', () => {
  it('encodeFlvHeader writes the header and PreviousTagSize0', () => {
    expect(encodeFlvHeader({ audio: true, video: true }).toString('hex')).toBe('464c5601050000000900000000');
    expect(encodeFlvHeader({ audio: false, video: true })[4]).toBe(0x01);
    expect(encodeFlvHeader({ audio: true, video: false })[4]).toBe(0x04);
    expect(parseFlvHeader(encodeFlvHeader({ audio: true, video: false }))).toEqual({ version: 1, hasAudio: true, hasVideo: false, dataOffset: 9 });
  });

  it('encodeFlvTag: header, body, PreviousTagSize; TimestampExtended carries bits 31..24', () => {
    const tag = encodeFlvTag(FlvTagType.VIDEO, 0x12345678, Uint8Array.from([0xaa, 0xbb]));
    expect(tag.toString('hex')).toBe('09' + '000002' + '345678' + '12' + '000000' + 'aabb' + '0000000d');
    expect(encodeFlvTag(FlvTagType.AUDIO, 2 ** 32 + 5, new Uint8Array(0)).subarray(4, 8).toString('hex')).toBe('00000500');
    expect(encodeFlvTag(FlvTagType.AUDIO, -1, new Uint8Array(0)).subarray(4, 8).toString('hex')).toBe('ffffffff');
    expect(errCode(() => encodeFlvTag(FlvTagType.AUDIO, NaN, new Uint8Array(0)))).toBe('FLV_INVALID');
    expect(errCode(() => encodeFlvTag(FlvTagType.VIDEO, 0, new Uint8Array(0x1000000)))).toBe('FLV_TAG_TOO_LARGE');
  });

  it('writeFlvTagHeader writes in place and returns the next offset', () => {
    const buf = new Uint8Array(20).fill(0xee);
    expect(writeFlvTagHeader(buf, 3, FlvTagType.SCRIPT, 1000, 0x010203)).toBe(3 + FLV_TAG_HEADER_SIZE);
    expect(Buffer.from(buf).toString('hex')).toBe('eeeeee' + '12' + '010203' + '0003e8' + '00' + '000000' + 'eeeeeeeeeeee');
    expect(errCode(() => writeFlvTagHeader(buf, 10, 9, 0, 0))).toBe('FLV_INVALID');
    expect(errCode(() => writeFlvTagHeader(buf, 0, 32, 0, 0))).toBe('FLV_INVALID');
    expect(errCode(() => writeFlvTagHeader(buf, 0, 9, 0, 0x1000000))).toBe('FLV_TAG_TOO_LARGE');
  });

  it('parseFlvHeader rejects a wrong signature or DataOffset', () => {
    expect(errCode(() => parseFlvHeader(Buffer.from('FLX\x01\x05\x00\x00\x00\x09', 'latin1')))).toBe('FLV_BAD_HEADER');
    expect(errCode(() => parseFlvHeader(Buffer.from('464c56010500000005', 'hex')))).toBe('FLV_BAD_HEADER');
    expect(errCode(() => parseFlvHeader(Buffer.from('464c5601', 'hex')))).toBe('FLV_TRUNCATED');
  });
});

describe('FlvFileReader', () => {
  it('one push yields every tag, bodies as views into the chunk', () => {
    const { file, tags } = sampleFile();
    const reader = new FlvFileReader();
    const out = reader.push(file);
    expect(simple(out)).toEqual(tags);
    expect(reader.header).toEqual({ version: 1, hasAudio: true, hasVideo: true, dataOffset: 9 });
    for (const t of out) if (t.body.length > 0) expect(t.body.buffer).toBe(file.buffer);
    expect(reader.bufferedBytes).toBe(4); // the last PreviousTagSize, held as the prefix of a next tag
    reader.end();
  });

  it('byte by byte yields the same tags', () => {
    const { file, tags } = sampleFile();
    const reader = new FlvFileReader();
    const out: FlvTag[] = [];
    for (let i = 0; i < file.length; i++) out.push(...reader.push(file.subarray(i, i + 1)));
    expect(simple(out)).toEqual(tags);
    reader.end();
  });

  it('split at every offset into two pushes yields the same tags; only spanning bodies are copied', () => {
    const { file, tags } = sampleFile();
    for (let cut = 0; cut <= file.length; cut++) {
      const a = Uint8Array.from(file.subarray(0, cut));
      const b = Uint8Array.from(file.subarray(cut));
      const reader = new FlvFileReader();
      const first = reader.push(a);
      const second = reader.push(b);
      expect(simple([...first, ...second])).toEqual(tags);
      for (const t of first) if (t.body.length > 0) expect(t.body.buffer).toBe(a.buffer);
      reader.end();
    }
  });

  it('a DataOffset above 9 is skipped', () => {
    const { tags } = sampleFile();
    const { file } = sampleFile();
    const header = Buffer.from('464c5601050000000d' + 'cafebabe', 'hex');
    const reader = new FlvFileReader();
    expect(simple(reader.push(concat([header, file.subarray(9)])))).toEqual(tags);
    expect(reader.header?.dataOffset).toBe(13);
  });

  it('the Filter bit and StreamID are reported', () => {
    const tag = encodeFlvTag(FlvTagType.VIDEO, 7, Uint8Array.from([1, 2, 3]));
    tag[0] |= 0x20;
    tag[10] = 5;
    const [t] = new FlvFileReader().push(concat([encodeFlvHeader({ audio: false, video: true }), tag]));
    expect(t).toMatchObject({ type: 9, filter: true, streamId: 5, timestamp: 7 });
  });

  it('an oversized tag fails with FLV_TAG_TOO_LARGE, and the error sticks', () => {
    const file = concat([encodeFlvHeader({ audio: false, video: true }), encodeFlvTag(9, 0, new Uint8Array(64)), encodeFlvTag(9, 40, new Uint8Array(65))]);
    const reader = new FlvFileReader({ maxTagSize: 64 });
    expect(errCode(() => reader.push(file))).toBe('FLV_TAG_TOO_LARGE');
    expect(errCode(() => reader.push(new Uint8Array(1)))).toBe('FLV_TAG_TOO_LARGE');
    expect(errCode(() => reader.end())).toBe('FLV_TAG_TOO_LARGE');
    // Split before the size field is complete: still detected without buffering the body.
    const r2 = new FlvFileReader({ maxTagSize: 64 });
    const split = 13 + 11 + 64 + 4 + 2; // inside the second DataSize field
    expect(r2.push(file.subarray(0, split))).toHaveLength(1);
    expect(errCode(() => r2.push(file.subarray(split)))).toBe('FLV_TAG_TOO_LARGE');
  });

  it('a bad signature fails with FLV_BAD_HEADER, even when it arrives byte by byte', () => {
    const bad = Buffer.from('464c5801050000000900000000', 'hex');
    expect(errCode(() => new FlvFileReader().push(bad))).toBe('FLV_BAD_HEADER');
    const reader = new FlvFileReader();
    let code = '';
    for (const b of bad) {
      try {
        reader.push(Uint8Array.of(b));
      } catch (err) {
        code = (err as FlvError).code;
        break;
      }
    }
    expect(code).toBe('FLV_BAD_HEADER');
    expect(errCode(() => new FlvFileReader().push(Buffer.from('GET / HTTP/1.1\r\n')))).toBe('FLV_BAD_HEADER');
  });

  it('end() reports input that stops inside the header or a tag', () => {
    const { file } = sampleFile();
    const inHeader = new FlvFileReader();
    inHeader.push(file.subarray(0, 5));
    expect(errCode(() => inHeader.end())).toBe('FLV_TRUNCATED');
    const inTag = new FlvFileReader();
    inTag.push(file.subarray(0, 40));
    expect(inTag.bufferedBytes).toBeGreaterThan(0);
    expect(errCode(() => inTag.end())).toBe('FLV_TRUNCATED');
    const noTrailer = new FlvFileReader();
    noTrailer.push(file.subarray(0, file.length - 4));
    noTrailer.end();
  });
});
