// CRC-32 as used by zlib, PNG and Ethernet (reflected polynomial 0xEDB88320). Every stored record
// carries one over its payload. Computed by zlib inside Node (node:zlib crc32, Node 20.15 and
// later): a snapshot of 30 MB is checksummed as it is stored, and the table-driven JavaScript this
// replaced took 70–100 ms of the event loop for it where zlib takes 6–10 ms. Same values.
import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * The CRC-32 of bytes, as an unsigned 32-bit number. Pass the result of an earlier call as
 * previous to continue a checksum over data that arrives in pieces.
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  return zlibCrc32(bytes, previous);
}
