/**
 * One benchmark publisher: an RtmpTestClient (real socket) that connects, publishes, sends onMetaData and then
 * replays the file's tags at real-time pace, looping with monotonic timestamps (pacing.ts).
 *
 * Media messages are chunked by the client session's own ChunkWriter (so header compression and the announced
 * chunk size are the session's) and written straight to the socket by us, which lets us count the bytes and see
 * back-pressure: when `socket.write` returns false we stop and continue on 'drain'. Per message the work is one
 * ChunkWriter.encode (one allocation and copy) and one write: no strings, no JSON.
 * One timer per publisher: it wakes at the next tag's due time and sends every tag due by then.
 */
import { performance } from 'node:perf_hooks';
import type { AmfValue } from '@ingest/amf';
import { RtmpTestClient } from '@ingest/testing';
import { csidFor } from './chunk-reader-bench';
import type { MediaTag } from './media';
import { PacingCursor, type Timeline } from './pacing';

export interface PublisherCounters {
  /** Bytes handed to socket.write for media messages (RTMP chunks, headers included). */
  bytes: number;
  messages: number;
  videoFrames: number;
  audioFrames: number;
  /** Times socket.write returned false and we waited for 'drain'. */
  drainWaits: number;
  /** Sum and maximum of (send time - due time), ms, over the messages sent. */
  lagSumMs: number;
  lagMaxMs: number;
}

export function emptyCounters(): PublisherCounters {
  return { bytes: 0, messages: 0, videoFrames: 0, audioFrames: 0, drainWaits: 0, lagSumMs: 0, lagMaxMs: 0 };
}

export class PacedPublisher {
  readonly name: string;
  readonly counters = emptyCounters();
  client: RtmpTestClient | undefined;
  /** Set when the connection failed or closed while we were still sending. */
  error: Error | undefined;
  /**
   * Called right after each media message was handed to `socket.write`, with its RTMP type and timestamp and
   * performance.now() at that moment (the fanout scenario's latency reference). Unset: no extra clock read.
   */
  onSent: ((type: number, timestamp: number, at: number) => void) | undefined;
  private streamId = 0;
  private startedAt = 0;
  private cursor: PacingCursor<MediaTag>;
  private timer: NodeJS.Timeout | undefined;
  private waitingForDrain = false;
  private running = false;

  constructor(
    readonly index: number,
    private readonly port: number,
    timeline: Timeline<MediaTag>,
    private readonly metadata: AmfValue | undefined,
    private readonly chunkSize: number,
  ) {
    this.name = `bench-${index}`;
    this.cursor = new PacingCursor(timeline);
  }

  get up(): boolean {
    return this.running && this.error === undefined;
  }

  /** Connects and publishes; once the server accepted, sends onMetaData and starts the real-time replay. */
  async start(): Promise<void> {
    const client = new RtmpTestClient({ port: this.port, chunkSize: this.chunkSize });
    this.client = client;
    client.keepMedia = false;
    void client.closed.then(() => {
      if (this.running) this.error ??= new Error(`${this.name}: connection closed by the server`);
      this.stopTimer();
    });
    const { streamId, status } = await client.publish(this.name);
    if (status.info.code !== 'NetStream.Publish.Start') throw new Error(`${this.name}: publish answered ${String(status.info.code)}`);
    this.streamId = streamId;
    if (this.metadata !== undefined) client.session.sendMetadata(streamId, this.metadata);
    this.running = true;
    this.startedAt = performance.now();
    this.pump();
  }

  private readonly pump = (): void => {
    this.timer = undefined;
    this.waitingForDrain = false;
    const client = this.client;
    if (!this.running || !client || client.socket.destroyed) return;
    const { socket, session } = client;
    const counters = this.counters;
    const cursor = this.cursor;
    const now = performance.now() - this.startedAt;
    while (cursor.dueMs <= now) {
      const tag = cursor.tag;
      const due = cursor.dueMs;
      const timestamp = cursor.timestamp;
      const data = session.writer.encode(csidFor(tag.type), tag.type, this.streamId, timestamp, tag.body);
      cursor.advance();
      counters.bytes += data.length;
      counters.messages++;
      if (tag.kind === 'videoFrame') counters.videoFrames++;
      else if (tag.kind === 'audioFrame') counters.audioFrames++;
      const lag = performance.now() - this.startedAt - due;
      counters.lagSumMs += lag;
      if (lag > counters.lagMaxMs) counters.lagMaxMs = lag;
      const flushed = socket.write(data);
      this.onSent?.(tag.type, timestamp, performance.now());
      if (!flushed) {
        counters.drainWaits++;
        this.waitingForDrain = true;
        socket.once('drain', this.pump);
        return;
      }
    }
    this.timer = setTimeout(this.pump, Math.max(0, cursor.dueMs - now));
  };

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Stops sending, sends FCUnpublish + deleteStream as encoders do, and closes the socket once everything
   * written has been flushed.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.stopTimer();
    const client = this.client;
    if (!client || client.socket.destroyed) return;
    if (this.waitingForDrain) client.socket.off('drain', this.pump);
    client.session.unpublish(this.streamId, this.name);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.socket.destroy();
        resolve();
      }, 5000);
      client.socket.end(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Immediate close (errors, SIGINT). */
  destroy(): void {
    this.running = false;
    this.stopTimer();
    this.client?.close();
  }
}
