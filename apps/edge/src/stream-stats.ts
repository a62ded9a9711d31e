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

  constructor(
    readonly name: string,
    readonly app: string,
    readonly publisher: { remoteAddress: string; protocol: string },
  ) {}

  /** Returns the kind of frame for the caller's counters. */
  onMessage(message: RtmpMessage, nowMs = Date.now()): 'video' | 'audio' | 'data' | 'other' {
    const size = message.payload.length;
    this.bytes += size;
    this.rate.add(nowMs, size);
    try {
      if (message.type === MessageType.Video) return this.onVideo(message, size);
      if (message.type === MessageType.Audio) return this.onAudio(message, size);
      this.onData(message);
      return 'data';
    } catch (err) {
      if (!(err instanceof FlvError)) throw err;
      this.malformedTags++;
      return 'other';
    }
  }

  private onVideo(message: RtmpMessage, size: number): 'video' | 'other' {
    this.videoBytes += size;
    if (size === 0) return 'other';
    const tag = parseVideoTag(message.payload);
    let coded = false;
    for (const track of tag.tracks) {
      if (track.packetType === 'codedFrames') coded = true;
      else if (track.packetType === 'sequenceStart' && track.trackId === 0) this.video = describeVideoConfig(track) ?? this.video;
    }
    if (!coded) return 'other';
    this.videoFrames++;
    if (tag.isKeyframe) this.keyframes++;
    if (this.firstVideoTs < 0) this.firstVideoTs = message.timestamp;
    this.lastVideoTs = message.timestamp;
    return 'video';
  }

  private onAudio(message: RtmpMessage, size: number): 'audio' | 'other' {
    this.audioBytes += size;
    if (size === 0) return 'other';
    const tag = parseAudioTag(message.payload);
    let coded = false;
    for (const track of tag.tracks) {
      if (track.packetType === 'codedFrames') coded = true;
      else if (track.packetType === 'sequenceStart' && track.trackId === 0) this.audio = describeAudioConfig(track, tag) ?? this.audio;
    }
    // Legacy codecs without sequence headers (MP3, Speex, ...) describe themselves in every frame.
    if (coded && !this.audio && tag.tracks[0]) this.audio = describeAudioConfig(tag.tracks[0], tag);
    if (!coded) return 'other';
    this.audioFrames++;
    return 'audio';
  }

  private onData(message: RtmpMessage): void {
    this.dataMessages++;
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
