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

/** Capacity of a GOP's columns at first; they double as a GOP grows (up to maxMessages). */
const INITIAL_COLUMNS = 256;

/**
 * The current GOP is stored in columns, not as an entry object per message: a message costs the cache one slot in
 * each typed array and one reference to its envelope (or fragment list). Messages stay for a whole GOP (~2 s), long
 * enough to be promoted, and three small objects per message (entry, envelope list, view) made the edge's old
 * generation grow by ~4,000 objects a second with 20 streams, which V8 then marked and swept (~5 % of the edge's
 * CPU in a perf profile). Entries are built only for a snapshot (a GOP request).
 */
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
  /** The GOP's messages, slots [head, count): the envelope, or every fragment in order. */
  private envelopes: Array<Buffer | readonly Buffer[]> = [];
  private sequences = new Uint32Array(INITIAL_COLUMNS);
  private timestamps = new Uint32Array(INITIAL_COLUMNS);
  private sizes = new Uint32Array(INITIAL_COLUMNS);
  private kinds = new Uint8Array(INITIAL_COLUMNS);
  private flagBits = new Uint8Array(INITIAL_COLUMNS);
  private count = 0;
  /** First live slot (the audio window drops from the front without shifting each time). */
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
    return this.count - this.head;
  }

  /** Sequence number of the oldest message in the GOP / audio window (headers and metadata not included). */
  get oldestSequence(): number | undefined {
    return this.head < this.count ? this.sequences[this.head] : undefined;
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
    const envelopes = entry.envelopes;
    this.addMessage(entry.kind, entry.flags, entry.sequence, entry.timestamp, envelopes.length === 1 ? envelopes[0] : envelopes, entry.bytes, entry);
  }

  /**
   * One published message: `envelopes` is its envelope, or every fragment in order; `bytes` their total length.
   * (add() without the entry object: the publisher's per-message path. A header or metadata keeps `entry` when given.)
   */
  addMessage(
    kind: EnvelopeKind,
    flags: number,
    sequence: number,
    timestamp: number,
    envelopes: Buffer | readonly Buffer[],
    bytes: number,
    entry?: GopEntry,
  ): void {
    if (kind === EnvelopeKind.VIDEO) {
      if (!this.hasVideo) {
        this.hasVideo = true;
        this.resetGop(false);
      }
      if ((flags & EnvelopeFlags.SEQUENCE_HEADER) !== 0) {
        const previous = this.videoHeader;
        const header = entry ?? entryOf(kind, flags, sequence, timestamp, envelopes, bytes);
        this.videoHeader = header;
        if (previous !== undefined && !samePayload(previous, header)) {
          // New decoder configuration: frames before it no longer belong with it.
          this.stats.configChanges++;
          this.resetGop(false);
        }
        return;
      }
      if ((flags & KEY_OR_HEADER) === EnvelopeFlags.KEYFRAME) {
        this.resetGop(true);
        this.append(kind, flags, sequence, timestamp, envelopes, bytes);
      } else if (this.gopStarted) {
        this.append(kind, flags, sequence, timestamp, envelopes, bytes);
      }
      return;
    }
    if (kind === EnvelopeKind.AUDIO) {
      if ((flags & EnvelopeFlags.SEQUENCE_HEADER) !== 0) {
        this.audioHeader = entry ?? entryOf(kind, flags, sequence, timestamp, envelopes, bytes);
      } else if (!this.hasVideo) {
        this.appendWindow(kind, flags, sequence, timestamp, envelopes, bytes);
      } else if (this.gopStarted) {
        this.append(kind, flags, sequence, timestamp, envelopes, bytes);
      }
      return;
    }
    if (kind === EnvelopeKind.DATA) {
      if ((flags & EnvelopeFlags.SEQUENCE_HEADER) !== 0) this.metadata = entry ?? entryOf(kind, flags, sequence, timestamp, envelopes, bytes);
      else if (!this.hasVideo) this.appendWindow(kind, flags, sequence, timestamp, envelopes, bytes);
      else if (this.gopStarted) this.append(kind, flags, sequence, timestamp, envelopes, bytes);
    }
    // End-of-stream and gop-end envelopes are not cached.
  }

  /** What a joining viewer needs, in order: metadata, video and audio sequence headers, then the GOP. */
  snapshot(): GopEntry[] {
    const out: GopEntry[] = [];
    if (this.metadata) out.push(this.metadata);
    if (this.videoHeader) out.push(this.videoHeader);
    if (this.audioHeader) out.push(this.audioHeader);
    for (let i = this.head; i < this.count; i++) {
      out.push(entryOf(this.kinds[i], this.flagBits[i], this.sequences[i], this.timestamps[i], this.envelopes[i], this.sizes[i]));
    }
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
    // Drops the references at once (snapshots handed out earlier hold entries of their own).
    if (this.count > 0) this.envelopes.length = 0;
    this.count = 0;
    this.head = 0;
    this.bytes = 0;
    this.gopStarted = started;
  }

  private append(kind: number, flags: number, sequence: number, timestamp: number, envelopes: Buffer | readonly Buffer[], bytes: number): void {
    if (this.count - this.head + 1 > this.maxMessages || this.bytes + bytes > this.maxBytes) {
      // Too big to keep: headers stay, the GOP waits for the next key frame.
      this.stats.overflows++;
      this.resetGop(false);
      return;
    }
    this.push(kind, flags, sequence, timestamp, envelopes, bytes);
  }

  /** Audio-only mode: keep the last `audioWindowMs` (and within the caps), dropping from the front. */
  private appendWindow(kind: number, flags: number, sequence: number, timestamp: number, envelopes: Buffer | readonly Buffer[], bytes: number): void {
    this.push(kind, flags, sequence, timestamp, envelopes, bytes);
    const timestamps = this.timestamps;
    while (
      this.head < this.count - 1 &&
      (((timestamp - timestamps[this.head]) | 0) > this.audioWindowMs || this.count - this.head > this.maxMessages || this.bytes > this.maxBytes)
    ) {
      this.bytes -= this.sizes[this.head];
      this.envelopes[this.head] = EMPTY_LIST;
      this.head++;
    }
    if (this.head >= 64 && this.head * 2 >= this.count) this.compact();
  }

  private push(kind: number, flags: number, sequence: number, timestamp: number, envelopes: Buffer | readonly Buffer[], bytes: number): void {
    const i = this.count;
    if (i === this.sequences.length) this.grow();
    this.envelopes[i] = envelopes;
    this.sequences[i] = sequence;
    this.timestamps[i] = timestamp;
    this.sizes[i] = bytes;
    this.kinds[i] = kind;
    this.flagBits[i] = flags;
    this.count = i + 1;
    this.bytes += bytes;
  }

  private grow(): void {
    const size = this.sequences.length * 2;
    const grown = <T extends Uint32Array | Uint8Array>(column: T, next: T): T => {
      next.set(column);
      return next;
    };
    this.sequences = grown(this.sequences, new Uint32Array(size));
    this.timestamps = grown(this.timestamps, new Uint32Array(size));
    this.sizes = grown(this.sizes, new Uint32Array(size));
    this.kinds = grown(this.kinds, new Uint8Array(size));
    this.flagBits = grown(this.flagBits, new Uint8Array(size));
  }

  /** Moves the live slots [head, count) to the front. */
  private compact(): void {
    const { head, count } = this;
    this.sequences.copyWithin(0, head, count);
    this.timestamps.copyWithin(0, head, count);
    this.sizes.copyWithin(0, head, count);
    this.kinds.copyWithin(0, head, count);
    this.flagBits.copyWithin(0, head, count);
    this.envelopes = this.envelopes.slice(head, count);
    this.count = count - head;
    this.head = 0;
  }
}

const EMPTY_LIST: readonly Buffer[] = [];

function entryOf(kind: number, flags: number, sequence: number, timestamp: number, envelopes: Buffer | readonly Buffer[], bytes: number): GopEntry {
  return { kind: kind as EnvelopeKind, flags, sequence, timestamp, envelopes: Buffer.isBuffer(envelopes) ? [envelopes] : envelopes, bytes };
}

function samePayload(a: GopEntry, b: GopEntry): boolean {
  if (a.envelopes.length !== 1 || b.envelopes.length !== 1) return false;
  return a.envelopes[0].subarray(ENVELOPE_HEADER_SIZE).equals(b.envelopes[0].subarray(ENVELOPE_HEADER_SIZE));
}
