import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { parseSettings } from '@tandem/client';
import { clusterIdOfCa, describeCertificate, identityFromCertificate } from '@tandem/pki';
import { expect } from 'chai';
import { repositoryRoot } from '../src/paths.js';
import { freePort } from '../src/ports.js';
import { removeDirectory, temporaryDirectory } from '../src/temporary-directory.js';
import { TestPki } from '../src/test-pki.js';

describe('testkit helpers', () => {
  it('finds a loopback port that can be bound', async () => {
    const port = await freePort();
    expect(port).to.be.within(1, 65535);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise((resolve) => server.close(resolve));
  });

  it('creates and removes temporary directories', async () => {
    const directory = await temporaryDirectory('tandem-testkit-');
    expect(existsSync(directory)).to.equal(true);
    await removeDirectory(directory);
    expect(existsSync(directory)).to.equal(false);
  });

  it('finds the repository root', () => {
    expect(existsSync(`${repositoryRoot()}/pnpm-workspace.yaml`)).to.equal(true);
  });

  it('makes a cluster PKI whose certificates name their holders, for settings and tandemctl', async () => {
    const directory = await temporaryDirectory('tandem-testkit-pki-');
    try {
      const pki = await TestPki.create(directory, { clusterId: 'test-cluster' });
      expect(clusterIdOfCa(readFileSync(pki.caFile, 'utf8'))).to.equal('test-cluster');
      const node = await pki.node('main', { hosts: ['10.0.0.1'] });
      const described = describeCertificate(readFileSync(node.cert, 'utf8'));
      expect(identityFromCertificate(readFileSync(node.cert, 'utf8'))).to.deep.include({
        role: 'node',
        name: 'main',
      });
      expect(described.sans).to.include('IP:10.0.0.1');
      // Issued once: the same files on the next ask.
      expect(await pki.node('main')).to.deep.equal(node);

      const settings = parseSettings(await pki.settings(['127.0.0.1:7400'], 'workstation', 'ws-1'));
      expect(settings.workstationId).to.equal('ws-1');
      expect(settings.tls?.ca).to.equal(pki.caFile);
      const workstation = readFileSync(settings.tls?.cert ?? '', 'utf8');
      expect(identityFromCertificate(workstation)).to.deep.include({ role: 'workstation', name: 'ws-1' });
      const flags = await pki.tandemctlArgs('viewer');
      expect(flags.filter((_, index) => index % 2 === 0)).to.deep.equal(['--ca', '--cert', '--key']);
      expect(identityFromCertificate(readFileSync(flags[3] ?? '', 'utf8'))).to.deep.include({
        role: 'viewer',
      });
      expect(pki.admin.tls).to.not.equal(undefined);
    } finally {
      await removeDirectory(directory);
    }
  });
});
