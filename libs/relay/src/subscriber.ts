/**
 * Origin side of the relay: one subscription to `media.<stream>` per stream per origin, shared by every local
 * viewer (the origin app keeps one RelaySubscriber per stream and fans out).
 *
 * Joining mid-stream (start()):
 *   1. subscribe `media.<stream>` first; live messages are buffered from then on;
 *   2. subscribe a reply inbox and publish a GOP request to `gop.<stream>` (NATS keeps one connection's order, so
 *      the media subscription is registered before the edge can see the request);
 *   3. the edge replies with the snapshot (metadata, sequence headers, the GOP from its key frame), then a gop-end
 *      envelope carrying the last sequence number the snapshot covers;
 *   4. snapshot messages are delivered as they arrive, then the buffered live messages with a later sequence
 *      number (earlier ones were in the snapshot), then the live flow.
 *   With no answer within gopTimeoutMs (or "no responders" from the server), the live flow starts at once, in
 *   resync: only metadata and sequence headers until the next key frame.
 *
 * Live flow: a sequence number other than last+1 (same epoch) is a gap: onGap(expected, got), then resync until
 * the next video key frame (an audio-only stream resyncs at the next audio message). A new epoch means a new
 * publishing session (the publisher reconnected, maybe to another edge): onRestart(epoch), its sequence is
 * accepted as it comes, and delivery resumes at its key frame (sessions start with headers and a key frame).
 * Handlers are called synchronously from the NATS read loop; exceptions they throw are caught, counted and logged.
 */
import { createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Logger } from '@ingest/telemetry';
import {
  EnvelopeFlags,
  EnvelopeKind,
  FragmentAssembler,
  decodeEnvelope,
  isKeyframe,
  messageTypeOfKind,
  sequenceDiff,
  type DecodedEnvelope,
  type EnvelopeHeader,
} from './envelope';
import { RateLimitedLog, relayInstruments, type Meter, type RelayInstruments } from './observe';
import { relaySubjects, type RelaySubjects } from './subjects';

export interface RelayedMessage {
  /** The decoded header; for a reassembled message, the first fragment's with the total payloadLength. */
  header: EnvelopeHeader;
  /** RTMP message type: 8 audio, 9 video, 18 AMF0 data. */
  type: 8 | 9 | 18;
  /** The FLV tag body: a view into the NATS message, or the reassembled buffer. */
  payload: Uint8Array;
  /** The envelope as received (header + payload) when it was not fragmented. */
  envelope: Uint8Array | undefined;
  /** Delivered from the GOP snapshot rather than the live flow. */
  fromGop: boolean;
}

export interface RelaySubscriberHandlers {
  onMessage?: (message: RelayedMessage) => void;
  /** Sequence numbers were skipped (messages lost between edge and origin). */
  onGap?: (expected: number, got: number) => void;
  /** The publisher ended the stream (end-of-stream envelope). */
  onEnd?: () => void;
  /** A new publishing session (edge epoch changed): sequence numbers restart. */
  onRestart?: (newEpoch: number) => void;
}

export interface RelaySubscriberOptions extends RelaySubscriberHandlers {
  stream: string;
  logger?: Logger;
  meter?: Meter;
  /** How long to wait for an edge to answer the GOP request. Default 1000 ms. */
  gopTimeoutMs?: number;
  /** Live bytes kept while the GOP request is answered; beyond it the oldest are dropped. Default 16 MiB. */
  maxJoinBufferBytes?: number;
  /** Prefix of the reply inbox, if the connection's permissions need one. Default `_INBOX`. */
  inboxPrefix?: string;
}

export interface RelayJoinResult {
  /** An edge answered with a complete snapshot (gop-end received). */
  answered: boolean;
  /** Messages delivered from the snapshot. */
  gopMessages: number;
  /** In sync after the join (else waiting for the next key frame). */
  synced: boolean;
}

export interface RelaySubscriberStats {
  /** Envelopes received on the media subject. */
  received: number;
  /** Messages given to onMessage (snapshot included). */
  delivered: number;
  /** Messages not delivered while resynchronising (waiting for a key frame). */
  skipped: number;
  /** Messages already delivered (from the snapshot) or older than the last one. */
  duplicates: number;
  gaps: number;
  restarts: number;
  /** Envelopes that failed to decode (RelayError). */
  decodeErrors: number;
  /** Live messages dropped because the join buffer was full. */
  joinBufferDropped: number;
  /** Handler exceptions caught. */
  handlerErrors: number;
}

type Phase = 'idle' | 'joining' | 'live' | 'closed';

const EMPTY = new Uint8Array(0);
const DEFAULT_JOIN_BUFFER_BYTES = 16 * 1024 * 1024;
const NO_RESPONDERS = 503;
const noop = (): void => undefined;

export class RelaySubscriber {
  readonly stream: string;
  readonly subjects: RelaySubjects;
  readonly stats: RelaySubscriberStats = {
    received: 0,
    delivered: 0,
    skipped: 0,
    duplicates: 0,
    gaps: 0,
    restarts: 0,
    decodeErrors: 0,
    joinBufferDropped: 0,
    handlerErrors: 0,
  };

  onMessage: (message: RelayedMessage) => void;
  onGap: (expected: number, got: number) => void;
  onEnd: () => void;
  onRestart: (newEpoch: number) => void;

  private readonly nc: NatsConnection;
  private readonly logger: Logger | undefined;
  private readonly warn: RateLimitedLog;
  private readonly instruments: RelayInstruments | undefined;
  private readonly gopTimeoutMs: number;
  private readonly maxJoinBufferBytes: number;
  private readonly inboxPrefix: string | undefined;
  private readonly liveAssembler = new FragmentAssembler();
  private readonly gopAssembler = new FragmentAssembler();

  private phase: Phase = 'idle';
  private mediaSub: Subscription | undefined;
  private inboxSub: Subscription | undefined;
  private joinTimer: NodeJS.Timeout | undefined;
  private joining: Promise<RelayJoinResult> | undefined;
  private resolveJoin: ((result: RelayJoinResult) => void) | undefined;
  private joinBuffer: RelayedMessage[] = [];
  private joinBufferBytes = 0;
  /** Epoch of the first GOP reply: replies from any other responder are ignored. */
  private replyEpoch: number | undefined;
  private gopMessages = 0;
  private lastGopSequence: number | undefined;

  private currentEpoch: number | undefined;
  private lastSequence: number | undefined;
  /** Waiting for a key frame (or, audio-only, an audio message): only metadata and sequence headers pass. */
  private resync = true;
  /** Video seen in the current epoch: resync then needs a video key frame. */
  private videoSeen = false;

  constructor(nc: NatsConnection, options: RelaySubscriberOptions) {
    this.nc = nc;
    this.stream = options.stream;
    this.subjects = relaySubjects(options.stream);
    this.logger = options.logger;
    this.warn = new RateLimitedLog(options.logger);
    this.instruments = relayInstruments(options.meter);
    this.gopTimeoutMs = options.gopTimeoutMs ?? 1000;
    this.maxJoinBufferBytes = options.maxJoinBufferBytes ?? DEFAULT_JOIN_BUFFER_BYTES;
    this.inboxPrefix = options.inboxPrefix;
    this.onMessage = options.onMessage ?? noop;
    this.onGap = options.onGap ?? noop;
    this.onEnd = options.onEnd ?? noop;
    this.onRestart = options.onRestart ?? noop;
  }

  /** Epoch of the session being relayed (undefined before the first message). */
  get epoch(): number | undefined {
    return this.currentEpoch;
  }

  /** Last sequence number accepted. */
  get sequence(): number | undefined {
    return this.lastSequence;
  }

  /** Delivering everything (not waiting for a key frame). */
  get synced(): boolean {
    return !this.resync;
  }

  /**
   * Subscribes, asks for the GOP, and resolves once the join is over (snapshot delivered, or no answer within
   * gopTimeoutMs). Messages are delivered through onMessage from the start. Calling it again returns the same join.
   */
  start(): Promise<RelayJoinResult> {
    if (this.joining !== undefined) return this.joining;
    if (this.phase === 'closed') return Promise.reject(new Error('RelaySubscriber is closed'));
    this.joining = new Promise<RelayJoinResult>((resolve) => {
      this.resolveJoin = resolve;
    });
    this.phase = 'joining';
    try {
      this.mediaSub = this.nc.subscribe(this.subjects.media, { callback: (err, msg) => this.onMedia(err, msg) });
      const inbox = createInbox(this.inboxPrefix);
      this.inboxSub = this.nc.subscribe(inbox, { callback: (err, msg) => this.onGopReply(err, msg) });
      this.nc.publish(this.subjects.gop, EMPTY, { reply: inbox });
    } catch (err) {
      this.close();
      return Promise.reject(err);
    }
    this.joinTimer = setTimeout(() => this.finishJoin(undefined, 'timeout'), this.gopTimeoutMs);
    return this.joining;
  }

  /** Unsubscribes; no handler is called afterwards. Idempotent. */
  close(): void {
    if (this.phase === 'closed') return;
    const wasJoining = this.phase === 'joining';
    this.phase = 'closed';
    clearTimeout(this.joinTimer);
    this.unsubscribe(this.inboxSub);
    this.unsubscribe(this.mediaSub);
    this.inboxSub = undefined;
    this.mediaSub = undefined;
    this.joinBuffer = [];
    this.joinBufferBytes = 0;
    this.liveAssembler.clear();
    this.gopAssembler.clear();
    if (wasJoining) this.resolveJoin?.({ answered: false, gopMessages: this.gopMessages, synced: false });
    this.resolveJoin = undefined;
  }

  private unsubscribe(sub: Subscription | undefined): void {
    try {
      sub?.unsubscribe();
    } catch {
      // Closed connection: the subscription is gone with it.
    }
  }

  private decode(data: Uint8Array): DecodedEnvelope | undefined {
    try {
      return decodeEnvelope(data);
    } catch (err) {
      this.stats.decodeErrors++;
      this.warn.warn('decode', { stream: this.stream, err, bytes: data.length }, 'relay: bad envelope dropped');
      return undefined;
    }
  }

  private onMedia(err: Error | null, msg: Msg): void {
    if (err !== null) {
      this.warn.warn('media-sub', { stream: this.stream, err }, 'relay: media subscription error');
      return;
    }
    if (this.phase !== 'joining' && this.phase !== 'live') return;
    const data = msg.data;
    const env = this.decode(data);
    if (env === undefined) return;
    this.stats.received++;
    const kind = env.header.kind;
    if (kind === EnvelopeKind.GOP_END) return; // only meaningful on a reply inbox
    // Non-fragmented envelopes come back as they are (and end any older message still being reassembled).
    const whole = this.liveAssembler.push(env);
    if (whole === undefined) return;
    const message: RelayedMessage = {
      header: whole.header,
      type: messageTypeOfKind(kind) ?? 18,
      payload: whole.payload,
      envelope: whole === env ? data : undefined,
      fromGop: false,
    };
    if (this.phase === 'joining') this.bufferLive(message);
    else this.processLive(message);
  }

  private bufferLive(message: RelayedMessage): void {
    this.joinBuffer.push(message);
    this.joinBufferBytes += message.payload.length;
    while (this.joinBufferBytes > this.maxJoinBufferBytes && this.joinBuffer.length > 1) {
      const dropped = this.joinBuffer.shift() as RelayedMessage;
      this.joinBufferBytes -= dropped.payload.length;
      this.stats.joinBufferDropped++;
    }
  }

  private onGopReply(err: Error | null, msg: Msg): void {
    if (this.phase !== 'joining') return;
    if (err !== null) {
      this.warn.warn('gop-reply', { stream: this.stream, err }, 'relay: GOP reply subscription error');
      return;
    }
    const data = msg.data;
    if (data.length === 0) {
      // The server's "no responders" status (503): no edge has this stream now.
      if (msg.headers?.code === NO_RESPONDERS) this.finishJoin(undefined, 'no responders');
      return;
    }
    const env = this.decode(data);
    if (env === undefined) return;
    const h = env.header;
    if (this.replyEpoch === undefined) this.replyEpoch = h.epoch;
    else if (h.epoch !== this.replyEpoch) return; // a second responder: keep the first
    if (h.kind === EnvelopeKind.GOP_END) {
      this.finishJoin(h, 'answered');
      return;
    }
    const whole = this.gopAssembler.push(env);
    if (whole === undefined) return;
    const kind = whole.header.kind;
    if (kind === EnvelopeKind.END_OF_STREAM) return;
    if (kind === EnvelopeKind.VIDEO) this.videoSeen = true;
    this.currentEpoch = h.epoch;
    this.gopMessages++;
    this.lastGopSequence = whole.header.sequence;
    this.deliver({
      header: whole.header,
      type: messageTypeOfKind(kind) ?? 18,
      payload: whole.payload,
      envelope: whole === env ? data : undefined,
      fromGop: true,
    });
  }

  private finishJoin(end: EnvelopeHeader | undefined, reason: 'answered' | 'timeout' | 'no responders'): void {
    if (this.phase !== 'joining') return;
    this.phase = 'live';
    clearTimeout(this.joinTimer);
    this.joinTimer = undefined;
    this.unsubscribe(this.inboxSub);
    this.inboxSub = undefined;
    this.gopAssembler.clear();

    // Live messages up to this sequence (same epoch) were in the snapshot.
    let coveredEpoch: number | undefined;
    let coveredSequence: number | undefined;
    if (end !== undefined) {
      this.currentEpoch = end.epoch;
      this.lastSequence = end.sequence;
      // If the join buffer overflowed, the first live message kept is not last+1 and gap detection takes over.
      this.resync = (end.flags & EnvelopeFlags.KEYFRAME) === 0;
      coveredEpoch = end.epoch;
      coveredSequence = end.sequence;
    } else {
      // No (complete) answer: the live flow decides the epoch and sequence; wait for a key frame.
      this.lastSequence = undefined;
      this.resync = true;
      if (this.lastGopSequence !== undefined) {
        coveredEpoch = this.replyEpoch;
        coveredSequence = this.lastGopSequence;
      } else {
        this.currentEpoch = undefined;
      }
    }
    this.logger?.debug(
      { stream: this.stream, reason, gopMessages: this.gopMessages, buffered: this.joinBuffer.length, sequence: end?.sequence },
      'relay: joined',
    );

    const buffered = this.joinBuffer;
    this.joinBuffer = [];
    this.joinBufferBytes = 0;
    for (const message of buffered) {
      if (this.phase !== 'live') break; // a handler closed us
      const h = message.header;
      if (coveredSequence !== undefined && h.epoch === coveredEpoch && sequenceDiff(h.sequence, coveredSequence) <= 0) {
        this.stats.duplicates++;
        continue;
      }
      this.processLive(message);
    }

    const resolve = this.resolveJoin;
    this.resolveJoin = undefined;
    resolve?.({ answered: end !== undefined, gopMessages: this.gopMessages, synced: !this.resync });
  }

  private processLive(message: RelayedMessage): void {
    const h = message.header;
    const epoch = this.currentEpoch;
    if (epoch === undefined || h.epoch !== epoch) {
      this.currentEpoch = h.epoch;
      this.lastSequence = h.sequence;
      if (epoch !== undefined) {
        this.stats.restarts++;
        this.videoSeen = false;
        this.resync = true;
        this.logger?.info({ stream: this.stream, epoch: h.epoch, previousEpoch: epoch }, 'relay: publisher restarted (new epoch)');
        this.call(this.onRestart, h.epoch);
        if (this.phase !== 'live') return;
      }
    } else if (this.lastSequence === undefined) {
      this.lastSequence = h.sequence;
    } else {
      const expected = (this.lastSequence + 1) >>> 0;
      if (h.sequence !== expected) {
        if (sequenceDiff(h.sequence, this.lastSequence) <= 0) {
          this.stats.duplicates++;
          return;
        }
        this.lastSequence = h.sequence;
        this.resync = true;
        this.stats.gaps++;
        this.instruments?.gaps.add(1);
        this.warn.warn('gap', { stream: this.stream, expected, got: h.sequence }, 'relay: sequence gap, resynchronising at the next key frame');
        this.call(this.onGap, expected, h.sequence);
        if (this.phase !== 'live') return;
      } else {
        this.lastSequence = h.sequence;
      }
    }

    const kind = h.kind;
    if (kind === EnvelopeKind.END_OF_STREAM) {
      this.resync = true;
      this.call(this.onEnd);
      return;
    }
    if (kind === EnvelopeKind.VIDEO) this.videoSeen = true;
    if (this.resync) {
      if (kind === EnvelopeKind.DATA || (h.flags & EnvelopeFlags.SEQUENCE_HEADER) !== 0) {
        // Metadata and decoder configuration always pass.
      } else if (isKeyframe(h) || (kind === EnvelopeKind.AUDIO && !this.videoSeen)) {
        this.resync = false;
      } else {
        this.stats.skipped++;
        return;
      }
    }
    this.deliver(message);
  }

  private deliver(message: RelayedMessage): void {
    this.stats.delivered++;
    try {
      this.onMessage(message);
    } catch (err) {
      this.stats.handlerErrors++;
      this.warn.warn('handler', { stream: this.stream, err }, 'relay: onMessage threw');
    }
  }

  private call<A extends unknown[]>(handler: (...args: A) => void, ...args: A): void {
    try {
      handler(...args);
    } catch (err) {
      this.stats.handlerErrors++;
      this.warn.warn('handler', { stream: this.stream, err }, 'relay: handler threw');
    }
  }
}
