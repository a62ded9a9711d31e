/**
 * AUDIODATA: the body of an FLV audio tag / RTMP audio message (type 8), legacy and Enhanced RTMP v2.
 *
 * First byte (FLV spec v10.1 Annex E.4.2.1 AudioTagHeader; E-RTMP v2 "Enhanced Audio"):
 *   soundFormat = UB[4]
 *   soundFormat != 9: soundRate = UB[2] (0 5.5 kHz, 1 11 kHz, 2 22 kHz, 3 44 kHz), soundSize = UB[1]
 *     (0 8-bit, 1 16-bit), soundType = UB[1] (0 mono, 1 stereo)
 *     soundFormat 10 (AAC): AACPacketType = UI8 (0 sequence header = AudioSpecificConfig, 1 raw)
 *   soundFormat == 9 (ExHeader): audioPacketType = UB[4]
 *     ModEx (7) entries, see enhanced.ts
 *     if (packetType == Multitrack (5)) multitrack header, see enhanced.ts; else audioFourCc = FOURCC
 *     per track: SequenceStart (0), CodedFrames (1), SequenceEnd (2), MultichannelConfig (4):
 *       audioChannelOrder = UI8; channelCount = UI8
 *       Custom (2): audioChannelMapping = UI8[channelCount]; Native (1): audioChannelFlags = UI32
 *
 * An audio message with no bytes at all is the "audio silence" message E-RTMP v2 documents (AudioPacketType
 * notes): it parses to a tag with `silence: true` and no tracks.
 */
import { ByteReader } from './bitreader';
import { SoundFormat, legacyAudioCodec } from './codecs';
import { AvMultitrackTypeName, ModEx, MultitrackHeader, readFourCc, readModEx, readMultitrackHeader, readTrackSpans } from './enhanced';
import { FlvError } from './errors';

/** Enhanced RTMP AudioPacketType. */
export const AudioPacketType = {
  SEQUENCE_START: 0,
  CODED_FRAMES: 1,
  SEQUENCE_END: 2,
  MULTICHANNEL_CONFIG: 4,
  MULTITRACK: 5,
  MOD_EX: 7,
} as const;

/** Legacy AACPacketType. */
export const AacPacketType = {
  SEQUENCE_HEADER: 0,
  RAW: 1,
} as const;

export type AudioPacketTypeName = 'sequenceStart' | 'codedFrames' | 'sequenceEnd' | 'multichannelConfig';

export interface AudioTrack {
  /** 0 for legacy tags and for E-RTMP tags that are not multitrack. */
  trackId: number;
  /** FOURCC, or 'mp4a' / '.mp3' for legacy AAC / MP3, 'legacy:<SoundFormat>' otherwise. */
  codec: string;
  packetType: AudioPacketTypeName;
  /** View into the tag body, no copy. */
  payload: Uint8Array;
}

export interface AudioTag {
  enhanced: boolean;
  /** The SoundFormat nibble: 9 (ExHeader) for every E-RTMP tag; -1 for the empty silence message. */
  soundFormat: number;
  /** Legacy SoundRate in Hz: 5512, 11025, 22050 or 44100 (AAC always signals 44100 here, see the ASC). */
  soundRate?: number;
  /** Legacy SoundSize in bits: 8 or 16. */
  soundSize?: number;
  /** Legacy SoundType. */
  stereo?: boolean;
  tracks: AudioTrack[];
  multitrack: boolean;
  multitrackType?: AvMultitrackTypeName;
  /** TimestampOffsetNano ModEx: nanoseconds to add to the tag timestamp (E-RTMP only). */
  timestampOffsetNano?: number;
  /** Every ModEx entry, including types this parser does not interpret. */
  modEx?: ModEx[];
  /** An empty audio message: "audio silence" (E-RTMP v2, AudioPacketType notes). */
  silence?: boolean;
}

const SOUND_RATES = [5512, 11025, 22050, 44100] as const;

const PACKET_TYPE_NAMES: Record<number, AudioPacketTypeName> = {
  0: 'sequenceStart',
  1: 'codedFrames',
  2: 'sequenceEnd',
  4: 'multichannelConfig',
};

export function parseAudioTag(body: Uint8Array): AudioTag {
  if (body.length === 0) return { enhanced: false, soundFormat: -1, tracks: [], multitrack: false, silence: true };
  const r = new ByteReader(body);
  const b0 = r.u8('audio tag header');
  const soundFormat = b0 >> 4;
  if (soundFormat !== SoundFormat.EX_HEADER) {
    const codec = legacyAudioCodec(soundFormat);
    const tag: AudioTag = {
      enhanced: false,
      soundFormat,
      soundRate: SOUND_RATES[(b0 >> 2) & 3],
      soundSize: b0 & 0x02 ? 16 : 8,
      stereo: (b0 & 0x01) === 1,
      tracks: [],
      multitrack: false,
    };
    if (soundFormat === SoundFormat.AAC) {
      const aacPacketType = r.u8('AACPacketType');
      let packetType: AudioPacketTypeName;
      if (aacPacketType === AacPacketType.SEQUENCE_HEADER) packetType = 'sequenceStart';
      else if (aacPacketType === AacPacketType.RAW) packetType = 'codedFrames';
      else throw new FlvError('FLV_INVALID', `AACPacketType ${aacPacketType} is not defined`);
      tag.tracks.push({ trackId: 0, codec, packetType, payload: r.rest() });
    } else {
      tag.tracks.push({ trackId: 0, codec, packetType: 'codedFrames', payload: r.rest() });
    }
    return tag;
  }

  const mod = readModEx(r, b0 & 0x0f, AudioPacketType.MOD_EX);
  let packetType = mod.packetType;
  const tag: AudioTag = { enhanced: true, soundFormat, tracks: [], multitrack: false };
  if (mod.modEx.length > 0) tag.modEx = mod.modEx;
  if (mod.timestampOffsetNano !== undefined) tag.timestampOffsetNano = mod.timestampOffsetNano;

  let mt: MultitrackHeader | undefined;
  let codec = '';
  if (packetType === AudioPacketType.MULTITRACK) {
    mt = readMultitrackHeader(r, AudioPacketType.MULTITRACK, AudioPacketType.MOD_EX);
    packetType = mt.packetType;
    tag.multitrack = true;
    tag.multitrackType = mt.multitrackType;
  } else {
    if (PACKET_TYPE_NAMES[packetType] === undefined) {
      throw new FlvError('FLV_UNSUPPORTED', `AudioPacketType ${packetType} is reserved`);
    }
    codec = readFourCc(r);
  }
  const name = PACKET_TYPE_NAMES[packetType];
  if (name === undefined) throw new FlvError('FLV_UNSUPPORTED', `AudioPacketType ${packetType} is reserved`);

  for (const span of readTrackSpans(r, mt, codec)) {
    const payload = span.reader.rest();
    if (name === 'multichannelConfig') parseMultichannelConfig(payload); // validates the lengths
    tag.tracks.push({ trackId: span.trackId, codec: span.codec, packetType: name, payload });
  }
  return tag;
}

export type AudioChannelOrderName = 'unspecified' | 'native' | 'custom';

export interface MultichannelConfig {
  channelOrder: AudioChannelOrderName;
  channelCount: number;
  /** Custom order: one AudioChannel value (0 FrontLeft, 1 FrontRight, ... 0xfe Unused, 0xff Unknown) per channel. */
  channelMapping?: number[];
  /** Native order: AudioChannelMask bits (0x000001 FrontLeft, 0x000002 FrontRight, ...). */
  channelFlags?: number;
}

/** Decodes the payload of an AudioPacketType.MultichannelConfig track. */
export function parseMultichannelConfig(payload: Uint8Array): MultichannelConfig {
  const r = new ByteReader(payload);
  const order = r.u8('audioChannelOrder');
  const channelCount = r.u8('channelCount');
  if (order === 0) return { channelOrder: 'unspecified', channelCount };
  if (order === 1) return { channelOrder: 'native', channelCount, channelFlags: r.u32('audioChannelFlags') };
  if (order === 2) {
    return { channelOrder: 'custom', channelCount, channelMapping: Array.from(r.bytes(channelCount, 'audioChannelMapping')) };
  }
  throw new FlvError('FLV_UNSUPPORTED', `AudioChannelOrder ${order} is reserved`);
}
