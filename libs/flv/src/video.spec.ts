import { encodeAmf0 } from '@ingest/amf';
import { FlvError } from './errors';
import { parseVideoMetadata } from './script';
import { VideoTag, parseVideoTag } from './video';

/** Hex with optional spaces and quoted ASCII runs: hex(`90 'hvc1' 01 02`). */
function hex(s: string): Uint8Array {
  const parts: number[] = [];
  for (const tok of s.match(/'[^']*'|[0-9a-fA-F]{2}/g) ?? []) {
    if (tok.startsWith("'")) for (const c of tok.slice(1, -1)) parts.push(c.charCodeAt(0));
    else parts.push(parseInt(tok, 16));
  }
  return Uint8Array.from(parts);
}

function errCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof FlvError) return err.code;
    throw err;
  }
  throw new Error('expected an FlvError');
}

const bytes = (u: Uint8Array): number[] => Array.from(u);

interface Row {
  name: string;
  body: string;
  expect: Partial<VideoTag>;
  tracks: { trackId: number; codec: string; packetType: string; cto: number; payload: string }[];
}

// Byte layouts from enhanced-rtmp-v2.md, "Enhanced Video": first byte = isExVideoHeader UB[1] | FrameType UB[3]
// | VideoPacketType UB[4]; then ModEx / Multitrack headers; then FOURCC; CodedFrames of avc1/hvc1 carry SI24.
const rows: Row[] = [
  {
    name: 'hvc1 SequenceStart (keyframe)',
    body: `90 'hvc1' 01 01 60 00 00 00`,
    expect: { enhanced: true, frameType: 1, isKeyframe: true, multitrack: false },
    tracks: [{ trackId: 0, codec: 'hvc1', packetType: 'sequenceStart', cto: 0, payload: '01 01 60 00 00 00' }],
  },
  {
    name: 'hvc1 CodedFrames, keyframe, negative composition time',
    body: `91 'hvc1' ff ff c0 00 00 00 03 26 01 af`,
    expect: { enhanced: true, frameType: 1, isKeyframe: true },
    tracks: [{ trackId: 0, codec: 'hvc1', packetType: 'codedFrames', cto: -64, payload: '00 00 00 03 26 01 af' }],
  },
  {
    name: 'hvc1 CodedFrames, inter frame, positive composition time',
    body: `a1 'hvc1' 00 00 21 00 00 00 02 02 01`,
    expect: { frameType: 2, isKeyframe: false },
    tracks: [{ trackId: 0, codec: 'hvc1', packetType: 'codedFrames', cto: 33, payload: '00 00 00 02 02 01' }],
  },
  {
    name: 'hvc1 CodedFramesX: no composition time on the wire',
    body: `a3 'hvc1' 00 00 00 02 02 01`,
    expect: { frameType: 2 },
    tracks: [{ trackId: 0, codec: 'hvc1', packetType: 'codedFrames', cto: 0, payload: '00 00 00 02 02 01' }],
  },
  {
    name: 'av01 SequenceStart',
    body: `90 'av01' 81 08 0c 00 0a 0b 00 00 00 24 c6 ab ff 96 20 05 f4`,
    expect: { frameType: 1, isKeyframe: true },
    tracks: [{ trackId: 0, codec: 'av01', packetType: 'sequenceStart', cto: 0, payload: '81 08 0c 00 0a 0b 00 00 00 24 c6 ab ff 96 20 05 f4' }],
  },
  {
    name: 'av01 CodedFrames: no composition time for AV1',
    body: `a1 'av01' 12 00 32 05`,
    expect: { frameType: 2 },
    tracks: [{ trackId: 0, codec: 'av01', packetType: 'codedFrames', cto: 0, payload: '12 00 32 05' }],
  },
  {
    name: 'vp09 CodedFrames: no composition time for VP9',
    body: `91 'vp09' 82 49 83 42 00`,
    expect: { frameType: 1, isKeyframe: true },
    tracks: [{ trackId: 0, codec: 'vp09', packetType: 'codedFrames', cto: 0, payload: '82 49 83 42 00' }],
  },
  {
    name: 'vp09 SequenceEnd',
    body: `92 'vp09'`,
    expect: { frameType: 1 },
    tracks: [{ trackId: 0, codec: 'vp09', packetType: 'sequenceEnd', cto: 0, payload: '' }],
  },
  {
    name: 'av01 MPEG2TSSequenceStart',
    body: `95 'av01' 80 01`,
    expect: { frameType: 1 },
    tracks: [{ trackId: 0, codec: 'av01', packetType: 'mpeg2tsSequenceStart', cto: 0, payload: '80 01' }],
  },
  {
    name: 'Multitrack OneTrack: avc1 CodedFrames on track 2',
    body: `96 01 'avc1' 02 00 00 21 00 00 00 02 41 9a`,
    expect: { frameType: 1, multitrack: true, multitrackType: 'oneTrack' },
    tracks: [{ trackId: 2, codec: 'avc1', packetType: 'codedFrames', cto: 33, payload: '00 00 00 02 41 9a' }],
  },
  {
    name: 'Multitrack ManyTracks: two hvc1 CodedFramesX tracks with sizes',
    body: `a6 13 'hvc1' 00 00 00 03 aa bb cc 01 00 00 02 dd ee`,
    expect: { frameType: 2, multitrack: true, multitrackType: 'manyTracks' },
    tracks: [
      { trackId: 0, codec: 'hvc1', packetType: 'codedFrames', cto: 0, payload: 'aa bb cc' },
      { trackId: 1, codec: 'hvc1', packetType: 'codedFrames', cto: 0, payload: 'dd ee' },
    ],
  },
  {
    name: 'Multitrack ManyTracksManyCodecs: avc1 + hvc1 CodedFrames, composition time per track',
    body: `96 21 'avc1' 00 00 00 05 00 00 0a 11 22 'hvc1' 01 00 00 04 ff ff fe 33`,
    expect: { frameType: 1, multitrack: true, multitrackType: 'manyTracksManyCodecs' },
    tracks: [
      { trackId: 0, codec: 'avc1', packetType: 'codedFrames', cto: 10, payload: '11 22' },
      { trackId: 1, codec: 'hvc1', packetType: 'codedFrames', cto: -2, payload: '33' },
    ],
  },
  {
    name: 'Multitrack ManyTracksManyCodecs: SequenceStart of av01 and vp09',
    body: `96 20 'av01' 00 00 00 02 81 00 'vp09' 05 00 00 01 01`,
    expect: { multitrack: true, multitrackType: 'manyTracksManyCodecs' },
    tracks: [
      { trackId: 0, codec: 'av01', packetType: 'sequenceStart', cto: 0, payload: '81 00' },
      { trackId: 5, codec: 'vp09', packetType: 'sequenceStart', cto: 0, payload: '01' },
    ],
  },
  {
    name: 'ModEx TimestampOffsetNano (999999 ns) then CodedFrames',
    body: `97 02 0f 42 3f 01 'avc1' 00 00 00 00 00 00 01 65`,
    expect: { frameType: 1, timestampOffsetNano: 999999 },
    tracks: [{ trackId: 0, codec: 'avc1', packetType: 'codedFrames', cto: 0, payload: '00 00 00 01 65' }],
  },
  {
    name: 'ModEx with the UI16 size escape, then Multitrack',
    body: `a7 ff 00 02 00 01 f4 06 01 'hvc1' 03 00 00 05 ab`,
    expect: { frameType: 2, timestampOffsetNano: 500, multitrack: true },
    tracks: [{ trackId: 3, codec: 'hvc1', packetType: 'codedFrames', cto: 5, payload: 'ab' }],
  },
  {
    name: 'Command frame (E-RTMP): UI8 VideoCommand, no FOURCC',
    body: `d1 01`,
    expect: { enhanced: true, frameType: 5, isKeyframe: false, command: 1 },
    tracks: [{ trackId: 0, codec: '', packetType: 'command', cto: 0, payload: '01' }],
  },
  {
    name: 'Legacy AVC sequence header',
    body: `17 00 00 00 00 01 64 00 1f ff e1`,
    expect: { enhanced: false, frameType: 1, isKeyframe: true, codecId: 7 },
    tracks: [{ trackId: 0, codec: 'avc1', packetType: 'sequenceStart', cto: 0, payload: '01 64 00 1f ff e1' }],
  },
  {
    name: 'Legacy AVC NALU with composition time',
    body: `27 01 00 00 42 00 00 00 02 41 9a`,
    expect: { enhanced: false, frameType: 2, isKeyframe: false, codecId: 7 },
    tracks: [{ trackId: 0, codec: 'avc1', packetType: 'codedFrames', cto: 66, payload: '00 00 00 02 41 9a' }],
  },
  {
    name: 'Legacy AVC end of sequence',
    body: `17 02 00 00 00`,
    expect: { codecId: 7 },
    tracks: [{ trackId: 0, codec: 'avc1', packetType: 'sequenceEnd', cto: 0, payload: '' }],
  },
  {
    name: 'Legacy AVC command frame',
    body: `57 00`,
    expect: { enhanced: false, frameType: 5, command: 0, codecId: 7 },
    tracks: [{ trackId: 0, codec: 'avc1', packetType: 'command', cto: 0, payload: '00' }],
  },
  {
    name: 'Legacy HEVC (non-standard CodecID 12) NALU',
    body: `1c 01 00 00 28 00 00 00 01 26`,
    expect: { enhanced: false, codecId: 12 },
    tracks: [{ trackId: 0, codec: 'hvc1', packetType: 'codedFrames', cto: 40, payload: '00 00 00 01 26' }],
  },
  {
    name: 'Legacy Sorenson H.263, disposable inter frame',
    body: `32 00 00 84 00`,
    expect: { enhanced: false, frameType: 3, codecId: 2 },
    tracks: [{ trackId: 0, codec: 'legacy:2', packetType: 'codedFrames', cto: 0, payload: '00 00 84 00' }],
  },
];

describe('parseVideoTag: E-RTMP v2 and legacy header table', () => {
  it.each(rows)('$name', (row) => {
    const body = hex(row.body);
    const tag = parseVideoTag(body);
    expect(tag).toMatchObject(row.expect);
    expect(tag.tracks.map((t) => ({ trackId: t.trackId, codec: t.codec, packetType: t.packetType, cto: t.compositionTimeOffset, payload: bytes(t.payload) }))).toEqual(
      row.tracks.map((t) => ({ ...t, payload: bytes(hex(t.payload)) })),
    );
    for (const t of tag.tracks) expect(t.payload.buffer).toBe(body.buffer); // views, not copies
  });

  it('exposes every ModEx entry, including unknown types', () => {
    const tag = parseVideoTag(hex(`97 00 aa 17 02 00 00 07 21 'avc1' 00 00 00`));
    expect(tag.modEx?.map((m) => ({ type: m.type, data: bytes(m.data) }))).toEqual([
      { type: 1, data: [0xaa] },
      { type: 2, data: [0, 0, 7] },
    ]);
    expect(tag.timestampOffsetNano).toBeUndefined();
    expect(tag.tracks[0]).toMatchObject({ packetType: 'codedFrames', codec: 'avc1' });
  });

  it('Metadata packet: frame type ignored, AMF colorInfo payload', () => {
    const amf = encodeAmf0('colorInfo', { colorConfig: { bitDepth: 10, colorPrimaries: 9, transferCharacteristics: 16, matrixCoefficients: 9 } });
    const body = new Uint8Array([0x84, ...hex(`'hvc1'`), ...amf]); // FrameType 0 (reserved) with Metadata
    const tag = parseVideoTag(body);
    expect(tag.frameType).toBe(5);
    expect(tag.isKeyframe).toBe(false);
    expect(tag.command).toBeUndefined();
    expect(tag.tracks).toHaveLength(1);
    expect(tag.tracks[0]).toMatchObject({ codec: 'hvc1', packetType: 'metadata' });
    expect(parseVideoMetadata(tag.tracks[0].payload)).toEqual([
      { name: 'colorInfo', value: { colorConfig: { bitDepth: 10, colorPrimaries: 9, transferCharacteristics: 16, matrixCoefficients: 9 } } },
    ]);
    // With FrameType 5 (command) a Metadata packet is still metadata, not a command.
    const cmd = parseVideoTag(new Uint8Array([0xd4, ...hex(`'hvc1'`), ...amf]));
    expect(cmd.tracks[0].packetType).toBe('metadata');
  });

  it('OBS-style multitrack stream: legacy AVC on track 0, E-RTMP multitrack for track 1', () => {
    const stream = [
      hex(`17 00 00 00 00 01 64 00 1f ff e1 00 04 67 64 00 1f 01 00 02 68 ee`),
      hex(`96 00 'avc1' 01 01 4d 00 1f ff e1 00 04 67 4d 00 1f 01 00 02 68 ee`),
      hex(`17 01 00 00 00 00 00 00 02 65 88`),
      hex(`96 01 'avc1' 01 00 00 00 00 00 00 02 65 88`),
      hex(`27 01 00 00 21 00 00 00 02 41 9a`),
      hex(`a6 01 'avc1' 01 00 00 21 00 00 00 02 41 9a`),
    ].map(parseVideoTag);
    expect(stream.map((t) => [t.enhanced, t.tracks[0].trackId, t.tracks[0].codec, t.tracks[0].packetType, t.isKeyframe])).toEqual([
      [false, 0, 'avc1', 'sequenceStart', true],
      [true, 1, 'avc1', 'sequenceStart', true],
      [false, 0, 'avc1', 'codedFrames', true],
      [true, 1, 'avc1', 'codedFrames', true],
      [false, 0, 'avc1', 'codedFrames', false],
      [true, 1, 'avc1', 'codedFrames', false],
    ]);
    expect(stream[4].tracks[0].compositionTimeOffset).toBe(33);
    expect(stream[5].tracks[0].compositionTimeOffset).toBe(33);
  });
});

describe('parseVideoTag: malformed input', () => {
  it.each([
    ['empty body', '', 'FLV_TRUNCATED'],
    ['FOURCC cut short', `90 'hvc'`, 'FLV_TRUNCATED'],
    ['composition time cut short', `91 'hvc1' 00 00`, 'FLV_TRUNCATED'],
    ['legacy AVC without packet type', '17', 'FLV_TRUNCATED'],
    ['legacy AVC composition time cut short', '17 01 00', 'FLV_TRUNCATED'],
    ['legacy AVCPacketType 3', '17 03 00 00 00', 'FLV_INVALID'],
    ['legacy FrameType 0', '07 01 00 00 00', 'FLV_INVALID'],
    ['legacy FrameType 6', '67 01 00 00 00', 'FLV_INVALID'],
    ['E-RTMP FrameType 7 on coded frames', `f1 'hvc1' 00 00 00`, 'FLV_INVALID'],
    ['command frame without command byte', 'd1', 'FLV_TRUNCATED'],
    ['reserved VideoPacketType 8', `98 'hvc1'`, 'FLV_UNSUPPORTED'],
    ['reserved VideoPacketType 15', `9f 'hvc1'`, 'FLV_UNSUPPORTED'],
    ['ModEx size beyond the body', '97 05 00 00', 'FLV_TRUNCATED'],
    ['ModEx UI16 size cut short', '97 ff 00', 'FLV_TRUNCATED'],
    ['ModEx without the type byte', '97 02 00 00 00', 'FLV_TRUNCATED'],
    ['TimestampOffsetNano with 2 bytes of data', `97 01 00 00 01 'avc1' 00 00 00`, 'FLV_INVALID'],
    ['Multitrack inside Multitrack', `96 06 'avc1' 00`, 'FLV_INVALID'],
    ['ModEx after Multitrack', `96 07 'avc1' 00`, 'FLV_UNSUPPORTED'],
    ['reserved AvMultitrackType 3', `96 31 'avc1' 00`, 'FLV_UNSUPPORTED'],
    ['Multitrack without any track', `96 11 'avc1'`, 'FLV_TRUNCATED'],
    ['track size beyond the body', `96 11 'avc1' 00 00 00 09 00 00 00`, 'FLV_TRUNCATED'],
    ['second track header cut short', `96 13 'avc1' 00 00 00 01 aa 01 00`, 'FLV_TRUNCATED'],
    ['ManyTracksManyCodecs FOURCC cut short', `96 23 'avc1' 00 00 00 00 'hv'`, 'FLV_TRUNCATED'],
    ['composition time beyond the track size', `96 11 'avc1' 00 00 00 02 00 00 11 22`, 'FLV_TRUNCATED'],
  ])('%s: [%s] -> %s', (_name, body, code) => {
    expect(errCode(() => parseVideoTag(hex(body)))).toBe(code);
  });
});
