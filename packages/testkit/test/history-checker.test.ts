// The history checker: linearizability of recorded histories against the licence model, and the
// plain safety checks over final state. Every refutation test plants one violation.
import type { Command, Lease, Result } from '@tandem/ledger';
import { expect } from 'chai';
import { HistoryRecorder, type Operation } from '../src/history-checker/history.js';
import { createLicenceModel } from '../src/history-checker/licence-model.js';
import { checkLinearizable } from '../src/history-checker/linearizability.js';
import { partitionByLicence } from '../src/history-checker/partition-by-licence.js';
import {
  checkAcknowledgedPresent,
  checkOneLeaderPerTerm,
  checkSeatsNeverExceeded,
  checkUsageExactlyOnce,
} from '../src/history-checker/safety-checks.js';

const PARAMETERS = { host: 'h', user: 'u', cores: 4, productVersion: '1.0' };

function acquire(requestId: string, workstationId: string, licenceId = 'L1'): Command {
  return {
    type: 'acquire_lease',
    requestId,
    licenceId,
    workstationId,
    parameters: PARAMETERS,
    ttlMs: 60_000,
    nonce: '',
  };
}
function release(requestId: string, leaseId: string): Command {
  return { type: 'release_lease', requestId, leaseId };
}
function renew(requestId: string, leaseId: string): Command {
  return { type: 'renew_lease', requestId, leaseId, ttlMs: 0 };
}
function report(requestId: string, units: number, licenceId = 'L1'): Command {
  return { type: 'report_usage', requestId, licenceId, workstationId: 'w1', units };
}
function leaseResult(leaseId: string, workstationId: string, licenceId = 'L1'): Result {
  const lease: Lease = {
    leaseId,
    licenceId,
    workstationId,
    parameters: PARAMETERS,
    grantedAtMs: 0,
    renewedAtMs: 0,
    expiresAtMs: 60_000,
    ttlMs: 60_000,
  };
  return { ok: true, outcome: { kind: 'lease', lease } };
}
function usageResult(used: number, licenceId = 'L1'): Result {
  return { ok: true, outcome: { kind: 'usage', licenceId, periodStartMs: 0, used, remaining: null } };
}
function rejected(reason: 'seat_limit_reached' | 'quota_exhausted' | 'lease_not_found'): Result {
  return { ok: false, reason, message: reason };
}

/** One entry: [client, command, invokedAtMs, completedAtMs, result or 'failed' or 'pending']. */
type Entry = [string, Command, number, number, Result | 'failed' | 'pending'];

function history(entries: readonly Entry[]): Operation[] {
  const recorder = new HistoryRecorder();
  const ids = entries.map(([client, command, invokedAtMs]) => recorder.invoke(client, command, invokedAtMs));
  entries.forEach(([, , , completedAtMs, outcome], index) => {
    const id = ids[index] as string;
    if (outcome === 'failed') recorder.fail(id, 'timeout', completedAtMs);
    else if (outcome !== 'pending') recorder.complete(id, outcome, completedAtMs);
  });
  return recorder.operations();
}

const oneSeat = () => createLicenceModel([{ licenceId: 'L1', seats: 1, quotaUnits: null }]);

describe('history recorder', () => {
  it('joins invocations with completions and makes unknown outcomes end at infinity', () => {
    const operations = history([
      ['a', acquire('r1', 'w1'), 0, 5, leaseResult('lease-1', 'w1')],
      ['b', acquire('r2', 'w2'), 1, 6, 'failed'],
      ['c', acquire('r3', 'w3'), 2, 0, 'pending'],
    ]);
    expect(
      operations.map((operation) => [operation.id, operation.completedAtMs, operation.outcome.kind]),
    ).to.deep.equal([
      ['r1', 5, 'ok'],
      ['r2', Number.POSITIVE_INFINITY, 'failed'],
      ['r3', Number.POSITIVE_INFINITY, 'pending'],
    ]);
  });

  it('gives retries of one request distinct ids and refuses impossible completions', () => {
    const recorder = new HistoryRecorder({ maxEntries: 3 });
    expect(recorder.invoke('a', report('r1', 1), 0)).to.equal('r1');
    expect(recorder.invoke('a', report('r1', 1), 5)).to.equal('r1#2');
    expect(() => recorder.complete('r1', usageResult(1), -1)).to.throw(/before it was invoked/);
    recorder.complete('r1', usageResult(1), 1);
    expect(() => recorder.fail('r1', 'x', 2)).to.throw(/twice/);
    expect(() => recorder.complete('nope', usageResult(1), 2)).to.throw(/unknown operation/);
    recorder.invoke('b', report('r2', 1), 0);
    expect(() => recorder.invoke('b', report('r3', 1), 0)).to.throw(/history is full/);
  });
});

describe('linearizability check', () => {
  it('accepts a sequential history', () => {
    const operations = history([
      ['a', acquire('r1', 'w1'), 0, 1, leaseResult('lease-1', 'w1')],
      ['b', acquire('r2', 'w2'), 2, 3, rejected('seat_limit_reached')],
      ['a', release('r3', 'lease-1'), 4, 5, leaseResult('lease-1', 'w1')],
      ['b', acquire('r4', 'w2'), 6, 7, leaseResult('lease-4', 'w2')],
      ['b', acquire('r5', 'w2'), 8, 9, leaseResult('lease-4', 'w2')],
    ]);
    expect(checkLinearizable(operations, oneSeat())).to.deep.equal({ ok: true });
  });

  it('accepts overlapping operations that take effect in an order other than their invocation', () => {
    // b is invoked first but its release only makes sense after a's acquire: overlap allows that.
    const operations = history([
      ['b', release('r2', 'lease-1'), 0, 10, leaseResult('lease-1', 'w1')],
      ['a', acquire('r1', 'w1'), 1, 5, leaseResult('lease-1', 'w1')],
      ['c', acquire('r3', 'w3'), 2, 12, leaseResult('lease-3', 'w3')],
      ['d', report('r4', 3), 3, 20, usageResult(5)],
      ['e', report('r5', 2), 4, 20, usageResult(2)],
    ]);
    expect(checkLinearizable(operations, oneSeat())).to.deep.equal({ ok: true });
  });

  it('accepts failed operations whether or not they took effect', () => {
    const tookEffect = history([
      ['a', acquire('r1', 'w1'), 0, 1, 'failed'],
      ['b', acquire('r2', 'w2'), 2, 3, rejected('seat_limit_reached')],
      ['c', report('r3', 4), 4, 5, 'failed'],
      ['c', report('r4', 1), 6, 7, usageResult(5)],
    ]);
    const didNot = history([
      ['a', acquire('r1', 'w1'), 0, 1, 'failed'],
      ['b', acquire('r2', 'w2'), 2, 3, leaseResult('lease-2', 'w2')],
      ['c', report('r3', 4), 4, 5, 'pending'],
      ['c', report('r4', 1), 6, 7, usageResult(1)],
    ]);
    expect(checkLinearizable(tookEffect, oneSeat())).to.deep.equal({ ok: true });
    expect(checkLinearizable(didNot, oneSeat())).to.deep.equal({ ok: true });
  });

  it('learns the id of a lease whose grant was lost from a later release and from a retry', () => {
    const operations = history([
      ['a', acquire('r1', 'w1'), 0, 1, 'failed'],
      ['a', acquire('r1', 'w1'), 2, 3, leaseResult('lease-7', 'w1')],
      ['a', release('r2', 'lease-7'), 4, 5, leaseResult('lease-7', 'w1')],
      ['b', acquire('r3', 'w2'), 6, 7, leaseResult('lease-9', 'w2')],
      ['b', acquire('r3', 'w2'), 8, 9, leaseResult('lease-9', 'w2')],
    ]);
    expect(checkLinearizable(operations, oneSeat())).to.deep.equal({ ok: true });
  });

  it('refuses two workstations both granted the last seat with no release between', () => {
    const operations = history([
      ['a', acquire('r1', 'w1'), 0, 1, leaseResult('lease-1', 'w1')],
      ['a', release('r3', 'lease-1'), 10, 11, leaseResult('lease-1', 'w1')],
      ['b', acquire('r2', 'w2'), 2, 3, leaseResult('lease-2', 'w2')],
    ]);
    const verdict = checkLinearizable(operations, oneSeat());
    expect(verdict.ok).to.equal(false);
    if (verdict.ok !== false) throw new Error('unreachable');
    expect(verdict.reason).to.match(/r2 \(acquire_lease by b.*seat_limit_reached/);
    expect(verdict.witness.linearizedIds).to.deep.equal(['r1']);
    expect(verdict.witness.blockedIds).to.include('r2');
  });

  it('refuses a usage total that no order explains', () => {
    const operations = history([
      ['a', report('r1', 3), 0, 10, usageResult(3)],
      ['b', report('r2', 2), 1, 10, usageResult(4)],
    ]);
    const verdict = checkLinearizable(operations, oneSeat());
    expect(verdict.ok).to.equal(false);
    if (verdict.ok !== false) throw new Error('unreachable');
    expect(verdict.reason).to.match(/usage used=/);
  });

  it('refuses a stale read: a renewal succeeding after the release completed', () => {
    const operations = history([
      ['a', acquire('r1', 'w1'), 0, 1, leaseResult('lease-1', 'w1')],
      ['a', release('r2', 'lease-1'), 2, 3, leaseResult('lease-1', 'w1')],
      ['b', renew('r3', 'lease-1'), 4, 5, leaseResult('lease-1', 'w1')],
    ]);
    const verdict = checkLinearizable(operations, oneSeat());
    expect(verdict.ok).to.equal(false);
    if (verdict.ok !== false) throw new Error('unreachable');
    expect(verdict.reason).to.match(/r3 .*lease_not_found/);
  });

  it('accepts the same renewal when it overlaps the release', () => {
    const operations = history([
      ['a', acquire('r1', 'w1'), 0, 1, leaseResult('lease-1', 'w1')],
      ['a', release('r2', 'lease-1'), 2, 6, leaseResult('lease-1', 'w1')],
      ['b', renew('r3', 'lease-1'), 4, 5, leaseResult('lease-1', 'w1')],
    ]);
    expect(checkLinearizable(operations, oneSeat())).to.deep.equal({ ok: true });
  });

  it('refuses a quota overrun and a rejection the state does not justify', () => {
    const model = createLicenceModel([{ licenceId: 'L1', seats: 2, quotaUnits: 5 }]);
    const overrun = history([
      ['a', report('r1', 4), 0, 1, usageResult(4)],
      ['a', report('r2', 2), 2, 3, usageResult(6)],
    ]);
    const unjustified = history([
      ['a', acquire('r1', 'w1'), 0, 1, leaseResult('lease-1', 'w1')],
      ['b', acquire('r2', 'w2'), 2, 3, rejected('seat_limit_reached')],
    ]);
    expect(checkLinearizable(overrun, model).ok).to.equal(false);
    expect(checkLinearizable(unjustified, model).ok).to.equal(false);
  });

  it('answers unknown when the search limit is reached', () => {
    // Many concurrent reports with one impossible answer: the search must try many orders.
    const entries: Entry[] = [];
    for (let index = 0; index < 12; index += 1)
      entries.push(['c', report(`r${index}`, 1 << index), 0, 100, 'failed']);
    entries.push(['z', report('rz', 1 << 13), 0, 100, usageResult(3)]);
    const operations = history(entries);
    expect(checkLinearizable(operations, oneSeat(), { maxStates: 50 })).to.deep.equal({
      ok: 'unknown',
      reason: 'search limit',
    });
    expect(checkLinearizable(operations, oneSeat()).ok).to.equal(false);
  });

  it('checks licences separately and reports the failing one', () => {
    const model = createLicenceModel([
      { licenceId: 'L1', seats: 1, quotaUnits: null },
      { licenceId: 'L2', seats: 1, quotaUnits: null },
    ]);
    const operations = history([
      ['a', acquire('r1', 'w1', 'L1'), 0, 1, leaseResult('lease-1', 'w1', 'L1')],
      ['b', acquire('r2', 'w2', 'L2'), 0, 1, leaseResult('lease-2', 'w2', 'L2')],
      ['b', release('r3', 'lease-2'), 2, 3, leaseResult('lease-2', 'w2', 'L2')],
      ['c', acquire('r4', 'w3', 'L2'), 4, 5, leaseResult('lease-4', 'w3', 'L2')],
      ['d', acquire('r5', 'w4', 'L2'), 6, 7, leaseResult('lease-5', 'w4', 'L2')],
    ]);
    const parts = partitionByLicence(operations);
    expect(
      parts === null ? null : [...parts].map(([licenceId, part]) => [licenceId, part.map((op) => op.id)]),
    ).to.deep.equal([
      ['L1', ['r1']],
      ['L2', ['r2', 'r3', 'r4', 'r5']],
    ]);
    const verdict = checkLinearizable(operations, model);
    expect(verdict.ok).to.equal(false);
    if (verdict.ok !== false) throw new Error('unreachable');
    expect(verdict.witness.partition).to.equal(1);
    expect(verdict.reason).to.match(/r5 .*partition 1/);
  });

  it("refuses to partition when a lost grant could be any licence's or a tick touches all", () => {
    const lostGrant = history([
      ['a', acquire('r1', 'w1', 'L1'), 0, 1, 'failed'],
      ['b', release('r2', 'lease-9'), 2, 3, 'failed'],
    ]);
    const tick = history([
      ['leader', { type: 'tick' }, 0, 1, { ok: true, outcome: { kind: 'tick', expiredLeaseIds: [] } }],
    ]);
    expect(partitionByLicence(lostGrant)).to.equal(null);
    expect(partitionByLicence(tick)).to.equal(null);
  });
});

describe('safety checks', () => {
  const operations = history([
    ['a', report('r1', 3), 0, 1, usageResult(3)],
    ['a', report('r2', 4), 2, 3, 'failed'],
    ['a', report('r2', 4), 4, 5, usageResult(7)],
    ['b', report('r3', 5), 6, 7, 'failed'],
    ['b', acquire('r4', 'w2'), 8, 9, leaseResult('lease-4', 'w2')],
  ]);

  it('finds acknowledged results missing from or different in the final ledger', () => {
    const remembered = new Map<string, Result[]>([
      ['r1', [usageResult(3)]],
      ['r2', [usageResult(7)]],
      ['r4', [leaseResult('lease-4', 'w2')]],
    ]);
    const lookup = (id: string) => remembered.get(id) ?? [];
    expect(checkAcknowledgedPresent(operations, lookup)).to.deep.equal([]);
    remembered.delete('r1');
    remembered.set('r4', [leaseResult('lease-5', 'w2')]);
    expect(checkAcknowledgedPresent(operations, lookup)).to.deep.equal([
      'acknowledged request r1 (operation r1) is missing from the final ledger',
      'acknowledged request r4 (operation r4) has a different result in the final ledger',
    ]);
  });

  it('accepts either answer of a request both sides of a split brain answered, and no third', () => {
    const remembered = new Map<string, Result[]>([
      ['r1', [usageResult(3)]],
      ['r2', [usageResult(9), usageResult(7)]],
      ['r4', [leaseResult('lease-5', 'w2'), leaseResult('lease-4', 'w2')]],
    ]);
    const lookup = (id: string) => remembered.get(id) ?? [];
    expect(checkAcknowledgedPresent(operations, lookup)).to.deep.equal([]);
    remembered.set('r2', [usageResult(9), usageResult(8)]);
    expect(checkAcknowledgedPresent(operations, lookup)).to.deep.equal([
      'acknowledged request r2 (operation r2#2) has a different result in the final ledger',
    ]);
  });

  it('counts usage once per request, allowing lost answers either way', () => {
    expect(checkUsageExactlyOnce(operations, new Map([['L1', 7]]))).to.deep.equal([]);
    expect(checkUsageExactlyOnce(operations, new Map([['L1', 12]]))).to.deep.equal([]);
    expect(checkUsageExactlyOnce(operations, new Map([['L1', 11]]))).to.deep.equal([]);
    expect(checkUsageExactlyOnce(operations, new Map([['L1', 6]]))).to.deep.equal([
      'licence L1: usage total 6 lost acknowledged units (7 acknowledged)',
    ]);
    expect(checkUsageExactlyOnce(operations, new Map([['L1', 16]]))).to.deep.equal([
      'licence L1: usage total 16 exceeds 7 acknowledged plus 5 unknown units',
    ]);
    expect(checkUsageExactlyOnce([], new Map([['L9', 1]]))).to.have.length(1);
  });

  it('finds two leaders in one term', () => {
    const observations = [
      { term: 1, leaderId: 'n1' },
      { term: 2, leaderId: 'n2' },
      { term: 1, leaderId: 'n1' },
    ];
    expect(checkOneLeaderPerTerm(observations)).to.deep.equal([]);
    expect(
      checkOneLeaderPerTerm([...observations, { term: 2, leaderId: 'n3' }, { term: 2, leaderId: 'n3' }]),
    ).to.deep.equal(['term 2 has two leaders: n2 and n3']);
  });

  it('finds more leases than seats', () => {
    const series = [
      { index: 1, licenceId: 'L1', seatsInUse: 1, seats: 2 },
      { index: 2, licenceId: 'L1', seatsInUse: 2, seats: 2 },
    ];
    expect(checkSeatsNeverExceeded(series)).to.deep.equal([]);
    expect(
      checkSeatsNeverExceeded([...series, { index: 3, licenceId: 'L1', seatsInUse: 3, seats: 2 }]),
    ).to.deep.equal(['licence L1 had 3 seats in use of 2 after index 3']);
  });
});
