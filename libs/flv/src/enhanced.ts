/**
 * The two structures Enhanced RTMP v2 shares between ExAudioTagHeader and ExVideoTagHeader
 * (veovera/enhanced-rtmp, docs/enhanced/enhanced-rtmp-v2.md, "Enhanced Audio" / "Enhanced Video"):
 *
 * ModEx ("modify and extend", packet type 7 in both enums), repeated while the packet type is ModEx:
 *   modExDataSize = UI8 + 1; if (modExDataSize == 256) modExDataSize = UI16 + 1
 *   modExData     = UI8[modExDataSize]
 *   packetModExType = UB[4]; packetType = UB[4]          // one byte, type in the high nibble
 *   TimestampOffsetNano (ModEx type 0): offset = bytesToUI24(modExData), "modExData must be at least 3 bytes"
 *
 * Multitrack (video packet type 6, audio packet type 5):
 *   avMultitrackType = UB[4]; packetType = UB[4]          // "This fetch MUST not result in a ...Multitrack"
 *   if (avMultitrackType != ManyTracksManyCodecs) fourCc = FOURCC      // once, for every track
 *   then, per track (ExAudioTagBody / ExVideoTagBody loop):
 *     if (ManyTracksManyCodecs) fourCc = FOURCC
 *     trackId = UI8
 *     if (avMultitrackType != OneTrack) sizeOfTrack = UI24 // bytes of this track after the size field
 *   OneTrack carries exactly one track that runs to the end of the message.
 */
import { ByteReader } from './bitreader';
import { fourCcFromBytes } from './codecs';
import { FlvError } from './errors';

export const AvMultitrackType = {
  ONE_TRACK: 0,
  MANY_TRACKS: 1,
  MANY_TRACKS_MANY_CODECS: 2,
} as const;

export type AvMultitrackTypeName = 'oneTrack' | 'manyTracks' | 'manyTracksManyCodecs';

const MULTITRACK_NAMES: readonly AvMultitrackTypeName[] = ['oneTrack', 'manyTracks', 'manyTracksManyCodecs'];

/** ModEx type 0 (VideoPacketModExType / AudioPacketModExType TimestampOffsetNano). */
export const MODEX_TIMESTAMP_OFFSET_NANO = 0;

/** One ModEx entry as found on the wire; `data` is a view into the tag body. */
export interface ModEx {
  type: number;
  data: Uint8Array;
}

export interface ModExResult {
  /** The packet type that follows the last ModEx entry. */
  packetType: number;
  modEx: ModEx[];
  /** From a TimestampOffsetNano entry (the last one wins), in nanoseconds to add to the tag's milliseconds. */
  timestampOffsetNano?: number;
}

/** Reads ModEx entries while `packetType` equals `modExPacketType` (7 for audio and video). */
export function readModEx(r: ByteReader, packetType: number, modExPacketType: number): ModExResult {
  const result: ModExResult = { packetType, modEx: [] };
  while (result.packetType === modExPacketType) {
    let size = r.u8('ModEx data size') + 1;
    if (size === 256) size = r.u16('ModEx UI16 data size') + 1;
    const data = r.bytes(size, 'ModEx data');
    const b = r.u8('ModEx type / packet type');
    const type = b >> 4;
    result.packetType = b & 0x0f;
    if (type === MODEX_TIMESTAMP_OFFSET_NANO) {
      if (size < 3) throw new FlvError('FLV_INVALID', `TimestampOffsetNano ModEx data is ${size} byte(s), at least 3 required`);
      result.timestampOffsetNano = (data[0] << 16) | (data[1] << 8) | data[2];
    }
    result.modEx.push({ type, data });
  }
  return result;
}

export interface MultitrackHeader {
  multitrackType: AvMultitrackTypeName;
  /** Packet type shared by every track of the message. */
  packetType: number;
  /** The FOURCC shared by every track, unless ManyTracksManyCodecs. */
  fourCc?: string;
}

/**
 * Reads the byte after a Multitrack packet type, and the shared FOURCC when there is one. `multitrackPacketType`
 * and `modExPacketType` are the enum values that may not follow (Multitrack itself, and ModEx, which the
 * specification only allows before Multitrack).
 */
export function readMultitrackHeader(r: ByteReader, multitrackPacketType: number, modExPacketType: number): MultitrackHeader {
  const b = r.u8('AvMultitrackType / packet type');
  const mt = b >> 4;
  const packetType = b & 0x0f;
  if (mt > AvMultitrackType.MANY_TRACKS_MANY_CODECS) {
    throw new FlvError('FLV_UNSUPPORTED', `AvMultitrackType ${mt} is reserved`);
  }
  if (packetType === multitrackPacketType) {
    throw new FlvError('FLV_INVALID', 'the packet type inside a Multitrack message is Multitrack again');
  }
  if (packetType === modExPacketType) {
    throw new FlvError('FLV_UNSUPPORTED', 'ModEx after Multitrack is not defined by Enhanced RTMP v2');
  }
  const header: MultitrackHeader = { multitrackType: MULTITRACK_NAMES[mt], packetType };
  if (mt !== AvMultitrackType.MANY_TRACKS_MANY_CODECS) header.fourCc = readFourCc(r);
  return header;
}

export function readFourCc(r: ByteReader): string {
  const b = r.bytes(4, 'FOURCC');
  return fourCcFromBytes(b, 0);
}

/** Where one track's payload lies inside the tag body. */
export interface TrackSpan {
  trackId: number;
  codec: string;
  /** A reader limited to this track's bytes. */
  reader: ByteReader;
}

/**
 * Splits the rest of a message into tracks. Without a multitrack header the whole rest is track 0 of `codec`.
 * The first track is always read (the body loop of the specification runs at least once); further tracks
 * follow while bytes remain (ManyTracks, ManyTracksManyCodecs).
 */
export function readTrackSpans(r: ByteReader, mt: MultitrackHeader | undefined, codec: string): TrackSpan[] {
  if (!mt) return [{ trackId: 0, codec, reader: new ByteReader(r.buf, r.pos, r.end) }];
  const spans: TrackSpan[] = [];
  do {
    const trackCodec = mt.multitrackType === 'manyTracksManyCodecs' ? readFourCc(r) : (mt.fourCc ?? codec);
    const trackId = r.u8('track id');
    if (mt.multitrackType === 'oneTrack') {
      spans.push({ trackId, codec: trackCodec, reader: new ByteReader(r.buf, r.pos, r.end) });
      r.pos = r.end;
      break;
    }
    const size = r.u24('track size');
    r.need(size, `track ${trackId} payload`);
    spans.push({ trackId, codec: trackCodec, reader: new ByteReader(r.buf, r.pos, r.pos + size) });
    r.pos += size;
  } while (r.remaining > 0);
  return spans;
}
