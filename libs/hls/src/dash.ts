/**
 * MPEG-DASH manifests (ISO/IEC 23009-1) for the fMP4/CMAF segments of fmp4.ts, following the DASH-IF
 * interoperability guidelines for live services (isoff-live profile, number-based SegmentTemplate).
 *
 * One Period starting at 0, one AdaptationSet per media type with one Representation each (video id 'video',
 * audio id 'audio' unless told otherwise), and a SegmentTemplate per AdaptationSet with timescale 1000 (the
 * FLV millisecond clock), @duration = the nominal segment duration and $Number$ addressing: segment
 * startNumber + k covers media time presentationTimeOffset + k * duration.
 *
 * The manifest is a pure function of its options: availabilityStartTime and publishTime are passed in
 * (derived from the stream, not from a clock), so two origins produce the same bytes.
 */

export interface DashVideoRepresentation {
  /** Representation@id, substituted for $RepresentationID$; default 'video'. */
  id?: string;
  /** RFC 6381, e.g. 'avc1.64001f' (codecString in fmp4-codecs.ts). */
  codecs: string;
  width: number;
  height: number;
  /** Frames per second: an integer, a fraction string ('30000/1001'), or a number converted to one. */
  frameRate?: number | string;
  /** Bits per second (Representation@bandwidth, required). */
  bandwidth: number;
  /** Sample aspect ratio, default '1:1'. */
  sar?: string;
}

export interface DashAudioRepresentation {
  id?: string;
  /** e.g. 'mp4a.40.2'. */
  codecs: string;
  sampleRate: number;
  /** AudioChannelConfiguration (23003-3 scheme); omitted when undefined. */
  channels?: number;
  bandwidth: number;
  /** AdaptationSet@lang (RFC 5646), omitted when undefined. */
  lang?: string;
}

export interface DashManifestOptions {
  /** 'dynamic' (live, the default) or 'static' (a finished recording: needs mediaPresentationDurationMs). */
  type?: 'dynamic' | 'static';
  /**
   * xs:dateTime (ISO 8601, e.g. '2024-05-01T12:00:00Z' or with milliseconds): the wall-clock time at which
   * media time presentationTimeOffsetMs starts. Required for 'dynamic'. dashDateTime() formats epoch ms.
   */
  availabilityStartTime?: string;
  /** xs:dateTime of this version of the manifest. */
  publishTime: string;
  /** The nominal segment duration (SegmentTemplate@duration in ms). */
  segmentDurationMs: number;
  /** MPD@timeShiftBufferDepth ('dynamic' only). */
  timeShiftBufferDepthMs?: number;
  /** MPD@minimumUpdatePeriod ('dynamic' only); default segmentDurationMs. */
  minimumUpdatePeriodMs?: number;
  /** MPD@minBufferTime; default segmentDurationMs. */
  minBufferTimeMs?: number;
  /** MPD@suggestedPresentationDelay ('dynamic' only); omitted when undefined. */
  suggestedPresentationDelayMs?: number;
  /**
   * MPD@maxSegmentDuration; default segmentDurationMs. A segmenter that cuts at keyframes can produce longer
   * segments than the nominal duration: pass the longest it allows.
   */
  maxSegmentDurationMs?: number;
  /** MPD@mediaPresentationDuration ('static', required there). */
  mediaPresentationDurationMs?: number;
  video?: DashVideoRepresentation;
  audio?: DashAudioRepresentation;
  /** SegmentTemplate@startNumber: the number of the segment that starts at presentationTimeOffsetMs. */
  startNumber: number;
  /**
   * Media time (ms, i.e. the FLV timestamp) at which segment startNumber starts: SegmentTemplate
   * @presentationTimeOffset. Default 0 (a stream whose timestamps start at 0).
   */
  presentationTimeOffsetMs?: number;
  /** SegmentTemplate@initialization, e.g. 'init-$RepresentationID$.mp4'. */
  initTemplate: string;
  /** SegmentTemplate@media, e.g. 'seg-$RepresentationID$-$Number$.m4s'; must contain $Number$. */
  mediaTemplate: string;
  /** MPD-level BaseURL, omitted when undefined. */
  baseUrl?: string;
  /**
   * UTCTiming (DASH-IF IOP 4.7: live manifests should give clients a clock source), e.g.
   * { schemeIdUri: 'urn:mpeg:dash:utc:http-iso:2014', value: 'https://example.com/time' }.
   */
  utcTiming?: { schemeIdUri: string; value: string };
}

export const DASH_LIVE_PROFILE = 'urn:mpeg:dash:profile:isoff-live:2011';
const MPD_NAMESPACE = 'urn:mpeg:dash:schema:mpd:2011';
const CHANNEL_CONFIGURATION_SCHEME = 'urn:mpeg:dash:23003:3:audio_channel_configuration:2011';

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** xs:dateTime for a Unix time in milliseconds, in UTC: 1714564800000 -> '2024-05-01T12:00:00Z'. */
export function dashDateTime(epochMs: number): string {
  if (!Number.isFinite(epochMs)) throw new RangeError(`time ${epochMs} is not finite`);
  const iso = new Date(Math.round(epochMs)).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** xs:duration for milliseconds: 2000 -> 'PT2S', 1500 -> 'PT1.5S', 0 -> 'PT0S'. */
export function dashDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`duration ${ms} ms is not a non-negative number`);
  const whole = Math.round(ms);
  const seconds = Math.floor(whole / 1000);
  const millis = whole % 1000;
  return millis === 0 ? `PT${seconds}S` : `PT${seconds}.${String(millis).padStart(3, '0').replace(/0+$/, '')}S`;
}

/** FrameRateType ('[0-9]+(/[0-9]+)?'): 30 -> '30', 29.97 -> '30000/1001', 12.5 -> '25/2'. */
export function dashFrameRate(fps: number | string): string {
  if (typeof fps === 'string') {
    if (!/^\d+(\/[1-9]\d*)?$/.test(fps)) throw new RangeError(`frame rate ${JSON.stringify(fps)} is not N or N/D`);
    return fps;
  }
  if (!Number.isFinite(fps) || fps <= 0) throw new RangeError(`frame rate ${fps} is not positive`);
  if (Number.isInteger(fps)) return String(fps);
  const ntsc = Math.round((fps * 1001) / 1000);
  if (Math.abs((ntsc * 1000) / 1001 - fps) < 0.005) return `${ntsc * 1000}/1001`;
  let den = 1000;
  let num = Math.round(fps * den);
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const g = gcd(num, den);
  num /= g;
  den /= g;
  return `${num}/${den}`;
}

function xmlAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function xmlText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attrs(list: ReadonlyArray<readonly [string, string | number | undefined]>): string {
  return list
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
}

function checkUint(v: number, what: string, min = 0): void {
  if (!Number.isInteger(v) || v < min || v > Number.MAX_SAFE_INTEGER) throw new RangeError(`${what} ${v} is not an integer >= ${min}`);
}

function checkDateTime(v: string, what: string): void {
  if (!DATE_TIME.test(v) || Number.isNaN(Date.parse(v))) throw new RangeError(`${what} ${JSON.stringify(v)} is not an xs:dateTime`);
}

function segmentTemplate(o: DashManifestOptions): string {
  return `<SegmentTemplate${attrs([
    ['timescale', 1000],
    ['duration', o.segmentDurationMs],
    ['startNumber', o.startNumber],
    ['presentationTimeOffset', o.presentationTimeOffsetMs || undefined],
    ['initialization', o.initTemplate],
    ['media', o.mediaTemplate],
  ])}/>`;
}

/**
 * The MPD for a live (or, with type 'static', finished) stream packaged by fmp4InitSegment/fmp4MediaSegment
 * with one track per Representation. Throws a RangeError for missing or malformed options.
 */
export function dashManifest(o: DashManifestOptions): string {
  const type = o.type ?? 'dynamic';
  checkUint(o.segmentDurationMs, 'segmentDurationMs', 1);
  checkUint(o.startNumber, 'startNumber');
  if (o.presentationTimeOffsetMs !== undefined) checkUint(o.presentationTimeOffsetMs, 'presentationTimeOffsetMs');
  checkDateTime(o.publishTime, 'publishTime');
  if (!o.mediaTemplate.includes('$Number')) throw new RangeError('mediaTemplate must contain $Number$');
  if (!o.video && !o.audio) throw new RangeError('a manifest needs video or audio');
  if (o.video) {
    checkUint(o.video.width, 'video width', 1);
    checkUint(o.video.height, 'video height', 1);
    checkUint(o.video.bandwidth, 'video bandwidth', 1);
  }
  if (o.audio) {
    checkUint(o.audio.sampleRate, 'audio sampleRate', 1);
    checkUint(o.audio.bandwidth, 'audio bandwidth', 1);
    if (o.audio.channels !== undefined) checkUint(o.audio.channels, 'audio channels', 1);
  }
  const videoId = o.video?.id ?? 'video';
  const audioId = o.audio?.id ?? 'audio';
  if (o.video && o.audio && videoId === audioId) throw new RangeError(`video and audio share the Representation id '${videoId}'`);

  const mpd: Array<readonly [string, string | number | undefined]> = [
    ['xmlns', MPD_NAMESPACE],
    ['profiles', DASH_LIVE_PROFILE],
    ['type', type],
  ];
  if (type === 'dynamic') {
    if (o.availabilityStartTime === undefined) throw new RangeError('a dynamic MPD needs availabilityStartTime');
    checkDateTime(o.availabilityStartTime, 'availabilityStartTime');
    if (o.timeShiftBufferDepthMs === undefined) throw new RangeError('a dynamic MPD needs timeShiftBufferDepthMs');
    checkUint(o.timeShiftBufferDepthMs, 'timeShiftBufferDepthMs');
    mpd.push(
      ['availabilityStartTime', o.availabilityStartTime],
      ['publishTime', o.publishTime],
      ['minimumUpdatePeriod', dashDuration(o.minimumUpdatePeriodMs ?? o.segmentDurationMs)],
      ['timeShiftBufferDepth', dashDuration(o.timeShiftBufferDepthMs)],
    );
    if (o.suggestedPresentationDelayMs !== undefined) mpd.push(['suggestedPresentationDelay', dashDuration(o.suggestedPresentationDelayMs)]);
  } else {
    if (o.mediaPresentationDurationMs === undefined) throw new RangeError('a static MPD needs mediaPresentationDurationMs');
    if (o.availabilityStartTime !== undefined) {
      checkDateTime(o.availabilityStartTime, 'availabilityStartTime');
      mpd.push(['availabilityStartTime', o.availabilityStartTime]);
    }
    mpd.push(['publishTime', o.publishTime], ['mediaPresentationDuration', dashDuration(o.mediaPresentationDurationMs)]);
  }
  mpd.push(['maxSegmentDuration', dashDuration(o.maxSegmentDurationMs ?? o.segmentDurationMs)], ['minBufferTime', dashDuration(o.minBufferTimeMs ?? o.segmentDurationMs)]);

  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', `<MPD${attrs(mpd)}>`];
  if (o.baseUrl !== undefined) lines.push(`  <BaseURL>${xmlText(o.baseUrl)}</BaseURL>`);
  lines.push(`  <Period${attrs([['id', '0'], ['start', 'PT0S']])}>`);
  let setId = 0;
  if (o.video) {
    const v = o.video;
    lines.push(
      `    <AdaptationSet${attrs([
        ['id', setId++],
        ['contentType', 'video'],
        ['mimeType', 'video/mp4'],
        ['segmentAlignment', 'true'],
        ['startWithSAP', 1],
        ['maxWidth', v.width],
        ['maxHeight', v.height],
        ['maxFrameRate', v.frameRate === undefined ? undefined : dashFrameRate(v.frameRate)],
      ])}>`,
      `      ${segmentTemplate(o)}`,
      `      <Representation${attrs([
        ['id', videoId],
        ['bandwidth', v.bandwidth],
        ['codecs', v.codecs],
        ['width', v.width],
        ['height', v.height],
        ['frameRate', v.frameRate === undefined ? undefined : dashFrameRate(v.frameRate)],
        ['sar', v.sar ?? '1:1'],
      ])}/>`,
      '    </AdaptationSet>',
    );
  }
  if (o.audio) {
    const a = o.audio;
    lines.push(
      `    <AdaptationSet${attrs([
        ['id', setId++],
        ['contentType', 'audio'],
        ['mimeType', 'audio/mp4'],
        ['lang', a.lang],
        ['segmentAlignment', 'true'],
        ['startWithSAP', 1],
      ])}>`,
      `      ${segmentTemplate(o)}`,
    );
    const rep = `<Representation${attrs([
      ['id', audioId],
      ['bandwidth', a.bandwidth],
      ['codecs', a.codecs],
      ['audioSamplingRate', a.sampleRate],
    ])}`;
    if (a.channels === undefined) {
      lines.push(`      ${rep}/>`);
    } else {
      lines.push(
        `      ${rep}>`,
        `        <AudioChannelConfiguration${attrs([['schemeIdUri', CHANNEL_CONFIGURATION_SCHEME], ['value', a.channels]])}/>`,
        '      </Representation>',
      );
    }
    lines.push('    </AdaptationSet>');
  }
  lines.push('  </Period>');
  if (o.utcTiming) lines.push(`  <UTCTiming${attrs([['schemeIdUri', o.utcTiming.schemeIdUri], ['value', o.utcTiming.value]])}/>`);
  lines.push('</MPD>', '');
  return lines.join('\n');
}
