/**
 * VIDEODATA: the body of an FLV video tag / RTMP video message (type 9), legacy and Enhanced RTMP v2.
 *
 * First byte (E-RTMP v2 "Enhanced Video", extended VideoTagHeader):
 *   isExVideoHeader = UB[1]; videoFrameType = UB[3]   // legacy FLV reads FrameType as UB[4]; 1..5 fit in 3 bits
 *   isExVideoHeader == 0: videoCodecId = UB[4]        // legacy (FLV spec v10.1 Annex E.4.3.1)
 *     if (frameType == Command) videoCommand = UI8    // no video payload
 *     CodecID 7 (AVC) and 12 (HEVC, non-standard):
 *       AVCPacketType = UI8 (0 sequence header, 1 NALU, 2 end of sequence)
 *       CompositionTime = SI24 ("IF AVCPacketType == 1 ... ELSE 0"), then the payload
 *   isExVideoHeader == 1: videoPacketType = UB[4]
 *     ModEx (7) entries, see enhanced.ts
 *     if (packetType != Metadata && frameType == Command) videoCommand = UI8 // no FOURCC, no payload
 *     else if (packetType == Multitrack) multitrack header, see enhanced.ts
 *     else videoFourCc = FOURCC
 *     per track: CodedFrames (1) of avc1/hvc1 starts with compositionTimeOffset = SI24; CodedFramesX (3) is
 *     CodedFrames with an implied offset of 0; Metadata (4) is AMF [name, value] pairs (["colorInfo", {...}]).
 *
 * Parsing is structural: payloads are views into `body` (no copy), and codec configuration records are only
 * decoded on request (avc.ts, hevc.ts, describe.ts). FOURCCs outside the specification's list are accepted and
 * reported as they are; whether a CodedFrames payload starts with a composition time depends only on the
 * FOURCC, as the specification defines it.
 */
import { ByteReader } from './bitreader';
import { VideoFourCc, legacyVideoCodec } from './codecs';
import { AvMultitrackTypeName, ModEx, MultitrackHeader, readFourCc, readModEx, readMultitrackHeader, readTrackSpans } from './enhanced';
import { FlvError } from './errors';

export type VideoFrameType = 1 /* key */ | 2 /* inter */ | 3 /* disposable inter */ | 4 /* generated key */ | 5 /* command frame (video info) */;

/** Enhanced RTMP VideoPacketType. */
export const VideoPacketType = {
  SEQUENCE_START: 0,
  CODED_FRAMES: 1,
  SEQUENCE_END: 2,
  CODED_FRAMES_X: 3,
  METADATA: 4,
  MPEG2TS_SEQUENCE_START: 5,
  MULTITRACK: 6,
  MOD_EX: 7,
} as const;

/** Legacy AVCPacketType (also used with the legacy HEVC CodecID 12). */
export const AvcPacketType = {
  SEQUENCE_HEADER: 0,
  NALU: 1,
  END_OF_SEQUENCE: 2,
} as const;

/** VideoCommand, the UI8 payload of a command frame. */
export const VideoCommand = {
  START_SEEK: 0,
  END_SEEK: 1,
} as const;

export type VideoPacketTypeName = 'sequenceStart' | 'codedFrames' | 'sequenceEnd' | 'metadata' | 'mpeg2tsSequenceStart' | 'command';

export interface VideoTrack {
  /** 0 for legacy tags and for E-RTMP tags that are not multitrack. */
  trackId: number;
  /**
   * FOURCC ('avc1', 'hvc1', 'av01', 'vp09', 'vp08', or whatever the tag says), 'avc1'/'hvc1' for the legacy
   * AVC/HEVC CodecIDs, 'legacy:<id>' for other legacy CodecIDs, '' for an E-RTMP command frame (which carries
   * no FOURCC).
   */
  codec: string;
  packetType: VideoPacketTypeName;
  /** Signed 24-bit milliseconds (CompositionTime / compositionTimeOffset); 0 when absent (CodedFramesX, ...). */
  compositionTimeOffset: number;
  /** View into the tag body, no copy. For a command frame, the one VideoCommand byte. */
  payload: Uint8Array;
}

export interface VideoTag {
  enhanced: boolean;
  frameType: VideoFrameType;
  /** frameType is a key frame (1) or a generated key frame (4). */
  isKeyframe: boolean;
  /** Legacy tags -> one track with trackId 0. */
  tracks: VideoTrack[];
  multitrack: boolean;
  multitrackType?: AvMultitrackTypeName;
  /** The legacy CodecID (legacy tags only). */
  codecId?: number;
  /** VideoCommand of a command frame (0 StartSeek, 1 EndSeek). */
  command?: number;
  /** TimestampOffsetNano ModEx: nanoseconds to add to the tag timestamp (E-RTMP only). */
  timestampOffsetNano?: number;
  /** Every ModEx entry, including types this parser does not interpret. */
  modEx?: ModEx[];
}

const PACKET_TYPE_NAMES: Record<number, VideoPacketTypeName> = {
  0: 'sequenceStart',
  1: 'codedFrames',
  2: 'sequenceEnd',
  3: 'codedFrames',
  4: 'metadata',
  5: 'mpeg2tsSequenceStart',
};

function isFrameType(v: number): v is VideoFrameType {
  return v >= 1 && v <= 5;
}

export function parseVideoTag(body: Uint8Array): VideoTag {
  const r = new ByteReader(body);
  const b0 = r.u8('video tag header');
  const rawFrameType = (b0 >> 4) & 0x07;
  return (b0 & 0x80) === 0 ? parseLegacy(r, b0, rawFrameType) : parseEnhanced(r, b0 & 0x0f, rawFrameType);
}

function checkedFrameType(raw: number): VideoFrameType {
  if (!isFrameType(raw)) throw new FlvError('FLV_INVALID', `video FrameType ${raw} is reserved`);
  return raw;
}

function parseLegacy(r: ByteReader, b0: number, rawFrameType: number): VideoTag {
  const frameType = checkedFrameType(rawFrameType);
  const codecId = b0 & 0x0f;
  const codec = legacyVideoCodec(codecId);
  const tag: VideoTag = {
    enhanced: false,
    frameType,
    isKeyframe: frameType === 1 || frameType === 4,
    tracks: [],
    multitrack: false,
    codecId,
  };
  if (frameType === 5) {
    const payload = r.bytes(1, 'VideoCommand');
    tag.command = payload[0];
    tag.tracks.push({ trackId: 0, codec, packetType: 'command', compositionTimeOffset: 0, payload });
    return tag;
  }
  if (codec === VideoFourCc.AVC || codec === VideoFourCc.HEVC) {
    const packetType = r.u8('AVCPacketType');
    const cts = r.s24('CompositionTime');
    let name: VideoPacketTypeName;
    if (packetType === AvcPacketType.SEQUENCE_HEADER) name = 'sequenceStart';
    else if (packetType === AvcPacketType.NALU) name = 'codedFrames';
    else if (packetType === AvcPacketType.END_OF_SEQUENCE) name = 'sequenceEnd';
    else throw new FlvError('FLV_INVALID', `AVCPacketType ${packetType} is not defined`);
    tag.tracks.push({
      trackId: 0,
      codec,
      packetType: name,
      compositionTimeOffset: packetType === AvcPacketType.NALU ? cts : 0,
      payload: r.rest(),
    });
    return tag;
  }
  tag.tracks.push({ trackId: 0, codec, packetType: 'codedFrames', compositionTimeOffset: 0, payload: r.rest() });
  return tag;
}

function parseEnhanced(r: ByteReader, firstPacketType: number, rawFrameType: number): VideoTag {
  const mod = readModEx(r, firstPacketType, VideoPacketType.MOD_EX);
  let packetType = mod.packetType;
  const tag: VideoTag = { enhanced: true, frameType: 1, isKeyframe: false, tracks: [], multitrack: false };
  if (mod.modEx.length > 0) tag.modEx = mod.modEx;
  if (mod.timestampOffsetNano !== undefined) tag.timestampOffsetNano = mod.timestampOffsetNano;

  if (packetType !== VideoPacketType.METADATA && rawFrameType === 5) {
    // "ExVideoTagBody has no payload if we got here": a command frame carries neither FOURCC nor video data.
    const payload = r.bytes(1, 'VideoCommand');
    tag.frameType = 5;
    tag.command = payload[0];
    tag.tracks.push({ trackId: 0, codec: '', packetType: 'command', compositionTimeOffset: 0, payload });
    return tag;
  }

  let mt: MultitrackHeader | undefined;
  let codec = '';
  if (packetType === VideoPacketType.MULTITRACK) {
    mt = readMultitrackHeader(r, VideoPacketType.MULTITRACK, VideoPacketType.MOD_EX);
    packetType = mt.packetType;
    tag.multitrack = true;
    tag.multitrackType = mt.multitrackType;
  } else {
    if (PACKET_TYPE_NAMES[packetType] === undefined) {
      throw new FlvError('FLV_UNSUPPORTED', `VideoPacketType ${packetType} is reserved`);
    }
    codec = readFourCc(r);
  }
  const name = PACKET_TYPE_NAMES[packetType];
  if (name === undefined) throw new FlvError('FLV_UNSUPPORTED', `VideoPacketType ${packetType} is reserved`);

  if (isFrameType(rawFrameType)) tag.frameType = rawFrameType;
  else if (packetType === VideoPacketType.METADATA) tag.frameType = 5; // "FrameType flags ... should be ignored"
  else throw new FlvError('FLV_INVALID', `video FrameType ${rawFrameType} is reserved`);
  tag.isKeyframe = tag.frameType === 1 || tag.frameType === 4;

  for (const span of readTrackSpans(r, mt, codec)) {
    let cts = 0;
    if (packetType === VideoPacketType.CODED_FRAMES && (span.codec === VideoFourCc.AVC || span.codec === VideoFourCc.HEVC)) {
      cts = span.reader.s24('compositionTimeOffset');
    }
    tag.tracks.push({
      trackId: span.trackId,
      codec: span.codec,
      packetType: name,
      compositionTimeOffset: cts,
      payload: span.reader.rest(),
    });
  }
  return tag;
}
