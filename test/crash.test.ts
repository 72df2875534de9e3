// kill -9 during 1,000 acknowledged operations: after a restart every acknowledged operation is in
// the ledger, and once the workstations retry what was in flight (with the same request ids) the
// usage total equals the units reported, exactly once each. Secure as deployed: each of the
// concurrent workstations calls with its own certificate, the checks with an operator's.
import {
  type ClusterAccess,
  call,
  type RawClients,
  rawClients,
  removeDirectory,
  TandemdProcess,
  temporaryDirectory,
} from '@tandem/testkit';
import { expect } from 'chai';

interface Operation {
  requestId: string;
  kind: 'usage' | 'acquire';
  units: number;
  workstationId: string;
  acknowledged: boolean;
  acknowledgedBeforeCrash: boolean;
  leaseId: string;
}

const OPERATIONS = 1000;
const CONCURRENCY = 32;

describe('crash: SIGKILL tandemd under load', function () {
  this.timeout(120_000);
  let directory: string;
  let node: TandemdProcess;
  /** The operator's stubs (activation, the final checks). */
  let clients: RawClients;
  /** Each workstation's stubs, with its own certificate (`ws-<n>`, one per concurrent worker). */
  let workstations: RawClients[] = [];
  let workstationAccess: ClusterAccess[] = [];

  const connectAll = () => {
    clients = rawClients(node.address, node.access);
    workstations = workstationAccess.map((access) => rawClients(node.address, access));
  };
  const closeAll = () => {
    clients?.close();
    for (const stubs of workstations) stubs.close();
  };

  before(async () => {
    directory = await temporaryDirectory();
    node = await TandemdProcess.start({ dataDir: directory, overrides: { snapshot: { everyEntries: 200 } } });
    const pki = node.requirePki();
    workstationAccess = await Promise.all(
      Array.from({ length: CONCURRENCY }, (_, worker) => pki.access('workstation', `ws-${worker}`)),
    );
    connectAll();
    await call(clients.admin, clients.admin.ActivateLicence, {
      requestId: 'setup-meter',
      licence: { licenceId: 'meter', product: 'Renderer', seats: 1, features: {} },
    });
    await call(clients.admin, clients.admin.ActivateLicence, {
      requestId: 'setup-seats',
      licence: { licenceId: 'seats', product: 'CAD', seats: OPERATIONS, features: {} },
    });
  });

  after(async () => {
    closeAll();
    await node?.stop();
    await removeDirectory(directory);
  });

  async function perform(operation: Operation, worker: number): Promise<void> {
    const stubs = workstations[worker];
    if (stubs === undefined) throw new Error(`no workstation ${worker}`);
    if (operation.kind === 'usage') {
      await call(
        stubs.workstation,
        stubs.workstation.ReportUsage,
        {
          requestId: operation.requestId,
          licenceId: 'meter',
          workstationId: operation.workstationId,
          units: operation.units,
        },
        2000,
      );
    } else {
      const response = await call(
        stubs.workstation,
        stubs.workstation.AcquireLease,
        {
          requestId: operation.requestId,
          licenceId: 'seats',
          workstationId: operation.workstationId,
          ttlMs: 3_600_000,
        },
        2000,
      );
      operation.leaseId = response.lease?.leaseId ?? '';
    }
  }

  it('keeps every acknowledged operation and counts usage exactly once', async () => {
    const seed = Date.now();
    let random = seed;
    const next = () => {
      random = (random * 1103515245 + 12345) % 2147483648;
      return random;
    };
    const operations: Operation[] = Array.from({ length: OPERATIONS }, (_, position) => ({
      requestId: `crash-${seed}-${position}`,
      kind: position % 4 === 0 ? 'acquire' : 'usage',
      units: 1 + (next() % 5),
      // A workstation acts only as itself: worker n (certificate ws-n) sends every CONCURRENCY-th.
      workstationId: `ws-${position % CONCURRENCY}`,
      acknowledged: false,
      acknowledgedBeforeCrash: false,
      leaseId: '',
    }));
    const killAfter = 250 + (next() % 400);
    let acknowledgedCount = 0;
    let crashed = false;
    let restarted: Promise<void> | null = null;

    const crashAndRestart = async () => {
      await node.kill();
      crashed = true;
      closeAll();
      node = await node.restart();
      connectAll();
    };

    const worker = async (workerIndex: number) => {
      for (let position = workerIndex; position < operations.length; position += CONCURRENCY) {
        const operation = operations[position];
        if (operation === undefined) break;
        for (let attempt = 0; ; attempt += 1) {
          expect(attempt, `operation ${operation.requestId} never succeeded (seed ${seed})`).to.be.lessThan(
            200,
          );
          try {
            await perform(operation, workerIndex);
            operation.acknowledged = true;
            operation.acknowledgedBeforeCrash = !crashed;
            acknowledgedCount += 1;
            if (acknowledgedCount === killAfter) restarted = crashAndRestart();
            break;
          } catch {
            // The node is down or restarting: retry the same request id, as a workstation would.
            if (restarted !== null) await restarted;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, workerIndex) => worker(workerIndex)));
    if (restarted !== null) await restarted;

    expect(crashed, 'the node was killed during the run').to.equal(true);
    const beforeCrash = operations.filter((operation) => operation.acknowledgedBeforeCrash);
    expect(beforeCrash.length).to.be.at.least(killAfter);
    expect(operations.every((operation) => operation.acknowledged)).to.equal(true);

    // Every acquire acknowledged at any point holds its seat, under the lease id it was given.
    const leases = await call(clients.admin, clients.admin.ListLeases, { licenceId: 'seats' });
    const leaseIds = new Set(leases.leases.map((lease) => lease.leaseId));
    const acquires = operations.filter((operation) => operation.kind === 'acquire');
    for (const operation of acquires) {
      expect(
        leaseIds.has(operation.leaseId),
        `lease ${operation.leaseId} of ${operation.requestId} (seed ${seed})`,
      ).to.equal(true);
    }
    expect(leases.leases.length).to.equal(acquires.length);

    // Usage counts every report exactly once, retried or not.
    const usage = await call(clients.admin, clients.admin.GetUsage, { licenceId: 'meter' });
    const reported = operations
      .filter((operation) => operation.kind === 'usage')
      .reduce((sum, operation) => sum + operation.units, 0);
    expect(usage.totalUsed, `seed ${seed}`).to.equal(reported);
  });
});
