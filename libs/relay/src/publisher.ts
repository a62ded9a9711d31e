/**
 * Edge side of the relay: every media message of one stream goes to `media.<stream>` in one envelope (or in
 * fragments above the server's max_payload), and GOP requests on `gop.<stream>` are answered from the cache.
 *
 * publish() never throws and never waits: NATS errors (closed connection, payload over a changed max_payload)
 * are counted and logged at a limited rate. While the client is disconnected nats.js keeps accepting publishes
 * into its own outbound buffer (reset at each reconnect attempt, see connection.ts); those messages are counted
 * as `publishedWhileDisconnected`, and the subscribers see the loss as a sequence gap.
 */
import { audioIsConfig, isMetadata, parseAudioTag, parseVideoTag, videoFrameFlags } from '@ingest/flv';
import type { Logger } from '@ingest/telemetry';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { DEFAULT_ARENA_SLAB_BYTES, EnvelopeArena, type ArenaStats } from './arena';
import type { PublishBatcher } from './batcher';
import { StreamCadence } from './cadence';
import { watchStatus } from './connection';
import {
  ENVELOPE_HEADER_SIZE,
  EnvelopeFlags,
  EnvelopeKind,
  encodeEnvelope,
  encodeEnvelopeFragments,
  kindOfMessageType,
  type EnvelopeFields,
} from './envelope';
import { GopCache, type GopCacheOptions, type GopEntry } from './gop-cache';
import { RateLimitedLog, relayInstruments, type Meter, type RelayInstruments } from './observe';
import { relaySubjects, type RelaySubjects } from './subjects';

/** One RTMP media message: audio (8), video (9) or AMF0 data (18); `payload` is the FLV tag body. */
export interface RelayMessage {
  type: 8 | 9 | 18;
  /** Milliseconds, as RTMP (taken modulo 2^32). */
  timestamp: number;
  payload: Uint8Array;
}

/** What the caller already knows about a message (else it is derived from the tag header). */
export interface RelayMessageInfo {
  /** A video key frame with coded frames. */
  keyframe: boolean;
  /** Decoder configuration (AVC/HEVC/... sequence header, AAC AudioSpecificConfig) or onMetaData. */
  sequenceHeader: boolean;
  /** FLV CompositionTime (ms), video only. */
  compositionOffset: number;
}

export interface RelayPublisherOptions {
  stream: string;
  /** Identifies this publishing session: a new publish (here or on another edge) must use a different epoch. */
  epoch: number;
  logger?: Logger;
  meter?: Meter;
  gop?: GopCacheOptions;
  /** Sequence number of the first message. Default 1 (a gop-end with sequence 0 then means "nothing yet"). */
  initialSequence?: number;
  /** Shared by the publishers of one connection: media publishes are coalesced (batcher.ts). Default: none. */
  batcher?: PublishBatcher;
  /**
   * With a batcher, envelopes are written into reused slabs of this size (arena.ts); 0 = one buffer per envelope.
   * Default 1 MiB. (Without a batcher there is no arena: nothing would say when nats.js is done with a slab.)
   */
  arenaSlabBytes?: number;
}

export interface RelayPublisherStats {
  /** Media messages published (end-of-stream not included). */
  messages: number;
  /** Envelopes handed to NATS (fragments count one each; GOP replies not included). */
  envelopes: number;
  /** Envelope bytes handed to NATS for media messages. */
  bytes: number;
  /** Messages that needed fragments. */
  fragmented: number;
  /** Video/audio tags whose header did not parse (relayed with flags 0). */
  malformedTags: number;
  /** Publishes NATS refused (closed connection, payload too large, ...): those messages are lost. */
  errors: number;
  /** Messages published while the client was disconnected (most likely lost: the subscribers will see a gap). */
  publishedWhileDisconnected: number;
  /** Messages given to publish() after end(), or of another message type. */
  ignored: number;
  gopRequests: number;
  /** Envelopes sent in GOP replies (gop-end markers included). */
  gopReplyEnvelopes: number;
}

/** Default until the connection reports its own (the nats-server default). */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
const EMPTY = new Uint8Array(0);

export class RelayPublisher {
  readonly stream: string;
  readonly epoch: number;
  readonly subjects: RelaySubjects;
  readonly gop: GopCache;
  readonly stats: RelayPublisherStats = {
    messages: 0,
    envelopes: 0,
    bytes: 0,
    fragmented: 0,
    malformedTags: 0,
    errors: 0,
    publishedWhileDisconnected: 0,
    ignored: 0,
    gopRequests: 0,
    gopReplyEnvelopes: 0,
  };

  private readonly nc: NatsConnection;
  private readonly logger: Logger | undefined;
  private readonly warn: RateLimitedLog;
  private readonly instruments: RelayInstruments | undefined;
  private readonly gopSub: Subscription;
  private readonly stopStatus: () => void;
  /** Reused for every encode (read synchronously by the encoder). */
  private readonly fields: EnvelopeFields;
  private nextSequence: number;
  private lastSequence: number;
  private lastTimestamp = 0;
  private maxPayload = DEFAULT_MAX_PAYLOAD;
  private connected = true;
  private done = false;
  /** Derived by deriveFlags() for the message being published. */
  private derivedCts = 0;
  private readonly batcher: PublishBatcher | undefined;
  private readonly arena: EnvelopeArena | undefined;
  /** Sequence of the message being encoded (for the arena). */
  private encoding = 0;
  /** When this stream's next message is due: lets the batcher flush early (batcher.ts). */
  private readonly cadence = new StreamCadence();

  constructor(nc: NatsConnection, options: RelayPublisherOptions) {
    this.nc = nc;
    this.stream = options.stream;
    this.subjects = relaySubjects(options.stream);
    this.epoch = options.epoch >>> 0;
    this.logger = options.logger;
    this.warn = new RateLimitedLog(options.logger);
    this.instruments = relayInstruments(options.meter);
    this.gop = new GopCache(options.gop);
    this.batcher = options.batcher;
    const slabBytes = options.arenaSlabBytes ?? DEFAULT_ARENA_SLAB_BYTES;
    const batcher = options.batcher;
    this.arena = batcher !== undefined && slabBytes > 0 ? new EnvelopeArena(() => batcher.drained, slabBytes) : undefined;
    this.nextSequence = (options.initialSequence ?? 1) >>> 0;
    this.lastSequence = (this.nextSequence - 1) >>> 0;
    this.fields = { kind: EnvelopeKind.AUDIO, flags: 0, timestamp: 0, compositionOffset: 0, sequence: 0, epoch: this.epoch };
    this.gopSub = nc.subscribe(this.subjects.gop, { callback: (err, msg) => this.onGopRequest(err, msg) });
    let atDisconnect = 0;
    this.stopStatus = watchStatus(nc, (status) => {
      if (status.type === 'disconnect' && this.connected) {
        this.connected = false;
        atDisconnect = this.stats.publishedWhileDisconnected;
      } else if (status.type === 'reconnect' && !this.connected) {
        this.connected = true;
        const lost = this.stats.publishedWhileDisconnected - atDisconnect;
        if (lost > 0) {
          this.logger?.warn(
            { stream: this.stream, publishedWhileDisconnected: lost },
            'relay: NATS reconnected; messages published while disconnected are likely lost',
          );
        }
      }
    });
  }

  /** Sequence number of the last message published (initialSequence - 1 before the first). */
  get sequence(): number {
    return this.lastSequence;
  }

  /** The envelope arena's counters (undefined without one). */
  get arenaStats(): ArenaStats | undefined {
    return this.arena?.stats;
  }

  get ended(): boolean {
    return this.done;
  }

  /**
   * Relays one message. Returns its sequence number, or -1 when it was not relayed (after end(), unknown type, or
   * larger than 255 fragments). Never throws.
   */
  publish(message: RelayMessage, info?: RelayMessageInfo): number {
    if (this.done) {
      this.stats.ignored++;
      return -1;
    }
    const kind = kindOfMessageType(message.type);
    if (kind === undefined) {
      this.stats.ignored++;
      this.warn.warn('type', { stream: this.stream, type: message.type }, 'relay: not an audio/video/data message, ignored');
      return -1;
    }
    const payload = message.payload;
    let flags: number;
    let cts: number;
    if (info !== undefined) {
      flags = (info.keyframe ? EnvelopeFlags.KEYFRAME : 0) | (info.sequenceHeader ? EnvelopeFlags.SEQUENCE_HEADER : 0);
      cts = kind === EnvelopeKind.VIDEO ? info.compositionOffset : 0;
    } else {
      flags = this.deriveFlags(kind, payload);
      cts = this.derivedCts;
    }

    const sequence = this.nextSequence;
    this.nextSequence = (sequence + 1) >>> 0;
    this.lastSequence = sequence;
    const timestamp = message.timestamp >>> 0;
    this.lastTimestamp = timestamp;

    const fields = this.fields;
    fields.kind = kind;
    fields.flags = flags;
    fields.timestamp = timestamp;
    fields.compositionOffset = cts;
    fields.sequence = sequence;

    // Decoder configuration stays in the cache for the whole session and nats.js may keep what is published while
    // disconnected: those get buffers of their own; everything else goes into the arena.
    const useArena = this.arena !== undefined && this.connected && (flags & EnvelopeFlags.SEQUENCE_HEADER) === 0;
    this.encoding = sequence;
    const maxPayload = this.currentMaxPayload();
    const alloc = useArena ? this.arenaAlloc : undefined;
    // One envelope (the rule): no list. Fragments above the server's max_payload (rare): a list.
    let envelopes: Buffer | Buffer[];
    let bytes: number;
    try {
      if (ENVELOPE_HEADER_SIZE + payload.length <= maxPayload) {
        envelopes = encodeEnvelope(fields, payload, alloc);
        bytes = envelopes.length;
      } else {
        envelopes = encodeEnvelopeFragments(fields, payload, maxPayload, alloc);
        bytes = 0;
        for (let i = 0; i < envelopes.length; i++) bytes += envelopes[i].length;
      }
    } catch (err) {
      this.stats.errors++;
      this.warn.warn('encode', { stream: this.stream, err, bytes: payload.length }, 'relay: message cannot be relayed, dropped');
      return -1;
    }

    const nextInMs = this.batcher === undefined ? Infinity : this.cadence.next(message.type, timestamp);
    let count = 1;
    if (Buffer.isBuffer(envelopes)) {
      this.sendOne(envelopes, nextInMs);
    } else {
      count = envelopes.length;
      if (count > 1) this.stats.fragmented++;
      this.send(envelopes, nextInMs);
    }
    this.stats.messages++;
    this.stats.envelopes += count;
    this.stats.bytes += bytes;
    if (!this.connected) this.stats.publishedWhileDisconnected++;
    const instruments = this.instruments;
    if (instruments !== undefined) {
      instruments.messagesPublished.add(1);
      instruments.bytesPublished.add(bytes);
    }
    this.gop.addMessage(kind, flags, sequence, timestamp, envelopes, bytes);
    return sequence;
  }

  /** Publishes end-of-stream (next sequence number), stops answering GOP requests. Idempotent, never throws. */
  end(): void {
    if (this.done) return;
    this.done = true;
    const sequence = this.nextSequence;
    this.lastSequence = sequence;
    this.nextSequence = (sequence + 1) >>> 0;
    const fields = this.fields;
    fields.kind = EnvelopeKind.END_OF_STREAM;
    fields.flags = 0;
    fields.timestamp = this.lastTimestamp;
    fields.compositionOffset = 0;
    fields.sequence = sequence;
    this.sendOne(encodeEnvelope(fields, EMPTY), Infinity);
    try {
      this.gopSub.unsubscribe();
    } catch {
      // Closed connection: nothing to unsubscribe from.
    }
    this.stopStatus();
    this.gop.clear();
    // The slabs are dropped, not reused: queued publishes may still point into them until the batcher flushes.
    this.arena?.clear();
  }

  private readonly arenaAlloc = (size: number): Buffer =>
    (this.arena as EnvelopeArena).alloc(size, this.encoding, (this.batcher as PublishBatcher).flushes, this.oldestCached);

  private readonly oldestCached = (): number | undefined => this.gop.oldestSequence;

  private readonly onPublishFailure = (err: unknown): void => {
    this.stats.errors++;
    this.warn.warn('publish', { stream: this.stream, err }, 'relay: NATS publish failed, message lost');
  };

  /** One envelope (see send()). */
  private sendOne(envelope: Buffer, nextInMs: number): void {
    const batcher = this.batcher;
    if (batcher !== undefined) {
      batcher.publish(this.subjects.media, envelope, this.onPublishFailure, nextInMs);
      return;
    }
    try {
      this.nc.publish(this.subjects.media, envelope);
    } catch (err) {
      this.onPublishFailure(err);
    }
  }

  /** `nextInMs`: when the stream's next message is due (ms; Infinity = unknown or nothing soon). */
  private send(envelopes: readonly Buffer[], nextInMs = Infinity): void {
    if (this.batcher !== undefined) {
      // A message's fragments go out together: each but the last is followed at once by the next.
      const last = envelopes.length - 1;
      for (let i = 0; i < last; i++) this.sendOne(envelopes[i], 0);
      this.sendOne(envelopes[last], nextInMs);
      return;
    }
    try {
      for (let i = 0; i < envelopes.length; i++) this.nc.publish(this.subjects.media, envelopes[i]);
    } catch (err) {
      this.onPublishFailure(err);
    }
  }

  private currentMaxPayload(): number {
    const fromServer = this.nc.info?.max_payload;
    if (fromServer !== undefined && fromServer > 0) this.maxPayload = fromServer;
    return this.maxPayload;
  }

  /** Flags from the tag header (libs/flv's one definition); sets `derivedCts`. Malformed tags get flags 0. */
  private deriveFlags(kind: EnvelopeKind, payload: Uint8Array): number {
    this.derivedCts = 0;
    try {
      if (kind === EnvelopeKind.VIDEO) {
        const flags = videoFrameFlags(parseVideoTag(payload));
        this.derivedCts = flags.compositionOffset;
        return flags.config ? EnvelopeFlags.SEQUENCE_HEADER : flags.keyframe ? EnvelopeFlags.KEYFRAME : 0;
      }
      if (kind === EnvelopeKind.AUDIO) return audioIsConfig(parseAudioTag(payload)) ? EnvelopeFlags.SEQUENCE_HEADER : 0;
    } catch {
      this.stats.malformedTags++;
      return 0;
    }
    return isMetadata(payload) ? EnvelopeFlags.SEQUENCE_HEADER : 0;
  }

  private onGopRequest(err: Error | null, msg: Msg): void {
    if (err !== null) {
      this.warn.warn('gop-sub', { stream: this.stream, err }, 'relay: GOP request subscription error');
      return;
    }
    const reply = msg.reply;
    if (this.done || !reply) return;
    this.stats.gopRequests++;
    // Media still queued in the batcher goes out first: the reply must not overtake what it is spliced with.
    this.batcher?.flush();
    const gop = this.gop;
    const entries: GopEntry[] = gop.snapshot();
    const fields = this.fields;
    fields.kind = EnvelopeKind.GOP_END;
    fields.flags = gop.complete ? EnvelopeFlags.KEYFRAME : 0;
    fields.timestamp = this.lastTimestamp;
    fields.compositionOffset = 0;
    fields.sequence = this.lastSequence;
    const end = encodeEnvelope(fields, EMPTY);
    let sent = 0;
    try {
      for (const entry of entries) {
        const envelopes = entry.envelopes;
        for (let i = 0; i < envelopes.length; i++) {
          this.nc.publish(reply, envelopes[i]);
          sent++;
        }
      }
      this.nc.publish(reply, end);
      sent++;
    } catch (e) {
      this.stats.errors++;
      this.warn.warn('gop-reply', { stream: this.stream, err: e }, 'relay: GOP reply failed');
    }
    this.stats.gopReplyEnvelopes += sent;
    this.logger?.debug({ stream: this.stream, messages: entries.length, envelopes: sent, lastSequence: this.lastSequence }, 'relay: GOP request answered');
  }
}
