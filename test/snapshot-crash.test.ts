// A crash in the middle of a snapshot, on real LevelDB: tandemd kills itself (SIGKILL, crash point
// persist_in_flight:snapshot) while its second compaction (the new snapshot and the deletion of the
// log under it, one synced batch) is with LevelDB. Restarted, the node must find either the new
// snapshot or the previous one with the whole log after it: every acknowledged report is counted,
// and once the workstations retry what was in flight (same request ids) each report counts
// exactly once. Then the node snapshots again, on the same storage.
import {
  call,
  type RawClients,
  rawClients,
  rawClusterId,
  removeDirectory,
  signTestLicence,
  TandemdProcess,
  temporaryDirectory,
} from '@tandem/testkit';
import { expect } from 'chai';

interface Report {
  requestId: string;
  units: number;
  acknowledged: boolean;
}

const SNAPSHOT_EVERY_ENTRIES = 100;
const CONCURRENCY = 8;
/** Far more than the two snapshots the crash needs; the run stops at the crash. */
const MAX_REPORTS = 2000;
const OVERRIDES = { snapshot: { everyEntries: SNAPSHOT_EVERY_ENTRIES } };

describe('crash in the middle of a snapshot (real LevelDB)', function () {
  this.timeout(120_000);
  let directory: string;
  let node: TandemdProcess;
  let clients: RawClients;

  before(async () => {
    directory = await temporaryDirectory();
  });

  after(async () => {
    clients?.close();
    await node?.stop();
    await removeDirectory(directory);
  });

  function report(operation: Report): Promise<unknown> {
    return call(
      clients.workstation,
      clients.workstation.ReportUsage,
      { requestId: operation.requestId, licenceId: 'meter', workstationId: 'ws-1', units: operation.units },
      2000,
    );
  }

  it('keeps the previous snapshot and the log, or the new snapshot: nothing acknowledged is lost', async () => {
    node = await TandemdProcess.start({
      dataDir: directory,
      overrides: OVERRIDES,
      environment: { TANDEM_CRASH_POINT: 'persist_in_flight:snapshot:1' },
    });
    clients = rawClients(node.address, node.access);
    const clusterId = await rawClusterId(clients.admin);
    await call(clients.admin, clients.admin.ActivateLicence, {
      requestId: 'setup-meter',
      licenceFile: Buffer.from(
        signTestLicence({ licenceId: 'meter', product: 'Renderer', seats: 1 }, clusterId),
      ),
    });

    const reports: Report[] = [];
    let dead = false;
    const exited = node.waitForExit().then((exit) => {
      dead = true;
      return exit;
    });
    const worker = async () => {
      while (!dead && reports.length < MAX_REPORTS) {
        const operation: Report = {
          requestId: `snap-crash-${reports.length}`,
          units: 1 + (reports.length % 7),
          acknowledged: false,
        };
        reports.push(operation);
        try {
          await report(operation);
          operation.acknowledged = true;
        } catch {
          // The node died with this one in flight: it is retried after the restart.
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const exit = await exited;
    expect(exit.signal, 'tandemd died by its crash point').to.equal('SIGKILL');
    const firstSnapshot = node.logs.find((line) => line.message.startsWith('snapshot taken'));
    expect(firstSnapshot, 'a snapshot was taken before the crash').to.not.equal(undefined);
    expect(node.logs.some((line) => line.message === 'crash point reached: killing this process')).to.equal(
      true,
    );
    const acknowledged = reports.filter((operation) => operation.acknowledged);
    expect(acknowledged.length).to.be.at.least(SNAPSHOT_EVERY_ENTRIES);
    clients.close();

    // Restarted without the crash point, on the same data directory and port.
    node = await TandemdProcess.start({ dataDir: directory, port: node.port, overrides: OVERRIDES });
    clients = rawClients(node.address, node.access);
    const before = await call(clients.admin, clients.admin.GetUsage, { licenceId: 'meter' });
    const acknowledgedUnits = acknowledged.reduce((sum, operation) => sum + operation.units, 0);
    const allUnits = reports.reduce((sum, operation) => sum + operation.units, 0);
    expect(before.totalUsed, 'every acknowledged report survived').to.be.at.least(acknowledgedUnits);
    expect(before.totalUsed).to.be.at.most(allUnits);

    for (const operation of reports.filter((candidate) => !candidate.acknowledged)) await report(operation);
    const after = await call(clients.admin, clients.admin.GetUsage, { licenceId: 'meter' });
    expect(after.totalUsed, 'each report counted exactly once').to.equal(allUnits);

    // The storage the crash left takes the next snapshot as usual.
    const more: Report[] = Array.from({ length: SNAPSHOT_EVERY_ENTRIES + 10 }, (_, position) => ({
      requestId: `snap-after-${position}`,
      units: 1,
      acknowledged: false,
    }));
    for (const operation of more) await report(operation);
    const taken = await node.waitForLog((line) => line.message.startsWith('snapshot taken'), 10_000);
    expect(taken.longestSliceMs).to.be.a('number');
    // The server logs the longest event-loop stall while the snapshot was taken.
    const stall = await node.waitForLog((line) => line.message === 'event loop during snapshot', 10_000);
    expect(stall.index).to.equal(taken.index);
    expect(stall.longestStallMs).to.be.a('number');
    const final = await call(clients.admin, clients.admin.GetUsage, { licenceId: 'meter' });
    expect(final.totalUsed).to.equal(allUnits + more.length);
  });
});
