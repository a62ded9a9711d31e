/**
 * MPEG audio frame header (ISO/IEC 11172-3 2.4.1.3 / 13818-3), the first 4 bytes of each MP3 frame in legacy
 * MP3 tags and E-RTMP '.mp3' CodedFrames:
 *   syncword UB[11] (all ones) | version UB[2] (00 MPEG-2.5, 10 MPEG-2, 11 MPEG-1) | layer UB[2] (01 III,
 *   10 II, 11 I) | protection_bit UB[1] | bitrate_index UB[4] | sampling_frequency UB[2] | padding UB[1]
 *   private UB[1] | mode UB[2] (11 single channel) | ...
 */
import { FlvError } from './errors';

export interface MpegAudioHeader {
  version: '1' | '2' | '2.5';
  layer: 1 | 2 | 3;
  sampleRate: number;
  channels: 1 | 2;
}

const RATES: Record<string, readonly number[]> = {
  '1': [44100, 48000, 32000],
  '2': [22050, 24000, 16000],
  '2.5': [11025, 12000, 8000],
};

export function parseMpegAudioHeader(buf: Uint8Array): MpegAudioHeader {
  if (buf.length < 4) throw new FlvError('FLV_TRUNCATED', `MPEG audio header: need 4 bytes, ${buf.length} available`);
  if (buf[0] !== 0xff || (buf[1] & 0xe0) !== 0xe0) throw new FlvError('FLV_INVALID', 'no MPEG audio frame sync');
  const v = (buf[1] >> 3) & 0x03;
  const l = (buf[1] >> 1) & 0x03;
  const sf = (buf[2] >> 2) & 0x03;
  if (v === 1 || l === 0 || sf === 3) throw new FlvError('FLV_INVALID', 'reserved MPEG audio version, layer or sampling frequency');
  const version = v === 3 ? '1' : v === 2 ? '2' : '2.5';
  return {
    version,
    layer: (4 - l) as 1 | 2 | 3,
    sampleRate: RATES[version][sf],
    channels: (buf[3] >> 6) === 3 ? 1 : 2,
  };
}
