/**
 * Codec identifiers: the legacy FLV ids (video_file_format_spec_v10_1, Annex E.4.2.1 AUDIODATA SoundFormat and
 * E.4.3.1 VIDEODATA CodecID) and the FOURCC values of Enhanced RTMP v2 ("Enhanced Audio" AudioFourCc and
 * "Enhanced Video" VideoFourCc enums).
 *
 * Tracks carry their codec as a string: the FOURCC for E-RTMP tags, and also for the legacy ids that have an
 * E-RTMP FOURCC (AVC -> 'avc1', the non-standard legacy HEVC id 12 -> 'hvc1', AAC -> 'mp4a', MP3 and MP3 8 kHz
 * -> '.mp3'), so one stream can mix legacy and enhanced tags; any other legacy id is 'legacy:<id>'.
 */

/** Enhanced RTMP VideoFourCc. */
export const VideoFourCc = {
  VP8: 'vp08',
  VP9: 'vp09',
  AV1: 'av01',
  AVC: 'avc1',
  HEVC: 'hvc1',
} as const;

/** Enhanced RTMP AudioFourCc. */
export const AudioFourCc = {
  AC3: 'ac-3',
  EAC3: 'ec-3',
  OPUS: 'Opus',
  MP3: '.mp3',
  FLAC: 'fLaC',
  AAC: 'mp4a',
} as const;

/** Legacy VIDEODATA CodecID (UB[4]). */
export const LegacyVideoCodecId = {
  SORENSON_H263: 2,
  SCREEN_VIDEO: 3,
  VP6: 4,
  VP6_ALPHA: 5,
  SCREEN_VIDEO_V2: 6,
  AVC: 7,
  /** Not in any Adobe specification; used by Chinese CDNs, SRS, FFmpeg forks (e.g. Kingsoft's) for HEVC. */
  HEVC: 12,
} as const;

/** Legacy AUDIODATA SoundFormat (UB[4]); 9 is ExHeader in Enhanced RTMP. */
export const SoundFormat = {
  LPCM_PLATFORM_ENDIAN: 0,
  ADPCM: 1,
  MP3: 2,
  LPCM_LITTLE_ENDIAN: 3,
  NELLYMOSER_16K_MONO: 4,
  NELLYMOSER_8K_MONO: 5,
  NELLYMOSER: 6,
  G711_ALAW: 7,
  G711_MULAW: 8,
  EX_HEADER: 9,
  AAC: 10,
  SPEEX: 11,
  MP3_8K: 14,
  DEVICE_SPECIFIC: 15,
} as const;

const LEGACY_VIDEO_NAMES: Record<number, string> = {
  2: 'Sorenson H.263',
  3: 'Screen Video',
  4: 'On2 VP6',
  5: 'On2 VP6 with alpha',
  6: 'Screen Video 2',
  7: 'H.264',
  12: 'HEVC',
};

const LEGACY_AUDIO_NAMES: Record<number, string> = {
  0: 'Linear PCM (platform endian)',
  1: 'ADPCM',
  2: 'MP3',
  3: 'Linear PCM (little endian)',
  4: 'Nellymoser 16 kHz mono',
  5: 'Nellymoser 8 kHz mono',
  6: 'Nellymoser',
  7: 'G.711 A-law',
  8: 'G.711 mu-law',
  10: 'AAC',
  11: 'Speex',
  14: 'MP3 8 kHz',
  15: 'Device-specific sound',
};

const FOURCC_NAMES: Record<string, string> = {
  avc1: 'H.264',
  hvc1: 'HEVC',
  av01: 'AV1',
  vp09: 'VP9',
  vp08: 'VP8',
  mp4a: 'AAC',
  Opus: 'Opus',
  fLaC: 'FLAC',
  'ac-3': 'AC-3',
  'ec-3': 'E-AC-3',
  '.mp3': 'MP3',
};

/** The track codec string for a legacy video CodecID. */
export function legacyVideoCodec(codecId: number): string {
  if (codecId === LegacyVideoCodecId.AVC) return VideoFourCc.AVC;
  if (codecId === LegacyVideoCodecId.HEVC) return VideoFourCc.HEVC;
  return `legacy:${codecId}`;
}

/** The track codec string for a legacy SoundFormat. */
export function legacyAudioCodec(soundFormat: number): string {
  if (soundFormat === SoundFormat.AAC) return AudioFourCc.AAC;
  if (soundFormat === SoundFormat.MP3 || soundFormat === SoundFormat.MP3_8K) return AudioFourCc.MP3;
  return `legacy:${soundFormat}`;
}

/** 'avc1' -> 0x61766331 (FOURCC values are big-endian ASCII, as in onMetaData videocodecid). */
export function fourCcToNumber(fourCc: string): number {
  let v = 0;
  for (let i = 0; i < 4; i++) v = v * 256 + (fourCc.charCodeAt(i) & 0xff);
  return v;
}

/** 0x61766331 -> 'avc1'; undefined unless the value is a UI32 whose four bytes are printable ASCII. */
export function numberToFourCc(value: number): string | undefined {
  if (!Number.isInteger(value) || value < 0x20202020 || value > 0x7e7e7e7e) return undefined;
  let s = '';
  for (let shift = 24; shift >= 0; shift -= 8) {
    const c = Math.floor(value / 2 ** shift) & 0xff;
    if (c < 0x20 || c > 0x7e) return undefined;
    s += String.fromCharCode(c);
  }
  return s;
}

/** Reads a FOURCC from 4 bytes (caller checks the length). */
export function fourCcFromBytes(b: Uint8Array, offset: number): string {
  return String.fromCharCode(b[offset], b[offset + 1], b[offset + 2], b[offset + 3]);
}

/**
 * A human name for a codec: 'H.264', 'HEVC', 'AV1', 'VP9', 'AAC', 'MP3', 'Opus', ...
 *
 * `codec` is a track codec string (FOURCC or 'legacy:<id>') or a bare legacy id. Legacy ids mean different
 * codecs for audio and video (2 is Sorenson H.263 or MP3), so `kind` says which table to use; without it a
 * legacy id is named generically. Unknown FOURCCs are returned as they are.
 */
export function codecName(codec: string | number, kind?: 'audio' | 'video'): string {
  let legacyId: number | undefined;
  if (typeof codec === 'number') legacyId = codec;
  else if (codec.startsWith('legacy:')) legacyId = Number(codec.slice(7));
  else return FOURCC_NAMES[codec] ?? codec;
  const name =
    kind === 'video' ? LEGACY_VIDEO_NAMES[legacyId] : kind === 'audio' ? LEGACY_AUDIO_NAMES[legacyId] : undefined;
  return name ?? `legacy codec ${legacyId}`;
}
