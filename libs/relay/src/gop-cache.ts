/**
 * What an edge keeps per stream so that a viewer joining mid-stream starts at once: the latest metadata, the latest
 * audio and video sequence headers, and the current GOP (every message since the last video key frame, audio
 * included). A stream without video keeps a short window of audio instead. Entries hold the envelopes exactly as
 * they were published, so answering a GOP request copies nothing. No I/O.
 *
 * Sequence headers and metadata are tracked for track 0 only (multitrack E-RTMP keeps the latest of any track).
 */
import { ENVELOPE_HEADER_SIZE, EnvelopeFlags, EnvelopeKind } from './envelope';

export interface GopEntry {
  readonly kind: EnvelopeKind;
  readonly flags: number;
  readonly sequence: number;
  readonly timestamp: number;
  /** The envelope(s) as published: one, or every fragment in order. */
  readonly envelopes: readonly Buffer[];
  /** Sum of the envelopes' lengths. */
  readonly bytes: number;
}

export interface GopCacheOptions {
  /** Messages kept in the current GOP (audio included). Default 4096. */
  maxMessages?: number;
  /** Bytes (envelopes) kept in the current GOP. Default 8 MiB. */
  maxBytes?: number;
  /** Audio kept when the stream has no video, by timestamp. Default 1000 ms. */
  audioWindowMs?: number;
}

export interface GopCacheStats {
  /** GOPs dropped because they outgrew maxMessages/maxBytes (the cache waits for the next key frame). */
  overflows: number;
  /** Video sequence headers that changed the decoder configuration (the GOP restarts at the next key frame). */
  configChanges: number;
}

export const DEFAULT_GOP_MAX_MESSAGES = 4096;
export const DEFAULT_GOP_MAX_BYTES = 8 * 1024 * 1024;
export const DEFAULT_AUDIO_WINDOW_MS = 1000;

const KEY_OR_HEADER = EnvelopeFlags.KEYFRAME | EnvelopeFlags.SEQUENCE_HEADER;

export class GopCache {
  private readonly maxMessages: number;
  private readonly maxBytes: number;
  private readonly audioWindowMs: number;

  private metadata: GopEntry | undefined;
  private videoHeader: GopEntry | undefined;
  private audioHeader: GopEntry | undefined;
  /** Set by the first video message: from then on the cache keeps GOPs, not an audio window. */
  private hasVideo = false;
  /** Video mode: the GOP holds a key frame and everything after it. */
  private gopStarted = false;
  private gop: GopEntry[] = [];
  /** First live index of `gop` (the audio window drops from the front without shifting each time). */
  private head = 0;
  private bytes = 0;

  readonly stats: GopCacheStats = { overflows: 0, configChanges: 0 };

  constructor(options: GopCacheOptions = {}) {
    this.maxMessages = options.maxMessages ?? DEFAULT_GOP_MAX_MESSAGES;
    this.maxBytes = options.maxBytes ?? DEFAULT_GOP_MAX_BYTES;
    this.audioWindowMs = options.audioWindowMs ?? DEFAULT_AUDIO_WINDOW_MS;
  }

  /** Messages in the current GOP / audio window (headers and metadata not counted). */
  get gopMessages(): number {
    return this.gop.length - this.head;
  }

  /** Sequence number of the oldest message in the GOP / audio window (headers and metadata not included). */
  get oldestSequence(): number | undefined {
    return this.head < this.gop.length ? this.gop[this.head].sequence : undefined;
  }

  /** Bytes in the current GOP / audio window. */
  get gopBytes(): number {
    return this.bytes;
  }

  /**
   * True when a snapshot starts at a decodable point: the GOP begins with a key frame, or the stream has no video
   * (so the audio window, even empty, is enough). False while a video stream waits for its next key frame.
   */
  get complete(): boolean {
    return !this.hasVideo || this.gopStarted;
  }

  add(entry: GopEntry): void {
    const { kind, flags } = entry;
    if (kind === EnvelopeKind.VIDEO) {
      if (!this.hasVideo) {
        this.hasVideo = true;
        this.resetGop(false);
      }
      if ((flags & EnvelopeFlags.SEQUENCE_HEADER) !== 0) {
        const previous = this.videoHeader;
        this.videoHeader = entry;
        if (previous !== undefined && !samePayload(previous, entry)) {
          // New decoder configuration: frames before it no longer belong with it.
          this.stats.configChanges++;
          this.resetGop(false);
        }
        return;
      }
      if ((flags & KEY_OR_HEADER) === EnvelopeFlags.KEYFRAME) {
        this.resetGop(true);
        this.append(entry);
      } else if (this.gopStarted) {
        this.append(entry);
      }
      return;
    }
    if (kind === EnvelopeKind.AUDIO) {
      if ((flags & EnvelopeFlags.SEQUENCE_HEADER) !== 0) {
        this.audioHeader = entry;
      } else if (!this.hasVideo) {
        this.appendWindow(entry);
      } else if (this.gopStarted) {
        this.append(entry);
      }
      return;
    }
    if (kind === EnvelopeKind.DATA) {
      if ((flags & EnvelopeFlags.SEQUENCE_HEADER) !== 0) this.metadata = entry;
      else if (!this.hasVideo) this.appendWindow(entry);
      else if (this.gopStarted) this.append(entry);
    }
    // End-of-stream and gop-end envelopes are not cached.
  }

  /** What a joining viewer needs, in order: metadata, video and audio sequence headers, then the GOP. */
  snapshot(): GopEntry[] {
    const out: GopEntry[] = [];
    if (this.metadata) out.push(this.metadata);
    if (this.videoHeader) out.push(this.videoHeader);
    if (this.audioHeader) out.push(this.audioHeader);
    for (let i = this.head; i < this.gop.length; i++) out.push(this.gop[i]);
    return out;
  }

  /** Forgets everything (a new publishing session). */
  clear(): void {
    this.metadata = undefined;
    this.videoHeader = undefined;
    this.audioHeader = undefined;
    this.hasVideo = false;
    this.resetGop(false);
  }

  private resetGop(started: boolean): void {
    // A new array: snapshots handed out earlier keep their own copy anyway, and this drops references at once.
    if (this.gop.length > 0) this.gop = [];
    this.head = 0;
    this.bytes = 0;
    this.gopStarted = started;
  }

  private append(entry: GopEntry): void {
    if (this.gop.length - this.head + 1 > this.maxMessages || this.bytes + entry.bytes > this.maxBytes) {
      // Too big to keep: headers stay, the GOP waits for the next key frame.
      this.stats.overflows++;
      this.resetGop(false);
      return;
    }
    this.gop.push(entry);
    this.bytes += entry.bytes;
  }

  /** Audio-only mode: keep the last `audioWindowMs` (and within the caps), dropping from the front. */
  private appendWindow(entry: GopEntry): void {
    const gop = this.gop;
    gop.push(entry);
    this.bytes += entry.bytes;
    const now = entry.timestamp;
    while (
      this.head < gop.length - 1 &&
      (((now - gop[this.head].timestamp) | 0) > this.audioWindowMs ||
        gop.length - this.head > this.maxMessages ||
        this.bytes > this.maxBytes)
    ) {
      this.bytes -= gop[this.head].bytes;
      this.head++;
    }
    if (this.head >= 64 && this.head * 2 >= gop.length) {
      this.gop = gop.slice(this.head);
      this.head = 0;
    }
  }
}

function samePayload(a: GopEntry, b: GopEntry): boolean {
  if (a.envelopes.length !== 1 || b.envelopes.length !== 1) return false;
  return a.envelopes[0].subarray(ENVELOPE_HEADER_SIZE).equals(b.envelopes[0].subarray(ENVELOPE_HEADER_SIZE));
}
