// The audit trail with real processes: admin and operator operations on the main are in the trail
// the backup serves after a kill -9 of the main; what the backup recorded while it led is in the
// trail the main serves after the hand-back; the two ledgers (the trail included) hash alike; and
// every such operation is also an `audit` event in the log of the node that served it, with its
// outcome.
import { AdminClient, type AuditRecord, connect, type RejectedError, resolveSettings } from '@tandem/client';
import {
  activateTestLicence,
  removeDirectory,
  signTestLicence,
  TandemdPair,
  temporaryDirectory,
  waitForClusterId,
  waitForEqualState,
  waitForLeader,
} from '@tandem/testkit';
import { expect } from 'chai';

describe('the audit trail across failover and hand-back (real processes)', function () {
  this.timeout(120_000);
  let directory: string;
  let pair: TandemdPair;
  let admin: AdminClient;

  before(async () => {
    directory = await temporaryDirectory('tandem-audit-');
    pair = await TandemdPair.start({ directory });
    admin = new AdminClient(resolveSettings(await pair.settings('admin', 'admin', { maxAttempts: 30 })));
    await waitForLeader(pair.access, pair.servers, 15_000, (leader) => leader.id === 'main');
  });

  after(async () => {
    admin?.close();
    await pair?.stop();
    await removeDirectory(directory);
  });

  const actions = (records: readonly AuditRecord[]) =>
    records.map((record) => `${record.action}:${record.outcome}`);

  let beforeFailover: AuditRecord[] = [];

  it('records activations, changes, revocations and snapshots on the main, with the actor', async () => {
    await activateTestLicence(admin, { licenceId: 'cad', product: 'CAD', seats: 10, redundancy: true });
    await admin.updateLicence('cad', { seats: 8 });
    await admin.updateLicence('cad', { seats: 11 }).then(
      () => expect.fail('a raise beyond the signed seats was accepted'),
      (error: unknown) => expect((error as RejectedError).reason).to.equal('licence_limit_exceeded'),
    );
    const workstation = await connect(await pair.settings('workstation', 'ws-1', { maxAttempts: 30 }));
    try {
      const lease = await workstation.acquire('cad', { ttlMs: 60_000 });
      expect(lease.lease.leaseId).to.match(/^lease-\d+-\d+-[0-9a-f]{16}$/);
      await admin.revokeLease(lease.lease.leaseId, 'moved to another desk');
    } finally {
      workstation.close();
    }
    await admin.snapshot();
    const page = await admin.listAudit();
    beforeFailover = page.records;
    // The raise was refused at the edge, before the log: it is an audit event, not a trail record.
    expect(actions(beforeFailover)).to.deep.equal([
      'activate_licence:ok',
      'update_licence:ok',
      'revoke_lease:ok',
      'snapshot:ok',
    ]);
    for (const record of beforeFailover) {
      // Who asked comes from the operator's certificate, never from the request.
      expect(record.actor).to.deep.include({ name: 'admin', role: 'admin', via: 'certificate' });
      expect(record.actor.from).to.match(/127\.0\.0\.1/);
      expect(record.origin).to.equal(null);
    }
    expect(beforeFailover[2]).to.deep.include({ licenceId: 'cad', detail: 'moved to another desk' });
    expect(
      (await admin.listAudit({ licenceId: 'cad', limit: 2 })).records.map((record) => record.action),
    ).to.deep.equal(['update_licence', 'revoke_lease']);

    // The node that served each operation logged it, refusals too.
    const events = pair.node('main').logs.filter((line) => line.message === 'audit');
    expect(events.map((line) => `${line.action}:${line.outcome}`)).to.include.members([
      'activate_licence:ok',
      'update_licence:licence_limit_exceeded',
      'revoke_lease:ok',
      'snapshot:ok',
    ]);
  });

  let duringFailover: AuditRecord[] = [];

  it('keeps the trail when the backup takes over, and the backup adds to it', async () => {
    await waitForEqualState(pair.access, pair.servers, 10_000);
    await pair.kill('main');
    await waitForLeader(pair.access, [pair.address('backup')], 15_000);
    const backupAdmin = new AdminClient(
      resolveSettings({ ...pair.access, servers: [pair.address('backup')], maxAttempts: 30 }),
    );
    try {
      expect((await backupAdmin.listAudit()).records).to.deep.equal(beforeFailover);
      await backupAdmin.updateLicence('cad', { seats: 6 });
      const refused = signTestLicence({ licenceId: 'other', product: 'P', seats: 1 }, 'another-cluster');
      await backupAdmin.activateLicence(refused).then(
        () => expect.fail('a file for another cluster was accepted'),
        () => undefined,
      );
      duringFailover = (await backupAdmin.listAudit()).records;
    } finally {
      backupAdmin.close();
    }
    // The file the edge refused never reached the log: only the change is new.
    expect(duringFailover.slice(0, beforeFailover.length)).to.deep.equal(beforeFailover);
    expect(actions(duringFailover.slice(beforeFailover.length))).to.deep.equal(['update_licence:ok']);
    const refusals = pair
      .node('backup')
      .logs.filter((line) => line.message === 'audit' && line.outcome !== 'ok');
    expect(refusals.map((line) => `${line.action}:${line.outcome}`)).to.include(
      'activate_licence:licence_wrong_cluster',
    );
  });

  it('serves the same trail from the main after the hand-back, with the transfer recorded, equal on both nodes', async () => {
    await pair.startNode('main');
    await waitForLeader(pair.access, pair.servers, 30_000, (leader) => leader.id === 'main');
    const afterHandBack = await admin.listAudit();
    expect(afterHandBack.records.slice(0, duringFailover.length)).to.deep.equal(duringFailover);
    await waitForEqualState(pair.access, pair.servers, 15_000);

    // A requested hand-over is in the trail of both nodes; the main takes leadership back after it.
    await admin.transferLeadership('backup');
    await waitForLeader(pair.access, pair.servers, 30_000, (leader) => leader.id === 'main');
    const final = (await admin.listAudit()).records;
    expect(final.slice(0, duringFailover.length)).to.deep.equal(duringFailover);
    expect(final.at(-1)).to.deep.include({
      action: 'transfer_leadership',
      outcome: 'ok',
      detail: 'to backup',
    });
    // The trail is part of the state: equal hashes mean equal trails on main and backup.
    const nodes = await waitForEqualState(pair.access, pair.servers, 15_000);
    expect(nodes).to.have.length(2);
    expect(await waitForClusterId(admin)).to.match(/^[0-9a-f-]{36}$/);
  });
});
