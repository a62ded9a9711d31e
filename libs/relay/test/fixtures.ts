/** Real FLV tag bodies (legacy AVC + AAC) and a small synthetic stream, for the relay tests. */
import type { RelayMessage } from '../src/publisher';

/** AVC NALU key frame: [0x17, 0x01, cts (SI24), ...data]. `id` is written into the data to recognise the frame. */
export function avcKeyframe(id: number, size = 64, cts = 0): Buffer {
  return avcFrame(0x17, id, size, cts);
}

/** AVC NALU inter frame: [0x27, 0x01, cts, ...data]. */
export function avcInterframe(id: number, size = 32, cts = 0): Buffer {
  return avcFrame(0x27, id, size, cts);
}

function avcFrame(first: number, id: number, size: number, cts: number): Buffer {
  const buf = Buffer.alloc(5 + Math.max(size, 4));
  buf[0] = first;
  buf[1] = 0x01;
  buf.writeIntBE(cts, 2, 3);
  buf.writeUInt32BE(id >>> 0, 5);
  for (let i = 9; i < buf.length; i++) buf[i] = (id + i) & 0xff;
  return buf;
}

/** AVC sequence header: [0x17, 0x00, 0, 0, 0, ...AVCDecoderConfigurationRecord]. */
export function avcSequenceHeader(variant = 0): Buffer {
  // High profile, level 3.1, one SPS and one PPS (bytes only need to look plausible: nothing decodes them here).
  return Buffer.from([
    0x17, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x1f + variant,
    0x01, 0x00, 0x04, 0x68, 0xee, 0x3c, 0x80,
  ]);
}

/** AAC sequence header: AudioSpecificConfig AAC-LC, 44.1 kHz, stereo. */
export function aacSequenceHeader(): Buffer {
  return Buffer.from([0xaf, 0x00, 0x12, 0x10]);
}

/** AAC raw frame: [0xaf, 0x01, ...data]. */
export function aacRaw(id: number, size = 24): Buffer {
  const buf = Buffer.alloc(2 + Math.max(size, 4));
  buf[0] = 0xaf;
  buf[1] = 0x01;
  buf.writeUInt32BE(id >>> 0, 2);
  return buf;
}

/** AMF0 data message: "onMetaData" followed by an empty ECMA array. */
export function onMetaData(): Buffer {
  const name = Buffer.from('onMetaData', 'latin1');
  return Buffer.concat([
    Buffer.from([0x02, 0x00, name.length]),
    name,
    Buffer.from([0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09]),
  ]);
}

/** AMF0 data message that is not metadata: "onCuePoint" with a number. */
export function onCuePoint(): Buffer {
  const name = Buffer.from('onCuePoint', 'latin1');
  return Buffer.concat([Buffer.from([0x02, 0x00, name.length]), name, Buffer.from([0x00, 0x40, 0x59, 0, 0, 0, 0, 0, 0])]);
}

export const video = (timestamp: number, payload: Buffer): RelayMessage => ({ type: 9, timestamp, payload });
export const audio = (timestamp: number, payload: Buffer): RelayMessage => ({ type: 8, timestamp, payload });
export const data = (timestamp: number, payload: Buffer): RelayMessage => ({ type: 18, timestamp, payload });

/** The three messages a publisher sends first. */
export function streamStart(): RelayMessage[] {
  return [data(0, onMetaData()), video(0, avcSequenceHeader()), audio(0, aacSequenceHeader())];
}

/**
 * A synthetic A/V stream after the headers: frame `i` is video (a key frame every `gop` frames, 40 ms apart)
 * followed by one AAC frame. Returns the messages of frame i.
 */
export function avFrame(i: number, gop: number): RelayMessage[] {
  const ts = i * 40;
  const v = i % gop === 0 ? avcKeyframe(i, 200, 80) : avcInterframe(i, 60, i % 3 === 0 ? -40 : 40);
  return [video(ts, v), audio(ts + 5, aacRaw(i))];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until it holds, or fails after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}
