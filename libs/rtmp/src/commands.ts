/**
 * Command and data messages (section 7.1.1, 7.1.2, 7.2): AMF0-encoded [name, transaction id, command object,
 * ...arguments]. Type 17 (AMF3 command) bodies start with a 0x00 format byte and then hold AMF0 values that
 * may switch to AMF3 with the avmplus marker 0x11; the AMF decoder handles that switch.
 */
import { AmfError, decodeAmf0Sequence, encodeAmf0, type AmfLimits, type AmfObject, type AmfValue } from '@ingest/amf';
import { MessageType } from './constants';
import { RtmpError } from './errors';

export interface RtmpCommand {
  name: string;
  transactionId: number;
  object: AmfValue;
  args: AmfValue[];
}

function decodeValues(type: number, payload: Buffer, limits?: Partial<AmfLimits>): AmfValue[] {
  const start = (type === MessageType.CommandAmf3 || type === MessageType.DataAmf3) && payload[0] === 0 ? 1 : 0;
  try {
    return decodeAmf0Sequence(payload, start, limits);
  } catch (err) {
    if (err instanceof AmfError) {
      throw new RtmpError('RTMP_BAD_COMMAND', `undecodable AMF in message type ${type}: ${err.code}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** handle_invoke: decodes a command message (type 20 or 17). */
export function decodeCommand(type: number, payload: Buffer, limits?: Partial<AmfLimits>): RtmpCommand {
  const values = decodeValues(type, payload, limits);
  const [name, transactionId, object, ...args] = values;
  if (typeof name !== 'string') throw new RtmpError('RTMP_BAD_COMMAND', 'command message without a command name');
  return {
    name,
    transactionId: typeof transactionId === 'number' ? transactionId : 0,
    object: object === undefined ? null : object,
    args,
  };
}

/** Decodes a data message (type 18 or 15): [handler name, ...values]. */
export function decodeData(type: number, payload: Buffer, limits?: Partial<AmfLimits>): AmfValue[] {
  return decodeValues(type, payload, limits);
}

/** gen_command: an AMF0 command message body. */
export function encodeCommand(name: string, transactionId: number, object: AmfValue, ...args: AmfValue[]): Buffer {
  return encodeAmf0(name, transactionId, object, ...args);
}

export type StatusLevel = 'status' | 'warning' | 'error';

/** The info object of onStatus / _result / _error (7.2.1.1, 7.2.2). */
export function statusInfo(level: StatusLevel, code: string, description: string, extra: AmfObject = {}): AmfObject {
  return { level, code, description, ...extra };
}

/** Reads a string property of a command object, or undefined. */
export function stringProperty(object: AmfValue, key: string): string | undefined {
  if (object && typeof object === 'object' && !Array.isArray(object) && !(object instanceof Date)) {
    const value = (object as AmfObject)[key];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

/** Reads a numeric property of a command object, or undefined. */
export function numberProperty(object: AmfValue, key: string): number | undefined {
  if (object && typeof object === 'object' && !Array.isArray(object) && !(object instanceof Date)) {
    const value = (object as AmfObject)[key];
    return typeof value === 'number' ? value : undefined;
  }
  return undefined;
}
