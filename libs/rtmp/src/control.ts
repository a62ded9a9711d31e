/**
 * Protocol control messages (section 5.4) and user control messages (section 7.1.7): encode and decode.
 * All are sent on chunk stream 2, message stream 0.
 */
import { BandwidthLimit, MessageType, UserControlEvent } from './constants';
import { RtmpError } from './errors';

function uint32(value: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(value >>> 0, 0);
  return b;
}

/** 5.4.1 Set Chunk Size: 31-bit size, first bit zero. */
export function genSetChunkSize(size: number): Buffer {
  return uint32(size & 0x7fffffff);
}

/** 5.4.2 Abort Message: the chunk stream id whose partial message to discard. */
export function genAbort(csid: number): Buffer {
  return uint32(csid);
}

/** 5.4.3 Acknowledgement: bytes received so far (sequence number). */
export function genAcknowledgement(bytes: number): Buffer {
  return uint32(bytes % 0x100000000);
}

/** 5.4.4 Window Acknowledgement Size. */
export function genWindowAckSize(size: number): Buffer {
  return uint32(size);
}

/** 5.4.5 Set Peer Bandwidth: window size(4) + limit type(1). */
export function genSetPeerBandwidth(size: number, limit: number = BandwidthLimit.Dynamic): Buffer {
  const b = Buffer.allocUnsafe(5);
  b.writeUInt32BE(size >>> 0, 0);
  b[4] = limit;
  return b;
}

/** 7.1.7 User control message: event type(2) + event data. */
export function genUserControl(event: number, value: number, extra?: number): Buffer {
  const b = Buffer.allocUnsafe(extra === undefined ? 6 : 10);
  b.writeUInt16BE(event, 0);
  b.writeUInt32BE(value >>> 0, 2);
  if (extra !== undefined) b.writeUInt32BE(extra >>> 0, 6);
  return b;
}

export interface UserControlMessage {
  event: number;
  /** Stream id for stream events, timestamp for ping events. */
  value: number;
  /** Buffer length in ms for SetBufferLength. */
  bufferLength?: number;
}

export function handleUserControl(payload: Buffer): UserControlMessage {
  if (payload.length < 6) throw new RtmpError('RTMP_BAD_MESSAGE', `user control message of ${payload.length} bytes`);
  const event = payload.readUInt16BE(0);
  const value = payload.readUInt32BE(2);
  if (event === UserControlEvent.SetBufferLength) {
    if (payload.length < 10) throw new RtmpError('RTMP_BAD_MESSAGE', 'SetBufferLength without its length');
    return { event, value, bufferLength: payload.readUInt32BE(6) };
  }
  return { event, value };
}

/** Reads the 4-byte value of Set Chunk Size, Abort, Acknowledgement and Window Acknowledgement Size. */
export function handleUInt32Control(type: number, payload: Buffer): number {
  if (payload.length < 4) throw new RtmpError('RTMP_BAD_MESSAGE', `message type ${type} with a ${payload.length}-byte body`);
  return payload.readUInt32BE(0);
}

export function handleSetPeerBandwidth(payload: Buffer): { size: number; limit: number } {
  if (payload.length < 5) throw new RtmpError('RTMP_BAD_MESSAGE', `Set Peer Bandwidth with a ${payload.length}-byte body`);
  return { size: payload.readUInt32BE(0), limit: payload[4] };
}

export function isProtocolControl(type: number): boolean {
  return (
    type === MessageType.SetChunkSize ||
    type === MessageType.Abort ||
    type === MessageType.Acknowledgement ||
    type === MessageType.WindowAckSize ||
    type === MessageType.SetPeerBandwidth
  );
}
