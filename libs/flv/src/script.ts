/**
 * SCRIPTDATA: the body of an FLV script tag / RTMP data message (type 18, AMF0), FLV spec v10.1 Annex E.4.4:
 * ScriptTagBody = Name (SCRIPTDATAVALUE, a string such as 'onMetaData') + Value (SCRIPTDATAVALUE; for
 * onMetaData an ECMA array). Publishers send metadata through RTMP wrapped as
 * ['@setDataFrame', 'onMetaData', {...}]; servers store and forward it unwrapped.
 *
 * readStreamMetadata types the usual onMetaData properties (E.5 and E-RTMP v2 "Enhancing onMetaData"):
 * videocodecid / audiocodecid are legacy ids or, for FOURCC codecs, the FOURCC as a big-endian UI32 number
 * ('av01' == 0x61763031 == 1635135537), which is turned back into the FOURCC string here.
 */
import { AmfEcmaArray, decodeAmf0Sequence, encodeAmf0 } from '@ingest/amf';
import type { AmfValue } from '@ingest/amf';
import { numberToFourCc } from './codecs';
import { FlvError } from './errors';

export const SET_DATA_FRAME = '@setDataFrame';
export const CLEAR_DATA_FRAME = '@clearDataFrame';
export const ON_META_DATA = 'onMetaData';

/** '@setDataFrame' as an AMF0 string value: marker 0x02, length 13, the characters. */
const SET_DATA_FRAME_AMF0 = new Uint8Array([0x02, 0x00, 0x0d, ...Array.from(SET_DATA_FRAME, (c) => c.charCodeAt(0))]);

/**
 * RTMP publishers wrap metadata as ['@setDataFrame', 'onMetaData', {...}]; players expect ['onMetaData', {...}].
 * Returns the body without the wrapper (a view, no copy), or the body itself when it has none.
 */
export function unwrapSetDataFrame(body: Uint8Array): Uint8Array {
  const n = SET_DATA_FRAME_AMF0.length;
  if (body.length <= n) return body;
  for (let i = 0; i < n; i++) if (body[i] !== SET_DATA_FRAME_AMF0[i]) return body;
  return body.subarray(n);
}

export interface ScriptData {
  name: string;
  /** The first value after the name (undefined when the message carries only a name). */
  value: AmfValue;
  /** Every value after the name (value === args[0]); handlers such as onCuePoint may carry several. */
  args: AmfValue[];
  /** True when the message was wrapped in '@setDataFrame'. */
  setDataFrame: boolean;
}

/** Decodes AMF0 from `body`, turning any decoder failure into FlvError FLV_INVALID with the original as cause. */
export function decodeAmf0Values(body: Uint8Array, what = 'script data'): AmfValue[] {
  try {
    return decodeAmf0Sequence(body, 0);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new FlvError('FLV_INVALID', `${what} is not valid AMF0: ${message}`, { cause: err });
  }
}

export function parseScriptData(body: Uint8Array): ScriptData {
  const values = decodeAmf0Values(body);
  let setDataFrame = false;
  let rest = values;
  if (values[0] === SET_DATA_FRAME && typeof values[1] === 'string') {
    setDataFrame = true;
    rest = values.slice(1);
  }
  const name = rest[0];
  if (typeof name !== 'string') throw new FlvError('FLV_INVALID', 'script data does not start with a string name');
  const args = rest.slice(1);
  return { name, value: args[0], args, setDataFrame };
}

function isPlainObject(v: unknown): v is Record<string, AmfValue> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Encodes a script tag body: AMF0 name + value. For 'onMetaData' a plain object is written as the ECMA array
 * the FLV specification prescribes (wrap values in AmfEcmaArray yourself to choose for other names).
 */
export function encodeScriptData(name: string, value: AmfValue): Buffer {
  const v = name === ON_META_DATA && isPlainObject(value) ? new AmfEcmaArray(value) : value;
  try {
    return encodeAmf0(name, v);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new FlvError('FLV_INVALID', `cannot encode script data: ${message}`, { cause: err });
  }
}

export interface StreamMetadata {
  width?: number;
  height?: number;
  framerate?: number;
  /** kbit/s */
  videodatarate?: number;
  /** kbit/s */
  audiodatarate?: number;
  /** Legacy CodecID, or the FOURCC string ('hvc1', 'av01', ...). */
  videocodecid?: number | string;
  /** Legacy SoundFormat, or the FOURCC string ('Opus', 'mp4a', ...). */
  audiocodecid?: number | string;
  audiosamplerate?: number;
  audiosamplesize?: number;
  audiochannels?: number;
  stereo?: boolean;
  duration?: number;
  filesize?: number;
  encoder?: string;
  /** E-RTMP per-track overrides, keyed by track id. */
  videoTrackIdInfoMap?: Record<string, StreamMetadata>;
  audioTrackIdInfoMap?: Record<string, StreamMetadata>;
}

function entriesOf(value: unknown): Record<string, unknown> | undefined {
  if (value instanceof AmfEcmaArray) return value.entries as Record<string, unknown>;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function codecId(v: unknown): number | string | undefined {
  if (typeof v === 'string') return v.length > 0 ? v : undefined;
  const n = num(v);
  if (n === undefined) return undefined;
  return n > 0xff ? (numberToFourCc(n) ?? n) : n;
}

/**
 * Typed view of an onMetaData object (a decoded ECMA array or object, or an AmfEcmaArray): every field is
 * optional and only set when the property has the expected AMF type. Unknown properties are ignored.
 */
export function readStreamMetadata(value: unknown): StreamMetadata {
  return readFields(value, true);
}

function readFields(value: unknown, withTrackMaps: boolean): StreamMetadata {
  const o = entriesOf(value);
  const md: StreamMetadata = {};
  if (!o) return md;
  const set = <K extends keyof StreamMetadata>(key: K, v: StreamMetadata[K] | undefined): void => {
    if (v !== undefined) md[key] = v;
  };
  set('width', num(o.width));
  set('height', num(o.height));
  set('framerate', num(o.framerate) ?? num(o.fps));
  set('videodatarate', num(o.videodatarate));
  set('audiodatarate', num(o.audiodatarate));
  set('videocodecid', codecId(o.videocodecid));
  set('audiocodecid', codecId(o.audiocodecid));
  set('audiosamplerate', num(o.audiosamplerate) ?? num(o.samplerate));
  set('audiosamplesize', num(o.audiosamplesize));
  set('audiochannels', num(o.audiochannels) ?? num(o.channels));
  set('stereo', typeof o.stereo === 'boolean' ? o.stereo : undefined);
  set('duration', num(o.duration));
  set('filesize', num(o.filesize));
  set('encoder', typeof o.encoder === 'string' ? o.encoder : undefined);
  if (withTrackMaps) {
    for (const key of ['videoTrackIdInfoMap', 'audioTrackIdInfoMap'] as const) {
      const map = entriesOf(o[key]);
      if (!map) continue;
      const out: Record<string, StreamMetadata> = {};
      for (const [trackId, track] of Object.entries(map)) out[trackId] = readFields(track, false);
      md[key] = out;
    }
  }
  return md;
}

/**
 * Decodes the payload of a video Metadata packet (E-RTMP v2 "Metadata Frame"): AMF-encoded [name, value] pairs,
 * currently only ['colorInfo', {...}]. A trailing name without a value gets `undefined`.
 */
export function parseVideoMetadata(payload: Uint8Array): { name: string; value: AmfValue }[] {
  const values = decodeAmf0Values(payload, 'video metadata');
  const pairs: { name: string; value: AmfValue }[] = [];
  for (let i = 0; i < values.length; i += 2) {
    const name = values[i];
    if (typeof name !== 'string') throw new FlvError('FLV_INVALID', `video metadata item ${i / 2} has no string name`);
    pairs.push({ name, value: values[i + 1] });
  }
  return pairs;
}
