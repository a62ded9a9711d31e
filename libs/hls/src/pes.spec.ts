import { msToTsClock, pesHeaderSize, readTimestamp, TS_TIMESTAMP_MODULUS, wrap33, writePesHeader, writeTimestamp } from './pes';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex').replace(/(..)(?!$)/g, '$1 ');

describe('PTS / DTS fields (ISO/IEC 13818-1 2.4.3.6)', () => {
  // '0010' + PTS[32..30] + marker | PTS[29..22] | PTS[21..15] + marker | PTS[14..7] | PTS[6..0] + marker
  it.each([
    [0, 0b0010, '21 00 01 00 01'],
    [1, 0b0010, '21 00 01 00 03'],
    [0x7fff, 0b0010, '21 00 01 ff ff'],
    [0x8000, 0b0010, '21 00 03 00 01'],
    [2 ** 30 - 1, 0b0010, '21 ff ff ff ff'],
    [2 ** 30, 0b0010, '23 00 01 00 01'],
    [2 ** 32 - 1, 0b0011, '37 ff ff ff ff'],
    [2 ** 32, 0b0001, '19 00 01 00 01'],
    [2 ** 33 - 1, 0b0010, '2f ff ff ff ff'],
    [2 ** 33, 0b0010, '21 00 01 00 01'], // wraps to 0
    [2 ** 33 + 90_000, 0b0010, '21 00 05 bf 21'], // wraps to 90000
    [126_000, 0b0010, '21 00 07 d8 61'], // 1.4 s: the first PTS of FFmpeg's mpegts output
    [-1, 0b0010, '2f ff ff ff ff'], // -1 mod 2^33
  ])('%d with prefix %i -> %s', (ticks, prefix, bytes) => {
    const b = new Uint8Array(5);
    writeTimestamp(b, 0, prefix as 0b0010, ticks);
    expect(toHex(b)).toBe(bytes);
    expect(readTimestamp(b, 0)).toBe(wrap33(ticks));
  });

  it('maps stream milliseconds to the 90 kHz clock with the fixed 1.4 s offset, modulo 2^33', () => {
    expect(msToTsClock(0)).toBe(126_000);
    expect(msToTsClock(-1400)).toBe(0);
    expect(msToTsClock(-1401)).toBe(TS_TIMESTAMP_MODULUS - 90);
    expect(msToTsClock(33.3667)).toBe(Math.round(1433.3667 * 90));
    expect(msToTsClock(2 ** 32 - 1)).toBe(((2 ** 32 - 1 + 1400) * 90) % 2 ** 33);
    expect(() => msToTsClock(NaN)).toThrow(RangeError);
  });
});

describe('PES header', () => {
  it('writes PTS only when DTS equals it, PTS and DTS otherwise, and PES_packet_length', () => {
    const b = new Uint8Array(19);
    expect(pesHeaderSize({ pts: 5, dts: 5 })).toBe(14);
    expect(writePesHeader(b, 0, { streamId: 0xc0, pts: 90_000, dts: 90_000, payloadLength: 100, unbounded: false })).toBe(14);
    expect(toHex(b.subarray(0, 14))).toBe('00 00 01 c0 00 6c 84 80 05 21 00 05 bf 21');
    expect(writePesHeader(b, 0, { streamId: 0xe0, pts: 93_000, dts: 90_000, payloadLength: 1e6, unbounded: true })).toBe(19);
    expect(toHex(b)).toBe('00 00 01 e0 00 00 84 c0 0a 31 00 05 d6 91 11 00 05 bf 21');
    expect(() => writePesHeader(b, 0, { streamId: 0xc0, pts: 0, payloadLength: 65_530, unbounded: false })).toThrow(RangeError);
  });
});
