import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parsePublicKey, verifyLicenceFile } from '../src/licence-file.js';
import { ExitCode, run } from '../src/run.js';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function issuer(...argv: string[]): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    nowMs: () => Date.UTC(2026, 5, 1),
  });
  return { code, stdout, stderr };
}

const CLUSTER = '8a6e0804-2bd0-4672-b79d-d97027f9071a';

describe('tandem-issuer', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'tandem-issuer-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  function signArguments(out: string, ...extra: string[]): string[] {
    return [
      'sign',
      '--key',
      path.join(directory, 'acme-2026.key.pem'),
      '--cluster-id',
      CLUSTER,
      '--licence-id',
      'cad',
      '--product',
      'CAD Suite',
      '--seats',
      '10',
      '--serial',
      '1',
      '--vendor',
      'Acme Software',
      '--out',
      out,
      ...extra,
    ];
  }

  it('makes a key pair, the private key readable by its owner only, and never overwrites one', async () => {
    const made = await issuer('keygen', '--out', directory, '--key-id', 'acme-2026');
    expect(made.code, made.stderr).to.equal(ExitCode.ok);
    expect(made.stdout).to.include('key id:      acme-2026').and.include('vendorKeys:');
    const privateFile = path.join(directory, 'acme-2026.key.pem');
    expect((await stat(privateFile)).mode & 0o777).to.equal(0o600);
    const publicPem = await readFile(path.join(directory, 'acme-2026.pub.pem'), 'utf8');
    expect(parsePublicKey(publicPem).asymmetricKeyType).to.equal('ed25519');
    expect(made.stdout).to.include(publicPem.split('\n')[1]);
    const again = await issuer('keygen', '--out', directory, '--key-id', 'acme-2026');
    expect(again.code).to.equal(ExitCode.usage);
    expect(again.stderr).to.match(/exists; a key is never overwritten/);
    const unnamed = await issuer('keygen', '--out', directory);
    expect(unnamed.stdout).to.match(/key id: {6}vendor-[0-9a-f]{16}/);
    expect((await issuer('keygen', '--out', directory, '--key-id', 'no spaces')).code).to.equal(
      ExitCode.usage,
    );
  });

  it('signs a licence file that verifies, and inspects it', async () => {
    await issuer('keygen', '--out', directory, '--key-id', 'acme-2026');
    const out = path.join(directory, 'cad.licence');
    const signed = await issuer(
      ...signArguments(out, '--quota', '500', '--period', 'month', '--valid-until', '2030-01-01T00:00:00Z'),
      '--redundancy',
      '--feature',
      'edition=pro',
      '--feature',
      'max_resolution=8k',
    );
    expect(signed.code, signed.stderr).to.equal(ExitCode.ok);
    expect(signed.stdout).to.include('serial 1').and.include(CLUSTER);
    const text = await readFile(out, 'utf8');
    const publicKey = parsePublicKey(await readFile(path.join(directory, 'acme-2026.pub.pem'), 'utf8'));
    const verified = verifyLicenceFile(text, [{ id: 'acme-2026', publicKey }]);
    expect(verified.terms).to.deep.equal({
      licenceId: 'cad',
      product: 'CAD Suite',
      seats: 10,
      quota: { units: 500, period: 'month' },
      validFromMs: 0,
      validUntilMs: Date.UTC(2030, 0, 1),
      redundancy: true,
      features: { edition: 'pro', max_resolution: '8k' },
      serial: 1,
      vendor: 'Acme Software',
      issuedAtMs: Date.UTC(2026, 5, 1),
      clusterId: CLUSTER,
    });

    const shown = await issuer('inspect', out, '--public-key', path.join(directory, 'acme-2026.pub.pem'));
    expect(shown.code).to.equal(ExitCode.ok);
    expect(shown.stdout).to.include('seats:     10').and.include('signature: verifies with');
    const unchecked = await issuer('inspect', out, '--json');
    expect(JSON.parse(unchecked.stdout)).to.deep.include({ keyId: 'acme-2026', signature: 'not checked' });

    // Another vendor's key does not verify it; a tampered copy does not verify.
    await issuer('keygen', '--out', directory, '--key-id', 'other');
    const wrongKey = await issuer('inspect', out, '--public-key', path.join(directory, 'other.pub.pem'));
    expect(wrongKey.code).to.equal(ExitCode.failed);
    expect(wrongKey.stdout).to.include('does NOT verify');
    const envelope = JSON.parse(text) as { signature: string };
    const flipped = envelope.signature.startsWith('A')
      ? `B${envelope.signature.slice(1)}`
      : `A${envelope.signature.slice(1)}`;
    const tampered = path.join(directory, 'tampered.licence');
    await writeFile(tampered, text.replace(envelope.signature, flipped));
    const checked = await issuer(
      'inspect',
      tampered,
      '--public-key',
      path.join(directory, 'acme-2026.pub.pem'),
    );
    expect(checked.code).to.equal(ExitCode.failed);
  });

  it('refuses terms the ledger would refuse, and bad arguments, without writing a file', async () => {
    await issuer('keygen', '--out', directory, '--key-id', 'acme-2026');
    const out = path.join(directory, 'x.licence');
    const badCluster = await issuer(
      ...signArguments(out).map((value) => (value === CLUSTER ? 'not a cluster' : value)),
    );
    expect(badCluster.code).to.equal(ExitCode.failed);
    expect(badCluster.stderr).to.match(/cluster_id/);
    expect((await issuer(...signArguments(out, '--quota', '5'))).code).to.equal(ExitCode.usage);
    expect((await issuer(...signArguments(out, '--period', 'year'))).code).to.equal(ExitCode.usage);
    const control = await issuer(...signArguments(out, '--feature', 'tier=\u001b[2J'));
    expect(control.code).to.equal(ExitCode.failed);
    expect(control.stderr).to.not.include('\u001b');
    // A key whose file name does not tell its id needs --key-id.
    const renamed = path.join(directory, 'signing.pem');
    await writeFile(renamed, await readFile(path.join(directory, 'acme-2026.key.pem')));
    const withoutId = await issuer(
      ...signArguments(out).map((value) => (value.endsWith('acme-2026.key.pem') ? renamed : value)),
    );
    expect(withoutId.code).to.equal(ExitCode.usage);
    expect(withoutId.stderr).to.match(/--key-id/);
    expect(await stat(out).catch(() => null)).to.equal(null);
    const toStdout = await issuer(...signArguments('-'));
    expect(JSON.parse(toStdout.stdout)).to.deep.include({
      format: 'tandem-licence',
      version: 1,
      keyId: 'acme-2026',
    });
  });
});
