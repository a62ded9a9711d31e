/**
 * MPEG-2 transport stream muxer for HLS (RFC 8216 3.2: "Each MPEG-2 Transport Stream Segment MUST contain a single
 * MPEG-2 Program ... Each Transport Stream Segment MUST contain a PAT and a PMT, or have an EXT-X-MAP tag applied
 * to it. The first two Transport Stream packets in a Segment without an EXT-X-MAP tag SHOULD be a PAT and a PMT.")
 * One instance per stream output; no I/O, no clock, no randomness: the bytes are a pure function of the options
 * and the sequence of calls.
 *
 * Layout:
 *   PAT on PID 0x0000 -> program 1 -> PMT on PID 0x1000, version 0, listing video on 0x0100 (stream_type 0x1B AVC
 *   or 0x24 HEVC) and audio on 0x0101 (0x0F AAC with ADTS, 0x03 MPEG-1 or 0x04 MPEG-2 audio for MP3).
 *   PCR_PID is the video PID, or the audio PID for audio-only outputs.
 *   One PES packet per frame: video with stream_id 0xE0 and PES_packet_length 0, audio with stream_id 0xC0.
 *
 * Time (see pes.ts): PTS = DTS + composition offset, both as 90 kHz = round((ms + 1400) * 90) mod 2^33. The first
 * transport packet of every PES on the PCR PID carries a PCR whose base is the frame's DTS minus
 * TS_PCR_DELAY_MS (so PCR <= DTS, 13818-1 2.4.2: bytes arrive before they are decoded), i.e. one PCR per frame:
 * the 0.1 s maximum PCR interval of 2.7.2 holds for frame rates above 10 fps. Key frames set
 * random_access_indicator on that packet (2.4.3.5: the packet "contain[s] some information to aid random access at
 * this point"; players and probes use it to find where decoding can start).
 *
 * Continuity counters (2.4.3.3), two modes:
 *   'continuous' (default): kept per PID across calls and segments. The bytes are a function of everything the
 *     muxer wrote since it was made, so two origins produce the same segment only if they started together.
 *   'per-segment': writeSegment(frames, sequence) makes each segment independent of the muxer's history and
 *     still continuous with the previous one (see writeSegment): two origins that joined a stream at different
 *     moments write byte-identical segments, and a player reading consecutive segments sees no counter jump.
 *     (Simply restarting the counters at 0 in every segment makes FFmpeg's demuxer flag the first PES packet of
 *     each segment as corrupt after a "Continuity check failed", and drop it with -fflags discardcorrupt.)
 */
import { ADTS_HEADER_SIZE, parseAvcDecoderConfigurationRecord, parseHevcDecoderConfigurationRecord } from '@ingest/flv';
import { AdtsFramer } from './adts';
import { PesStreamId, msToTsClock, pesHeaderSize, writePesHeader } from './pes';
import { toAnnexB, type TsVideoCodec } from './ts-annexb';
import { TsMuxError } from './ts-errors';
import {
  ContinuityCounters,
  TsPid,
  TsStreamType,
  encodePatSection,
  encodePmtSection,
  packetizePes,
  pesPacketCount,
  psiPacket,
  type PesPacketizeOptions,
  type PmtStream,
} from './ts-packet';

/** The PCR runs this far behind the DTS of the frame it is sent with. */
export const TS_PCR_DELAY_MS = 700;

export interface TsVideoTrackConfig {
  codec: TsVideoCodec;
  /** The AVCDecoderConfigurationRecord (avcC) or HEVCDecoderConfigurationRecord (hvcC) of the sequence header. */
  config: Uint8Array;
}

export type TsAudioTrackConfig =
  | { codec: 'aac'; /** AudioSpecificConfig. */ config: Uint8Array }
  | { codec: 'mp3'; /** 0x03 (MPEG-1 audio, the default) or 0x04 (MPEG-2 LSF audio, 16-24 kHz). */ streamType?: 0x03 | 0x04 };

export interface TsMuxerOptions {
  video?: TsVideoTrackConfig;
  audio?: TsAudioTrackConfig;
  /**
   * 'continuous' (default): counters run across calls and segments. 'per-segment': writeSegment() writes
   * history-independent segments whose counters still join up (see the file comment); writeTables() resets them.
   */
  continuity?: 'continuous' | 'per-segment';
}

export interface TsVideoFrame {
  /** Decoding time, ms (the FLV / RTMP timestamp). */
  dts: number;
  /** Composition time offset, ms: PTS = dts + cts. */
  cts: number;
  keyframe: boolean;
  /** Length-prefixed NAL units (the FLV payload), with the record's NAL unit length size. */
  data: Uint8Array;
}

export interface TsAudioFrame {
  /** ms; PTS = DTS for audio. */
  dts: number;
  /** One raw AAC frame (no ADTS header) or one MP3 frame. */
  data: Uint8Array;
}

/** A frame tagged with its track, as the segmenter hands them out. */
export type TsMuxerFrame = ({ kind: 'video' } & TsVideoFrame) | ({ kind: 'audio' } & TsAudioFrame);

interface VideoState {
  codec: TsVideoCodec;
  nalLengthSize: number;
  parameterSets: Uint8Array[];
}

export class TsMuxer {
  /** The elementary streams in PMT order. */
  readonly streams: readonly PmtStream[];
  readonly pcrPid: number;
  private readonly counters = new ContinuityCounters();
  private readonly perSegment: boolean;
  private readonly video?: VideoState;
  private readonly audioCodec?: 'aac' | 'mp3';
  private readonly adts?: AdtsFramer;
  private readonly tables: Buffer[];

  constructor(options: TsMuxerOptions) {
    if (!options.video && !options.audio) throw new TsMuxError('TS_BAD_CONFIG', 'a transport stream needs a video or an audio track');
    const streams: PmtStream[] = [];
    if (options.video) {
      this.video = parseVideoConfig(options.video);
      streams.push({ streamType: options.video.codec === 'avc' ? TsStreamType.AVC : TsStreamType.HEVC, pid: TsPid.VIDEO });
    }
    if (options.audio) {
      this.audioCodec = options.audio.codec;
      if (options.audio.codec === 'aac') {
        try {
          this.adts = new AdtsFramer(options.audio.config);
        } catch (err) {
          throw new TsMuxError('TS_BAD_CONFIG', `AudioSpecificConfig: ${(err as Error).message}`, { cause: err });
        }
        streams.push({ streamType: TsStreamType.AAC_ADTS, pid: TsPid.AUDIO });
      } else if (options.audio.codec === 'mp3') {
        const streamType = options.audio.streamType ?? TsStreamType.MPEG1_AUDIO;
        if (streamType !== TsStreamType.MPEG1_AUDIO && streamType !== TsStreamType.MPEG2_AUDIO) {
          throw new TsMuxError('TS_BAD_CONFIG', `MP3 stream_type ${String(streamType)}; 0x03 or 0x04 allowed`);
        }
        streams.push({ streamType, pid: TsPid.AUDIO });
      } else {
        throw new TsMuxError('TS_BAD_CONFIG', `audio codec ${String((options.audio as { codec: unknown }).codec)} is not supported`);
      }
    }
    this.streams = streams;
    this.pcrPid = options.video ? TsPid.VIDEO : TsPid.AUDIO;
    this.perSegment = (options.continuity ?? 'continuous') === 'per-segment';
    this.tables = [encodePatSection({ pmtPid: TsPid.PMT }), encodePmtSection({ pcrPid: this.pcrPid, streams })];
  }

  /** The continuity_counter the next packet of `pid` will carry. */
  continuityCounter(pid: number): number {
    return this.counters.peek(pid);
  }

  /** Sets every continuity counter back to 0 (what writeTables() does first with `continuity: 'per-segment'`). */
  resetContinuityCounters(): void {
    this.counters.reset();
  }

  /** PAT + PMT, two packets: what every segment starts with. */
  writeTables(): Buffer {
    if (this.perSegment) this.counters.reset();
    return Buffer.concat([psiPacket(TsPid.PAT, this.tables[0], this.counters), psiPacket(TsPid.PMT, this.tables[1], this.counters)]);
  }

  /** One video frame as Annex B in one PES packet. An empty frame (no NAL units) writes nothing. */
  writeVideo(frame: TsVideoFrame): Buffer {
    const unit = this.videoPes(frame);
    return unit ? packetizePes(unit.pes, unit.options) : Buffer.alloc(0);
  }

  /** One audio frame in one PES packet; AAC gets its ADTS header. An empty frame writes nothing. */
  writeAudio(frame: TsAudioFrame): Buffer {
    const unit = this.audioPes(frame);
    return unit ? packetizePes(unit.pes, unit.options) : Buffer.alloc(0);
  }

  /**
   * A whole segment: PAT, PMT, then every frame in the order given.
   *
   * With `continuity: 'per-segment'` the segment is self-contained and still continuous with the one before it:
   * PAT and PMT carry continuity_counter = `sequence` mod 16 (pass the segment's number: consecutive segments
   * then count 0, 1, 2 ... on those PIDs), and each elementary stream PID starts at 0 and ends on a multiple of
   * 16 packets (its last PES packet is spread over up to 15 more transport packets, the room filled with
   * adaptation-field stuffing: 1.4 KB per PID and segment on average), so the next segment's 0 follows on. The bytes then depend on the frames
   * and `sequence` only, whichever segments the muxer wrote before.
   */
  writeSegment(frames: Iterable<TsMuxerFrame>, sequence = 0): Buffer {
    if (!this.perSegment) {
      const parts: Buffer[] = [this.writeTables()];
      for (const frame of frames) parts.push(frame.kind === 'video' ? this.writeVideo(frame) : this.writeAudio(frame));
      return Buffer.concat(parts);
    }
    if (!Number.isSafeInteger(sequence) || sequence < 0) throw new TsMuxError('TS_BAD_FRAME', `segment sequence ${sequence}`);
    this.counters.reset();
    const units: PesUnit[] = [];
    for (const frame of frames) {
      const unit = frame.kind === 'video' ? this.videoPes(frame) : this.audioPes(frame);
      if (unit) units.push(unit);
    }
    // Pad each PID to a multiple of 16 packets: its last PES packets (the last one, unless it is too short to
    // spread that far) take the extra transport packets.
    const packets = units.map((u) => pesPacketCount(u.pes.length, u.options));
    for (const pid of new Set(units.map((u) => u.options.pid))) {
      const total = units.reduce((n, u, i) => n + (u.options.pid === pid ? packets[i] : 0), 0);
      let deficit = (16 - (total % 16)) % 16;
      for (let i = units.length - 1; i >= 0 && deficit > 0; i--) {
        if (units[i].options.pid !== pid) continue;
        const take = Math.min(deficit, units[i].pes.length - packets[i]);
        packets[i] += take;
        deficit -= take;
      }
    }
    const out: Buffer[] = [psiPacket(TsPid.PAT, this.tables[0], sequence), psiPacket(TsPid.PMT, this.tables[1], sequence)];
    units.forEach((u, i) => out.push(packetizePes(u.pes, { ...u.options, packets: packets[i] })));
    return Buffer.concat(out);
  }

  private videoPes(frame: TsVideoFrame): PesUnit | undefined {
    const video = this.video;
    if (!video) throw new TsMuxError('TS_NO_TRACK', 'video frame for a muxer without a video track');
    checkTime('dts', frame.dts);
    checkTime('cts', frame.cts);
    if (frame.data.length === 0) return undefined;
    const es = toAnnexB(frame.data, { codec: video.codec, nalLengthSize: video.nalLengthSize, keyframe: frame.keyframe, parameterSets: video.parameterSets });
    const pts = msToTsClock(frame.dts + frame.cts);
    const dts = msToTsClock(frame.dts);
    const pes = Buffer.alloc(pesHeaderSize({ pts, dts }) + es.length);
    const p = writePesHeader(pes, 0, { streamId: PesStreamId.VIDEO, pts, dts, payloadLength: es.length, unbounded: true });
    pes.set(es, p);
    return {
      pes,
      options: {
        pid: TsPid.VIDEO,
        counters: this.counters,
        pcr: this.pcrPid === TsPid.VIDEO ? msToTsClock(frame.dts - TS_PCR_DELAY_MS) : undefined,
        randomAccess: frame.keyframe,
      },
    };
  }

  private audioPes(frame: TsAudioFrame): PesUnit | undefined {
    if (!this.audioCodec) throw new TsMuxError('TS_NO_TRACK', 'audio frame for a muxer without an audio track');
    checkTime('dts', frame.dts);
    if (frame.data.length === 0) return undefined;
    const pts = msToTsClock(frame.dts);
    const esLength = (this.adts ? ADTS_HEADER_SIZE : 0) + frame.data.length;
    const pes = Buffer.alloc(pesHeaderSize({ pts }) + esLength);
    let p: number;
    try {
      p = writePesHeader(pes, 0, { streamId: PesStreamId.AUDIO, pts, payloadLength: esLength, unbounded: false });
      if (this.adts) {
        this.adts.writeHeader(pes, p, frame.data.length);
        p += ADTS_HEADER_SIZE;
      }
    } catch (err) {
      throw new TsMuxError('TS_BAD_FRAME', `audio frame of ${frame.data.length} bytes: ${(err as Error).message}`, { cause: err });
    }
    pes.set(frame.data, p);
    return {
      pes,
      options: { pid: TsPid.AUDIO, counters: this.counters, pcr: this.pcrPid === TsPid.AUDIO ? msToTsClock(frame.dts - TS_PCR_DELAY_MS) : undefined },
    };
  }
}

interface PesUnit {
  pes: Buffer;
  options: PesPacketizeOptions;
}

function checkTime(what: string, ms: number): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new TsMuxError('TS_BAD_FRAME', `${what} ${String(ms)} is not a finite number`);
}

function parseVideoConfig(video: TsVideoTrackConfig): VideoState {
  try {
    if (video.codec === 'avc') {
      const rec = parseAvcDecoderConfigurationRecord(video.config);
      if (rec.sps.length === 0 || rec.pps.length === 0) throw new Error('the record has no SPS or no PPS');
      return { codec: 'avc', nalLengthSize: rec.lengthSizeMinusOne + 1, parameterSets: [...rec.sps, ...(rec.spsExt ?? []), ...rec.pps] };
    }
    if (video.codec === 'hevc') {
      const rec = parseHevcDecoderConfigurationRecord(video.config);
      if (rec.vps.length === 0 || rec.sps.length === 0 || rec.pps.length === 0) throw new Error('the record lacks a VPS, SPS or PPS');
      return { codec: 'hevc', nalLengthSize: rec.lengthSizeMinusOne + 1, parameterSets: [...rec.vps, ...rec.sps, ...rec.pps] };
    }
  } catch (err) {
    throw new TsMuxError('TS_BAD_CONFIG', `${video.codec} decoder configuration record: ${(err as Error).message}`, { cause: err });
  }
  throw new TsMuxError('TS_BAD_CONFIG', `video codec ${String((video as { codec: unknown }).codec)} is not supported`);
}
