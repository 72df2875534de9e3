// The ways in, against a real tandemd: bearer tokens instead of certificates, client certificates
// required, per-identity rate limits, and the insecure mode with its warnings.
import { createHash } from 'node:crypto';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { AdminClient, connect, RateLimitedError, resolveSettings, TlsError } from '@tandem/client';
import {
  call,
  type LogLine,
  rawClients,
  rawClusterId,
  removeDirectory,
  runTandemctl,
  signTestLicence,
  TandemdProcess,
  TestPki,
  temporaryDirectory,
} from '@tandem/testkit';
import { expect } from 'chai';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const VIEWER_TOKEN = 'viewer-token-0123456789abcdef';
const WORKSTATION_TOKEN = 'workstation-token-0123456789abcdef';

async function errorOf(promise: Promise<unknown>): Promise<grpc.ServiceError | null> {
  return promise.then(
    () => null,
    (error: grpc.ServiceError) => error,
  );
}

describe('tokens, required client certificates and rate limits (real tandemd)', function () {
  this.timeout(120_000);
  let directory: string;
  let pki: TestPki;
  let node: TandemdProcess;

  before(async () => {
    directory = await temporaryDirectory('tandem-auth-modes-');
    pki = await TestPki.create(path.join(directory, 'pki'));
    node = await TandemdProcess.start({
      dataDir: path.join(directory, 'node'),
      pki,
      overrides: {
        auth: {
          tokens: [
            { name: 'monitoring', role: 'viewer', sha256: sha256(VIEWER_TOKEN) },
            { name: 'ws-token', role: 'workstation', sha256: sha256(WORKSTATION_TOKEN) },
          ],
        },
        limits: { workstationCallsPerSecond: 20, workstationCallBurst: 5 },
      },
    });
    const admin = rawClients(node.address, node.access);
    await call(admin.admin, admin.admin.ActivateLicence, {
      requestId: 'auth-modes-setup',
      licenceFile: Buffer.from(
        signTestLicence({ licenceId: 'cad', product: 'CAD', seats: 4 }, await rawClusterId(admin.admin)),
      ),
    });
    admin.close();
  });

  after(async () => {
    await node?.stop();
    await removeDirectory(directory);
  });

  it('takes a viewer token for reads, and refuses it a write with the role needed', async () => {
    const viewer = rawClients(node.address, { tls: { ca: pki.caFile }, token: VIEWER_TOKEN });
    try {
      const licences = await call(viewer.admin, viewer.admin.ListLicences, {});
      expect(licences.licences.map((licence) => licence.spec?.licenceId)).to.deep.equal(['cad']);
      const denied = await errorOf(
        call(viewer.admin, viewer.admin.DeactivateLicence, { requestId: 'viewer-1', licenceId: 'cad' }),
      );
      expect(denied?.code).to.equal(grpc.status.PERMISSION_DENIED);
      expect(denied?.details).to.match(/needs the role operator or admin/);
    } finally {
      viewer.close();
    }
    const stranger = rawClients(node.address, { tls: { ca: pki.caFile }, token: 'not-a-token-we-know' });
    const refused = await errorOf(call(stranger.admin, stranger.admin.ListLicences, {}));
    stranger.close();
    expect(refused?.code).to.equal(grpc.status.UNAUTHENTICATED);
  });

  it('lets a workstation token lease as itself only, through the client library', async () => {
    const client = await connect({
      servers: [node.address],
      tls: { ca: pki.caFile },
      token: WORKSTATION_TOKEN,
      workstationId: 'ws-token',
    });
    try {
      const lease = await client.acquire('cad', { ttlMs: 60_000 });
      expect(lease.lease.workstationId).to.equal('ws-token');
      await lease.release();
    } finally {
      client.close();
    }
    const impostor = await connect({
      servers: [node.address],
      tls: { ca: pki.caFile },
      token: WORKSTATION_TOKEN,
      workstationId: 'someone-else',
    });
    try {
      const error = await impostor.acquire('cad', { ttlMs: 60_000 }).then(
        () => null,
        (failure: Error & { code?: string }) => failure,
      );
      expect(error?.code).to.equal('permission_denied');
    } finally {
      impostor.close();
    }
  });

  it('rate-limits one workstation with RESOURCE_EXHAUSTED and the time to wait; the library waits and gets through', async () => {
    const raw = rawClients(node.address, await pki.access('workstation', 'ws-burst'));
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, () =>
        errorOf(call(raw.workstation, raw.workstation.GetLicence, { licenceId: 'cad' })),
      ),
    );
    raw.close();
    const limited = outcomes.filter((outcome) => outcome?.code === grpc.status.RESOURCE_EXHAUSTED);
    expect(limited.length).to.be.greaterThan(0);
    expect(limited[0]?.metadata.get('tandem-reason')).to.deep.equal(['rate_limited']);
    expect(Number(limited[0]?.metadata.get('tandem-retry-after-ms')[0])).to.be.greaterThan(0);
    // Another workstation is not held back by the first one's burst.
    const other = rawClients(node.address, await pki.access('workstation', 'ws-calm'));
    await call(other.workstation, other.workstation.GetLicence, { licenceId: 'cad' });
    other.close();
    // The library treats rate_limited as "wait and ask again", never as a rejection.
    const client = await connect(await node.settings('workstation', 'ws-library', { maxAttempts: 40 }));
    try {
      const reports = await Promise.all(Array.from({ length: 30 }, () => client.reportUsage('cad', 1)));
      expect(reports).to.have.length(30);
    } finally {
      client.close();
    }
    expect(RateLimitedError).to.be.a('function');
  });
});

describe('client certificates required on the client port (real tandemd)', function () {
  this.timeout(60_000);
  let directory: string;
  let node: TandemdProcess;

  before(async () => {
    directory = await temporaryDirectory('tandem-required-');
    node = await TandemdProcess.start({
      dataDir: path.join(directory, 'node'),
      overrides: {
        tls: { client: { clientCertificates: 'required' } },
        auth: { tokens: [{ name: 'ops', role: 'operator', sha256: sha256('ops-token-0123456789') }] },
      },
    });
  });

  after(async () => {
    await node?.stop();
    await removeDirectory(directory);
  });

  it('serves a client with a certificate and turns a token-only client away in the handshake', async () => {
    const pki = node.requirePki();
    const admin = new AdminClient(resolveSettings(await node.settings('viewer', 'viewer-1')));
    expect((await admin.nodeStatus(node.address)).nodes[0]?.security).to.equal('tls');
    admin.close();
    const tokenOnly = new AdminClient(
      resolveSettings({
        servers: [node.address],
        tls: { ca: pki.caFile },
        token: 'ops-token-0123456789',
        maxAttempts: 2,
        requestTimeoutMs: 2000,
      }),
    );
    const error = await tokenOnly.nodeStatus(node.address).then(
      () => null,
      (failure: Error) => failure,
    );
    tokenOnly.close();
    expect(error).to.not.equal(null);
  });

  it('turns away a client that does not trust the cluster CA with a TLS error, not a retry loop', async () => {
    const otherPki = await TestPki.create(path.join(directory, 'other'));
    const stranger = new AdminClient(
      resolveSettings(await otherPki.settings([node.address], 'admin', 'admin', { maxAttempts: 3 })),
    );
    const error = await stranger.nodeStatus(node.address).then(
      () => null,
      (failure: Error) => failure,
    );
    stranger.close();
    expect(error).to.be.instanceOf(TlsError);
  });
});

describe('insecure: true (real tandemd)', function () {
  this.timeout(60_000);
  let directory: string;
  let node: TandemdProcess;

  before(async () => {
    directory = await temporaryDirectory('tandem-insecure-');
    node = await TandemdProcess.start({ dataDir: path.join(directory, 'node'), insecure: true });
  });

  after(async () => {
    await node?.stop();
    await removeDirectory(directory);
  });

  it('says so loudly: a warning at start, and in tandemctl status', async () => {
    const warning = await node.waitForLog(
      (line: LogLine) => line.level === 'warn' && line.message.startsWith('INSECURE'),
      5000,
    );
    expect(warning.message).to.match(/without TLS and without authentication/);
    const status = await runTandemctl([...(await node.tandemctlArgs()), 'status']);
    expect(status.code).to.equal(0);
    expect(status.stdout).to.match(/WARNING: INSECURE: main runs without TLS/);
    const json = await runTandemctl([...(await node.tandemctlArgs()), 'status', '--json']);
    expect(JSON.parse(json.stdout).nodes[0].security).to.equal('insecure');
  });

  it('refuses a configuration that asks for both insecure and tls, naming the field', async () => {
    const { parseConfig, ConfigError } = await import('@tandem/server');
    try {
      parseConfig(
        {
          node: { id: 'x', listen: '127.0.0.1:1', dataDir: path.join(directory, 'x') },
          insecure: true,
          tls: { ca: 'a' },
        },
        directory,
      );
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as InstanceType<typeof ConfigError>).field).to.equal('tls');
    }
  });
});

describe('limits.maxConnections (real tandemd)', function () {
  this.timeout(60_000);
  let directory: string;
  let node: TandemdProcess;

  before(async () => {
    directory = await temporaryDirectory('tandem-connections-');
    node = await TandemdProcess.start({
      dataDir: path.join(directory, 'node'),
      overrides: { limits: { maxConnections: 4 } },
    });
  });

  after(async () => {
    await node?.stop();
    await removeDirectory(directory);
  });

  it('refuses connections past the cap, and serves again once they close', async () => {
    const { connect: tlsConnect } = await import('node:tls');
    const { readFile } = await import('node:fs/promises');
    const ca = await readFile(node.requirePki().caFile);
    const port = node.port;
    const open = () =>
      new Promise<{ socket: import('node:tls').TLSSocket; ok: boolean }>((resolve) => {
        const socket = tlsConnect({
          host: '127.0.0.1',
          port,
          ca,
          servername: 'localhost',
          ALPNProtocols: ['h2'],
        });
        socket.once('secureConnect', () => resolve({ socket, ok: true }));
        socket.once('error', () => resolve({ socket, ok: false }));
        socket.once('close', () => resolve({ socket, ok: false }));
      });
    const sockets = [];
    for (let count = 0; count < 6; count += 1) sockets.push(await open());
    expect(sockets.filter((entry) => entry.ok).length).to.equal(4);
    for (const entry of sockets) entry.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const admin = rawClients(node.address, node.access);
    await call(admin.admin, admin.admin.ClusterStatus, {});
    admin.close();
  });
});
