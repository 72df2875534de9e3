// Witness mode with real processes: main, backup and witness as tandemd processes, killed with
// SIGKILL, under continuous load from the client library. Main wins the cold start; kill -9 main:
// the backup leads with the witness's vote and loses nothing acknowledged; main returns, catches up
// and leads again; kill -9 witness: main keeps serving; kill -9 backup: main serves once the witness
// recorded the in-sync set (main); witness down and then main down: the backup must NOT serve.
// Secure as deployed: mutual TLS between the data nodes and to the witness, an operator's
// certificate for the admin and tandemctl, one certificate per workstation.
import { AdminClient, connect, resolveSettings, TandemError } from '@tandem/client';
import {
  activateTestLicence,
  type ClusterAccess,
  ContinuousLoad,
  removeDirectory,
  TandemdTrio,
  tandemctlJson,
  temporaryDirectory,
  waitForEqualState,
  waitForLeader,
} from '@tandem/testkit';
import { expect } from 'chai';

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
const FAILOVER_TIMEOUT_MS = 1000;

describe('witness mode (real processes)', function () {
  this.timeout(240_000);
  let directory: string;
  let trio: TandemdTrio;
  let admin: AdminClient;
  let load: ContinuousLoad | null = null;

  before(async () => {
    directory = await temporaryDirectory('tandem-witness-');
    trio = await TandemdTrio.start({
      directory,
      overrides: { timing: { failoverTimeoutMs: FAILOVER_TIMEOUT_MS, heartbeatIntervalMs: 100 } },
    });
    admin = new AdminClient(resolveSettings(await trio.settings('admin', 'admin', { maxAttempts: 30 })));
  });

  after(async () => {
    await load?.stop();
    admin?.close();
    await trio?.stop();
    await removeDirectory(directory);
  });

  async function usageTotal(): Promise<number> {
    return (await admin.getUsage('meter')).totalUsed;
  }

  /** The usage total before the current load started, so that each step checks its own reports. */
  let baseline = 0;

  async function startLoad(): Promise<ContinuousLoad> {
    baseline = await usageTotal();
    return ContinuousLoad.start({
      servers: trio.servers,
      pki: trio.pki,
      leaseLicenceId: 'seats',
      usageLicenceId: 'meter',
      workstations: 6,
    });
  }

  function expectNothingLost(total: number, current: ContinuousLoad) {
    // Every acknowledged report is counted; a report that failed may or may not have landed, but
    // nothing is counted twice.
    expect(total - baseline).to.be.at.least(current.acknowledgedUnits());
    expect(total - baseline).to.be.at.most(current.acknowledgedUnits() + current.failedUnits());
  }

  /** What the witness says of itself and of the cluster (AdminService.ClusterStatus, as tandemctl asks). */
  async function witnessView() {
    // A viewer's certificate is enough to read status.
    const witnessAdmin = new AdminClient(
      resolveSettings(
        await trio.pki.settings([trio.address('witness')], 'viewer', 'viewer', {
          requestTimeoutMs: 1000,
          maxAttempts: 3,
        }),
      ),
    );
    try {
      return await witnessAdmin.nodeStatus(trio.address('witness'));
    } finally {
      witnessAdmin.close();
    }
  }

  async function waitForWitness(
    accept: (view: Awaited<ReturnType<typeof witnessView>>) => boolean,
    timeoutMs: number,
  ): Promise<Awaited<ReturnType<typeof witnessView>>> {
    const deadline = Date.now() + timeoutMs;
    let last: Awaited<ReturnType<typeof witnessView>> | null = null;
    while (Date.now() < deadline) {
      last = await witnessView();
      if (accept(last)) return last;
      await sleep(50);
    }
    throw new Error(`the witness never reached the expected state: ${JSON.stringify(last)}`);
  }

  it('elects main on a cold start; the witness answers status with its role and term', async () => {
    const leader = await waitForLeader(trio.access, trio.servers, 15_000);
    expect(leader.id).to.equal('main');
    await activateTestLicence(admin, { licenceId: 'meter', product: 'Meter', seats: 1 });
    await activateTestLicence(admin, { licenceId: 'seats', product: 'CAD', seats: 100, redundancy: true });
    await waitForEqualState(trio.access, trio.servers, 10_000);
    const view = await waitForWitness((status) => status.leaderId === 'main', 5000);
    const self = view.nodes[0];
    expect(self?.id).to.equal('witness');
    expect(self?.role).to.equal('witness');
    expect(self?.term).to.equal(leader.term);
    expect([...view.inSync].sort()).to.deep.equal(['backup', 'main']);
    // The operator's view: tandemctl status asks all three and shows the witness's role and term.
    const report = await tandemctlJson<{
      nodes: { id: string | null; role: string | null; state: string; term: number | null }[];
      leader: string | null;
    }>([...(await trio.tandemctlArgs('viewer')), 'status']);
    expect(report.leader).to.equal('main');
    expect(report.nodes.find((node) => node.id === 'witness')).to.deep.include({
      role: 'witness',
      state: 'follower',
      term: leader.term,
    });
  });

  it('kill -9 main under load: the backup leads with the witness vote and loses nothing acknowledged', async () => {
    load = await startLoad();
    await sleep(1500);
    const before = load.acknowledged;
    expect(before, 'load was running before the kill').to.be.greaterThan(20);
    const killedAtMs = Date.now();
    await trio.kill('main');
    const leader = await waitForLeader(trio.access, [trio.address('backup')], 10_000);
    expect(leader.id).to.equal('backup');
    console.log(
      `      the backup led ${Date.now() - killedAtMs} ms after kill -9 main (failover timeout ${FAILOVER_TIMEOUT_MS} ms)`,
    );
    // The backup had only the witness to vote for it, and has it record the in-sync set (backup).
    const view = await waitForWitness(
      (status) => status.leaderId === 'backup' && status.inSync.join(',') === 'backup',
      5000,
    );
    expect(view.nodes[0]?.term).to.equal(leader.term);
    await sleep(2000);
    expect(load.acknowledged, 'the backup serves the workstations').to.be.greaterThan(before + 20);
    await load.stop();
    expectNothingLost(await usageTotal(), load);
  });

  it('main returns, catches up and leads again; nothing acknowledged is lost', async () => {
    load = await startLoad();
    await sleep(500);
    const restartedAtMs = Date.now();
    await trio.startNode('main');
    const leader = await waitForLeader(
      trio.access,
      trio.servers,
      20_000,
      (candidate) => candidate.id === 'main',
    );
    expect(leader.id).to.equal('main');
    await sleep(1500);
    await load.stop();
    // The hand-back is a transfer without a gap: the workstations' retries ride it out.
    expect(load.failures(restartedAtMs).map((failure) => failure.error)).to.deep.equal([]);
    expectNothingLost(await usageTotal(), load);
    await waitForEqualState(trio.access, trio.servers, 15_000);
    await waitForWitness((status) => status.leaderId === 'main' && status.inSync.length === 2, 5000);
  });

  it('kill -9 witness: main keeps serving', async () => {
    load = await startLoad();
    await sleep(500);
    await trio.kill('witness');
    await sleep(2 * FAILOVER_TIMEOUT_MS);
    const during = load.acknowledged;
    await sleep(1500);
    expect(load.acknowledged, 'main serves without the witness').to.be.greaterThan(during + 20);
    const leader = await waitForLeader(trio.access, trio.servers, 1000);
    expect(leader.id).to.equal('main');
    await load.stop();
    expectNothingLost(await usageTotal(), load);
    await trio.startNode('witness');
    await waitForWitness((status) => status.leaderId === 'main', 10_000);
  });

  it('kill -9 backup: main serves after the witness records the in-sync set (main)', async () => {
    load = await startLoad();
    await sleep(500);
    const killedAtMs = Date.now();
    await trio.kill('backup');
    await waitForWitness((status) => status.inSync.join(',') === 'main', 10_000);
    console.log(
      `      the witness recorded the in-sync set (main) ${Date.now() - killedAtMs} ms after kill -9 backup`,
    );
    const during = load.acknowledged;
    await sleep(1500);
    expect(load.acknowledged, 'main serves alone').to.be.greaterThan(during + 20);
    await trio.startNode('backup');
    await waitForWitness((status) => status.inSync.length === 2, 15_000);
    await load.stop();
    expectNothingLost(await usageTotal(), load);
    await waitForEqualState(trio.access, trio.servers, 20_000);
  });

  it('witness down, then main down: the backup does not serve; both back, main leads, nothing lost', async () => {
    load = await startLoad();
    await sleep(500);
    await trio.kill('witness');
    await sleep(500);
    await trio.kill('main');
    // The backup has one vote of three: it never leads, and it refuses writes.
    await sleep(3 * FAILOVER_TIMEOUT_MS);
    const probe = await connect(
      await trio.pki.settings([trio.address('backup')], 'workstation', 'witness-probe', {
        requestTimeoutMs: 500,
        maxAttempts: 2,
      }),
    );
    try {
      await probe.reportUsage('meter', 1);
      expect.fail('the backup served a write with the main and the witness down');
    } catch (error) {
      expect(error).to.be.instanceOf(TandemError);
      expect((error as TandemError).grpcCode, (error as Error).message).to.equal(14); // UNAVAILABLE
    } finally {
      probe.close();
    }
    await expectNoLeader(trio.access, [trio.address('backup')], 2 * FAILOVER_TIMEOUT_MS);
    await trio.startNode('witness');
    await trio.startNode('main');
    const leader = await waitForLeader(
      trio.access,
      trio.servers,
      20_000,
      (candidate) => candidate.id === 'main',
    );
    expect(leader.id).to.equal('main');
    await sleep(1000);
    await load.stop();
    expectNothingLost(await usageTotal(), load);
    await waitForEqualState(trio.access, trio.servers, 20_000);
  });
});

/** Fails if any of the addresses says it leads within the period. */
async function expectNoLeader(access: ClusterAccess, addresses: string[], periodMs: number): Promise<void> {
  const admin = new AdminClient(
    resolveSettings({ ...access, servers: addresses, requestTimeoutMs: 500, maxAttempts: 1 }),
  );
  const deadline = Date.now() + periodMs;
  try {
    while (Date.now() < deadline) {
      for (const address of addresses) {
        const status = await admin.nodeStatus(address);
        expect(status.nodes[0]?.state, `${address} leads`).to.not.equal('leader');
      }
      await sleep(100);
    }
  } finally {
    admin.close();
  }
}
