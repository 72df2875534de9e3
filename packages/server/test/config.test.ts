import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateVendorKey } from '@tandem/issuer';
import { expect } from 'chai';
import { ConfigError, loadConfig, parseConfig } from '../src/config.js';
import { type DeployPki, deployPki, expectNodeCertificate, loadExample } from './deploy-examples.js';
import { ServerTestPki, type TlsPaths } from './test-pki.js';

describe('config', () => {
  let directory: string;
  let pkiDirectory: string;
  let pki: ServerTestPki;
  /** The main node's certificate files, as `tandemctl pki issue --node main` writes them. */
  let tls: TlsPaths;

  before(async () => {
    pkiDirectory = await mkdtemp(path.join(os.tmpdir(), 'tandem-config-pki-'));
    pki = await ServerTestPki.create(pkiDirectory);
    tls = await pki.tls('node', 'main');
  });

  after(async () => {
    await rm(pkiDirectory, { recursive: true, force: true });
  });

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'tandem-config-'));
  });

  afterEach(async () => {
    await chmod(directory, 0o700).catch(() => {});
    await rm(directory, { recursive: true, force: true });
  });

  const minimal = () => ({
    node: { id: 'main', listen: '127.0.0.1:7400', dataDir: path.join(directory, 'data') },
    tls: { ca: tls.ca, cert: tls.cert, key: tls.key },
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
    expect(config.node.peerListen).to.equal(null);
    expect(config.node.httpListen).to.equal(null);
    expect(config.cluster).to.deep.equal({ mode: 'single', id: null, nodes: [] });
    expect(config.licensing).to.deep.equal({ vendorKeys: [] });
    expect(config.security).to.deep.equal({
      insecure: false,
      client: { ...tls, clientCertificates: 'optional' },
      peer: tls,
      tokens: [],
      reflection: false,
    });
    expect(config.ledger).to.deep.include({
      auditMaxEntries: 100_000,
      auditRetentionMs: 366 * 24 * 3_600_000,
      seatHistoryMaxEntries: 10_000,
      seatHistoryRetentionMs: 24 * 3_600_000,
    });
    expect(config.timing.heartbeatIntervalMs).to.equal(100);
    expect(config.timing.failoverTimeoutMs).to.equal(900);
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
    expect(fieldOf({ ...minimal(), node: { ...minimal().node, port: 1 } })).to.equal('node.port');
    expect(fieldOf({ ...minimal(), timing: { failoverTimeout: 5 } })).to.equal('timing.failoverTimeout');
  });

  it('names a bad address', () => {
    const node = (fields: object) => ({ ...minimal(), node: { ...minimal().node, ...fields } });
    expect(fieldOf(node({ listen: 'localhost' }))).to.equal('node.listen');
    expect(fieldOf(node({ listen: 'host:99999' }))).to.equal('node.listen');
    expect(fieldOf(node({ advertise: 'a b:1' }))).to.equal('node.advertise');
  });

  it('names a missing required field', () => {
    expect(fieldOf({ ...minimal(), node: { id: 'main', listen: '127.0.0.1:1' } })).to.equal('node.dataDir');
    expect(fieldOf({})).to.equal('node');
  });

  it('names an unwritable data directory', async () => {
    if (process.getuid?.() === 0) {
      // root can write anywhere, so use a path under a regular file instead.
      const file = path.join(directory, 'file');
      await writeFile(file, 'x');
      expect(
        fieldOf({ ...minimal(), node: { ...minimal().node, dataDir: path.join(file, 'data') } }),
      ).to.equal('node.dataDir');
      return;
    }
    const locked = path.join(directory, 'locked');
    await writeFile(path.join(directory, 'placeholder'), '');
    await chmod(directory, 0o500);
    expect(fieldOf({ ...minimal(), node: { ...minimal().node, dataDir: locked } })).to.equal('node.dataDir');
  });

  it('names out-of-range and mistyped numbers', () => {
    expect(fieldOf({ ...minimal(), timing: { heartbeatIntervalMs: 'fast' } })).to.equal(
      'timing.heartbeatIntervalMs',
    );
    expect(fieldOf({ ...minimal(), timing: { failoverTimeoutMs: 50 } })).to.equal('timing.failoverTimeoutMs');
    expect(fieldOf({ ...minimal(), limits: { maxBatchEntries: 0 } })).to.equal('limits.maxBatchEntries');
    expect(fieldOf({ ...minimal(), log: { level: 'chatty' } })).to.equal('log.level');
  });

  it('snapshots by bytes of log by default, and still every N entries when an older file says so', () => {
    expect(parseConfig(minimal(), directory).snapshot).to.deep.equal({
      everyBytes: 16 * 1024 * 1024,
      everyEntries: 0,
    });
    // A file written for an earlier release, with only everyEntries, still loads and is honoured.
    expect(
      parseConfig({ ...minimal(), snapshot: { everyEntries: 10_000 } }, directory).snapshot,
    ).to.deep.equal({
      everyBytes: 16 * 1024 * 1024,
      everyEntries: 10_000,
    });
    expect(
      parseConfig({ ...minimal(), snapshot: { everyBytes: 1024 * 1024, everyEntries: 0 } }, directory)
        .snapshot,
    ).to.deep.equal({ everyBytes: 1024 * 1024, everyEntries: 0 });
    expect(fieldOf({ ...minimal(), snapshot: { everyEntries: 5 } })).to.equal('snapshot.everyEntries');
    expect(fieldOf({ ...minimal(), snapshot: { everyBytes: 1000 } })).to.equal('snapshot.everyBytes');
    expect(fieldOf({ ...minimal(), snapshot: { everyBytes: 'lots' } })).to.equal('snapshot.everyBytes');
  });

  it('refuses modes this release does not serve, naming cluster.mode', () => {
    expect(fieldOf({ ...minimal(), cluster: { mode: 'cluster' } })).to.equal('cluster.mode');
    // Witness mode is served; without its three nodes the list is what is wrong.
    expect(fieldOf({ ...minimal(), cluster: { mode: 'witness' } })).to.equal('cluster.nodes');
  });

  describe('pair mode', () => {
    const pairNodes = () => [
      { id: 'main', role: 'main', address: 'a.example:7400', peerAddress: 'a.example:7401' },
      { id: 'backup', role: 'backup', address: 'b.example:7400', peerAddress: 'b.example:7401' },
    ];
    const pair = (overrides: { node?: object; nodes?: object[]; limits?: object } = {}) => ({
      ...minimal(),
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

    it("listens for the peer on listen's host with the port of its peerAddress, unless told otherwise", () => {
      const config = parseConfig(pair(), directory);
      expect(config.node.peerListen).to.equal('0.0.0.0:7401');
      expect(config.cluster.nodes.map((node) => node.peerAddress)).to.deep.equal([
        'a.example:7401',
        'b.example:7401',
      ]);
      const given = parseConfig(pair({ node: { peerListen: '10.0.0.5:7501' } }), directory);
      expect(given.node.peerListen).to.equal('10.0.0.5:7501');
    });

    it('opens an HTTP port only when node.httpListen is given, on a port of its own', () => {
      expect(parseConfig(pair(), directory).node.httpListen).to.equal(null);
      expect(parseConfig(pair({ node: { httpListen: '0.0.0.0:7480' } }), directory).node.httpListen).to.equal(
        '0.0.0.0:7480',
      );
      expect(parseConfig(pair({ node: { httpListen: '127.0.0.1:0' } }), directory).node.httpListen).to.equal(
        '127.0.0.1:0',
      );
      expect(fieldOf(pair({ node: { httpListen: '0.0.0.0:7400' } }))).to.equal('node.httpListen');
      expect(fieldOf(pair({ node: { httpListen: '0.0.0.0:7401' } }))).to.equal('node.httpListen');
      expect(fieldOf(pair({ node: { httpListen: 'nowhere' } }))).to.equal('node.httpListen');
    });

    it("takes each data node's console address (httpAddress) for links between the consoles", () => {
      const [main, backup] = pairNodes();
      const config = parseConfig(
        pair({ nodes: [{ ...main, httpAddress: 'a.example:7480' }, backup as object] }),
        directory,
      );
      expect(config.cluster.nodes.map((node) => node.httpAddress)).to.deep.equal(['a.example:7480', null]);
      expect(fieldOf(pair({ nodes: [{ ...main, httpAddress: 'a.example:0' }, backup as object] }))).to.equal(
        'cluster.nodes[0].httpAddress',
      );
    });

    it('needs a separate peer port for each data node', () => {
      const [main, backup] = pairNodes();
      expect(
        fieldOf(pair({ nodes: [{ id: 'main', role: 'main', address: 'a.example:7400' }, backup as object] })),
      ).to.equal('cluster.nodes[0].peerAddress');
      expect(fieldOf(pair({ nodes: [{ ...main, peerAddress: 'a.example' }, backup as object] }))).to.equal(
        'cluster.nodes[0].peerAddress',
      );
      expect(fieldOf(pair({ nodes: [{ ...main, peerAddress: main?.address }, backup as object] }))).to.equal(
        'cluster.nodes[0].peerAddress',
      );
      expect(
        fieldOf(pair({ nodes: [main as object, { ...backup, peerAddress: main?.peerAddress }] })),
      ).to.equal('cluster.nodes[1].peerAddress');
      expect(fieldOf(pair({ nodes: [main as object, { ...backup, address: main?.peerAddress }] }))).to.equal(
        'cluster.nodes[1].address',
      );
      expect(fieldOf(pair({ node: { peerListen: '0.0.0.0:7400' } }))).to.equal('node.peerListen');
      expect(fieldOf(pair({ node: { peerListen: '0.0.0.0:0' } }))).to.equal('node.peerListen');
      expect(fieldOf({ ...minimal(), node: { ...minimal().node, peerListen: '127.0.0.1:7401' } })).to.equal(
        'node.peerListen',
      );
    });

    it('needs exactly one main and one backup', () => {
      expect(fieldOf(pair({ nodes: [pairNodes()[0] as object] }))).to.equal('cluster.nodes');
      expect(
        fieldOf(
          pair({
            nodes: [
              ...pairNodes(),
              { id: 'main2', role: 'main', address: 'c.example:7400', peerAddress: 'c.example:7401' },
            ],
          }),
        ),
      ).to.equal('cluster.nodes');
      expect(
        fieldOf(
          pair({
            nodes: [
              { id: 'main', role: 'main', address: 'a.example:7400', peerAddress: 'a.example:7401' },
              { id: 'other', role: 'main', address: 'b.example:7400', peerAddress: 'b.example:7401' },
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
              { id: 'main', role: 'main', address: 'a.example:7400', peerAddress: 'a.example:7401' },
              { id: 'main', role: 'backup', address: 'b.example:7400', peerAddress: 'b.example:7401' },
            ],
          }),
        ),
      ).to.equal('cluster.nodes[1].id');
      expect(
        fieldOf(
          pair({
            nodes: [
              { id: 'main', role: 'main', address: 'a.example:7400', peerAddress: 'a.example:7401' },
              { id: 'backup', role: 'backup', address: 'a.example:7400', peerAddress: 'b.example:7401' },
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
      expect(
        fieldOf(
          pair({
            nodes: [{ id: 'main', role: 'main', peerAddress: 'a.example:7401' }, pairNodes()[1] as object],
          }),
        ),
      ).to.equal('cluster.nodes[0].address');
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

  describe('security', () => {
    const secure = (fields: Record<string, unknown>) => ({ ...minimal(), ...fields });
    const sha256 = (character: string) => character.repeat(64);

    it('refuses to start without tls unless insecure: true says so', () => {
      const { tls: _tls, ...withoutTls } = minimal();
      const error = (() => {
        try {
          parseConfig(withoutTls, directory);
        } catch (caught) {
          return caught as ConfigError;
        }
        throw new Error('expected a ConfigError');
      })();
      expect(error).to.be.instanceOf(ConfigError);
      expect(error.field).to.equal('tls');
      expect(error.message).to.contain('insecure: true');
      expect(fieldOf({ ...withoutTls, insecure: 'yes' })).to.equal('insecure');
    });

    it('runs insecure only when asked, and then refuses tls beside it', () => {
      const { tls: _tls, ...withoutTls } = minimal();
      const config = parseConfig({ ...withoutTls, insecure: true }, directory);
      expect(config.security).to.deep.include({ insecure: true, client: null, peer: null });
      expect(fieldOf({ ...minimal(), insecure: true })).to.equal('tls');
    });

    it('names a missing or unreadable certificate file', () => {
      expect(fieldOf(secure({ tls: { ...tls, ca: path.join(directory, 'missing.crt') } }))).to.equal(
        'tls.ca',
      );
      expect(fieldOf(secure({ tls: { ...tls, cert: path.join(directory, 'missing.crt') } }))).to.equal(
        'tls.cert',
      );
      expect(fieldOf(secure({ tls: { ...tls, key: '' } }))).to.equal('tls.key');
      // Without a default, each listener needs its own.
      expect(fieldOf(secure({ tls: { ca: tls.ca, key: tls.key } }))).to.equal('tls.client.cert');
      expect(
        fieldOf(secure({ tls: { ca: tls.ca, cert: tls.cert, key: tls.key, peer: { ca: 7 } } })),
      ).to.equal('tls.peer.ca');
      expect(fieldOf(secure({ tls: { ...tls, colour: 'blue' } }))).to.equal('tls.colour');
    });

    it('takes per-listener files over the defaults, and client certificates optional or required', async () => {
      const client = await pki.tls('node', 'main-client-port');
      const config = parseConfig(
        secure({
          tls: {
            ca: tls.ca,
            cert: tls.cert,
            key: tls.key,
            client: { cert: client.cert, key: client.key, clientCertificates: 'required' },
          },
        }),
        directory,
      );
      expect(config.security.client).to.deep.equal({ ...client, clientCertificates: 'required' });
      expect(config.security.peer).to.deep.equal(tls);
      const peerOnly = parseConfig(secure({ tls: { ca: tls.ca, client: client, peer: tls } }), directory);
      expect(peerOnly.security.client).to.deep.equal({ ...client, clientCertificates: 'optional' });
      expect(peerOnly.security.peer).to.deep.equal(tls);
      expect(fieldOf(secure({ tls: { ...tls, client: { clientCertificates: 'sometimes' } } }))).to.equal(
        'tls.client.clientCertificates',
      );
    });

    it('resolves relative certificate paths against the configuration file', () => {
      const config = parseConfig(
        secure({
          tls: { ca: path.basename(tls.ca), cert: path.basename(tls.cert), key: path.basename(tls.key) },
        }),
        pkiDirectory,
      );
      expect(config.security.peer).to.deep.equal(tls);
    });

    it('checks tokens: a name, a client role and a sha256, each given once', () => {
      const config = parseConfig(
        secure({ auth: { tokens: [{ name: 'monitoring', role: 'viewer', sha256: sha256('A') }] } }),
        directory,
      );
      expect(config.security.tokens).to.deep.equal([
        { name: 'monitoring', role: 'viewer', sha256: sha256('a') },
      ]);
      const token = (fields: object) =>
        secure({ auth: { tokens: [{ name: 'ci', role: 'operator', sha256: sha256('b'), ...fields }] } });
      expect(fieldOf(token({ name: 'two words' }))).to.equal('auth.tokens[0].name');
      expect(fieldOf(token({ role: 'node' }))).to.equal('auth.tokens[0].role');
      expect(fieldOf(token({ role: 'witness' }))).to.equal('auth.tokens[0].role');
      expect(fieldOf(token({ sha256: 'abc' }))).to.equal('auth.tokens[0].sha256');
      expect(fieldOf(token({ secret: 'x' }))).to.equal('auth.tokens[0].secret');
      expect(fieldOf(secure({ auth: { tokens: 'ci' } }))).to.equal('auth.tokens');
      expect(
        fieldOf(
          secure({
            auth: {
              tokens: [
                { name: 'ci', role: 'operator', sha256: sha256('b') },
                { name: 'ci', role: 'viewer', sha256: sha256('c') },
              ],
            },
          }),
        ),
      ).to.equal('auth.tokens[1].name');
      expect(
        fieldOf(
          secure({
            auth: {
              tokens: [
                { name: 'ci', role: 'operator', sha256: sha256('b') },
                { name: 'other', role: 'viewer', sha256: sha256('B') },
              ],
            },
          }),
        ),
      ).to.equal('auth.tokens[1].sha256');
    });

    it('keeps reflection off unless asked, and names a bad value', () => {
      expect(parseConfig(secure({ reflection: true }), directory).security.reflection).to.equal(true);
      expect(fieldOf(secure({ reflection: 'on' }))).to.equal('reflection');
    });
  });

  it('loads YAML from a file and reports YAML syntax errors', async () => {
    const good = path.join(directory, 'good.yaml');
    await writeFile(
      good,
      `node:\n  id: main\n  listen: 127.0.0.1:0\n  dataDir: ./data\ntls:\n  ca: ${tls.ca}\n  cert: ${tls.cert}\n  key: ${tls.key}\n`,
    );
    expect(loadConfig(good).node.dataDir).to.equal(path.join(directory, 'data'));
    const bad = path.join(directory, 'bad.yaml');
    await writeFile(bad, 'node: [unclosed\n');
    expect(() => loadConfig(bad)).to.throw(ConfigError, /not valid YAML/);
  });

  describe('the annotated examples in deploy/', () => {
    let examplePki: DeployPki;

    before(async () => {
      examplePki = await deployPki(path.join(pkiDirectory, 'deploy'), ['main', 'backup']);
    });

    it('validates the annotated pair examples', () => {
      for (const [file, id] of [
        ['tandemd.main.yaml', 'main'],
        ['tandemd.backup.yaml', 'backup'],
      ] as const) {
        const document = loadExample(file, examplePki, path.join(directory, id));
        const config = parseConfig(document, directory);
        expect(config.cluster.mode).to.equal('pair');
        expect(config.node.id).to.equal(id);
        expect(config.node.role).to.equal(id);
        expect(config.node.peerListen).to.equal('0.0.0.0:7401');
        expectNodeCertificate(config, 'node', id);
      }
    });

    it('validates the annotated single-node example', () => {
      const document = loadExample('tandemd.single.yaml', examplePki, path.join(directory, 'example'));
      const config = parseConfig(document, directory);
      expect(config.cluster.mode).to.equal('single');
      expect(config.node.advertise).to.equal('licences.example.internal:7400');
      expect(config.security.insecure).to.equal(false);
      expectNodeCertificate(config, 'node', 'main');
    });
  });
});
