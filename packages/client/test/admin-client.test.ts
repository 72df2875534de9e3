import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { AdminClient, completeLicenceSpec, updateRequest } from '../src/admin-client.js';
import { InvalidArgumentError, UnavailableError } from '../src/errors.js';
import { parseSettings } from '../src/settings.js';
import {
  header,
  lease,
  notLeader,
  type ScriptedNode,
  startScriptedServer,
  unusedAddress,
} from './scripted-server.js';
import { type TlsPaths, testPki } from './test-pki.js';

const nodes: ScriptedNode[] = [];
const admins: AdminClient[] = [];
/** An operator's certificate (admin role), with the cluster CA. */
let tls: TlsPaths;

async function adminNode(script: Parameters<typeof startScriptedServer>[0]): Promise<ScriptedNode> {
  const started = await startScriptedServer(script, 'AdminService');
  nodes.push(started);
  return started;
}

function admin(servers: string[]): AdminClient {
  const created = new AdminClient(
    parseSettings({ servers, tls, requestTimeoutMs: 1000, maxAttempts: 3, retryBackoffMs: 5 }),
  );
  admins.push(created);
  return created;
}

/** The client sends a licence file as it is; the server reads and checks it. */
const LICENCE_FILE =
  '{"format":"tandem-licence","version":1,"keyId":"k","payload":"e30=","signature":"AA=="}\n';

const wireLicence = {
  spec: {
    licenceId: 'cad',
    product: 'CAD',
    seats: 3,
    quota: { units: 100, period: 'PERIOD_MONTH' },
    validFromMs: 0,
    validUntilMs: 0,
    redundancy: true,
    features: {},
  },
  status: 'LICENCE_STATUS_ACTIVE',
  seatsInUse: 1,
  usageThisPeriod: 10,
  periodStartMs: 5,
};

describe('AdminClient against scripted servers', () => {
  before(async () => {
    tls = await (await testPki()).tls('admin', 'admin');
  });

  afterEach(async () => {
    for (const created of admins.splice(0)) created.close();
    for (const started of nodes.splice(0)) await started.stop();
  });

  it('asks one node for its status without following a redirect', async () => {
    const backup = await adminNode({});
    const follower = await adminNode({
      ClusterStatus: () => ({
        response: {
          header: header(4, 'backup', 'NODE_STATE_FOLLOWER', 'ROLE_BACKUP', 'main'),
          nodes: [
            {
              id: 'backup',
              address: 'backup:7400',
              role: 'ROLE_BACKUP',
              state: 'NODE_STATE_FOLLOWER',
              term: 4,
              commitIndex: 10,
              appliedIndex: 9,
              stateHash: 'abc',
              reachable: true,
              inSync: true,
            },
          ],
          leaderId: 'main',
          inSync: ['main', 'backup'],
          openIncidents: 2,
        },
      }),
    });
    const client = admin([backup.address, follower.address]);

    const status = await client.nodeStatus(follower.address);

    expect(backup.calls).to.have.length(0);
    expect(status.address).to.equal(follower.address);
    expect(status.leaderId).to.equal('main');
    expect(status.inSync).to.deep.equal(['main', 'backup']);
    expect(status.openIncidents).to.equal(2);
    expect(status.responder).to.include({ nodeId: 'backup', role: 'backup', state: 'follower', term: 4 });
    expect(status.nodes[0]).to.include({
      id: 'backup',
      role: 'backup',
      state: 'follower',
      term: 4,
      commitIndex: 10,
      appliedIndex: 9,
      stateHash: 'abc',
      inSync: true,
    });
    expect(client.term).to.equal(4);
  });

  it('reports an unreachable node as UnavailableError after one attempt', async () => {
    const address = await unusedAddress();
    const client = admin([address]);
    let caught: unknown;
    try {
      await client.verify(address, 3);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(UnavailableError);
    expect(caught).to.include({ attempts: 1, address });
  });

  it('verifies one node, passing the index to wait for', async () => {
    const main = await adminNode({
      Verify: () => ({
        response: {
          header: header(2, 'main'),
          nodeId: 'main',
          appliedIndex: 12,
          stateHash: 'h1',
          logHash: 'l1',
          logHashIndex: 12,
        },
      }),
    });
    const client = admin([main.address]);
    expect(await client.verify(main.address, 12)).to.deep.equal({
      address: main.address,
      nodeId: 'main',
      appliedIndex: 12,
      stateHash: 'h1',
      logHash: 'l1',
      logHashIndex: 12,
      term: 2,
    });
    expect(main.callsOf('Verify')[0]?.request).to.deep.equal({ waitForIndex: 12 });
  });

  it('activates a licence on the leader, following a hint', async () => {
    const leader = await adminNode({
      ActivateLicence: () => ({ response: { header: header(3, 'main'), licence: wireLicence } }),
    });
    const follower = await adminNode({ ActivateLicence: () => notLeader(3, leader.address, 'main') });
    const client = admin([follower.address, leader.address]);

    const licence = await client.activateLicence(LICENCE_FILE);

    expect(licence).to.include({
      licenceId: 'cad',
      seats: 3,
      seatsInUse: 1,
      usageThisPeriod: 10,
      status: 'active',
    });
    expect(licence.quota).to.deep.equal({ units: 100, period: 'month' });
    const sent = leader.callsOf('ActivateLicence')[0]?.request;
    expect(sent?.requestId).to.equal(follower.callsOf('ActivateLicence')[0]?.request.requestId);
    // Both nodes saw the operator's certificate: the identity the audit trail records.
    expect(leader.callsOf('ActivateLicence')[0]?.certificate).to.equal('admin/admin');
    expect(follower.callsOf('ActivateLicence')[0]?.certificate).to.equal('admin/admin');
    expect(String(sent?.licenceFile)).to.equal(LICENCE_FILE);
    expect(client.leader).to.deep.equal({ leaderId: 'main', address: leader.address, term: 3 });
  });

  it('sends a newer licence file as an update of the licence it names, and refuses one it cannot read', async () => {
    const main = await adminNode({
      UpdateLicence: () => ({ response: { header: header(1, 'main'), licence: wireLicence } }),
    });
    const client = admin([main.address]);
    const payload = Buffer.from(
      JSON.stringify({
        licenceId: 'cad',
        product: 'CAD',
        seats: 9,
        quota: null,
        validFromMs: 0,
        validUntilMs: 0,
        redundancy: true,
        features: {},
        serial: 2,
        vendor: 'V',
        issuedAtMs: 1,
        clusterId: 'c',
      }),
    ).toString('base64');
    const file = JSON.stringify({
      format: 'tandem-licence',
      version: 1,
      keyId: 'k',
      payload,
      signature: Buffer.alloc(64).toString('base64'),
    });
    await client.updateLicenceFromFile(file);
    const sent = main.callsOf('UpdateLicence')[0]?.request as { licenceId: string; licenceFile: Buffer };
    expect(sent.licenceId).to.equal('cad');
    expect(sent.licenceFile.toString()).to.equal(file);
    let caught: unknown;
    try {
      await client.updateLicenceFromFile('not a licence');
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(InvalidArgumentError).and.include({ field: 'licence_file' });
  });

  it('reads the audit trail and the cluster id', async () => {
    const main = await adminNode({
      ListAudit: () => ({
        response: {
          header: header(1, 'main'),
          truncated: true,
          records: [
            {
              index: 4,
              atMs: 100,
              action: 'deactivate_licence',
              actor: { name: 'ops', role: 'operator', via: 'token', from: 'ipv4:10.0.0.1:1' },
              requestId: 'r',
              licenceId: 'cad',
              outcome: 'ok',
            },
          ],
        },
      }),
      ClusterStatus: () => ({ response: { header: header(1, 'main'), clusterId: 'c-1' } }),
    });
    const client = admin([main.address]);
    const page = await client.listAudit({ sinceMs: 50, licenceId: 'cad', limit: 5 });
    expect(page.truncated).to.equal(true);
    expect(page.records[0]).to.deep.include({ action: 'deactivate_licence', leaseId: null, origin: null });
    expect(main.callsOf('ListAudit')[0]?.request).to.deep.equal({ sinceMs: 50, licenceId: 'cad', limit: 5 });
    expect(await client.clusterId()).to.equal('c-1');
  });

  it('sends only the changed fields of an update', async () => {
    const main = await adminNode({
      UpdateLicence: () => ({ response: { header: header(1, 'main'), licence: wireLicence } }),
    });
    const client = admin([main.address]);
    await client.updateLicence('cad', { seats: 9, quota: null, features: { tier: 'gold' } });
    const sent = main.callsOf('UpdateLicence')[0]?.request as Record<string, unknown>;
    expect(sent).to.include({ licenceId: 'cad', seats: 9, clearQuota: true, replaceFeatures: true });
    expect(sent.features).to.deep.equal({ tier: 'gold' });
    expect(sent._seats).to.equal('seats');
    expect(sent._quota).to.equal(undefined);
    expect(sent._product).to.equal(undefined);
    expect(sent._redundancy).to.equal(undefined);
  });

  it('lists leases, revokes one and reads usage', async () => {
    const main = await adminNode({
      ListLeases: () => ({
        response: { header: header(1, 'main'), leases: [lease('lease-1', 1000), lease('lease-2', 1000)] },
      }),
      RevokeLease: () => ({ response: { header: header(1, 'main'), lease: lease('lease-1', 1000) } }),
      GetUsage: () => ({
        response: {
          header: header(1, 'main'),
          licenceId: 'cad',
          periods: [{ periodStartMs: 0, periodEndMs: 10, used: 4, quota: 100, reports: 2 }],
          totalUsed: 4,
        },
      }),
    });
    const client = admin([main.address]);
    expect((await client.listLeases('cad')).map((held) => held.leaseId)).to.deep.equal([
      'lease-1',
      'lease-2',
    ]);
    expect(main.callsOf('ListLeases')[0]?.request).to.deep.equal({ licenceId: 'cad' });
    expect((await client.revokeLease('lease-1', 'stolen laptop')).leaseId).to.equal('lease-1');
    expect(main.callsOf('RevokeLease')[0]?.request).to.include({
      leaseId: 'lease-1',
      reason: 'stolen laptop',
    });
    expect(await client.getUsage('cad')).to.deep.equal({
      licenceId: 'cad',
      periods: [{ periodStartMs: 0, periodEndMs: 10, used: 4, quota: 100, reports: 2 }],
      totalUsed: 4,
    });
  });

  it('lists incidents on the leader, open only when asked', async () => {
    const incident = {
      incidentId: 'incident-40-1',
      licenceId: 'cad',
      kind: 'INCIDENT_KIND_SEATS',
      limit: 4,
      observed: 6,
      excess: 2,
      mainTerm: 5,
      backupTerms: [4],
      sourceNodeId: 'backup',
      mergeIndex: 40,
      openedAtMs: 1000,
    };
    const resolved = {
      ...incident,
      incidentId: 'incident-40-2',
      kind: 'INCIDENT_KIND_USAGE',
      resolvedAtMs: 2000,
      periodStartMs: 0,
      periodEndMs: 86_400_000,
    };
    const follower = await adminNode({ ListIncidents: () => notLeader(5) });
    const main = await adminNode({
      ListIncidents: (request) => ({
        response: {
          header: header(5, 'main'),
          incidents: (request as { openOnly: boolean }).openOnly ? [incident] : [incident, resolved],
        },
      }),
    });
    const client = admin([follower.address, main.address]);
    const open = await client.listIncidents({ openOnly: true });
    expect(open).to.deep.equal([
      {
        ...incident,
        kind: 'seats',
        resolvedAtMs: null,
        periodStartMs: null,
        periodEndMs: null,
        // Not sent by this server: an incident from before the over-grant record.
        startedAtMs: null,
        endedAtMs: null,
        grantTerms: [],
      },
    ]);
    const all = await client.listIncidents();
    expect(
      all.map((listed) => [listed.incidentId, listed.kind, listed.resolvedAtMs, listed.periodStartMs]),
    ).to.deep.equal([
      ['incident-40-1', 'seats', null, null],
      ['incident-40-2', 'usage', 2000, 0],
    ]);
    expect(main.callsOf('ListIncidents').map((call) => call.request)).to.deep.equal([
      { openOnly: true },
      { openOnly: false },
    ]);
  });

  it('passes UNIMPLEMENTED through as a final error', async () => {
    const main = await adminNode({});
    const client = admin([main.address]);
    let caught: unknown;
    try {
      await client.transferLeadership('backup');
    } catch (error) {
      caught = error;
    }
    expect(caught).to.include({
      code: 'unimplemented',
      retryable: false,
      grpcCode: grpc.status.UNIMPLEMENTED,
    });
    expect(main.calls).to.have.length(1);
  });

  it('refuses an empty licence id before sending anything', async () => {
    const client = admin(['127.0.0.1:1']);
    let caught: unknown;
    try {
      await client.getLicence('');
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(InvalidArgumentError);
  });
});

describe('admin request building', () => {
  it('completes a licence spec with defaults', () => {
    expect(completeLicenceSpec({ licenceId: 'x', product: 'P', seats: 1 })).to.deep.equal({
      licenceId: 'x',
      product: 'P',
      seats: 1,
      quota: null,
      validFromMs: 0,
      validUntilMs: 0,
      redundancy: false,
      features: {},
    });
  });

  it('maps licence changes to an UpdateLicence request', () => {
    expect(updateRequest('r1', 'x', {})).to.deep.equal({ requestId: 'r1', licenceId: 'x' });
    expect(
      updateRequest('r2', 'x', {
        product: 'Q',
        quota: { units: 5, period: 'week' },
        validFromMs: 1,
        validUntilMs: 2,
        redundancy: false,
      }),
    ).to.deep.equal({
      requestId: 'r2',
      licenceId: 'x',
      product: 'Q',
      quota: { units: 5, period: 'PERIOD_WEEK' },
      validFromMs: 1,
      validUntilMs: 2,
      redundancy: false,
    });
  });
});
