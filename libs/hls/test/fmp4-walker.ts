/**
 * A tiny ISO BMFF box walker for the tests: it parses back what mp4-boxes.ts writes, checking that every box
 * fits its parent exactly, and decodes the fragment boxes (tfhd, tfdt, trun) field by field.
 */

export interface WalkedBox {
  type: string;
  /** Offset of the box header in the walked buffer. */
  start: number;
  size: number;
  /** The payload (after the 8-byte header). */
  body: Buffer;
  children: WalkedBox[];
}

/** Boxes that contain boxes, with the bytes of their own fields before the first child. */
const CONTAINERS: Record<string, number> = {
  moov: 0,
  trak: 0,
  mdia: 0,
  minf: 0,
  dinf: 0,
  stbl: 0,
  mvex: 0,
  moof: 0,
  traf: 0,
  dref: 8,
  stsd: 8,
  avc1: 78,
  hvc1: 78,
  mp4a: 28,
};

export function walkBoxes(buf: Buffer, start = 0, end = buf.length): WalkedBox[] {
  const out: WalkedBox[] = [];
  let pos = start;
  while (pos < end) {
    if (end - pos < 8) throw new Error(`${end - pos} stray byte(s) at ${pos}`);
    const size = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    if (size < 8 || pos + size > end) throw new Error(`box '${type}' at ${pos} of size ${size} overruns its parent (end ${end})`);
    const body = buf.subarray(pos + 8, pos + size);
    const skip = CONTAINERS[type];
    const children = skip === undefined ? [] : walkBoxes(buf, pos + 8 + skip, pos + size);
    out.push({ type, start: pos, size, body, children });
    pos += size;
  }
  return out;
}

/** The first box at a slash-separated path of types ('moov/trak/mdia/mdhd'), or throws. */
export function findBox(boxes: WalkedBox[], path: string): WalkedBox {
  let level = boxes;
  let found: WalkedBox | undefined;
  for (const type of path.split('/')) {
    found = level.find((b) => b.type === type);
    if (!found) throw new Error(`no '${type}' in ${path} (have ${level.map((b) => b.type).join(', ')})`);
    level = found.children;
  }
  return found!;
}

/** All boxes of a type among `boxes`. */
export function boxesOf(boxes: WalkedBox[], type: string): WalkedBox[] {
  return boxes.filter((b) => b.type === type);
}

/** The type tree, e.g. ['ftyp', ['moov', ['mvhd', ...]]] flattened to 'ftyp moov(mvhd trak(...))'. */
export function boxTree(boxes: WalkedBox[]): string {
  return boxes.map((b) => (b.children.length > 0 ? `${b.type}(${boxTree(b.children)})` : b.type)).join(' ');
}

export function fullBoxHeader(b: WalkedBox): { version: number; flags: number } {
  return { version: b.body[0], flags: b.body.readUIntBE(1, 3) };
}

export interface ParsedTfhd {
  flags: number;
  trackId: number;
  defaultSampleDuration?: number;
  defaultSampleSize?: number;
  defaultSampleFlags?: number;
}

export function parseTfhd(b: WalkedBox): ParsedTfhd {
  const { flags } = fullBoxHeader(b);
  let p = 4;
  const r: ParsedTfhd = { flags, trackId: b.body.readUInt32BE(p) };
  p += 4;
  if (flags & 0x01) p += 8; // base_data_offset
  if (flags & 0x02) p += 4; // sample_description_index
  if (flags & 0x08) {
    r.defaultSampleDuration = b.body.readUInt32BE(p);
    p += 4;
  }
  if (flags & 0x10) {
    r.defaultSampleSize = b.body.readUInt32BE(p);
    p += 4;
  }
  if (flags & 0x20) r.defaultSampleFlags = b.body.readUInt32BE(p);
  return r;
}

export function parseTfdt(b: WalkedBox): number {
  const { version } = fullBoxHeader(b);
  return version === 1 ? Number(b.body.readBigUInt64BE(4)) : b.body.readUInt32BE(4);
}

export interface ParsedTrun {
  version: number;
  flags: number;
  sampleCount: number;
  dataOffset?: number;
  firstSampleFlags?: number;
  samples: Array<{ duration?: number; size?: number; flags?: number; compositionOffset?: number }>;
}

export function parseTrun(b: WalkedBox): ParsedTrun {
  const { version, flags } = fullBoxHeader(b);
  const body = b.body;
  let p = 4;
  const sampleCount = body.readUInt32BE(p);
  p += 4;
  const r: ParsedTrun = { version, flags, sampleCount, samples: [] };
  if (flags & 0x01) {
    r.dataOffset = body.readInt32BE(p);
    p += 4;
  }
  if (flags & 0x04) {
    r.firstSampleFlags = body.readUInt32BE(p);
    p += 4;
  }
  for (let i = 0; i < sampleCount; i++) {
    const s: ParsedTrun['samples'][number] = {};
    if (flags & 0x100) {
      s.duration = body.readUInt32BE(p);
      p += 4;
    }
    if (flags & 0x200) {
      s.size = body.readUInt32BE(p);
      p += 4;
    }
    if (flags & 0x400) {
      s.flags = body.readUInt32BE(p);
      p += 4;
    }
    if (flags & 0x800) {
      s.compositionOffset = version === 1 ? body.readInt32BE(p) : body.readUInt32BE(p);
      p += 4;
    }
    r.samples.push(s);
  }
  if (p !== body.length) throw new Error(`trun: ${body.length - p} byte(s) left over`);
  return r;
}
