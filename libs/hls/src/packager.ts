/**
 * HLS/LL-HLS/DASH packaging of one live stream from its RTMP/FLV messages (an origin feeds it the same shared
 * messages its FLV/RTMP viewers get; the benchmark feeds it a file): segments cut
 * on keyframes and numbered from the stream's own timestamps (libs/hls HlsSegmenter), so every origin serving the
 * stream produces the same playlist and the same segment names and bytes. Each segment is encoded lazily, once
 * per format (MPEG-TS, fMP4), and kept in memory for a sliding window. No I/O: the caller serves the bytes.
 */
import { parseAudioTag, parseVideoTag } from '@ingest/flv';
import { dashDateTime, dashManifest } from './dash';
import { flvToSamples, fmp4AudioTrack, fmp4InitSegment, fmp4MediaSegment, fmp4VideoTrack, type Fmp4Fragment, type Fmp4Track } from './fmp4';
import { codecString } from './fmp4-codecs';
import { mediaPlaylistFmp4, mediaPlaylistLowLatency, mediaPlaylistTs } from './playlist';
import { HlsSegmenter, type PartInfo, type SegmentInfo } from './segmenter';
import { TsMuxer, type TsMuxerFrame } from './ts-muxer';

/** An RTMP/FLV media message: type 8 (audio) or 9 (video), timestamp in ms, the FLV tag body. */
export interface PackagerMessage {
  type: number;
  timestamp: number;
  payload: Uint8Array;
}

const TYPE_AUDIO = 8;
const TYPE_VIDEO = 9;

type Frame = TsMuxerFrame & { keyframe?: boolean; cts?: number };

interface StoredPart {
  info: PartInfo;
  frames: Frame[];
  m4s?: Buffer;
}

interface StoredSegment {
  info: SegmentInfo;
  frames: Frame[];
  ts?: Buffer;
  m4s?: Buffer;
  byTrack?: Partial<Record<MediaTrack, Buffer>>;
}

export type MediaTrack = 'video' | 'audio';

export interface HlsPackagerOptions {
  targetDurationMs: number;
  windowSegments: number;
}

export class HlsPackager {
  private segmenter: HlsSegmenter<Frame>;
  private readonly segments = new Map<number, StoredSegment>();
  /** LL-HLS parts by segment number (the last few segments only). */
  private readonly parts = new Map<number, StoredPart[]>();
  /** Blocking requests (LL-HLS playlist reloads, preload hints) waiting for the next part or segment. */
  private waiters: Array<() => void> = [];
  private order: number[] = [];
  private video: { codec: 'avc' | 'hevc'; config: Uint8Array } | undefined;
  private audio: { codec: 'aac'; config: Uint8Array } | { codec: 'mp3' } | undefined;
  private tsMuxer: TsMuxer | undefined;
  private init: Buffer | undefined;
  private trackInits: Partial<Record<MediaTrack, Buffer>> = {};
  private sawVideo = false;
  lastRequestAt = Date.now();
  /** Segments produced (for status and tests). */
  produced = 0;

  constructor(private readonly options: HlsPackagerOptions) {
    this.segmenter = this.newSegmenter(true);
  }

  private newSegmenter(hasVideo: boolean): HlsSegmenter<Frame> {
    return new HlsSegmenter<Frame>({ targetDurationMs: this.options.targetDurationMs, windowSegments: this.options.windowSegments, hasVideo });
  }

  /** Every relayed message of the stream, in order (the hub's join cache first). */
  push(message: PackagerMessage): void {
    try {
      if (message.type === TYPE_VIDEO) this.pushVideo(message);
      else if (message.type === TYPE_AUDIO) this.pushAudio(message);
    } catch {
      // A tag the FLV parser refuses is not packaged; the FLV/RTMP outputs pass it on unchanged.
    }
  }

  private pushVideo(message: PackagerMessage): void {
    const tag = parseVideoTag(message.payload);
    const track = tag.tracks.find((t) => t.trackId === 0);
    if (!track) return;
    const codec = track.codec === 'avc1' ? 'avc' : track.codec === 'hvc1' ? 'hevc' : undefined;
    if (!codec) return; // AV1/VP9 are not packaged into TS here
    if (track.packetType === 'sequenceStart') {
      if (!this.video || !Buffer.from(this.video.config).equals(Buffer.from(track.payload))) {
        this.video = { codec, config: Uint8Array.from(track.payload) };
        this.configChanged();
      }
      return;
    }
    if (track.packetType !== 'codedFrames' || !this.video) return;
    this.sawVideo = true;
    this.emit(this.segmenter.push({ kind: 'video', dts: message.timestamp, cts: track.compositionTimeOffset, keyframe: tag.isKeyframe, data: track.payload }));
  }

  private pushAudio(message: PackagerMessage): void {
    const tag = parseAudioTag(message.payload);
    const track = tag.tracks.find((t) => t.trackId === 0);
    if (!track) return;
    if (track.codec === 'mp4a') {
      if (track.packetType === 'sequenceStart') {
        if (!this.audio || this.audio.codec !== 'aac' || !Buffer.from(this.audio.config).equals(Buffer.from(track.payload))) {
          this.audio = { codec: 'aac', config: Uint8Array.from(track.payload) };
          this.configChanged();
        }
        return;
      }
      if (track.packetType !== 'codedFrames' || !this.audio) return;
    } else if (track.codec === '.mp3') {
      if (!this.audio) {
        this.audio = { codec: 'mp3' };
        this.configChanged();
      }
    } else {
      return;
    }
    this.emit(this.segmenter.push({ kind: 'audio', dts: message.timestamp, data: track.payload }));
  }

  /** New codec configuration (first one, or a new publisher): muxers are rebuilt; segments keep their own. */
  private configChanged(): void {
    this.tsMuxer = undefined;
    this.init = undefined;
    this.trackInits = {};
  }

  private emit(events: ReturnType<HlsSegmenter<Frame>['push']>): void {
    if (events.length === 0) return;
    for (const event of events) {
      if (event.type === 'part') {
        const list = this.parts.get(event.segmentNumber) ?? [];
        list[event.partIndex] = { info: event, frames: event.frames };
        this.parts.set(event.segmentNumber, list);
        continue;
      }
      this.segments.set(event.number, { info: event, frames: event.frames });
      this.order.push(event.number);
      this.produced++;
      // Keep two segments beyond the playlist window for players and CDNs that are a little behind.
      while (this.order.length > this.options.windowSegments + 2) {
        const gone = this.order.shift()!;
        this.segments.delete(gone);
      }
      for (const n of this.parts.keys()) if (n < event.number - 3) this.parts.delete(n);
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves when `ready()` holds, or false after `timeoutMs` (blocking playlist reload, preload hints). */
  async waitUntil(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  /** Last complete segment number. */
  get lastSegment(): number | undefined {
    return this.order[this.order.length - 1];
  }

  hasSegmentOrPart(msn: number, part: number | undefined): boolean {
    if (this.segments.has(msn)) return true;
    return part !== undefined && this.parts.get(msn)?.[part] !== undefined;
  }

  get partTargetMs(): number {
    return this.segmenter.advertisedPartTargetMs;
  }

  playlistLowLatency(): string {
    const window = this.windowSegments();
    const pending = this.segmenter.pending;
    const partsOf = (n: number) => (this.parts.get(n) ?? []).filter(Boolean).map((p) => ({ durationMs: p.info.durationMs, independent: p.info.independent }));
    return mediaPlaylistLowLatency(
      window.map((s) => ({ number: s.info.number, durationMs: s.info.durationMs, discontinuity: s.info.discontinuity, parts: partsOf(s.info.number) })),
      {
        targetDuration: this.targetSeconds(),
        initUri: 'init.mp4',
        partTargetMs: this.segmenter.advertisedPartTargetMs,
        pending: pending && { number: pending.number, discontinuity: pending.discontinuity, parts: partsOf(pending.number) },
      },
    );
  }

  /** fMP4 bytes of LL-HLS part `index` of segment `n`, encoded once. */
  partM4s(n: number, index: number): Buffer | undefined {
    const part = this.parts.get(n)?.[index];
    if (!part) return undefined;
    part.m4s ??= this.fragment(part.frames, part.info.startDts + part.info.durationMs, n * 64 + index + 1);
    return part.m4s;
  }

  private windowSegments(): StoredSegment[] {
    return this.order.slice(-this.options.windowSegments).map((n) => this.segments.get(n)!);
  }

  get ready(): boolean {
    return this.order.length > 0;
  }

  private targetSeconds(): number {
    return Math.ceil(this.options.targetDurationMs / 1000);
  }

  playlistTs(): string {
    const window = this.windowSegments();
    return mediaPlaylistTs(
      window.map((s) => ({ number: s.info.number, durationMs: s.info.durationMs, discontinuity: s.info.discontinuity })),
      { targetDuration: this.targetSeconds() },
    );
  }

  playlistFmp4(): string {
    const window = this.windowSegments();
    return mediaPlaylistFmp4(
      window.map((s) => ({ number: s.info.number, durationMs: s.info.durationMs, discontinuity: s.info.discontinuity })),
      { targetDuration: this.targetSeconds(), initUri: 'init.mp4' },
    );
  }

  /** MPEG-TS bytes of segment `n`, encoded once. */
  segmentTs(n: number): Buffer | undefined {
    const segment = this.segments.get(n);
    if (!segment) return undefined;
    if (!segment.ts) {
      if (!this.tsMuxer) {
        this.tsMuxer = new TsMuxer({ video: this.video, audio: this.audio, continuity: 'per-segment' });
      }
      segment.ts = this.tsMuxer.writeSegment(segment.frames, n);
    }
    return segment.ts;
  }

  private tracks(only?: MediaTrack): Fmp4Track[] {
    const tracks: Fmp4Track[] = [];
    if (this.video && only !== 'audio') tracks.push(fmp4VideoTrack(1, this.video.codec === 'avc' ? 'avc1' : 'hvc1', this.video.config));
    if (this.audio?.codec === 'aac' && only !== 'video') tracks.push(fmp4AudioTrack(2, this.audio.config));
    return tracks;
  }

  /** init.mp4 with every track (HLS), or one track's (DASH representations). */
  initMp4(only?: MediaTrack): Buffer | undefined {
    if (!this.ready) return undefined;
    if (only) {
      const tracks = this.tracks(only);
      if (tracks.length === 0) return undefined;
      return (this.trackInits[only] ??= fmp4InitSegment(tracks));
    }
    this.init ??= fmp4InitSegment(this.tracks());
    return this.init;
  }

  /** One track's fragment of segment `n` (DASH), encoded once. */
  trackSegmentM4s(n: number, track: MediaTrack): Buffer | undefined {
    const segment = this.segments.get(n);
    if (!segment) return undefined;
    segment.byTrack ??= {};
    if (!segment.byTrack[track]) {
      const frames = segment.frames.filter((f) => f.kind === track);
      const bytes = this.fragment(frames, segment.info.startDts + segment.info.durationMs, n + 1);
      if (!bytes) return undefined;
      segment.byTrack[track] = bytes;
    }
    return segment.byTrack[track];
  }

  /**
   * A dynamic DASH MPD over the same segments, one representation per track. Segment n covers media time
   * [n * target, (n + 1) * target) ms, and media time 0 is when the stream started publishing (`startedAtMs`,
   * the registry's value): identical on every origin.
   */
  dashMpd(startedAtMs: number): string {
    const window = this.windowSegments();
    const last = window[window.length - 1];
    const video = this.video && this.tracks('video')[0];
    const audio = this.audio?.codec === 'aac' ? this.tracks('audio')[0] : undefined;
    return dashManifest({
      availabilityStartTime: dashDateTime(startedAtMs),
      publishTime: dashDateTime(startedAtMs + (last ? last.info.startDts + last.info.durationMs : 0)),
      segmentDurationMs: this.options.targetDurationMs,
      // Fixed, so every origin writes the same MPD whatever part of the stream it has seen (keyframe intervals up
      // to twice the target are covered; longer GOPs skip numbers, see the README).
      maxSegmentDurationMs: 2 * this.options.targetDurationMs,
      timeShiftBufferDepthMs: this.options.targetDurationMs * this.options.windowSegments,
      suggestedPresentationDelayMs: this.options.targetDurationMs * 3,
      startNumber: 0,
      // Nominal bandwidths: a single representation per track, so they only need to be plausible and stable.
      video: video && this.video && video.kind === 'video' ? { codecs: codecString(this.video.codec === 'avc' ? 'avc1' : 'hvc1', this.video.config), width: video.width, height: video.height, bandwidth: 2_500_000 } : undefined,
      audio: audio && this.audio?.codec === 'aac' && audio.kind === 'audio' ? { codecs: codecString('mp4a', this.audio.config), sampleRate: audio.sampleRate, channels: audio.channels, bandwidth: 128_000 } : undefined,
      initTemplate: 'init-$RepresentationID$.mp4',
      mediaTemplate: 'seg-$RepresentationID$-$Number$.m4s',
    });
  }

  /** fMP4 (CMAF) bytes of segment `n`, encoded once. */
  segmentM4s(n: number): Buffer | undefined {
    const segment = this.segments.get(n);
    if (!segment) return undefined;
    segment.m4s ??= this.fragment(segment.frames, segment.info.startDts + segment.info.durationMs, n + 1);
    return segment.m4s;
  }

  /** moof + mdat for a run of frames (a segment or an LL-HLS part). */
  private fragment(frames: Frame[], endDts: number, sequence: number): Buffer | undefined {
    const fragments: Fmp4Fragment[] = [];
    const video = frames.filter((f) => f.kind === 'video') as Array<Extract<Frame, { kind: 'video' }>>;
    const audio = frames.filter((f) => f.kind === 'audio');
    if (video.length > 0 && this.video) {
      const { baseMediaDecodeTime, samples } = flvToSamples({ kind: 'video', frames: video, nextDts: Math.max(endDts, video[video.length - 1].dts + 1) });
      fragments.push({ trackId: 1, baseMediaDecodeTime, samples });
    }
    if (audio.length > 0 && this.audio?.codec === 'aac') {
      const sampleRate = fmp4AudioTrack(2, this.audio.config).timescale;
      const { baseMediaDecodeTime, samples } = flvToSamples({ kind: 'audio', frames: audio, sampleRate });
      fragments.push({ trackId: 2, baseMediaDecodeTime, samples });
    }
    return fragments.length === 0 ? undefined : fmp4MediaSegment(sequence, fragments);
  }

  /** The stream restarted (new publisher): start segmenting afresh; numbering stays increasing. */
  restart(): void {
    this.video = undefined;
    this.audio = undefined;
    this.configChanged();
    this.sawVideo = false;
  }

  get hasVideo(): boolean {
    return this.sawVideo;
  }
}
