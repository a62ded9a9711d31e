/**
 * HLS media playlist text (RFC 8216, draft-pantos-hls-rfc8216bis for Low-Latency HLS): pure functions from a
 * window of segments to the playlist body, and the validation of the blocking-reload query parameters.
 *
 * Names: `seg-<number>.ts` (MPEG-TS), `seg-<number>.m4s` (fMP4, with EXT-X-MAP:URI="init.mp4"), LL-HLS parts
 * `part-<number>.<partIndex>.m4s`. <number> is the segmenter's timestamp-derived segment number, so every origin
 * names the same media the same way.
 *
 * Tags written (RFC 8216 section numbers; bis where LL-HLS):
 *   EXTM3U (4.3.1.1), EXT-X-VERSION (4.3.1.2): 3 for MPEG-TS (floating-point EXTINF), 7 for fMP4 (EXT-X-MAP in a
 *   playlist without EXT-X-I-FRAMES-ONLY needs 6; 7 as the muxers' contract), 9 for LL-HLS.
 *   EXT-X-TARGETDURATION (4.3.3.1): "The EXTINF duration of each Media Segment in the Playlist file, when rounded
 *   to the nearest integer, MUST be less than or equal to the target duration". The caller's value is raised to
 *   the largest rounded EXTINF when a segment is longer (a stream with key frames further apart than its target):
 *   a changing value is better tolerated by players than a playlist they "MUST fail to parse" (section 4).
 *   EXT-X-MEDIA-SEQUENCE (4.3.3.2): the Media Sequence Number of the first segment; later segments are numbered by
 *   position. Default: the first segment's number, which makes MSN == segment number while numbers are contiguous.
 *   EXT-X-DISCONTINUITY-SEQUENCE (4.3.3.3), EXT-X-DISCONTINUITY (4.3.2.3) before a segment marked `discontinuity`.
 *   EXT-X-INDEPENDENT-SEGMENTS (4.3.5.1): every segment starts with a key frame (and, in MPEG-TS, PAT / PMT and
 *   the parameter sets), so each can be decoded on its own.
 *   EXTINF (4.3.2.1) with three decimals, EXT-X-ENDLIST (4.3.3.4).
 *   LL-HLS (bis 4.4.3.8 EXT-X-SERVER-CONTROL): CAN-BLOCK-RELOAD=YES and PART-HOLD-BACK, which "MUST be at least
 *   twice the Part Target Duration" and "SHOULD be at least three times"; 3x by default. EXT-X-PART-INF:PART-TARGET
 *   (4.4.3.7), raised like the target duration if a listed part is longer. EXT-X-PART (4.4.4.9) with DURATION, URI
 *   and INDEPENDENT=YES, for the segment being built and the last completed ones, as long as they end less than
 *   three target durations before the end of the playlist (6.2.2: "EXT-X-PART tags SHOULD be removed from the
 *   Playlist after they are greater than three Target Durations from the end of the Playlist"), three segments
 *   with parts at most; EXT-X-PRELOAD-HINT:TYPE=PART (4.4.5.3) for the next part of the segment being built.
 */

export interface PlaylistPart {
  durationMs: number;
  independent: boolean;
}

export interface PlaylistSegment {
  number: number;
  durationMs: number;
  discontinuity?: boolean;
  /** LL-HLS: the segment's parts, in order. */
  parts?: readonly PlaylistPart[];
}

export interface MediaPlaylistOptions {
  /** EXT-X-TARGETDURATION in whole seconds (raised if a segment is longer, see above). */
  targetDuration: number;
  /** EXT-X-MEDIA-SEQUENCE; default the first segment's number (0 for an empty playlist). */
  mediaSequence?: number;
  /** EXT-X-DISCONTINUITY-SEQUENCE; default 0. */
  discontinuitySequence?: number;
  /** EXT-X-ENDLIST: the stream has ended. */
  endList?: boolean;
}

export interface Fmp4PlaylistOptions extends MediaPlaylistOptions {
  /** EXT-X-MAP URI; default "init.mp4". */
  initUri?: string;
}

export interface LowLatencyPlaylistOptions extends Fmp4PlaylistOptions {
  /** Part target duration in ms (the segmenter's advertisedPartTargetMs). */
  partTargetMs: number;
  /** PART-HOLD-BACK in ms; default 3 x PART-TARGET, at least 2 x. */
  partHoldBackMs?: number;
  /** The segment being built: its number and completed parts (HlsSegmenter.pending). */
  pending?: { number: number; discontinuity?: boolean; parts: readonly PlaylistPart[] };
}

export const segmentUriTs = (n: number): string => `seg-${n}.ts`;
export const segmentUriFmp4 = (n: number): string => `seg-${n}.m4s`;
export const partUri = (n: number, partIndex: number): string => `part-${n}.${partIndex}.m4s`;

/** Seconds with three decimals, from ms. */
function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function nonNegativeInteger(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer (got ${v})`);
  return v;
}

function checkSegments(segments: readonly PlaylistSegment[]): void {
  for (const s of segments) {
    nonNegativeInteger('segment number', s.number);
    if (!(s.durationMs >= 0) || !Number.isFinite(s.durationMs)) throw new RangeError(`segment ${s.number}: durationMs ${s.durationMs}`);
  }
}

function header(version: number, segments: readonly PlaylistSegment[], o: MediaPlaylistOptions): string[] {
  if (!Number.isInteger(o.targetDuration) || o.targetDuration <= 0) {
    throw new RangeError(`targetDuration must be a positive integer of seconds (got ${o.targetDuration})`);
  }
  checkSegments(segments);
  const longest = segments.reduce((m, s) => Math.max(m, Math.round(s.durationMs / 1000)), 0);
  return [
    '#EXTM3U',
    `#EXT-X-VERSION:${version}`,
    `#EXT-X-TARGETDURATION:${Math.max(o.targetDuration, longest)}`,
  ];
}

function sequenceTags(segments: readonly PlaylistSegment[], o: MediaPlaylistOptions): string[] {
  return [
    `#EXT-X-MEDIA-SEQUENCE:${nonNegativeInteger('mediaSequence', o.mediaSequence ?? segments[0]?.number ?? 0)}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${nonNegativeInteger('discontinuitySequence', o.discontinuitySequence ?? 0)}`,
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
}

function segmentLines(s: PlaylistSegment, uri: string): string[] {
  return [...(s.discontinuity ? ['#EXT-X-DISCONTINUITY'] : []), `#EXTINF:${seconds(s.durationMs)},`, uri];
}

function finish(lines: string[], o: MediaPlaylistOptions): string {
  if (o.endList) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

/** Media playlist of MPEG-TS segments. */
export function mediaPlaylistTs(segments: readonly PlaylistSegment[], options: MediaPlaylistOptions): string {
  const lines = [...header(3, segments, options), ...sequenceTags(segments, options)];
  for (const s of segments) lines.push(...segmentLines(s, segmentUriTs(s.number)));
  return finish(lines, options);
}

/** Media playlist of fMP4 / CMAF segments with their initialization section. */
export function mediaPlaylistFmp4(segments: readonly PlaylistSegment[], options: Fmp4PlaylistOptions): string {
  const lines = [...header(7, segments, options), ...sequenceTags(segments, options), mapTag(options)];
  for (const s of segments) lines.push(...segmentLines(s, segmentUriFmp4(s.number)));
  return finish(lines, options);
}

function mapTag(o: Fmp4PlaylistOptions): string {
  const uri = o.initUri ?? 'init.mp4';
  if (/["\r\n]/.test(uri)) throw new RangeError(`initUri ${JSON.stringify(uri)} cannot be a quoted-string`);
  return `#EXT-X-MAP:URI="${uri}"`;
}

function partLine(n: number, p: PlaylistPart, index: number): string {
  return `#EXT-X-PART:DURATION=${seconds(p.durationMs)},URI="${partUri(n, index)}"${p.independent ? ',INDEPENDENT=YES' : ''}`;
}

/** Low-Latency HLS media playlist of fMP4 segments and parts (draft-pantos-hls-rfc8216bis). */
export function mediaPlaylistLowLatency(segments: readonly PlaylistSegment[], options: LowLatencyPlaylistOptions): string {
  const pending = options.pending;
  if (pending) nonNegativeInteger('pending.number', pending.number);
  const pendingParts = pending?.parts ?? [];
  if (!(options.partTargetMs > 0) || !Number.isFinite(options.partTargetMs)) throw new RangeError(`partTargetMs ${options.partTargetMs}`);

  // Completed segments that keep their EXT-X-PART lines: those ending less than 3 target durations before the end
  // of the playlist, and at most three segments with parts counting the one being built (what validators such as
  // hls-parser check: parts only in the last three segments).
  const head = header(9, segments, options);
  const targetMs = Number(head[2].slice('#EXT-X-TARGETDURATION:'.length)) * 1000;
  const withParts = new Set<number>();
  let fromEnd = pendingParts.reduce((t, p) => t + p.durationMs, 0);
  const budget = pendingParts.length > 0 ? 2 : 3;
  for (let i = segments.length - 1; i >= 0 && i >= segments.length - budget; i--) {
    if (fromEnd >= 3 * targetMs) break;
    if (segments[i].parts?.length) withParts.add(i);
    fromEnd += segments[i].durationMs;
  }
  const listed = [...[...withParts].flatMap((i) => segments[i].parts ?? []), ...pendingParts];
  const partTargetMs = listed.reduce((m, p) => Math.max(m, p.durationMs), options.partTargetMs);
  const holdBackMs = options.partHoldBackMs ?? 3 * partTargetMs;
  if (!(holdBackMs >= 2 * partTargetMs)) throw new RangeError(`PART-HOLD-BACK ${holdBackMs} ms is less than twice the part target`);

  const lines = [
    ...head,
    `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${seconds(holdBackMs)}`,
    `#EXT-X-PART-INF:PART-TARGET=${seconds(partTargetMs)}`,
    ...sequenceTags(segments, options),
    mapTag(options),
  ];
  segments.forEach((s, i) => {
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (withParts.has(i)) s.parts!.forEach((p, k) => lines.push(partLine(s.number, p, k)));
    lines.push(`#EXTINF:${seconds(s.durationMs)},`, segmentUriFmp4(s.number));
  });
  if (pending && !options.endList) {
    if (pending.discontinuity && pendingParts.length > 0) lines.push('#EXT-X-DISCONTINUITY');
    pendingParts.forEach((p, k) => lines.push(partLine(pending.number, p, k)));
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${partUri(pending.number, pendingParts.length)}"`);
  }
  return finish(lines, options);
}

/** Largest _HLS_msn accepted (segment numbers are ms timestamps / target duration, far below this). */
export const HLS_MSN_MAX = 2 ** 32 - 1;
/** Largest _HLS_part accepted. */
export const HLS_PART_MAX = 9999;

export type BlockingReloadRequest = { msn?: number; part?: number };

/**
 * Validates the Delivery Directives of a Blocking Playlist Reload (draft-pantos-hls-rfc8216bis 6.2.5.2):
 * `_HLS_msn=<M>` asks for a playlist containing Media Sequence Number M or later, `_HLS_part=<N>` for one
 * containing Part Index N of segment M or later. Both are decimal-integers (4.2: digits only). An _HLS_part
 * without an _HLS_msn is a Bad Request (6.2.5.2), and so here are a repeated directive, a value that is not a
 * decimal integer, and one above HLS_MSN_MAX / HLS_PART_MAX: the result is { error } and the origin answers 400.
 * No directive at all is a plain reload: {}. Holding the request until the playlist has the segment, and the
 * 400 for an msn more than two segments ahead, are the origin's business.
 */
export function parseBlockingReload(query: URLSearchParams): BlockingReloadRequest | { error: string } {
  const read = (name: string, max: number): number | undefined | { error: string } => {
    const values = query.getAll(name);
    if (values.length === 0) return undefined;
    if (values.length > 1) return { error: `${name} is repeated` };
    const v = values[0];
    if (!/^[0-9]{1,16}$/.test(v)) return { error: `${name}=${JSON.stringify(v)} is not a decimal integer` };
    const n = Number(v);
    if (n > max) return { error: `${name}=${v} is above ${max}` };
    return n;
  };
  const msn = read('_HLS_msn', HLS_MSN_MAX);
  if (typeof msn === 'object') return msn;
  const part = read('_HLS_part', HLS_PART_MAX);
  if (typeof part === 'object') return part;
  if (part !== undefined && msn === undefined) return { error: '_HLS_part requires _HLS_msn' };
  const out: BlockingReloadRequest = {};
  if (msn !== undefined) out.msn = msn;
  if (part !== undefined) out.part = part;
  return out;
}
