/**
 * Property-based robustness: whatever bytes arrive, the parsers either return a value or throw FlvError, and
 * the describe* helpers never throw. Inputs are arbitrary bytes and mutations (bit flips, byte changes,
 * insertions, deletions, truncations) of valid structures.
 */
import { AmfEcmaArray, encodeAmf0 } from '@ingest/amf';
import fc from 'fast-check';
import { parseAudioSpecificConfig } from './aac';
import { parseAudioTag, parseMultichannelConfig } from './audio';
import { parseAv1CodecConfigurationRecord, parseAv1SequenceHeaderFromObus } from './av1';
import { encodeAvcDecoderConfigurationRecord, parseAvcDecoderConfigurationRecord, parseH264Sps } from './avc';
import { describeAudioConfig, describeVideoConfig } from './describe';
import { FlvError } from './errors';
import { FlvFileReader, FlvTag, encodeFlvHeader, encodeFlvTag } from './file';
import { parseFlacSequenceHeader } from './flac';
import { parseH265Sps, parseHevcDecoderConfigurationRecord } from './hevc';
import { parseMpegAudioHeader } from './mp3';
import { parseOpusHead } from './opus';
import { parseScriptData, parseVideoMetadata, readStreamMetadata } from './script';
import { parseVideoTag } from './video';
import { parseVpCodecConfigurationRecord } from './vpx';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const ascii = (s: string): number[] => Array.from(Buffer.from(s, 'latin1'));
const u8 = (...parts: (number | number[] | Uint8Array)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'number' ? [p] : Array.from(p))));

function onlyFlvError(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof FlvError)) throw err;
  }
}

type Edit = { kind: number; pos: number; val: number };

function applyEdits(seed: Uint8Array, edits: Edit[]): Uint8Array {
  const b = Array.from(seed);
  for (const e of edits) {
    const p = b.length === 0 ? 0 : e.pos % b.length;
    switch (e.kind) {
      case 0:
        if (b.length) b[p] ^= 1 << (e.val & 7);
        break;
      case 1:
        if (b.length) b[p] = e.val;
        break;
      case 2:
        b.splice(p, 0, e.val);
        break;
      case 3:
        b.splice(p, 1);
        break;
      default:
        b.length = p;
    }
  }
  return Uint8Array.from(b);
}

const edits = fc.array(fc.record({ kind: fc.integer({ min: 0, max: 4 }), pos: fc.nat(), val: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 });
const mutated = (seeds: Uint8Array[]) => fc.tuple(fc.constantFrom(...seeds), edits).map(([seed, e]) => applyEdits(seed, e));
const bytes = (maxLength = 64) => fc.uint8Array({ maxLength });

const SPS_720P = hex('67 64 00 1f ac d9 40 50 05 bb 01 10 00 00 03 00 10 00 00 03 03 c0 f1 83 19 60');
const SPS_BASELINE = hex('67 42 c0 0d d9 01 41 9f 9f 01 10 00 00 03 00 10 00 00 03 03 c0 f1 42 a4 80');
const PPS = hex('68 eb e3 cb 22 c0');
const AVCC = encodeAvcDecoderConfigurationRecord({ sps: [SPS_720P], pps: [PPS] });
const HEVC_SPS = hex('42 01 01 01 60 00 00 03 00 90 00 00 03 00 00 03 00 5d a0 02 80 80 2d 16 59 59 a4 93 2b c0 5a 70 80 00 01 f4 80 00 3a 98 04');
const HVCC = hex(
  '01 01 60000000 900000000000 5d f000 fc fd f8 f8 0000 0f 03' +
    'a0 0001 0018 40010c01ffff016000000300900000030000030 05d959809' +
    'a1 0001 0029 42010101600000030090000003000003005da0028080 2d165959a4932bc05a70800001f480003a9804' +
    'a2 0001 0007 4401c172b46240',
);
const AV1C = u8(0x81, 0x08, 0x0c, 0x00, 0x0a, 0x0b, 0x00, 0x00, 0x00, 0x24, 0xc6, 0xab, 0xff, 0x96, 0x20, 0x05, 0xf4);
const VPCC = u8(0x00, 41, 0x82, 1, 1, 1, 0, 0);
const OPUS_HEAD = u8(ascii('OpusHead'), 1, 2, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0);
const FLAC_HEAD = u8(ascii('fLaC'), 0x80, 0, 0, 0x22, hex('1000100000000000000 00ac442f000000000'), new Uint8Array(16));
const META = encodeAmf0('onMetaData', new AmfEcmaArray({ width: 1280, height: 720, videocodecid: 7, encoder: 'x', stereo: true }));

const VIDEO_SEEDS = [
  u8(0x17, 0, 0, 0, 0, AVCC),
  u8(0x27, 1, 0, 0, 0x21, 0, 0, 0, 2, 0x41, 0x9a),
  u8(0x1c, 0, 0, 0, 0, HVCC),
  u8(0x90, ascii('hvc1'), HVCC),
  u8(0x91, ascii('hvc1'), 0xff, 0xff, 0xc0, 0, 0, 0, 1, 0x26),
  u8(0xa3, ascii('hvc1'), 0, 0, 0, 1, 0x02),
  u8(0x90, ascii('av01'), AV1C),
  u8(0x90, ascii('vp09'), VPCC),
  u8(0xd4, ascii('hvc1'), encodeAmf0('colorInfo', { colorConfig: { bitDepth: 10 } })),
  u8(0x96, 0x01, ascii('avc1'), 2, 0, 0, 0x21, 0, 0, 0, 2, 0x41, 0x9a),
  u8(0xa6, 0x13, ascii('hvc1'), 0, 0, 0, 3, 0xaa, 0xbb, 0xcc, 1, 0, 0, 2, 0xdd, 0xee),
  u8(0x96, 0x20, ascii('avc1'), 0, 0, 0, AVCC.length, AVCC, ascii('hvc1'), 1, 0, 0, HVCC.length, HVCC),
  u8(0x97, 0x02, 0x0f, 0x42, 0x3f, 0x01, ascii('avc1'), 0, 0, 0, 0, 0, 0, 1, 0x65),
  u8(0xa7, 0xff, 0x00, 0x02, 0x00, 0x01, 0xf4, 0x06, 0x01, ascii('hvc1'), 3, 0, 0, 5, 0xab),
  u8(0xd1, 0x01),
  u8(0x57, 0x00),
];

const AUDIO_SEEDS = [
  u8(0xaf, 0x00, 0x12, 0x10),
  u8(0xaf, 0x01, 0x21, 0x10, 0x04),
  u8(0x2f, 0xff, 0xfb, 0x90, 0x64),
  u8(0x90, ascii('mp4a'), 0x2b, 0x92, 0x08, 0x00),
  u8(0x90, ascii('Opus'), OPUS_HEAD),
  u8(0x90, ascii('fLaC'), FLAC_HEAD),
  u8(0x91, ascii('.mp3'), 0xff, 0xf3, 0x44, 0xc4),
  u8(0x94, ascii('Opus'), 0x02, 0x03, 0x00, 0x01, 0xff),
  u8(0x97, 0x02, 0x00, 0x01, 0xf4, 0x01, ascii('mp4a'), 0x21, 0x10),
  u8(0x95, 0x11, ascii('Opus'), 0, 0, 0, 2, 0xaa, 0xbb, 1, 0, 0, 1, 0xcc),
  u8(0x95, 0x20, ascii('mp4a'), 0, 0, 0, 2, 0x12, 0x10, ascii('Opus'), 1, 0, 0, OPUS_HEAD.length, OPUS_HEAD),
];

const FILE = Uint8Array.from(
  Buffer.concat([
    encodeFlvHeader({ audio: true, video: true }),
    encodeFlvTag(18, 0, META),
    ...VIDEO_SEEDS.slice(0, 6).map((b, i) => encodeFlvTag(9, i * 33, b)),
    ...AUDIO_SEEDS.slice(0, 4).map((b, i) => encodeFlvTag(8, i * 21, b)),
  ]),
);

describe('property: parsers throw nothing but FlvError', () => {
  it('the seeds themselves are valid', () => {
    for (const b of VIDEO_SEEDS) expect(parseVideoTag(b).tracks.length).toBeGreaterThan(0);
    for (const b of AUDIO_SEEDS) expect(parseAudioTag(b).tracks.length).toBeGreaterThan(0);
    expect(parseH265Sps(parseHevcDecoderConfigurationRecord(HVCC).sps[0])).toMatchObject({ width: 1280, height: 720 });
    expect(parseH264Sps(parseAvcDecoderConfigurationRecord(AVCC).sps[0])).toMatchObject({ width: 1280, height: 720 });
    expect(parseAv1CodecConfigurationRecord(AV1C).seqLevelIdx0).toBe(8);
    expect(parseVpCodecConfigurationRecord(VPCC).bitDepth).toBe(8);
    expect(parseOpusHead(OPUS_HEAD).channelCount).toBe(2);
    expect(parseFlacSequenceHeader(FLAC_HEAD)).toMatchObject({ sampleRate: 44100, channels: 2, bitsPerSample: 16 });
    expect(parseScriptData(META).name).toBe('onMetaData');
    expect(new FlvFileReader().push(FILE)).toHaveLength(11);
  });

  it('parseVideoTag on arbitrary bytes, mostly E-RTMP first bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), bytes(), (first, rest) => {
        onlyFlvError(() => parseVideoTag(u8(first | 0x80, rest)));
        onlyFlvError(() => parseVideoTag(u8(first, rest)));
      }),
      { numRuns: 3000 },
    );
  });

  it('parseVideoTag on mutated valid tags; results stay inside the body; describe never throws', () => {
    fc.assert(
      fc.property(mutated(VIDEO_SEEDS), (body) => {
        let tag;
        try {
          tag = parseVideoTag(body);
        } catch (err) {
          if (err instanceof FlvError) return;
          throw err;
        }
        for (const t of tag.tracks) {
          expect(t.payload.buffer).toBe(body.buffer);
          expect(t.payload.byteOffset + t.payload.length).toBeLessThanOrEqual(body.byteOffset + body.length);
          describeVideoConfig(t);
          if (t.packetType === 'metadata') onlyFlvError(() => parseVideoMetadata(t.payload));
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('parseAudioTag on arbitrary bytes and mutated valid tags; describe never throws', () => {
    fc.assert(
      fc.property(fc.oneof(bytes(), mutated(AUDIO_SEEDS), fc.tuple(fc.integer({ min: 0, max: 15 }), bytes()).map(([t, r]) => u8(0x90 | t, r))), (body) => {
        let tag;
        try {
          tag = parseAudioTag(body);
        } catch (err) {
          if (err instanceof FlvError) return;
          throw err;
        }
        for (const t of tag.tracks) {
          describeAudioConfig(t, tag);
          if (t.packetType === 'multichannelConfig') parseMultichannelConfig(t.payload);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('FlvFileReader on mutated files in random chunks', () => {
    fc.assert(
      fc.property(fc.oneof(mutated([FILE]), bytes(200)), fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: 0, max: 400 }), (file, cuts, max) => {
        const reader = new FlvFileReader({ maxTagSize: max });
        const points = [...new Set(cuts.map((c) => c % (file.length + 1)))].sort((a, b) => a - b);
        let prev = 0;
        onlyFlvError(() => {
          for (const p of [...points, file.length]) {
            reader.push(file.subarray(prev, p));
            prev = p;
          }
          reader.end();
        });
      }),
      { numRuns: 3000 },
    );
  });

  it('parseScriptData on arbitrary bytes and mutated metadata; readStreamMetadata never throws', () => {
    fc.assert(
      fc.property(fc.oneof(bytes(), mutated([META, encodeAmf0('@setDataFrame', 'onMetaData', { width: 1 })])), (body) => {
        try {
          readStreamMetadata(parseScriptData(body).value);
        } catch (err) {
          if (!(err instanceof FlvError)) throw err;
        }
        onlyFlvError(() => parseVideoMetadata(body));
      }),
      { numRuns: 3000 },
    );
    fc.assert(fc.property(fc.anything(), (v) => void readStreamMetadata(v)), { numRuns: 1000 });
  });

  it('codec configuration parsers on arbitrary bytes and mutations', () => {
    const cases: [Uint8Array[], (b: Uint8Array) => unknown][] = [
      [[AVCC], parseAvcDecoderConfigurationRecord],
      [[SPS_720P, SPS_BASELINE], parseH264Sps],
      [[HVCC], parseHevcDecoderConfigurationRecord],
      [[HEVC_SPS], parseH265Sps],
      [[hex('1210'), hex('2b920800'), hex('131056e598')], parseAudioSpecificConfig],
      [[AV1C], parseAv1CodecConfigurationRecord],
      [[AV1C.subarray(4)], parseAv1SequenceHeaderFromObus],
      [[VPCC], parseVpCodecConfigurationRecord],
      [[OPUS_HEAD], parseOpusHead],
      [[FLAC_HEAD], parseFlacSequenceHeader],
      [[hex('fffb9064')], parseMpegAudioHeader],
    ];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: cases.length - 1 }), fc.boolean(), fc.nat(), bytes(48), edits, (which, random, seedIndex, raw, e) => {
        const [seeds, parse] = cases[which];
        const input = random ? raw : applyEdits(seeds[seedIndex % seeds.length], e);
        onlyFlvError(() => parse(input));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('property: FlvFileReader chunking does not change the result', () => {
  const tagArb = fc.record({
    type: fc.constantFrom(8, 9, 18),
    timestamp: fc.nat({ max: 0xffffffff }),
    body: fc.uint8Array({ maxLength: 40 }),
  });

  it('random tags, random chunk boundaries', () => {
    fc.assert(
      fc.property(fc.array(tagArb, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (tags, cuts) => {
        const file = Uint8Array.from(Buffer.concat([encodeFlvHeader({ audio: true, video: true }), ...tags.map((t) => encodeFlvTag(t.type, t.timestamp, t.body))]));
        const points = [...new Set(cuts.map((c) => c % (file.length + 1)))].sort((a, b) => a - b);
        const reader = new FlvFileReader();
        const out: FlvTag[] = [];
        let prev = 0;
        for (const p of [...points, file.length]) {
          out.push(...reader.push(file.subarray(prev, p)));
          prev = p;
        }
        reader.end();
        expect(out.map((t) => [t.type, t.timestamp, Buffer.from(t.body).toString('hex')])).toEqual(
          tags.map((t) => [t.type, t.timestamp, Buffer.from(t.body).toString('hex')]),
        );
      }),
      { numRuns: 1000 },
    );
  });
});
