// tandemd as an operator meets it: configuration errors name the field and exit 2 (certificates
// included), health checking answers anyone and server reflection only when switched on, a second
// process on the same data directory is refused, and plaintext only with insecure: true, loudly.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connectionCredentials, parseSettings } from '@tandem/client';
import {
  pkiDirectory,
  removeDirectory,
  runTandemctl,
  TandemdProcess,
  TestPki,
  tandemdEntry,
  temporaryDirectory,
} from '@tandem/testkit';
import { expect } from 'chai';

function runTandemd(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tandemdEntry(), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('tandemd process', function () {
  this.timeout(60_000);
  let directory: string;

  beforeEach(async () => {
    directory = await temporaryDirectory();
  });

  afterEach(async () => {
    await removeDirectory(directory);
  });

  it('exits 2 naming the field for an invalid configuration', async () => {
    const pki = await TestPki.create(pkiDirectory(directory));
    const node = await pki.node('main');
    const other = await pki.node('other');
    const tls = (files: { cert: string; key: string }) =>
      `tls:\n  ca: ${pki.caFile}\n  cert: ${files.cert}\n  key: ${files.key}\n`;
    // Each file is valid but for the one field, so that the error is that field's.
    const secure = tls(node);
    const file = path.join(directory, 'bad.yaml');
    const cases: Array<[string, string]> = [
      [`node:\n  id: main\n  listen: 127.0.0.1:0\n  dataDir: ./d\n  colour: red\n${secure}`, 'node.colour'],
      [`node:\n  id: main\n  listen: nowhere\n  dataDir: ./d\n${secure}`, 'node.listen'],
      [
        `node:\n  id: main\n  listen: 127.0.0.1:0\n  dataDir: ./d\ntiming:\n  failoverTimeoutMs: -1\n${secure}`,
        'timing.failoverTimeoutMs',
      ],
      [`node:\n  id: main\n  listen: 127.0.0.1:0\n${secure}`, 'node.dataDir'],
      // Secure by default: no tls and no insecure: true is an error, and so are both.
      ['node:\n  id: main\n  listen: 127.0.0.1:0\n  dataDir: ./d\n', 'tls'],
      [`node:\n  id: main\n  listen: 127.0.0.1:0\n  dataDir: ./d\n${secure}insecure: true\n`, 'tls'],
      [
        `node:\n  id: main\n  listen: 127.0.0.1:0\n  dataDir: ./d\n${tls({ cert: path.join(directory, 'none.crt'), key: node.key })}`,
        'tls.cert',
      ],
      // Files that exist but do not fit: a key of another certificate.
      [
        `node:\n  id: main\n  listen: 127.0.0.1:0\n  dataDir: ./d\n${tls({ cert: node.cert, key: other.key })}`,
        'tls.client.key',
      ],
    ];
    for (const [yaml, field] of cases) {
      await writeFile(file, yaml);
      const result = await runTandemd(['--config', file]);
      expect(result.code, result.stderr).to.equal(2);
      expect(result.stderr).to.include(field);
    }
    const missing = await runTandemd([]);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include('--config');

    // A data directory under /proc: Node's recursive mkdir never returned there (issue 12).
    await writeFile(
      file,
      `node:\n  id: main\n  listen: 127.0.0.1:0\n  dataDir: /proc/tandem-data\n${secure}`,
    );
    const underProc = await runTandemd(['--config', file]);
    expect(underProc.code, underProc.stderr).to.equal(2);
    expect(underProc.stderr).to.include('node.dataDir');

    // A port another process holds: exit 2 naming node.listen, no stack trace (issue 12).
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const port = (holder.address() as net.AddressInfo).port;
      await writeFile(file, `node:\n  id: main\n  listen: 127.0.0.1:${port}\n  dataDir: ./d\n${secure}`);
      const inUse = await runTandemd(['--config', file]);
      expect(inUse.code, inUse.stderr).to.equal(2);
      expect(inUse.stderr).to.include('node.listen').and.include('address already in use');
      expect(inUse.stderr, 'no stack trace').to.not.match(/\n\s+at /);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('answers gRPC health checks to anyone, and server reflection when it is switched on', async () => {
    const node = await TandemdProcess.start({ dataDir: directory, overrides: { reflection: true } });
    // TLS with the cluster CA, and no identity at all: health and reflection need none.
    const { credentials, files } = connectionCredentials(
      parseSettings({ servers: [node.address], tls: { ca: node.requirePki().caFile } }),
    );
    try {
      const { service: healthService } = await import('grpc-health-check');
      const Health = grpc.makeGenericClientConstructor(healthService as grpc.ServiceDefinition, 'Health');
      const health = new Health(node.address, credentials) as unknown as grpc.Client & {
        Check(
          request: { service: string },
          callback: (error: grpc.ServiceError | null, response: { status: string }) => void,
        ): void;
      };
      for (const service of ['', 'tandem.v1.WorkstationService', 'tandem.v1.AdminService']) {
        const response = await new Promise<{ status: string }>((resolve, reject) =>
          health.Check({ service }, (error, answer) => (error ? reject(error) : resolve(answer))),
        );
        expect(response.status, service).to.equal('SERVING');
      }
      health.close();

      const reflection = grpc.makeGenericClientConstructor(
        {
          ServerReflectionInfo: {
            path: '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
            requestStream: true,
            responseStream: true,
            // Hand-written codec for the one message this test sends: field 7, list_services (string).
            requestSerialize: (value: string) =>
              Buffer.concat([Buffer.from([0x3a, value.length]), Buffer.from(value)]),
            requestDeserialize: (bytes: Buffer) => bytes.toString(),
            responseSerialize: (value: Buffer) => value,
            responseDeserialize: (bytes: Buffer) => bytes,
          },
        },
        'ServerReflection',
      );
      type ReflectionClient = grpc.Client & {
        ServerReflectionInfo(): grpc.ClientDuplexStream<string, Buffer>;
      };
      const listServices = async (address: string) => {
        const client = new reflection(address, credentials) as unknown as ReflectionClient;
        try {
          const stream = client.ServerReflectionInfo();
          const answer = await new Promise<Buffer>((resolve, reject) => {
            stream.on('data', resolve);
            stream.on('error', reject);
            stream.write('*');
          });
          stream.end();
          return answer.toString('latin1');
        } finally {
          client.close();
        }
      };
      const text = await listServices(node.address);
      expect(text).to.include('tandem.v1.WorkstationService');
      expect(text).to.include('tandem.v1.AdminService');
      // The peer API is nobody's business but the peer's.
      expect(text).to.not.include('tandem.v1.PeerService');

      // Off unless asked for.
      await mkdir(path.join(directory, 'quiet'));
      const quiet = await TandemdProcess.start({
        dataDir: path.join(directory, 'quiet'),
        pki: node.requirePki(),
      });
      try {
        const refused = await listServices(quiet.address).then(
          () => null,
          (error: grpc.ServiceError) => error,
        );
        expect(refused?.code).to.equal(grpc.status.UNIMPLEMENTED);
      } finally {
        await quiet.stop();
      }
    } finally {
      files?.close();
      await node.stop();
    }
  });

  it('refuses to start a second node on a data directory that is in use', async () => {
    const node = await TandemdProcess.start({ dataDir: directory });
    try {
      let failure: Error | null = null;
      try {
        const second = await TandemdProcess.start({
          dataDir: directory,
          id: 'other',
          pki: node.requirePki(),
        });
        await second.stop();
      } catch (error) {
        failure = error as Error;
      }
      expect(failure?.message ?? '').to.match(/lock|in use|LOCK/i);
    } finally {
      await node.stop();
    }
  });

  it('runs in plaintext only with insecure: true, warns at start, and tandemctl shows it', async () => {
    const node = await TandemdProcess.start({ dataDir: directory, insecure: true });
    try {
      const warning = node.logs.find((line) => line.level === 'warn' && /INSECURE/.test(line.message));
      expect(warning, 'the warning at start').to.not.equal(undefined);
      expect(node.logs.find((line) => line.message === 'listening')).to.include({ security: 'insecure' });
      const status = await runTandemctl([...(await node.tandemctlArgs()), 'status']);
      expect(status.code, status.stderr).to.equal(0);
      expect(status.stdout).to.contain('WARNING: INSECURE: main runs without TLS and authentication');
      // A client that expects TLS does not fall back to plaintext.
      const pki = await TestPki.create(path.join(directory, 'elsewhere'));
      const secure = await runTandemctl([
        '--servers',
        node.address,
        ...(await pki.tandemctlArgs('admin')),
        '--attempts',
        '1',
        'status',
      ]);
      expect(secure.stdout + secure.stderr).to.not.contain('leader: main');
      expect(secure.stdout).to.match(/unreachable/);
    } finally {
      await node.stop();
    }
  });
});
