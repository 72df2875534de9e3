// Planned maintenance without a gap (issue 12, item 6), with real tandemd processes: `tandemctl
// cluster drain main` moves leadership to the backup and keeps it there (the main has priority and
// would otherwise take it straight back), across restarts of either node; `undrain` lets the main
// take it back. SIGTERM of a leader with a caught-up peer hands leadership over before it exits.
// A few workstations run throughout with a small retry budget: a handover redirects them to the
// new leader at once, so none of their operations may fail. Timings are measured by the bench
// (`pnpm bench -- --only handover`), not asserted here.
import { AdminClient, type ClusterStatus, resolveSettings } from '@tandem/client';
import {
  activateTestLicence,
  ContinuousLoad,
  removeDirectory,
  runTandemctl,
  TandemdPair,
  TandemdTrio,
  temporaryDirectory,
  waitForLeader,
} from '@tandem/testkit';
import { expect } from 'chai';

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

const FAILOVER_TIMEOUT_MS = 1000;
const TIMING = { timing: { failoverTimeoutMs: FAILOVER_TIMEOUT_MS, heartbeatIntervalMs: 100 } };
/**
 * Attempts per workstation operation: a handover costs one (the old leader names the new one); a
 * failover of a second or more, with the client's doubling backoff from 50 ms, would exhaust them.
 */
const WORKSTATION_ATTEMPTS = 5;

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await sleep(20);
  }
}

describe('drain and graceful stop (pair, real processes)', function () {
  this.timeout(240_000);
  let directory: string;
  let pair: TandemdPair;
  let admin: AdminClient;
  let load: ContinuousLoad | null = null;

  before(async () => {
    directory = await temporaryDirectory('tandem-drain-');
    pair = await TandemdPair.start({
      directory,
      overrides: TIMING,
      ...(process.env.TANDEM_ECHO === '1' ? { echo: process.stderr } : {}),
    });
    admin = new AdminClient(resolveSettings(await pair.settings('admin', 'admin', { maxAttempts: 30 })));
    await waitForLeader(pair.access, pair.servers, 20_000, (leader) => leader.id === 'main');
    await activateTestLicence(admin, { licenceId: 'meter', product: 'Meter', seats: 1 });
    await activateTestLicence(admin, { licenceId: 'seats', product: 'CAD', seats: 50, redundancy: true });
  });

  after(async () => {
    await load?.stop();
    admin?.close();
    await pair?.stop();
    await removeDirectory(directory);
  });

  async function statusOf(role: 'main' | 'backup'): Promise<ClusterStatus | null> {
    return admin.nodeStatus(pair.address(role)).catch(() => null);
  }

  /** Both nodes say `leader` leads, with both in sync, and name the drained nodes. */
  async function settled(leader: 'main' | 'backup', drained: string[], timeoutMs = 20_000) {
    await until(`${leader} leads, both in sync, drained (${drained.join(',')})`, timeoutMs, async () => {
      const views = await Promise.all([statusOf('main'), statusOf('backup')]);
      const agree = views.every(
        (view) =>
          view !== null &&
          view.leaderId === leader &&
          [...view.inSync].sort().join(',') === 'backup,main' &&
          view.drained.join(',') === drained.join(','),
      );
      return agree ? true : null;
    });
  }

  /** Over two failover timeouts, every look at both nodes finds `leader` leading. */
  async function staysLeader(leader: 'main' | 'backup') {
    const deadline = Date.now() + 2 * FAILOVER_TIMEOUT_MS;
    while (Date.now() < deadline) {
      for (const role of ['main', 'backup'] as const) {
        const view = await statusOf(role);
        if (view !== null) expect(view.leaderId, `${role}'s view of the leader`).to.equal(leader);
      }
      await sleep(50);
    }
  }

  async function startLoad(): Promise<ContinuousLoad> {
    return ContinuousLoad.start({
      servers: pair.servers,
      pki: pair.pki,
      leaseLicenceId: 'seats',
      usageLicenceId: 'meter',
      workstations: 4,
      pauseMs: 5,
      maxAttempts: WORKSTATION_ATTEMPTS,
    });
  }

  async function stopLoadWithoutFailures(current: ContinuousLoad) {
    await current.stop();
    load = null;
    expect(current.acknowledged, 'the workstations made progress').to.be.greaterThan(20);
    expect(current.failures().map((record) => record.error)).to.deep.equal([]);
  }

  it('refuses a drain to a viewer or an operator: it is an admin operation', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      const result = await runTandemctl(['cluster', 'drain', 'main', ...(await pair.tandemctlArgs(role))]);
      expect(result.code, `${role}: ${result.stderr}`).to.not.equal(0);
      expect(result.stderr).to.match(/DrainNode needs the role admin;/);
    }
    expect((await statusOf('main'))?.drained).to.deep.equal([]);
  });

  it('drain main: leadership moves to the backup and stays there; no workstation operation fails', async () => {
    await settled('main', []);
    load = await startLoad();
    await sleep(500);
    const result = await runTandemctl(['cluster', 'drain', 'main', ...(await pair.tandemctlArgs('admin'))]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/main drained: backup leads \(term \d+\)/);
    await settled('backup', ['main']);
    await staysLeader('backup');
    const status = await runTandemctl(['status', ...(await pair.tandemctlArgs('viewer'))]);
    expect(status.stdout).to.match(/^drained: main/m);
    expect(status.stdout).to.match(/^leader: backup$/m);
    await stopLoadWithoutFailures(load);
  });

  it('a drained main stopped (leaving the in-sync set first) and started again stays drained and follows', async () => {
    load = await startLoad();
    await sleep(500);
    const main = pair.node('main');
    const code = await main.stop();
    expect(code, 'a follower stops with exit 0').to.equal(0);
    expect(main.logs.some((line) => line.message === 'left the in-sync set before stopping')).to.equal(true);
    await pair.startNode('main');
    await settled('backup', ['main']);
    await staysLeader('backup');
    await stopLoadWithoutFailures(load);
  });

  it('SIGTERM of the leading backup hands leadership to the drained main, which hands it back once the backup returns', async () => {
    load = await startLoad();
    await sleep(500);
    const backup = pair.node('backup');
    const code = await pair.node('backup').stop();
    expect(code, 'SIGTERM after the handover exits 0').to.equal(0);
    expect(
      backup.logs.some((line) => line.message === 'handed leadership over' && line.to === 'main'),
    ).to.equal(true);
    const mainView = await until('main leads while the backup is down', 10_000, async () => {
      const view = await statusOf('main');
      return view?.leaderId === 'main' ? view : null;
    });
    expect(mainView.drained, 'the drain outlives the backup').to.deep.equal(['main']);
    await pair.startNode('backup');
    await settled('backup', ['main']);
    await staysLeader('backup');
    await stopLoadWithoutFailures(load);
  });

  it('undrain main: the main takes leadership back once in sync', async () => {
    const result = await runTandemctl(['cluster', 'undrain', 'main', ...(await pair.tandemctlArgs('admin'))]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/main undrained/);
    await settled('main', []);
    await staysLeader('main');
  });

  it('SIGTERM of the leading main hands leadership to the backup and exits 0; no workstation operation fails', async () => {
    load = await startLoad();
    await sleep(500);
    const main = pair.node('main');
    const code = await main.stop();
    expect(code).to.equal(0);
    expect(
      main.logs.some((line) => line.message === 'handed leadership over' && line.to === 'backup'),
    ).to.equal(true);
    expect(main.logs.some((line) => line.message === 'left the in-sync set before stopping')).to.equal(true);
    const view = await statusOf('backup');
    expect(view?.leaderId).to.equal('backup');
    await sleep(500);
    await stopLoadWithoutFailures(load);
    await pair.startNode('main');
    await settled('main', []);
  });

  it('refuses to drain the only node able to lead, naming why (FAILED_PRECONDITION)', async () => {
    await pair.kill('backup');
    await until('main leads alone', 10_000, async () => {
      const view = await statusOf('main');
      return view?.leaderId === 'main' && view.inSync.join(',') === 'main' ? true : null;
    });
    const result = await runTandemctl(['cluster', 'drain', 'main', ...(await pair.tandemctlArgs('admin'))]);
    expect(result.code).to.not.equal(0);
    expect(result.stderr).to.match(/drain_refused/);
    expect(result.stderr).to.match(/backup/);
    expect((await statusOf('main'))?.drained).to.deep.equal([]);
    // A SIGTERM without a caught-up peer stops as before, and says why.
    const main = pair.node('main');
    expect(await main.stop()).to.equal(0);
    expect(main.logs.some((line) => line.message === 'stopping without handing leadership over')).to.equal(
      true,
    );
  });
});

describe('drain (witness mode, real processes)', function () {
  this.timeout(180_000);
  let directory: string;
  let trio: TandemdTrio;
  let admin: AdminClient;

  before(async () => {
    directory = await temporaryDirectory('tandem-drain-witness-');
    trio = await TandemdTrio.start({
      directory,
      overrides: TIMING,
      ...(process.env.TANDEM_ECHO === '1' ? { echo: process.stderr } : {}),
    });
    admin = new AdminClient(resolveSettings(await trio.settings('admin', 'admin', { maxAttempts: 30 })));
    await waitForLeader(trio.access, trio.servers, 20_000, (leader) => leader.id === 'main');
  });

  after(async () => {
    admin?.close();
    await trio?.stop();
    await removeDirectory(directory);
  });

  async function leaderSeenBy(role: 'main' | 'backup'): Promise<{ leader: string; drained: string } | null> {
    const view = await admin.nodeStatus(trio.address(role)).catch(() => null);
    return view === null ? null : { leader: view.leaderId ?? '', drained: view.drained.join(',') };
  }

  async function both(leader: string, drained: string) {
    await until(`both data nodes see ${leader} lead, drained (${drained})`, 20_000, async () => {
      const views = await Promise.all([leaderSeenBy('main'), leaderSeenBy('backup')]);
      return views.every((view) => view?.leader === leader && view.drained === drained) ? true : null;
    });
  }

  it('drains main, keeps it drained across its restart, refuses to drain the witness, and undrains', async () => {
    const witness = await runTandemctl([
      'cluster',
      'drain',
      'witness',
      ...(await trio.tandemctlArgs('admin')),
    ]);
    expect(witness.code).to.not.equal(0);
    expect(witness.stderr).to.match(/witness/);
    const drained = await runTandemctl(['cluster', 'drain', 'main', ...(await trio.tandemctlArgs('admin'))]);
    expect(drained.code, drained.stderr).to.equal(0);
    await both('backup', 'main');
    expect(await trio.node('main').stop()).to.equal(0);
    await trio.startNode('main');
    await both('backup', 'main');
    await sleep(2 * FAILOVER_TIMEOUT_MS);
    await both('backup', 'main');
    const undrained = await runTandemctl([
      'cluster',
      'undrain',
      'main',
      ...(await trio.tandemctlArgs('admin')),
    ]);
    expect(undrained.code, undrained.stderr).to.equal(0);
    await both('main', '');
  });
});
