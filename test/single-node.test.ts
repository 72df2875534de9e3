// One real tandemd on 127.0.0.1, driven by the client library and by the spawned tandemctl: the
// foundation's behaviour end to end, through the same log -> commit -> apply path as a cluster.
// Secure as deployed: workstations with their own certificates, tandemctl with an operator's.
import { connect, RejectedError, type WorkstationClient } from '@tandem/client';
import {
  call,
  type RawClients,
  rawClients,
  rawClusterId,
  removeDirectory,
  runTandemctl,
  signTestLicence,
  TandemdProcess,
  tandemctlJson,
  temporaryDirectory,
  writeTestLicence,
} from '@tandem/testkit';
import { expect } from 'chai';

interface StatusJson {
  nodes: Array<{
    id: string;
    address: string;
    role: string;
    state: string;
    term: number;
    commitIndex: number;
    appliedIndex: number;
    stateHash: string;
    security: string;
  }>;
  leader: string | null;
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe('a single tandemd, end to end', function () {
  this.timeout(90_000);
  let directory: string;
  let node: TandemdProcess;
  /** The operator's stubs (admin certificate). */
  let raw: RawClients;
  const rawWorkstations: RawClients[] = [];
  const clients: WorkstationClient[] = [];
  /** tandemctl's --servers and an operator's credentials. */
  let operatorArgs: string[] = [];
  const servers = () => operatorArgs;

  async function workstation(id: string): Promise<WorkstationClient> {
    const client = await connect(await node.settings('workstation', id, { requestTimeoutMs: 2000 }));
    clients.push(client);
    return client;
  }

  /** Plain stubs with a workstation's own certificate. */
  async function rawWorkstation(id: string): Promise<RawClients['workstation']> {
    const stubs = rawClients(node.address, await node.requirePki().access('workstation', id));
    rawWorkstations.push(stubs);
    return stubs.workstation;
  }

  before(async () => {
    directory = await temporaryDirectory();
    node = await TandemdProcess.start({
      dataDir: directory,
      overrides: { timing: { leaseExpiryIntervalMs: 100 } },
    });
    raw = rawClients(node.address, node.access);
    operatorArgs = await node.tandemctlArgs('admin');
  });

  after(async () => {
    for (const client of clients) client.close();
    for (const stubs of rawWorkstations) stubs.close();
    raw?.close();
    await node?.stop();
    await removeDirectory(directory);
  });

  /** A licence file the test vendor signed for this node's cluster, on disk for tandemctl. */
  async function licenceFile(spec: Parameters<typeof writeTestLicence>[1], serial = 1): Promise<string> {
    return writeTestLicence(directory, spec, await rawClusterId(raw.admin), { serial });
  }

  it('activates licences from licence files with tandemctl and lists them as JSON', async () => {
    const cad = await tandemctlJson<{ licenceId: string; seats: number; status: string; features: object }>([
      ...servers(),
      'licence',
      'activate',
      '--file',
      await licenceFile({ licenceId: 'cad', product: 'CAD', seats: 2, features: { tier: 'pro' } }),
    ]);
    expect(cad).to.deep.include({ licenceId: 'cad', seats: 2, status: 'active' });
    expect(cad.features).to.deep.equal({ tier: 'pro' });
    await tandemctlJson([
      ...servers(),
      'licence',
      'activate',
      '--file',
      await licenceFile({
        licenceId: 'pages',
        product: 'Print',
        seats: 5,
        quota: { units: 100, period: 'day' },
      }),
    ]);
    const list = await tandemctlJson<{ licences: Array<{ licenceId: string }> }>([
      ...servers(),
      'licence',
      'list',
    ]);
    expect(list.licences.map((licence) => licence.licenceId)).to.deep.equal(['cad', 'pages']);
  });

  it('exits 1 when the ledger rejects, 2 on a usage error and 3 when no server answers', async () => {
    const again = await runTandemctl([
      ...servers(),
      'licence',
      'activate',
      '--file',
      await licenceFile({ licenceId: 'cad', product: 'CAD', seats: 2 }),
    ]);
    expect(again.code, again.stderr).to.equal(1);
    expect(again.stderr + again.stdout).to.match(/licence_exists|already exists/);
    const usage = await runTandemctl([...servers(), 'licence', 'update', 'cad', '--seats', 'many']);
    expect(usage.code).to.equal(2);
    const nobody = await runTandemctl([
      ...(await node.requirePki().tandemctlArgs('admin')),
      '--servers',
      '127.0.0.1:1',
      '--timeout-ms',
      '300',
      '--attempts',
      '2',
      'status',
    ]);
    expect(nobody.code).to.equal(3);
  });

  it('leases seats up to the limit, and gives a workstation that asks again its own lease back', async () => {
    const first = await workstation('ws-a');
    const second = await workstation('ws-b');
    const third = await workstation('ws-c');
    const leaseA = await first.acquire('cad', { ttlMs: 60_000 });
    const leaseB = await second.acquire('cad', { ttlMs: 60_000 });
    const again = await first.acquire('cad', { ttlMs: 60_000 });
    expect(again.lease.leaseId).to.equal(leaseA.lease.leaseId);
    try {
      await third.acquire('cad', { ttlMs: 60_000 });
      expect.fail('a third seat was granted on a two-seat licence');
    } catch (error) {
      expect(error).to.be.instanceOf(RejectedError);
      expect((error as RejectedError).reason).to.equal('seat_limit_reached');
    }
    const leases = await tandemctlJson<{ leases: Array<{ leaseId: string; workstationId: string }> }>([
      ...servers(),
      'lease',
      'list',
      '--licence',
      'cad',
    ]);
    expect(leases.leases.map((lease) => lease.workstationId).sort()).to.deep.equal(['ws-a', 'ws-b']);
    await leaseB.release();
    const granted = await third.acquire('cad', { ttlMs: 60_000 });
    expect(granted.lease.workstationId).to.equal('ws-c');
    await granted.release();
    await again.release();
    const licence = await first.getLicence('cad');
    expect(licence.seatsInUse).to.equal(0);
  });

  it('renews leases in the background so they outlive their TTL', async () => {
    const client = await workstation('ws-renew');
    let renewals = 0;
    client.on('renewed', () => {
      renewals += 1;
    });
    const lease = await client.acquire('cad', { ttlMs: 900 });
    await sleep(2000);
    expect(renewals, 'renewals at a third of the TTL').to.be.at.least(3);
    const listed = await tandemctlJson<{ leases: Array<{ leaseId: string }> }>([
      ...servers(),
      'lease',
      'list',
    ]);
    expect(listed.leases.map((entry) => entry.leaseId)).to.include(lease.lease.leaseId);
    await lease.release();
  });

  it('expires a lease that is not renewed, through the leader tick entries', async () => {
    const silent = await rawWorkstation('ws-silent');
    const response = await call(silent, silent.AcquireLease, {
      requestId: 'expiring',
      licenceId: 'cad',
      workstationId: 'ws-silent',
      ttlMs: 300,
    });
    const leaseId = response.lease?.leaseId;
    await sleep(1200);
    const listed = await call(raw.admin, raw.admin.ListLeases, { licenceId: 'cad' });
    expect(listed.leases.map((lease) => lease.leaseId)).to.not.include(leaseId);
  });

  it('revokes a lease as an operator, and the holder learns it lost the seat', async () => {
    const client = await workstation('ws-revoked');
    const lease = await client.acquire('cad', { ttlMs: 1500 });
    const lost = new Promise<{ leaseId: string }>((resolve) => client.once('lease-lost', resolve));
    await tandemctlJson([...servers(), 'lease', 'revoke', lease.lease.leaseId, '--reason', 'maintenance']);
    const event = await lost;
    expect(event.leaseId).to.equal(lease.lease.leaseId);
    expect(lease.state).to.equal('lost');
  });

  it('counts usage against the quota and rejects a report that would exceed it, whole', async () => {
    const client = await workstation('ws-print');
    const receipt = await client.reportUsage('pages', 60);
    expect(receipt.remaining).to.equal(40);
    try {
      await client.reportUsage('pages', 41);
      expect.fail('a report over the quota was accepted');
    } catch (error) {
      expect((error as RejectedError).reason).to.equal('quota_exhausted');
    }
    const last = await client.reportUsage('pages', 40);
    expect(last.remaining).to.equal(0);
    const usage = await tandemctlJson<{ totalUsed: number; periods: Array<{ used: number; quota: number }> }>(
      [...servers(), 'usage', 'show', 'pages'],
    );
    expect(usage.totalUsed).to.equal(100);
    expect(usage.periods[0]).to.deep.include({ used: 100, quota: 100 });
  });

  it('returns the first result for a retried request id and counts it once', async () => {
    await call(raw.admin, raw.admin.ActivateLicence, {
      requestId: 'meter-setup',
      licenceFile: Buffer.from(
        signTestLicence({ licenceId: 'meter', product: 'Meter', seats: 1 }, await rawClusterId(raw.admin)),
      ),
    });
    const request = { requestId: 'retry-me', licenceId: 'meter', workstationId: 'ws-1', units: 7 };
    const stubs = await rawWorkstation('ws-1');
    const first = await call(stubs, stubs.ReportUsage, request);
    const second = await call(stubs, stubs.ReportUsage, request);
    expect(second.used).to.equal(first.used);
    expect(second.used).to.equal(7);
    const usage = await call(raw.admin, raw.admin.GetUsage, { licenceId: 'meter' });
    expect(usage.totalUsed).to.equal(7);
  });

  it('reports status as JSON with the documented fields, and verify agrees', async () => {
    const status = await tandemctlJson<StatusJson>([...servers(), 'status']);
    expect(status.leader).to.equal('main');
    expect(status.nodes).to.have.length(1);
    const [self] = status.nodes;
    expect(self).to.include({
      id: 'main',
      address: node.address,
      role: 'main',
      state: 'leader',
      security: 'tls',
    });
    expect(self?.term).to.be.at.least(1);
    expect(self?.commitIndex).to.be.at.least(self?.appliedIndex ?? Number.POSITIVE_INFINITY);
    expect(self?.appliedIndex).to.be.greaterThan(5);
    expect(self?.stateHash).to.match(/^[0-9a-f]{64}$/);
    const verify = await runTandemctl([...servers(), 'verify', '--json']);
    expect(verify.code, verify.stderr).to.equal(0);
  });

  it('shuts down on SIGTERM with exit 0 and comes back with the same ledger', async () => {
    const before = await call(raw.admin, raw.admin.Verify, {});
    raw.close();
    expect(await node.stop()).to.equal(0);
    node = await node.restart();
    raw = rawClients(node.address, node.access);
    const after = await call(raw.admin, raw.admin.Verify, { waitForIndex: before.appliedIndex });
    expect(after.stateHash).to.equal(before.stateHash);
    const usage = await call(raw.admin, raw.admin.GetUsage, { licenceId: 'pages' });
    expect(usage.totalUsed).to.equal(100);
    const status = await call(raw.admin, raw.admin.ClusterStatus, {});
    expect(status.header?.term).to.be.greaterThan(1);
  });
});
