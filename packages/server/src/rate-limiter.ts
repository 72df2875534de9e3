// Per-identity token buckets for workstation calls: one workstation (or a stolen credential) that
// loops cannot starve the others. Buckets refill continuously; a full bucket is forgotten, so the
// table holds only identities that called recently, and it is bounded anyway.

/** Identities tracked at once; past this, full buckets are dropped, then the oldest. */
const MAX_BUCKETS = 100_000;

interface Bucket {
  tokens: number;
  updatedAtMs: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    if (!(perSecond > 0) || !(burst >= 1))
      throw new RangeError('a rate limit needs a positive rate and a burst of at least 1');
  }

  /** Takes one call from the key's bucket: 0 if allowed, else how many ms until one is available. */
  take(key: string, nowMs: number): number {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= MAX_BUCKETS) this.prune(nowMs);
      bucket = { tokens: this.burst, updatedAtMs: nowMs };
      this.buckets.set(key, bucket);
    } else {
      const elapsedMs = Math.max(0, nowMs - bucket.updatedAtMs);
      bucket.tokens = Math.min(this.burst, bucket.tokens + (elapsedMs * this.perSecond) / 1000);
      bucket.updatedAtMs = nowMs;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) * 1000) / this.perSecond);
  }

  get size(): number {
    return this.buckets.size;
  }

  private prune(nowMs: number): void {
    for (const [key, bucket] of this.buckets) {
      const refilled = bucket.tokens + ((nowMs - bucket.updatedAtMs) * this.perSecond) / 1000;
      if (refilled >= this.burst) this.buckets.delete(key);
    }
    while (this.buckets.size >= MAX_BUCKETS) {
      const oldest = this.buckets.keys().next().value;
      if (oldest === undefined) break;
      this.buckets.delete(oldest);
    }
  }
}
