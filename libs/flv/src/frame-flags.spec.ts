import { encodeAmf0 } from '@ingest/amf';
import { parseAudioTag } from './audio';
import { audioIsConfig, isMetadata, videoFrameFlags } from './frame-flags';
import { parseVideoTag } from './video';

const hex = (h: string) => Buffer.from(h.replace(/\s/g, ''), 'hex');

test.each([
  ['AVC sequence header', '17 00 000000 01', { config: true, keyframe: false, coded: false }],
  ['AVC keyframe with a composition offset', '17 01 000021 0000', { config: false, keyframe: true, coded: true, compositionOffset: 33 }],
  ['AVC inter frame', '27 01 000000 0000', { config: false, keyframe: false, coded: true }],
  ['E-RTMP hvc1 sequence start', '90 68766331 00', { config: true, keyframe: false }],
  ['E-RTMP hvc1 CodedFramesX key frame', '93 68766331 00', { config: false, keyframe: true, coded: true }],
])('videoFrameFlags: %s', (_name, body, expected) => {
  expect(videoFrameFlags(parseVideoTag(hex(body)))).toMatchObject(expected);
});

test('audioIsConfig: AAC sequence header yes, raw AAC and MP3 no', () => {
  expect(audioIsConfig(parseAudioTag(hex('af 00 1210')))).toBe(true);
  expect(audioIsConfig(parseAudioTag(hex('af 01 2100')))).toBe(false);
  expect(audioIsConfig(parseAudioTag(hex('2f fffb9064')))).toBe(false);
});

test('isMetadata: onMetaData and @setDataFrame yes, cue points no', () => {
  expect(isMetadata(encodeAmf0('onMetaData', { width: 1 }))).toBe(true);
  expect(isMetadata(encodeAmf0('@setDataFrame', 'onMetaData', { width: 1 }))).toBe(true);
  expect(isMetadata(encodeAmf0('onCuePoint', { name: 'x' }))).toBe(false);
  expect(isMetadata(new Uint8Array([2, 0]))).toBe(false);
});
