import { expect } from 'chai';
import {
  STATUS_STATE_HASH_AT_ONCE_RECORDS,
  STATUS_STATE_HASH_LONGEST_AGE_MS,
  STATUS_STATE_HASH_MAX_AGE_MS,
  STATUS_STATE_HASH_MAX_SHARE,
  STATUS_STATE_HASH_SLICE_RECORDS,
  StateHashCache,
  statusMayHash,
} from '../src/admin-service.js';
import type { Replica } from '../src/replica.js';

/**
 * A ledger that counts how often its whole state was hashed, with `records` records, each slice of
 * its hasher taking `sliceMs` on the clock it is given.
 */
function fakeLedger(clock: { nowMs: number } = { nowMs: 0 }, hashMs = 0) {
  const ledger = {
    appliedIndex: 1,
    hashes: 0,
    records: 1,
    slices: 0,
    stateHash(): string {
      ledger.hashes += 1;
      clock.nowMs += hashMs;
      return `hash-of-${ledger.appliedIndex}`;
    },
    beginStateHash() {
      const appliedIndex = ledger.appliedIndex;
      const recordCount = ledger.records;
      let hashed = 0;
      return {
        appliedIndex,
        recordCount,
        hashSome(maxRecords: number): boolean {
          ledger.slices += 1;
          hashed = Math.min(recordCount, hashed + maxRecords);
          clock.nowMs += hashMs;
          if (hashed === recordCount) ledger.hashes += 1;
          return hashed === recordCount;
        },
        digestHex: () => `hash-of-${appliedIndex}`,
      };
    },
  };
  return ledger;
}

function fakeReplica() {
  const ledger = fakeLedger();
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
    const clock = { nowMs: 1_000 };
    // A ledger remembering 200,000 requests, on a busy machine.
    const ledger = fakeLedger(clock, 250);
    const cache = new StateHashCache({ ledger } as unknown as Replica, () => clock.nowMs);
    expect(cache.recent()).to.deep.equal({ index: 1, hash: 'hash-of-1' });
    expect(cache.maxAgeMs).to.equal(250 / STATUS_STATE_HASH_MAX_SHARE);
    ledger.appliedIndex = 2;
    clock.nowMs += STATUS_STATE_HASH_MAX_AGE_MS + 1;
    expect(cache.recent()).to.deep.equal({ index: 1, hash: 'hash-of-1' });
    clock.nowMs += cache.maxAgeMs;
    expect(cache.recent()).to.deep.equal({ index: 2, hash: 'hash-of-2' });
    expect(ledger.hashes).to.equal(2);
  });

  it('never keeps a hash longer than the longest age', () => {
    const clock = { nowMs: 0 };
    const ledger = fakeLedger(clock, 10_000);
    const cache = new StateHashCache({ ledger } as unknown as Replica, () => clock.nowMs);
    cache.current();
    expect(cache.maxAgeMs).to.equal(STATUS_STATE_HASH_LONGEST_AGE_MS);
  });

  it('hashes a large ledger for Status a slice per turn, answering the last hash meanwhile', () => {
    const clock = { nowMs: 0 };
    const ledger = fakeLedger(clock, 2);
    ledger.records = STATUS_STATE_HASH_SLICE_RECORDS * 3 + 1;
    const turns: Array<() => void> = [];
    const cache = new StateHashCache(
      { ledger } as unknown as Replica,
      () => clock.nowMs,
      () => true,
      (slice) => turns.push(slice),
    );
    expect(cache.recent()).to.deep.equal({ index: 0, hash: '' });
    expect(cache.busy).to.equal(true);
    // Entries applied while it hashes: the hash is of the index it began at.
    ledger.appliedIndex = 5;
    let runs = 0;
    while (turns.length > 0) {
      expect(cache.recent()).to.deep.equal({ index: 0, hash: '' });
      (turns.shift() as () => void)();
      runs += 1;
    }
    expect(runs).to.equal(4);
    expect(cache.busy).to.equal(false);
    expect(cache.recent()).to.deep.equal({ index: 1, hash: 'hash-of-1' });
    // Its slices added up: 4 of 2 ms.
    expect(cache.maxAgeMs).to.equal(STATUS_STATE_HASH_MAX_AGE_MS);
    expect(ledger.hashes).to.equal(1);
    // Not begun again while the hash is fresh, nor for a ledger that has not changed.
    clock.nowMs += STATUS_STATE_HASH_MAX_AGE_MS + 1;
    ledger.appliedIndex = 1;
    expect(cache.recent()).to.deep.equal({ index: 1, hash: 'hash-of-1' });
    expect(turns).to.have.length(0);
  });

  it('keeps a later hash from Verify over a background one that finishes after it', () => {
    const ledger = fakeLedger();
    ledger.records = STATUS_STATE_HASH_AT_ONCE_RECORDS + 1;
    const turns: Array<() => void> = [];
    const cache = new StateHashCache(
      { ledger } as unknown as Replica,
      () => 0,
      () => true,
      (slice) => turns.push(slice),
    );
    cache.recent();
    ledger.appliedIndex = 7;
    expect(cache.current()).to.deep.equal({ index: 7, hash: 'hash-of-7' });
    while (turns.length > 0) (turns.shift() as () => void)();
    expect(cache.recent()).to.deep.equal({ index: 7, hash: 'hash-of-7' });
  });

  it('answers the last hash, or none, while the node may not hash, and hashes once it may', () => {
    const { replica, ledger } = fakeReplica();
    let nowMs = 0;
    let may = false;
    const cache = new StateHashCache(
      replica,
      () => nowMs,
      () => may,
    );
    expect(cache.recent()).to.deep.equal({ index: 0, hash: '' });
    expect(ledger.hashes).to.equal(0);
    may = true;
    expect(cache.recent()).to.deep.equal({ index: 1, hash: 'hash-of-1' });
    may = false;
    ledger.appliedIndex = 9;
    nowMs += STATUS_STATE_HASH_LONGEST_AGE_MS + 1;
    expect(cache.recent()).to.deep.equal({ index: 1, hash: 'hash-of-1' });
    // Verify and Snapshot hash whatever the node is doing.
    expect(cache.current()).to.deep.equal({ index: 9, hash: 'hash-of-9' });
    expect(ledger.hashes).to.equal(2);
  });
});

describe('statusMayHash', () => {
  const status = (
    role: 'leader' | 'follower' | 'candidate' | 'pre_candidate',
    inSync: string[],
    appliedIndex = 10,
    drained?: string[],
  ) => ({
    role,
    appliedIndex,
    commitIndex: 10,
    configuration: { voters: ['main', 'backup'], inSync, ...(drained === undefined ? {} : { drained }) },
  });

  it('lets a leader and an in-sync, caught-up backup hash', () => {
    expect(statusMayHash(status('leader', ['main']), 'main', true)).to.equal(true);
    expect(statusMayHash(status('leader', ['backup']), 'backup', false)).to.equal(true);
    expect(statusMayHash(status('follower', ['main', 'backup']), 'backup', false)).to.equal(true);
  });

  it('keeps a node catching up, or campaigning, from hashing', () => {
    expect(statusMayHash(status('follower', ['main']), 'backup', false)).to.equal(false);
    expect(statusMayHash(status('follower', ['main', 'backup'], 9), 'backup', false)).to.equal(false);
    expect(statusMayHash(status('pre_candidate', ['main', 'backup']), 'backup', false)).to.equal(false);
    expect(statusMayHash(status('candidate', ['main', 'backup']), 'main', true)).to.equal(false);
  });

  it('keeps a following main from hashing until it leads, unless it is drained', () => {
    expect(statusMayHash(status('follower', ['main', 'backup']), 'main', true)).to.equal(false);
    expect(statusMayHash(status('follower', ['main', 'backup'], 10, ['main']), 'main', true)).to.equal(true);
  });
});
