// Main and backup as real tandemd processes under continuous load from the client library:
// kill -9 main, backup serves; main returns, catches up and takes leadership back; kill -9 backup,
// main goes on alone; backup returns and catches up. After each step both ledgers are equal and
// nothing acknowledged is lost. Secure as deployed: TLS, mutual TLS between the nodes, an
// operator's certificate for the admin and one certificate per workstation.
import { AdminClient, resolveSettings } from '@tandem/client';
import {
  activateTestLicence,
  ContinuousLoad,
  removeDirectory,
  TandemdPair,
  temporaryDirectory,
  waitForEqualState,
  waitForLeader,
} from '@tandem/testkit';
import { expect } from 'chai';

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe('main and backup (real processes)', function () {
  this.timeout(180_000);
  let directory: string;
  let pair: TandemdPair;
  let admin: AdminClient;
  let load: ContinuousLoad | null = null;

  before(async () => {
    directory = await temporaryDirectory('tandem-pair-');
    pair = await TandemdPair.start({ directory });
    admin = new AdminClient(resolveSettings(await pair.settings('admin', 'admin', { maxAttempts: 30 })));
  });

  after(async () => {
    await load?.stop();
    admin?.close();
    await pair?.stop();
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
      servers: pair.servers,
      pki: pair.pki,
      leaseLicenceId: 'seats',
      usageLicenceId: 'meter',
      workstations: 8,
    });
  }

  function expectNothingLost(total: number, current: ContinuousLoad) {
    // Every acknowledged report is counted; a report that failed may or may not have landed, but
    // nothing is counted twice.
    expect(total - baseline).to.be.at.least(current.acknowledgedUnits());
    expect(total - baseline).to.be.at.most(current.acknowledgedUnits() + current.failedUnits());
  }

  it('elects main when both start, and replicates to backup', async () => {
    const leader = await waitForLeader(pair.access, pair.servers, 15_000);
    expect(leader.id).to.equal('main');
    await activateTestLicence(admin, { licenceId: 'meter', product: 'Meter', seats: 1 });
    await activateTestLicence(admin, { licenceId: 'seats', product: 'CAD', seats: 100, redundancy: true });
    await activateTestLicence(admin, { licenceId: 'plain', product: 'Viewer', seats: 5, redundancy: false });
    await waitForEqualState(pair.access, pair.servers, 10_000);
  });

  it('kill -9 main under load: backup takes over and loses nothing acknowledged', async () => {
    load = await startLoad();
    await sleep(1500);
    const before = load.acknowledged;
    expect(before, 'load was running before the kill').to.be.greaterThan(20);
    await pair.kill('main');
    const leader = await waitForLeader(pair.access, [pair.address('backup')], 10_000);
    expect(leader.id).to.equal('backup');
    // main's port refused the vote requests, and the backup went on without waiting for answers.
    const refusals = pair
      .node('backup')
      .logs.filter((line) =>
        String(line.event ?? '').includes('the connection to main was refused; going on'),
      );
    expect(refusals.length, 'the backup went on at the refused connection').to.be.greaterThan(0);
    await sleep(2000);
    expect(load.acknowledged, 'backup serves the workstations').to.be.greaterThan(before + 20);
    await load.stop();
    expectNothingLost(await usageTotal(), load);
  });

  it('refuses new leases on a licence without redundancy while backup leads', async () => {
    const { connect, TandemError } = await import('@tandem/client');
    const client = await connect(await pair.settings('workstation', 'redundancy-check', { maxAttempts: 3 }));
    try {
      await client.acquire('plain', { ttlMs: 10_000 });
      expect.fail('a licence without redundancy was served by the backup');
    } catch (error) {
      expect(error).to.be.instanceOf(TandemError);
      expect((error as InstanceType<typeof TandemError>).grpcCode).to.equal(9); // FAILED_PRECONDITION
    } finally {
      client.close();
    }
  });

  it('main returns, catches up and takes leadership back with zero failed operations', async () => {
    load = await startLoad();
    await sleep(500);
    const restartedAtMs = Date.now();
    await pair.startNode('main');
    const leader = await waitForLeader(
      pair.access,
      pair.servers,
      20_000,
      (candidate) => candidate.id === 'main',
    );
    expect(leader.id).to.equal('main');
    await sleep(1500);
    await load.stop();
    expect(load.failures(restartedAtMs).map((failure) => failure.error)).to.deep.equal([]);
    expectNothingLost(await usageTotal(), load);
    await waitForEqualState(pair.access, pair.servers, 15_000);
  });

  it('kill -9 backup: main goes on alone; backup returns and catches up', async () => {
    load = await startLoad();
    await sleep(500);
    await pair.kill('backup');
    await sleep(3000);
    const during = load.acknowledged;
    await sleep(1500);
    expect(load.acknowledged, 'main serves alone').to.be.greaterThan(during + 20);
    await pair.startNode('backup');
    await sleep(2000);
    await load.stop();
    expectNothingLost(await usageTotal(), load);
    await waitForEqualState(pair.access, pair.servers, 20_000);
    const leader = await waitForLeader(pair.access, pair.servers, 5000);
    expect(leader.id).to.equal('main');
  });
});
