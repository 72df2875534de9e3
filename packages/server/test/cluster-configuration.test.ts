import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SnapshotMetadata } from '@tandem/consensus';
import { expect } from 'chai';
import { parseConfig, type TandemConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { adoptClusterConfiguration, initialConfiguration } from '../src/replica.js';
import { ServerTestPki, type TlsPaths } from './test-pki.js';

describe('cluster configuration at start-up', () => {
  let directory: string;
  const logger = createLogger('error', 'test');

  let tls: TlsPaths;

  before(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'tandem-cluster-configuration-'));
    tls = await (await ServerTestPki.create(path.join(directory, 'pki'))).tls('node', 'main');
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const single = (): TandemConfig =>
    parseConfig({
      node: { id: 'main', listen: '127.0.0.1:0', dataDir: path.join(directory, 'single') },
      tls,
    });
  const pair = (id: 'main' | 'backup'): TandemConfig =>
    parseConfig({
      node: { id, role: id, listen: '127.0.0.1:7400', dataDir: path.join(directory, id) },
      cluster: {
        mode: 'pair',
        nodes: [
          { id: 'main', role: 'main', address: 'a.example:7400', peerAddress: 'a.example:7401' },
          { id: 'backup', role: 'backup', address: 'b.example:7400', peerAddress: 'b.example:7401' },
        ],
      },
      tls,
    });
  const snapshotOf = (voters: string[], inSync: string[]): SnapshotMetadata => ({
    index: 40,
    term: 3,
    configuration: { voters, inSync },
  });

  it('starts a pair with both nodes voting and in sync, in the same order on both', () => {
    expect(initialConfiguration(single())).to.deep.equal({ voters: ['main'], inSync: ['main'] });
    expect(initialConfiguration(pair('main'))).to.deep.equal({
      voters: ['backup', 'main'],
      inSync: ['backup', 'main'],
    });
    expect(initialConfiguration(pair('backup'))).to.deep.equal(initialConfiguration(pair('main')));
  });

  it("keeps a snapshot's configuration of the same cluster", () => {
    const metadata = snapshotOf(['backup', 'main'], ['main']);
    expect(adoptClusterConfiguration(metadata, pair('main'), logger)).to.equal(metadata);
    const alone = snapshotOf(['main'], ['main']);
    expect(adoptClusterConfiguration(alone, single(), logger)).to.equal(alone);
  });

  it('takes a node that served alone into the pair, in sync alone', () => {
    const adopted = adoptClusterConfiguration(snapshotOf(['main'], ['main']), pair('main'), logger);
    expect(adopted).to.deep.equal(snapshotOf(['backup', 'main'], ['main']));
  });

  it('refuses a data directory of another cluster', () => {
    expect(() =>
      adoptClusterConfiguration(snapshotOf(['backup', 'main'], ['main']), single(), logger),
    ).to.throw(/belongs to a cluster of backup, main/);
    expect(() => adoptClusterConfiguration(snapshotOf(['main'], ['main']), pair('backup'), logger)).to.throw(
      /belongs to a cluster of main/,
    );
  });
});
