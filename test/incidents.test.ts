// Overdraft incidents as operators and workstations see them, through one real tandemd on
// 127.0.0.1 (in-process, real LevelDB and gRPC): a merge entry proposed on the node puts a licence
// over its seats; ListIncidents, ClusterStatus and the spawned tandemctl report it; a workstation
// asking for a new lease gets FAILED_PRECONDITION with tandem-reason licence_overdrawn as a typed
// rejection; renewals go on; releasing back under the limit resolves it. The node serves TLS with a
// certificate from a test PKI; the operator and each workstation come with their own.
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { AdminClient, connect, RejectedError, type WorkstationClient } from '@tandem/client';
import type { MergeCommand } from '@tandem/ledger';
import { createLogger, parseConfig, Tandemd } from '@tandem/server';
import {
  activateTestLicence,
  pkiDirectory,
  removeDirectory,
  runTandemctl,
  TestPki,
  tandemctlJson,
  temporaryDirectory,
  testVendorLicensing,
} from '@tandem/testkit';
import { expect } from 'chai';

/** The nonce the backup's edge drew for the acquire the merge re-applies. */
const BACKUP_NONCE = '00000000000000b2';

describe('overdraft incidents through a real tandemd', function () {
  this.timeout(60_000);
  let directory: string;
  let node: Tandemd;
  let admin: AdminClient;
  let pki: TestPki;
  const clients: WorkstationClient[] = [];
  /** tandemctl's --servers and an operator's credentials. */
  let operator: string[] = [];

  async function workstation(id: string): Promise<WorkstationClient> {
    const client = await connect(
      await pki.settings([node.address], 'workstation', id, { requestTimeoutMs: 2000 }),
    );
    clients.push(client);
    return client;
  }

  before(async () => {
    directory = await temporaryDirectory();
    pki = await TestPki.create(pkiDirectory(directory));
    node = await Tandemd.start(
      parseConfig({
        node: { id: 'main', listen: '127.0.0.1:0', dataDir: path.join(directory, 'main') },
        licensing: testVendorLicensing(),
        tls: await pki.serverTls('node', 'main'),
        log: { level: 'error' },
      }),
      createLogger('error', 'main'),
    );
    await node.replica.waitForLeadership(5000);
    admin = await AdminClient.connect(
      await pki.settings([node.address], 'admin', 'admin', { requestTimeoutMs: 2000 }),
    );
    operator = ['--servers', node.address, ...(await pki.tandemctlArgs('admin'))];
  });

  after(async () => {
    for (const client of clients) client.close();
    admin?.close();
    await node?.stop();
    await removeDirectory(directory);
  });

  it('reports, refuses and resolves an overdraft end to end', async () => {
    await activateTestLicence(admin, { licenceId: 'cad', product: 'CAD', seats: 1, redundancy: true });
    const ws1 = await workstation('ws-1');
    // A short TTL, so that the library renews in the background every second.
    const held = await ws1.acquire('cad', { ttlMs: 3000 });
    expect(await admin.listIncidents()).to.deep.equal([]);

    // What the backup granted alone, as the main would merge it: a second seat for ws-2.
    const backupTerm = 2;
    const mergedLeaseId = `lease-${backupTerm}-3-${BACKUP_NONCE}`;
    const merge: MergeCommand = {
      type: 'merge',
      sourceNodeId: 'backup',
      sourceTerms: [backupTerm],
      entries: [
        {
          index: 3,
          term: backupTerm,
          timestampMs: Date.now(),
          command: {
            type: 'acquire_lease',
            requestId: 'backup-acquire',
            licenceId: 'cad',
            workstationId: 'ws-2',
            parameters: { host: 'h', user: 'u', cores: 1, productVersion: '1' },
            ttlMs: 60_000,
            nonce: BACKUP_NONCE,
          },
        },
      ],
    };
    const applied = await node.replica.submit(merge);
    expect(applied.result).to.deep.include({ ok: true });

    const open = await admin.listIncidents({ openOnly: true });
    expect(open).to.have.length(1);
    expect(open[0]).to.deep.include({
      incidentId: `incident-${applied.index}-1`,
      licenceId: 'cad',
      kind: 'seats',
      limit: 1,
      observed: 2,
      excess: 1,
      backupTerms: [backupTerm],
      sourceNodeId: 'backup',
      mergeIndex: applied.index,
      resolvedAtMs: null,
    });
    expect((await admin.listLeases('cad')).map((lease) => lease.leaseId)).to.include(mergedLeaseId);
    expect((await admin.nodeStatus(node.address)).openIncidents).to.equal(1);

    // tandemctl: the table, --json, and the status line.
    const table = await runTandemctl([...operator, 'incidents', '--open']);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout).to.match(
      new RegExp(`^incident-${applied.index}-1\\s+cad\\s+seats\\s+1\\s+2\\s+1\\s+`, 'm'),
    );
    const listed = await tandemctlJson<{ incidents: Array<{ incidentId: string }> }>([
      ...operator,
      'incidents',
    ]);
    expect(listed.incidents.map((incident) => incident.incidentId)).to.deep.equal([
      `incident-${applied.index}-1`,
    ]);
    const status = await runTandemctl([...operator, 'status']);
    expect(status.stdout).to.contain('incidents: 1 open (see tandemctl incidents)');
    expect(await tandemctlJson<{ openIncidents: number }>([...operator, 'status'])).to.include({
      openIncidents: 1,
    });

    // A new lease is refused with a typed rejection; the lease held is still renewed.
    const ws3 = await workstation('ws-3');
    let caught: unknown;
    try {
      await ws3.acquire('cad');
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(RejectedError);
    expect(caught).to.include({
      reason: 'licence_overdrawn',
      retryable: false,
      grpcCode: grpc.status.FAILED_PRECONDITION,
    });
    const renewed = await new Promise<{ leaseId: string }>((resolve) => ws1.once('renewed', resolve));
    expect(renewed.leaseId).to.equal(held.leaseId);
    expect(held.state).to.equal('held');

    // Back within its seats: the incident is resolved and leases are granted again.
    await held.release();
    expect(await admin.listIncidents({ openOnly: true })).to.deep.equal([]);
    const all = await admin.listIncidents();
    expect(all[0]?.resolvedAtMs).to.be.a('number');
    expect((await admin.nodeStatus(node.address)).openIncidents).to.equal(0);
    const quiet = await runTandemctl([...operator, 'status']);
    expect(quiet.stdout).to.not.contain('incidents:');
    await admin.revokeLease(mergedLeaseId, 'merged seat handed back');
    const again = await ws3.acquire('cad');
    expect(again.leaseId).to.match(/^lease-\d+-\d+-[0-9a-f]{16}$/);
  });
});
