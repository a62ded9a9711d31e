import { encodeAvcDecoderConfigurationRecord } from '@ingest/flv';
import { crc32Mpeg2 } from './crc';
import { readTimestamp } from './pes';
import { TsMuxer, TS_PCR_DELAY_MS, type TsMuxerFrame } from './ts-muxer';
import { TsMuxError } from './ts-errors';
import { readPcrBase, TsPid } from './ts-packet';

const hex = (s: string): Uint8Array => Uint8Array.from(s.trim().split(/\s+/).map((b) => parseInt(b, 16)));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex').replace(/(..)(?!$)/g, '$1 ');

// x264 parameter sets (640x480 Constrained Baseline SPS, a PPS) and x265's 1280x720 Main VPS / SPS / PPS.
const SPS = hex('67 42 c0 1e d9 00 a0 3d b0 11 00 00 03 00 01 00 00 03 00 3c 0f 16 2e 48');
const PPS = hex('68 ce 3c 80');
const AVCC = encodeAvcDecoderConfigurationRecord({ sps: [SPS], pps: [PPS] });
const AVCC_LEN2 = encodeAvcDecoderConfigurationRecord({ sps: [SPS], pps: [PPS], lengthSizeMinusOne: 1 });
const VPS = hex('40 01 0c 01 ff ff 01 60 00 00 03 00 90 00 00 03 00 00 03 00 5d 95 98 09');
const HSPS = hex('42 01 01 01 60 00 00 03 00 90 00 00 03 00 00 03 00 5d a0 02 80 80 2d 16 59 59 a4 93 2b c0 5a 70 80 00 01 f4 80 00 3a 98 04');
const HPPS = hex('44 01 c1 72 b4 62 40');
const HVCC = Uint8Array.from([
  0x01, 0x01, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 93, 0xf0, 0x00, 0xfc, 0xfd, 0xf8, 0xf8, 0x00, 0x00, 0x0f, 3,
  ...[
    [0xa0, VPS],
    [0xa1, HSPS],
    [0xa2, HPPS],
  ].flatMap(([type, nal]) => {
    const n = nal as Uint8Array;
    return [type as number, 0, 1, n.length >> 8, n.length & 0xff, ...n];
  }),
]);
/** AAC LC, 44.1 kHz (index 4), 2 channels. */
const ASC_LC_44100_STEREO = hex('12 10');

/** Length-prefixed NAL units (4-byte lengths unless told). */
function sample(nals: Uint8Array[], lengthSize = 4): Uint8Array {
  const out: number[] = [];
  for (const nal of nals) {
    for (let i = lengthSize - 1; i >= 0; i--) out.push(Math.floor(nal.length / 256 ** i) & 0xff);
    out.push(...nal);
  }
  return Uint8Array.from(out);
}

const IDR = Uint8Array.from([0x65, 0x88, 0x84, ...new Array(300).fill(0x5a)]);
const P_SLICE = Uint8Array.from([0x41, 0x9a, ...new Array(120).fill(0x33)]);
const SEI = hex('06 05 01 aa 80');

interface Packet {
  pid: number;
  pusi: boolean;
  afc: number;
  cc: number;
  adaptation?: Uint8Array;
  payload: Uint8Array;
}

/** A minimal transport stream reader for the assertions (ISO/IEC 13818-1 2.4.3.2 / 2.4.3.4). */
function readPackets(buf: Uint8Array): Packet[] {
  expect(buf.length % 188).toBe(0);
  const out: Packet[] = [];
  for (let p = 0; p < buf.length; p += 188) {
    const pkt = buf.subarray(p, p + 188);
    expect(pkt[0]).toBe(0x47);
    const afc = (pkt[3] >> 4) & 0x03;
    let q = 4;
    let adaptation: Uint8Array | undefined;
    if (afc & 0x02) {
      const len = pkt[4];
      adaptation = pkt.subarray(5, 5 + len);
      q = 5 + len;
    }
    out.push({ pid: ((pkt[1] & 0x1f) << 8) | pkt[2], pusi: (pkt[1] & 0x40) !== 0, afc, cc: pkt[3] & 0x0f, adaptation, payload: afc & 0x01 ? pkt.subarray(q) : new Uint8Array(0) });
  }
  return out;
}

/** PES packets of one PID, reassembled from payload_unit_start_indicator to the next. */
function pesOf(packets: Packet[], pid: number): Uint8Array[] {
  const out: number[][] = [];
  for (const p of packets.filter((x) => x.pid === pid)) {
    if (p.pusi) out.push([]);
    out[out.length - 1].push(...p.payload);
  }
  return out.map((a) => Uint8Array.from(a));
}

function parsePes(pes: Uint8Array): { streamId: number; length: number; pts: number; dts?: number; data: Uint8Array; flags: number } {
  expect([pes[0], pes[1], pes[2]]).toEqual([0, 0, 1]);
  const ptsDts = pes[7] >> 6;
  const headerLength = pes[8];
  return {
    streamId: pes[3],
    length: (pes[4] << 8) | pes[5],
    flags: pes[6],
    pts: readTimestamp(pes, 9),
    dts: ptsDts === 3 ? readTimestamp(pes, 14) : undefined,
    data: pes.subarray(9 + headerLength),
  };
}

const clock = (ms: number): number => Math.round((ms + 1400) * 90);

function avcMuxer(extra: Partial<ConstructorParameters<typeof TsMuxer>[0]> = {}): TsMuxer {
  return new TsMuxer({ video: { codec: 'avc', config: AVCC }, audio: { codec: 'aac', config: ASC_LC_44100_STEREO }, ...extra });
}

describe('PAT and PMT', () => {
  it('writes the PAT FFmpeg writes for program 1 on PMT PID 0x1000, CRC_32 included', () => {
    const [pat, pmt] = readPackets(avcMuxer().writeTables());
    expect(pat).toMatchObject({ pid: 0, pusi: true, afc: 1, cc: 0 });
    // pointer_field 0, then table_id 0, section_length 13, transport_stream_id 1, version 0 / current, program 1
    // -> PID 0x1000, CRC_32 2A B1 04 B2: byte for byte the PAT of FFmpeg's mpegts muxer with its defaults.
    expect(toHex(pat.payload.subarray(0, 18))).toBe('00 00 b0 0d 00 01 c1 00 00 00 01 f0 00 2a b1 04 b2 ff');
    expect(pat.payload.subarray(17).every((b) => b === 0xff)).toBe(true);
    expect(pmt).toMatchObject({ pid: 0x1000, pusi: true, afc: 1, cc: 0 });
    // program 1, PCR_PID 0x100, H.264 (0x1B) on 0x100 and AAC ADTS (0x0F) on 0x101: FFmpeg's PMT for h264 + aac.
    expect(toHex(pmt.payload.subarray(0, 27))).toBe('00 02 b0 17 00 01 c1 00 00 e1 00 f0 00 1b e1 00 f0 00 0f e1 01 f0 00 2f 44 b9 9b');
  });

  it('CRC_32 is CRC-32/MPEG-2: the check value, and zero over a section with its CRC (Annex A)', () => {
    expect(crc32Mpeg2(Buffer.from('123456789'))).toBe(0x0376e6e7);
    expect(crc32Mpeg2(new Uint8Array(0))).toBe(0xffffffff);
    for (const muxer of [avcMuxer(), new TsMuxer({ video: { codec: 'hevc', config: HVCC } }), new TsMuxer({ audio: { codec: 'mp3' } })]) {
      for (const pkt of readPackets(muxer.writeTables())) {
        const sectionLength = ((pkt.payload[2] & 0x0f) << 8) | pkt.payload[3];
        const section = pkt.payload.subarray(1, 4 + sectionLength);
        expect(crc32Mpeg2(section)).toBe(0);
        expect(Buffer.from(section).readUInt32BE(section.length - 4)).toBe(crc32Mpeg2(section, 0, section.length - 4));
      }
    }
  });

  it('lists HEVC as 0x24, MP3 as 0x03 (or 0x04), and puts the PCR on the audio PID without video', () => {
    const streams = (m: TsMuxer) => {
      const pmt = readPackets(m.writeTables())[1].payload;
      const pcrPid = ((pmt[9] & 0x1f) << 8) | pmt[10];
      const entries: [number, number][] = [];
      const end = 4 + (((pmt[2] & 0x0f) << 8) | pmt[3]) - 4;
      for (let p = 13; p < end; p += 5) entries.push([pmt[p], ((pmt[p + 1] & 0x1f) << 8) | pmt[p + 2]]);
      return { pcrPid, entries };
    };
    expect(streams(new TsMuxer({ video: { codec: 'hevc', config: HVCC }, audio: { codec: 'mp3' } }))).toEqual({ pcrPid: 0x100, entries: [[0x24, 0x100], [0x03, 0x101]] });
    expect(streams(new TsMuxer({ audio: { codec: 'mp3', streamType: 0x04 } }))).toEqual({ pcrPid: 0x101, entries: [[0x04, 0x101]] });
    expect(streams(new TsMuxer({ audio: { codec: 'aac', config: ASC_LC_44100_STEREO } }))).toEqual({ pcrPid: 0x101, entries: [[0x0f, 0x101]] });
  });
});

describe('video', () => {
  it('converts to Annex B with an AUD first and SPS / PPS before the IDR slice, in a PES with PTS, DTS and a PCR', () => {
    const m = avcMuxer();
    const ts = m.writeVideo({ dts: 1000, cts: 66, keyframe: true, data: sample([SEI, IDR]) });
    const packets = readPackets(ts);
    expect(packets.every((p) => p.pid === 0x100)).toBe(true);
    expect(packets[0].pusi).toBe(true);
    expect(packets.slice(1).every((p) => !p.pusi)).toBe(true);
    // adaptation field: flags random_access_indicator + PCR_flag, PCR base = DTS - 700 ms.
    const af = packets[0].adaptation!;
    expect(af[0]).toBe(0x50);
    expect(readPcrBase(af, 1)).toBe(clock(1000 - TS_PCR_DELAY_MS));
    expect(af[5] & 0x7e).toBe(0x7e); // reserved bits
    const [pes] = pesOf(packets, 0x100);
    const parsed = parsePes(pes);
    expect(parsed).toMatchObject({ streamId: 0xe0, length: 0, flags: 0x84, pts: clock(1066), dts: clock(1000) });
    const sc = '00 00 00 01';
    expect(toHex(parsed.data)).toBe(
      [`${sc} 09 f0`, `${sc} ${toHex(SPS)}`, `${sc} ${toHex(PPS)}`, `${sc} ${toHex(SEI)}`, `${sc} ${toHex(IDR)}`].join(' '),
    );
  });

  it('writes no parameter sets on inter frames, drops an AUD of the input, keeps in-band SPS / PPS once, reads 2-byte lengths', () => {
    const m = avcMuxer();
    const inter = parsePes(pesOf(readPackets(m.writeVideo({ dts: 0, cts: 0, keyframe: false, data: sample([hex('09 10'), P_SLICE]) })), 0x100)[0]);
    expect(toHex(inter.data)).toBe(`00 00 00 01 09 f0 00 00 00 01 ${toHex(P_SLICE)}`);
    expect(inter.dts).toBeUndefined(); // DTS == PTS: PTS only
    const inBand = parsePes(pesOf(readPackets(m.writeVideo({ dts: 40, cts: 0, keyframe: true, data: sample([SPS, PPS, IDR]) })), 0x100)[0]);
    expect(toHex(inBand.data)).toBe(`00 00 00 01 09 f0 00 00 00 01 ${toHex(SPS)} 00 00 00 01 ${toHex(PPS)} 00 00 00 01 ${toHex(IDR)}`);
    const short = new TsMuxer({ video: { codec: 'avc', config: AVCC_LEN2 } });
    const two = parsePes(pesOf(readPackets(short.writeVideo({ dts: 0, cts: 0, keyframe: false, data: sample([P_SLICE], 2) })), 0x100)[0]);
    expect(toHex(two.data)).toBe(`00 00 00 01 09 f0 00 00 00 01 ${toHex(P_SLICE)}`);
  });

  it('HEVC: AUD 46 01 50 and VPS / SPS / PPS on key frames', () => {
    const m = new TsMuxer({ video: { codec: 'hevc', config: HVCC } });
    const idr = Uint8Array.from([0x26, 0x01, 0xaf, ...new Array(200).fill(7)]); // IDR_W_RADL (19)
    const es = parsePes(pesOf(readPackets(m.writeVideo({ dts: 0, cts: 0, keyframe: true, data: sample([idr]) })), 0x100)[0]).data;
    const sc = '00 00 00 01';
    expect(toHex(es)).toBe([`${sc} 46 01 50`, `${sc} ${toHex(VPS)}`, `${sc} ${toHex(HSPS)}`, `${sc} ${toHex(HPPS)}`, `${sc} ${toHex(idr)}`].join(' '));
  });

  it('rejects malformed frames and configurations with TsMuxError codes', () => {
    const m = avcMuxer();
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(TsMuxError);
        return (err as TsMuxError).code;
      }
      return 'no error';
    };
    expect(code(() => m.writeVideo({ dts: 0, cts: 0, keyframe: false, data: hex('00 00 01 00 41') }))).toBe('TS_BAD_FRAME');
    expect(code(() => m.writeVideo({ dts: NaN, cts: 0, keyframe: false, data: sample([P_SLICE]) }))).toBe('TS_BAD_FRAME');
    expect(code(() => new TsMuxer({ audio: { codec: 'mp3' } }).writeVideo({ dts: 0, cts: 0, keyframe: false, data: sample([P_SLICE]) }))).toBe('TS_NO_TRACK');
    expect(code(() => new TsMuxer({ video: { codec: 'avc', config: hex('02 42') } }))).toBe('TS_BAD_CONFIG');
    expect(code(() => new TsMuxer({ video: { codec: 'hevc', config: AVCC } }))).toBe('TS_BAD_CONFIG');
    expect(code(() => new TsMuxer({ audio: { codec: 'aac', config: hex('f8 00') } }))).toBe('TS_BAD_CONFIG');
    expect(code(() => new TsMuxer({}))).toBe('TS_BAD_CONFIG');
    expect(code(() => m.writeAudio({ dts: 0, data: new Uint8Array(9000) }))).toBe('TS_BAD_FRAME');
    expect(m.writeVideo({ dts: 0, cts: 0, keyframe: true, data: new Uint8Array(0) })).toHaveLength(0);
  });
});

describe('audio', () => {
  it('puts an ADTS header built from the AudioSpecificConfig on every AAC frame (44.1 kHz stereo LC)', () => {
    const m = avcMuxer();
    const raw = new Uint8Array(100).fill(0x21);
    const [pes] = pesOf(readPackets(m.writeAudio({ dts: 23, data: raw })), 0x101);
    const parsed = parsePes(pes);
    expect(parsed).toMatchObject({ streamId: 0xc0, length: 3 + 5 + 107, pts: clock(23), dts: undefined });
    // syncword FFF, MPEG-4, layer 0, no CRC | LC (1), index 4, private 0, channels 2 | frame length 107 | 0x7FF, 1 block
    expect(toHex(parsed.data.subarray(0, 7))).toBe('ff f1 50 80 0d 7f fc');
    expect(parsed.data.subarray(7)).toEqual(raw);
  });

  it('writes MP3 frames as they are', () => {
    const m = new TsMuxer({ audio: { codec: 'mp3' } });
    const frame = Uint8Array.from([0xff, 0xfb, 0x90, 0x64, ...new Array(413).fill(1)]);
    const packets = readPackets(m.writeAudio({ dts: 0, data: frame }));
    expect(readPcrBase(packets[0].adaptation!, 1)).toBe(clock(-TS_PCR_DELAY_MS)); // audio-only: PCR on audio
    expect(parsePes(pesOf(packets, 0x101)[0]).data).toEqual(frame);
  });

  it('fills the last packet with adaptation-field stuffing, including the one-byte case', () => {
    const m = new TsMuxer({ video: { codec: 'avc', config: AVCC }, audio: { codec: 'aac', config: ASC_LC_44100_STEREO } });
    // PES = 14 header + 7 ADTS + n: 183 bytes leaves 1 byte (adaptation_field_length 0), 182 leaves 2 (length 1, flags).
    for (const [n, af] of [
      [162, '00'],
      [161, '01 00'],
      [163, null],
      [100, null],
    ] as const) {
      const ts = m.writeAudio({ dts: 0, data: new Uint8Array(n).fill(9) });
      const pkts = readPackets(ts);
      expect(pkts).toHaveLength(1);
      if (af !== null) expect(toHex(ts.subarray(4, 4 + af.split(' ').length))).toBe(af);
      expect(pkts[0].afc).toBe(n === 163 ? 1 : 3);
      expect(parsePes(pesOf(pkts, 0x101)[0]).data.subarray(7)).toEqual(new Uint8Array(n).fill(9));
    }
  });
});

describe('continuity and determinism', () => {
  function frames(seconds: number, startMs = 0): TsMuxerFrame[] {
    const out: TsMuxerFrame[] = [];
    let a = 0;
    for (let i = 0; i < seconds * 30; i++) {
      const dts = startMs + Math.round((i * 1000) / 30);
      while (startMs + Math.round((a * 1024000) / 44100) <= dts) {
        out.push({ kind: 'audio', dts: startMs + Math.round((a * 1024000) / 44100), data: new Uint8Array(200 + (a % 50)).fill(a & 0xff) });
        a++;
      }
      const key = i % 30 === 0;
      out.push({ kind: 'video', dts, cts: 33, keyframe: key, data: sample([key ? IDR : P_SLICE, new Uint8Array(100 + ((i * 37) % 900)).fill(0x41)]) });
    }
    return out;
  }

  it('increments continuity_counter by one per packet of each PID, mod 16, across calls and segments', () => {
    const m = avcMuxer();
    const ts = Buffer.concat([m.writeSegment(frames(1)), m.writeSegment(frames(1, 1000))]);
    const last = new Map<number, number>();
    const counts = new Map<number, number>();
    for (const p of readPackets(ts)) {
      const prev = last.get(p.pid);
      expect(p.cc).toBe(prev === undefined ? 0 : (prev + 1) % 16);
      last.set(p.pid, p.cc);
      counts.set(p.pid, (counts.get(p.pid) ?? 0) + 1);
    }
    expect(counts.get(TsPid.PAT)).toBe(2);
    expect(counts.get(TsPid.VIDEO)!).toBeGreaterThan(32);
    expect(counts.get(TsPid.AUDIO)!).toBeGreaterThan(32);
    expect(m.continuityCounter(TsPid.VIDEO)).toBe((last.get(TsPid.VIDEO)! + 1) % 16);
  });

  it('gives the same bytes for the same frames, and with per-segment counters the same segment whatever came before', () => {
    const a = avcMuxer().writeSegment(frames(2));
    const b = avcMuxer().writeSegment(frames(2));
    expect(Buffer.compare(a, b)).toBe(0);

    const late = avcMuxer({ continuity: 'per-segment' });
    const early = avcMuxer({ continuity: 'per-segment' });
    early.writeSegment(frames(1.3));
    early.writeSegment(frames(0.7, 1300));
    const x = early.writeSegment(frames(2, 2000));
    const y = late.writeSegment(frames(2, 2000));
    expect(Buffer.compare(x, y)).toBe(0);
    // ... while continuous counters differ after a different history.
    const c1 = avcMuxer();
    c1.writeSegment(frames(1));
    expect(Buffer.compare(c1.writeSegment(frames(2, 2000)), avcMuxer().writeSegment(frames(2, 2000)))).not.toBe(0);
  });

  it('per-segment: PAT / PMT count the segment sequence, every PES PID ends on a multiple of 16 packets', () => {
    const m = avcMuxer({ continuity: 'per-segment' });
    const segments = [m.writeSegment(frames(1), 7), m.writeSegment(frames(0.5, 1000), 8), m.writeSegment(frames(1.2, 1500), 9)];
    const last = new Map<number, number>();
    segments.forEach((ts, k) => {
      const packets = readPackets(ts);
      expect(packets.filter((p) => p.pid === TsPid.PAT).map((p) => p.cc)).toEqual([7 + k]);
      expect(packets.filter((p) => p.pid === TsPid.PMT).map((p) => p.cc)).toEqual([7 + k]);
      for (const pid of [TsPid.VIDEO, TsPid.AUDIO]) {
        const ccs = packets.filter((p) => p.pid === pid).map((p) => p.cc);
        expect(ccs.length % 16).toBe(0);
        expect(ccs).toEqual(ccs.map((_, i) => i % 16));
        last.set(pid, ccs.at(-1)!);
      }
      // The padding is stuffing: the PES packets still carry exactly the same bytes.
      const plain = readPackets(avcMuxer().writeSegment(k === 0 ? frames(1) : k === 1 ? frames(0.5, 1000) : frames(1.2, 1500)));
      for (const pid of [TsPid.VIDEO, TsPid.AUDIO]) expect(pesOf(packets, pid)).toEqual(pesOf(plain, pid));
      expect(packets.every((p) => p.payload.length > 0)).toBe(true);
    });
    expect(last.get(TsPid.VIDEO)).toBe(15);
  });

  it('keeps timestamps in order, one PCR per video frame 700 ms behind its DTS', () => {
    const packets = readPackets(avcMuxer().writeSegment(frames(2)));
    const pcrs = packets.filter((x) => x.pid === TsPid.VIDEO && x.pusi).map((p) => readPcrBase(p.adaptation!, 1));
    const video = pesOf(packets, TsPid.VIDEO).map(parsePes);
    expect(pcrs).toHaveLength(60);
    video.forEach(({ pts, dts }, i) => {
      expect(pts - dts!).toBe(33 * 90);
      expect(pcrs[i]).toBe(dts! - TS_PCR_DELAY_MS * 90);
      if (i > 0) expect(dts!).toBeGreaterThan(video[i - 1].dts!);
    });
    const audio = pesOf(packets, TsPid.AUDIO).map(parsePes);
    audio.forEach(({ pts }, i) => i > 0 && expect(pts).toBeGreaterThan(audio[i - 1].pts));
  });
});
