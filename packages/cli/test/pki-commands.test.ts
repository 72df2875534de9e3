// tandemctl pki, in-process, on a temporary directory; no server anywhere (and no --servers).
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { checkIssuedBy, describeCertificate, identityFromCertificate, verifyKeyPair } from '@tandem/pki';
import { expect } from 'chai';
import { ExitCode } from '../src/exit-codes.js';
import { printable } from '../src/pki-commands.js';
import { run } from '../src/run.js';
import { type CapturedIo, captureIo } from './scripted-admin.js';

async function tandemctl(argv: string[]): Promise<{ code: number; io: CapturedIo }> {
  const io = captureIo();
  const code = await run(argv, io);
  return { code, io };
}

async function ok(argv: string[]): Promise<CapturedIo> {
  const { code, io } = await tandemctl(argv);
  expect(code, `${argv.join(' ')}: ${io.err()}`).to.equal(ExitCode.ok);
  return io;
}

async function mode(file: string): Promise<number> {
  return (await stat(file)).mode & 0o777;
}

describe('tandemctl pki', () => {
  let directory: string;
  let caDirectory: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'tandemctl-pki-'));
    caDirectory = path.join(directory, 'ca');
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('init creates ca.crt and ca.key and prints the cluster id, and refuses to replace them without --force', async () => {
    const io = await ok(['pki', 'init', '--dir', caDirectory, '--cluster-id', 'plant-7', '--json']);
    const result = JSON.parse(io.out());
    expect(result).to.include({
      clusterId: 'plant-7',
      certificatePath: path.join(caDirectory, 'ca.crt'),
      keyPath: path.join(caDirectory, 'ca.key'),
    });
    const certificate = await readFile(result.certificatePath, 'utf8');
    expect(describeCertificate(certificate)).to.include({ clusterId: 'plant-7', isCa: true });
    expect(result.notAfterMs).to.equal(describeCertificate(certificate).notAfterMs);
    expect(await mode(result.keyPath)).to.equal(0o600);

    const again = await tandemctl(['pki', 'init', '--dir', caDirectory]);
    expect(again.code).to.equal(ExitCode.rejected);
    expect(again.io.err()).to.contain('already holds a cluster CA').and.contain('--force');
    expect(await readFile(result.certificatePath, 'utf8')).to.equal(certificate);

    const human = await ok(['pki', 'init', '--dir', caDirectory, '--force', '--days', '30']);
    expect(human.out()).to.match(/^cluster id: +[0-9a-f-]{36}\n/);
    expect(human.out().replace(/: +/g, ': ')).to.contain(
      `certificate: ${path.join(caDirectory, 'ca.crt')}\n`,
    );
    expect(await readFile(result.certificatePath, 'utf8')).to.not.equal(certificate);
  });

  it('issue writes node, witness, person and workstation certificates the CA signed', async () => {
    await ok(['pki', 'init', '--dir', caDirectory]);
    const caPem = await readFile(path.join(caDirectory, 'ca.crt'), 'utf8');
    const out = path.join(directory, 'issued');
    const cases: [string[], string, string[]][] = [
      [
        ['--node', 'main', '--host', 'main.example', '--host', '10.0.0.5'],
        'tandem://node/main',
        ['main.example', '10.0.0.5'],
      ],
      [['--witness', 'w1'], 'tandem://witness/w1', ['localhost', '127.0.0.1']],
      [['--operator', 'alice', '--role', 'admin'], 'tandem://admin/alice', []],
      [['--operator', 'bob', '--role', 'viewer'], 'tandem://viewer/bob', []],
      [['--workstation', 'ws-17', '--days', '7'], 'tandem://workstation/ws-17', []],
    ];
    for (const [options, uri, hosts] of cases) {
      const io = await ok(['pki', 'issue', '--dir', caDirectory, '--out', out, ...options, '--json']);
      const result = JSON.parse(io.out());
      expect(result.identity.uri).to.equal(uri);
      expect(result.hosts).to.deep.equal(hosts);
      const name = uri.split('/').at(-1) as string;
      expect(result.certificatePath).to.equal(path.join(out, `${name}.crt`));
      expect(result.keyPath).to.equal(path.join(out, `${name}.key`));
      const certificate = await readFile(result.certificatePath, 'utf8');
      expect(identityFromCertificate(certificate)?.uri).to.equal(uri);
      expect(checkIssuedBy(certificate, caPem)).to.equal(true);
      expect(verifyKeyPair(certificate, await readFile(result.keyPath, 'utf8'))).to.equal(true);
      expect(await mode(result.keyPath)).to.equal(0o600);
    }
    const workstation = describeCertificate(await readFile(path.join(out, 'ws-17.crt'), 'utf8'));
    expect((workstation.notAfterMs - Date.now()) / 86_400_000).to.be.within(6.9, 7);

    // Without --out the files go next to the CA; the human output names them.
    const human = await ok(['pki', 'issue', '--dir', caDirectory, '--node', 'backup']);
    expect(human.out()).to.contain('identity:     tandem://node/backup');
    expect(human.out()).to.contain('hosts:        localhost, 127.0.0.1');
    expect(human.out()).to.contain(`key:          ${path.join(caDirectory, 'backup.key')}`);
  });

  it('show prints what a certificate says, as a record or JSON', async () => {
    await ok(['pki', 'init', '--dir', caDirectory, '--cluster-id', 'c-9']);
    await ok(['pki', 'issue', '--dir', caDirectory, '--node', 'main']);
    const human = await ok(['pki', 'show', path.join(caDirectory, 'main.crt')]);
    expect(human.out()).to.match(/^subject: +CN=main$/m);
    expect(human.out()).to.match(/^issuer: +CN=Tandem CA c-9$/m);
    expect(human.out()).to.match(/^status: +valid, 36[45] days left$/m);
    expect(human.out()).to.match(/^names: +URI:tandem:\/\/node\/main, DNS:localhost, IP:127\.0\.0\.1$/m);
    expect(human.out()).to.match(/^identity: +tandem:\/\/node\/main$/m);
    expect(human.out()).to.match(/^CA: +no$/m);
    const json = JSON.parse((await ok(['--json', 'pki', 'show', path.join(caDirectory, 'ca.crt')])).out());
    expect(json).to.include({ clusterId: 'c-9', isCa: true, identity: null });
    expect(Object.keys(json)).to.include.members([
      'subject',
      'issuer',
      'serialNumber',
      'notBeforeMs',
      'notAfterMs',
      'fingerprintSha256',
      'sans',
    ]);
  });

  it('exits 2 on bad usage, naming the option', async () => {
    const usage = async (argv: string[], expected: string | RegExp) => {
      const { code, io } = await tandemctl(argv);
      expect(code, `${argv.join(' ')}: ${io.err()}`).to.equal(ExitCode.usage);
      if (typeof expected === 'string') expect(io.err()).to.contain(expected);
      else expect(io.err()).to.match(expected);
    };
    await ok(['pki', 'init', '--dir', caDirectory]);
    const issue = ['pki', 'issue', '--dir', caDirectory];
    await usage(['pki', 'init'], "required option '--dir <dir>'");
    await usage(['pki', 'init', '--dir', directory, '--cluster-id', 'a/b'], /--cluster-id <id>.*not 1-64/);
    await usage(['pki', 'init', '--dir', directory, '--days', '0'], /--days <n>.*not a positive integer/);
    await usage(['pki', 'init', '--dir', directory, '--days', '100000'], 'valid days');
    await usage(issue, 'give exactly one of --node ID');
    await usage([...issue, '--node', 'a', '--workstation', 'b'], 'give exactly one of --node ID');
    await usage([...issue, '--node', 'a b'], /--node <id>.*not 1-128 characters/);
    await usage([...issue, '--operator', 'alice'], '--operator NAME needs --role');
    await usage(
      [...issue, '--operator', 'alice', '--role', 'root'],
      /--role <role>.*not one of viewer, operator, admin/,
    );
    await usage([...issue, '--node', 'a', '--role', 'admin'], '--role goes with --operator');
    await usage([...issue, '--workstation', 'ws', '--host', 'x'], '--host is for --node and --witness');
    await usage([...issue, '--node', 'a', '--host', 'not a host'], 'is not a host name or an IP address');
    await usage([...issue, '--node', 'ca'], 'would replace the CA');
    await usage(['pki', 'show'], "missing required argument 'file'");
  });

  it('exits 1 on a missing CA, a file that is not a certificate, and a key that is not the CA key', async () => {
    const missing = await tandemctl(['pki', 'issue', '--dir', caDirectory, '--node', 'main', '--json']);
    expect(missing.code).to.equal(ExitCode.rejected);
    expect(JSON.parse(missing.io.out()).error).to.include({ code: 'ca_missing', exitCode: 1 });
    expect(missing.io.err()).to.contain('ca.crt').and.not.contain('    at ');

    const junk = path.join(directory, 'junk.crt');
    await writeFile(junk, 'not a certificate\n');
    const shown = await tandemctl(['pki', 'show', junk]);
    expect(shown.code).to.equal(ExitCode.rejected);
    expect(shown.io.err()).to.contain('not an X.509 certificate');
    const absent = await tandemctl(['pki', 'show', path.join(directory, 'absent.crt')]);
    expect(absent.code).to.equal(ExitCode.rejected);

    await ok(['pki', 'init', '--dir', caDirectory]);
    await ok(['pki', 'init', '--dir', path.join(directory, 'other')]);
    await writeFile(
      path.join(caDirectory, 'ca.key'),
      await readFile(path.join(directory, 'other', 'ca.key')),
    );
    const mismatch = await tandemctl(['pki', 'issue', '--dir', caDirectory, '--node', 'main', '--json']);
    expect(mismatch.code).to.equal(ExitCode.rejected);
    expect(JSON.parse(mismatch.io.out()).error).to.include({
      code: 'key_mismatch',
      field: path.join(caDirectory, 'ca.key'),
    });
  });

  it('shows control characters from a certificate escaped', () => {
    expect(printable('CN=a\u001b[31mb\nc\u009bd é')).to.equal('CN=a\\u001b[31mb\\u000ac\\u009bd é');
  });
});
