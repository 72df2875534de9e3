import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { SettingsError } from '../src/errors.js';
import {
  DEFAULT_SETTINGS,
  isServerAddress,
  loadSettings,
  parseSettings,
  resolveSettings,
} from '../src/settings.js';

function settingsError(action: () => unknown): SettingsError {
  try {
    action();
  } catch (error) {
    expect(error).to.be.instanceOf(SettingsError);
    return error as SettingsError;
  }
  throw new Error('expected a SettingsError');
}

/** TLS with the cluster CA and a workstation certificate: what a secure client gives. */
const TLS = { ca: '/etc/tandem/pki/ca.crt', cert: '/etc/tandem/pki/ws.crt', key: '/etc/tandem/pki/ws.key' };

describe('settings', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'tandem-client-settings-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('fills every default from servers and tls alone', () => {
    expect(parseSettings({ servers: ['main:7400', 'backup:7400'], tls: TLS })).to.deep.equal({
      servers: ['main:7400', 'backup:7400'],
      ...DEFAULT_SETTINGS,
      tls: TLS,
      insecure: false,
    });
    expect(DEFAULT_SETTINGS).to.include({
      requestTimeoutMs: 3000,
      maxAttempts: 40,
      retryBackoffMs: 50,
      defaultTtlMs: 30000,
    });
  });

  it('keeps given values, the workstation id and parameters', () => {
    const settings = parseSettings({
      servers: ['10.0.0.1:7400', '[::1]:7401'],
      tls: TLS,
      workstationId: 'cad-17',
      requestTimeoutMs: 500,
      maxAttempts: 3,
      retryBackoffMs: 10,
      defaultTtlMs: 9000,
      mainRetryIntervalMs: 100,
      renewalGraceMs: 1000,
      parameters: { host: 'cad-17.local', cores: 8 },
    });
    expect(settings).to.deep.equal({
      servers: ['10.0.0.1:7400', '[::1]:7401'],
      workstationId: 'cad-17',
      requestTimeoutMs: 500,
      maxAttempts: 3,
      retryBackoffMs: 10,
      defaultTtlMs: 9000,
      mainRetryIntervalMs: 100,
      renewalGraceMs: 1000,
      parameters: { host: 'cad-17.local', cores: 8 },
      tls: TLS,
      insecure: false,
    });
  });

  it('treats keys given as undefined in code as absent', () => {
    expect(parseSettings({ servers: ['a:1'], tls: TLS, maxAttempts: undefined }).maxAttempts).to.equal(40);
  });

  it('rejects unknown keys, naming them', () => {
    expect(settingsError(() => parseSettings({ servers: ['a:1'], tls: TLS, timeout: 5 })).field).to.equal(
      'timeout',
    );
    const nested = settingsError(() =>
      parseSettings({ servers: ['a:1'], tls: TLS, parameters: { hostname: 'x' } }),
    );
    expect(nested.field).to.equal('parameters.hostname');
    expect(nested.message).to.contain('unknown key');
  });

  it('requires a non-empty list of distinct host:port servers', () => {
    expect(settingsError(() => parseSettings({})).field).to.equal('servers');
    expect(settingsError(() => parseSettings({ servers: [] })).message).to.contain('at least one');
    expect(settingsError(() => parseSettings({ servers: 'a:1' })).field).to.equal('servers');
    expect(settingsError(() => parseSettings({ servers: ['a:1', 'b'] })).field).to.equal('servers[1]');
    expect(settingsError(() => parseSettings({ servers: ['a:1', 'a:99999'] })).field).to.equal('servers[1]');
    expect(settingsError(() => parseSettings({ servers: ['a:1', 'a:1'] })).message).to.contain('twice');
    const many = Array.from({ length: 17 }, (_, index) => `h${index}:1`);
    expect(settingsError(() => parseSettings({ servers: many })).message).to.contain('at most 16');
  });

  it('checks that numbers are integers within their ranges', () => {
    expect(
      settingsError(() => parseSettings({ servers: ['a:1'], tls: TLS, requestTimeoutMs: '3000' })).field,
    ).to.equal('requestTimeoutMs');
    expect(
      settingsError(() => parseSettings({ servers: ['a:1'], tls: TLS, maxAttempts: 0 })).message,
    ).to.contain('between 1 and 100');
    expect(
      settingsError(() => parseSettings({ servers: ['a:1'], tls: TLS, retryBackoffMs: 1.5 })).field,
    ).to.equal('retryBackoffMs');
    expect(
      settingsError(() => parseSettings({ servers: ['a:1'], tls: TLS, defaultTtlMs: 1 })).field,
    ).to.equal('defaultTtlMs');
    expect(
      settingsError(() => parseSettings({ servers: ['a:1'], tls: TLS, parameters: { cores: -1 } })).field,
    ).to.equal('parameters.cores');
    expect(
      settingsError(() => parseSettings({ servers: ['a:1'], tls: TLS, workstationId: '' })).field,
    ).to.equal('workstationId');
  });

  it('recognises server addresses', () => {
    expect(isServerAddress('licences.example.internal:7400')).to.equal(true);
    expect(isServerAddress('[fe80::1]:7400')).to.equal(true);
    expect(isServerAddress('host:0')).to.equal(false);
    expect(isServerAddress('host')).to.equal(false);
    expect(isServerAddress('http://host:1')).to.equal(false);
  });

  it('loads a YAML file', async () => {
    const file = path.join(directory, 'settings.yaml');
    await writeFile(
      file,
      'servers:\n  - main:7400\n  - backup:7400\nworkstationId: ws-9\nmaxAttempts: 4\ntls:\n  ca: pki/ca.crt\n  cert: /abs/ws-9.crt\n  key: /abs/ws-9.key\n',
    );
    const settings = loadSettings(file);
    expect(settings.servers).to.deep.equal(['main:7400', 'backup:7400']);
    expect(settings.workstationId).to.equal('ws-9');
    expect(settings.maxAttempts).to.equal(4);
    // A relative path is the settings file's neighbour, wherever the program runs.
    expect(settings.tls).to.deep.equal({
      ca: path.join(directory, 'pki/ca.crt'),
      cert: '/abs/ws-9.crt',
      key: '/abs/ws-9.key',
    });
    expect(resolveSettings(file)).to.deep.equal(settings);
  });

  it('names the file and the field when a file does not validate', async () => {
    const file = path.join(directory, 'bad.yaml');
    await writeFile(file, 'servers: [main:7400]\ntls: { ca: ca.crt }\nrequestTimeoutMs: -5\n');
    const error = settingsError(() => loadSettings(file));
    expect(error.field).to.equal('requestTimeoutMs');
    expect(error.message).to.contain(file);
    expect(error.message).not.to.contain('requestTimeoutMs: requestTimeoutMs');
  });

  it('reports a missing file and invalid YAML', async () => {
    expect(settingsError(() => loadSettings(path.join(directory, 'missing.yaml'))).message).to.contain(
      'cannot read',
    );
    const file = path.join(directory, 'broken.yaml');
    await writeFile(file, 'servers: [main:7400\n');
    expect(settingsError(() => loadSettings(file)).message).to.contain('not valid YAML');
    const empty = path.join(directory, 'empty.yaml');
    await writeFile(empty, '');
    expect(settingsError(() => loadSettings(empty)).field).to.equal('servers');
  });

  it('accepts the example settings file shipped in deploy/', () => {
    const example = fileURLToPath(new URL('../../../deploy/client-settings.yaml', import.meta.url));
    const settings = loadSettings(example);
    expect(settings.servers.length).to.be.greaterThan(0);
    expect(settings.insecure).to.equal(false);
    expect(settings.tls).to.deep.equal({
      ca: '/etc/tandem/pki/ca.crt',
      cert: '/etc/tandem/pki/cad-station-17.crt',
      key: '/etc/tandem/pki/cad-station-17.key',
    });
    expect(settings.workstationId).to.equal('cad-station-17');
  });

  describe('credentials', () => {
    const servers = ['main:7400'];

    it('needs tls unless insecure: true says so, and names tls', () => {
      const error = settingsError(() => parseSettings({ servers }));
      expect(error.field).to.equal('tls');
      expect(error.message).to.contain('insecure: true');
      expect(parseSettings({ servers, insecure: true })).to.deep.include({ insecure: true });
      expect(parseSettings({ servers, insecure: true }).tls).to.equal(undefined);
      expect(settingsError(() => parseSettings({ servers, insecure: 'yes' })).field).to.equal('insecure');
      expect(settingsError(() => parseSettings({ servers, insecure: false })).field).to.equal('tls');
    });

    it('checks the tls section field by field', () => {
      expect(settingsError(() => parseSettings({ servers, tls: 'ca.crt' })).field).to.equal('tls');
      expect(settingsError(() => parseSettings({ servers, tls: { cert: 'a', key: 'b' } })).field).to.equal(
        'tls.ca',
      );
      expect(settingsError(() => parseSettings({ servers, tls: { ca: '' } })).field).to.equal('tls.ca');
      expect(
        settingsError(() => parseSettings({ servers, tls: { ca: 'ca', cert: 5, key: 'k' } })).field,
      ).to.equal('tls.cert');
      const alone = settingsError(() => parseSettings({ servers, tls: { ca: 'ca', cert: 'c' } }));
      expect(alone.field).to.equal('tls.key');
      expect(alone.message).to.contain('go together');
      expect(settingsError(() => parseSettings({ servers, tls: { ca: 'ca', key: 'k' } })).field).to.equal(
        'tls.cert',
      );
      const unknown = settingsError(() => parseSettings({ servers, tls: { ca: 'ca', password: 'x' } }));
      expect(unknown.field).to.equal('tls.password');
    });

    it('takes a token, or a token file, with the CA alone', async () => {
      const withToken = parseSettings({ servers, tls: { ca: 'ca.crt' }, token: 'abc.DEF-123' }, directory);
      expect(withToken.token).to.equal('abc.DEF-123');
      expect(withToken.tls).to.deep.equal({ ca: path.join(directory, 'ca.crt') });
      const file = path.join(directory, 'workstation.token');
      await writeFile(file, 'from-a-file\n');
      const fromFile = parseSettings(
        { servers, tls: { ca: 'ca.crt' }, tokenFile: 'workstation.token' },
        directory,
      );
      expect(fromFile.token).to.equal('from-a-file');
    });

    it('names the token field that is wrong', async () => {
      const tls = { ca: 'ca.crt' };
      expect(settingsError(() => parseSettings({ servers, tls, token: 'two words' })).field).to.equal(
        'token',
      );
      expect(settingsError(() => parseSettings({ servers, tls, token: 'x'.repeat(513) })).field).to.equal(
        'token',
      );
      expect(settingsError(() => parseSettings({ servers, tls, token: 42 })).field).to.equal('token');
      expect(settingsError(() => parseSettings({ servers, tls, token: 'a', tokenFile: 'b' })).field).to.equal(
        'tokenFile',
      );
      const missing = settingsError(() =>
        parseSettings({ servers, tls, tokenFile: 'missing.token' }, directory),
      );
      expect(missing.field).to.equal('tokenFile');
      expect(missing.message).to.contain('cannot read');
      const file = path.join(directory, 'bad.token');
      await writeFile(file, 'has a space\n');
      expect(settingsError(() => parseSettings({ servers, tls, tokenFile: file })).field).to.equal(
        'tokenFile',
      );
    });

    it('never sends a token in plaintext, and never mixes insecure with tls', () => {
      const token = settingsError(() => parseSettings({ servers, insecure: true, token: 'secret' }));
      expect(token.field).to.equal('token');
      expect(token.message).to.contain('plaintext');
      expect(
        settingsError(() => parseSettings({ servers, insecure: true, tls: { ca: 'ca.crt' } })).field,
      ).to.equal('insecure');
    });
  });
});
