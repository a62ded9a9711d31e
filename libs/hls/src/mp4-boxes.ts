/**
 * ISO base media file format boxes (ISO/IEC 14496-12) for fragmented MP4 / CMAF, one function per box named by
 * its four-character code, plus the sample entries of ISO/IEC 14496-15 (avc1 + avcC, hvc1 + hvcC) and
 * ISO/IEC 14496-14 (mp4a + esds).
 *
 * A box is built as a small tree: `box(type, ...payload)` records its children and computes its size at once
 * (header 8 bytes + payload), and `writeBoxes()` lays the whole tree out into one Buffer, so every payload byte -
 * including the media data of an mdat - is copied exactly once. Fixed fields are written with Mp4FieldWriter, one
 * call per field, each commented with the field's name in the specification.
 *
 * Everything here is a pure function of its arguments: no clock (creation_time and modification_time are 0), no
 * randomness, so the same input always gives the same bytes.
 */

/** A box: its four-character code, its total size (header included) and its payload parts in order. */
export interface Mp4Box {
  readonly type: string;
  readonly size: number;
  readonly payload: readonly Mp4Payload[];
}

/** Raw bytes or a nested box. */
export type Mp4Payload = Uint8Array | Mp4Box;

const BOX_HEADER_SIZE = 8;
const UINT32_MAX = 0xffffffff;
const TWO_32 = 2 ** 32;

function isBox(p: Mp4Payload): p is Mp4Box {
  return !(p instanceof Uint8Array);
}

function checkFourCc(type: string): void {
  if (type.length !== 4 || !/^[\x20-\x7e]{4}$/.test(type)) throw new RangeError(`box type ${JSON.stringify(type)} is not a four-character code`);
}

/**
 * Box(type): size UI32 (header included) | type FOURCC | payload. Sizes beyond 32 bits (largesize) are not
 * produced: media segments of live streams are far below 4 GiB, and a bigger box throws a RangeError.
 */
export function box(type: string, ...payload: Mp4Payload[]): Mp4Box {
  checkFourCc(type);
  let size = BOX_HEADER_SIZE;
  for (const p of payload) size += isBox(p) ? p.size : p.byteLength;
  if (size > UINT32_MAX) throw new RangeError(`box '${type}' of ${size} bytes needs a 64-bit largesize`);
  return { type, size, payload };
}

/** Serialises boxes (and raw parts) back to back into one Buffer: one allocation, one copy of every byte. */
export function writeBoxes(...parts: Mp4Payload[]): Buffer {
  let total = 0;
  for (const p of parts) total += isBox(p) ? p.size : p.byteLength;
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  const write = (p: Mp4Payload): void => {
    if (!isBox(p)) {
      out.set(p, pos);
      pos += p.byteLength;
      return;
    }
    const start = pos;
    out.writeUInt32BE(p.size, pos); // size
    out.write(p.type, pos + 4, 4, 'latin1'); // type
    pos += BOX_HEADER_SIZE;
    for (const child of p.payload) write(child);
    if (pos - start !== p.size) throw new Error(`box '${p.type}' wrote ${pos - start} bytes, its size says ${p.size}`);
  };
  for (const p of parts) write(p);
  if (pos !== total) throw new Error(`wrote ${pos} of ${total} bytes`);
  return out;
}

function checkUint(value: number, bits: number, what: string): void {
  const max = bits >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** bits - 1;
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${what} ${value} does not fit an unsigned ${bits}-bit field`);
}

function checkInt(value: number, bits: number, what: string): void {
  const lim = 2 ** (bits - 1);
  if (!Number.isInteger(value) || value < -lim || value >= lim) throw new RangeError(`${what} ${value} does not fit a signed ${bits}-bit field`);
}

/**
 * Writes the fixed fields of one box payload, big-endian, into a buffer of exactly `size` bytes (zero-filled);
 * `done()` checks that every byte was accounted for. Each call names the field in its `what` argument so range
 * errors say which field overflowed.
 */
export class Mp4FieldWriter {
  private readonly buf: Uint8Array;
  private pos = 0;

  constructor(readonly size: number) {
    this.buf = new Uint8Array(size);
  }

  u8(v: number, what = 'UI8'): this {
    checkUint(v, 8, what);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number, what = 'UI16'): this {
    checkUint(v, 16, what);
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u24(v: number, what = 'UI24'): this {
    checkUint(v, 24, what);
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u32(v: number, what = 'UI32'): this {
    checkUint(v, 32, what);
    this.buf[this.pos++] = (v >>> 24) & 0xff;
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  i16(v: number, what = 'SI16'): this {
    checkInt(v, 16, what);
    return this.u16(v & 0xffff, what);
  }

  i32(v: number, what = 'SI32'): this {
    checkInt(v, 32, what);
    return this.u32(v >>> 0, what);
  }

  /** UI64 from a safe integer (up to 2^53 - 1). */
  u64(v: number, what = 'UI64'): this {
    checkUint(v, 53, what);
    this.u32(Math.floor(v / TWO_32), what);
    return this.u32(v % TWO_32, what);
  }

  fourCc(s: string): this {
    checkFourCc(s);
    for (let i = 0; i < 4; i++) this.buf[this.pos++] = s.charCodeAt(i);
    return this;
  }

  /** `n` bytes of zero (reserved or pre_defined fields). */
  zeros(n: number): this {
    this.pos += n; // the buffer starts zero-filled
    return this;
  }

  bytes(b: Uint8Array): this {
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
    return this;
  }

  done(): Uint8Array {
    if (this.pos !== this.size) throw new Error(`Mp4FieldWriter: ${this.pos} of ${this.size} bytes written`);
    return this.buf;
  }
}

/** FullBox(type, version, flags): Box | version UI8 | flags UI24 | payload. */
function fullBox(type: string, version: number, flags: number, fields: (w: Mp4FieldWriter) => void, size: number, ...children: Mp4Payload[]): Mp4Box {
  const w = new Mp4FieldWriter(4 + size);
  w.u8(version, 'version').u24(flags, 'flags');
  fields(w);
  return box(type, w.done(), ...children);
}

/** The unity matrix { 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000 } (tkhd, mvhd). */
function unityMatrix(w: Mp4FieldWriter): void {
  w.u32(0x00010000, 'matrix a (16.16)').u32(0, 'matrix b').u32(0, 'matrix u (2.30)');
  w.u32(0, 'matrix c').u32(0x00010000, 'matrix d (16.16)').u32(0, 'matrix v (2.30)');
  w.u32(0, 'matrix x').u32(0, 'matrix y').u32(0x40000000, 'matrix w (2.30)');
}

// ---------------------------------------------------------------------------------------------------------------
// File type

function brandBox(type: 'ftyp' | 'styp', majorBrand: string, minorVersion: number, compatibleBrands: readonly string[]): Mp4Box {
  const w = new Mp4FieldWriter(8 + 4 * compatibleBrands.length);
  w.fourCc(majorBrand); // major_brand
  w.u32(minorVersion, 'minor_version');
  for (const brand of compatibleBrands) w.fourCc(brand); // compatible_brands[]
  return box(type, w.done());
}

/** FileTypeBox (4.3): major_brand FOURCC | minor_version UI32 | compatible_brands FOURCC[]. */
export function ftyp(majorBrand: string, minorVersion: number, compatibleBrands: readonly string[]): Mp4Box {
  return brandBox('ftyp', majorBrand, minorVersion, compatibleBrands);
}

/** SegmentTypeBox (8.16.2): the same fields as ftyp, at the start of a media segment. */
export function styp(majorBrand: string, minorVersion: number, compatibleBrands: readonly string[]): Mp4Box {
  return brandBox('styp', majorBrand, minorVersion, compatibleBrands);
}

// ---------------------------------------------------------------------------------------------------------------
// Movie (init segment)

/** MovieBox (8.2.1): container of mvhd, trak..., mvex. */
export function moov(...children: Mp4Box[]): Mp4Box {
  return box('moov', ...children);
}

export interface MvhdFields {
  /** Movie timescale (units per second). */
  timescale: number;
  /** Movie duration in the movie timescale; 0 for a fragmented movie whose length is unknown. */
  duration?: number;
  /** Larger than every track_ID in use. */
  nextTrackId: number;
}

/** MovieHeaderBox (8.2.2), version 0. */
export function mvhd(f: MvhdFields): Mp4Box {
  return fullBox(
    'mvhd',
    0,
    0,
    (w) => {
      w.u32(0, 'creation_time'); // 0: no clock, byte-deterministic output
      w.u32(0, 'modification_time');
      w.u32(f.timescale, 'timescale');
      w.u32(f.duration ?? 0, 'duration');
      w.u32(0x00010000, 'rate'); // 16.16, 1.0 = normal playback
      w.u16(0x0100, 'volume'); // 8.8, 1.0 = full volume
      w.zeros(2); // reserved bit(16)
      w.zeros(8); // reserved unsigned int(32)[2]
      unityMatrix(w); // matrix
      w.zeros(24); // pre_defined bit(32)[6]
      w.u32(f.nextTrackId, 'next_track_ID');
    },
    96,
  );
}

/** TrackBox (8.3.1): container of tkhd and mdia. */
export function trak(...children: Mp4Box[]): Mp4Box {
  return box('trak', ...children);
}

export interface TkhdFields {
  trackId: number;
  /** In the movie timescale; 0 for fragmented tracks. */
  duration?: number;
  /** Visual tracks: presentation size in pixels (written as 16.16); 0 for audio. */
  width?: number;
  height?: number;
  /** 0x0100 (1.0) for audio tracks, 0 otherwise. */
  volume: number;
}

/** TrackHeaderBox (8.3.2), version 0, flags track_enabled (0x1) | track_in_movie (0x2). */
export function tkhd(f: TkhdFields): Mp4Box {
  return fullBox(
    'tkhd',
    0,
    0x000003,
    (w) => {
      w.u32(0, 'creation_time');
      w.u32(0, 'modification_time');
      w.u32(f.trackId, 'track_ID');
      w.zeros(4); // reserved unsigned int(32)
      w.u32(f.duration ?? 0, 'duration');
      w.zeros(8); // reserved unsigned int(32)[2]
      w.i16(0, 'layer');
      w.i16(0, 'alternate_group');
      w.u16(f.volume, 'volume'); // 8.8
      w.zeros(2); // reserved unsigned int(16)
      unityMatrix(w); // matrix
      w.u32((f.width ?? 0) * 0x10000, 'width'); // 16.16
      w.u32((f.height ?? 0) * 0x10000, 'height'); // 16.16
    },
    80,
  );
}

/** MediaBox (8.4.1): container of mdhd, hdlr, minf. */
export function mdia(...children: Mp4Box[]): Mp4Box {
  return box('mdia', ...children);
}

/** ISO-639-2/T code packed as three 5-bit values (each letter - 0x60), after a pad bit: 'und' -> 0x55c4. */
export function mp4Language(code: string): number {
  if (!/^[a-z]{3}$/.test(code)) throw new RangeError(`language ${JSON.stringify(code)} is not a lower-case ISO 639-2/T code`);
  return ((code.charCodeAt(0) - 0x60) << 10) | ((code.charCodeAt(1) - 0x60) << 5) | (code.charCodeAt(2) - 0x60);
}

export interface MdhdFields {
  /** Media timescale: 90000 for video, the sample rate for audio. */
  timescale: number;
  duration?: number;
  /** ISO 639-2/T, default 'und'. */
  language?: string;
}

/** MediaHeaderBox (8.4.2), version 0. */
export function mdhd(f: MdhdFields): Mp4Box {
  return fullBox(
    'mdhd',
    0,
    0,
    (w) => {
      w.u32(0, 'creation_time');
      w.u32(0, 'modification_time');
      w.u32(f.timescale, 'timescale');
      w.u32(f.duration ?? 0, 'duration');
      w.u16(mp4Language(f.language ?? 'und'), 'pad + language'); // bit(1) pad = 0, unsigned int(5)[3] language
      w.u16(0, 'pre_defined');
    },
    20,
  );
}

/** HandlerBox (8.4.3): handler_type 'vide' or 'soun', and a null-terminated UTF-8 name. */
export function hdlr(handlerType: string, name: string): Mp4Box {
  const nameBytes = Buffer.from(name, 'utf8');
  return fullBox(
    'hdlr',
    0,
    0,
    (w) => {
      w.u32(0, 'pre_defined');
      w.fourCc(handlerType); // handler_type
      w.zeros(12); // reserved unsigned int(32)[3]
      w.bytes(nameBytes); // name
      w.u8(0, 'name terminator');
    },
    20 + nameBytes.length + 1,
  );
}

/** MediaInformationBox (8.4.4): container of vmhd/smhd, dinf, stbl. */
export function minf(...children: Mp4Box[]): Mp4Box {
  return box('minf', ...children);
}

/** VideoMediaHeaderBox (12.1.2), version 0, flags 1 (as the specification requires). */
export function vmhd(): Mp4Box {
  return fullBox(
    'vmhd',
    0,
    0x000001,
    (w) => {
      w.u16(0, 'graphicsmode'); // copy
      w.u16(0, 'opcolor red').u16(0, 'opcolor green').u16(0, 'opcolor blue');
    },
    8,
  );
}

/** SoundMediaHeaderBox (12.2.2), version 0. */
export function smhd(): Mp4Box {
  return fullBox(
    'smhd',
    0,
    0,
    (w) => {
      w.i16(0, 'balance'); // 8.8, 0 = centre
      w.zeros(2); // reserved unsigned int(16)
    },
    4,
  );
}

/** DataEntryUrlBox (8.7.2.2) 'url ' with flags 1: the media data is in the same file, no location string. */
function url(): Mp4Box {
  return fullBox('url ', 0, 0x000001, () => undefined, 0);
}

/** DataReferenceBox (8.7.2): entry_count UI32 = 1, then one self-contained 'url ' entry. */
export function dref(): Mp4Box {
  return fullBox('dref', 0, 0, (w) => w.u32(1, 'entry_count'), 4, url());
}

/** DataInformationBox (8.7.1): container of dref. */
export function dinf(): Mp4Box {
  return box('dinf', dref());
}

/**
 * SampleTableBox (8.5.1) of a fragmented track: the sample description and empty stts, stsc, stsz, stco (the
 * samples themselves are described by the movie fragments).
 */
export function stbl(sampleDescription: Mp4Box): Mp4Box {
  return box('stbl', sampleDescription, stts(), stsc(), stsz(), stco());
}

/** SampleDescriptionBox (8.5.2): entry_count UI32, then the sample entries. */
export function stsd(...entries: Mp4Box[]): Mp4Box {
  return fullBox('stsd', 0, 0, (w) => w.u32(entries.length, 'entry_count'), 4, ...entries);
}

/** TimeToSampleBox (8.6.1.2) with entry_count 0. */
export function stts(): Mp4Box {
  return fullBox('stts', 0, 0, (w) => w.u32(0, 'entry_count'), 4);
}

/** SampleToChunkBox (8.7.4) with entry_count 0. */
export function stsc(): Mp4Box {
  return fullBox('stsc', 0, 0, (w) => w.u32(0, 'entry_count'), 4);
}

/** SampleSizeBox (8.7.3.2): sample_size 0 (sizes vary), sample_count 0. */
export function stsz(): Mp4Box {
  return fullBox(
    'stsz',
    0,
    0,
    (w) => {
      w.u32(0, 'sample_size');
      w.u32(0, 'sample_count');
    },
    8,
  );
}

/** ChunkOffsetBox (8.7.5) with entry_count 0. */
export function stco(): Mp4Box {
  return fullBox('stco', 0, 0, (w) => w.u32(0, 'entry_count'), 4);
}

// ---------------------------------------------------------------------------------------------------------------
// Sample entries

/**
 * VisualSampleEntry (12.1.3): SampleEntry (reserved 6 bytes, data_reference_index) followed by the visual
 * fields, then the codec configuration box.
 */
function visualSampleEntry(type: string, width: number, height: number, ...children: Mp4Box[]): Mp4Box {
  const w = new Mp4FieldWriter(78);
  w.zeros(6); // SampleEntry: reserved unsigned int(8)[6]
  w.u16(1, 'data_reference_index'); // the one dref entry
  w.u16(0, 'pre_defined');
  w.zeros(2); // reserved
  w.zeros(12); // pre_defined unsigned int(32)[3]
  w.u16(width, 'width');
  w.u16(height, 'height');
  w.u32(0x00480000, 'horizresolution'); // 72 dpi, 16.16
  w.u32(0x00480000, 'vertresolution'); // 72 dpi, 16.16
  w.zeros(4); // reserved
  w.u16(1, 'frame_count'); // one frame per sample
  w.zeros(32); // compressorname: string[32], length byte 0 = empty
  w.u16(0x0018, 'depth'); // 24-bit colour, no alpha
  w.i16(-1, 'pre_defined'); // -1
  return box(type, w.done(), ...children);
}

/** AVCConfigurationBox (14496-15, 5.4.2.1): the AVCDecoderConfigurationRecord as it is (the FLV sequence header). */
export function avcC(record: Uint8Array): Mp4Box {
  return box('avcC', record);
}

/** HEVCConfigurationBox (14496-15, 8.4.1.1): the HEVCDecoderConfigurationRecord as it is. */
export function hvcC(record: Uint8Array): Mp4Box {
  return box('hvcC', record);
}

/** AVCSampleEntry 'avc1' (14496-15, 5.4.2.1): parameter sets in the avcC record (and possibly in-band too). */
export function avc1(width: number, height: number, record: Uint8Array): Mp4Box {
  return visualSampleEntry('avc1', width, height, avcC(record));
}

/** HEVCSampleEntry 'hvc1' (14496-15, 8.4.1.1): the hvcC record carries the VPS/SPS/PPS. */
export function hvc1(width: number, height: number, record: Uint8Array): Mp4Box {
  return visualSampleEntry('hvc1', width, height, hvcC(record));
}

/** Length of an MPEG-4 descriptor in the expandable form (14496-1, 8.3.3): 7 bits per byte, high bit = more. */
function descriptorLength(n: number): number[] {
  const out = [n & 0x7f];
  n >>>= 7;
  while (n > 0) {
    out.unshift(0x80 | (n & 0x7f));
    n >>>= 7;
  }
  return out;
}

function descriptor(tag: number, ...body: Uint8Array[]): Uint8Array {
  const len = body.reduce((n, b) => n + b.byteLength, 0);
  const header = [tag, ...descriptorLength(len)];
  const out = new Uint8Array(header.length + len);
  out.set(header, 0);
  let p = header.length;
  for (const b of body) {
    out.set(b, p);
    p += b.byteLength;
  }
  return out;
}

export interface EsdsOptions {
  /** DecoderConfigDescriptor bufferSizeDB (bytes), maxBitrate and avgBitrate (bits/s); 0 = unknown (default). */
  bufferSizeDb?: number;
  maxBitrate?: number;
  avgBitrate?: number;
}

/**
 * ESDBox (14496-14, 5.6): an ES_Descriptor (14496-1, 7.2.6.5) holding a DecoderConfigDescriptor for MPEG-4 audio
 * whose DecoderSpecificInfo is the AudioSpecificConfig, and an SLConfigDescriptor with predefined = 2 (MP4).
 */
export function esds(audioSpecificConfig: Uint8Array, options: EsdsOptions = {}): Mp4Box {
  const dcd = new Mp4FieldWriter(13);
  dcd.u8(0x40, 'objectTypeIndication'); // 0x40: Audio ISO/IEC 14496-3
  dcd.u8((0x05 << 2) | (0 << 1) | 1, 'streamType/upStream/reserved'); // streamType 5 (AudioStream), upStream 0, reserved 1
  dcd.u24(options.bufferSizeDb ?? 0, 'bufferSizeDB');
  dcd.u32(options.maxBitrate ?? 0, 'maxBitrate');
  dcd.u32(options.avgBitrate ?? 0, 'avgBitrate');
  const es = new Mp4FieldWriter(3);
  es.u16(0, 'ES_ID'); // 0 in MP4 files (14496-14, 3.1.2): the track ID identifies the stream
  es.u8(0, 'streamDependenceFlag/URL_Flag/OCRstreamFlag/streamPriority'); // all 0
  const sl = new Mp4FieldWriter(1).u8(0x02, 'SLConfigDescriptor predefined').done(); // 2: reserved for MP4 files
  const esDescriptor = descriptor(
    0x03, // ES_DescrTag
    es.done(),
    descriptor(0x04, dcd.done(), descriptor(0x05, audioSpecificConfig)), // DecoderConfigDescrTag, DecSpecificInfoTag
    descriptor(0x06, sl), // SLConfigDescrTag
  );
  return fullBox('esds', 0, 0, (w) => w.bytes(esDescriptor), esDescriptor.byteLength);
}

export interface Mp4aFields {
  channels: number;
  /** Hz; written as 16.16, so rates above 65535 are written as 0 (the AudioSpecificConfig has the real rate). */
  sampleRate: number;
  audioSpecificConfig: Uint8Array;
  esds?: EsdsOptions;
}

/** MP4AudioSampleEntry 'mp4a' (14496-14, 5.6): an AudioSampleEntry (12.2.3) followed by esds. */
export function mp4a(f: Mp4aFields): Mp4Box {
  const w = new Mp4FieldWriter(28);
  w.zeros(6); // SampleEntry: reserved unsigned int(8)[6]
  w.u16(1, 'data_reference_index');
  w.zeros(8); // reserved unsigned int(32)[2]
  w.u16(f.channels, 'channelcount');
  w.u16(16, 'samplesize'); // 16 bits
  w.u16(0, 'pre_defined');
  w.zeros(2); // reserved
  w.u32(f.sampleRate <= 0xffff ? f.sampleRate * 0x10000 : 0, 'samplerate'); // 16.16
  return box('mp4a', w.done(), esds(f.audioSpecificConfig, f.esds));
}

// ---------------------------------------------------------------------------------------------------------------
// Movie extends

/** MovieExtendsBox (8.8.1): one trex per track; its presence says the movie is fragmented. */
export function mvex(...children: Mp4Box[]): Mp4Box {
  return box('mvex', ...children);
}

export interface TrexFields {
  trackId: number;
  defaultSampleDescriptionIndex?: number;
  defaultSampleDuration?: number;
  defaultSampleSize?: number;
  defaultSampleFlags?: number;
}

/** TrackExtendsBox (8.8.3): the defaults the fragments of one track fall back to. */
export function trex(f: TrexFields): Mp4Box {
  return fullBox(
    'trex',
    0,
    0,
    (w) => {
      w.u32(f.trackId, 'track_ID');
      w.u32(f.defaultSampleDescriptionIndex ?? 1, 'default_sample_description_index');
      w.u32(f.defaultSampleDuration ?? 0, 'default_sample_duration');
      w.u32(f.defaultSampleSize ?? 0, 'default_sample_size');
      w.u32(f.defaultSampleFlags ?? 0, 'default_sample_flags');
    },
    20,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Movie fragments (media segments)

/**
 * sample_flags (8.8.3.1): reserved bit(4) | is_leading UB[2] | sample_depends_on UB[2] |
 * sample_is_depended_on UB[2] | sample_has_redundancy UB[2] | sample_padding_value UB[3] |
 * sample_is_non_sync_sample UB[1] | sample_degradation_priority UI16.
 */
export function mp4SampleFlags(f: { dependsOn?: number; isDependedOn?: number; hasRedundancy?: number; isLeading?: number; nonSync?: boolean }): number {
  return (
    (((f.isLeading ?? 0) & 3) << 26) |
    (((f.dependsOn ?? 0) & 3) << 24) |
    (((f.isDependedOn ?? 0) & 3) << 22) |
    (((f.hasRedundancy ?? 0) & 3) << 20) |
    ((f.nonSync ? 1 : 0) << 16)
  );
}

/** A sync sample: sample_depends_on = 2 (does not depend on others, an I picture), sync. 0x02000000. */
export const SAMPLE_FLAGS_SYNC = mp4SampleFlags({ dependsOn: 2 });
/** A non-sync sample: sample_depends_on = 1 (depends on others), sample_is_non_sync_sample = 1. 0x01010000. */
export const SAMPLE_FLAGS_NON_SYNC = mp4SampleFlags({ dependsOn: 1, nonSync: true });

/** MovieFragmentBox (8.8.4): container of mfhd and the traf boxes. */
export function moof(...children: Mp4Box[]): Mp4Box {
  return box('moof', ...children);
}

/** MovieFragmentHeaderBox (8.8.5): sequence_number UI32, increasing from fragment to fragment. */
export function mfhd(sequenceNumber: number): Mp4Box {
  return fullBox('mfhd', 0, 0, (w) => w.u32(sequenceNumber, 'sequence_number'), 4);
}

/** TrackFragmentBox (8.8.6): container of tfhd, tfdt, trun. */
export function traf(...children: Mp4Box[]): Mp4Box {
  return box('traf', ...children);
}

/** tf_flags of tfhd (8.8.7.1). */
export const TFHD_FLAGS = {
  BASE_DATA_OFFSET_PRESENT: 0x000001,
  SAMPLE_DESCRIPTION_INDEX_PRESENT: 0x000002,
  DEFAULT_SAMPLE_DURATION_PRESENT: 0x000008,
  DEFAULT_SAMPLE_SIZE_PRESENT: 0x000010,
  DEFAULT_SAMPLE_FLAGS_PRESENT: 0x000020,
  DURATION_IS_EMPTY: 0x010000,
  DEFAULT_BASE_IS_MOOF: 0x020000,
} as const;

export interface TfhdFields {
  trackId: number;
  defaultSampleDuration?: number;
  defaultSampleSize?: number;
  defaultSampleFlags?: number;
}

/**
 * TrackFragmentHeaderBox (8.8.7) with default-base-is-moof (CMAF: data offsets count from the start of the
 * moof) and whichever defaults are given.
 */
export function tfhd(f: TfhdFields): Mp4Box {
  let flags: number = TFHD_FLAGS.DEFAULT_BASE_IS_MOOF;
  let size = 4;
  if (f.defaultSampleDuration !== undefined) {
    flags |= TFHD_FLAGS.DEFAULT_SAMPLE_DURATION_PRESENT;
    size += 4;
  }
  if (f.defaultSampleSize !== undefined) {
    flags |= TFHD_FLAGS.DEFAULT_SAMPLE_SIZE_PRESENT;
    size += 4;
  }
  if (f.defaultSampleFlags !== undefined) {
    flags |= TFHD_FLAGS.DEFAULT_SAMPLE_FLAGS_PRESENT;
    size += 4;
  }
  return fullBox(
    'tfhd',
    0,
    flags,
    (w) => {
      w.u32(f.trackId, 'track_ID');
      if (f.defaultSampleDuration !== undefined) w.u32(f.defaultSampleDuration, 'default_sample_duration');
      if (f.defaultSampleSize !== undefined) w.u32(f.defaultSampleSize, 'default_sample_size');
      if (f.defaultSampleFlags !== undefined) w.u32(f.defaultSampleFlags, 'default_sample_flags');
    },
    size,
  );
}

/** TrackFragmentBaseMediaDecodeTimeBox (8.8.12), version 1: baseMediaDecodeTime UI64 in the media timescale. */
export function tfdt(baseMediaDecodeTime: number): Mp4Box {
  return fullBox('tfdt', 1, 0, (w) => w.u64(baseMediaDecodeTime, 'baseMediaDecodeTime'), 8);
}

/** tr_flags of trun (8.8.8.1). */
export const TRUN_FLAGS = {
  DATA_OFFSET_PRESENT: 0x000001,
  FIRST_SAMPLE_FLAGS_PRESENT: 0x000004,
  SAMPLE_DURATION_PRESENT: 0x000100,
  SAMPLE_SIZE_PRESENT: 0x000200,
  SAMPLE_FLAGS_PRESENT: 0x000400,
  SAMPLE_COMPOSITION_TIME_OFFSETS_PRESENT: 0x000800,
} as const;

export interface TrunSample {
  duration?: number;
  size?: number;
  flags?: number;
  /** Signed (version 1 trun): presentation time - decode time, in the media timescale. */
  compositionOffset?: number;
}

export interface TrunFields {
  /** Offset of the first sample's data from the start of the moof (tfhd default-base-is-moof). */
  dataOffset: number;
  /** Written when defined, in place of the first sample's flags (and of the tfhd/trex default). */
  firstSampleFlags?: number;
  /** Which per-sample fields are present; each present field must be defined on every sample. */
  fields: { duration: boolean; size: boolean; flags: boolean; compositionOffset: boolean };
  samples: readonly TrunSample[];
}

/**
 * TrackRunBox (8.8.8). Version 1 (signed sample_composition_time_offset) whenever composition offsets are
 * present, so that B-frame reordering can be expressed with offsets of either sign; version 0 otherwise.
 */
export function trun(f: TrunFields): Mp4Box {
  let flags: number = TRUN_FLAGS.DATA_OFFSET_PRESENT;
  let perSample = 0;
  if (f.firstSampleFlags !== undefined) flags |= TRUN_FLAGS.FIRST_SAMPLE_FLAGS_PRESENT;
  if (f.fields.duration) {
    flags |= TRUN_FLAGS.SAMPLE_DURATION_PRESENT;
    perSample += 4;
  }
  if (f.fields.size) {
    flags |= TRUN_FLAGS.SAMPLE_SIZE_PRESENT;
    perSample += 4;
  }
  if (f.fields.flags) {
    flags |= TRUN_FLAGS.SAMPLE_FLAGS_PRESENT;
    perSample += 4;
  }
  if (f.fields.compositionOffset) {
    flags |= TRUN_FLAGS.SAMPLE_COMPOSITION_TIME_OFFSETS_PRESENT;
    perSample += 4;
  }
  const version = f.fields.compositionOffset ? 1 : 0;
  const need = (v: number | undefined, what: string, i: number): number => {
    if (v === undefined) throw new RangeError(`trun sample ${i}: ${what} is missing`);
    return v;
  };
  return fullBox(
    'trun',
    version,
    flags,
    (w) => {
      w.u32(f.samples.length, 'sample_count');
      w.i32(f.dataOffset, 'data_offset');
      if (f.firstSampleFlags !== undefined) w.u32(f.firstSampleFlags, 'first_sample_flags');
      f.samples.forEach((s, i) => {
        if (f.fields.duration) w.u32(need(s.duration, 'sample_duration', i), 'sample_duration');
        if (f.fields.size) w.u32(need(s.size, 'sample_size', i), 'sample_size');
        if (f.fields.flags) w.u32(need(s.flags, 'sample_flags', i), 'sample_flags');
        if (f.fields.compositionOffset) w.i32(need(s.compositionOffset, 'sample_composition_time_offset', i), 'sample_composition_time_offset');
      });
    },
    8 + (f.firstSampleFlags !== undefined ? 4 : 0) + perSample * f.samples.length,
  );
}

/** MediaDataBox (8.1.1): the sample data, referenced by the trun data offsets. The parts are not copied here. */
export function mdat(...data: Uint8Array[]): Mp4Box {
  return box('mdat', ...data);
}

export interface SidxReference {
  /** Size in bytes of the referenced (sub)segment: moof + mdat (+ styp). */
  referencedSize: number;
  /** Duration in the sidx timescale. */
  subsegmentDuration: number;
  startsWithSap: boolean;
  /** SAP_type (1: closed GOP IDR, 2: open-ish, ...); 0 = unknown. */
  sapType: number;
}

export interface SidxFields {
  referenceId: number;
  timescale: number;
  earliestPresentationTime: number;
  /** Bytes from the end of the sidx to the first referenced byte. */
  firstOffset: number;
  references: readonly SidxReference[];
}

/** SegmentIndexBox (8.16.3), version 1 (64-bit times), media references only (reference_type 0). */
export function sidx(f: SidxFields): Mp4Box {
  return fullBox(
    'sidx',
    1,
    0,
    (w) => {
      w.u32(f.referenceId, 'reference_ID');
      w.u32(f.timescale, 'timescale');
      w.u64(f.earliestPresentationTime, 'earliest_presentation_time');
      w.u64(f.firstOffset, 'first_offset');
      w.u16(0, 'reserved');
      w.u16(f.references.length, 'reference_count');
      for (const r of f.references) {
        checkUint(r.referencedSize, 31, 'referenced_size');
        checkUint(r.sapType, 3, 'SAP_type');
        w.u32(r.referencedSize, 'reference_type (0) + referenced_size'); // bit(1) reference_type = 0 (media)
        w.u32(r.subsegmentDuration, 'subsegment_duration');
        w.u32(((r.startsWithSap ? 1 : 0) * 0x80000000 + r.sapType * 0x10000000) >>> 0, 'starts_with_SAP + SAP_type + SAP_delta_time');
      }
    },
    28 + 12 * f.references.length,
  );
}
