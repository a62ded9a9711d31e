/**
 * Server side of an RTMP connection, without I/O: the owner feeds received bytes to `push()`, writes what
 * `handler.send()` is given, and answers the publish/play requests it is told about with accept/reject calls.
 *
 * Publishing (what FFmpeg, OBS, GStreamer and hardware encoders send):
 *   connect -> _result(NetConnection.Connect.Success), preceded by Window Ack Size, Set Peer Bandwidth, Set Chunk Size
 *   releaseStream, FCPublish -> _result, onFCPublish
 *   createStream -> _result(stream id)
 *   publish(name) -> the application decides -> StreamBegin + onStatus(NetStream.Publish.Start)
 *                                               or onStatus(NetStream.Publish.BadName | ...) and close
 *   @setDataFrame/onMetaData, audio, video ...
 *   FCUnpublish, deleteStream (or closeStream) -> onStatus(NetStream.Unpublish.Success)
 * Playing: connect, createStream, play(name) -> StreamBegin, Play.Reset, Play.Start, |RtmpSampleAccess
 *   (or Play.StreamNotFound); pause/unpause, seek, receiveAudio/receiveVideo, closeStream.
 */
import { encodeAmf0, type AmfLimits, type AmfObject, type AmfValue } from '@ingest/amf';
import { ChunkReader, type ChunkReaderLimits, type RtmpMessage } from './chunk-reader';
import { ChunkWriter } from './chunk-writer';
import { decodeCommand, encodeCommand, numberProperty, statusInfo, stringProperty, type RtmpCommand, type StatusLevel } from './commands';
import { ChunkStream, MessageType, UserControlEvent } from './constants';
import {
  genAcknowledgement,
  genSetChunkSize,
  genSetPeerBandwidth,
  genUserControl,
  genWindowAckSize,
  handleUInt32Control,
  handleUserControl,
} from './control';
import { RtmpError } from './errors';
import { ServerHandshake, type HandshakeKind } from './handshake';

export interface ConnectInfo {
  app: string;
  tcUrl: string;
  flashVer?: string;
  objectEncoding: number;
  /** The whole command object, for anything else the application wants. */
  object: AmfValue;
}

export interface PublishRequest {
  streamId: number;
  /** Stream name without its query string. */
  name: string;
  /** Query string after '?', without the '?' ('' when none). */
  query: string;
  /** 'live' | 'record' | 'append' as the client sent it. */
  publishType: string;
}

export interface PlayRequest {
  streamId: number;
  name: string;
  query: string;
  start: number;
  duration: number;
  reset: boolean;
}

export type UnpublishReason = 'FCUnpublish' | 'deleteStream' | 'closeStream';

export interface ServerSessionHandler {
  /** Bytes to write to the peer, in order. */
  send(data: Buffer): void;
  /** Return a string to refuse the connection with NetConnection.Connect.Rejected and that description. */
  onConnect?(info: ConnectInfo): string | void;
  /** Answer later with acceptPublish() or rejectPublish(). */
  onPublish?(request: PublishRequest): void;
  onUnpublish?(streamId: number, reason: UnpublishReason): void;
  /** Answer later with acceptPlay() or rejectPlay(). */
  onPlay?(request: PlayRequest): void;
  onPlayStop?(streamId: number): void;
  onPause?(streamId: number, paused: boolean, positionMs: number): void;
  onReceiveMedia?(streamId: number, kind: 'audio' | 'video', enabled: boolean): void;
  /** Audio (8), video (9) and data (18/15) messages of an accepted publishing stream. Aggregates arrive split. */
  onMedia?(streamId: number, message: RtmpMessage): void;
  /** Media for a stream whose publish is not accepted (yet): dropped, reported for counting. */
  onDroppedMedia?(streamId: number, message: RtmpMessage): void;
  /** Every command before it is handled (flood accounting, logging). */
  onCommand?(command: RtmpCommand, streamId: number): void;
  /** The peer acknowledged this many bytes (useful to see a slow player). */
  onAcknowledgement?(bytes: number): void;
}

export interface ServerSessionOptions {
  /** Our outgoing chunk size, announced right after connect. */
  chunkSize?: number;
  windowAckSize?: number;
  peerBandwidth?: number;
  chunkLimits?: Partial<ChunkReaderLimits>;
  amfLimits?: Partial<AmfLimits>;
  /** Message streams one connection may create. */
  maxStreams?: number;
  /** Clock for the handshake's time field. */
  now?: () => number;
}

type StreamState = 'created' | 'publish-pending' | 'publishing' | 'play-pending' | 'playing';

interface SessionStream {
  state: StreamState;
  name: string;
  /** Encoding of the command that created the state, to answer in the same format. */
  commandType: number;
}

/** Commands that need no more than an acknowledgement. */
const HARMLESS_COMMANDS = new Set(['_result', '_error', 'onBWDone', 'onStatus', 'setPeerInfo', 'ping', 'pong']);

export class RtmpServerSession {
  readonly handshake: ServerHandshake;
  readonly reader: ChunkReader;
  readonly writer = new ChunkWriter();
  state: 'handshake' | 'connecting' | 'connected' | 'closed' = 'handshake';
  connectInfo: ConnectInfo | undefined;
  private readonly streams = new Map<number, SessionStream>();
  private nextStreamId = 1;
  private peerWindowAckSize = 0;
  private lastAckSent = 0;
  private commandType: number = MessageType.CommandAmf0;
  private readonly options: Required<Pick<ServerSessionOptions, 'chunkSize' | 'windowAckSize' | 'peerBandwidth' | 'maxStreams'>> &
    ServerSessionOptions;

  constructor(
    private readonly handler: ServerSessionHandler,
    options: ServerSessionOptions = {},
  ) {
    this.options = { chunkSize: 4096, windowAckSize: 5_000_000, peerBandwidth: 5_000_000, maxStreams: 8, ...options };
    this.handshake = new ServerHandshake({ now: options.now });
    this.reader = new ChunkReader((m) => this.handleMessage(m), options.chunkLimits);
  }

  get handshakeKind(): HandshakeKind | undefined {
    return this.handshake.kind;
  }

  /** Bytes received from the peer. Throws RtmpError on a protocol violation; the owner then closes. */
  push(data: Buffer): void {
    if (this.state === 'closed') return;
    if (this.state === 'handshake') {
      const progress = this.handshake.receive(data);
      if (progress.send) this.handler.send(progress.send);
      if (!progress.done) return;
      this.state = 'connecting';
      if (!progress.rest) return;
      data = progress.rest;
    }
    this.reader.push(data);
    if (this.peerWindowAckSize > 0 && this.reader.bytesReceived - this.lastAckSent >= this.peerWindowAckSize) {
      this.lastAckSent = this.reader.bytesReceived;
      this.sendControl(MessageType.Acknowledgement, genAcknowledgement(this.reader.bytesReceived));
    }
  }

  /** Stops all processing; further input is ignored. */
  close(): void {
    this.state = 'closed';
    this.reader.stop();
  }

  // ---- answers from the application ----

  acceptPublish(streamId: number): void {
    const stream = this.streams.get(streamId);
    if (!stream || stream.state !== 'publish-pending' || this.state === 'closed') return;
    stream.state = 'publishing';
    this.sendControl(MessageType.UserControl, genUserControl(UserControlEvent.StreamBegin, streamId));
    this.sendStatus(streamId, 'status', 'NetStream.Publish.Start', `${stream.name} is now published.`);
  }

  /** Sends the error status; the owner closes the connection afterwards (clients expect that). */
  rejectPublish(streamId: number, code: string, description: string): void {
    const stream = this.streams.get(streamId);
    if (!stream || this.state === 'closed') return;
    stream.state = 'created';
    this.sendStatus(streamId, 'error', code, description);
  }

  acceptPlay(streamId: number): void {
    const stream = this.streams.get(streamId);
    if (!stream || stream.state !== 'play-pending' || this.state === 'closed') return;
    stream.state = 'playing';
    this.sendControl(MessageType.UserControl, genUserControl(UserControlEvent.StreamBegin, streamId));
    this.sendStatus(streamId, 'status', 'NetStream.Play.Reset', `Playing and resetting ${stream.name}.`);
    this.sendStatus(streamId, 'status', 'NetStream.Play.Start', `Started playing ${stream.name}.`);
    this.sendData(streamId, encodeAmf0('|RtmpSampleAccess', true, true));
    // No `onStatus` NetStream.Data.Start data message (FMS sends one, nginx-rtmp does not): FFmpeg's FLV demuxer
    // takes a script tag of an unknown name for a data track, so ffprobe/ffmpeg saw a third, "unknown" stream.
  }

  rejectPlay(streamId: number, code = 'NetStream.Play.StreamNotFound', description = 'Stream not found.'): void {
    const stream = this.streams.get(streamId);
    if (!stream || this.state === 'closed') return;
    stream.state = 'created';
    this.sendStatus(streamId, 'error', code, description);
  }

  /** Tells a player the stream ended (publisher left): Play.UnpublishNotify + StreamEOF. */
  endPlay(streamId: number, description = 'Stream ended.'): void {
    const stream = this.streams.get(streamId);
    if (!stream || stream.state !== 'playing' || this.state === 'closed') return;
    this.sendStatus(streamId, 'status', 'NetStream.Play.UnpublishNotify', description);
    this.sendControl(MessageType.UserControl, genUserControl(UserControlEvent.StreamEOF, streamId));
  }

  /** onStatus on a message stream (7.2.2). */
  sendStatus(streamId: number, level: StatusLevel, code: string, description: string, extra?: AmfObject): void {
    const body = encodeCommand('onStatus', 0, null, statusInfo(level, code, description, extra));
    this.sendCommandBody(streamId, body);
  }

  /** A media message to a player on this connection (encoded for this connection only). */
  sendMedia(streamId: number, type: number, timestamp: number, payload: Uint8Array): void {
    const csid = type === MessageType.Audio ? ChunkStream.Audio : type === MessageType.Video ? ChunkStream.Video : ChunkStream.Data;
    this.handler.send(this.writer.encode(csid, type, streamId, timestamp, payload));
  }

  /** A data message (type 18) body on a message stream. */
  sendData(streamId: number, body: Buffer): void {
    this.handler.send(this.writer.encode(ChunkStream.Data, MessageType.DataAmf0, streamId, 0, body));
  }

  /** Whether a message stream is currently playing (media may be sent). */
  isPlaying(streamId: number): boolean {
    return this.streams.get(streamId)?.state === 'playing';
  }

  // ---- incoming ----

  private handleMessage(message: RtmpMessage): void {
    if (this.state === 'closed') return;
    switch (message.type) {
      case MessageType.Audio:
      case MessageType.Video:
      case MessageType.DataAmf0:
      case MessageType.DataAmf3:
        return this.handleMedia(message);
      case MessageType.Aggregate:
        return this.handleAggregate(message);
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        return this.handleCommand(message);
      case MessageType.SetChunkSize:
      case MessageType.Abort:
        return; // applied by the chunk reader
      case MessageType.Acknowledgement:
        this.handler.onAcknowledgement?.(handleUInt32Control(message.type, message.payload));
        return;
      case MessageType.WindowAckSize:
        this.peerWindowAckSize = handleUInt32Control(message.type, message.payload);
        return;
      case MessageType.SetPeerBandwidth:
        return;
      case MessageType.UserControl: {
        const event = handleUserControl(message.payload);
        if (event.event === UserControlEvent.PingRequest) {
          this.sendControl(MessageType.UserControl, genUserControl(UserControlEvent.PingResponse, event.value));
        }
        return;
      }
      case MessageType.SharedObjectAmf0:
      case MessageType.SharedObjectAmf3:
        return; // shared objects are not offered; ignoring them is what Flash servers without them do
      default:
        throw new RtmpError('RTMP_BAD_MESSAGE', `unknown message type ${message.type} on chunk stream ${message.csid}`);
    }
  }

  private handleMedia(message: RtmpMessage): void {
    const stream = this.streams.get(message.streamId);
    if (stream?.state === 'publishing') this.handler.onMedia?.(message.streamId, message);
    else this.handler.onDroppedMedia?.(message.streamId, message);
  }

  /**
   * Aggregate message (7.1.8): a sequence of FLV-like sub-messages, each
   * type(1) size(3) timestamp(3) timestamp-extended(1) stream id(3) body(size) back-pointer(4).
   * Sub-message timestamps are relative to the first one; the aggregate's own timestamp replaces it.
   */
  private handleAggregate(message: RtmpMessage): void {
    const body = message.payload;
    let pos = 0;
    let base: number | undefined;
    while (pos < body.length) {
      if (body.length - pos < 11) throw new RtmpError('RTMP_BAD_MESSAGE', 'truncated aggregate sub-message header');
      const type = body[pos];
      const size = (body[pos + 1] << 16) | (body[pos + 2] << 8) | body[pos + 3];
      const ts = ((body[pos + 7] << 24) | (body[pos + 4] << 16) | (body[pos + 5] << 8) | body[pos + 6]) >>> 0;
      pos += 11;
      if (body.length - pos < size + 4) throw new RtmpError('RTMP_BAD_MESSAGE', 'aggregate sub-message runs past the end');
      if (base === undefined) base = ts;
      if (type === MessageType.Audio || type === MessageType.Video || type === MessageType.DataAmf0) {
        this.handleMedia({
          csid: message.csid,
          type,
          streamId: message.streamId,
          timestamp: (message.timestamp + ts - base) >>> 0,
          payload: body.subarray(pos, pos + size),
        });
      }
      pos += size + 4;
    }
  }

  private handleCommand(message: RtmpMessage): void {
    const command = decodeCommand(message.type, message.payload, this.options.amfLimits);
    this.handler.onCommand?.(command, message.streamId);
    if (this.state === 'closed') return;
    this.commandType = message.type;
    if (this.state !== 'connected' && command.name !== 'connect') {
      throw new RtmpError('RTMP_COMMAND_OUT_OF_ORDER', `'${command.name}' before connect`);
    }
    switch (command.name) {
      case 'connect':
        return this.handleConnect(command);
      case 'createStream':
        return this.handleCreateStream(command);
      case 'releaseStream':
      case '_checkbw':
        return this.sendResult(command.transactionId, null, undefined);
      case 'getStreamLength':
        return this.sendResult(command.transactionId, null, 0); // live streams have no length
      case 'FCPublish':
        return this.sendOnFC('onFCPublish', 'NetStream.Publish.Start', command);
      case 'FCSubscribe':
        return this.sendOnFC('onFCSubscribe', 'NetStream.Play.Start', command);
      case 'FCUnpublish':
        this.sendOnFC('onFCUnpublish', 'NetStream.Unpublish.Success', command);
        return this.unpublishByName(command, 'FCUnpublish');
      case 'publish':
        return this.handlePublish(message.streamId, command);
      case 'play':
        return this.handlePlay(message.streamId, command);
      case 'pause':
        return this.handlePause(message.streamId, command);
      case 'seek':
        return this.handleSeek(message.streamId, command);
      case 'receiveAudio':
      case 'receiveVideo':
        this.requireStream(message.streamId, command.name);
        this.handler.onReceiveMedia?.(message.streamId, command.name === 'receiveAudio' ? 'audio' : 'video', command.args[0] !== false);
        return;
      case 'closeStream':
        return this.endStream(message.streamId, 'closeStream');
      case 'deleteStream': {
        const id = typeof command.args[0] === 'number' ? command.args[0] : message.streamId;
        this.endStream(id, 'deleteStream');
        this.streams.delete(id);
        return;
      }
      default:
        if (HARMLESS_COMMANDS.has(command.name)) return;
        this.sendError(command.transactionId, 'NetConnection.Call.Failed', `Method not found (${command.name}).`);
        throw new RtmpError('RTMP_UNKNOWN_COMMAND', `unknown command '${command.name.slice(0, 64)}'`);
    }
  }

  private handleConnect(command: RtmpCommand): void {
    if (this.state === 'connected') throw new RtmpError('RTMP_COMMAND_OUT_OF_ORDER', 'second connect on one connection');
    const info: ConnectInfo = {
      app: stringProperty(command.object, 'app') ?? '',
      tcUrl: stringProperty(command.object, 'tcUrl') ?? '',
      flashVer: stringProperty(command.object, 'flashVer'),
      objectEncoding: numberProperty(command.object, 'objectEncoding') ?? 0,
      object: command.object,
    };
    const refusal = this.handler.onConnect?.(info);
    if (typeof refusal === 'string') {
      this.sendError(command.transactionId, 'NetConnection.Connect.Rejected', refusal);
      throw new RtmpError('RTMP_REJECTED', `connect refused: ${refusal}`);
    }
    this.connectInfo = info;
    this.state = 'connected';
    this.sendControl(MessageType.WindowAckSize, genWindowAckSize(this.options.windowAckSize));
    this.sendControl(MessageType.SetPeerBandwidth, genSetPeerBandwidth(this.options.peerBandwidth));
    this.sendControl(MessageType.SetChunkSize, genSetChunkSize(this.options.chunkSize));
    this.writer.chunkSize = this.options.chunkSize;
    this.sendCommandBody(
      0,
      encodeCommand(
        '_result',
        command.transactionId,
        { fmsVer: 'FMS/3,5,7,7009', capabilities: 31, mode: 1 },
        statusInfo('status', 'NetConnection.Connect.Success', 'Connection succeeded.', { objectEncoding: info.objectEncoding }),
      ),
    );
  }

  private handleCreateStream(command: RtmpCommand): void {
    if (this.streams.size >= this.options.maxStreams) {
      this.sendError(command.transactionId, 'NetConnection.Call.Failed', 'Too many streams.');
      throw new RtmpError('RTMP_TOO_MANY_STREAMS', `more than ${this.options.maxStreams} streams on one connection`);
    }
    const id = this.nextStreamId++;
    this.streams.set(id, { state: 'created', name: '', commandType: this.commandType });
    this.sendResult(command.transactionId, null, id);
  }

  private handlePublish(streamId: number, command: RtmpCommand): void {
    const stream = this.requireStream(streamId, 'publish');
    if (stream.state !== 'created') throw new RtmpError('RTMP_COMMAND_OUT_OF_ORDER', `publish on stream ${streamId} in state ${stream.state}`);
    const raw = typeof command.args[0] === 'string' ? command.args[0] : '';
    const [name, query] = splitQuery(raw);
    stream.name = name;
    stream.state = 'publish-pending';
    const publishType = typeof command.args[1] === 'string' ? command.args[1] : 'live';
    if (!this.handler.onPublish) return this.acceptPublish(streamId);
    this.handler.onPublish({ streamId, name, query, publishType });
  }

  private handlePlay(streamId: number, command: RtmpCommand): void {
    const stream = this.requireStream(streamId, 'play');
    if (stream.state !== 'created') throw new RtmpError('RTMP_COMMAND_OUT_OF_ORDER', `play on stream ${streamId} in state ${stream.state}`);
    const raw = typeof command.args[0] === 'string' ? command.args[0] : '';
    const [name, query] = splitQuery(raw);
    stream.name = name;
    stream.state = 'play-pending';
    const request: PlayRequest = {
      streamId,
      name,
      query,
      start: typeof command.args[1] === 'number' ? command.args[1] : -2,
      duration: typeof command.args[2] === 'number' ? command.args[2] : -1,
      reset: command.args[3] !== false,
    };
    if (!this.handler.onPlay) return this.rejectPlay(streamId);
    this.handler.onPlay(request);
  }

  private handlePause(streamId: number, command: RtmpCommand): void {
    const stream = this.requireStream(streamId, 'pause');
    const paused = command.args[0] !== false;
    const position = typeof command.args[1] === 'number' ? command.args[1] : 0;
    if (stream.state !== 'playing') return;
    this.handler.onPause?.(streamId, paused, position);
    if (paused) {
      this.sendStatus(streamId, 'status', 'NetStream.Pause.Notify', `Paused ${stream.name}.`);
    } else {
      this.sendControl(MessageType.UserControl, genUserControl(UserControlEvent.StreamBegin, streamId));
      this.sendStatus(streamId, 'status', 'NetStream.Unpause.Notify', `Unpaused ${stream.name}.`);
    }
  }

  /** Live streams cannot seek: the player is told it is at the live point (what FMS does for live). */
  private handleSeek(streamId: number, command: RtmpCommand): void {
    const stream = this.requireStream(streamId, 'seek');
    const position = typeof command.args[0] === 'number' ? command.args[0] : 0;
    this.sendStatus(streamId, 'status', 'NetStream.Seek.Notify', `Seeking ${position} (live: stays at the live point) for ${stream.name}.`);
  }

  private unpublishByName(command: RtmpCommand, reason: UnpublishReason): void {
    const raw = typeof command.args[0] === 'string' ? command.args[0] : '';
    const [name] = splitQuery(raw);
    for (const [id, stream] of this.streams) {
      if (stream.name === name && (stream.state === 'publishing' || stream.state === 'publish-pending')) this.endStream(id, reason);
    }
  }

  private endStream(streamId: number, reason: UnpublishReason): void {
    const stream = this.streams.get(streamId);
    if (!stream) return;
    if (stream.state === 'publishing' || stream.state === 'publish-pending') {
      const wasLive = stream.state === 'publishing';
      stream.state = 'created';
      this.handler.onUnpublish?.(streamId, reason);
      if (wasLive) this.sendStatus(streamId, 'status', 'NetStream.Unpublish.Success', `${stream.name} is now unpublished.`);
    } else if (stream.state === 'playing' || stream.state === 'play-pending') {
      stream.state = 'created';
      this.handler.onPlayStop?.(streamId);
    }
  }

  private requireStream(streamId: number, what: string): SessionStream {
    const stream = this.streams.get(streamId);
    if (!stream) throw new RtmpError('RTMP_BAD_STREAM_ID', `${what} on message stream ${streamId}, which was not created`);
    return stream;
  }

  // ---- outgoing ----

  private sendControl(type: number, body: Buffer): void {
    this.handler.send(this.writer.encode(ChunkStream.Protocol, type, 0, 0, body));
  }

  private sendCommandBody(streamId: number, body: Buffer): void {
    // Answer an AMF3-command client (objectEncoding 3) in type 17, whose body starts with a 0x00 format byte.
    if (this.commandType === MessageType.CommandAmf3) {
      this.handler.send(this.writer.encode(ChunkStream.Command, MessageType.CommandAmf3, streamId, 0, Buffer.concat([ZERO, body])));
    } else {
      this.handler.send(this.writer.encode(ChunkStream.Command, MessageType.CommandAmf0, streamId, 0, body));
    }
  }

  private sendResult(transactionId: number, object: AmfValue, ...args: AmfValue[]): void {
    this.sendCommandBody(0, encodeCommand('_result', transactionId, object, ...args));
  }

  private sendError(transactionId: number, code: string, description: string): void {
    this.sendCommandBody(0, encodeCommand('_error', transactionId, null, statusInfo('error', code, description)));
  }

  private sendOnFC(name: string, code: string, command: RtmpCommand): void {
    const streamName = typeof command.args[0] === 'string' ? splitQuery(command.args[0])[0] : '';
    this.sendCommandBody(0, encodeCommand(name, 0, null, { code, description: streamName }));
  }
}

const ZERO = Buffer.from([0]);

/** 'key?token=x' -> ['key', 'token=x'] */
export function splitQuery(raw: string): [string, string] {
  const at = raw.indexOf('?');
  return at < 0 ? [raw, ''] : [raw.slice(0, at), raw.slice(at + 1)];
}
