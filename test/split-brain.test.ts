// Pair mode split brain with real processes: the link between main and backup is cut (a FaultProxy
// in front of each node's peer port, so on each direction of the peer link) while workstations
// reach both nodes' client ports directly. The peer link is mutual TLS through the proxies. Both lead and
// grant leases alone; together they grant more seats than the licence has. When the link heals,
// main's history stands, the backup's solo operations are merged into it (deduplicated by request
// id), the excess becomes an overdraft incident, the overdrawn licence refuses new leases but
// honours renewals, and both nodes end with the same ledger. Nothing acknowledged is lost.
import { AdminClient, type LeaseHandle, resolveSettings, WorkstationClient } from '@tandem/client';
import {
  activateTestLicence,
  call,
  FaultProxy,
  freePort,
  rawClients,
  removeDirectory,
  TandemdPair,
  temporaryDirectory,
  waitForEqualState,
  waitForLeader,
} from '@tandem/testkit';
import { expect } from 'chai';

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

const SEATS = 4;

describe('pair mode split brain and merge (real processes)', function () {
  this.timeout(120_000);
  let directory: string;
  let pair: TandemdPair;
  let toMain: FaultProxy;
  let toBackup: FaultProxy;
  let admin: AdminClient;
  const clients: WorkstationClient[] = [];

  /** A workstation with its own certificate that talks to one node only. */
  async function workstation(address: string, id: string): Promise<WorkstationClient> {
    const settings = await pair.requirePki().settings([address], 'workstation', id, {
      maxAttempts: 3,
      requestTimeoutMs: 1000,
    });
    const client = new WorkstationClient(resolveSettings(settings));
    clients.push(client);
    return client;
  }

  before(async () => {
    directory = await temporaryDirectory('tandem-split-brain-');
    const peerPorts = { main: await freePort(), backup: await freePort() };
    toMain = await FaultProxy.start({ target: `127.0.0.1:${peerPorts.main}` });
    toBackup = await FaultProxy.start({ target: `127.0.0.1:${peerPorts.backup}` });
    pair = await TandemdPair.start({
      directory,
      peerPorts,
      peerAddresses: { main: toMain.address, backup: toBackup.address },
      ...(process.env.TANDEM_ECHO === '1' ? { echo: process.stderr } : {}),
    });
    admin = new AdminClient(resolveSettings(await pair.settings('admin', 'admin', { maxAttempts: 30 })));
    await waitForLeader(pair.access, pair.servers, 20_000, (leader) => leader.id === 'main');
    await activateTestLicence(admin, { licenceId: 'cad', product: 'CAD', seats: SEATS, redundancy: true });
    await activateTestLicence(admin, {
      licenceId: 'meter',
      product: 'Meter',
      seats: 1,
      redundancy: true,
      quota: { units: 1_000_000, period: 'month' },
    });
    await waitForEqualState(pair.access, pair.servers, 20_000);
  });

  after(async () => {
    for (const client of clients) client.close();
    admin?.close();
    await pair?.stop();
    await toMain?.close();
    await toBackup?.close();
    await removeDirectory(directory);
  });

  it('merges both histories on heal, records the overdraft, and loses nothing acknowledged', async () => {
    // Cut the peer link both ways; workstations still reach both nodes.
    toMain.blackhole('both');
    toBackup.blackhole('both');
    await waitForLeader(pair.access, [pair.address('backup')], 15_000, (leader) => leader.id === 'backup');
    const mainStatus = await admin.nodeStatus(pair.address('main'));
    expect(mainStatus.nodes[0]?.state).to.equal('leader');

    // Three workstations lease on each side: six leases on a four-seat licence once merged.
    const onMain: LeaseHandle[] = [];
    const onBackup: LeaseHandle[] = [];
    for (let position = 0; position < 3; position += 1) {
      onMain.push(
        await (await workstation(pair.address('main'), `ws-main-${position}`)).acquire('cad', {
          ttlMs: 60_000,
        }),
      );
      onBackup.push(
        await (await workstation(pair.address('backup'), `ws-backup-${position}`)).acquire('cad', {
          ttlMs: 60_000,
        }),
      );
    }
    const meterOnMain = await workstation(pair.address('main'), 'meter-main');
    const meterOnBackup = await workstation(pair.address('backup'), 'meter-backup');
    let acknowledgedUnits = 0;
    for (let report = 0; report < 5; report += 1) {
      await meterOnMain.reportUsage('meter', 3);
      await meterOnBackup.reportUsage('meter', 7);
      acknowledgedUnits += 10;
    }
    // Leases granted alone by each side have distinct ids (each term belongs to one node).
    const ids = [...onMain, ...onBackup].map((handle) => handle.leaseId);
    expect(new Set(ids).size).to.equal(6);

    // A blackhole swallowed bytes mid-stream (a real network would have retransmitted them), so the
    // healed links start on fresh connections.
    toMain.heal();
    toBackup.heal();
    toMain.resetConnections();
    toBackup.resetConnections();
    await waitForLeader(pair.access, pair.servers, 20_000, (leader) => leader.id === 'main');
    const [verifiedMain, verifiedBackup] = await waitForEqualState(pair.access, pair.servers, 30_000);
    expect(verifiedMain?.stateHash).to.equal(verifiedBackup?.stateHash);

    // Every lease acknowledged on either side is in the merged ledger, under the id it was given.
    const leases = await admin.listLeases('cad');
    expect(leases.map((lease) => lease.leaseId)).to.include.members(ids);
    expect(leases).to.have.length(6);
    // Usage counted once: exactly the acknowledged units.
    expect((await admin.getUsage('meter')).totalUsed).to.equal(acknowledgedUnits);

    // The excess is an open overdraft incident naming the licence, the excess and both terms.
    const incidents = await admin.listIncidents({ openOnly: true });
    expect(incidents).to.have.length(1);
    const incident = incidents[0];
    expect(incident).to.include({ licenceId: 'cad', kind: 'seats', limit: SEATS, observed: 6, excess: 2 });
    expect(incident?.backupTerms.length).to.be.at.least(1);
    expect(incident?.mainTerm).to.be.above(Math.max(...(incident?.backupTerms ?? [0])));

    // While overdrawn, no new lease on the licence; renewals of the merged leases are honoured.
    const newcomer = await workstation(pair.servers[0] as string, 'ws-newcomer');
    const refusal = await newcomer.acquire('cad').then(
      () => null,
      (error: Error & { code?: string }) => error,
    );
    expect(refusal?.code).to.equal('licence_overdrawn');
    // Each holder renews on main, with its own certificate: the merged lease is its own there too.
    for (const [position, handle] of onBackup.entries()) {
      const raw = rawClients(
        pair.address('main'),
        await pair.requirePki().access('workstation', `ws-backup-${position}`),
      );
      try {
        const renewed = await call(raw.workstation, raw.workstation.RenewLease, {
          requestId: `renew-${handle.leaseId}`,
          leaseId: handle.leaseId,
          ttlMs: 0,
        });
        expect(renewed.lease?.leaseId).to.equal(handle.leaseId);
      } finally {
        raw.close();
      }
    }

    // Releasing back under the limit resolves the incident and grants again.
    await onBackup[0]?.release();
    await onBackup[1]?.release();
    await sleep(200);
    expect(await admin.listIncidents({ openOnly: true })).to.have.length(0);
    const [resolved] = await admin.listIncidents();
    expect(resolved?.resolvedAtMs).to.be.a('number');
    // Back at the limit (4 of 4): one more release makes room for the newcomer.
    await onMain[0]?.release();
    const granted = await newcomer.acquire('cad');
    expect(granted.leaseId).to.be.a('string');
    await waitForEqualState(pair.access, pair.servers, 20_000);

    // The usage reports agree on both nodes: the main merged what the backup did alone (at the
    // backup's times), and the backup, having discarded its history, derived its own anew from the
    // main's log.
    const hourMs = 3_600_000;
    const fromMs = Math.floor(Date.now() / hourMs) * hourMs - hourMs;
    const reportOf = async (kind: 'usage' | 'leases', address: string) => {
      const { nodeId: _nodeId, ...report } = await admin.getReport(
        { kind, fromMs, toMs: fromMs + 3 * hourMs, by: 'total' },
        address,
      );
      return report;
    };
    for (const kind of ['usage', 'leases'] as const) {
      const onMainReport = await reportOf(kind, pair.address('main'));
      expect(await reportOf(kind, pair.address('backup')), kind).to.deep.equal(onMainReport);
      expect(onMainReport.incomplete).to.deep.equal([]);
    }
    const usage = await reportOf('usage', pair.address('main'));
    const units = (workstationId: string) =>
      usage.rows.find((row) => row.workstationId === workstationId && row.licenceId === 'meter')?.usageUnits;
    expect([units('meter-main'), units('meter-backup')]).to.deep.equal([15, 35]);
    const leaseReport = await reportOf('leases', pair.address('backup'));
    const grants = leaseReport.rows
      .filter((row) => row.licenceId === 'cad')
      .reduce((sum, row) => sum + row.grants, 0);
    expect(grants).to.equal(7);
  });
});
