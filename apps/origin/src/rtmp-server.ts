/**
 * RTMP playback: connect, createStream, play (StreamNotFound for unknown names), pause/resume, closeStream.
 * The session handles the protocol; media goes from the hub to the socket as shared, pre-chunked buffers.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { RtmpError, RtmpServerSession } from '@ingest/rtmp';
import type { Logger } from '@ingest/telemetry';
import type { OriginConfig } from './config';
import { STREAM_NAME, type StreamDirectory } from './directory';
import type { StreamHub } from './hub';
import { RtmpViewer, type Viewer } from './viewer';

export interface ViewerTracker {
  added(viewer: Viewer, hub: StreamHub): void;
  removed(viewer: Viewer, hub: StreamHub, reason: string): void;
  count(): number;
}

export function createRtmpPlayServer(config: OriginConfig, directory: StreamDirectory, tracker: ViewerTracker, logger: Logger): Server {
  return createServer({ noDelay: true }, (socket) => handlePlayConnection(socket, config, directory, tracker, logger));
}

function handlePlayConnection(socket: Socket, config: OriginConfig, directory: StreamDirectory, tracker: ViewerTracker, logger: Logger): void {
  const remote = `${socket.remoteAddress}:${socket.remotePort}`;
  const log = logger.child({ client: remote, transport: 'rtmp' });
  const playing = new Map<number, { viewer: RtmpViewer; hub: StreamHub }>();
  let closed = false;

  const fail = (code: string, reason: string) => {
    if (closed) return;
    log.warn({ code, reason }, `connection closed: ${code}`);
    close();
  };
  const close = () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    session.close();
    for (const { viewer } of playing.values()) viewer.close('connection closed');
    playing.clear();
    socket.destroy();
  };

  const stopPlaying = (streamId: number, reason: string) => {
    const entry = playing.get(streamId);
    if (!entry) return;
    playing.delete(streamId);
    entry.viewer.close(reason, true);
  };

  const session: RtmpServerSession = new RtmpServerSession(
    {
      send: (data) => {
        if (!closed) socket.write(data);
      },
      onConnect: () => {
        clearTimeout(timer);
        return undefined;
      },
      onPlay: (request) => {
        if (!STREAM_NAME.test(request.name)) {
          session.rejectPlay(request.streamId, 'NetStream.Play.StreamNotFound', 'Stream name is not valid.');
          return;
        }
        if (tracker.count() >= config.maxViewers) {
          session.rejectPlay(request.streamId, 'NetStream.Play.Failed', 'Too many viewers on this origin.');
          return;
        }
        directory
          .open(request.name)
          .then((hub) => {
            if (closed) return;
            if (!hub) {
              session.rejectPlay(request.streamId, 'NetStream.Play.StreamNotFound', `Stream ${request.name} is not live.`);
              return;
            }
            session.acceptPlay(request.streamId);
            const viewer = new RtmpViewer(socket, remote, config.chunkSize, request.streamId, () => session.endPlay(request.streamId));
            viewer.onClose = (v, reason) => {
              hub.removeViewer(v);
              directory.release(hub);
              tracker.removed(v, hub, reason);
            };
            playing.set(request.streamId, { viewer, hub });
            tracker.added(viewer, hub);
            hub.addViewer(viewer);
          })
          .catch((err: Error) => {
            if (closed) return;
            log.warn({ code: 'ORIGIN_LOOKUP_FAILED', reason: err.message }, 'stream lookup failed');
            session.rejectPlay(request.streamId, 'NetStream.Play.Failed', 'Stream lookup failed.');
          });
      },
      onPlayStop: (streamId) => stopPlaying(streamId, 'closeStream'),
      onPause: (streamId, paused) => {
        const entry = playing.get(streamId);
        if (!entry) return;
        entry.viewer.pausedFlag = paused;
        if (!paused) entry.viewer.waitingForKeyframe = entry.hub.cache.hasVideo;
      },
      onPublish: (request) => session.rejectPublish(request.streamId, 'NetStream.Publish.Denied', 'This is a playback node; publish to an edge.'),
    },
    { chunkSize: config.chunkSize, now: () => Date.now() },
  );

  const timer = setTimeout(() => fail('ORIGIN_HANDSHAKE_TIMEOUT', `no connect within ${config.handshakeTimeoutMs} ms`), config.handshakeTimeoutMs);
  socket.on('data', (data: Buffer) => {
    if (closed) return;
    try {
      session.push(data);
    } catch (err) {
      if (err instanceof RtmpError) fail(err.code, err.message);
      else fail('ORIGIN_INTERNAL', (err as Error).message);
    }
  });
  socket.on('error', () => close());
  socket.on('close', () => close());
}
