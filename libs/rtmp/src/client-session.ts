/**
 * Client side of an RTMP connection, without I/O: what the tests and the benchmark drive to publish and play.
 * The owner writes what `handler.send()` gives, feeds received bytes to `push()`, and calls
 * connect / createStream / publish / play; answers come back through callbacks.
 */
import type { AmfLimits, AmfObject, AmfValue } from '@ingest/amf';
import { encodeAmf0 } from '@ingest/amf';
import { ChunkReader, type ChunkReaderLimits, type RtmpMessage } from './chunk-reader';
import { ChunkWriter } from './chunk-writer';
import { decodeCommand, encodeCommand, stringProperty, type RtmpCommand } from './commands';
import { ChunkStream, MessageType, UserControlEvent } from './constants';
import { genAcknowledgement, genSetChunkSize, genUserControl, handleUInt32Control, handleUserControl } from './control';
import { RtmpError } from './errors';
import { ClientHandshake } from './handshake';

export interface ClientSessionHandler {
  send(data: Buffer): void;
  /** onStatus on a message stream (NetStream.Publish.Start, NetStream.Play.Start, ...). */
  onStatus?(streamId: number, info: AmfObject): void;
  /** Audio, video and data messages received while playing. */
  onMedia?(message: RtmpMessage): void;
  /** Commands from the server that are not answers to our calls (onFCPublish, onBWDone, ...). */
  onCommand?(command: RtmpCommand, streamId: number): void;
  onUserControl?(event: number, value: number): void;
}

export interface ClientSessionOptions {
  app: string;
  tcUrl: string;
  flashVer?: string;
  /** Our outgoing chunk size, announced after the handshake. */
  chunkSize?: number;
  complexHandshake?: boolean;
  chunkLimits?: Partial<ChunkReaderLimits>;
  amfLimits?: Partial<AmfLimits>;
  /** Extra properties of the connect command object. */
  connectProperties?: AmfObject;
}

export type CallCallback = (error: RtmpError | undefined, command: RtmpCommand | undefined) => void;

export class RtmpClientSession {
  readonly handshake: ClientHandshake;
  readonly reader: ChunkReader;
  readonly writer = new ChunkWriter();
  state: 'handshake' | 'open' | 'closed' = 'handshake';
  private nextTransaction = 1;
  private readonly pending = new Map<number, CallCallback>();
  private windowAckSize = 0;
  private lastAck = 0;
  private onHandshake: (() => void) | undefined;

  constructor(
    private readonly handler: ClientSessionHandler,
    private readonly options: ClientSessionOptions,
  ) {
    this.handshake = new ClientHandshake({ complex: options.complexHandshake });
    this.reader = new ChunkReader((m) => this.handleMessage(m), options.chunkLimits);
  }

  /** Sends C0+C1; `ready` runs once the handshake is complete. */
  start(ready?: () => void): void {
    this.onHandshake = ready;
    this.handler.send(this.handshake.start());
  }

  push(data: Buffer): void {
    if (this.state === 'closed') return;
    if (this.state === 'handshake') {
      const progress = this.handshake.receive(data);
      if (progress.send) this.handler.send(progress.send);
      if (!progress.done) return;
      this.state = 'open';
      if (this.options.chunkSize && this.options.chunkSize !== this.writer.chunkSize) {
        this.handler.send(this.writer.encode(ChunkStream.Protocol, MessageType.SetChunkSize, 0, 0, genSetChunkSize(this.options.chunkSize)));
        this.writer.chunkSize = this.options.chunkSize;
      }
      this.onHandshake?.();
      if (!progress.rest) return;
      data = progress.rest;
    }
    this.reader.push(data);
    if (this.windowAckSize > 0 && this.reader.bytesReceived - this.lastAck >= this.windowAckSize) {
      this.lastAck = this.reader.bytesReceived;
      this.handler.send(this.writer.encode(ChunkStream.Protocol, MessageType.Acknowledgement, 0, 0, genAcknowledgement(this.reader.bytesReceived)));
    }
  }

  close(): void {
    this.state = 'closed';
    this.reader.stop();
    const error = new RtmpError('RTMP_CLOSED', 'session closed');
    for (const callback of this.pending.values()) callback(error, undefined);
    this.pending.clear();
  }

  /** A command with a transaction id; `callback` gets the _result or _error. */
  call(name: string, object: AmfValue, args: AmfValue[], callback?: CallCallback, streamId = 0): void {
    const transactionId = callback ? this.nextTransaction++ : 0;
    if (callback) this.pending.set(transactionId, callback);
    this.sendCommand(streamId, encodeCommand(name, transactionId, object, ...args));
  }

  connect(callback: CallCallback): void {
    this.call(
      'connect',
      {
        app: this.options.app,
        type: 'nonprivate',
        flashVer: this.options.flashVer ?? 'FMLE/3.0 (compatible; ingest-cluster)',
        tcUrl: this.options.tcUrl,
        fpad: false,
        capabilities: 15,
        audioCodecs: 4071,
        videoCodecs: 252,
        videoFunction: 1,
        ...this.options.connectProperties,
      },
      [],
      callback,
    );
  }

  /** releaseStream + FCPublish + createStream, as FFmpeg and OBS send them; the callback gets the stream id. */
  createStream(callback: (error: RtmpError | undefined, streamId: number) => void, publishName?: string): void {
    if (publishName !== undefined) {
      this.call('releaseStream', null, [publishName], () => undefined);
      this.call('FCPublish', null, [publishName], () => undefined);
    }
    this.call('createStream', null, [], (error, result) => {
      const id = result?.args[0];
      if (error || typeof id !== 'number') callback(error ?? new RtmpError('RTMP_BAD_COMMAND', 'createStream without an id'), 0);
      else callback(undefined, id);
    });
  }

  publish(streamId: number, name: string, publishType = 'live'): void {
    this.call('publish', null, [name, publishType], undefined, streamId);
  }

  play(streamId: number, name: string, start = -2): void {
    this.call('play', null, [name, start], undefined, streamId);
  }

  pause(streamId: number, paused: boolean, positionMs = 0): void {
    this.call('pause', null, [paused, positionMs], undefined, streamId);
  }

  /** FCUnpublish + deleteStream, as encoders send them when they stop. */
  unpublish(streamId: number, name: string): void {
    this.call('FCUnpublish', null, [name], undefined);
    this.call('deleteStream', null, [streamId], undefined);
  }

  /** @setDataFrame('onMetaData', metadata) */
  sendMetadata(streamId: number, metadata: AmfValue): void {
    this.handler.send(this.writer.encode(ChunkStream.Data, MessageType.DataAmf0, streamId, 0, encodeAmf0('@setDataFrame', 'onMetaData', metadata)));
  }

  /** An audio (8), video (9) or data (18) message, chunked for this connection. */
  sendMedia(streamId: number, type: number, timestamp: number, payload: Uint8Array): void {
    const csid = type === MessageType.Audio ? ChunkStream.Audio : type === MessageType.Video ? ChunkStream.Video : ChunkStream.Data;
    this.handler.send(this.writer.encode(csid, type, streamId, timestamp, payload));
  }

  /** Bytes already chunked by the caller (used by tests that send hand-made chunks). */
  sendRaw(bytes: Buffer): void {
    this.handler.send(bytes);
  }

  private sendCommand(streamId: number, body: Buffer): void {
    this.handler.send(this.writer.encode(ChunkStream.Command, MessageType.CommandAmf0, streamId, 0, body));
  }

  private handleMessage(message: RtmpMessage): void {
    switch (message.type) {
      case MessageType.Audio:
      case MessageType.Video:
      case MessageType.DataAmf0:
      case MessageType.DataAmf3:
        this.handler.onMedia?.(message);
        return;
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        return this.handleCommand(message);
      case MessageType.WindowAckSize:
        this.windowAckSize = handleUInt32Control(message.type, message.payload);
        return;
      case MessageType.UserControl: {
        const event = handleUserControl(message.payload);
        if (event.event === UserControlEvent.PingRequest) {
          this.handler.send(this.writer.encode(ChunkStream.Protocol, MessageType.UserControl, 0, 0, genUserControl(UserControlEvent.PingResponse, event.value)));
        }
        this.handler.onUserControl?.(event.event, event.value);
        return;
      }
      default:
        return;
    }
  }

  private handleCommand(message: RtmpMessage): void {
    const command = decodeCommand(message.type, message.payload, this.options.amfLimits);
    if ((command.name === '_result' || command.name === '_error') && this.pending.has(command.transactionId)) {
      const callback = this.pending.get(command.transactionId)!;
      this.pending.delete(command.transactionId);
      if (command.name === '_error') {
        const info = command.args[0];
        const code = stringProperty(info, 'code') ?? 'unknown';
        callback(new RtmpError('RTMP_REJECTED', `${code}: ${stringProperty(info, 'description') ?? ''}`), command);
      } else {
        callback(undefined, command);
      }
      return;
    }
    if (command.name === 'onStatus') {
      const info = command.args[0];
      if (info && typeof info === 'object') this.handler.onStatus?.(message.streamId, info as AmfObject);
      return;
    }
    this.handler.onCommand?.(command, message.streamId);
  }
}
