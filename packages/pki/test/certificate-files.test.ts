import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import {
  CertificateFileError,
  CertificateFiles,
  checkServer,
  createClusterCa,
  issueCertificate,
  type PemPair,
  writePkiFiles,
} from '../src/index.js';

describe('CertificateFiles: PEM files for gRPC, reloaded without a restart', () => {
  let directory: string;
  let ca: PemPair;
  let caFile: string;

  before(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'tandem-certificate-files-'));
    ca = await createClusterCa();
    caFile = (await writePkiFiles(directory, 'ca', ca)).certificatePath;
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function node(name: string): Promise<{ cert: string; key: string; pair: PemPair }> {
    const pair = await issueCertificate(ca, { role: 'node', name });
    const files = await writePkiFiles(directory, name, pair);
    return { cert: files.certificatePath, key: files.keyPath, pair };
  }

  it('loads a matching set and names the identity of its certificate', async () => {
    const files = await node('main');
    const loaded = new CertificateFiles({ ca: caFile, ...files }, { watchIntervalMs: 0 });
    expect(loaded.hasIdentity).to.equal(true);
    expect(loaded.identity).to.deep.include({ role: 'node', name: 'main' });
    expect(loaded.notAfterMs).to.be.greaterThan(Date.now());
    loaded.close();
  });

  it('names the field of a missing, foreign or mismatched file', async () => {
    const files = await node('backup');
    const other = await node('other');
    const fieldOf = (paths: { ca: string; cert?: string; key?: string }) => {
      try {
        new CertificateFiles(paths, {
          watchIntervalMs: 0,
          fields: { ca: 'tls.ca', cert: 'tls.cert', key: 'tls.key' },
        });
      } catch (error) {
        expect(error).to.be.instanceOf(CertificateFileError);
        return (error as CertificateFileError).field;
      }
      throw new Error('expected a CertificateFileError');
    };
    expect(fieldOf({ ca: path.join(directory, 'missing.crt') })).to.equal('tls.ca');
    expect(fieldOf({ ca: caFile, cert: files.cert, key: other.key })).to.equal('tls.key');
    expect(fieldOf({ ca: caFile, cert: files.cert })).to.equal('tls.key');
    const foreign = await createClusterCa();
    const foreignCa = (await writePkiFiles(path.join(directory, 'foreign'), 'ca', foreign)).certificatePath;
    expect(fieldOf({ ca: foreignCa, cert: files.cert, key: files.key })).to.equal('tls.cert');
  });

  it('takes a new pair on reload only once the certificate and its key match', async () => {
    const files = await node('rotating');
    const errors: string[] = [];
    let reloads = 0;
    const loaded = new CertificateFiles(
      { ca: caFile, ...files },
      { watchIntervalMs: 0, onError: (error) => errors.push(error.message), onReload: () => (reloads += 1) },
    );
    const updates: string[] = [];
    loaded.addIdentityCertificateListener((update) => updates.push(update?.certificate.toString() ?? 'none'));
    await Promise.resolve();
    expect(updates).to.have.length(1);
    expect(loaded.reload()).to.equal(false);
    const fresh = await issueCertificate(ca, { role: 'node', name: 'rotating' });
    await writeFile(files.cert, fresh.certificatePem);
    expect(loaded.reload()).to.equal(false);
    expect(errors).to.have.length(1);
    expect(updates).to.have.length(1);
    await writeFile(files.key, fresh.privateKeyPem);
    expect(loaded.reload()).to.equal(true);
    expect(reloads).to.equal(1);
    expect(updates).to.have.length(2);
    expect(updates[1]).to.equal(fresh.certificatePem);
    loaded.close();
  });

  it('shares one file watcher between many users of a file, and keeps it while one remains', async () => {
    const files = await node('shared');
    const first = new CertificateFiles({ ca: caFile, ...files }, { watchIntervalMs: 50 });
    let reloads = 0;
    const second = new CertificateFiles(
      { ca: caFile, ...files },
      { watchIntervalMs: 50, onReload: () => (reloads += 1) },
    );
    first.close();
    const fresh = await issueCertificate(ca, { role: 'node', name: 'shared' });
    await writeFile(files.key, fresh.privateKeyPem);
    await writeFile(files.cert, fresh.certificatePem);
    const deadline = Date.now() + 5000;
    while (reloads === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    second.close();
    expect(reloads).to.equal(1);
  });

  it('checks that the server names the member the client dialled', async () => {
    const main = await issueCertificate(ca, { role: 'node', name: 'main' });
    const { X509Certificate } = await import('node:crypto');
    const peer = { raw: new X509Certificate(main.certificatePem).raw } as never;
    expect(checkServer({ role: 'node', name: 'main' })('127.0.0.1', peer)).to.equal(undefined);
    expect(checkServer({ role: 'node', name: 'backup' })('127.0.0.1', peer)).to.be.instanceOf(Error);
    expect(checkServer({ role: 'witness', name: 'main' })('127.0.0.1', peer)).to.be.instanceOf(Error);
    expect(checkServer({ role: 'any-node' })('127.0.0.1', peer)).to.equal(undefined);
    const workstation = await issueCertificate(ca, { role: 'workstation', name: 'ws-1' });
    const notANode = {
      raw: new X509Certificate(workstation.certificatePem).raw,
      subjectaltname: '',
    } as never;
    expect(checkServer({ role: 'any-node' })('127.0.0.1', notANode)).to.be.instanceOf(Error);
    expect(grpc.status.OK).to.equal(0);
  });
});
