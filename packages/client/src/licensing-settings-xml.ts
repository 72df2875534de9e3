// The server list of an ABBYY-style LicensingSettings.xml, so that an engine deployment that already
// names its main and backup licence servers there can point at Tandem without rewriting it.
//
// Only the workstation side of that file means anything to Tandem:
//
//   <LicensingSettings>
//     <LicensingServers>
//       <MainNetworkLicenseServer ServerAddress="lic-main" ProtocolType="TCP/IP" />
//       <BackupNetworkLicenseServer ServerAddress="lic-backup:7400" ProtocolType="Sockets" />
//     </LicensingServers>
//   </LicensingSettings>
//
// Everything else in it (the local licensing service's own settings) is ignored. The file carries no
// TLS settings and no identity: those come from the YAML settings that point at it, or from
// tandemctl's flags. Errors name the element and attribute, as a dotted path.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SettingsError } from './errors.js';

/** The port a server gets when the file names none: Tandem's client port, not the ABBYY service's. */
export const DEFAULT_TANDEM_PORT = 7400;
/** A settings file is a few hundred bytes; anything this large is not one. */
const MAX_XML_BYTES = 256 * 1024;
/** ProtocolType values that mean TCP: "TCP/IP" on Windows, "Sockets" on Linux. */
const TCP_PROTOCOLS = ['tcp/ip', 'sockets'];
const SERVER_ELEMENTS = ['MainNetworkLicenseServer', 'BackupNetworkLicenseServer'] as const;
const MAX_HOST_LENGTH = 253;

/** True when a settings file is XML (by its name, or because it starts with a tag). */
export function isLicensingSettingsXml(filePath: string, text: string): boolean {
  return /\.xml$/i.test(filePath) || /^\uFEFF?\s*</.test(text);
}

/**
 * The servers the file names, main first, as host:port. Throws SettingsError naming the field
 * (`LicensingServers.MainNetworkLicenseServer.ServerAddress`, …) for a file Tandem cannot use.
 */
export function serversFromLicensingSettingsXml(text: string): string[] {
  if (Buffer.byteLength(text) > MAX_XML_BYTES)
    throw new SettingsError('LicensingSettings', `is larger than ${MAX_XML_BYTES} bytes`);
  const body = text.replace(/^\uFEFF/, '');
  // A DOCTYPE could declare entities; a settings file has no use for one, so none is read.
  if (/<!DOCTYPE/i.test(body)) throw new SettingsError('LicensingSettings', 'must not contain a DOCTYPE');
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    throw new SettingsError(
      'LicensingSettings',
      `is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`,
    );
  }
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    removeNSPrefix: true,
    processEntities: false,
    parseAttributeValue: false,
    parseTagValue: false,
  });
  const document = parser.parse(body) as Record<string, unknown>;
  const root = mapping(document.LicensingSettings);
  if (root === null)
    throw new SettingsError('LicensingSettings', 'is missing: this is not a LicensingSettings.xml');
  const servers = mapping(root.LicensingServers);
  if (servers === null) {
    throw new SettingsError(
      'LicensingSettings.LicensingServers',
      'is missing: the file names no network licence server (MainNetworkLicenseServer)',
    );
  }
  const addresses: string[] = [];
  for (const element of SERVER_ELEMENTS) {
    const field = `LicensingServers.${element}`;
    const given = servers[element];
    if (given === undefined) {
      if (element === 'MainNetworkLicenseServer') throw new SettingsError(field, 'is required');
      continue;
    }
    const server = mapping(given);
    if (server === null) throw new SettingsError(field, 'must appear once, with a ServerAddress attribute');
    const address = serverAddress(server, field);
    if (addresses.includes(address))
      throw new SettingsError(`${field}.ServerAddress`, `names ${address}, as the main server does`);
    addresses.push(address);
  }
  return addresses;
}

function serverAddress(server: Record<string, unknown>, field: string): string {
  const protocol = server.ProtocolType;
  if (protocol !== undefined) {
    if (typeof protocol !== 'string' || !TCP_PROTOCOLS.includes(protocol.trim().toLowerCase())) {
      throw new SettingsError(
        `${field}.ProtocolType`,
        `"${String(protocol)}" is not served: Tandem speaks gRPC over TCP ("TCP/IP" or "Sockets")`,
      );
    }
  }
  const given = server.ServerAddress;
  if (typeof given !== 'string' || given.trim() === '')
    throw new SettingsError(`${field}.ServerAddress`, 'is required: the server host name or address');
  let host = given.trim();
  let port: number | null = null;
  // host:port (or [v6]:port) in the address itself; a bare IPv6 address has more than one colon.
  const withPort = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(host);
  if (withPort !== null) {
    host = withPort[1] as string;
    port = Number(withPort[2]);
  } else if (host.includes(':') && !host.startsWith('[')) {
    host = `[${host}]`;
  }
  if (host.length > MAX_HOST_LENGTH || !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)$/.test(host))
    throw new SettingsError(`${field}.ServerAddress`, `"${given}" is not a host name or address`);
  for (const attribute of ['ServerPort', 'Port']) {
    const value = server[attribute];
    if (value === undefined) continue;
    const number = typeof value === 'string' && /^\d{1,5}$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!(number >= 1 && number <= 65_535))
      throw new SettingsError(
        `${field}.${attribute}`,
        `must be a port from 1 to 65535 (got "${String(value)}")`,
      );
    if (port !== null && port !== number)
      throw new SettingsError(`${field}.${attribute}`, `says ${number}, but ServerAddress says ${port}`);
    port = number;
  }
  return `${host}:${port ?? DEFAULT_TANDEM_PORT}`;
}

function mapping(value: unknown): Record<string, unknown> | null {
  // An element without attributes or children parses as an empty string.
  if (value === '') return {};
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}
