import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { SettingsError } from '../src/errors.js';
import { isLicensingSettingsXml, serversFromLicensingSettingsXml } from '../src/licensing-settings-xml.js';
import { loadLicensingSettingsXml, loadSettings } from '../src/settings.js';

function settingsError(action: () => unknown): SettingsError {
  try {
    action();
  } catch (error) {
    expect(error).to.be.instanceOf(SettingsError);
    return error as SettingsError;
  }
  throw new Error('expected a SettingsError');
}

const servers = (main: string, backup = '') =>
  `<?xml version="1.0" encoding="utf-8"?>\n<LicensingSettings>\n  <LocalLicenseServer ProtocolType="TCP/IP" />\n  <LicensingServers>\n    ${main}\n    ${backup}\n  </LicensingServers>\n</LicensingSettings>\n`;

describe('LicensingSettings.xml', () => {
  it('reads main then backup, with Tandem’s port when none is named', () => {
    const text = servers(
      '<MainNetworkLicenseServer ServerAddress="lic-main" ProtocolType="TCP/IP" />',
      '<BackupNetworkLicenseServer ServerAddress="10.0.0.8" ProtocolType="Sockets" />',
    );
    expect(serversFromLicensingSettingsXml(text)).to.deep.equal(['lic-main:7400', '10.0.0.8:7400']);
  });

  it('takes the port from the address or a port attribute, and IPv6 addresses', () => {
    expect(
      serversFromLicensingSettingsXml(
        servers(
          '<MainNetworkLicenseServer ServerAddress="lic-main:3022" />',
          '<BackupNetworkLicenseServer ServerAddress="fd00::8" ServerPort="7401" />',
        ),
      ),
    ).to.deep.equal(['lic-main:3022', '[fd00::8]:7401']);
    expect(
      serversFromLicensingSettingsXml(servers('<MainNetworkLicenseServer ServerAddress="[fd00::1]:7400" />')),
    ).to.deep.equal(['[fd00::1]:7400']);
  });

  it('ignores a namespace, a byte-order mark and the local service’s settings', () => {
    const text = `\uFEFF<LicensingSettings xmlns="http://www.abbyy.com/Protection/LicensingSettings"><LocalLicenseServer Port="3022"/><LicensingServers><MainNetworkLicenseServer ServerAddress="m"/></LicensingServers></LicensingSettings>`;
    expect(serversFromLicensingSettingsXml(text)).to.deep.equal(['m:7400']);
    expect(isLicensingSettingsXml('settings.conf', text)).to.equal(true);
    expect(isLicensingSettingsXml('LicensingSettings.XML', '')).to.equal(true);
    expect(isLicensingSettingsXml('settings.yaml', 'servers: []')).to.equal(false);
  });

  it('names the element and attribute of what it cannot use', () => {
    const field = (text: string) => settingsError(() => serversFromLicensingSettingsXml(text)).field;
    expect(field('<Other/>')).to.equal('LicensingSettings');
    expect(field('<LicensingSettings><LocalLicenseServer/></LicensingSettings>')).to.equal(
      'LicensingSettings.LicensingServers',
    );
    expect(field(servers('<BackupNetworkLicenseServer ServerAddress="b" />'))).to.equal(
      'LicensingServers.MainNetworkLicenseServer',
    );
    expect(field(servers('<MainNetworkLicenseServer ProtocolType="TCP/IP" />'))).to.equal(
      'LicensingServers.MainNetworkLicenseServer.ServerAddress',
    );
    expect(
      field(servers('<MainNetworkLicenseServer ServerAddress="m" ProtocolType="NamedPipes" />')),
    ).to.equal('LicensingServers.MainNetworkLicenseServer.ProtocolType');
    expect(field(servers('<MainNetworkLicenseServer ServerAddress="m" ServerPort="70000" />'))).to.equal(
      'LicensingServers.MainNetworkLicenseServer.ServerPort',
    );
    expect(field(servers('<MainNetworkLicenseServer ServerAddress="m:7400" Port="7401" />'))).to.equal(
      'LicensingServers.MainNetworkLicenseServer.Port',
    );
    expect(field(servers('<MainNetworkLicenseServer ServerAddress="a b" />'))).to.equal(
      'LicensingServers.MainNetworkLicenseServer.ServerAddress',
    );
    expect(
      field(
        servers(
          '<MainNetworkLicenseServer ServerAddress="m" />',
          '<BackupNetworkLicenseServer ServerAddress="m:7400" />',
        ),
      ),
    ).to.equal('LicensingServers.BackupNetworkLicenseServer.ServerAddress');
    expect(
      field(
        servers(
          '<MainNetworkLicenseServer ServerAddress="m" />',
          '<MainNetworkLicenseServer ServerAddress="n" />',
        ),
      ),
    ).to.equal('LicensingServers.MainNetworkLicenseServer');
  });

  it('refuses malformed XML, a DOCTYPE and an oversized file', () => {
    expect(settingsError(() => serversFromLicensingSettingsXml('<LicensingSettings>')).message).to.contain(
      'not well-formed',
    );
    const entity = `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${servers('<MainNetworkLicenseServer ServerAddress="&e;" />')}`;
    expect(settingsError(() => serversFromLicensingSettingsXml(entity)).message).to.contain('DOCTYPE');
    expect(
      settingsError(() =>
        serversFromLicensingSettingsXml(`<LicensingSettings>${' '.repeat(300_000)}</LicensingSettings>`),
      ).message,
    ).to.contain('larger than');
  });

  describe('in the settings', () => {
    let directory: string;
    beforeEach(async () => {
      directory = await mkdtemp(path.join(os.tmpdir(), 'tandem-licensing-xml-'));
    });
    afterEach(async () => {
      await rm(directory, { recursive: true, force: true });
    });

    it('a YAML file takes its servers from licensingSettings, relative to itself', async () => {
      await writeFile(
        path.join(directory, 'LicensingSettings.xml'),
        servers(
          '<MainNetworkLicenseServer ServerAddress="m" />',
          '<BackupNetworkLicenseServer ServerAddress="b" />',
        ),
      );
      const file = path.join(directory, 'settings.yaml');
      await writeFile(file, 'licensingSettings: LicensingSettings.xml\ntls: { ca: ca.crt }\n');
      expect(loadSettings(file).servers).to.deep.equal(['m:7400', 'b:7400']);
      await writeFile(
        file,
        'licensingSettings: LicensingSettings.xml\nservers: [x:1]\ntls: { ca: ca.crt }\n',
      );
      expect(settingsError(() => loadSettings(file)).field).to.equal('licensingSettings');
      await writeFile(file, 'tls: { ca: ca.crt }\n');
      expect(settingsError(() => loadSettings(file)).field).to.equal('servers');
    });

    it('an error inside the XML names the XML field and the file', async () => {
      const xml = path.join(directory, 'LicensingSettings.xml');
      await writeFile(xml, servers('<MainNetworkLicenseServer ServerAddress="" />'));
      const file = path.join(directory, 'settings.yaml');
      await writeFile(file, `licensingSettings: ${xml}\ntls: { ca: ca.crt }\n`);
      const error = settingsError(() => loadSettings(file));
      expect(error.field).to.equal('LicensingServers.MainNetworkLicenseServer.ServerAddress');
      expect(error.message).to.contain(xml);
    });

    it('the XML alone is refused as settings, pointing at licensingSettings', async () => {
      const xml = path.join(directory, 'LicensingSettings.xml');
      await writeFile(xml, servers('<MainNetworkLicenseServer ServerAddress="m" />'));
      expect(loadLicensingSettingsXml(xml)).to.deep.equal(['m:7400']);
      expect(settingsError(() => loadSettings(xml)).message).to.contain('licensingSettings:');
    });

    it('accepts the examples shipped in deploy/', () => {
      const example = fileURLToPath(
        new URL('../../../deploy/client-settings.licensing-xml.yaml', import.meta.url),
      );
      const settings = loadSettings(example);
      expect(settings.servers).to.deep.equal([
        'main.licences.example.internal:7400',
        'backup.licences.example.internal:7400',
      ]);
      expect(settings.workstationId).to.equal('cad-station-17');
    });
  });
});
