// A snapshot written a slice at a time while the ledger goes on applying entries must be exactly
// the state at the index it was begun: the same bytes as snapshot() then, and a restored ledger
// with the state hash the ledger had then.
import { expect } from 'chai';
import { Ledger } from '../src/ledger.js';
import type { Lease } from '../src/types.js';
import { Driver, expectLease, MINUTE_MS } from './helpers.js';

const OPTIONS = { idempotencyMaxEntries: 40, auditMaxEntries: 100 };

/** Licences, leases (some renewed), usage, remembered requests, audit records. */
function busyDriver(): { driver: Driver; leases: Lease[] } {
  const driver = new Driver(OPTIONS);
  driver.activate({ licenceId: 'a', seats: 30, quota: { units: 1000, period: 'week' } });
  driver.activate({ licenceId: 'b', seats: 30 });
  const leases: Lease[] = [];
  for (let number = 0; number < 12; number++) {
    leases.push(expectLease(driver.acquire(number % 2 === 0 ? 'a' : 'b', `ws-${number}`, 10 * MINUTE_MS)));
    driver.report('a', number + 1);
    driver.advance(1000);
  }
  driver.renew(leases[3]?.leaseId as string, 20 * MINUTE_MS);
  driver.update('b', { seats: 25 });
  return { driver, leases };
}

/** Entries that change what the snapshot has not written yet, and what it has. */
function mutate(driver: Driver, leases: Lease[], step: number): void {
  driver.advance(500);
  switch (step % 6) {
    case 0:
      // The last leases are written late: renewing one replaces its record.
      driver.renew(leases[leases.length - 1 - (step % 4)]?.leaseId as string, 30 * MINUTE_MS);
      break;
    case 1:
      driver.release(leases[leases.length - 2 - (step % 5)]?.leaseId as string);
      break;
    case 2:
      // With idempotencyMaxEntries 40 every new request forgets the oldest one.
      driver.report('a', 3);
      break;
    case 3:
      driver.acquire('b', `ws-new-${step}`, 5 * MINUTE_MS);
      break;
    case 4:
      driver.update('a', { seats: 28 - (step % 3) });
      break;
    default:
      driver.tick();
  }
}

describe('snapshot encoder (a snapshot written in slices while entries are applied)', () => {
  for (const sliceRecords of [1, 3, 17, 1000]) {
    it(`gives the state at its index, ${sliceRecords} record(s) a slice, with entries applied between slices`, () => {
      const { driver, leases } = busyDriver();
      const ledger = driver.ledger;
      const expectedBytes = ledger.snapshot();
      const expectedHash = ledger.stateHash();
      const expectedIndex = ledger.appliedIndex;

      const encoder = ledger.beginSnapshot();
      expect(encoder.appliedIndex).to.equal(expectedIndex);
      expect(encoder.recordCount).to.be.greaterThan(40);
      // Entries before the first slice, and between every two.
      let step = 0;
      do {
        mutate(driver, leases, step);
        step += 1;
      } while (!encoder.writeSome(sliceRecords));
      // The ledger moved on: had the view moved with it, the bytes would differ.
      expect(ledger.appliedIndex).to.be.greaterThan(expectedIndex);
      expect(ledger.stateHash()).to.not.equal(expectedHash);

      const bytes = encoder.bytes();
      expect(Buffer.from(bytes).equals(Buffer.from(expectedBytes))).to.equal(true);
      const restored = Ledger.restore(bytes, OPTIONS);
      expect(restored.appliedIndex).to.equal(expectedIndex);
      expect(restored.stateHash()).to.equal(expectedHash);
    });
  }

  it('writes every record once, counts them, and gives its bytes only when done', () => {
    const { driver } = busyDriver();
    const encoder = driver.ledger.beginSnapshot();
    expect(() => encoder.bytes()).to.throw(/not written yet/);
    expect(encoder.writeSome(5)).to.equal(false);
    expect(encoder.recordsWritten).to.equal(5);
    expect(() => encoder.writeSome(0)).to.throw(/at least one record/);
    expect(encoder.writeSome(Number.POSITIVE_INFINITY)).to.equal(true);
    expect(encoder.recordsWritten).to.equal(encoder.recordCount);
    expect(encoder.finished).to.equal(true);
    expect(encoder.writeSome(1)).to.equal(true);
    expect(Ledger.restore(encoder.bytes(), OPTIONS).stateHash()).to.equal(driver.ledger.stateHash());
  });

  it('two snapshots begun at different indexes each hold their own state', () => {
    const { driver, leases } = busyDriver();
    const first = driver.ledger.beginSnapshot();
    const firstHash = driver.ledger.stateHash();
    first.writeSome(10);
    for (let step = 0; step < 6; step++) mutate(driver, leases, step);
    const second = driver.ledger.beginSnapshot();
    const secondHash = driver.ledger.stateHash();
    for (let step = 6; step < 12; step++) {
      mutate(driver, leases, step);
      first.writeSome(4);
      second.writeSome(4);
    }
    first.writeSome(Number.POSITIVE_INFINITY);
    second.writeSome(Number.POSITIVE_INFINITY);
    expect(Ledger.restore(first.bytes(), OPTIONS).stateHash()).to.equal(firstHash);
    expect(Ledger.restore(second.bytes(), OPTIONS).stateHash()).to.equal(secondHash);
    expect(firstHash).to.not.equal(secondHash);
  });
});

describe('state hasher (a state hash computed in slices while entries are applied)', () => {
  for (const sliceRecords of [1, 3, 17, 1000]) {
    it(`gives the hash of the state at its index, ${sliceRecords} record(s) a slice, with entries applied between slices`, () => {
      const { driver, leases } = busyDriver();
      const ledger = driver.ledger;
      const expectedHash = ledger.stateHash();
      const hasher = ledger.beginStateHash();
      expect(hasher.appliedIndex).to.equal(ledger.appliedIndex);
      expect(hasher.recordCount).to.be.greaterThan(40);
      expect(() => hasher.digestHex()).to.throw(/not hashed yet/);
      let step = 0;
      do {
        mutate(driver, leases, step);
        step += 1;
      } while (!hasher.hashSome(sliceRecords));
      // Had the view moved with the ledger, the hash would be the new state's.
      expect(ledger.stateHash()).to.not.equal(expectedHash);
      expect(hasher.digestHex()).to.equal(expectedHash);
    });
  }

  it('hashes an empty ledger, and refuses a slice of no records', () => {
    const ledger = new Ledger(OPTIONS);
    const hasher = ledger.beginStateHash();
    expect(hasher.recordCount).to.equal(0);
    expect(() => hasher.hashSome(0)).to.throw(/at least one record/);
    expect(hasher.hashSome(1)).to.equal(true);
    expect(hasher.digestHex()).to.equal(ledger.stateHash());
  });
});
