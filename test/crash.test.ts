// kill -9 during 1,000 acknowledged operations: after a restart every acknowledged operation is in
// the ledger, and once the workstations retry what was in flight (with the same request ids) the
// usage total equals the units reported, exactly once each. Over TLS, as deployed; the operations
// come from a thousand workstation ids, so they are sent with an operator's (admin) certificate,
// the one role that may act for any workstation.
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
  let clients: RawClients;

  before(async () => {
    directory = await temporaryDirectory();
    node = await TandemdProcess.start({ dataDir: directory, overrides: { snapshot: { everyEntries: 200 } } });
    clients = rawClients(node.address, node.access);
    const clusterId = await rawClusterId(clients.admin);
    await call(clients.admin, clients.admin.ActivateLicence, {
      requestId: 'setup-meter',
      licenceFile: Buffer.from(
        signTestLicence({ licenceId: 'meter', product: 'Renderer', seats: 1 }, clusterId),
      ),
    });
    await call(clients.admin, clients.admin.ActivateLicence, {
      requestId: 'setup-seats',
      licenceFile: Buffer.from(
        signTestLicence({ licenceId: 'seats', product: 'CAD', seats: OPERATIONS }, clusterId),
      ),
    });
  });

  after(async () => {
    clients?.close();
    await node?.stop();
    await removeDirectory(directory);
  });

  async function perform(operation: Operation): Promise<void> {
    if (operation.kind === 'usage') {
      await call(
        clients.workstation,
        clients.workstation.ReportUsage,
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
        clients.workstation,
        clients.workstation.AcquireLease,
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
      workstationId: `ws-${position}`,
      acknowledged: false,
      acknowledgedBeforeCrash: false,
      leaseId: '',
    }));
    const killAfter = 250 + (next() % 400);
    let acknowledgedCount = 0;
    let crashed = false;
    let restarted: Promise<void> | null = null;
    let cursor = 0;

    const crashAndRestart = async () => {
      await node.kill();
      crashed = true;
      clients.close();
      node = await node.restart();
      clients = rawClients(node.address, node.access);
    };

    const worker = async () => {
      while (cursor < operations.length) {
        const operation = operations[cursor];
        cursor += 1;
        if (operation === undefined) break;
        for (let attempt = 0; ; attempt += 1) {
          expect(attempt, `operation ${operation.requestId} never succeeded (seed ${seed})`).to.be.lessThan(
            200,
          );
          try {
            await perform(operation);
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
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
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
