import { expect } from 'chai';
import { Ledger } from '../src/ledger.js';
import type { Actor, AuditRecord, Command, MergeCommand } from '../src/types.js';
import {
  ACTOR,
  activateCommand,
  Driver,
  expectLease,
  expectOk,
  expectRejected,
  HOUR_MS,
  MINUTE_MS,
  PARAMETERS,
  T0,
  updateCommand,
} from './helpers.js';

const BOB: Actor = { name: 'bob', role: 'operator', via: 'token', from: 'ipv6:[::1]:4000' };

function note(requestId: string, action: 'transfer_leadership' | 'snapshot', actor = BOB): Command {
  return { type: 'audit_note', requestId, action, detail: action === 'snapshot' ? '' : 'to backup', actor };
}

function actions(ledger: Ledger): string[] {
  return ledger.auditRecords().records.map((record) => `${record.action}:${record.outcome}`);
}

describe('audit trail', () => {
  it('records every admin and operator command with who asked, what and the outcome', () => {
    const driver = new Driver();
    driver.activate({ seats: 3 }, 'a1');
    const lease = expectLease(driver.acquireWithNonce('cad-1', 'ws-1', '00112233445566aa'));
    driver.report('cad-1', 1);
    driver.advance(1000);
    driver.update('cad-1', { seats: 2, validUntilMs: T0 + HOUR_MS }, 'u1');
    expectRejected(driver.update('cad-1', { seats: 9 }, 'u2'), 'licence_limit_exceeded');
    driver.apply({
      type: 'revoke_lease',
      requestId: 'v1',
      leaseId: lease.leaseId,
      reason: 'laptop stolen',
      actor: BOB,
    });
    expectOk(driver.apply(note('n1', 'transfer_leadership')));
    driver.deactivate('cad-1', 'd1');
    driver.updateFile({ seats: 5 }, { serial: 2, vendor: 'Acme' }, 'f1');

    const { records, truncated } = driver.ledger.auditRecords();
    expect(truncated).to.equal(false);
    expect(
      records.map((record) => [record.action, record.outcome, record.requestId, record.licenceId]),
    ).to.deep.equal([
      ['activate_licence', 'ok', 'a1', 'cad-1'],
      ['update_licence', 'ok', 'u1', 'cad-1'],
      ['update_licence', 'licence_limit_exceeded', 'u2', 'cad-1'],
      ['revoke_lease', 'ok', 'v1', 'cad-1'],
      ['transfer_leadership', 'ok', 'n1', null],
      ['deactivate_licence', 'ok', 'd1', 'cad-1'],
      ['update_licence', 'ok', 'f1', 'cad-1'],
    ]);
    const [activation, update, , revoke, transfer, , file] = records as AuditRecord[];
    expect(activation).to.deep.include({
      index: 1,
      atMs: T0,
      actor: ACTOR,
      detail: 'serial 1 from Test Vendor (key test-key)',
      leaseId: null,
      origin: null,
    });
    expect(update?.detail).to.equal(`seats=2 valid_until_ms=${T0 + HOUR_MS}`);
    expect(update?.atMs).to.equal(T0 + 1000);
    expect(revoke).to.deep.include({ actor: BOB, leaseId: lease.leaseId, detail: 'laptop stolen' });
    expect(transfer?.detail).to.equal('to backup');
    expect(file?.detail).to.equal('serial 2 from Acme (key test-key)');
    expect(Object.isFrozen(activation) && Object.isFrozen(activation?.actor)).to.equal(true);
  });

  it('records nothing for workstation commands, ticks, retries, reused ids and commands without an actor', () => {
    const driver = new Driver();
    driver.activate({}, 'a1');
    driver.acquire('cad-1', 'ws-1');
    driver.tick();
    driver.activate({}, 'a1');
    expectRejected(
      driver.apply({ ...updateCommand('cad-1', { seats: 1 }), requestId: 'a1' } as Command),
      'request_id_reused',
    );
    driver.apply({ type: 'deactivate_licence', requestId: 'old', licenceId: 'cad-1', actor: null });
    // An invalid command is refused before it is recorded (the server never proposes one).
    driver.apply({ type: 'deactivate_licence', requestId: 'bad', licenceId: 'a b', actor: ACTOR });
    expect(actions(driver.ledger)).to.deep.equal(['activate_licence:ok']);
  });

  it('answers queries by time, licence and count, the most recent first kept', () => {
    const driver = new Driver();
    driver.activate({ licenceId: 'a' });
    driver.advance(1000);
    driver.activate({ licenceId: 'b' });
    driver.advance(1000);
    driver.update('a', { seats: 1 });
    driver.update('b', { seats: 1 });
    const ledger = driver.ledger;
    expect(ledger.auditRecords({ licenceId: 'a' }).records.map((record) => record.index)).to.deep.equal([
      1, 3,
    ]);
    expect(ledger.auditRecords({ sinceMs: T0 + 1000 }).records.map((record) => record.index)).to.deep.equal([
      2, 3, 4,
    ]);
    expect(ledger.auditRecords({ limit: 2 })).to.deep.include({ truncated: true });
    expect(ledger.auditRecords({ limit: 2 }).records.map((record) => record.index)).to.deep.equal([3, 4]);
    expect(
      ledger.auditRecords({ licenceId: 'b', limit: 1 }).records.map((record) => record.index),
    ).to.deep.equal([4]);
    expect(ledger.auditRecords({ actions: ['activate_licence'] }).records).to.have.length(2);
    expect(ledger.auditRecords({ limit: 4 }).truncated).to.equal(false);
  });

  it('forgets the oldest records beyond the count bound', () => {
    const driver = new Driver({ auditMaxEntries: 3 });
    driver.activate({ seats: 9 });
    for (let seats = 1; seats <= 4; seats += 1) driver.update('cad-1', { seats });
    expect(driver.ledger.auditCount()).to.equal(3);
    expect(driver.ledger.auditRecords().records.map((record) => record.detail)).to.deep.equal([
      'seats=2',
      'seats=3',
      'seats=4',
    ]);
  });

  it('forgets records as old as the retention, in entry time, on any entry', () => {
    const driver = new Driver({ auditRetentionMs: HOUR_MS });
    driver.activate({ seats: 9 });
    driver.advance(30 * MINUTE_MS);
    driver.update('cad-1', { seats: 5 });
    driver.advance(30 * MINUTE_MS - 1);
    driver.tick();
    expect(driver.ledger.auditCount()).to.equal(2);
    driver.advance(1);
    driver.tick();
    expect(actions(driver.ledger)).to.deep.equal(['update_licence:ok']);
    driver.advance(HOUR_MS);
    driver.tick();
    expect(driver.ledger.auditCount()).to.equal(0);
  });

  it('survives a snapshot and a restore, and the bounds go on alike', () => {
    const options = { auditMaxEntries: 4, auditRetentionMs: 2 * HOUR_MS };
    const driver = new Driver(options);
    driver.activate({ seats: 9 });
    for (let seats = 1; seats <= 3; seats += 1) {
      driver.advance(HOUR_MS / 2);
      driver.update('cad-1', { seats });
    }
    const restored = Ledger.restore(driver.ledger.snapshot(), options);
    expect(restored.auditRecords()).to.deep.equal(driver.ledger.auditRecords());
    expect(restored.stateHash()).to.equal(driver.ledger.stateHash());
    const more: Command[] = [
      note('n1', 'snapshot'),
      updateCommand('cad-1', { seats: 7 }, 'u9'),
      { type: 'tick' },
    ];
    let index = driver.index;
    let timestampMs = driver.nowMs;
    for (const command of more) {
      index += 1;
      timestampMs += HOUR_MS / 2;
      const expected = driver.ledger.apply({ index, term: 1, timestampMs, command });
      expect(restored.apply({ index, term: 1, timestampMs, command })).to.deep.equal(expected);
    }
    expect(restored.auditRecords()).to.deep.equal(driver.ledger.auditRecords());
    expect(restored.auditCount()).to.equal(3);
    expect(restored.snapshot()).to.deep.equal(driver.ledger.snapshot());
  });

  it('keeps the actors of the operations a merge re-applies, with where they came from', () => {
    const main = new Driver();
    main.activate({ seats: 3 }, 'activate');
    const shared = expectLease(
      main.acquireWithNonce('cad-1', 'ws-0', 'aaaaaaaaaaaaaaaa', HOUR_MS, 'acquire'),
    );
    main.term = 3;
    main.advance(60_000);
    const merge: MergeCommand = {
      type: 'merge',
      sourceNodeId: 'backup',
      sourceTerms: [2],
      entries: [
        {
          index: 3,
          term: 2,
          timestampMs: T0 + 10_000,
          command: {
            type: 'revoke_lease',
            requestId: 'b-revoke',
            leaseId: shared.leaseId,
            reason: 'x',
            actor: BOB,
          },
        },
        {
          index: 4,
          term: 2,
          timestampMs: T0 + 11_000,
          command: updateCommand('cad-1', { seats: 1 }, 'b-update'),
        },
        { index: 5, term: 2, timestampMs: T0 + 12_000, command: note('b-note', 'snapshot') },
        {
          index: 6,
          term: 2,
          timestampMs: T0 + 13_000,
          command: {
            type: 'acquire_lease',
            requestId: 'b-acquire',
            licenceId: 'cad-1',
            workstationId: 'ws-9',
            parameters: PARAMETERS,
            ttlMs: MINUTE_MS,
            nonce: 'bbbbbbbbbbbbbbbb',
          },
        },
        {
          index: 7,
          term: 2,
          timestampMs: T0 + 14_000,
          command: { type: 'set_cluster_id', clusterId: 'elsewhere' },
        },
        {
          index: 8,
          term: 2,
          timestampMs: T0 + 15_000,
          command: activateCommand({ licenceId: 'other' }, 'b-other', { clusterId: 'elsewhere' }),
        },
      ],
    };
    const outcome = expectOk(main.apply(merge));
    expect(outcome).to.deep.include({ kind: 'merged', applied: 5, skipped: 1 });
    // The lease the backup granted keeps its id, nonce included; the cluster id stands.
    expect(main.ledger.getLease('lease-2-6-bbbbbbbbbbbbbbbb')?.workstationId).to.equal('ws-9');
    expect(main.ledger.clusterId).to.equal('test-cluster');
    expectRejected(main.ledger.lookupRequest('b-other') as never, 'licence_wrong_cluster');
    const merged = main.ledger.auditRecords().records.filter((record) => record.origin !== null);
    expect(
      merged.map((record) => [record.action, record.actor.name, record.outcome, record.origin?.index]),
    ).to.deep.equal([
      ['revoke_lease', 'bob', 'ok', 3],
      ['update_licence', 'alice', 'ok', 4],
      ['snapshot', 'bob', 'ok', 5],
      ['activate_licence', 'alice', 'licence_wrong_cluster', 8],
    ]);
    for (const record of merged) {
      expect(record.index).to.equal(main.index);
      expect(record.origin).to.deep.include({ nodeId: 'backup', term: 2 });
    }
    // Merging the same entries again records nothing more.
    const count = main.ledger.auditCount();
    expect(expectOk(main.apply(merge))).to.deep.include({ applied: 0, duplicates: 5 });
    expect(main.ledger.auditCount()).to.equal(count);
  });
});
