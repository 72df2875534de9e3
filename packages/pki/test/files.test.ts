import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { type ClusterCa, createClusterCa, issueCertificate, loadCa, writePkiFiles } from '../src/index.js';
import { expectPkiError } from './helpers.js';

async function mode(file: string): Promise<number> {
  return (await stat(file)).mode & 0o777;
}

describe('@tandem/pki files', () => {
  let directory: string;
  let ca: ClusterCa;

  before(async () => {
    ca = await createClusterCa({ clusterId: 'files' });
  });

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'tandem-pki-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('writes <name>.crt (0644) and <name>.key (0600), creating the directory, and leaves no temporary file', async () => {
    const target = path.join(directory, 'pki');
    const files = await writePkiFiles(target, 'ca', ca);
    expect(files).to.deep.equal({
      certificatePath: path.join(target, 'ca.crt'),
      keyPath: path.join(target, 'ca.key'),
    });
    expect(await readFile(files.certificatePath, 'utf8')).to.equal(ca.certificatePem);
    expect(await readFile(files.keyPath, 'utf8')).to.equal(ca.privateKeyPem);
    expect(await mode(files.certificatePath)).to.equal(0o644);
    expect(await mode(files.keyPath)).to.equal(0o600);
    expect(await mode(target)).to.equal(0o700);
    expect((await readdir(target)).sort()).to.deep.equal(['ca.crt', 'ca.key']);
  });

  it('replaces files (a rotation) unless told not to overwrite', async () => {
    const first = await issueCertificate(ca, { role: 'node', name: 'main' });
    const second = await issueCertificate(ca, { role: 'node', name: 'main' });
    const files = await writePkiFiles(directory, 'main', first);
    // A key file someone loosened is tightened again.
    await writeFile(files.keyPath, 'old', { mode: 0o644 });
    await writePkiFiles(directory, 'main', second);
    expect(await readFile(files.certificatePath, 'utf8')).to.equal(second.certificatePem);
    expect(await mode(files.keyPath)).to.equal(0o600);
    await expectPkiError(() => writePkiFiles(directory, 'main', first, { overwrite: false }), 'exists');
    expect(await readFile(files.certificatePath, 'utf8')).to.equal(second.certificatePem);
    await expectPkiError(() => writePkiFiles(directory, '../evil', first), 'bad_argument', 'name');
  });

  it('loads a CA with its cluster id, and refuses missing, unreadable or mismatched files', async () => {
    await writePkiFiles(directory, 'ca', ca);
    const loaded = await loadCa(directory);
    expect(loaded.clusterId).to.equal('files');
    expect(loaded.certificatePem).to.equal(ca.certificatePem);
    expect(loaded.privateKeyPem).to.equal(ca.privateKeyPem);
    expect(loaded.certificatePath).to.equal(path.join(directory, 'ca.crt'));

    await expectPkiError(() => loadCa(path.join(directory, 'nowhere')), 'ca_missing');
    const other = await createClusterCa();
    await writeFile(path.join(directory, 'ca.key'), other.privateKeyPem);
    await expectPkiError(() => loadCa(directory), 'key_mismatch', path.join(directory, 'ca.key'));
    await writeFile(path.join(directory, 'ca.key'), 'junk');
    await expectPkiError(() => loadCa(directory), 'bad_key');
    await writeFile(path.join(directory, 'ca.crt'), 'junk');
    await expectPkiError(() => loadCa(directory), 'bad_certificate');
    const leaf = await issueCertificate(ca, { role: 'admin', name: 'root' });
    await writePkiFiles(directory, 'ca', leaf);
    await expectPkiError(() => loadCa(directory), 'not_a_ca');
  });
});
