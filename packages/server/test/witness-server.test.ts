// The witness's tandemd over real gRPC on 127.0.0.1 with real LevelDB: votes, heartbeats and
// records are answered after they are durable and survive a restart; malformed requests and
// strangers are refused; AdminService answers ClusterStatus and nothing else. Its one port is TLS;
// the data nodes call it with their node certificates (mutual TLS), the operator with an admin's.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type {
  AdminServiceClient,
  ClusterStatusResponse__Output,
  ListLicencesResponse__Output,
  RecordInSyncResponse__Output,
  RequestVoteResponse__Output,
  WitnessHeartbeatResponse__Output,
  WitnessServiceClient,
  WitnessStateResponse__Output,
} from '@tandem/wire';
import { FIELD_KEY, loadTandemProto, metadataValue } from '@tandem/wire';
import { expect } from 'chai';
import { parseConfig, type TandemConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { freePort } from '../src/ports.js';
import { WitnessServer } from '../src/witness-server.js';
import { ServerTestPki } from './test-pki.js';

const TICK_MS = 5;
const FAILOVER_TIMEOUT_MS = 100;
const HEARTBEAT_MS = 20;

function call<Response>(
  start: (options: grpc.CallOptions, callback: grpc.requestCallback<Response>) => unknown,
): Promise<{ error: grpc.ServiceError | null; response: Response | undefined }> {
  return new Promise((resolve) => {
    start({ deadline: Date.now() + 2000 }, (error, response) => resolve({ error, response }));
  });
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe('witness server (real gRPC and LevelDB)', function () {
  this.timeout(30_000);
  let directory: string;
  let config: TandemConfig;
  let server: WitnessServer | null = null;
  let pki: ServerTestPki;
  /** A WitnessService client per node certificate: main, backup, and mallory (not a member). */
  const witnesses = new Map<string, WitnessServiceClient>();
  let admin: AdminServiceClient;
  const witnessAs = (nodeId: string) => {
    const client = witnesses.get(nodeId);
    if (client === undefined) throw new Error(`no client with the certificate of ${nodeId}`);
    return client;
  };
  before(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'tandem-witness-server-'));
    pki = await ServerTestPki.create(path.join(directory, 'pki'));
    const port = await freePort();
    config = parseConfig(
      {
        node: {
          id: 'witness',
          role: 'witness',
          listen: `127.0.0.1:${port}`,
          dataDir: path.join(directory, 'w'),
        },
        cluster: {
          mode: 'witness',
          nodes: [
            { id: 'main', role: 'main', address: '127.0.0.1:1', peerAddress: '127.0.0.1:3' },
            { id: 'backup', role: 'backup', address: '127.0.0.1:2', peerAddress: '127.0.0.1:4' },
            { id: 'witness', role: 'witness', address: `127.0.0.1:${port}` },
          ],
        },
        tls: await pki.tls('witness', 'witness'),
        timing: {
          tickIntervalMs: TICK_MS,
          failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
          heartbeatIntervalMs: HEARTBEAT_MS,
        },
        log: { level: 'error' },
      },
      directory,
    );
    const proto = loadTandemProto();
    const expected = { role: 'witness', name: 'witness' } as const;
    for (const id of ['main', 'backup', 'mallory']) {
      witnesses.set(
        id,
        new proto.tandem.v1.WitnessService(`127.0.0.1:${port}`, await pki.credentials('node', id, expected)),
      );
    }
    admin = new proto.tandem.v1.AdminService(
      `127.0.0.1:${port}`,
      await pki.credentials('admin', 'admin', expected),
    );
  });

  after(async () => {
    for (const client of witnesses.values()) client.close();
    admin?.close();
    await server?.stop();
    pki.close();
    await rm(directory, { recursive: true, force: true });
  });

  async function start(): Promise<WitnessServer> {
    server = await WitnessServer.start(config, createLogger('error', 'witness'));
    // Past the lease the witness keeps after a start (ticks may come late on a busy machine).
    const deadline = Date.now() + 20 * FAILOVER_TIMEOUT_MS;
    while (server.status().leaderLeaseRemainingTicks > 0 && Date.now() < deadline) await sleep(TICK_MS);
    expect(server.status().leaderLeaseRemainingTicks).to.equal(0);
    return server;
  }

  // Each vote request comes from the node it names, as a data node's would.
  const requestVote = (candidateId: string, term: number, lastLogIndex: number, preVote = false) =>
    call<RequestVoteResponse__Output>((options, callback) =>
      witnessAs(candidateId).RequestVote(
        // Index 0 has term 0; any later one a term of at least 1.
        {
          term,
          candidateId,
          lastLogIndex,
          lastLogTerm: lastLogIndex === 0 ? 0 : 1,
          preVote,
          leadershipTransfer: false,
        },
        options,
        callback,
      ),
    );

  it('grants one vote per term, and keeps it across a restart', async () => {
    await start();
    const granted = await requestVote('main', 1, 0);
    expect(granted.error).to.equal(null);
    expect(granted.response).to.deep.include({ voteGranted: true });
    expect(granted.response?.header).to.deep.include({ nodeId: 'witness', term: 1, role: 'ROLE_WITNESS' });
    await server?.stop();
    server = null;
    await start();
    const refused = await requestVote('backup', 1, 10);
    expect(refused.response).to.deep.include({ voteGranted: false });
    const state = await call<WitnessStateResponse__Output>((options, callback) =>
      witnessAs('main').GetState({}, options, callback),
    );
    expect(state.response).to.deep.include({ term: 1, votedFor: 'main', lastAcknowledgedIndex: 0 });
  });

  it('takes a leader heartbeat and its commit index, and records the in-sync set durably', async () => {
    const heartbeat = await call<WitnessHeartbeatResponse__Output>((options, callback) =>
      witnessAs('main').Heartbeat(
        {
          term: 1,
          leaderId: 'main',
          commitIndex: 12,
        },
        options,
        callback,
      ),
    );
    expect(heartbeat.response).to.deep.include({ success: true });
    const recorded = await call<RecordInSyncResponse__Output>((options, callback) =>
      witnessAs('main').RecordInSync(
        {
          term: 1,
          leaderId: 'main',
          inSync: ['main'],
          configurationIndex: 13,
          acknowledgedIndex: 12,
        },
        options,
        callback,
      ),
    );
    expect(recorded.response).to.deep.include({ accepted: true });
    await server?.stop();
    server = null;
    await start();
    const state = await call<WitnessStateResponse__Output>((options, callback) =>
      witnessAs('main').GetState({}, options, callback),
    );
    expect(state.response).to.deep.include({ term: 1, inSync: ['main'], lastAcknowledgedIndex: 12 });
    // The backup is out of the recorded set now: no vote, whatever its log.
    expect((await requestVote('backup', 2, 100)).response).to.deep.include({ voteGranted: false });
    expect((await requestVote('main', 2, 12)).response).to.deep.include({ voteGranted: true });
  });

  it('refuses strangers and malformed records, naming the field', async () => {
    // mallory has a node certificate from the CA, but is not a data node of this cluster.
    const stranger = await call<RequestVoteResponse__Output>((options, callback) =>
      witnessAs('mallory').RequestVote(
        { term: 3, candidateId: 'mallory', lastLogIndex: 100, lastLogTerm: 0, preVote: false },
        options,
        callback,
      ),
    );
    expect(stranger.error?.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(metadataValue(stranger.error?.metadata, FIELD_KEY)).to.equal('candidate_id');
    const outsider = await call<RecordInSyncResponse__Output>((options, callback) =>
      witnessAs('main').RecordInSync(
        {
          term: 2,
          leaderId: 'main',
          inSync: ['backup'],
          configurationIndex: 20,
          acknowledgedIndex: 0,
        },
        options,
        callback,
      ),
    );
    expect(outsider.error?.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(metadataValue(outsider.error?.metadata, FIELD_KEY)).to.equal('in_sync');
    const empty = await call<RecordInSyncResponse__Output>((options, callback) =>
      witnessAs('main').RecordInSync({ term: 2, leaderId: 'main', inSync: [] }, options, callback),
    );
    expect(empty.error?.code).to.equal(grpc.status.INVALID_ARGUMENT);
    const badHeartbeat = await call<WitnessHeartbeatResponse__Output>((options, callback) =>
      witnessAs('main').Heartbeat(
        {
          term: 2,
          leaderId: '',
          commitIndex: 1,
        },
        options,
        callback,
      ),
    );
    expect(badHeartbeat.error?.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(metadataValue(badHeartbeat.error?.metadata, FIELD_KEY)).to.equal('leader_id');
  });

  it('refuses a node that speaks for another, and any caller without a node certificate', async () => {
    const forged = await call<RequestVoteResponse__Output>((options, callback) =>
      witnessAs('backup').RequestVote(
        { term: 3, candidateId: 'main', lastLogIndex: 100, lastLogTerm: 0, preVote: false },
        options,
        callback,
      ),
    );
    expect(forged.error?.code).to.equal(grpc.status.PERMISSION_DENIED);
    expect(metadataValue(forged.error?.metadata, FIELD_KEY)).to.equal('candidate_id');
    const proto = loadTandemProto();
    const asAdmin: WitnessServiceClient = new proto.tandem.v1.WitnessService(
      server?.address ?? '',
      await pki.credentials('admin', 'admin', { role: 'witness', name: 'witness' }),
    );
    try {
      const denied = await call<WitnessHeartbeatResponse__Output>((options, callback) =>
        asAdmin.Heartbeat({ term: 3, leaderId: 'main', commitIndex: 1 }, options, callback),
      );
      expect(denied.error?.code).to.equal(grpc.status.PERMISSION_DENIED);
    } finally {
      asAdmin.close();
    }
    const state = await call<WitnessStateResponse__Output>((options, callback) =>
      witnessAs('main').GetState({}, options, callback),
    );
    // Neither refused call moved the witness's term.
    expect(state.response?.term).to.equal(2);
  });

  it('answers ClusterStatus as a witness and refuses every ledger call', async () => {
    const status = await call<ClusterStatusResponse__Output>((options, callback) =>
      admin.ClusterStatus({}, options, callback),
    );
    expect(status.error).to.equal(null);
    const [self, ...peers] = status.response?.nodes ?? [];
    expect(self).to.deep.include({
      id: 'witness',
      role: 'ROLE_WITNESS',
      state: 'NODE_STATE_FOLLOWER',
      term: 2,
    });
    expect(peers.map((peer) => peer.id).sort()).to.deep.equal(['backup', 'main']);
    expect(status.response?.leaderId).to.equal('');
    const listing = await call<ListLicencesResponse__Output>((options, callback) =>
      admin.ListLicences({}, options, callback),
    );
    expect(listing.error?.code).to.equal(grpc.status.UNIMPLEMENTED);
  });
});
