// The certificates in real TLS: node:tls with client certificates required, then grpc-js, as the
// server uses them. Servers listen on 127.0.0.1 with an ephemeral port.
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import {
  type CertificateIdentity,
  type ClusterCa,
  createClusterCa,
  identityFromCertificate,
  issueCertificate,
  type PemPair,
} from '../src/index.js';

const DAY_MS = 24 * 60 * 60 * 1000;

interface TlsServer {
  port: number;
  /** What the server saw of every client whose handshake it let through. */
  accepted: { identity: CertificateIdentity | null; authorizationError: string | null }[];
  /** Handshakes the server refused. */
  refusals: Error[];
  close(): Promise<void>;
}

/**
 * A server that requires a client certificate from `caPem` and answers with the client's identity.
 * With `rejectUnauthorized: false` it lets every handshake through, to show why one would fail.
 */
async function startTlsServer(server: PemPair, caPem: string, rejectUnauthorized = true): Promise<TlsServer> {
  const accepted: TlsServer['accepted'] = [];
  const refusals: Error[] = [];
  const listener = tls.createServer(
    {
      key: server.privateKeyPem,
      cert: server.certificatePem,
      ca: caPem,
      requestCert: true,
      rejectUnauthorized,
    },
    (socket) => {
      const identity = identityFromCertificate(socket.getPeerCertificate());
      const authorizationError = socket.authorized ? null : String(socket.authorizationError);
      accepted.push({ identity, authorizationError });
      socket.end(JSON.stringify(identity));
    },
  );
  listener.on('tlsClientError', (error) => refusals.push(error));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  return {
    port: (listener.address() as AddressInfo).port,
    accepted,
    refusals,
    close: () => new Promise((resolve) => listener.close(() => resolve())),
  };
}

interface Outcome {
  answer: string;
  error: (Error & { code?: string }) | null;
}

/** Connects with `client` (or no certificate) and reads until the server closes or an error. */
function connect(port: number, host: string, caPem: string, client: PemPair | null): Promise<Outcome> {
  return new Promise((resolve) => {
    let answer = '';
    let error: Outcome['error'] = null;
    const socket = tls.connect({
      host,
      port,
      ca: caPem,
      ...(client === null ? {} : { key: client.privateKeyPem, cert: client.certificatePem }),
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('error', (caught) => {
      error ??= caught;
    });
    socket.on('close', () => resolve({ answer, error }));
  });
}

/** Waits until the server has seen `count` refusals (they are reported asynchronously). */
async function refusalsReach(server: TlsServer, count: number): Promise<void> {
  for (let attempt = 0; attempt < 100 && server.refusals.length < count; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('@tandem/pki in real TLS', () => {
  let ca: ClusterCa;
  let otherCa: ClusterCa;
  let node: PemPair;
  let workstation: PemPair;

  before(async () => {
    ca = await createClusterCa();
    otherCa = await createClusterCa();
    node = await issueCertificate(ca, { role: 'node', name: 'main' });
    workstation = await issueCertificate(ca, { role: 'workstation', name: 'ws-1' });
  });

  describe('node:tls', () => {
    let server: TlsServer;

    beforeEach(async () => {
      server = await startTlsServer(node, ca.certificatePem);
    });

    afterEach(async () => {
      await server.close();
    });

    it('reads the client identity from the verified peer certificate, by host name and by IP', async () => {
      for (const host of ['localhost', '127.0.0.1']) {
        const outcome = await connect(server.port, host, ca.certificatePem, workstation);
        expect(outcome.error, host).to.equal(null);
        expect(JSON.parse(outcome.answer)).to.deep.equal({
          role: 'workstation',
          name: 'ws-1',
          uri: 'tandem://workstation/ws-1',
        });
      }
      expect(server.accepted.map((client) => client.authorizationError)).to.deep.equal([null, null]);
      expect(server.refusals).to.deep.equal([]);
    });

    it('refuses a client certificate from another CA, an expired one, and none', async () => {
      const stranger = await issueCertificate(otherCa, { role: 'admin', name: 'root' });
      const expired = await issueCertificate(ca, {
        role: 'admin',
        name: 'old',
        notBefore: new Date(Date.now() - 3 * DAY_MS),
        notAfter: new Date(Date.now() - DAY_MS),
      });
      for (const client of [stranger, expired, null]) {
        const outcome = await connect(server.port, 'localhost', ca.certificatePem, client);
        expect(outcome.answer).to.equal('');
      }
      await refusalsReach(server, 3);
      expect(server.accepted).to.deep.equal([]);
      // Node ends a TLS 1.3 connection whose client certificate fails without an alert (the server
      // sees a hang-up); one without a certificate OpenSSL refuses itself.
      expect(server.refusals.map((error) => (error as Error & { code?: string }).code)).to.deep.equal([
        'ECONNRESET',
        'ECONNRESET',
        'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
      ]);
      // Why: the same handshakes on a server that lets them through say it.
      const lenient = await startTlsServer(node, ca.certificatePem, false);
      try {
        for (const client of [stranger, expired])
          await connect(lenient.port, 'localhost', ca.certificatePem, client);
        expect(lenient.accepted.map((client) => client.authorizationError)).to.deep.equal([
          'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
          'CERT_HAS_EXPIRED',
        ]);
      } finally {
        await lenient.close();
      }
    });

    it('makes the client refuse a server from another CA, expired, without the host, or not a server', async () => {
      const cases: [string, PemPair, string][] = [
        [
          'another CA',
          await issueCertificate(otherCa, { role: 'node', name: 'main' }),
          'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        ],
        [
          'expired',
          await issueCertificate(ca, {
            role: 'node',
            name: 'main',
            notBefore: new Date(Date.now() - 3 * DAY_MS),
            notAfter: new Date(Date.now() - DAY_MS),
          }),
          'CERT_HAS_EXPIRED',
        ],
        [
          'no IP SAN',
          await issueCertificate(ca, { role: 'node', name: 'main', hosts: ['localhost'] }),
          'ERR_TLS_CERT_ALTNAME_INVALID',
        ],
        // clientAuth only: a workstation cannot pose as a node.
        [
          'a workstation',
          await issueCertificate(ca, { role: 'workstation', name: 'main', hosts: ['127.0.0.1'] }),
          'INVALID_PURPOSE',
        ],
      ];
      for (const [label, serverPair, code] of cases) {
        const impostor = await startTlsServer(serverPair, ca.certificatePem);
        try {
          const outcome = await connect(impostor.port, '127.0.0.1', ca.certificatePem, workstation);
          expect(outcome.answer, label).to.equal('');
          expect(outcome.error?.code, label).to.equal(code);
        } finally {
          await impostor.close();
        }
      }
    });
  });

  describe('grpc-js', () => {
    // A one-method service with raw bytes, so that no proto file is needed.
    const definition: grpc.ServiceDefinition = {
      whoAmI: {
        path: '/tandem.test.Pki/WhoAmI',
        requestStream: false,
        responseStream: false,
        requestSerialize: (value: Buffer) => value,
        requestDeserialize: (value: Buffer) => value,
        responseSerialize: (value: Buffer) => value,
        responseDeserialize: (value: Buffer) => value,
      },
    };
    const servers: grpc.Server[] = [];
    const clients: grpc.Client[] = [];
    let port: number;

    /** A server that requires client certificates and answers with the caller's identity. */
    async function startGrpcServer(serverPair: PemPair): Promise<number> {
      const server = new grpc.Server();
      servers.push(server);
      server.addService(definition, {
        whoAmI: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          const peerCertificate = call.getAuthContext()?.sslPeerCertificate;
          const identity = peerCertificate === undefined ? null : identityFromCertificate(peerCertificate);
          callback(null, Buffer.from(JSON.stringify(identity)));
        },
      });
      const credentials = grpc.ServerCredentials.createSsl(
        Buffer.from(ca.certificatePem),
        [
          {
            private_key: Buffer.from(serverPair.privateKeyPem),
            cert_chain: Buffer.from(serverPair.certificatePem),
          },
        ],
        true,
      );
      return new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', credentials, (error, bound) =>
          error ? reject(error) : resolve(bound),
        ),
      );
    }

    before(async () => {
      port = await startGrpcServer(node);
    });

    after(() => {
      for (const client of clients) client.close();
      for (const server of servers) server.forceShutdown();
    });

    function whoAmI(address: string, caPem: string, client: PemPair): Promise<unknown> {
      const stub = new grpc.Client(
        address,
        grpc.credentials.createSsl(
          Buffer.from(caPem),
          Buffer.from(client.privateKeyPem),
          Buffer.from(client.certificatePem),
        ),
      );
      clients.push(stub);
      return new Promise((resolve, reject) => {
        const deadline = Date.now() + 5000;
        stub.makeUnaryRequest(
          '/tandem.test.Pki/WhoAmI',
          (value: Buffer) => value,
          (value: Buffer) => value,
          Buffer.alloc(0),
          new grpc.Metadata(),
          { deadline },
          (error, reply) => (error ? reject(error) : resolve(JSON.parse(String(reply)))),
        );
      });
    }

    async function expectUnavailable(call: Promise<unknown>, label: string): Promise<void> {
      try {
        await call;
        expect.fail(`${label}: the call should have been refused`);
      } catch (error) {
        expect((error as grpc.ServiceError).code, label).to.equal(grpc.status.UNAVAILABLE);
      }
    }

    it('gives the handler the caller identity from sslPeerCertificate, by host name and by IP', async () => {
      const operator = await issueCertificate(ca, { role: 'operator', name: 'alice' });
      expect(await whoAmI(`localhost:${port}`, ca.certificatePem, workstation)).to.deep.equal({
        role: 'workstation',
        name: 'ws-1',
        uri: 'tandem://workstation/ws-1',
      });
      // 127.0.0.1 is checked against the IP SAN with grpc-js's default host name verification.
      expect(await whoAmI(`127.0.0.1:${port}`, ca.certificatePem, operator)).to.deep.equal({
        role: 'operator',
        name: 'alice',
        uri: 'tandem://operator/alice',
      });
    });

    it('refuses a client from another CA, and a server the client does not trust or that lacks the IP', async () => {
      const stranger = await issueCertificate(otherCa, { role: 'admin', name: 'root' });
      await expectUnavailable(
        whoAmI(`127.0.0.1:${port}`, ca.certificatePem, stranger),
        'client from another CA',
      );
      await expectUnavailable(
        whoAmI(`127.0.0.1:${port}`, otherCa.certificatePem, workstation),
        'untrusted server',
      );
      const localhostOnly = await startGrpcServer(
        await issueCertificate(ca, { role: 'node', name: 'main', hosts: ['localhost'] }),
      );
      await expectUnavailable(
        whoAmI(`127.0.0.1:${localhostOnly}`, ca.certificatePem, workstation),
        'no IP SAN',
      );
      expect(await whoAmI(`localhost:${localhostOnly}`, ca.certificatePem, workstation)).to.deep.include({
        name: 'ws-1',
      });
    });
  });
});
