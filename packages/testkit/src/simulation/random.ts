// The simulation's only source of randomness: xoshiro128** seeded through splitmix32. Every choice
// the simulation makes (faults, delays, election jitter, workstation behaviour) comes from a
// generator forked from the run's seed, so a seed replays the same run exactly. Math.random is
// never used.
import assert from 'node:assert/strict';

const TWO_POWER_32 = 4294967296;

/** splitmix32: turns any 32-bit state into well-mixed output; used only for seeding. */
function splitmix32(state: number): { state: number; value: number } {
  const next = (state + 0x9e3779b9) >>> 0;
  let mixed = next;
  mixed = Math.imul(mixed ^ (mixed >>> 16), 0x85ebca6b) >>> 0;
  mixed = Math.imul(mixed ^ (mixed >>> 13), 0xc2b2ae35) >>> 0;
  mixed = (mixed ^ (mixed >>> 16)) >>> 0;
  return { state: next, value: mixed };
}

/** FNV-1a over a label, so that forks with different labels get unrelated streams. */
function hashLabel(label: string): number {
  let hash = 0x811c9dc5;
  for (let position = 0; position < label.length; position += 1) {
    hash = Math.imul(hash ^ label.charCodeAt(position), 0x01000193) >>> 0;
  }
  return hash;
}

export class SimulationRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** seed: any non-negative safe integer (all 53 bits count). */
  constructor(seed: number) {
    assert.ok(Number.isSafeInteger(seed) && seed >= 0, `a seed is a non-negative safe integer, not ${seed}`);
    const low = seed >>> 0;
    const high = Math.floor(seed / TWO_POWER_32) >>> 0;
    let state = (low ^ Math.imul(high, 0x27d4eb2d)) >>> 0;
    const words: number[] = [];
    for (let word = 0; word < 4; word += 1) {
      const step = splitmix32(state);
      state = step.state;
      words.push(step.value);
    }
    [this.s0, this.s1, this.s2, this.s3] = words as [number, number, number, number];
    // xoshiro must not start from the all-zero state.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const shifted = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ shifted) >>> 0;
    this.s3 = rotateLeft(this.s3, 11);
    return result;
  }

  /** A float in [0, 1) with 32 bits of precision. */
  float(): number {
    return this.nextUint32() / TWO_POWER_32;
  }

  /** An integer in [0, maxExclusive), without modulo bias. */
  below(maxExclusive: number): number {
    assert.ok(
      Number.isSafeInteger(maxExclusive) && maxExclusive >= 1 && maxExclusive <= TWO_POWER_32,
      `below() needs a bound in 1..2^32, not ${maxExclusive}`,
    );
    // Reject the top slice of the 32-bit range that would favour small results.
    const limit = TWO_POWER_32 - (TWO_POWER_32 % maxExclusive);
    for (;;) {
      const value = this.nextUint32();
      if (value < limit) return value % maxExclusive;
    }
  }

  /** An integer in [min, maxInclusive]. */
  int(min: number, maxInclusive: number): number {
    assert.ok(Number.isSafeInteger(min) && Number.isSafeInteger(maxInclusive), 'int() takes integers');
    assert.ok(maxInclusive >= min, `int(${min}, ${maxInclusive}) has an empty range`);
    return min + this.below(maxInclusive - min + 1);
  }

  /** True with the given probability (0 never, 1 always). */
  chance(probability: number): boolean {
    assert.ok(probability >= 0 && probability <= 1, `a probability is in [0, 1], not ${probability}`);
    if (probability === 0) return false;
    if (probability === 1) return true;
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    assert.ok(items.length > 0, 'pick() needs at least one item');
    return items[this.below(items.length)] as T;
  }

  /** Picks an index with probability proportional to its weight. */
  weighted(weights: readonly number[]): number {
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    assert.ok(total > 0 && weights.every((weight) => weight >= 0), 'weights are non-negative, some positive');
    let target = this.float() * total;
    for (let position = 0; position < weights.length; position += 1) {
      target -= weights[position] as number;
      if (target < 0) return position;
    }
    return weights.length - 1;
  }

  /** Shuffles in place (Fisher-Yates) and returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let position = items.length - 1; position > 0; position -= 1) {
      const other = this.below(position + 1);
      const item = items[position] as T;
      items[position] = items[other] as T;
      items[other] = item;
    }
    return items;
  }

  /**
   * A new generator for one part of the simulation. It draws from this one, so forks must be made
   * in a fixed order; the label keeps sibling forks apart.
   */
  fork(label: string): SimulationRandom {
    const child = new SimulationRandom(0);
    const labelHash = hashLabel(label);
    child.s0 = (this.nextUint32() ^ labelHash) >>> 0;
    child.s1 = this.nextUint32();
    child.s2 = (this.nextUint32() ^ Math.imul(labelHash, 0x9e3779b1)) >>> 0;
    child.s3 = this.nextUint32();
    if ((child.s0 | child.s1 | child.s2 | child.s3) === 0) child.s0 = 1;
    return child;
  }
}

function rotateLeft(value: number, bits: number): number {
  return ((value << bits) | (value >>> (32 - bits))) >>> 0;
}
