import { AudioTag, parseAudioTag, parseMultichannelConfig } from './audio';
import { describeAudioConfig } from './describe';
import { FlvError } from './errors';

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
const OPUS_HEAD = `'OpusHead' 01 02 38 01 80 bb 00 00 00 00 00`;

interface Row {
  name: string;
  body: string;
  expect: Partial<AudioTag>;
  tracks: { trackId: number; codec: string; packetType: string; payload: string }[];
}

// enhanced-rtmp-v2.md "Enhanced Audio": SoundFormat UB[4] = 9 (ExHeader) | AudioPacketType UB[4]; ModEx;
// Multitrack (AvMultitrackType UB[4] | AudioPacketType UB[4]); FOURCC; per-track trackId / UI24 size.
const rows: Row[] = [
  {
    name: 'mp4a SequenceStart (AudioSpecificConfig 12 10)',
    body: `90 'mp4a' 12 10`,
    expect: { enhanced: true, soundFormat: 9, multitrack: false },
    tracks: [{ trackId: 0, codec: 'mp4a', packetType: 'sequenceStart', payload: '12 10' }],
  },
  {
    name: 'Opus SequenceStart (ID header)',
    body: `90 'Opus' ${OPUS_HEAD}`,
    expect: { enhanced: true },
    tracks: [{ trackId: 0, codec: 'Opus', packetType: 'sequenceStart', payload: OPUS_HEAD }],
  },
  {
    name: 'Opus CodedFrames',
    body: `91 'Opus' fc ff fe`,
    expect: { enhanced: true, soundFormat: 9 },
    tracks: [{ trackId: 0, codec: 'Opus', packetType: 'codedFrames', payload: 'fc ff fe' }],
  },
  {
    name: 'mp4a SequenceEnd',
    body: `92 'mp4a'`,
    expect: { enhanced: true },
    tracks: [{ trackId: 0, codec: 'mp4a', packetType: 'sequenceEnd', payload: '' }],
  },
  {
    name: 'Opus MultichannelConfig, native order with a channel mask',
    body: `94 'Opus' 01 06 00 00 00 3f`,
    expect: { enhanced: true },
    tracks: [{ trackId: 0, codec: 'Opus', packetType: 'multichannelConfig', payload: '01 06 00 00 00 3f' }],
  },
  {
    name: 'fLaC CodedFrames',
    body: `91 'fLaC' ff f8 69 08`,
    expect: { enhanced: true },
    tracks: [{ trackId: 0, codec: 'fLaC', packetType: 'codedFrames', payload: 'ff f8 69 08' }],
  },
  {
    name: 'ModEx TimestampOffsetNano then mp4a CodedFrames',
    body: `97 02 00 01 f4 01 'mp4a' 21 10 04`,
    expect: { enhanced: true, timestampOffsetNano: 500 },
    tracks: [{ trackId: 0, codec: 'mp4a', packetType: 'codedFrames', payload: '21 10 04' }],
  },
  {
    name: 'Multitrack OneTrack: Opus on track 1',
    body: `95 01 'Opus' 01 fc ff`,
    expect: { multitrack: true, multitrackType: 'oneTrack' },
    tracks: [{ trackId: 1, codec: 'Opus', packetType: 'codedFrames', payload: 'fc ff' }],
  },
  {
    name: 'Multitrack ManyTracks: two Opus tracks with sizes',
    body: `95 11 'Opus' 00 00 00 02 aa bb 01 00 00 01 cc`,
    expect: { multitrack: true, multitrackType: 'manyTracks' },
    tracks: [
      { trackId: 0, codec: 'Opus', packetType: 'codedFrames', payload: 'aa bb' },
      { trackId: 1, codec: 'Opus', packetType: 'codedFrames', payload: 'cc' },
    ],
  },
  {
    name: 'Multitrack ManyTracksManyCodecs: mp4a + Opus SequenceStart',
    body: `95 20 'mp4a' 00 00 00 02 12 10 'Opus' 01 00 00 13 ${OPUS_HEAD}`,
    expect: { multitrack: true, multitrackType: 'manyTracksManyCodecs' },
    tracks: [
      { trackId: 0, codec: 'mp4a', packetType: 'sequenceStart', payload: '12 10' },
      { trackId: 1, codec: 'Opus', packetType: 'sequenceStart', payload: OPUS_HEAD },
    ],
  },
  {
    name: 'Legacy AAC sequence header (AF 00)',
    body: `af 00 12 10`,
    expect: { enhanced: false, soundFormat: 10, soundRate: 44100, soundSize: 16, stereo: true },
    tracks: [{ trackId: 0, codec: 'mp4a', packetType: 'sequenceStart', payload: '12 10' }],
  },
  {
    name: 'Legacy AAC raw (AF 01)',
    body: `af 01 21 10 04 60`,
    expect: { enhanced: false, soundFormat: 10 },
    tracks: [{ trackId: 0, codec: 'mp4a', packetType: 'codedFrames', payload: '21 10 04 60' }],
  },
  {
    name: 'Legacy MP3, 44 kHz 16-bit stereo',
    body: `2f ff fb 90 64 00`,
    expect: { enhanced: false, soundFormat: 2, soundRate: 44100, soundSize: 16, stereo: true },
    tracks: [{ trackId: 0, codec: '.mp3', packetType: 'codedFrames', payload: 'ff fb 90 64 00' }],
  },
  {
    name: 'Legacy Speex',
    body: `b2 01 02`,
    expect: { enhanced: false, soundFormat: 11, soundRate: 5512, soundSize: 16, stereo: false },
    tracks: [{ trackId: 0, codec: 'legacy:11', packetType: 'codedFrames', payload: '01 02' }],
  },
  {
    name: 'Legacy linear PCM little endian, 22 kHz 8-bit mono',
    body: `38 80 81`,
    expect: { soundFormat: 3, soundRate: 22050, soundSize: 8, stereo: false },
    tracks: [{ trackId: 0, codec: 'legacy:3', packetType: 'codedFrames', payload: '80 81' }],
  },
];

describe('parseAudioTag: E-RTMP v2 and legacy header table', () => {
  it.each(rows)('$name', (row) => {
    const body = hex(row.body);
    const tag = parseAudioTag(body);
    expect(tag).toMatchObject(row.expect);
    expect(tag.tracks.map((t) => ({ trackId: t.trackId, codec: t.codec, packetType: t.packetType, payload: bytes(t.payload) }))).toEqual(
      row.tracks.map((t) => ({ ...t, payload: bytes(hex(t.payload)) })),
    );
    for (const t of tag.tracks) expect(t.payload.buffer).toBe(body.buffer);
  });

  it('an empty message is the silence message', () => {
    expect(parseAudioTag(new Uint8Array(0))).toEqual({ enhanced: false, soundFormat: -1, tracks: [], multitrack: false, silence: true });
  });

  it('MultichannelConfig payloads', () => {
    expect(parseMultichannelConfig(hex('01 06 00 00 00 3f'))).toEqual({ channelOrder: 'native', channelCount: 6, channelFlags: 0x3f });
    expect(parseMultichannelConfig(hex('02 03 00 01 ff'))).toEqual({ channelOrder: 'custom', channelCount: 3, channelMapping: [0, 1, 255] });
    expect(parseMultichannelConfig(hex('00 02'))).toEqual({ channelOrder: 'unspecified', channelCount: 2 });
  });
});

describe('describeAudioConfig', () => {
  const describe1 = (body: string) => {
    const tag = parseAudioTag(hex(body));
    return describeAudioConfig(tag.tracks[0], tag);
  };

  it('AAC from the AudioSpecificConfig (legacy and E-RTMP)', () => {
    expect(describe1('af 00 12 10')).toEqual({ codec: 'mp4a', name: 'AAC', profile: 'LC', sampleRate: 44100, channels: 2 });
    expect(describe1(`90 'mp4a' 11 90`)).toEqual({ codec: 'mp4a', name: 'AAC', profile: 'LC', sampleRate: 48000, channels: 2 });
    expect(describe1(`90 'mp4a' 2b 92 08 00`)).toEqual({ codec: 'mp4a', name: 'AAC', profile: 'HE-AAC', sampleRate: 44100, channels: 2 });
    expect(describe1('af 01 21 10')).toBeUndefined();
  });

  it('Opus from the ID header; 48 kHz always', () => {
    expect(describe1(`90 'Opus' ${OPUS_HEAD}`)).toEqual({ codec: 'Opus', name: 'Opus', sampleRate: 48000, channels: 2 });
    expect(describe1(`90 'Opus'`)).toEqual({ codec: 'Opus', name: 'Opus', sampleRate: 48000 });
  });

  it('FLAC from STREAMINFO', () => {
    // STREAMINFO: blocks 4096/4096, frame sizes 0, 44100 Hz, 2 channels, 16 bits, 0 samples, zero MD5.
    const streamInfo = `10 00 10 00 00 00 00 00 00 00 0a c4 42 f0 00 00 00 00 ${'00 '.repeat(16)}`;
    expect(describe1(`90 'fLaC' 'fLaC' 80 00 00 22 ${streamInfo}`)).toEqual({
      codec: 'fLaC',
      name: 'FLAC',
      sampleRate: 44100,
      channels: 2,
      bitDepth: 16,
    });
  });

  it('MP3 from the frame header, other legacy formats from the tag flags', () => {
    expect(describe1('2f ff fb 90 64 00')).toEqual({ codec: '.mp3', name: 'MP3', sampleRate: 44100, channels: 2, profile: 'MPEG-1 Layer III' });
    expect(describe1(`91 '.mp3' ff f3 44 c4`)).toEqual({ codec: '.mp3', name: 'MP3', sampleRate: 24000, channels: 1, profile: 'MPEG-2 Layer III' });
    expect(describe1('b2 01 02')).toEqual({ codec: 'legacy:11', name: 'Speex', sampleRate: 16000, channels: 1 });
    expect(describe1('38 80 81')).toEqual({ codec: 'legacy:3', name: 'Linear PCM (little endian)', sampleRate: 22050, channels: 1, bitDepth: 8 });
    expect(describe1('72 d5')).toEqual({ codec: 'legacy:7', name: 'G.711 A-law', sampleRate: 8000, channels: 1 });
  });

  it('MultichannelConfig gives the channel count', () => {
    expect(describe1(`94 'Opus' 01 06 00 00 00 3f`)).toEqual({ codec: 'Opus', name: 'Opus', channels: 6 });
  });

  it('returns undefined for sequence end and coded frames of configured codecs; never throws', () => {
    expect(describe1(`92 'mp4a'`)).toBeUndefined();
    expect(describe1(`91 'Opus' fc`)).toBeUndefined();
    expect(describe1(`90 'mp4a' ff`)).toEqual({ codec: 'mp4a', name: 'AAC' });
  });
});

describe('parseAudioTag: malformed input', () => {
  it.each([
    ['legacy AAC without packet type', 'af', 'FLV_TRUNCATED'],
    ['legacy AACPacketType 2', 'af 02 12 10', 'FLV_INVALID'],
    ['FOURCC cut short', `90 'mp4'`, 'FLV_TRUNCATED'],
    ['reserved AudioPacketType 3', `93 'mp4a'`, 'FLV_UNSUPPORTED'],
    ['reserved AudioPacketType 6', `96 'mp4a'`, 'FLV_UNSUPPORTED'],
    ['Multitrack inside Multitrack', `95 05 'mp4a' 00`, 'FLV_INVALID'],
    ['reserved AvMultitrackType 4', `95 41 'mp4a' 00`, 'FLV_UNSUPPORTED'],
    ['track size beyond the body', `95 11 'Opus' 00 00 00 05 aa`, 'FLV_TRUNCATED'],
    ['ModEx data beyond the body', '97 09 00', 'FLV_TRUNCATED'],
    ['MultichannelConfig mask cut short', `94 'Opus' 01 06 00 00`, 'FLV_TRUNCATED'],
    ['MultichannelConfig mapping cut short', `94 'Opus' 02 06 00 01`, 'FLV_TRUNCATED'],
    ['MultichannelConfig reserved order', `94 'Opus' 03 02`, 'FLV_UNSUPPORTED'],
  ])('%s: [%s] -> %s', (_name, body, code) => {
    expect(errCode(() => parseAudioTag(hex(body)))).toBe(code);
  });
});
