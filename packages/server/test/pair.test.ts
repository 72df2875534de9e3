// Two Tandemd instances in one process, with real gRPC on 127.0.0.1 and real LevelDB directories:
// election, replication, follower refusals, failover with lease extension, the redundancy rule,
// catch-up through a snapshot stream and leadership transfer. Secure as deployed: each node has a
// client port and a peer port, both TLS, the peer port mutual TLS with node certificates from the
// test's cluster CA; the test's clients come with an admin certificate.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type {
  AdminServiceClient,
  ClusterStatusResponse__Output,
  LeaseResponse__Output,
  LicenceResponse__Output,
  ListLeasesResponse__Output,
  PeerServiceClient,
  SnapshotResponse__Output,
  TransferLeadershipResponse__Output,
  VerifyResponse__Output,
  WorkstationServiceClient,
} from '@tandem/wire';
import { FIELD_KEY, LEADER_ADDRESS_KEY, LEADER_ID_KEY, loadTandemProto, metadataValue } from '@tandem/wire';
import { expect } from 'chai';
import { service as healthService } from 'grpc-health-check';
import { parseConfig, type TandemConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { freePort } from '../src/ports.js';
import { Tandemd } from '../src/tandemd.js';
import { licensingConfig, signedLicenceFile } from './licence-files.js';
import { ServerTestPki, type TlsPaths } from './test-pki.js';

type Role = 'main' | 'backup';

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

type Callback<Response> = (error: grpc.ServiceError | null, response?: Response) => void;

function call<Response>(invoke: (callback: Callback<Response>) => void): Promise<Response> {
  return new Promise((resolve, reject) =>
    invoke((error, response) => {
      if (error !== null || response === undefined) reject(error ?? new Error('no response'));
      else resolve(response);
    }),
  );
}

async function callError(invoke: (callback: Callback<unknown>) => void): Promise<grpc.ServiceError> {
  try {
    await call(invoke);
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await sleep(20);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

describe('a main and a backup in one process (real gRPC, real LevelDB)', function () {
  this.timeout(30_000);
  let directory: string;
  let pki: ServerTestPki;
  const tls = new Map<Role, TlsPaths>();
  const ports: Record<Role, number> = { main: 0, backup: 0 };
  const peerPorts: Record<Role, number> = { main: 0, backup: 0 };
  const nodes = new Map<Role, Tandemd>();
  const admins = new Map<Role, AdminServiceClient>();
  const workstations = new Map<Role, WorkstationServiceClient>();
  const proto = loadTandemProto();
  const address = (role: Role) => `127.0.0.1:${ports[role]}`;
  const peerAddress = (role: Role) => `127.0.0.1:${peerPorts[role]}`;
  const admin = (role: Role) => admins.get(role) as AdminServiceClient;
  const workstation = (role: Role) => workstations.get(role) as WorkstationServiceClient;
  const node = (role: Role) => {
    const found = nodes.get(role);
    if (found === undefined) throw new Error(`${role} is not running`);
    return found;
  };

  function configFor(role: Role): TandemConfig {
    return parseConfig({
      node: { id: role, role, listen: address(role), dataDir: path.join(directory, role) },
      cluster: {
        mode: 'pair',
        nodes: [
          { id: 'main', role: 'main', address: address('main'), peerAddress: peerAddress('main') },
          { id: 'backup', role: 'backup', address: address('backup'), peerAddress: peerAddress('backup') },
        ],
      },
      licensing: licensingConfig(),
      tls: tls.get(role),
      timing: { tickIntervalMs: 10, heartbeatIntervalMs: 50, failoverTimeoutMs: 500, startupGraceMs: 1000 },
      log: { level: 'error' },
    });
  }

  async function start(role: Role): Promise<Tandemd> {
    const tandemd = await Tandemd.start(
      configFor(role),
      createLogger((process.env.PAIR_LOG_LEVEL ?? 'error') as 'error', role),
    );
    nodes.set(role, tandemd);
    return tandemd;
  }

  async function stop(role: Role): Promise<void> {
    const tandemd = nodes.get(role);
    nodes.delete(role);
    await tandemd?.stop();
  }

  const verify = (role: Role, waitForIndex = 0) =>
    call<VerifyResponse__Output>((callback) => admin(role).Verify({ waitForIndex }, callback));

  async function waitForEqualState(timeoutMs: number): Promise<VerifyResponse__Output> {
    let last: VerifyResponse__Output[] = [];
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      last = await Promise.all([verify('main'), verify('backup')]);
      const [main, backup] = last;
      if (main !== undefined && backup !== undefined && main.stateHash === backup.stateHash) {
        if (main.appliedIndex === backup.appliedIndex) return main;
      }
      await sleep(20);
    }
    throw new Error(`the nodes did not converge: ${JSON.stringify(last)}`);
  }

  before(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'tandem-pair-'));
    pki = await ServerTestPki.create(path.join(directory, 'pki'));
    const adminCredentials = await pki.credentials('admin', 'admin');
    for (const role of ['main', 'backup'] as const) {
      ports[role] = await freePort();
      peerPorts[role] = await freePort();
      tls.set(role, await pki.tls('node', role));
    }
    for (const role of ['main', 'backup'] as const) {
      admins.set(role, new proto.tandem.v1.AdminService(address(role), adminCredentials));
      // The admin's certificate may act for any workstation; see identity.ts workstationOf.
      workstations.set(role, new proto.tandem.v1.WorkstationService(address(role), adminCredentials));
    }
    await Promise.all([start('main'), start('backup')]);
  });

  after(async () => {
    for (const client of [...admins.values(), ...workstations.values()]) client.close();
    await Promise.all([stop('main'), stop('backup')]);
    pki.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('elects main when both start', async () => {
    await waitFor(
      () => node('main').replica.isLeader() || node('backup').replica.isLeader(),
      5000,
      'an election',
    );
    expect(node('main').replica.isLeader()).to.equal(true);
    await waitFor(() => node('backup').replica.status().leaderId === 'main', 2000, 'backup following main');
  });

  /** The cluster id the main's ledger recorded (a random UUID: the configuration names none). */
  async function clusterId(): Promise<string> {
    let id = '';
    await waitFor(
      async () => {
        id = (
          await call<ClusterStatusResponse__Output>((callback) => admin('main').ClusterStatus({}, callback))
        ).clusterId;
        return id !== '';
      },
      5000,
      'the cluster id',
    );
    return id;
  }

  it('replicates a write to backup: both nodes verify the same state hash', async () => {
    const file = signedLicenceFile(
      { licenceId: 'cad', product: 'CAD', seats: 50, redundancy: true },
      await clusterId(),
    );
    const activated = await call<LicenceResponse__Output>((callback) =>
      admin('main').ActivateLicence({ requestId: 'activate-cad', licenceFile: Buffer.from(file) }, callback),
    );
    const index = activated.header?.appliedIndex ?? 0;
    expect(index).to.be.greaterThan(0);
    const [main, backup] = await Promise.all([verify('main', index), verify('backup', index)]);
    expect(backup.appliedIndex).to.equal(index);
    expect(backup.stateHash).to.equal(main.stateHash);
    expect(backup.header?.state).to.equal('NODE_STATE_FOLLOWER');
    const fromBackup = await call<ClusterStatusResponse__Output>((callback) =>
      admin('backup').ClusterStatus({}, callback),
    );
    expect(fromBackup.clusterId).to.equal(await clusterId());
  });

  it('a follower refuses writes with UNAVAILABLE and the leader in the metadata, and stays healthy', async () => {
    const error = await callError((callback) =>
      workstation('backup').AcquireLease(
        { requestId: 'on-backup', licenceId: 'cad', workstationId: 'ws-1', ttlMs: 10_000 },
        callback,
      ),
    );
    expect(error.code).to.equal(grpc.status.UNAVAILABLE);
    expect(metadataValue(error.metadata, LEADER_ADDRESS_KEY)).to.equal(address('main'));
    expect(metadataValue(error.metadata, LEADER_ID_KEY)).to.equal('main');
    const Health = grpc.makeGenericClientConstructor(healthService as grpc.ServiceDefinition, 'Health');
    // Health is open to a caller with no identity at all (TLS with the CA, no certificate).
    const health = new Health(address('backup'), pki.anonymousCredentials()) as unknown as grpc.Client & {
      Check(request: { service: string }, callback: Callback<{ status: string }>): void;
    };
    try {
      const answer = await call<{ status: string }>((callback) =>
        health.Check({ service: 'tandem.v1.WorkstationService' }, callback),
      );
      expect(answer.status).to.equal('SERVING');
    } finally {
      health.close();
    }
  });

  it('reports itself first and then its peer in ClusterStatus', async () => {
    const status = await call<ClusterStatusResponse__Output>((callback) =>
      admin('main').ClusterStatus({}, callback),
    );
    expect(status.leaderId).to.equal('main');
    expect(status.inSync).to.have.members(['main', 'backup']);
    expect(status.nodes.map((entry) => entry.id)).to.deep.equal(['main', 'backup']);
    const peer = status.nodes[1];
    expect(peer).to.deep.include({
      address: address('backup'),
      role: 'ROLE_BACKUP',
      state: 'NODE_STATE_FOLLOWER',
      inSync: true,
      reachable: true,
    });
    expect(peer?.term).to.equal(status.nodes[0]?.term);
    expect(peer?.lastContactMs).to.be.below(500);
    const fromBackup = await call<ClusterStatusResponse__Output>((callback) =>
      admin('backup').ClusterStatus({}, callback),
    );
    expect(fromBackup.nodes.map((entry) => [entry.id, entry.state])).to.deep.equal([
      ['backup', 'NODE_STATE_FOLLOWER'],
      ['main', 'NODE_STATE_LEADER'],
    ]);
  });

  it('refuses peer RPCs from a node that is not in the cluster', async () => {
    // A certificate from the cluster CA, for a node id the pair does not list.
    const peer: PeerServiceClient = new proto.tandem.v1.PeerService(
      peerAddress('backup'),
      await pki.credentials('node', 'intruder', { role: 'node', name: 'backup' }),
    );
    try {
      const error = await callError((callback) =>
        peer.AppendEntries(
          { term: 99, leaderId: 'intruder', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 },
          callback,
        ),
      );
      expect(error.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(metadataValue(error.metadata, FIELD_KEY)).to.equal('leader_id');
      // Speaking for main with another node's certificate: PERMISSION_DENIED, naming the field.
      const impostor = await callError((callback) =>
        peer.AppendEntries(
          { term: 99, leaderId: 'main', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 },
          callback,
        ),
      );
      expect(impostor.code).to.equal(grpc.status.PERMISSION_DENIED);
      expect(metadataValue(impostor.metadata, FIELD_KEY)).to.equal('leader_id');
      // The intruder's term did not reach the core.
      expect(node('backup').replica.status().term).to.be.below(99);
    } finally {
      peer.close();
    }
  });

  it('serves PeerService only on the peer port, and only to node certificates', async () => {
    const onClientPort: PeerServiceClient = new proto.tandem.v1.PeerService(
      address('backup'),
      await pki.credentials('admin', 'admin'),
    );
    const asAdmin: PeerServiceClient = new proto.tandem.v1.PeerService(
      peerAddress('backup'),
      await pki.credentials('admin', 'admin', { role: 'node', name: 'backup' }),
    );
    const append = {
      term: 99,
      leaderId: 'main',
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [],
      leaderCommit: 0,
    };
    try {
      const unimplemented = await callError((callback) => onClientPort.AppendEntries(append, callback));
      expect(unimplemented.code).to.equal(grpc.status.UNIMPLEMENTED);
      const denied = await callError((callback) => asAdmin.AppendEntries(append, callback));
      expect(denied.code).to.equal(grpc.status.PERMISSION_DENIED);
      expect(denied.details).to.contain('node');
      expect(node('backup').replica.status().term).to.be.below(99);
    } finally {
      onClientPort.close();
      asAdmin.close();
    }
  });

  it('refuses a transfer to an unknown node, naming to_node_id', async () => {
    const error = await callError((callback) =>
      admin('main').TransferLeadership({ toNodeId: 'nobody' }, callback),
    );
    expect(error.code).to.equal(grpc.status.NOT_FOUND);
    expect(metadataValue(error.metadata, FIELD_KEY)).to.equal('to_node_id');
  });

  it('main stops: backup leads, extends leases, and serves only redundant licences', async () => {
    const plainFile = signedLicenceFile(
      { licenceId: 'plain', product: 'Viewer', seats: 5, redundancy: false },
      await clusterId(),
    );
    await call((callback) =>
      admin('main').ActivateLicence(
        { requestId: 'activate-plain', licenceFile: Buffer.from(plainFile) },
        callback,
      ),
    );
    const lease = await call<LeaseResponse__Output>((callback) =>
      workstation('main').AcquireLease(
        { requestId: 'lease-1', licenceId: 'cad', workstationId: 'ws-1', ttlMs: 60_000 },
        callback,
      ),
    );
    const plainLease = await call<LeaseResponse__Output>((callback) =>
      workstation('main').AcquireLease(
        { requestId: 'lease-plain', licenceId: 'plain', workstationId: 'ws-2', ttlMs: 60_000 },
        callback,
      ),
    );
    const expiresBefore = lease.lease?.expiresAtMs ?? 0;
    await waitForEqualState(3000);
    await stop('main');
    await waitFor(() => node('backup').replica.isLeader(), 5000, 'backup taking over');

    // Every live lease was extended by the time the failover took.
    let leases: ListLeasesResponse__Output | null = null;
    await waitFor(
      async () => {
        leases = await call<ListLeasesResponse__Output>((callback) =>
          admin('backup').ListLeases({ licenceId: 'cad' }, callback),
        );
        return (leases.leases[0]?.expiresAtMs ?? 0) > expiresBefore;
      },
      3000,
      'the lease extension',
    );
    expect(leases).to.not.equal(null);

    const refused = await callError((callback) =>
      workstation('backup').AcquireLease(
        { requestId: 'plain-on-backup', licenceId: 'plain', workstationId: 'ws-3', ttlMs: 10_000 },
        callback,
      ),
    );
    expect(refused.code).to.equal(grpc.status.FAILED_PRECONDITION);
    expect(refused.details).to.match(/"plain" is not redundant/);
    // An existing lease on that licence is still renewed, and the redundant licence still serves.
    await call((callback) =>
      workstation('backup').RenewLease(
        { requestId: 'renew-plain', leaseId: plainLease.lease?.leaseId ?? '', ttlMs: 0 },
        callback,
      ),
    );
    await call((callback) =>
      workstation('backup').AcquireLease(
        { requestId: 'cad-on-backup', licenceId: 'cad', workstationId: 'ws-4', ttlMs: 10_000 },
        callback,
      ),
    );
  });

  it('main returns far behind, catches up through a snapshot stream and takes leadership back', async () => {
    // Enough writes on backup alone, then a snapshot that compacts away what main lacks.
    for (let usage = 0; usage < 30; usage += 1) {
      await call((callback) =>
        admin('backup').UpdateLicence(
          { requestId: `update-${usage}`, licenceId: 'cad', seats: 10 + usage },
          callback,
        ),
      );
    }
    const snapshot = await call<SnapshotResponse__Output>((callback) =>
      admin('backup').Snapshot({}, callback),
    );
    expect(snapshot.index).to.be.greaterThan(30);
    await start('main');
    await waitFor(() => node('main').replica.isLeader(), 10_000, 'main taking leadership back');
    const converged = await waitForEqualState(5000);
    expect(converged.appliedIndex).to.be.at.least(snapshot.index);
    expect(node('main').replica.status().snapshotIndex).to.be.at.least(snapshot.index);
    const licence = await call<LicenceResponse__Output>((callback) =>
      admin('main').GetLicence({ licenceId: 'cad' }, callback),
    );
    expect(licence.licence?.spec?.seats).to.equal(39);
  });

  it('hands leadership to the peer on request', async () => {
    const transferred = await call<TransferLeadershipResponse__Output>((callback) =>
      admin('main').TransferLeadership({ toNodeId: 'backup' }, callback),
    );
    expect(transferred.leaderId).to.equal('backup');
    // main is caught up and healthy, so the priority rule gives it leadership back.
    await waitFor(() => node('main').replica.isLeader(), 5000, 'main taking leadership back again');
    await waitForEqualState(3000);
  });
});
