/**
 * What the edge knows about one published stream: codecs, picture, frame rate, bitrate, counts.
 * Fed with every media message; the parse it does per message is the FLV tag header (views, no copies).
 */
import type { RtmpMessage } from '@ingest/rtmp';
import { MessageType } from '@ingest/rtmp';
import {
  FlvError,
  ON_META_DATA,
  describeAudioConfig,
  describeVideoConfig,
  parseAudioTag,
  parseScriptData,
  parseVideoTag,
  readStreamMetadata,
  unwrapSetDataFrame,
  audioIsConfig,
  isMetadata,
  videoFrameFlags,
  type AudioConfigDescription,
  type StreamMetadata,
  type VideoConfigDescription,
} from '@ingest/flv';

/** Bytes per second over the last few seconds, from per-second buckets. */
class RateWindow {
  private readonly buckets: number[];
  private readonly stamps: number[];
  constructor(private readonly seconds = 5) {
    this.buckets = new Array(seconds).fill(0);
    this.stamps = new Array(seconds).fill(-1);
  }
  add(nowMs: number, bytes: number): void {
    const second = Math.floor(nowMs / 1000);
    const i = second % this.seconds;
    if (this.stamps[i] !== second) {
      this.stamps[i] = second;
      this.buckets[i] = 0;
    }
    this.buckets[i] += bytes;
  }
  /** Average over the complete seconds in the window. */
  perSecond(nowMs: number): number {
    const current = Math.floor(nowMs / 1000);
    let total = 0;
    let seconds = 0;
    for (let i = 0; i < this.seconds; i++) {
      const age = current - this.stamps[i];
      if (this.stamps[i] >= 0 && age >= 1 && age <= this.seconds - 1) {
        total += this.buckets[i];
        seconds++;
      }
    }
    return seconds === 0 ? 0 : total / seconds;
  }
}

/** What one message is, as the relay needs it (one object per stream, overwritten per message). */
export interface MessageInfo {
  kind: 'video' | 'audio' | 'data' | 'other';
  /** A video tag carrying a keyframe's coded frames. */
  keyframe: boolean;
  /** A codec configuration (sequence start) or metadata: every viewer needs it. */
  sequenceHeader: boolean;
  compositionOffset: number;
  /** The tag body to relay: the message payload, or for `@setDataFrame` the data frame without that wrapper. */
  payload: Uint8Array;
}

export interface StreamSnapshot {
  name: string;
  app: string;
  publisher: { remoteAddress: string; protocol: string; encoder?: string };
  startedAt: string;
  endedAt?: string;
  uptimeSeconds: number;
  video?: VideoConfigDescription;
  audio?: AudioConfigDescription;
  metadata?: StreamMetadata;
  /** Video tags carrying coded frames. */
  videoFrames: number;
  keyframes: number;
  audioFrames: number;
  dataMessages: number;
  bytes: number;
  videoBytes: number;
  audioBytes: number;
  /** Measured from the stream's own timestamps. */
  fps?: number;
  /** Over the last few seconds of arrival time. */
  bitrateKbps: number;
  /** Tags whose header could not be parsed (counted, passed on unchanged). */
  malformedTags: number;
}

export class StreamStats {
  readonly startedAt = Date.now();
  endedAt: number | undefined;
  video: VideoConfigDescription | undefined;
  audio: AudioConfigDescription | undefined;
  metadata: StreamMetadata | undefined;
  videoFrames = 0;
  keyframes = 0;
  audioFrames = 0;
  dataMessages = 0;
  bytes = 0;
  videoBytes = 0;
  audioBytes = 0;
  malformedTags = 0;
  private firstVideoTs = -1;
  private lastVideoTs = -1;
  private readonly rate = new RateWindow();
  private readonly info: MessageInfo = { kind: 'other', keyframe: false, sequenceHeader: false, compositionOffset: 0, payload: new Uint8Array(0) };

  constructor(
    readonly name: string,
    readonly app: string,
    readonly publisher: { remoteAddress: string; protocol: string },
  ) {}

  /** Counts the message and says what it is (the returned object is reused for the next message). */
  onMessage(message: RtmpMessage, nowMs = Date.now()): MessageInfo {
    const size = message.payload.length;
    const info = this.info;
    info.kind = 'other';
    info.keyframe = false;
    info.sequenceHeader = false;
    info.compositionOffset = 0;
    info.payload = message.payload;
    this.bytes += size;
    this.rate.add(nowMs, size);
    try {
      if (message.type === MessageType.Video) this.onVideo(message, size, info);
      else if (message.type === MessageType.Audio) this.onAudio(message, size, info);
      else this.onData(message, info);
    } catch (err) {
      if (!(err instanceof FlvError)) throw err;
      this.malformedTags++;
    }
    return info;
  }

  private onVideo(message: RtmpMessage, size: number, info: MessageInfo): void {
    this.videoBytes += size;
    if (size === 0) return;
    const tag = parseVideoTag(message.payload);
    const flags = videoFrameFlags(tag);
    info.sequenceHeader = flags.config;
    info.keyframe = flags.keyframe;
    info.compositionOffset = flags.compositionOffset;
    if (flags.config) {
      const track = tag.tracks.find((t) => t.trackId === 0 && t.packetType === 'sequenceStart');
      if (track) this.video = describeVideoConfig(track) ?? this.video;
    }
    if (!flags.coded) return;
    info.kind = 'video';
    this.videoFrames++;
    if (tag.isKeyframe) this.keyframes++;
    if (this.firstVideoTs < 0) this.firstVideoTs = message.timestamp;
    this.lastVideoTs = message.timestamp;
  }

  private onAudio(message: RtmpMessage, size: number, info: MessageInfo): void {
    this.audioBytes += size;
    if (size === 0) return;
    const tag = parseAudioTag(message.payload);
    info.sequenceHeader = audioIsConfig(tag);
    let coded = false;
    for (const track of tag.tracks) {
      if (track.packetType === 'codedFrames') coded = true;
      else if (track.packetType === 'sequenceStart' && track.trackId === 0) this.audio = describeAudioConfig(track, tag) ?? this.audio;
    }
    // Legacy codecs without sequence headers (MP3, Speex, ...) describe themselves in every frame.
    if (coded && !this.audio && tag.tracks[0]) this.audio = describeAudioConfig(tag.tracks[0], tag);
    if (!coded) return;
    info.kind = 'audio';
    this.audioFrames++;
  }

  private onData(message: RtmpMessage, info: MessageInfo): void {
    this.dataMessages++;
    info.kind = 'data';
    info.sequenceHeader = isMetadata(message.payload);
    info.payload = unwrapSetDataFrame(message.payload); // players expect 'onMetaData', not the wrapper
    const script = parseScriptData(message.payload);
    if (script.name === ON_META_DATA) this.metadata = readStreamMetadata(script.value);
  }

  /** Frame rate from timestamps (frames - 1 over the time they span). */
  get fps(): number | undefined {
    const span = this.lastVideoTs - this.firstVideoTs;
    if (this.videoFrames < 2 || span <= 0) return this.video?.fps ?? this.metadata?.framerate;
    return Math.round(((this.videoFrames - 1) * 1000 * 100) / span) / 100;
  }

  snapshot(nowMs = Date.now()): StreamSnapshot {
    const end = this.endedAt ?? nowMs;
    return {
      name: this.name,
      app: this.app,
      publisher: { ...this.publisher, encoder: this.metadata?.encoder },
      startedAt: new Date(this.startedAt).toISOString(),
      endedAt: this.endedAt ? new Date(this.endedAt).toISOString() : undefined,
      uptimeSeconds: Math.round((end - this.startedAt) / 100) / 10,
      video: this.video,
      audio: this.audio,
      metadata: this.metadata,
      videoFrames: this.videoFrames,
      keyframes: this.keyframes,
      audioFrames: this.audioFrames,
      dataMessages: this.dataMessages,
      bytes: this.bytes,
      videoBytes: this.videoBytes,
      audioBytes: this.audioBytes,
      fps: this.fps,
      bitrateKbps: Math.round((this.rate.perSecond(nowMs) * 8) / 100) / 10,
      malformedTags: this.malformedTags,
    };
  }
}
