import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { HealthImplementation } from 'grpc-health-check';
import { ExitCode } from '../src/exit-codes.js';
import { run } from '../src/run.js';
import { captureIo } from './scripted-admin.js';

// A real gRPC server with the real health service, plaintext: what `tandemctl health` makes of its
// answers. (Over TLS, against a real tandemd, see test/package-install.test.ts.)
describe('tandemctl health', () => {
  let server: grpc.Server;
  let health: HealthImplementation;
  let address: string;

  before(async () => {
    server = new grpc.Server();
    health = new HealthImplementation({ '': 'SERVING' });
    health.addToServer(server);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error === null ? resolve(bound) : reject(error),
      ),
    );
    address = `127.0.0.1:${port}`;
  });

  after(() => server.forceShutdown());

  it('exits 0 and says SERVING when every server serves', async () => {
    health.setStatus('', 'SERVING');
    const io = captureIo();
    expect(await run(['--servers', address, '--insecure', 'health'], io), io.err()).to.equal(ExitCode.ok);
    expect(io.out()).to.match(new RegExp(`${address}\\s+SERVING`));
  });

  it('exits 3 when a server says NOT_SERVING', async () => {
    health.setStatus('', 'NOT_SERVING');
    const io = captureIo();
    expect(await run(['--servers', address, '--insecure', '--json', 'health'], io)).to.equal(
      ExitCode.unavailable,
    );
    expect(JSON.parse(io.out())).to.deep.equal({
      servers: [{ address, status: 'NOT_SERVING', error: null }],
    });
  });

  it('exits 3 when one of the servers does not answer, within the timeout', async () => {
    health.setStatus('', 'SERVING');
    const io = captureIo();
    const startedAtMs = Date.now();
    const code = await run(
      ['--servers', `${address},127.0.0.1:1`, '--insecure', '--timeout-ms', '500', 'health'],
      io,
    );
    expect(code).to.equal(ExitCode.unavailable);
    expect(Date.now() - startedAtMs).to.be.below(5_000);
    expect(io.out()).to.match(new RegExp(`${address}\\s+SERVING`));
    expect(io.out()).to.match(/127\.0\.0\.1:1\s+unreachable: /);
  });
});
