// CRC-32 as used by zlib, PNG and Ethernet (reflected polynomial 0xEDB88320), table-driven: one
// table lookup per byte. Every stored record carries one over its payload.

const REFLECTED_POLYNOMIAL = 0xedb88320;

const CRC32_TABLE: Uint32Array = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let remainder = byte;
    for (let bit = 0; bit < 8; bit++) {
      remainder = remainder & 1 ? REFLECTED_POLYNOMIAL ^ (remainder >>> 1) : remainder >>> 1;
    }
    table[byte] = remainder >>> 0;
  }
  return table;
}

/**
 * The CRC-32 of bytes, as an unsigned 32-bit number. Pass the result of an earlier call as
 * previous to continue a checksum over data that arrives in pieces.
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const table = CRC32_TABLE;
  let crc = ~previous;
  for (let offset = 0; offset < bytes.length; offset++) {
    crc = (table[(crc ^ (bytes[offset] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return ~crc >>> 0;
}
