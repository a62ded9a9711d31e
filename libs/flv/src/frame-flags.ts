/**
 * What a media message is for the relay and the packagers, decided in one place: a codec configuration (every
 * viewer needs it, caches keep the latest), a keyframe (a viewer may start there), or neither.
 */
import type { AudioTag } from './audio';
import type { VideoTag } from './video';

export interface VideoFrameFlags {
  /** Sequence start (decoder configuration) on any track. */
  config: boolean;
  /** Key frame carrying coded frames (never a configuration). */
  keyframe: boolean;
  coded: boolean;
  /** Composition offset (ms) of the first track. */
  compositionOffset: number;
}

export function videoFrameFlags(tag: VideoTag): VideoFrameFlags {
  let config = false;
  let coded = false;
  for (const track of tag.tracks) {
    if (track.packetType === 'sequenceStart' || track.packetType === 'mpeg2tsSequenceStart') config = true;
    else if (track.packetType === 'codedFrames') coded = true;
  }
  return { config, coded, keyframe: tag.isKeyframe && coded && !config, compositionOffset: tag.tracks[0]?.compositionTimeOffset ?? 0 };
}

/** An audio decoder configuration (AAC AudioSpecificConfig, E-RTMP sequence start or multichannel config). */
export function audioIsConfig(tag: AudioTag): boolean {
  return tag.tracks.some((t) => t.packetType === 'sequenceStart' || t.packetType === 'multichannelConfig');
}

// AMF0 string marker, u16 length, then the name: 'onMetaData' or '@setDataFrame' (followed by 'onMetaData').
const ON_META_DATA = Buffer.from('onMetaData', 'latin1');
const SET_DATA_FRAME = Buffer.from('@setDataFrame', 'latin1');

function startsWithName(payload: Uint8Array, length: number, name: Uint8Array): boolean {
  if (length !== name.length || payload.length < 3 + length) return false;
  for (let i = 0; i < length; i++) if (payload[3 + i] !== name[i]) return false;
  return true;
}

/**
 * Whether an AMF0 data message is stream metadata (onMetaData, or @setDataFrame as a publisher sends it): a
 * configuration. Other data messages (cue points, captions) are ordinary timed messages.
 */
export function isMetadata(payload: Uint8Array): boolean {
  if (payload.length < 3 || payload[0] !== 0x02) return false;
  const length = (payload[1] << 8) | payload[2];
  return startsWithName(payload, length, ON_META_DATA) || startsWithName(payload, length, SET_DATA_FRAME);
}
