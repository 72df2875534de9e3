import { expect } from 'chai';
import { LedgerDataError } from '../src/errors.js';
import { Ledger } from '../src/ledger.js';
import { decodeSnapshot, encodeSnapshot } from '../src/snapshot.js';
import type { Command } from '../src/types.js';
import {
  ACTOR,
  activateCommand,
  clusteredLedger,
  Driver,
  expectLease,
  licenceFile,
  MINUTE_MS,
  PARAMETERS,
  T0,
} from './helpers.js';

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
  driver.update('a', { seats: 2 });
  driver.apply({
    type: 'revoke_lease',
    requestId: 'revoke',
    leaseId: 'lease-1-4',
    reason: 'moved',
    actor: ACTOR,
  });
  driver.deactivate('b', 'gone');
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
    clusterId: ledger.clusterId,
    audit: ledger.auditRecords(),
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
        nonce: '00000000000000f1',
      },
      {
        type: 'acquire_lease',
        requestId: 't2',
        licenceId: 'a',
        workstationId: 'ws-4',
        parameters: PARAMETERS,
        ttlMs: 5,
        nonce: '00000000000000f1',
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
    expectSnapshotError(encoder.encode(text.replace('"v":5', '"v":7')), /\$\.v/);
    expectSnapshotError(encoder.encode(text.replace('"v":5', '"v":2')), /\$\.v/);
    expectSnapshotError(encoder.encode(text.replace('"seats":2', '"seats":"2"')), /\$\.licences\[0\]\.seats/);
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
    const raisedGrant = structuredClone(state);
    (raisedGrant.licences[0] as { grant: { limits: { seats: number } } }).grant.limits.seats = 99;
    expectSnapshotError(encodeSnapshot(raisedGrant), /differs from its file/);
    const unsignedWithVendor = structuredClone(state);
    const grant = (unsignedWithVendor.licences[0] as { grant: { serial: number } }).grant;
    grant.serial = 0;
    expectSnapshotError(encodeSnapshot(unsignedWithVendor), /unsigned but names a vendor/);
    const lateAudit = structuredClone(state);
    (lateAudit.audit[0] as { index: number }).index = state.appliedIndex + 1;
    expectSnapshotError(encodeSnapshot(lateAudit), /after the applied index/);
    const badActor = structuredClone(state);
    (badActor.audit[0] as { actor: { name: string } }).actor.name = '';
    expectSnapshotError(encodeSnapshot(badActor), /actor\.name/);
    const badCluster = structuredClone(state);
    badCluster.clusterId = 'no spaces';
    expectSnapshotError(encodeSnapshot(badCluster), /cluster id/);
  });

  it('keeps the cluster id, the grants, the fingerprints and the audit trail', () => {
    const driver = busyDriver();
    const restored = Ledger.restore(driver.ledger.snapshot());
    expect(restored.clusterId).to.equal('test-cluster');
    expect(restored.getLicence('a')?.grant).to.deep.equal(driver.ledger.getLicence('a')?.grant);
    expect(restored.auditRecords().records.map((record) => record.action)).to.deep.equal([
      'activate_licence',
      'activate_licence',
      'update_licence',
      'revoke_lease',
      'deactivate_licence',
    ]);
    expect(
      restored.isRequestIdReused({
        type: 'report_usage',
        requestId: 'request-6',
        licenceId: 'a',
        workstationId: 'ws-1',
        units: 2,
      }),
    ).to.equal(true);
    expect(restored.stateHash()).to.equal(driver.ledger.stateHash());
  });

  /** A state as releases before the trust work held it: unsigned licences, no fingerprints, no trail. */
  function olderState(driver: Driver) {
    const state = decodeSnapshot(driver.ledger.snapshot());
    const plain = (value: unknown) => {
      const { grant: _grant, ...rest } = value as Record<string, unknown>;
      return rest;
    };
    const result = (value: unknown): unknown => {
      const outcome = (value as { outcome?: { kind: string; licence?: unknown } }).outcome;
      if (outcome?.kind !== 'licence') return value;
      return { ok: true, outcome: { kind: 'licence', licence: plain(outcome.licence) } };
    };
    return {
      appliedIndex: state.appliedIndex,
      clockMs: state.clockMs,
      licences: state.licences.map(plain),
      leases: state.leases,
      usage: state.usage,
      requests: state.requests.map(({ fingerprint: _fingerprint, ...record }) => ({
        ...record,
        result: result(record.result),
      })),
      incidents: state.incidents,
    };
  }

  function expectUnsignedCopy(restored: Ledger, driver: Driver): void {
    expect(restored.clusterId).to.equal(null);
    expect(restored.auditCount()).to.equal(0);
    for (const licence of driver.ledger.listLicences()) {
      const copy = restored.getLicence(licence.licenceId);
      const { grant: _grant, ...terms } = licence;
      expect(copy).to.deep.include(terms);
      expect(copy?.grant).to.deep.include({ serial: 0, vendor: '', file: '' });
      const { licenceId, product, seats, quota, validFromMs, validUntilMs, redundancy, features } = licence;
      const spec = { licenceId, product, seats, quota, validFromMs, validUntilMs, redundancy, features };
      expect(copy?.grant.limits).to.deep.equal(spec);
    }
    expect(restored.listLeases()).to.deep.equal(driver.ledger.listLeases());
    expect(restored.usage('a')).to.deep.equal(driver.ledger.usage('a'));
    // Any retry matches a request remembered before fingerprints.
    expect(
      restored.isRequestIdReused({
        type: 'report_usage',
        requestId: 'request-6',
        licenceId: 'a',
        workstationId: 'ws-1',
        units: 2,
      }),
    ).to.equal(false);
  }

  it('restores a version 3 snapshot (a line per record) as unsigned licences without a trail', () => {
    const driver = busyDriver({ idempotencyMaxEntries: 6 });
    const state = olderState(driver);
    const lines = [
      JSON.stringify({
        format: 'tandem-ledger-snapshot',
        v: 3,
        appliedIndex: state.appliedIndex,
        clockMs: state.clockMs,
        licences: state.licences.length,
        leases: state.leases.length,
        usage: state.usage.length,
        requests: state.requests.length,
        incidents: state.incidents.length,
      }),
      ...state.licences.map((licence) => JSON.stringify(licence)),
      ...state.leases.map((lease) =>
        JSON.stringify([
          lease.leaseId,
          lease.licenceId,
          lease.workstationId,
          lease.parameters.host,
          lease.parameters.user,
          lease.parameters.cores,
          lease.parameters.productVersion,
          lease.grantedAtMs,
          lease.renewedAtMs,
          lease.expiresAtMs,
          lease.ttlMs,
        ]),
      ),
      ...state.usage.map((record) => JSON.stringify(record)),
      ...state.requests.map((record) =>
        JSON.stringify([record.requestId, record.index, record.atMs, record.result]),
      ),
    ];
    const restored = Ledger.restore(encoder.encode(`${lines.join('\n')}\n`), { idempotencyMaxEntries: 6 });
    expectUnsignedCopy(restored, driver);
  });

  it('restores a version 2 snapshot (one JSON document), as earlier releases wrote them', () => {
    const driver = busyDriver({ idempotencyMaxEntries: 6 });
    const version2 = encoder.encode(
      JSON.stringify({ format: 'tandem-ledger-snapshot', v: 2, ...olderState(driver) }),
    );
    const restored = Ledger.restore(version2, { idempotencyMaxEntries: 6 });
    expectUnsignedCopy(restored, driver);
    // It goes on like any ledger, and its snapshot is of the current version.
    expect(Ledger.restore(restored.snapshot(), { idempotencyMaxEntries: 6 }).stateHash()).to.equal(
      restored.stateHash(),
    );
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
    const early = clusteredLedger();
    const late = clusteredLedger();
    const command: Command = activateCommand({}, 'r');
    early.apply({ index: 1, term: 1, timestampMs: T0, command });
    late.apply({ index: 1, term: 1, timestampMs: T0, command });
    late.apply({ index: 7, term: 2, timestampMs: T0 + 5000, command: { type: 'tick' } });
    expect(late.appliedIndex).to.not.equal(early.appliedIndex);
    expect(late.stateHash()).to.equal(early.stateHash());
  });

  it('keeps feature keys sorted whatever order the licence file holds them in', () => {
    const driver = new Driver();
    driver.activate({ features: { b: '2', a: '1' } }, 'r');
    const licence = driver.ledger.getLicence('cad-1');
    expect(Object.keys(licence?.features ?? {})).to.deep.equal(['a', 'b']);
    expect(Object.keys(licence?.grant.limits.features ?? {})).to.deep.equal(['a', 'b']);
    // The file itself is kept as the vendor signed it.
    expect(licence?.grant.file).to.equal(licenceFile({ features: { b: '2', a: '1' } }));
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

    // The actor of an audited command is part of the state.
    const byAlice = new Driver();
    const byBob = new Driver();
    byAlice.activate({}, 'r1');
    byBob.apply({ ...activateCommand({}, 'r1'), actor: { ...ACTOR, name: 'bob' } } as Command);
    expect(byAlice.ledger.stateHash()).to.not.equal(byBob.ledger.stateHash());
  });
});
