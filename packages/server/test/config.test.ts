import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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
    expect(config.cluster).to.deep.equal({ mode: 'single', nodes: [] });
    expect(config.timing.heartbeatIntervalMs).to.equal(100);
    expect(config.timing.failoverTimeoutMs).to.equal(1000);
    expect(config.log.level).to.equal('info');
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
