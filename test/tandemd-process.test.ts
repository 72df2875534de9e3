// tandemd as an operator meets it: configuration errors name the field and exit 2, health checking
// and server reflection answer, and a second process on the same data directory is refused.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { removeDirectory, TandemdProcess, tandemdEntry, temporaryDirectory } from '@tandem/testkit';
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
    const file = path.join(directory, 'bad.yaml');
    const cases: Array<[string, string]> = [
      ['node:\n  id: main\n  listen: 127.0.0.1:0\n  dataDir: ./d\n  colour: red\n', 'node.colour'],
      ['node:\n  id: main\n  listen: nowhere\n  dataDir: ./d\n', 'node.listen'],
      [
        'node:\n  id: main\n  listen: 127.0.0.1:0\n  dataDir: ./d\ntiming:\n  failoverTimeoutMs: -1\n',
        'timing.failoverTimeoutMs',
      ],
      ['node:\n  id: main\n  listen: 127.0.0.1:0\n', 'node.dataDir'],
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
  });

  it('answers gRPC health checks and server reflection', async () => {
    const node = await TandemdProcess.start({ dataDir: directory });
    try {
      const { service: healthService } = await import('grpc-health-check');
      const Health = grpc.makeGenericClientConstructor(healthService as grpc.ServiceDefinition, 'Health');
      const health = new Health(node.address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
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
      const client = new reflection(
        node.address,
        grpc.credentials.createInsecure(),
      ) as unknown as grpc.Client & {
        ServerReflectionInfo(): grpc.ClientDuplexStream<string, Buffer>;
      };
      const stream = client.ServerReflectionInfo();
      const answer = await new Promise<Buffer>((resolve, reject) => {
        stream.on('data', resolve);
        stream.on('error', reject);
        stream.write('*');
      });
      stream.end();
      client.close();
      const text = answer.toString('latin1');
      expect(text).to.include('tandem.v1.WorkstationService');
      expect(text).to.include('tandem.v1.AdminService');
    } finally {
      await node.stop();
    }
  });

  it('refuses to start a second node on a data directory that is in use', async () => {
    const node = await TandemdProcess.start({ dataDir: directory });
    try {
      let failure: Error | null = null;
      try {
        const second = await TandemdProcess.start({ dataDir: directory, id: 'other' });
        await second.stop();
      } catch (error) {
        failure = error as Error;
      }
      expect(failure?.message ?? '').to.match(/lock|in use|LOCK/i);
    } finally {
      await node.stop();
    }
  });
});
