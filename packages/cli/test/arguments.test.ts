import { expect } from 'chai';
import { ExitCode } from '../src/exit-codes.js';
import { run } from '../src/run.js';
import { captureIo } from './scripted-admin.js';
import { credentialFlags } from './test-pki.js';

// None of these reach a server: 127.0.0.1:1 is never contacted because parsing fails first. The
// credentials are an operator's, so that what fails is the argument under test.
let SERVERS: string[] = [];

async function usage(argv: string[], expected: string | RegExp): Promise<void> {
  const io = captureIo();
  const code = await run(argv, io);
  expect(code, `exit code of ${argv.join(' ')}; stderr: ${io.err()}`).to.equal(ExitCode.usage);
  if (typeof expected === 'string') expect(io.err()).to.contain(expected);
  else expect(io.err()).to.match(expected);
}

describe('tandemctl arguments', () => {
  before(async () => {
    SERVERS = ['--servers', '127.0.0.1:1', ...(await credentialFlags('admin'))];
  });

  it('prints help and exits 0 when asked', async () => {
    const io = captureIo();
    expect(await run(['--help'], io)).to.equal(ExitCode.ok);
    expect(io.out()).to.contain('Usage: tandemctl');
    expect(io.out()).to.contain('verify');
    expect(io.out()).to.contain('Exit codes: 0 ok');
    const version = captureIo();
    expect(await run(['--version'], version)).to.equal(ExitCode.ok);
    expect(version.out()).to.match(/^\d+\.\d+\.\d+\n$/);
    const sub = captureIo();
    expect(await run(['licence', 'activate', '--help'], sub)).to.equal(ExitCode.ok);
    expect(sub.out()).to.contain('--file <file>');
    const audit = captureIo();
    expect(await run(['audit', '--help'], audit)).to.equal(ExitCode.ok);
    expect(audit.out()).to.contain('--since <time>').and.contain('--licence <id>');
  });

  it('exits 2 on an unknown command or option', async () => {
    await usage(['frobnicate'], "unknown command 'frobnicate'");
    await usage([...SERVERS, 'status', '--frobnicate'], "unknown option '--frobnicate'");
  });

  it('exits 2 when a command group is given without a command', async () => {
    await usage(['licence'], 'Usage: tandemctl licence');
  });

  it('exits 2 on a missing argument or required option', async () => {
    await usage([...SERVERS, 'licence', 'show'], "missing required argument 'id'");
    await usage([...SERVERS, 'licence', 'activate'], "required option '--file <file>'");
    await usage(
      [...SERVERS, 'licence', 'activate', '--file', '/nonexistent/cad.licence'],
      'cannot read the licence file',
    );
    await usage([...SERVERS, 'lease', 'revoke', 'lease-1'], "required option '--reason <text>'");
    await usage([...SERVERS, 'cluster', 'transfer-leadership'], "required option '--to <id>'");
  });

  it('exits 2 on malformed option values, naming the option', async () => {
    await usage(
      [...SERVERS, 'licence', 'update', 'cad', '--seats', 'many'],
      /--seats <n>.*not a positive integer/,
    );
    await usage([...SERVERS, 'licence', 'update', 'cad', '--seats', '0'], 'not a positive integer');
    await usage(
      [...SERVERS, 'licence', 'update', 'cad', '--quota', '1', '--period', 'year'],
      'not one of day, week, month',
    );
    await usage([...SERVERS, 'licence', 'update', 'cad', '--valid-until', 'soon'], 'not an ISO 8601 time');
    await usage([...SERVERS, 'licence', 'update', 'cad', '--feature', 'novalue'], 'not key=value');
    await usage([...SERVERS, 'audit', '--since', 'yesterday'], 'not an ISO 8601 time');
    await usage([...SERVERS, 'audit', '--limit', '0'], 'not a positive integer');
    await usage(['--timeout-ms', '-5', ...SERVERS, 'status'], /--timeout-ms/);
  });

  it('exits 2 on option combinations that make no sense', async () => {
    await usage([...SERVERS, 'licence', 'update', 'cad', '--quota', '10'], '--quota needs --period');
    await usage([...SERVERS, 'licence', 'update', 'cad'], 'nothing to change');
    await usage([...SERVERS, 'licence', 'update'], 'give the licence id, or --file');
    await usage(
      [...SERVERS, 'licence', 'update', '--file', 'x.licence', '--seats', '2'],
      '--file sets every term',
    );
    await usage(
      [...SERVERS, 'licence', 'update', 'cad', '--no-quota', '--period', 'day'],
      'do not go together',
    );
  });

  it('exits 2 without servers, or with a malformed server address', async () => {
    await usage(['status'], 'no servers given');
    await usage(['--servers', 'not-an-address', 'status'], 'servers[0]');
    await usage(['--settings', '/nonexistent/settings.yaml', 'status'], 'cannot read');
  });

  it('exits 2 without credentials, or with credentials that do not go together, naming the field', async () => {
    const [ca, caFile, cert, certFile] = await credentialFlags('admin');
    const servers = ['--servers', '127.0.0.1:1'];
    await usage([...servers, 'status'], /tls: is required.*--insecure|tls: is required.*insecure: true/);
    await usage([...servers, cert as string, certFile as string, 'status'], 'tls.ca: is required');
    await usage(
      [...servers, ca as string, caFile as string, cert as string, certFile as string, 'status'],
      'tls.key',
    );
    await usage([...servers, '--ca', '/nonexistent/ca.crt', 'status'], /tls\.ca: cannot read/);
    await usage(
      [...servers, ...(await credentialFlags()), '--token-file', '/nonexistent/token', 'status'],
      'tokenFile',
    );
    const io = captureIo();
    expect(await run([...servers, '--json', 'status'], io)).to.equal(ExitCode.usage);
    const parsed = JSON.parse(io.out()) as { error: { code: string; field: string } };
    expect(parsed.error).to.include({ code: 'invalid_settings', field: 'tls' });
  });

  it('reports a usage error as JSON on stdout with --json', async () => {
    const io = captureIo();
    expect(await run(['--json', 'status'], io)).to.equal(ExitCode.usage);
    const parsed = JSON.parse(io.out()) as { error: { code: string; exitCode: number } };
    expect(parsed.error).to.include({ code: 'usage', exitCode: 2 });
  });
});
