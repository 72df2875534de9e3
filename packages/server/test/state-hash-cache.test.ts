import { expect } from 'chai';
import {
  STATUS_STATE_HASH_LONGEST_AGE_MS,
  STATUS_STATE_HASH_MAX_AGE_MS,
  STATUS_STATE_HASH_MAX_SHARE,
  StateHashCache,
} from '../src/admin-service.js';
import type { Replica } from '../src/replica.js';

/** A ledger that counts how often its whole state was hashed. */
function fakeReplica() {
  const ledger = {
    appliedIndex: 1,
    hashes: 0,
    stateHash(): string {
      ledger.hashes += 1;
      return `hash-of-${ledger.appliedIndex}`;
    },
  };
  return { replica: { ledger } as unknown as Replica, ledger };
}

describe('StateHashCache', () => {
  it('hashes the ledger once per applied index for current()', () => {
    const { replica, ledger } = fakeReplica();
    const cache = new StateHashCache(replica, () => 0);
    expect(cache.current()).to.deep.equal({ index: 1, hash: 'hash-of-1' });
    expect(cache.current()).to.deep.equal({ index: 1, hash: 'hash-of-1' });
    ledger.appliedIndex = 2;
    expect(cache.current()).to.deep.equal({ index: 2, hash: 'hash-of-2' });
    expect(ledger.hashes).to.equal(2);
  });

  it('answers recent() from a hash at most the maximum age old, with the index it is of', () => {
    const { replica, ledger } = fakeReplica();
    let nowMs = 1_000;
    const cache = new StateHashCache(replica, () => nowMs);
    expect(cache.recent()).to.deep.equal({ index: 1, hash: 'hash-of-1' });
    // The ledger moves on: a status poll within the age gets the older hash, named by its index.
    for (let index = 2; index < 50; index += 1) {
      ledger.appliedIndex = index;
      nowMs += 100;
      if (nowMs - 1_000 > STATUS_STATE_HASH_MAX_AGE_MS) break;
      expect(cache.recent()).to.deep.equal({ index: 1, hash: 'hash-of-1' });
    }
    expect(ledger.hashes).to.equal(1);
    nowMs = 1_000 + STATUS_STATE_HASH_MAX_AGE_MS + 1;
    expect(cache.recent()).to.deep.equal({
      index: ledger.appliedIndex,
      hash: `hash-of-${ledger.appliedIndex}`,
    });
    expect(ledger.hashes).to.equal(2);
    // Verify and Snapshot ask for the present state, whatever its age.
    ledger.appliedIndex += 1;
    expect(cache.current().index).to.equal(ledger.appliedIndex);
    expect(ledger.hashes).to.equal(3);
  });

  it('keeps a hash that took long for longer, so that Status hashing takes at most its share of the time', () => {
    let nowMs = 1_000;
    const ledger = {
      appliedIndex: 1,
      hashes: 0,
      stateHash(): string {
        ledger.hashes += 1;
        nowMs += 250; // a ledger remembering 200,000 requests, on a busy machine
        return `hash-of-${ledger.appliedIndex}`;
      },
    };
    const cache = new StateHashCache({ ledger } as unknown as Replica, () => nowMs);
    expect(cache.recent()).to.deep.equal({ index: 1, hash: 'hash-of-1' });
    expect(cache.maxAgeMs).to.equal(250 / STATUS_STATE_HASH_MAX_SHARE);
    ledger.appliedIndex = 2;
    nowMs += STATUS_STATE_HASH_MAX_AGE_MS + 1;
    expect(cache.recent()).to.deep.equal({ index: 1, hash: 'hash-of-1' });
    nowMs += cache.maxAgeMs;
    expect(cache.recent()).to.deep.equal({ index: 2, hash: 'hash-of-2' });
    expect(ledger.hashes).to.equal(2);
  });

  it('never keeps a hash longer than the longest age', () => {
    let nowMs = 0;
    const ledger = {
      appliedIndex: 1,
      stateHash(): string {
        nowMs += 10_000;
        return `hash-of-${ledger.appliedIndex}`;
      },
    };
    const cache = new StateHashCache({ ledger } as unknown as Replica, () => nowMs);
    cache.current();
    expect(cache.maxAgeMs).to.equal(STATUS_STATE_HASH_LONGEST_AGE_MS);
  });
});
