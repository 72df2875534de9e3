// Usage reports with real processes: leases, renewals, releases, refusals and usage reports on a
// pair, then `tandemctl report usage|leases` asked of each node: both nodes answer byte for byte
// the same, with the expected figures, and again after both restart (the index lives in LevelDB,
// beside the log, and a restarted node folds nothing twice).
import { AdminClient, connect, type RejectedError, resolveSettings } from '@tandem/client';
import {
  activateTestLicence,
  removeDirectory,
  runTandemctl,
  TandemdPair,
  temporaryDirectory,
  waitForEqualState,
  waitForLeader,
} from '@tandem/testkit';
import { expect } from 'chai';

const HOUR_MS = 3_600_000;

interface ReportDocument {
  asOfIndex: number;
  incomplete: unknown[];
  truncated: boolean;
  rows: Array<Record<string, unknown>>;
  licences: Array<Record<string, unknown>>;
}

describe('usage reports on both nodes (real processes)', function () {
  this.timeout(180_000);
  let directory: string;
  let pair: TandemdPair;
  let admin: AdminClient;
  // The whole test runs within these hours, whatever the time of day.
  const fromMs = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS;
  const toMs = fromMs + 4 * HOUR_MS;

  before(async () => {
    directory = await temporaryDirectory('tandem-reports-');
    // A snapshot every 20 entries: the history must outlive the log's compaction.
    pair = await TandemdPair.start({ directory, overrides: { snapshot: { everyEntries: 20 } } });
    admin = new AdminClient(resolveSettings(await pair.settings('admin', 'admin', { maxAttempts: 30 })));
    await waitForLeader(pair.access, pair.servers, 15_000, (leader) => leader.id === 'main');
  });

  after(async () => {
    admin?.close();
    await pair?.stop();
    await removeDirectory(directory);
  });

  async function report(kind: 'usage' | 'leases', node: 'main' | 'backup', format = 'json') {
    return (await reportResult(kind, node, format)).stdout;
  }

  async function reportResult(kind: 'usage' | 'leases', node: 'main' | 'backup', format = 'json') {
    const result = await runTandemctl([
      ...(await pair.tandemctlArgs('viewer', 'billing')),
      'report',
      kind,
      '--from',
      new Date(fromMs).toISOString(),
      '--to',
      String(toMs),
      '--by',
      'total',
      '--format',
      format,
      '--node',
      pair.address(node),
    ]);
    expect(result.code, result.stderr).to.equal(0);
    return result;
  }

  async function bothNodes(kind: 'usage' | 'leases'): Promise<ReportDocument> {
    await waitForEqualState(pair.access, pair.servers, 20_000);
    const main = await report(kind, 'main');
    const backup = await report(kind, 'backup');
    expect(backup).to.equal(main);
    return JSON.parse(main) as ReportDocument;
  }

  const withoutPeriod = (rows: Array<Record<string, unknown>>) =>
    rows.map(({ period: _period, ...rest }) => rest);

  let leasesBefore: ReportDocument;
  let usageBefore: ReportDocument;

  it('gives identical usage and lease reports on both nodes, with the expected figures', async () => {
    await activateTestLicence(admin, {
      licenceId: 'cad',
      product: 'CAD',
      seats: 2,
      quota: { units: 100, period: 'day' },
    });
    const workstations = await Promise.all(
      ['ws-1', 'ws-2', 'ws-3'].map(async (name) =>
        connect(await pair.settings('workstation', name, { maxAttempts: 30 })),
      ),
    );
    try {
      const [one, two, three] = workstations as [
        (typeof workstations)[0],
        (typeof workstations)[0],
        (typeof workstations)[0],
      ];
      const first = await one.acquire('cad', { ttlMs: 600_000, parameters: { user: 'ann', host: 'host-1' } });
      const second = await two.acquire('cad', {
        ttlMs: 600_000,
        parameters: { user: 'bob', host: 'host-2' },
      });
      await three.acquire('cad', { ttlMs: 600_000, parameters: { user: 'cy', host: 'host-3' } }).then(
        () => expect.fail('a third seat was granted'),
        (error: unknown) => expect((error as RejectedError).reason).to.equal('seat_limit_reached'),
      );
      await one.reportUsage('cad', 30);
      await one.reportUsage('cad', 25);
      await two.reportUsage('cad', 80).then(
        () => expect.fail('a report past the quota was accepted'),
        (error: unknown) => expect((error as RejectedError).reason).to.equal('quota_exhausted'),
      );
      // Enough entries for both nodes to snapshot and compact their logs on the way.
      for (let report = 0; report < 15; report += 1) await one.reportUsage('cad', 1);
      await first.release();
      await second.release();
    } finally {
      for (const workstation of workstations) workstation.close();
    }

    usageBefore = await bothNodes('usage');
    expect(usageBefore.incomplete).to.deep.equal([]);
    expect(usageBefore.truncated).to.equal(false);
    expect(withoutPeriod(usageBefore.rows)).to.deep.equal([
      {
        licence: 'cad',
        workstation: 'ws-1',
        user: 'ann',
        host: 'host-1',
        units: 70,
        reports: 17,
        denials: {},
      },
      {
        licence: 'cad',
        workstation: 'ws-2',
        user: 'bob',
        host: 'host-2',
        units: 0,
        reports: 0,
        denials: { quota_exhausted: 1 },
      },
    ]);
    expect(usageBefore.licences).to.deep.equal([
      { period: new Date(fromMs).toISOString(), licence: 'cad', units: 70 },
    ]);

    leasesBefore = await bothNodes('leases');
    const rows = withoutPeriod(leasesBefore.rows);
    expect(
      rows.map((row) => [
        row.workstation,
        row.grants,
        row.renewals,
        row.releases,
        row.expiries,
        row.peakSeats,
      ]),
    ).to.deep.equal([
      ['ws-1', 1, 0, 1, 0, 1],
      ['ws-2', 1, 0, 1, 0, 1],
      ['ws-3', 0, 0, 0, 0, 0],
    ]);
    expect(rows[2]?.denials).to.deep.equal({ seat_limit_reached: 1 });
    for (const row of rows.slice(0, 2)) expect(row.leaseSeconds).to.be.greaterThan(0);
    expect(leasesBefore.licences).to.have.length(1);
    expect(leasesBefore.licences[0]).to.deep.include({ licence: 'cad', peakSeats: 2 });

    // The other formats: a header and a row per workstation; a table by default.
    const csv = await report('leases', 'backup', 'csv');
    expect(csv.split('\n')[0]).to.equal(
      'period,licence,workstation,user,host,leaseHours,leaseSeconds,peakSeats,grants,renewals,releases,expiries,revocations,denials',
    );
    expect(csv).to.contain(',cad,ws-3,cy,host-3,0,0,0,0,0,0,0,0,seat_limit_reached=1');
    expect(await report('usage', 'main', 'table')).to.match(/WORKSTATION.*UNITS/);
  });

  it('refuses a bad range naming the field', async () => {
    const result = await runTandemctl([
      ...(await pair.tandemctlArgs('viewer', 'billing')),
      'report',
      'usage',
      '--from',
      new Date(fromMs + 60_000).toISOString(),
      '--to',
      String(toMs),
      '--json',
    ]);
    // tandemctl says so before calling...
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/--from must be on a whole UTC hour/);
    // ...and the server names the field to any other caller.
    const refused = await admin.getReport({ kind: 'usage', fromMs: fromMs + 60_000, toMs }).then(
      () => null,
      (error: unknown) => error as { code?: string; field?: string },
    );
    expect(refused).to.deep.include({ code: 'invalid_argument', field: 'from_ms' });
  });

  it('gives the same figures on both nodes after both restart', async () => {
    await pair.stop();
    await pair.startNode('main');
    await pair.startNode('backup');
    await waitForLeader(pair.access, pair.servers, 30_000, (leader) => leader.id === 'main');
    const usage = await bothNodes('usage');
    const leases = await bothNodes('leases');
    // A new leader's entries may come after; the figures are those of before.
    expect(usage.rows).to.deep.equal(usageBefore.rows);
    expect(leases.rows).to.deep.equal(leasesBefore.rows);
    expect(leases.licences).to.deep.equal(leasesBefore.licences);
    expect(leases.incomplete).to.deep.equal([]);
    // The logs were compacted under the history, on both nodes.
    expect(
      pair
        .node('main')
        .logs.some((line) => line.message === 'replica opened' && Number(line.snapshotIndex) > 0),
    ).to.equal(true);
  });

  it('says where a node that installed a snapshot misses entries, and the other node does not', async () => {
    await pair.stopNode('backup');
    const workstation = await connect(await pair.settings('workstation', 'ws-4', { maxAttempts: 60 }));
    try {
      const held = await workstation.acquire('cad', {
        ttlMs: 600_000,
        parameters: { user: 'dee', host: 'host-4' },
      });
      for (let report = 0; report < 25; report += 1) await workstation.reportUsage('cad', 1);
      await held.release();
    } finally {
      workstation.close();
    }
    // A main serving alone keeps its log for the peer; an operator's snapshot compacts it anyway.
    await admin.snapshot(pair.address('main'));
    await pair.startNode('backup');
    await waitForEqualState(pair.access, pair.servers, 30_000);
    expect(pair.node('backup').logs.some((line) => line.message === 'snapshot installed')).to.equal(true);
    const main = JSON.parse(await report('usage', 'main')) as ReportDocument;
    expect(main.incomplete).to.deep.equal([]);
    expect(withoutPeriod(main.rows).find((row) => row.workstation === 'ws-4')).to.deep.include({
      units: 25,
      reports: 25,
    });
    const backup = await reportResult('usage', 'backup');
    const document = JSON.parse(backup.stdout) as ReportDocument;
    expect(document.incomplete).to.have.length(1);
    expect(document.incomplete[0]).to.deep.include({ reason: 'snapshot' });
    expect(backup.stderr).to.match(/warning: incomplete from \S+ to \S+ \(this node installed a snapshot/);
    // The backup's figures stop where its history does: it never saw ws-4's reports.
    expect(document.rows.find((row) => row.workstation === 'ws-4')).to.equal(undefined);
  });
});
