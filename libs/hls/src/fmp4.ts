/**
 * Fragmented MP4 / CMAF packaging of relayed FLV streams, without transcoding:
 *
 * - fmp4InitSegment: ftyp (iso6, cmfc) + moov (mvhd, one trak per track, mvex/trex). The sample entries carry
 *   the FLV sequence headers as they are: the AVCDecoderConfigurationRecord / HEVCDecoderConfigurationRecord
 *   become avcC / hvcC, the AudioSpecificConfig goes into esds.
 * - fmp4MediaSegment: styp + moof (mfhd, one traf per track: tfhd, tfdt, trun) + one mdat with the samples of
 *   every track, track after track, in the order given.
 * - flvToSamples: FLV frames (millisecond DTS and composition time, length-prefixed NAL units or raw AAC) to
 *   mp4 samples. FLV NAL units are length-prefixed with the size the avcC/hvcC record declares, exactly as mp4
 *   samples are, so frame payloads are used as they are.
 *
 * Output is byte-deterministic: every byte is a function of the arguments (no clock, creation times are 0, no
 * randomness), so two origins fed the same stream produce identical segments.
 *
 * Timing: the composition offset of a video sample is the FLV CompositionTime (pts - dts) converted to the
 * 90 kHz timescale, and audio samples have none, so video pts and audio pts keep the relation they have in FLV
 * (same timeline, no edit list needed). Offsets are written signed (version 1 trun), so a stream with negative
 * CompositionTime values is carried as well.
 */
import {
  parseAudioSpecificConfig,
  parseAvcDecoderConfigurationRecord,
  parseH264Sps,
  parseH265Sps,
  parseHevcDecoderConfigurationRecord,
} from '@ingest/flv';
import {
  Mp4Box,
  SAMPLE_FLAGS_NON_SYNC,
  SAMPLE_FLAGS_SYNC,
  TrunSample,
  avc1,
  dinf,
  ftyp,
  hdlr,
  hvc1,
  mdat,
  mdhd,
  mdia,
  mfhd,
  minf,
  moof,
  moov,
  mp4a,
  mvex,
  mvhd,
  smhd,
  stbl,
  stsd,
  styp,
  tfdt,
  tfhd,
  tkhd,
  traf,
  trak,
  trex,
  trun,
  vmhd,
  writeBoxes,
} from './mp4-boxes';

/** The video timescale (90 kHz, as MPEG-TS, so HLS TS and fMP4 renditions share timestamps). */
export const FMP4_VIDEO_TIMESCALE = 90000;
/** The movie (mvhd) timescale; no duration is written in it for fragmented files, so any value would do. */
export const FMP4_MOVIE_TIMESCALE = 1000;
/** AAC frames carry 1024 samples (960 with frameLengthFlag, which FLV encoders do not use). */
export const FMP4_AAC_SAMPLES_PER_FRAME = 1024;

/** ftyp of init segments: major brand iso6, compatible with iso6 and the CMAF structural brand cmfc. */
export const FMP4_INIT_BRANDS = { major: 'iso6', minor: 0, compatible: ['iso6', 'cmfc'] } as const;
/**
 * styp of media segments: major brand msdh (DASH media segment, ISO/IEC 23009-1 6.3.4.2), compatible with msdh
 * and cmfs (CMAF segment, ISO/IEC 23000-19 7.3.2).
 */
export const FMP4_SEGMENT_BRANDS = { major: 'msdh', minor: 0, compatible: ['msdh', 'cmfs'] } as const;

export interface Fmp4VideoTrack {
  /** track_ID, 1 or more, unique in the init segment. */
  id: number;
  kind: 'video';
  codec: 'avc1' | 'hvc1';
  /** The AVCDecoderConfigurationRecord / HEVCDecoderConfigurationRecord of the FLV sequence header. */
  config: Uint8Array;
  /** Presentation size in pixels (the SPS size after cropping). */
  width: number;
  height: number;
  /** 90000 (FMP4_VIDEO_TIMESCALE); another value is accepted, flvToSamples produces 90 kHz samples only. */
  timescale: number;
}

export interface Fmp4AudioTrack {
  id: number;
  kind: 'audio';
  codec: 'mp4a';
  /** The AudioSpecificConfig of the FLV AAC sequence header. */
  config: Uint8Array;
  sampleRate: number;
  channels: number;
  /** The sample rate, so that an AAC frame lasts 1024 ticks. */
  timescale: number;
}

export type Fmp4Track = Fmp4VideoTrack | Fmp4AudioTrack;

export interface Fmp4Sample {
  /** In the track timescale. */
  duration: number;
  /** Bytes; must equal data.byteLength. */
  size: number;
  /** Presentation time - decode time in the track timescale; signed (written in a version 1 trun). */
  compositionOffset: number;
  /** A sync sample (IDR / IRAP picture; every AAC frame). */
  keyframe: boolean;
  data: Uint8Array;
}

export interface Fmp4Fragment {
  trackId: number;
  /** Decode time of the first sample, in the track timescale. */
  baseMediaDecodeTime: number;
  samples: readonly Fmp4Sample[];
}

function checkTrackId(id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffffffff) throw new RangeError(`track id ${id} is not a UI32 of 1 or more`);
}

function checkPositive(v: number, what: string, max = 0xffffffff): void {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`${what} ${v} is not an integer in 1..${max}`);
}

function videoTrak(t: Fmp4VideoTrack): Mp4Box {
  checkPositive(t.width, 'width', 0xffff);
  checkPositive(t.height, 'height', 0xffff);
  const entry = t.codec === 'avc1' ? avc1(t.width, t.height, t.config) : hvc1(t.width, t.height, t.config);
  return trak(
    tkhd({ trackId: t.id, width: t.width, height: t.height, volume: 0 }),
    mdia(mdhd({ timescale: t.timescale }), hdlr('vide', 'VideoHandler'), minf(vmhd(), dinf(), stbl(stsd(entry)))),
  );
}

function audioTrak(t: Fmp4AudioTrack): Mp4Box {
  checkPositive(t.channels, 'channels', 0xffff);
  checkPositive(t.sampleRate, 'sampleRate');
  const entry = mp4a({ channels: t.channels, sampleRate: t.sampleRate, audioSpecificConfig: t.config });
  return trak(
    tkhd({ trackId: t.id, volume: 0x0100 }),
    mdia(mdhd({ timescale: t.timescale }), hdlr('soun', 'SoundHandler'), minf(smhd(), dinf(), stbl(stsd(entry)))),
  );
}

/**
 * The CMAF header / HLS EXT-X-MAP / DASH initialization segment for the given tracks: ftyp + moov with
 * mvex. Tracks appear in the order given; track ids must be distinct.
 */
export function fmp4InitSegment(tracks: readonly Fmp4Track[]): Buffer {
  if (tracks.length === 0) throw new RangeError('an init segment needs at least one track');
  const ids = new Set<number>();
  for (const t of tracks) {
    checkTrackId(t.id);
    checkPositive(t.timescale, 'timescale');
    if (ids.has(t.id)) throw new RangeError(`track id ${t.id} is used twice`);
    ids.add(t.id);
    if (t.config.byteLength === 0) throw new RangeError(`track ${t.id}: empty codec configuration`);
  }
  const nextTrackId = Math.max(...ids) + 1;
  return writeBoxes(
    ftyp(FMP4_INIT_BRANDS.major, FMP4_INIT_BRANDS.minor, FMP4_INIT_BRANDS.compatible),
    moov(
      mvhd({ timescale: FMP4_MOVIE_TIMESCALE, nextTrackId: nextTrackId > 0xffffffff ? 0xffffffff : nextTrackId }),
      ...tracks.map((t) => (t.kind === 'video' ? videoTrak(t) : audioTrak(t))),
      mvex(...tracks.map((t) => trex({ trackId: t.id }))),
    ),
  );
}

export interface Fmp4MediaSegmentOptions {
  /**
   * Start with a styp box (default true). LL-HLS partial segments after the first of a segment, or CMAF chunks,
   * may leave it out.
   */
  styp?: boolean;
}

function allEqual(values: readonly number[], from = 0): boolean {
  for (let i = from + 1; i < values.length; i++) if (values[i] !== values[from]) return false;
  return true;
}

/**
 * The traf of one fragment, with the run's data at `dataOffset` from the start of the moof. Sample durations
 * and flags that are the same for every sample go to tfhd as defaults; flags that differ only on the first
 * sample (a GOP: a sync sample then non-sync ones) use first_sample_flags; composition offsets are written
 * only when one of them is not zero. The choice depends on the samples alone, so the output stays
 * deterministic.
 */
function fragmentTraf(f: Fmp4Fragment, dataOffset: number): Mp4Box {
  const samples = f.samples;
  const durations = samples.map((s) => s.duration);
  const flags = samples.map((s) => (s.keyframe ? SAMPLE_FLAGS_SYNC : SAMPLE_FLAGS_NON_SYNC));
  const sameDuration = samples.length > 0 && allEqual(durations);
  let defaultSampleFlags: number | undefined;
  let firstSampleFlags: number | undefined;
  let perSampleFlags = false;
  if (samples.length > 0 && allEqual(flags)) {
    defaultSampleFlags = flags[0];
  } else if (samples.length > 1 && allEqual(flags, 1)) {
    defaultSampleFlags = flags[1];
    firstSampleFlags = flags[0];
  } else if (samples.length > 0) {
    perSampleFlags = true;
  }
  const withOffsets = samples.some((s) => s.compositionOffset !== 0);
  const run: TrunSample[] = samples.map((s, i) => ({
    duration: s.duration,
    size: s.size,
    flags: flags[i],
    compositionOffset: s.compositionOffset,
  }));
  return traf(
    tfhd({
      trackId: f.trackId,
      defaultSampleDuration: sameDuration ? durations[0] : undefined,
      defaultSampleFlags,
    }),
    tfdt(f.baseMediaDecodeTime),
    trun({
      dataOffset,
      firstSampleFlags,
      fields: { duration: !sameDuration, size: true, flags: perSampleFlags, compositionOffset: withOffsets },
      samples: run,
    }),
  );
}

/**
 * One CMAF fragment / media segment: [styp] + moof (mfhd, then one traf per fragment, in the order given) +
 * mdat holding the samples of the first fragment, then the second's, and so on. Each trun's data_offset points
 * at its samples, counted from the start of the moof (tfhd default-base-is-moof).
 *
 * sequenceNumber is the mfhd sequence_number (1 or more, increasing from segment to segment).
 */
export function fmp4MediaSegment(sequenceNumber: number, fragments: readonly Fmp4Fragment[], options: Fmp4MediaSegmentOptions = {}): Buffer {
  checkPositive(sequenceNumber, 'sequence number');
  if (fragments.length === 0) throw new RangeError('a media segment needs at least one fragment');
  const ids = new Set<number>();
  const dataSizes: number[] = [];
  for (const f of fragments) {
    checkTrackId(f.trackId);
    if (ids.has(f.trackId)) throw new RangeError(`track ${f.trackId} has two fragments in one segment`);
    ids.add(f.trackId);
    let size = 0;
    f.samples.forEach((s, i) => {
      if (s.size !== s.data.byteLength) throw new RangeError(`track ${f.trackId} sample ${i}: size ${s.size} but ${s.data.byteLength} bytes of data`);
      size += s.size;
    });
    dataSizes.push(size);
  }

  // The data offsets depend on the moof size, which does not depend on their values: build once with zeros to
  // learn the size, then with the real offsets.
  const buildMoof = (moofSize: number): Mp4Box => {
    let offset = moofSize + 8; // the mdat header
    const trafs = fragments.map((f, i) => {
      const t = fragmentTraf(f, offset);
      offset += dataSizes[i];
      return t;
    });
    return moof(mfhd(sequenceNumber), ...trafs);
  };
  const moofBox = buildMoof(buildMoof(0).size);
  const data: Uint8Array[] = [];
  for (const f of fragments) for (const s of f.samples) data.push(s.data);
  const parts: Mp4Box[] = [];
  if (options.styp !== false) parts.push(styp(FMP4_SEGMENT_BRANDS.major, FMP4_SEGMENT_BRANDS.minor, FMP4_SEGMENT_BRANDS.compatible));
  parts.push(moofBox, mdat(...data));
  return writeBoxes(...parts);
}

// ---------------------------------------------------------------------------------------------------------------
// FLV frames -> samples

/** One FLV video frame (a CodedFrames track of a video tag). */
export interface Fmp4FlvVideoFrame {
  /** Decode timestamp in milliseconds: the tag timestamp, unwrapped past 2^32 ms by the caller. */
  dts: number;
  /** CompositionTime (pts - dts) in milliseconds, signed. */
  cts: number;
  keyframe: boolean;
  /** Length-prefixed NAL units, as in the FLV tag (and as mp4 samples want them). */
  data: Uint8Array;
}

/** One FLV audio frame (a raw AAC access unit, without ADTS header). */
export interface Fmp4FlvAudioFrame {
  /** Milliseconds, unwrapped. */
  dts: number;
  data: Uint8Array;
}

export interface Fmp4FlvVideoInput {
  kind: 'video';
  /** In decode order. */
  frames: readonly Fmp4FlvVideoFrame[];
  /**
   * DTS (ms) of the frame that follows the last one, when known (a segmenter that cuts at a keyframe knows it):
   * the last sample then lasts exactly up to it, and consecutive fragments tile the timeline with no gap.
   */
  nextDts?: number;
  /** Duration (90 kHz ticks) of a single-frame fragment without nextDts. Default 3000 (1/30 s). */
  defaultDuration?: number;
}

export interface Fmp4FlvAudioInput {
  kind: 'audio';
  frames: readonly Fmp4FlvAudioFrame[];
  /** The track timescale (the AAC sampling rate). */
  sampleRate: number;
  /** Default 1024 (FMP4_AAC_SAMPLES_PER_FRAME). */
  samplesPerFrame?: number;
}

export interface Fmp4FlvSamples {
  /** In the track timescale: the first frame's DTS. */
  baseMediaDecodeTime: number;
  samples: Fmp4Sample[];
}

function checkTime(ms: number, what: string): void {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`${what} ${ms} is not a non-negative time`);
}

/**
 * Converts FLV frames to fMP4 samples for one fragment.
 *
 * Video (90 kHz): each frame's decode time is round(dts * 90); a sample lasts until the NEXT frame's decode
 * time. The last frame of the fragment lasts until `nextDts` when given; otherwise it gets the fragment's
 * average frame duration, round((last - first) / (n - 1)) ticks (or `defaultDuration` for a lone frame) - an
 * estimate that only depends on the fragment, so the output stays deterministic. The composition offset is
 * round((dts + cts) * 90) - round(dts * 90), so presentation times are exactly FLV pts * 90 and B-frames keep
 * their presentation order. A DTS that goes backwards gives a duration of 0 (clamped), never a negative one.
 *
 * Audio (sampleRate timescale): baseMediaDecodeTime is round(firstDts * sampleRate / 1000), derived from the
 * stream's timestamps alone (not from a count of frames since some start, which would differ between origins
 * that joined at different times); every sample lasts samplesPerFrame (1024) ticks. Consecutive fragments
 * therefore meet within the millisecond rounding of the FLV timestamps (under 1 ms, 44 ticks at 44.1 kHz).
 */
export function flvToSamples(input: Fmp4FlvVideoInput | Fmp4FlvAudioInput): Fmp4FlvSamples {
  if (input.frames.length === 0) throw new RangeError('flvToSamples: no frames');
  if (input.kind === 'audio') {
    checkPositive(input.sampleRate, 'sampleRate');
    const perFrame = input.samplesPerFrame ?? FMP4_AAC_SAMPLES_PER_FRAME;
    checkPositive(perFrame, 'samplesPerFrame');
    input.frames.forEach((f, i) => checkTime(f.dts, `audio frame ${i} dts`));
    return {
      baseMediaDecodeTime: Math.round((input.frames[0].dts * input.sampleRate) / 1000),
      samples: input.frames.map((f) => ({ duration: perFrame, size: f.data.byteLength, compositionOffset: 0, keyframe: true, data: f.data })),
    };
  }

  const frames = input.frames;
  const ticks = frames.map((f, i) => {
    checkTime(f.dts, `video frame ${i} dts`);
    if (!Number.isFinite(f.cts)) throw new RangeError(`video frame ${i} cts ${f.cts} is not finite`);
    return Math.round(f.dts * 90);
  });
  const n = frames.length;
  let lastDuration: number;
  if (input.nextDts !== undefined) {
    checkTime(input.nextDts, 'nextDts');
    lastDuration = Math.round(input.nextDts * 90) - ticks[n - 1];
  } else if (n > 1) {
    lastDuration = Math.round((ticks[n - 1] - ticks[0]) / (n - 1));
  } else {
    lastDuration = input.defaultDuration ?? 3000;
  }
  const samples = frames.map((f, i) => {
    const duration = i + 1 < n ? ticks[i + 1] - ticks[i] : lastDuration;
    return {
      duration: Math.max(0, duration),
      size: f.data.byteLength,
      compositionOffset: Math.round((f.dts + f.cts) * 90) - ticks[i],
      keyframe: f.keyframe,
      data: f.data,
    };
  });
  return { baseMediaDecodeTime: ticks[0], samples };
}

// ---------------------------------------------------------------------------------------------------------------
// Track descriptions from FLV sequence headers

/**
 * The video track for an FLV sequence header: width and height from the first SPS of the record (after
 * cropping / the conformance window), timescale 90 kHz. Throws FlvError when the record or SPS does not parse.
 */
export function fmp4VideoTrack(id: number, codec: 'avc1' | 'hvc1', config: Uint8Array): Fmp4VideoTrack {
  let size: { width: number; height: number };
  if (codec === 'avc1') {
    const rec = parseAvcDecoderConfigurationRecord(config);
    if (rec.sps.length === 0) throw new RangeError('AVCDecoderConfigurationRecord without an SPS');
    size = parseH264Sps(rec.sps[0]);
  } else {
    const rec = parseHevcDecoderConfigurationRecord(config);
    if (rec.sps.length === 0) throw new RangeError('HEVCDecoderConfigurationRecord without an SPS');
    size = parseH265Sps(rec.sps[0]);
  }
  return { id, kind: 'video', codec, config, width: size.width, height: size.height, timescale: FMP4_VIDEO_TIMESCALE };
}

/**
 * The audio track for an FLV AAC sequence header: the core sampling frequency of the AudioSpecificConfig as
 * sample rate and timescale (for HE-AAC the SBR output rate is twice that; 1024-sample frames count at the core
 * rate), and the channel count of channelConfiguration (2 when it is 0, i.e. given by a program_config_element).
 */
export function fmp4AudioTrack(id: number, config: Uint8Array): Fmp4AudioTrack {
  const asc = parseAudioSpecificConfig(config);
  return {
    id,
    kind: 'audio',
    codec: 'mp4a',
    config,
    sampleRate: asc.samplingFrequency,
    channels: asc.channels ?? 2,
    timescale: asc.samplingFrequency,
  };
}
