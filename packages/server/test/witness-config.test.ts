import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, dataNodeIds, parseConfig, witnessOf } from '../src/config.js';
import { initialConfiguration } from '../src/replica.js';
import { deployPki, expectNodeCertificate, loadExample } from './deploy-examples.js';
import { ServerTestPki, type TlsPaths } from './test-pki.js';

describe('config: witness mode', () => {
  let directory: string;
  let pkiDirectory: string;
  let tls: TlsPaths;

  before(async () => {
    pkiDirectory = await mkdtemp(path.join(os.tmpdir(), 'tandem-witness-config-pki-'));
    tls = await (await ServerTestPki.create(pkiDirectory)).tls('node', 'main');
  });

  after(async () => {
    await rm(pkiDirectory, { recursive: true, force: true });
  });

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'tandem-witness-config-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const trioNodes = () => [
    { id: 'main', role: 'main', address: 'a.example:7400', peerAddress: 'a.example:7401' },
    { id: 'backup', role: 'backup', address: 'b.example:7400', peerAddress: 'b.example:7401' },
    { id: 'witness', role: 'witness', address: 'w.example:7400' },
  ];
  const trio = (overrides: { node?: object; nodes?: object[]; limits?: object } = {}) => ({
    tls,
    node: {
      id: 'main',
      role: 'main',
      listen: '0.0.0.0:7400',
      dataDir: path.join(directory, 'data'),
      ...overrides.node,
    },
    cluster: { mode: 'witness', nodes: overrides.nodes ?? trioNodes() },
    ...(overrides.limits === undefined ? {} : { limits: overrides.limits }),
  });

  function fieldOf(document: unknown): string {
    try {
      parseConfig(document, directory);
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      return (error as ConfigError).field;
    }
    throw new Error('expected a ConfigError');
  }

  it('accepts a main, a backup and a witness, each advertising its listed address', () => {
    for (const role of ['main', 'backup', 'witness'] as const) {
      const config = parseConfig(trio({ node: { id: role, role } }), directory);
      expect(config.cluster.mode).to.equal('witness');
      expect(config.node.role).to.equal(role);
      expect(config.node.advertise).to.equal(trioNodes().find((node) => node.id === role)?.address);
      expect(witnessOf(config)?.id).to.equal('witness');
      expect(dataNodeIds(config)).to.deep.equal(['backup', 'main']);
      // The data nodes have a peer port; the witness has its one port.
      expect(config.node.peerListen).to.equal(role === 'witness' ? null : '0.0.0.0:7401');
    }
  });

  it('gives the witness no HTTP port (it holds no ledger to show)', () => {
    expect(fieldOf(trio({ node: { id: 'witness', role: 'witness', httpListen: '0.0.0.0:7480' } }))).to.equal(
      'node.httpListen',
    );
    expect(parseConfig(trio({ node: { httpListen: '0.0.0.0:7480' } }), directory).node.httpListen).to.equal(
      '0.0.0.0:7480',
    );
    const [main, backup, witness] = trioNodes();
    expect(
      fieldOf(
        trio({ nodes: [main as object, backup as object, { ...witness, httpAddress: 'w.example:7480' }] }),
      ),
    ).to.equal('cluster.nodes[2].httpAddress');
  });

  it('gives the witness one port: no peerAddress, no peerListen', () => {
    const [main, backup, witness] = trioNodes();
    expect(
      fieldOf(
        trio({ nodes: [main as object, backup as object, { ...witness, peerAddress: 'w.example:7401' }] }),
      ),
    ).to.equal('cluster.nodes[2].peerAddress');
    expect(fieldOf(trio({ node: { id: 'witness', role: 'witness', peerListen: '0.0.0.0:7401' } }))).to.equal(
      'node.peerListen',
    );
  });

  it('gives the data nodes three voters with only the data nodes in sync', () => {
    const config = parseConfig(trio(), directory);
    expect(initialConfiguration(config)).to.deep.equal({
      voters: ['backup', 'main', 'witness'],
      inSync: ['backup', 'main'],
    });
  });

  it('needs exactly one main, one backup and one witness', () => {
    const [main, backup] = trioNodes();
    expect(fieldOf(trio({ nodes: [main as object, backup as object] }))).to.equal('cluster.nodes');
    expect(
      fieldOf(trio({ nodes: [...trioNodes(), { id: 'w2', role: 'witness', address: 'x.example:7400' }] })),
    ).to.equal('cluster.nodes');
    expect(fieldOf({ ...trio(), cluster: { mode: 'witness' } })).to.equal('cluster.nodes');
  });

  it('names the node when its role differs from its listed role, or it is not listed', () => {
    expect(fieldOf(trio({ node: { id: 'witness', role: 'main' } }))).to.equal('node.role');
    expect(fieldOf(trio({ node: { id: 'nobody', role: 'main' } }))).to.equal('node.id');
  });

  it('refuses a witness outside witness mode', () => {
    expect(
      fieldOf({
        tls,
        node: { id: 'witness', role: 'witness', listen: '0.0.0.0:7400', dataDir: path.join(directory, 'w') },
        cluster: { mode: 'pair', nodes: trioNodes().slice(0, 2) },
      }),
    ).to.equal('node.role');
    expect(
      fieldOf({
        tls,
        node: { id: 'witness', role: 'witness', listen: '0.0.0.0:7400', dataDir: path.join(directory, 'w') },
      }),
    ).to.equal('node.role');
  });

  it('refuses port 0, duplicate addresses and a request limit too small for replication', () => {
    expect(fieldOf(trio({ node: { listen: '0.0.0.0:0' } }))).to.equal('node.listen');
    expect(
      fieldOf(
        trio({
          nodes: [...trioNodes().slice(0, 2), { id: 'witness', role: 'witness', address: 'a.example:7400' }],
        }),
      ),
    ).to.equal('cluster.nodes[2].address');
    expect(fieldOf(trio({ limits: { maxRequestBytes: 1024 } }))).to.equal('limits.maxRequestBytes');
  });
});

describe('config: the witness-mode examples in deploy/', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'tandem-witness-deploy-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('validates the annotated main, backup and witness files', async () => {
    const pki = await deployPki(path.join(directory, 'pki'), ['main', 'backup'], 'witness');
    for (const [file, id] of [
      ['tandemd.witness-mode.main.yaml', 'main'],
      ['tandemd.witness-mode.backup.yaml', 'backup'],
      ['tandemd.witness.yaml', 'witness'],
    ] as const) {
      // The examples' data directories and certificates are system paths; see deploy-examples.ts.
      const document = loadExample(file, pki, path.join(directory, id));
      const config = parseConfig(document, directory);
      expect(config.cluster.mode).to.equal('witness');
      expect(config.node.id).to.equal(id);
      expect(config.node.role).to.equal(id);
      expect(config.cluster.nodes.map((node) => node.id)).to.deep.equal(['main', 'backup', 'witness']);
      expect(config.node.peerListen).to.equal(id === 'witness' ? null : '0.0.0.0:7401');
      expectNodeCertificate(config, id === 'witness' ? 'witness' : 'node', id);
    }
  });
});
