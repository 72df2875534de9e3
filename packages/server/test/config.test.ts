import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateVendorKey } from '@tandem/issuer';
import { expect } from 'chai';
import YAML from 'yaml';
import { ConfigError, loadConfig, parseConfig } from '../src/config.js';

describe('config', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'tandem-config-'));
  });

  afterEach(async () => {
    await chmod(directory, 0o700).catch(() => {});
    await rm(directory, { recursive: true, force: true });
  });

  const minimal = () => ({
    node: { id: 'main', listen: '127.0.0.1:7400', dataDir: path.join(directory, 'data') },
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

  it('fills in every default from a minimal file', () => {
    const config = parseConfig(minimal(), directory);
    expect(config.node).to.deep.include({
      id: 'main',
      role: 'main',
      listen: '127.0.0.1:7400',
      advertise: '127.0.0.1:7400',
    });
    expect(config.cluster).to.deep.equal({ mode: 'single', id: null, nodes: [] });
    expect(config.licensing).to.deep.equal({ vendorKeys: [] });
    expect(config.ledger).to.deep.include({
      auditMaxEntries: 100_000,
      auditRetentionMs: 366 * 24 * 3_600_000,
    });
    expect(config.timing.heartbeatIntervalMs).to.equal(100);
    expect(config.timing.failoverTimeoutMs).to.equal(1000);
    expect(config.log.level).to.equal('info');
  });

  describe('licensing and the cluster id', () => {
    const pem = (key: { export(options: { type: 'spki'; format: 'pem' }): string | Buffer }) =>
      key.export({ type: 'spki', format: 'pem' }).toString();

    it('reads vendor keys inline or from a file, several of them, and a cluster id', async () => {
      const current = generateVendorKey();
      const next = generateVendorKey();
      await writeFile(path.join(directory, 'next.pub.pem'), pem(next.publicKey));
      const config = parseConfig(
        {
          ...minimal(),
          cluster: { id: '8a6e0804-2bd0-4672-b79d-d97027f9071a' },
          licensing: {
            vendorKeys: [
              { id: 'acme-2026', publicKey: pem(current.publicKey) },
              { id: 'acme-2027', publicKey: 'next.pub.pem' },
            ],
          },
          ledger: { auditMaxEntries: 500, auditRetentionMs: 7_200_000 },
        },
        directory,
      );
      expect(config.cluster.id).to.equal('8a6e0804-2bd0-4672-b79d-d97027f9071a');
      expect(config.licensing.vendorKeys.map((key) => key.id)).to.deep.equal(['acme-2026', 'acme-2027']);
      expect(config.licensing.vendorKeys[1]?.publicKey.equals(next.publicKey)).to.equal(true);
      expect(config.ledger).to.deep.include({ auditMaxEntries: 500, auditRetentionMs: 7_200_000 });
    });

    it('names a bad key, a missing file, a duplicate id and a bad cluster id', () => {
      const key = pem(generateVendorKey().publicKey);
      const keys = (vendorKeys: unknown) => ({ ...minimal(), licensing: { vendorKeys } });
      expect(fieldOf(keys('acme'))).to.equal('licensing.vendorKeys');
      expect(fieldOf(keys([{ id: 'a b', publicKey: key }]))).to.equal('licensing.vendorKeys[0].id');
      expect(fieldOf(keys([{ publicKey: key }]))).to.equal('licensing.vendorKeys[0].id');
      expect(fieldOf(keys([{ id: 'k' }]))).to.equal('licensing.vendorKeys[0].publicKey');
      expect(fieldOf(keys([{ id: 'k', publicKey: 'missing.pem' }]))).to.equal(
        'licensing.vendorKeys[0].publicKey',
      );
      expect(
        fieldOf(keys([{ id: 'k', publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' }])),
      ).to.equal('licensing.vendorKeys[0].publicKey');
      const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
      expect(fieldOf(keys([{ id: 'k', publicKey: pem(rsa) }]))).to.equal('licensing.vendorKeys[0].publicKey');
      const privatePem = generateVendorKey().privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      expect(fieldOf(keys([{ id: 'k', publicKey: privatePem }]))).to.equal(
        'licensing.vendorKeys[0].publicKey',
      );
      expect(
        fieldOf(
          keys([
            { id: 'k', publicKey: key },
            { id: 'k', publicKey: key },
          ]),
        ),
      ).to.equal('licensing.vendorKeys[1].id');
      expect(fieldOf(keys([{ id: 'k', publicKey: key, comment: 'x' }]))).to.equal(
        'licensing.vendorKeys[0].comment',
      );
      expect(fieldOf({ ...minimal(), licensing: { keys: [] } })).to.equal('licensing.keys');
      expect(fieldOf({ ...minimal(), cluster: { id: 'not a cluster' } })).to.equal('cluster.id');
      expect(fieldOf({ ...minimal(), ledger: { auditMaxEntries: 5 } })).to.equal('ledger.auditMaxEntries');
      expect(fieldOf({ ...minimal(), ledger: { auditRetentionMs: 1000 } })).to.equal(
        'ledger.auditRetentionMs',
      );
    });
  });

  it('names an unknown key, at the top level and nested', () => {
    expect(fieldOf({ ...minimal(), colour: 'blue' })).to.equal('colour');
    expect(fieldOf({ node: { ...minimal().node, port: 1 } })).to.equal('node.port');
    expect(fieldOf({ ...minimal(), timing: { failoverTimeout: 5 } })).to.equal('timing.failoverTimeout');
  });

  it('names a bad address', () => {
    expect(fieldOf({ node: { ...minimal().node, listen: 'localhost' } })).to.equal('node.listen');
    expect(fieldOf({ node: { ...minimal().node, listen: 'host:99999' } })).to.equal('node.listen');
    expect(fieldOf({ node: { ...minimal().node, advertise: 'a b:1' } })).to.equal('node.advertise');
  });

  it('names a missing required field', () => {
    expect(fieldOf({ node: { id: 'main', listen: '127.0.0.1:1' } })).to.equal('node.dataDir');
    expect(fieldOf({})).to.equal('node');
  });

  it('names an unwritable data directory', async () => {
    if (process.getuid?.() === 0) {
      // root can write anywhere, so use a path under a regular file instead.
      const file = path.join(directory, 'file');
      await writeFile(file, 'x');
      expect(fieldOf({ node: { ...minimal().node, dataDir: path.join(file, 'data') } })).to.equal(
        'node.dataDir',
      );
      return;
    }
    const locked = path.join(directory, 'locked');
    await writeFile(path.join(directory, 'placeholder'), '');
    await chmod(directory, 0o500);
    expect(fieldOf({ node: { ...minimal().node, dataDir: locked } })).to.equal('node.dataDir');
  });

  it('names out-of-range and mistyped numbers', () => {
    expect(fieldOf({ ...minimal(), timing: { heartbeatIntervalMs: 'fast' } })).to.equal(
      'timing.heartbeatIntervalMs',
    );
    expect(fieldOf({ ...minimal(), timing: { failoverTimeoutMs: 50 } })).to.equal('timing.failoverTimeoutMs');
    expect(fieldOf({ ...minimal(), limits: { maxBatchEntries: 0 } })).to.equal('limits.maxBatchEntries');
    expect(fieldOf({ ...minimal(), log: { level: 'chatty' } })).to.equal('log.level');
  });

  it('refuses modes this release does not serve, naming cluster.mode', () => {
    expect(fieldOf({ ...minimal(), cluster: { mode: 'cluster' } })).to.equal('cluster.mode');
    // Witness mode is served; without its three nodes the list is what is wrong.
    expect(fieldOf({ ...minimal(), cluster: { mode: 'witness' } })).to.equal('cluster.nodes');
  });

  describe('pair mode', () => {
    const pairNodes = () => [
      { id: 'main', role: 'main', address: 'a.example:7400' },
      { id: 'backup', role: 'backup', address: 'b.example:7400' },
    ];
    const pair = (overrides: { node?: object; nodes?: object[]; limits?: object } = {}) => ({
      node: { ...minimal().node, listen: '0.0.0.0:7400', ...overrides.node },
      cluster: { mode: 'pair', nodes: overrides.nodes ?? pairNodes() },
      ...(overrides.limits === undefined ? {} : { limits: overrides.limits }),
    });

    it('accepts a main and a backup, and advertises the listed address', () => {
      const config = parseConfig(pair(), directory);
      expect(config.cluster.mode).to.equal('pair');
      expect(config.cluster.nodes.map((node) => node.id)).to.deep.equal(['main', 'backup']);
      expect(config.node.advertise).to.equal('a.example:7400');
      const backup = parseConfig(pair({ node: { id: 'backup', role: 'backup' } }), directory);
      expect(backup.node.advertise).to.equal('b.example:7400');
    });

    it('needs exactly one main and one backup', () => {
      expect(fieldOf(pair({ nodes: [pairNodes()[0] as object] }))).to.equal('cluster.nodes');
      expect(
        fieldOf(pair({ nodes: [...pairNodes(), { id: 'main2', role: 'main', address: 'c.example:7400' }] })),
      ).to.equal('cluster.nodes');
      expect(
        fieldOf(
          pair({
            nodes: [
              { id: 'main', role: 'main', address: 'a.example:7400' },
              { id: 'other', role: 'main', address: 'b.example:7400' },
            ],
          }),
        ),
      ).to.equal('cluster.nodes');
      expect(
        fieldOf(pair({ nodes: [...pairNodes(), { id: 'w', role: 'witness', address: 'c.example:7400' }] })),
      ).to.equal('cluster.nodes[2].role');
      expect(fieldOf({ ...pair(), cluster: { mode: 'pair' } })).to.equal('cluster.nodes');
    });

    it('names duplicate ids and addresses', () => {
      expect(
        fieldOf(
          pair({
            nodes: [
              { id: 'main', role: 'main', address: 'a.example:7400' },
              { id: 'main', role: 'backup', address: 'b.example:7400' },
            ],
          }),
        ),
      ).to.equal('cluster.nodes[1].id');
      expect(
        fieldOf(
          pair({
            nodes: [
              { id: 'main', role: 'main', address: 'a.example:7400' },
              { id: 'backup', role: 'backup', address: 'a.example:7400' },
            ],
          }),
        ),
      ).to.equal('cluster.nodes[1].address');
    });

    it('needs this node listed with the same role', () => {
      expect(fieldOf(pair({ node: { id: 'elsewhere' } }))).to.equal('node.id');
      expect(fieldOf(pair({ node: { role: 'backup' } }))).to.equal('node.role');
      expect(fieldOf(pair({ node: { id: 'backup', role: 'main' } }))).to.equal('node.role');
    });

    it('names a bad entry, a different advertise address, port 0 and a small request limit', () => {
      expect(fieldOf(pair({ nodes: [{ id: 'main', role: 'main' }, pairNodes()[1] as object] }))).to.equal(
        'cluster.nodes[0].address',
      );
      expect(
        fieldOf(pair({ nodes: [{ ...pairNodes()[0], address: 'a.example:0' }, pairNodes()[1] as object] })),
      ).to.equal('cluster.nodes[0].address');
      expect(fieldOf(pair({ node: { advertise: 'elsewhere.example:7400' } }))).to.equal('node.advertise');
      expect(fieldOf(pair({ node: { listen: '0.0.0.0:0' } }))).to.equal('node.listen');
      expect(fieldOf(pair({ limits: { maxRequestBytes: 65_536 } }))).to.equal('limits.maxRequestBytes');
      expect(fieldOf({ ...minimal(), cluster: { mode: 'single', nodes: pairNodes() } })).to.equal(
        'cluster.nodes',
      );
    });
  });

  it('loads YAML from a file and reports YAML syntax errors', async () => {
    const good = path.join(directory, 'good.yaml');
    await writeFile(good, 'node:\n  id: main\n  listen: 127.0.0.1:0\n  dataDir: ./data\n');
    expect(loadConfig(good).node.dataDir).to.equal(path.join(directory, 'data'));
    const bad = path.join(directory, 'bad.yaml');
    await writeFile(bad, 'node: [unclosed\n');
    expect(() => loadConfig(bad)).to.throw(ConfigError, /not valid YAML/);
  });

  it('validates the annotated pair examples in deploy/', () => {
    for (const [file, id] of [
      ['tandemd.main.yaml', 'main'],
      ['tandemd.backup.yaml', 'backup'],
    ] as const) {
      const example = path.resolve(import.meta.dirname, `../../../deploy/${file}`);
      const document = YAML.parse(readFileSync(example, 'utf8')) as { node: { dataDir: string } };
      document.node.dataDir = path.join(directory, id);
      const config = parseConfig(document, directory);
      expect(config.cluster.mode).to.equal('pair');
      expect(config.node.id).to.equal(id);
      expect(config.node.role).to.equal(id);
    }
  });

  it('validates the annotated example in deploy/', () => {
    const example = path.resolve(import.meta.dirname, '../../../deploy/tandemd.single.yaml');
    // The example's data directory is a system path, so point it at the test's directory.
    const document = YAML.parse(readFileSync(example, 'utf8')) as { node: { dataDir: string } };
    document.node.dataDir = path.join(directory, 'example');
    const config = parseConfig(document, directory);
    expect(config.cluster.mode).to.equal('single');
    expect(config.node.advertise).to.equal('licences.example.internal:7400');
  });
});
