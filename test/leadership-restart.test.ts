// A main that follows the backup and leads again within one step, with real processes (issue 14,
// item 2: after flapping, such a main refused every read for over 90 s). A FaultProxy sits in
// front of each node's peer port, so that each direction of the peer link can be held or cut on its
// own; workstations and the test reach both client ports directly.
//
// The step is forced deterministically. The link from main to the backup is cut, and everything
// from the backup to main is held (delayed, in order, not lost). Main hears no answer, drops the
// backup from its in-sync set and commits that alone; the backup hears nothing, takes main's silence
// for consent and wins a later term alone. Its vote requests and its first append wait in the
// proxy. Then the held bytes are released: main refuses the vote requests (it leads), and the
// backup's first append carries the backup's noop at the index where main committed its own
// configuration entry. In that one step main follows the backup, finds its log contradicted, takes
// a term past it to end the split brain, and leads again: leader before, leader after. The checks:
// main logs a 'role changed' line for each of the three changes, and once both are in sync again
// main answers a read and a write within two failover timeouts. With a driver that looks only at
// the soft state, the read is refused for as long as main leads.
import { AdminClient, type ClusterStatus, resolveSettings, WorkstationClient } from '@tandem/client';
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

const FAILOVER_TIMEOUT_MS = 1000;
const HEARTBEAT_INTERVAL_MS = 100;
/** The liveness check of the simulation and the partition matrix. */
const LIVENESS_LIMIT_MS = 2 * FAILOVER_TIMEOUT_MS;
/** The proxy holds the backup's bytes for main far longer than the test waits for them. */
const HOLD_MS = 50_000;

describe('a main that follows and leads again within one step (real processes)', function () {
  this.timeout(120_000);
  let directory: string;
  let pair: TandemdPair;
  let toMain: FaultProxy;
  let toBackup: FaultProxy;
  let admin: AdminClient;
  let workstation: WorkstationClient;

  before(async () => {
    directory = await temporaryDirectory('tandem-leadership-restart-');
    const peerPorts = { main: await freePort(), backup: await freePort() };
    toMain = await FaultProxy.start({ target: `127.0.0.1:${peerPorts.main}` });
    toBackup = await FaultProxy.start({ target: `127.0.0.1:${peerPorts.backup}` });
    pair = await TandemdPair.start({
      directory,
      peerPorts,
      peerAddresses: { main: toMain.address, backup: toBackup.address },
      overrides: {
        timing: { failoverTimeoutMs: FAILOVER_TIMEOUT_MS, heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS },
      },
      ...(process.env.TANDEM_ECHO === '1' ? { echo: process.stderr } : {}),
    });
    admin = new AdminClient(resolveSettings(await pair.settings('admin', 'admin', { maxAttempts: 30 })));
    await waitForLeader(pair.access, pair.servers, 20_000, (leader) => leader.id === 'main');
    await activateTestLicence(admin, { licenceId: 'cad', product: 'CAD', seats: 4, redundancy: true });
    workstation = new WorkstationClient(
      resolveSettings(
        await pair.requirePki().settings([pair.address('main')], 'workstation', 'ws-1', { maxAttempts: 3 }),
      ),
    );
    await workstation.reportUsage('cad', 1).catch(() => undefined);
    await waitForEqualState(pair.access, pair.servers, 20_000);
  });

  after(async () => {
    workstation?.close();
    admin?.close();
    await pair?.stop();
    await toMain?.close();
    await toBackup?.close();
    await removeDirectory(directory);
  });

  async function statusOf(role: 'main' | 'backup'): Promise<ClusterStatus | null> {
    return admin.nodeStatus(pair.address(role)).catch(() => null);
  }

  async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== null) return value;
      if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  it('logs each role change and serves reads and writes within 2 failover timeouts of convergence', async () => {
    const before = await statusOf('main');
    expect(before?.nodes[0]?.state, 'main leads').to.equal('leader');
    const mainTerm = before?.nodes[0]?.term ?? 0;
    const mainLogLength = pair.node('main').logs.length;

    toBackup.blackhole('both');
    toMain.delay(HOLD_MS);
    // Main commits alone; the backup leads alone in a later term (its messages to main are held).
    await until('main drops the silent backup from its in-sync set', 10_000, async () => {
      const status = await statusOf('main');
      return status?.nodes[0]?.state === 'leader' && status.inSync.join(',') === 'main' ? status : null;
    });
    const backupLed = await until('the backup leads alone', 10_000, async () => {
      const status = await statusOf('backup');
      return status?.nodes[0]?.state === 'leader' ? status : null;
    });
    const backupTerm = backupLed.nodes[0]?.term ?? 0;
    expect(backupTerm).to.be.greaterThan(mainTerm);
    const stillMain = await statusOf('main');
    expect(stillMain?.nodes[0], 'main still leads its own term').to.deep.include({
      state: 'leader',
      term: mainTerm,
    });

    // Release what the backup sent, then reopen main's side of the link (the blackhole swallowed
    // bytes mid-stream, so main's connection to the backup starts afresh).
    toMain.heal();
    toBackup.heal();
    toBackup.resetConnections();

    const roleChanges = () =>
      pair
        .node('main')
        .logs.slice(mainLogLength)
        .filter((line) => line.message === 'role changed')
        .map((line) => `${String(line.role)}@${String(line.term)}/${String(line.leaderId ?? 'none')}`);
    const takeover = await until('main takes leadership to end the split brain', 10_000, async () => {
      const changes = roleChanges();
      return changes.some((change) => change.startsWith('leader@')) ? changes : null;
    });
    const takeoverTerm = Number(/^leader@(\d+)/.exec(takeover.at(-1) ?? '')?.[1]);
    expect(takeoverTerm, 'main leads a term past the backup').to.be.greaterThan(backupTerm);
    // The step this test is about: follower of the backup, candidate, leader, with nothing between.
    expect(takeover, 'main logs every role change of the step').to.deep.equal([
      `follower@${backupTerm}/backup`,
      `candidate@${takeoverTerm}/none`,
      `leader@${takeoverTerm}/main`,
    ]);

    // The backup's solo stretch is merged and it follows main again, in sync.
    const converged = await until('main leads with both in sync', 30_000, async () => {
      const [main, backup] = [await statusOf('main'), await statusOf('backup')];
      const leading = main?.nodes[0];
      const following = backup?.nodes[0];
      return leading?.state === 'leader' &&
        main?.inSync.slice().sort().join(',') === 'backup,main' &&
        following?.state === 'follower' &&
        backup?.leaderId === 'main' &&
        (following?.appliedIndex ?? 0) >= (leading?.commitIndex ?? 0)
        ? main
        : null;
    });
    const convergedAtMs = Date.now();
    expect(converged.nodes[0]?.term, 'no election since the takeover').to.equal(takeoverTerm);

    // The liveness check: a read and a write at main, each sent again while refused.
    const probes = rawClients(pair.address('main'), await pair.requirePki().access('workstation', 'probe'));
    try {
      const serve = async (kind: 'read' | 'write') => {
        const refusals: string[] = [];
        for (let attempt = 1; ; attempt += 1) {
          const remainingMs = Math.max(1, convergedAtMs + LIVENESS_LIMIT_MS - Date.now());
          const answered = await (kind === 'read'
            ? call(probes.workstation, probes.workstation.GetLicence, { licenceId: 'cad' }, remainingMs)
            : call(
                probes.workstation,
                probes.workstation.ReportUsage,
                { requestId: `probe-${attempt}`, licenceId: 'cad', workstationId: 'probe', units: 1 },
                remainingMs,
              )
          ).then(
            () => true,
            (error: Error & { details?: string }) => {
              if (refusals.length < 5) refusals.push(error.details ?? error.message);
              return false;
            },
          );
          const afterMs = Date.now() - convergedAtMs;
          if (answered && afterMs <= LIVENESS_LIMIT_MS) return afterMs;
          if (afterMs >= LIVENESS_LIMIT_MS) {
            throw new Error(
              `main served no ${kind} within ${LIVENESS_LIMIT_MS} ms of convergence (${attempt} probes): ${refusals.join(' | ')}`,
            );
          }
          await sleep(20);
        }
      };
      const [readAfterMs, writeAfterMs] = await Promise.all([serve('read'), serve('write')]);
      expect(readAfterMs).to.be.at.most(LIVENESS_LIMIT_MS);
      expect(writeAfterMs).to.be.at.most(LIVENESS_LIMIT_MS);
    } finally {
      probes.close();
    }
    // And it keeps serving reads: every answer of the backup in the new term renews its lease.
    await sleep(3 * FAILOVER_TIMEOUT_MS);
    const later = await workstation.getLicence('cad');
    expect(later.licenceId).to.equal('cad');
    await waitForEqualState(pair.access, pair.servers, 20_000);
  });
});
