import { expect } from 'chai';
import { crc32 } from '../src/crc32.js';
import { pseudoRandomBytes } from './storage-helpers.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('crc32', () => {
  it('matches the standard check values', () => {
    expect(crc32(new Uint8Array(0))).to.equal(0);
    expect(crc32(ascii('123456789'))).to.equal(0xcbf43926);
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).to.equal(0x414fa339);
    expect(crc32(new Uint8Array(32))).to.equal(0x190a55ad);
  });

  it('continues a checksum across pieces', () => {
    const bytes = pseudoRandomBytes(3, 10_000);
    const whole = crc32(bytes);
    for (const split of [0, 1, 4_096, 9_999, 10_000]) {
      expect(crc32(bytes.subarray(split), crc32(bytes.subarray(0, split)))).to.equal(whole);
    }
  });

  it('changes when any single bit changes', () => {
    const bytes = pseudoRandomBytes(5, 64);
    const original = crc32(bytes);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const changed = new Uint8Array(bytes);
      changed[bit >> 3] = (changed[bit >> 3] as number) ^ (1 << (bit & 7));
      expect(crc32(changed)).to.not.equal(original);
    }
  });
});
