// Who may call what, against real tandemd processes over real TLS (witness mode: a client port, a
// peer port and the witness's port). Every method of every service is called with every kind of
// caller: no credentials, a certificate from another CA, an expired certificate, a bearer token,
// and a certificate of each role. Refused calls get UNAUTHENTICATED or PERMISSION_DENIED (or, on
// the peer port, which requires a node certificate in the handshake, no connection at all) and
// change nothing; allowed calls get past the guard.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  call,
  type IssuedFiles,
  rawClients,
  rawClusterId,
  removeDirectory,
  signTestLicence,
  TandemdTrio,
  TestPki,
  temporaryDirectory,
  waitForEqualState,
  waitForLeader,
} from '@tandem/testkit';
import { loadTandemProto } from '@tandem/wire';
import { expect } from 'chai';

const TOKEN = 'operator-token-for-the-security-matrix-0123456789';
const TOKEN_SHA256 = createHash('sha256').update(TOKEN).digest('hex');

type Port = 'client' | 'peer' | 'witness';
type Caller =
  | 'none'
  | 'wrong-ca'
  | 'expired'
  | 'token:operator'
  | 'workstation'
  | 'viewer'
  | 'operator'
  | 'admin'
  | 'node';

const CALLERS: readonly Caller[] = [
  'none',
  'wrong-ca',
  'expired',
  'token:operator',
  'workstation',
  'viewer',
  'operator',
  'admin',
  'node',
];

/** The roles that may call each method: the table of docs/security.md, written out again here. */
const ALLOWED: Record<string, Record<string, readonly string[]>> = {
  WorkstationService: {
    AcquireLease: ['workstation', 'admin'],
    RenewLease: ['workstation', 'admin'],
    ReleaseLease: ['workstation', 'admin'],
    ReportUsage: ['workstation', 'admin'],
    GetLicence: ['workstation', 'admin'],
  },
  AdminService: {
    ActivateLicence: ['admin'],
    UpdateLicence: ['admin'],
    DeactivateLicence: ['operator', 'admin'],
    ListLicences: ['viewer', 'operator', 'admin'],
    GetLicence: ['viewer', 'operator', 'admin'],
    ListLeases: ['viewer', 'operator', 'admin'],
    RevokeLease: ['operator', 'admin'],
    GetUsage: ['viewer', 'operator', 'admin'],
    ClusterStatus: ['viewer', 'operator', 'admin'],
    TransferLeadership: ['operator', 'admin'],
    DrainNode: ['admin'],
    UndrainNode: ['admin'],
    Snapshot: ['operator', 'admin'],
    Verify: ['viewer', 'operator', 'admin'],
    ListIncidents: ['viewer', 'operator', 'admin'],
    ListAudit: ['viewer', 'operator', 'admin'],
    GetReport: ['viewer', 'operator', 'admin'],
  },
  PeerService: {
    AppendEntries: ['node'],
    AppendEntriesStream: ['node'],
    RequestVote: ['node'],
    InstallSnapshot: ['node'],
    TimeoutNow: ['node'],
    MergeOffer: ['node'],
  },
  WitnessService: {
    RequestVote: ['node'],
    RecordInSync: ['node'],
    Heartbeat: ['node'],
    GetState: ['node'],
  },
};

interface Outcome {
  code: grpc.status;
  details: string;
}

/** The role a caller has, if it has one the server can verify. */
function roleOf(caller: Caller): string | null {
  if (caller === 'token:operator') return 'operator';
  if (caller === 'none' || caller === 'wrong-ca' || caller === 'expired') return null;
  return caller;
}

/** What the guard must answer; null when the call must get past it. */
function expectedRefusal(port: Port, service: string, method: string, caller: Caller): grpc.status | null {
  const hasCertificate = caller !== 'none' && caller !== 'token:operator';
  const verified = roleOf(caller) !== null && caller !== 'token:operator';
  // The peer port's handshake wants a certificate that chains to the cluster CA.
  if (port === 'peer' && !(hasCertificate && verified)) return grpc.status.UNAVAILABLE;
  const role = roleOf(caller);
  if (role === null) return grpc.status.UNAUTHENTICATED;
  const allowed = ALLOWED[service]?.[method] ?? [];
  return allowed.includes(role) ? null : grpc.status.PERMISSION_DENIED;
}

describe('security: every method × every caller, over real TLS', function () {
  this.timeout(180_000);
  let directory: string;
  let trio: TandemdTrio;
  let pki: TestPki;
  let otherCa: TestPki;
  const credentials = new Map<Caller, grpc.ChannelCredentials>();

  const sslCredentials = async (caFile: string, files: IssuedFiles | null) =>
    grpc.credentials.createSsl(
      await readFile(caFile),
      files === null ? null : await readFile(files.key),
      files === null ? null : await readFile(files.cert),
    );

  before(async () => {
    directory = await temporaryDirectory('tandem-security-');
    pki = await TestPki.create(path.join(directory, 'pki'));
    otherCa = await TestPki.create(path.join(directory, 'other-pki'));
    trio = await TandemdTrio.start({
      directory,
      pki,
      overrides: { auth: { tokens: [{ name: 'ops-bot', role: 'operator', sha256: TOKEN_SHA256 }] } },
    });
    await waitForLeader(trio.access, trio.servers, 20_000, (leader) => leader.id === 'main');
    const setup = rawClients(trio.address('main'), trio.access);
    await call(setup.admin, setup.admin.ActivateLicence, {
      requestId: 'security-setup-1',
      licenceFile: Buffer.from(
        signTestLicence(
          { licenceId: 'cad', product: 'CAD', seats: 4, redundancy: true },
          await rawClusterId(setup.admin),
        ),
      ),
    });
    setup.close();
    credentials.set('none', await sslCredentials(pki.caFile, null));
    // Trusts the right CA for the server, but presents a certificate from another CA.
    credentials.set(
      'wrong-ca',
      await sslCredentials(pki.caFile, await otherCa.certificate('admin', 'admin')),
    );
    const dayMs = 24 * 3_600_000;
    const expired = await pki.issueExtra('expired-admin', 'admin', 'expired-admin', {
      notBefore: new Date(Date.now() - 3 * dayMs),
      notAfter: new Date(Date.now() - dayMs),
    });
    credentials.set('expired', await sslCredentials(pki.caFile, expired));
    credentials.set(
      'token:operator',
      grpc.credentials.combineChannelCredentials(
        await sslCredentials(pki.caFile, null),
        grpc.credentials.createFromMetadataGenerator((_options, callback) => {
          const metadata = new grpc.Metadata();
          metadata.set('authorization', `Bearer ${TOKEN}`);
          callback(null, metadata);
        }),
      ),
    );
    for (const role of ['workstation', 'viewer', 'operator', 'admin'] as const) {
      credentials.set(role, await sslCredentials(pki.caFile, await pki.certificate(role, `${role}-1`)));
    }
    credentials.set('node', await sslCredentials(pki.caFile, await pki.node('main')));
  });

  after(async () => {
    await trio?.stop();
    await removeDirectory(directory);
  });

  function address(port: Port): string {
    if (port === 'client') return trio.address('backup');
    if (port === 'peer') return trio.peerAddress('backup');
    return trio.address('witness');
  }

  function client(port: Port, service: string, caller: Caller): grpc.Client {
    const proto = loadTandemProto().tandem.v1 as unknown as Record<string, grpc.ServiceClientConstructor>;
    const Constructor = proto[service];
    if (Constructor === undefined) throw new Error(`no service ${service}`);
    const creds = credentials.get(caller);
    if (creds === undefined) throw new Error(`no credentials for ${caller}`);
    return new Constructor(address(port), creds, { 'grpc.ssl_target_name_override': 'localhost' });
  }

  /** Calls one method with an empty request and reports the status it ends with. */
  function invoke(target: grpc.Client, service: string, method: string): Promise<Outcome> {
    const definition = (
      loadTandemProto().tandem.v1 as unknown as Record<string, grpc.ServiceClientConstructor>
    )[service]?.service[method];
    if (definition === undefined) throw new Error(`no method ${service}/${method}`);
    const deadline = Date.now() + 5000;
    const stub = target as unknown as Record<string, (...args: unknown[]) => unknown>;
    const fn = stub[method];
    if (fn === undefined) throw new Error(`no stub for ${method}`);
    return new Promise((resolve) => {
      const done = (error: grpc.ServiceError | null) =>
        resolve(
          error === null
            ? { code: grpc.status.OK, details: '' }
            : { code: error.code, details: error.details },
        );
      if (!definition.requestStream && !definition.responseStream) {
        fn.call(target, {}, new grpc.Metadata(), { deadline }, done);
      } else if (definition.requestStream && !definition.responseStream) {
        const stream = fn.call(
          target,
          new grpc.Metadata(),
          { deadline },
          done,
        ) as grpc.ClientWritableStream<unknown>;
        stream.write({});
        stream.end();
      } else {
        const stream = fn.call(target, new grpc.Metadata(), { deadline }) as grpc.ClientDuplexStream<
          unknown,
          unknown
        >;
        let settled = false;
        const settle = (outcome: Outcome) => {
          if (settled) return;
          settled = true;
          stream.cancel();
          resolve(outcome);
        };
        stream.on('data', () => settle({ code: grpc.status.OK, details: 'answered' }));
        stream.on('error', (error: grpc.ServiceError) =>
          settle({ code: error.code, details: error.details }),
        );
        stream.on('end', () => settle({ code: grpc.status.OK, details: 'ended' }));
        stream.write({ sequence: 1, request: {} });
      }
    });
  }

  const cells = (port: Port): { service: string; method: string }[] => {
    const services =
      port === 'client'
        ? ['WorkstationService', 'AdminService']
        : port === 'peer'
          ? ['PeerService']
          : ['WitnessService'];
    const proto = loadTandemProto().tandem.v1 as unknown as Record<string, grpc.ServiceClientConstructor>;
    return services.flatMap((service) =>
      Object.keys(proto[service]?.service ?? {}).map((method) => ({ service, method })),
    );
  };

  it('covers every method the proto defines', () => {
    for (const port of ['client', 'peer', 'witness'] as const) {
      for (const { service, method } of cells(port)) {
        expect(ALLOWED[service]?.[method], `${service}/${method} has no expected roles`).to.be.an('array');
      }
    }
  });

  it('refuses every call the caller may not make, and nothing changes', async () => {
    const before = await waitForEqualState(trio.access, trio.servers, 10_000);
    const failures: string[] = [];
    let refused = 0;
    for (const port of ['client', 'peer', 'witness'] as const) {
      for (const caller of CALLERS) {
        const clients = new Map<string, grpc.Client>();
        for (const { service, method } of cells(port)) {
          const expected = expectedRefusal(port, service, method, caller);
          if (expected === null) continue;
          let target = clients.get(service);
          if (target === undefined) {
            target = client(port, service, caller);
            clients.set(service, target);
          }
          const outcome = await invoke(target, service, method);
          refused += 1;
          if (outcome.code !== expected) {
            failures.push(
              `${port} ${service}/${method} as ${caller}: ${grpc.status[outcome.code]} (${outcome.details}), expected ${grpc.status[expected]}`,
            );
          }
          if (expected === grpc.status.PERMISSION_DENIED && !/needs the role/.test(outcome.details)) {
            failures.push(
              `${port} ${service}/${method} as ${caller}: the refusal does not name the role needed`,
            );
          }
        }
        for (const target of clients.values()) target.close();
      }
    }
    expect(failures).to.deep.equal([]);
    expect(refused).to.be.greaterThan(150);
    const after = await waitForEqualState(trio.access, trio.servers, 10_000);
    expect(after.map((node) => node.stateHash)).to.deep.equal(before.map((node) => node.stateHash));
    expect(after[0]?.appliedIndex).to.equal(before[0]?.appliedIndex);
  });

  it('lets every allowed caller past the guard', async () => {
    const failures: string[] = [];
    for (const port of ['client', 'peer', 'witness'] as const) {
      for (const caller of CALLERS) {
        for (const { service, method } of cells(port)) {
          if (expectedRefusal(port, service, method, caller) !== null) continue;
          // Leadership moves would disturb the rest of the matrix; the guard is what is tested.
          if (method === 'TransferLeadership' || method === 'TimeoutNow') continue;
          const target = client(port, service, caller);
          const outcome = await invoke(target, service, method);
          target.close();
          const refusedByGuard =
            outcome.code === grpc.status.UNAUTHENTICATED ||
            (outcome.code === grpc.status.PERMISSION_DENIED && /needs the role/.test(outcome.details));
          if (refusedByGuard) failures.push(`${port} ${service}/${method} as ${caller}: ${outcome.details}`);
        }
      }
    }
    expect(failures).to.deep.equal([]);
  });

  it('refuses a peer message that names another sender than its certificate', async () => {
    const before = await waitForEqualState(trio.access, trio.servers, 10_000);
    const leader = await waitForLeader(trio.access, trio.servers, 5000);
    const proto = loadTandemProto().tandem.v1;
    // The witness's certificate against the backup's peer port: a node certificate is needed.
    const asWitness = new proto.PeerService(
      trio.peerAddress('backup'),
      await sslCredentials(pki.caFile, await pki.witness('witness')),
    );
    const denied = await invoke(asWitness, 'PeerService', 'RequestVote');
    asWitness.close();
    expect(denied.code).to.equal(grpc.status.PERMISSION_DENIED);
    // main's certificate, claiming to be the backup, to the backup and to the witness.
    const mainCredentials = credentials.get('node') as grpc.ChannelCredentials;
    const peer = new proto.PeerService(trio.peerAddress('backup'), mainCredentials);
    const forged = [
      call(peer, peer.RequestVote, {
        term: leader.term + 1,
        candidateId: 'backup',
        lastLogIndex: 1_000_000,
        lastLogTerm: leader.term,
      }),
      call(peer, peer.TimeoutNow, { term: leader.term, leaderId: 'backup' }),
      call(peer, peer.AppendEntries, {
        term: leader.term + 1,
        leaderId: 'witness',
        prevLogIndex: 0,
        prevLogTerm: 0,
        entries: [],
        leaderCommit: 0,
      }),
      call(peer, peer.MergeOffer, {
        term: leader.term,
        backupId: 'backup',
        stretchStartIndex: 1,
        firstIndex: 1,
        throughIndex: 1,
        entries: [],
      }),
    ];
    for (const attempt of forged) {
      const error = (await attempt.then(
        () => null,
        (failure: grpc.ServiceError) => failure,
      )) as grpc.ServiceError | null;
      expect(error?.code, error?.details).to.equal(grpc.status.PERMISSION_DENIED);
      expect(error?.details).to.match(/is not the sender/);
    }
    peer.close();
    const witness = new proto.WitnessService(trio.address('witness'), mainCredentials, {
      'grpc.ssl_target_name_override': 'localhost',
    });
    const witnessForgeries = [
      call(witness, witness.Heartbeat, { term: leader.term + 1, leaderId: 'backup', commitIndex: 0 }),
      call(witness, witness.RecordInSync, {
        term: leader.term,
        leaderId: 'backup',
        inSync: ['backup'],
        configurationIndex: 1,
      }),
      call(witness, witness.RequestVote, {
        term: leader.term + 1,
        candidateId: 'backup',
        lastLogIndex: 1_000_000,
        lastLogTerm: leader.term,
      }),
    ];
    for (const attempt of witnessForgeries) {
      const error = (await attempt.then(
        () => null,
        (failure: grpc.ServiceError) => failure,
      )) as grpc.ServiceError | null;
      expect(error?.code, error?.details).to.equal(grpc.status.PERMISSION_DENIED);
    }
    witness.close();
    const after = await waitForLeader(trio.access, trio.servers, 5000);
    expect(after.id).to.equal(leader.id);
    expect(after.term).to.equal(leader.term);
    const state = await waitForEqualState(trio.access, trio.servers, 10_000);
    expect(state.map((node) => node.stateHash)).to.deep.equal(before.map((node) => node.stateHash));
  });

  it('keeps reflection off and health open to anyone', async () => {
    const reflection = new grpc.Client(trio.address('main'), await sslCredentials(pki.caFile, null));
    const reflected = await new Promise<grpc.ServiceError | null>((resolve) => {
      const stream = reflection.makeBidiStreamRequest(
        '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
        (value: Buffer) => value,
        (value: Buffer) => value,
      );
      stream.on('error', (error: grpc.ServiceError) => resolve(error));
      stream.on('data', () => resolve(null));
      stream.write(Buffer.from([0x3a, 0x01, 0x2a]));
    });
    reflection.close();
    expect(reflected?.code).to.equal(grpc.status.UNIMPLEMENTED);
    const health = new grpc.Client(trio.address('main'), await sslCredentials(pki.caFile, null));
    const answer = await new Promise<grpc.ServiceError | Buffer>((resolve) => {
      health.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        (value: Buffer) => value,
        (value: Buffer) => value,
        Buffer.alloc(0),
        (error, value) => resolve(error ?? (value as Buffer)),
      );
    });
    health.close();
    expect(answer).to.be.instanceOf(Buffer);
  });

  it('answers an undecodable request body with INVALID_ARGUMENT, not INTERNAL', async () => {
    const admin = new grpc.Client(trio.address('main'), credentials.get('admin') as grpc.ChannelCredentials);
    const error = await new Promise<grpc.ServiceError | null>((resolve) => {
      admin.makeUnaryRequest(
        '/tandem.v1.AdminService/GetLicence',
        (value: Buffer) => value,
        (value: Buffer) => value,
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
        (failure) => resolve(failure),
      );
    });
    admin.close();
    expect(error?.code).to.equal(grpc.status.INVALID_ARGUMENT);
  });

  it('lets a workstation act only as itself: another id, or another workstation lease, is PERMISSION_DENIED', async () => {
    // rawClients with the workstation's own certificate; the lease comes from ws-a.
    const admin = rawClients(trio.address('main'), trio.access);
    const leaseHolder = rawClients(trio.address('main'), await pki.access('workstation', 'ws-a'));
    const intruder = rawClients(trio.address('main'), await pki.access('workstation', 'ws-b'));
    try {
      const licenceId = 'cad';
      const lease = await call(leaseHolder.workstation, leaseHolder.workstation.AcquireLease, {
        requestId: 'security-acquire-1',
        licenceId,
        workstationId: 'ws-a',
        ttlMs: 60_000,
      });
      const leaseId = lease.lease?.leaseId ?? '';
      const refusals = [
        call(intruder.workstation, intruder.workstation.AcquireLease, {
          requestId: 'security-acquire-2',
          licenceId,
          workstationId: 'ws-a',
          ttlMs: 60_000,
        }),
        call(intruder.workstation, intruder.workstation.RenewLease, {
          requestId: 'security-renew-1',
          leaseId,
          ttlMs: 1000,
        }),
        call(intruder.workstation, intruder.workstation.ReleaseLease, {
          requestId: 'security-release-1',
          leaseId,
        }),
        call(intruder.workstation, intruder.workstation.ReportUsage, {
          requestId: 'security-usage-1',
          licenceId,
          workstationId: 'ws-a',
          units: 1,
        }),
      ];
      for (const attempt of refusals) {
        const error = (await attempt.then(
          () => null,
          (failure: grpc.ServiceError) => failure,
        )) as grpc.ServiceError | null;
        expect(error?.code, error?.details).to.equal(grpc.status.PERMISSION_DENIED);
      }
      const still = await call(admin.admin, admin.admin.ListLeases, {});
      const held = still.leases.find((candidate) => candidate.leaseId === leaseId);
      expect(held?.ttlMs).to.equal(60_000);
      await call(leaseHolder.workstation, leaseHolder.workstation.ReleaseLease, {
        requestId: 'security-release-2',
        leaseId,
      });
    } finally {
      admin.close();
      leaseHolder.close();
      intruder.close();
    }
  });
});
