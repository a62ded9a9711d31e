/**
 * Direct ingest into this origin, without an edge, Redis or NATS: a single-process mode for small deployments
 * and the benchmark's "what does the relay cost" comparison. Off unless ORIGIN_DIRECT_INGEST_PORT is set.
 * Publishers' messages become OutMessages in a local hub, exactly as relayed messages do.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { FlvError, audioIsConfig, isMetadata, parseAudioTag, parseVideoTag, unwrapSetDataFrame, videoFrameFlags } from '@ingest/flv';
import { RtmpError, RtmpServerSession, type RtmpMessage } from '@ingest/rtmp';
import { listen } from '@ingest/service';
import type { Logger } from '@ingest/telemetry';
import { fanoutLimits, type OriginConfig } from './config';
import { STREAM_NAME, type StreamDirectory } from './directory';
import { StreamHub, type HubEvents } from './hub';
import { OutMessage, TYPE_AUDIO, TYPE_DATA, TYPE_VIDEO } from './media';

/** One publisher message as the relay would flag it (libs/flv's definitions of keyframe and configuration). */
export function classify(message: RtmpMessage): OutMessage | undefined {
  const { type, payload } = message;
  try {
    if (type === TYPE_VIDEO) {
      const flags = videoFrameFlags(parseVideoTag(payload));
      return new OutMessage(type, message.timestamp, payload, flags.keyframe, flags.config);
    }
    if (type === TYPE_AUDIO) return new OutMessage(type, message.timestamp, payload, false, audioIsConfig(parseAudioTag(payload)));
    if (type === TYPE_DATA || type === 15) return new OutMessage(TYPE_DATA, message.timestamp, unwrapSetDataFrame(payload), false, isMetadata(payload));
  } catch (err) {
    if (!(err instanceof FlvError)) throw err;
  }
  return undefined;
}

/** Local streams first, then whatever the fallback directory (the relay) has. */
export class DirectIngest implements StreamDirectory {
  private readonly hubs = new Map<string, StreamHub>();
  private server: Server | undefined;

  constructor(
    private readonly config: OriginConfig,
    private readonly fallback: StreamDirectory,
    private readonly events: HubEvents,
    private readonly logger: Logger,
  ) {}

  async open(name: string): Promise<StreamHub | undefined> {
    return this.hubs.get(name) ?? this.fallback.open(name);
  }

  release(hub: StreamHub): void {
    if (!this.hubs.has(hub.name)) this.fallback.release(hub);
  }

  hubList(): StreamHub[] {
    return [...this.hubs.values()];
  }

  listen(port: number, host: string): Promise<number> {
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    return listen(this.server, port, host);
  }

  private accept(socket: Socket): void {
    const log = this.logger.child({ client: `${socket.remoteAddress}:${socket.remotePort}`, transport: 'rtmp-direct' });
    const published = new Map<number, StreamHub>();
    const session: RtmpServerSession = new RtmpServerSession(
      {
        send: (data) => void (!socket.destroyed && socket.write(data)),
        onPublish: (request) => {
          if (!STREAM_NAME.test(request.name) || this.hubs.has(request.name)) {
            session.rejectPublish(request.streamId, 'NetStream.Publish.BadName', 'Stream name is invalid or already live.');
            socket.end();
            return;
          }
          const hub = new StreamHub(request.name, fanoutLimits(this.config), this.events);
          hub.startedAt = Date.now();
          this.hubs.set(request.name, hub);
          published.set(request.streamId, hub);
          session.acceptPublish(request.streamId);
          log.info({ stream: request.name }, 'direct publish started');
        },
        onMedia: (streamId, message) => {
          const out = classify(message);
          if (out) published.get(streamId)?.publish(out);
        },
        onUnpublish: (streamId) => end(streamId),
      },
      { chunkSize: this.config.chunkSize, now: () => Date.now() },
    );
    const end = (streamId: number) => {
      const hub = published.get(streamId);
      if (!hub) return;
      published.delete(streamId);
      this.hubs.delete(hub.name);
      hub.end();
      log.info({ stream: hub.name }, 'direct publish ended');
    };
    socket.on('data', (data: Buffer) => {
      try {
        session.push(data);
      } catch (err) {
        log.warn({ code: err instanceof RtmpError ? err.code : 'ORIGIN_INTERNAL', reason: (err as Error).message }, 'connection closed');
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      session.close();
      for (const id of [...published.keys()]) end(id);
    });
  }

  async stop(): Promise<void> {
    for (const hub of this.hubs.values()) hub.end();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
