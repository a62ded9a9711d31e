/**
 * Per-track stream descriptions for statistics: codec, profile, level, picture size, frame rate, sample rate,
 * channels. They read the configuration carried by a parsed track (views into the tag, nothing copied) and
 * never throw: a configuration that does not parse yields `{ codec, name }` only.
 */
import { aacProfileName, parseAudioSpecificConfig } from './aac';
import { AudioTag, AudioTrack, parseMultichannelConfig } from './audio';
import { av1LevelName, av1ProfileName, parseAv1CodecConfigurationRecord, parseAv1SequenceHeaderFromObus } from './av1';
import { parseAvcDecoderConfigurationRecord, parseH264Sps } from './avc';
import { AudioFourCc, SoundFormat, VideoFourCc, codecName } from './codecs';
import { parseFlacSequenceHeader } from './flac';
import { hevcLevelName, hevcProfileName, parseH265Sps, parseHevcDecoderConfigurationRecord } from './hevc';
import { parseMpegAudioHeader } from './mp3';
import { parseOpusHead } from './opus';
import type { VideoTrack } from './video';
import { parseVpCodecConfigurationRecord, vpChromaName, vpLevelName } from './vpx';

export interface VideoConfigDescription {
  /** The track's codec string (FOURCC or 'legacy:<id>'). */
  codec: string;
  /** Human codec name: 'H.264', 'HEVC', 'AV1', 'VP9', ... */
  name: string;
  profile?: string;
  level?: string;
  /** HEVC / AV1 tier: 'Main' or 'High'. */
  tier?: string;
  width?: number;
  height?: number;
  /** Frames per second from the bitstream timing information, rounded to 3 decimals. */
  fps?: number;
  bitDepth?: number;
  /** '4:0:0', '4:2:0', '4:2:2' or '4:4:4'. */
  chroma?: string;
}

export interface AudioConfigDescription {
  codec: string;
  name: string;
  /** Output sample rate in Hz (for HE-AAC the SBR rate). */
  sampleRate?: number;
  channels?: number;
  /** 'LC', 'HE-AAC', 'HE-AACv2', 'Main', ... for AAC; 'MPEG-1 Layer III' ... for MPEG audio. */
  profile?: string;
  bitDepth?: number;
}

const CHROMA_NAMES = ['4:0:0', '4:2:0', '4:2:2', '4:4:4'];

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/**
 * Describes a video track's sequence-start configuration (AVCDecoderConfigurationRecord,
 * HEVCDecoderConfigurationRecord, AV1CodecConfigurationRecord, VPCodecConfigurationRecord). Returns undefined
 * for tracks that carry no configuration (coded frames, sequence end, metadata, commands).
 */
export function describeVideoConfig(track: VideoTrack): VideoConfigDescription | undefined {
  if (track.packetType !== 'sequenceStart') return undefined;
  const d: VideoConfigDescription = { codec: track.codec, name: codecName(track.codec, 'video') };
  switch (track.codec) {
    case VideoFourCc.AVC:
      attempt(() => describeAvc(track.payload, d));
      break;
    case VideoFourCc.HEVC:
      attempt(() => describeHevc(track.payload, d));
      break;
    case VideoFourCc.AV1:
      attempt(() => describeAv1(track.payload, d));
      break;
    case VideoFourCc.VP9:
    case VideoFourCc.VP8:
      attempt(() => describeVpx(track.payload, d));
      break;
    default:
      break;
  }
  return d;
}

function describeAvc(payload: Uint8Array, d: VideoConfigDescription): void {
  const rec = parseAvcDecoderConfigurationRecord(payload);
  if (rec.sps.length === 0) return;
  const sps = parseH264Sps(rec.sps[0]);
  d.profile = sps.profile;
  d.level = sps.level;
  d.width = sps.width;
  d.height = sps.height;
  if (sps.fps !== undefined) d.fps = round3(sps.fps);
  d.bitDepth = sps.bitDepthLuma;
  d.chroma = CHROMA_NAMES[sps.chromaFormatIdc];
}

function describeHevc(payload: Uint8Array, d: VideoConfigDescription): void {
  const rec = parseHevcDecoderConfigurationRecord(payload);
  d.profile = hevcProfileName(rec.generalProfileIdc, rec.generalProfileCompatibilityFlags);
  d.level = hevcLevelName(rec.generalLevelIdc);
  d.tier = rec.generalTierFlag ? 'High' : 'Main';
  d.bitDepth = rec.bitDepthLumaMinus8 + 8;
  d.chroma = CHROMA_NAMES[rec.chromaFormatIdc];
  if (rec.sps.length === 0) return;
  const sps = parseH265Sps(rec.sps[0]);
  d.width = sps.width;
  d.height = sps.height;
  d.bitDepth = sps.bitDepthLuma;
  d.chroma = CHROMA_NAMES[sps.chromaFormatIdc];
  if (sps.fps !== undefined) d.fps = round3(sps.fps);
}

function describeAv1(payload: Uint8Array, d: VideoConfigDescription): void {
  const rec = parseAv1CodecConfigurationRecord(payload);
  d.profile = av1ProfileName(rec.seqProfile);
  d.level = av1LevelName(rec.seqLevelIdx0);
  d.tier = rec.seqTier0 ? 'High' : 'Main';
  d.bitDepth = rec.twelveBit ? 12 : rec.highBitdepth ? 10 : 8;
  d.chroma = rec.monochrome
    ? '4:0:0'
    : rec.chromaSubsamplingX && rec.chromaSubsamplingY
      ? '4:2:0'
      : rec.chromaSubsamplingX
        ? '4:2:2'
        : '4:4:4';
  const sh = parseAv1SequenceHeaderFromObus(rec.configObus);
  if (!sh) return;
  d.width = sh.maxFrameWidth;
  d.height = sh.maxFrameHeight;
  if (sh.fps !== undefined) d.fps = round3(sh.fps);
}

function describeVpx(payload: Uint8Array, d: VideoConfigDescription): void {
  const rec = parseVpCodecConfigurationRecord(payload);
  d.profile = `Profile ${rec.profile}`;
  const level = vpLevelName(rec.level);
  if (level !== undefined) d.level = level;
  d.bitDepth = rec.bitDepth;
  const chroma = vpChromaName(rec.chromaSubsampling);
  if (chroma !== undefined) d.chroma = chroma;
}

/**
 * Describes an audio track: the sequence-start configuration of AAC (AudioSpecificConfig), Opus (ID header)
 * and FLAC (STREAMINFO), MultichannelConfig packets, MP3 frame headers, and for the other legacy formats the
 * SoundRate / SoundSize / SoundType flags of the tag. Returns undefined for tracks that carry no configuration
 * (AAC / Opus / FLAC coded frames, sequence end, the silence message).
 */
export function describeAudioConfig(track: AudioTrack, tag: AudioTag): AudioConfigDescription | undefined {
  const d: AudioConfigDescription = { codec: track.codec, name: codecName(track.codec, 'audio') };
  if (track.packetType === 'sequenceEnd') return undefined;
  if (track.packetType === 'multichannelConfig') {
    const mc = attempt(() => parseMultichannelConfig(track.payload));
    if (mc) d.channels = mc.channelCount;
    return d;
  }
  switch (track.codec) {
    case AudioFourCc.AAC: {
      if (track.packetType !== 'sequenceStart') return undefined;
      const asc = attempt(() => parseAudioSpecificConfig(track.payload));
      if (!asc) return d;
      d.profile = aacProfileName(asc);
      d.sampleRate = asc.sbrPresent && asc.extensionSamplingFrequency !== undefined ? asc.extensionSamplingFrequency : asc.samplingFrequency;
      // Parametric stereo turns a mono core into stereo output.
      const channels = asc.psPresent && asc.channels === 1 ? 2 : asc.channels;
      if (channels !== undefined) d.channels = channels;
      return d;
    }
    case AudioFourCc.OPUS: {
      if (track.packetType !== 'sequenceStart') return undefined;
      d.sampleRate = 48000;
      if (track.payload.length > 0) {
        const head = attempt(() => parseOpusHead(track.payload));
        if (head) d.channels = head.channelCount;
      }
      return d;
    }
    case AudioFourCc.FLAC: {
      if (track.packetType !== 'sequenceStart') return undefined;
      const info = attempt(() => parseFlacSequenceHeader(track.payload));
      if (info) {
        d.sampleRate = info.sampleRate;
        d.channels = info.channels;
        d.bitDepth = info.bitsPerSample;
      }
      return d;
    }
    case AudioFourCc.MP3: {
      if (track.packetType !== 'codedFrames') return undefined;
      const h = attempt(() => parseMpegAudioHeader(track.payload));
      if (h) {
        d.sampleRate = h.sampleRate;
        d.channels = h.channels;
        d.profile = `MPEG-${h.version} Layer ${['I', 'II', 'III'][h.layer - 1]}`;
      } else if (!tag.enhanced) {
        describeLegacyFlags(tag, d);
      }
      return d;
    }
    default:
      if (tag.enhanced || track.packetType !== 'codedFrames') return track.packetType === 'sequenceStart' ? d : undefined;
      describeLegacyFlags(tag, d);
      return d;
  }
}

/** What the legacy AudioTagHeader flags say, with the formats whose rate the flags do not carry fixed. */
function describeLegacyFlags(tag: AudioTag, d: AudioConfigDescription): void {
  switch (tag.soundFormat) {
    case SoundFormat.NELLYMOSER_16K_MONO:
      d.sampleRate = 16000;
      d.channels = 1;
      return;
    case SoundFormat.NELLYMOSER_8K_MONO:
      d.sampleRate = 8000;
      d.channels = 1;
      return;
    case SoundFormat.SPEEX:
      // "Speex ... sampled at 16 kHz", mono (FLV spec v10.1, E.4.2.1 note on SoundRate/SoundType).
      d.sampleRate = 16000;
      d.channels = 1;
      return;
    case SoundFormat.MP3_8K:
    case SoundFormat.G711_ALAW:
    case SoundFormat.G711_MULAW:
      d.sampleRate = 8000;
      break;
    default:
      if (tag.soundRate !== undefined) d.sampleRate = tag.soundRate;
  }
  if (tag.stereo !== undefined) d.channels = tag.stereo ? 2 : 1;
  if (tag.soundFormat === SoundFormat.LPCM_PLATFORM_ENDIAN || tag.soundFormat === SoundFormat.LPCM_LITTLE_ENDIAN) {
    if (tag.soundSize !== undefined) d.bitDepth = tag.soundSize;
  }
}
