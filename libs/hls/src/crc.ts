/**
 * CRC-32 of MPEG-2 Systems (ISO/IEC 13818-1, Annex A "CRC decoder model"): the CRC_32 field that ends every
 * PSI section (PAT, PMT, ...). Generator polynomial
 *   x^32 + x^26 + x^23 + x^22 + x^16 + x^12 + x^11 + x^10 + x^8 + x^7 + x^5 + x^4 + x^2 + x + 1  (0x04C11DB7),
 * processed MSB first (not reflected), register preset to 0xFFFFFFFF, no final XOR. Annex A defines the field
 * by "zero output of the registers in the decoder ... after processing the entire section", i.e. running the CRC
 * over a section including its CRC_32 field gives 0.
 *
 * This is the CRC-32/MPEG-2 catalogue entry (check value of "123456789" = 0x0376E6E7), not the zlib/Ethernet
 * CRC-32, which is reflected and inverted.
 */

const TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32/MPEG-2 of `data[start, end)`, as an unsigned 32-bit number. */
export function crc32Mpeg2(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = (crc << 8) ^ TABLE[((crc >>> 24) ^ data[i]) & 0xff];
  return crc >>> 0;
}
