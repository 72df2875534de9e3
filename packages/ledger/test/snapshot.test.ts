import { expect } from 'chai';
import { LedgerDataError } from '../src/errors.js';
import { Ledger } from '../src/ledger.js';
import { decodeSnapshot, encodeSnapshot } from '../src/snapshot.js';
import type { Command } from '../src/types.js';
import { Driver, expectLease, licenceSpec, MINUTE_MS, PARAMETERS, T0 } from './helpers.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A ledger with something of everything: licences, leases, usage, remembered requests. */
function busyDriver(options = {}): Driver {
  const driver = new Driver(options);
  driver.activate({ licenceId: 'a', seats: 3, quota: { units: 50, period: 'week' } });
  driver.activate({ licenceId: 'b', seats: 1 });
  driver.acquire('a', 'ws-1', MINUTE_MS);
  driver.acquire('a', 'ws-2', 2 * MINUTE_MS);
  driver.acquire('b', 'ws-1', 3 * MINUTE_MS);
  driver.report('a', 20);
  driver.report('b', 7);
  driver.report('a', 40);
  driver.advance(30_000);
  driver.apply({ type: 'deactivate_licence', requestId: 'gone', licenceId: 'b' });
  return driver;
}

function observe(ledger: Ledger) {
  return {
    hash: ledger.stateHash(),
    appliedIndex: ledger.appliedIndex,
    clockMs: ledger.clockMs,
    licences: ledger.listLicences(),
    leases: ledger.listLeases(),
    usageA: ledger.usage('a'),
    usageB: ledger.usage('b'),
    requests: ['request-1', 'request-4', 'request-8', 'gone'].map((id) => ledger.lookupRequest(id)),
  };
}

function expectSnapshotError(bytes: Uint8Array, pattern: RegExp): void {
  let caught: unknown;
  try {
    Ledger.restore(bytes);
  } catch (error) {
    caught = error;
  }
  expect(caught).to.be.instanceOf(LedgerDataError);
  expect((caught as LedgerDataError).code).to.equal('SNAPSHOT_DECODE_FAILED');
  expect((caught as LedgerDataError).message).to.match(pattern);
}

describe('snapshot and restore', () => {
  it('restores everything, and continuing from it equals never snapshotting', () => {
    const driver = busyDriver({ idempotencyMaxEntries: 6 });
    const restored = Ledger.restore(driver.ledger.snapshot(), { idempotencyMaxEntries: 6 });
    expect(observe(restored)).to.deep.equal(observe(driver.ledger));

    const tail: Command[] = [
      { type: 'report_usage', requestId: 'request-4', licenceId: 'a', workstationId: 'w', units: 1 },
      {
        type: 'acquire_lease',
        requestId: 't1',
        licenceId: 'a',
        workstationId: 'ws-3',
        parameters: PARAMETERS,
        ttlMs: 5,
      },
      {
        type: 'acquire_lease',
        requestId: 't2',
        licenceId: 'a',
        workstationId: 'ws-4',
        parameters: PARAMETERS,
        ttlMs: 5,
      },
      { type: 'extend_leases', byMs: 10_000 },
      { type: 'tick' },
      { type: 'report_usage', requestId: 't3', licenceId: 'a', workstationId: 'w', units: 1 },
    ];
    let index = driver.index;
    let timestampMs = driver.nowMs;
    for (const command of tail) {
      index += 1;
      timestampMs += 40_000;
      const expected = driver.ledger.apply({ index, term: 2, timestampMs, command });
      expect(restored.apply({ index, term: 2, timestampMs, command })).to.deep.equal(expected);
    }
    expect(observe(restored)).to.deep.equal(observe(driver.ledger));
    expect(restored.snapshot()).to.deep.equal(driver.ledger.snapshot());
  });

  it('gives equal bytes for equal ledgers', () => {
    expect(busyDriver().ledger.snapshot()).to.deep.equal(busyDriver().ledger.snapshot());
  });

  it('refuses bytes that are not a snapshot', () => {
    expectSnapshotError(encoder.encode('nonsense'), /not UTF-8 JSON/);
    expectSnapshotError(encoder.encode('{"format":"other"}'), /\$\.format/);
    const text = decoder.decode(busyDriver().ledger.snapshot());
    expectSnapshotError(encoder.encode(text.replace('"v":3', '"v":7')), /\$\.v/);
    expectSnapshotError(encoder.encode(text.replace('"v":3', '"v":2')), /\$\.v/);
    expectSnapshotError(encoder.encode(text.replace('"seats":3', '"seats":"3"')), /\$\.licences\[0\]\.seats/);
  });

  it('refuses a snapshot whose parts contradict each other', () => {
    const state = decodeSnapshot(busyDriver().ledger.snapshot());
    const orphanLease = structuredClone(state);
    (orphanLease.leases[0] as { licenceId: string }).licenceId = 'missing';
    expectSnapshotError(encodeSnapshot(orphanLease), /belongs to no active licence/);
    for (const leaseId of ['lease-999', 'lease-0-3', 'lease-1-03', 'lease-x-3']) {
      const badLeaseId = structuredClone(state);
      (badLeaseId.leases[0] as { leaseId: string }).leaseId = leaseId;
      expectSnapshotError(encodeSnapshot(badLeaseId), /bad lease id/);
    }
    const shuffled = structuredClone(state);
    shuffled.requests.reverse();
    expectSnapshotError(encodeSnapshot(shuffled), /out of order/);
    const badPeriod = structuredClone(state);
    (badPeriod.usage[0] as { usage: { periodStartMs: number } }).usage.periodStartMs += 1;
    expectSnapshotError(encodeSnapshot(badPeriod), /bounds/);
    const badSeats = structuredClone(state);
    (badSeats.licences[0] as { seats: number }).seats = 0;
    expectSnapshotError(encodeSnapshot(badSeats), /licence\.seats/);
  });

  it('restores a version 2 snapshot (one JSON document), as earlier releases wrote them', () => {
    const driver = busyDriver({ idempotencyMaxEntries: 6 });
    const state = decodeSnapshot(driver.ledger.snapshot());
    const version2 = encoder.encode(JSON.stringify({ format: 'tandem-ledger-snapshot', v: 2, ...state }));
    const restored = Ledger.restore(version2, { idempotencyMaxEntries: 6 });
    expect(observe(restored)).to.deep.equal(observe(driver.ledger));
    expect(restored.snapshot()).to.deep.equal(driver.ledger.snapshot());
    expectSnapshotError(encoder.encode(decoder.decode(version2).replace('"v":2', '"v":7')), /\$\.v/);
  });

  it('names a remembered lease that equals the live lease instead of copying it, and restores both alike', () => {
    const driver = busyDriver();
    const text = decoder.decode(driver.ledger.snapshot());
    const leaseId = driver.ledger.listLeases()[0]?.leaseId;
    expect(text).to.include(`["lease","${leaseId}"]`);
    // A renewed lease no longer equals the answer its acquisition was given: that answer is copied.
    driver.apply({ type: 'renew_lease', requestId: 'renew', leaseId: leaseId as string, ttlMs: 0 });
    const renewed = driver.ledger.snapshot();
    const restored = Ledger.restore(renewed);
    expect(restored.stateHash()).to.equal(driver.ledger.stateHash());
    expect(restored.lookupRequest('request-3')).to.deep.equal(driver.ledger.lookupRequest('request-3'));
    expect(restored.snapshot()).to.deep.equal(renewed);
  });
});

describe('stateHash', () => {
  it('is equal for ledgers that applied the same entries', () => {
    expect(busyDriver().ledger.stateHash()).to.equal(busyDriver().ledger.stateHash());
    expect(busyDriver().ledger.stateHash()).to.match(/^[0-9a-f]{64}$/);
  });

  it('leaves out the applied index and the clock', () => {
    const early = new Ledger();
    const late = new Ledger();
    const command: Command = { type: 'activate_licence', requestId: 'r', licence: licenceSpec() };
    early.apply({ index: 1, term: 1, timestampMs: T0, command });
    late.apply({ index: 1, term: 1, timestampMs: T0, command });
    late.apply({ index: 7, term: 2, timestampMs: T0 + 5000, command: { type: 'tick' } });
    expect(late.appliedIndex).to.not.equal(early.appliedIndex);
    expect(late.stateHash()).to.equal(early.stateHash());
  });

  it('does not depend on the order of feature keys in the command', () => {
    const first = new Driver();
    const second = new Driver();
    first.activate({ features: { a: '1', b: '2' } }, 'r');
    second.activate({ features: { b: '2', a: '1' } }, 'r');
    expect(first.ledger.stateHash()).to.equal(second.ledger.stateHash());
    expect(Object.keys(second.ledger.getLicence('cad-1')?.features ?? {})).to.deep.equal(['a', 'b']);
  });

  it('changes with every kind of content', () => {
    const hashes = new Set<string>();
    const driver = new Driver();
    hashes.add(driver.ledger.stateHash());
    driver.activate({}, 'r1');
    hashes.add(driver.ledger.stateHash());
    const lease = expectLease(driver.acquire('cad-1', 'ws-1', MINUTE_MS, 'r2'));
    hashes.add(driver.ledger.stateHash());
    driver.apply({ type: 'extend_leases', byMs: 10 });
    hashes.add(driver.ledger.stateHash());
    driver.report('cad-1', 1, 'r3');
    hashes.add(driver.ledger.stateHash());
    driver.renew(lease.leaseId, 0, 'bad id');
    // A rejection with an invalid request id is not remembered and changes nothing.
    expect(hashes.has(driver.ledger.stateHash())).to.equal(true);
    driver.renew('lease-1-404', 0, 'r4');
    hashes.add(driver.ledger.stateHash());
    expect(hashes.size).to.equal(6);

    const otherSeats = new Driver();
    otherSeats.activate({ seats: 3 }, 'r1');
    const sameSeats = new Driver();
    sameSeats.activate({}, 'r1');
    expect(otherSeats.ledger.stateHash()).to.not.equal(sameSeats.ledger.stateHash());
  });
});
