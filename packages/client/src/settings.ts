// The workstation settings: which servers to use (main first) and how patiently to use them.
// Read from a YAML file or given as an object; every error names the field as a dotted path.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { SettingsError } from './errors.js';
import { isLicensingSettingsXml, serversFromLicensingSettingsXml } from './licensing-settings-xml.js';
import type { WorkstationParameters } from './types.js';

export interface ClientSettings {
  /** host:port of every server, main first: the client prefers main whenever it answers. */
  servers: string[];
  /** A stable id for this workstation; defaults to the host name. */
  workstationId?: string;
  /** How long one call may take before it counts as failed and is retried elsewhere. */
  requestTimeoutMs: number;
  /**
   * Attempts per operation, the first included; every attempt reuses the request id. The default
   * (40, with pauses of at most MAX_RETRY_BACKOFF_MS) rides out a failover.
   */
  maxAttempts: number;
  /** The first pause between attempts; it doubles per failure up to MAX_RETRY_BACKOFF_MS. */
  retryBackoffMs: number;
  /** The lease TTL asked for when acquire() is not given one; leases renew at a third of it. */
  defaultTtlMs: number;
  /**
   * After main failed to serve an operation, how long the client goes straight to the known
   * leader before it tries main first again.
   */
  mainRetryIntervalMs: number;
  /**
   * How long past its local expiry a lease renewal that no server answers keeps trying. A new
   * leader extends every live lease by the time its failover took, so the seat is still there when
   * the cluster answers again; only then, or at the end of this grace, is a lease declared lost.
   */
  renewalGraceMs: number;
  /** Reported with every lease; missing fields are filled from the operating system. */
  parameters?: Partial<WorkstationParameters>;
  /**
   * TLS towards the servers: the cluster CA (required), and this client's certificate and key
   * (optional with a token). Absolute paths once parsed. Required unless `insecure` is set.
   */
  tls?: ClientTlsSettings;
  /** A bearer token (or the file that holds it) for clients without a certificate; needs tls. */
  token?: string;
  /** Plaintext, no credentials: only for a cluster configured with insecure: true. */
  insecure: boolean;
}

export interface ClientTlsSettings {
  ca: string;
  cert?: string;
  key?: string;
}

/** Settings as a caller may give them: only `servers` is required. */
export type ClientSettingsInput = Pick<ClientSettings, 'servers'> & Partial<Omit<ClientSettings, 'servers'>>;

export const DEFAULT_SETTINGS = {
  requestTimeoutMs: 3000,
  maxAttempts: 40,
  retryBackoffMs: 50,
  defaultTtlMs: 30_000,
  mainRetryIntervalMs: 5000,
  renewalGraceMs: 30_000,
} as const;

/**
 * The longest pause between attempts. A failover takes about the failover timeout (1 s by
 * default); a short ceiling lets the client find the new leader within a fraction of a second of
 * its election instead of sleeping through it.
 */
export const MAX_RETRY_BACKOFF_MS = 200;
export const MAX_SERVERS = 16;
const MAX_IDENTIFIER_LENGTH = 128;
const MAX_SETTINGS_FILE_BYTES = 1024 * 1024;

const SETTINGS_KEYS = [
  'servers',
  'licensingSettings',
  'workstationId',
  'requestTimeoutMs',
  'maxAttempts',
  'retryBackoffMs',
  'defaultTtlMs',
  'mainRetryIntervalMs',
  'renewalGraceMs',
  'parameters',
  'tls',
  'token',
  'tokenFile',
  'insecure',
] as const;
const TLS_KEYS = ['ca', 'cert', 'key'] as const;
const MAX_TOKEN_LENGTH = 512;
const PARAMETER_KEYS = ['host', 'user', 'cores', 'productVersion'] as const;

/** Integer fields with their allowed ranges: a limit on everything. */
const INTEGER_RANGES: Record<keyof typeof DEFAULT_SETTINGS, [minimum: number, maximum: number]> = {
  requestTimeoutMs: [1, 600_000],
  maxAttempts: [1, 100],
  retryBackoffMs: [0, 60_000],
  defaultTtlMs: [30, 86_400_000],
  mainRetryIntervalMs: [0, 3_600_000],
  renewalGraceMs: [0, 86_400_000],
};

type Raw = Record<string, unknown>;

function isMapping(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejectUnknownKeys(raw: Raw, prefix: string, allowed: readonly string[]): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      const field = prefix === '' ? key : `${prefix}.${key}`;
      throw new SettingsError(field, `unknown key (allowed: ${allowed.join(', ')})`);
    }
  }
}

/** Accepts host:port and [ipv6]:port, with a port from 1 to 65535. */
export function isServerAddress(value: string): boolean {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(value);
  if (match === null) return false;
  const port = Number(match[2]);
  return port >= 1 && port <= 65_535;
}

function parseServers(value: unknown): string[] {
  if (!Array.isArray(value)) throw new SettingsError('servers', 'must be a list of host:port strings');
  if (value.length === 0) throw new SettingsError('servers', 'must name at least one server');
  if (value.length > MAX_SERVERS)
    throw new SettingsError('servers', `must name at most ${MAX_SERVERS} servers`);
  const servers: string[] = [];
  value.forEach((server, index) => {
    const field = `servers[${index}]`;
    if (typeof server !== 'string') throw new SettingsError(field, 'must be a host:port string');
    const address = server.trim();
    if (!isServerAddress(address)) throw new SettingsError(field, `"${server}" is not host:port`);
    if (servers.includes(address)) throw new SettingsError(field, `"${address}" is listed twice`);
    servers.push(address);
  });
  return servers;
}

function parseInteger(raw: Raw, key: keyof typeof DEFAULT_SETTINGS): number {
  const value = raw[key];
  if (value === undefined || value === null) return DEFAULT_SETTINGS[key];
  const [minimum, maximum] = INTEGER_RANGES[key];
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new SettingsError(key, 'must be an integer');
  if (value < minimum || value > maximum) {
    throw new SettingsError(key, `must be between ${minimum} and ${maximum} (got ${value})`);
  }
  return value;
}

function parseIdentifier(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new SettingsError(field, 'must be a non-empty string');
  if (value.length > MAX_IDENTIFIER_LENGTH) {
    throw new SettingsError(field, `must be at most ${MAX_IDENTIFIER_LENGTH} characters`);
  }
  return value;
}

function parseParameters(value: unknown): Partial<WorkstationParameters> {
  if (!isMapping(value)) throw new SettingsError('parameters', 'must be a mapping');
  rejectUnknownKeys(value, 'parameters', PARAMETER_KEYS);
  const parameters: Partial<WorkstationParameters> = {};
  for (const key of ['host', 'user', 'productVersion'] as const) {
    const text = value[key];
    if (text === undefined || text === null) continue;
    if (typeof text !== 'string') throw new SettingsError(`parameters.${key}`, 'must be a string');
    if (text.length > MAX_IDENTIFIER_LENGTH) {
      throw new SettingsError(`parameters.${key}`, `must be at most ${MAX_IDENTIFIER_LENGTH} characters`);
    }
    parameters[key] = text;
  }
  const cores = value.cores;
  if (cores !== undefined && cores !== null) {
    if (typeof cores !== 'number' || !Number.isInteger(cores) || cores < 0 || cores > 65_535) {
      throw new SettingsError('parameters.cores', 'must be an integer between 0 and 65535');
    }
    parameters.cores = cores;
  }
  return parameters;
}

function parseTls(value: unknown, baseDirectory: string): ClientTlsSettings {
  if (!isMapping(value)) throw new SettingsError('tls', 'must be a mapping with ca, and cert and key');
  rejectUnknownKeys(value, 'tls', TLS_KEYS);
  const file = (key: (typeof TLS_KEYS)[number]): string | undefined => {
    const given = value[key];
    if (given === undefined || given === null) return undefined;
    if (typeof given !== 'string' || given.trim() === '') {
      throw new SettingsError(`tls.${key}`, 'must be the path of a PEM file');
    }
    return path.resolve(baseDirectory, given);
  };
  const ca = file('ca');
  if (ca === undefined) throw new SettingsError('tls.ca', 'is required: the cluster CA certificate (PEM)');
  const cert = file('cert');
  const key = file('key');
  if ((cert === undefined) !== (key === undefined)) {
    throw new SettingsError(
      cert === undefined ? 'tls.cert' : 'tls.key',
      'a certificate and its key go together',
    );
  }
  return { ca, ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) };
}

function parseToken(raw: Raw, baseDirectory: string): string | undefined {
  if (
    raw.token !== undefined &&
    raw.token !== null &&
    raw.tokenFile !== undefined &&
    raw.tokenFile !== null
  ) {
    throw new SettingsError('tokenFile', 'give token or tokenFile, not both');
  }
  let token: unknown = raw.token;
  let field = 'token';
  if (raw.tokenFile !== undefined && raw.tokenFile !== null) {
    field = 'tokenFile';
    if (typeof raw.tokenFile !== 'string' || raw.tokenFile.trim() === '') {
      throw new SettingsError('tokenFile', 'must be a path');
    }
    const file = path.resolve(baseDirectory, raw.tokenFile);
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new SettingsError('tokenFile', `cannot read ${file}: ${(error as Error).message}`);
    }
  }
  if (token === undefined || token === null) return undefined;
  if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token) || token.length > MAX_TOKEN_LENGTH) {
    throw new SettingsError(field, `must be 1-${MAX_TOKEN_LENGTH} printable ASCII characters without spaces`);
  }
  return token;
}

/**
 * Validates a settings object (as parsed from YAML, or given in code) and fills in defaults.
 * Relative file paths (tls, tokenFile) resolve against baseDirectory: the settings file's directory.
 */
export function parseSettings(input: unknown, baseDirectory = process.cwd()): ClientSettings {
  if (!isMapping(input)) throw new SettingsError('settings', 'must be a mapping');
  // Keys given as undefined in code mean "use the default", like absent keys in a file.
  const raw: Raw = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
  rejectUnknownKeys(raw, '', SETTINGS_KEYS);
  const hasServers = raw.servers !== undefined && raw.servers !== null;
  const xml = raw.licensingSettings;
  if (xml !== undefined && xml !== null && hasServers)
    throw new SettingsError('licensingSettings', 'give servers or licensingSettings, not both');
  if (!hasServers && (xml === undefined || xml === null))
    throw new SettingsError(
      'servers',
      'is required (or licensingSettings: the path of a LicensingSettings.xml)',
    );
  const settings: ClientSettings = {
    servers: hasServers ? parseServers(raw.servers) : readLicensingSettings(xml, baseDirectory),
    requestTimeoutMs: parseInteger(raw, 'requestTimeoutMs'),
    maxAttempts: parseInteger(raw, 'maxAttempts'),
    retryBackoffMs: parseInteger(raw, 'retryBackoffMs'),
    defaultTtlMs: parseInteger(raw, 'defaultTtlMs'),
    mainRetryIntervalMs: parseInteger(raw, 'mainRetryIntervalMs'),
    renewalGraceMs: parseInteger(raw, 'renewalGraceMs'),
    insecure: false,
  };
  if (raw.insecure !== undefined && raw.insecure !== null) {
    if (typeof raw.insecure !== 'boolean') throw new SettingsError('insecure', 'must be true or false');
    settings.insecure = raw.insecure;
  }
  if (raw.tls !== undefined && raw.tls !== null) settings.tls = parseTls(raw.tls, baseDirectory);
  const token = parseToken(raw, baseDirectory);
  if (token !== undefined) settings.token = token;
  if (settings.insecure) {
    if (settings.tls !== undefined) throw new SettingsError('insecure', 'must not be set together with tls');
    if (settings.token !== undefined) {
      throw new SettingsError(
        'token',
        'is never sent in plaintext: give tls, or drop the token with insecure: true',
      );
    }
  } else if (settings.tls === undefined) {
    throw new SettingsError(
      'tls',
      'is required: give tls.ca (and tls.cert and tls.key, or a token), or set insecure: true for a cluster without TLS',
    );
  }
  if (raw.workstationId !== undefined && raw.workstationId !== null) {
    settings.workstationId = parseIdentifier(raw.workstationId, 'workstationId');
  }
  if (raw.parameters !== undefined && raw.parameters !== null) {
    settings.parameters = parseParameters(raw.parameters);
  }
  return settings;
}

/** The servers of the LicensingSettings.xml that `licensingSettings` names, main first. */
function readLicensingSettings(value: unknown, baseDirectory: string): string[] {
  if (typeof value !== 'string' || value.trim() === '')
    throw new SettingsError('licensingSettings', 'must be the path of a LicensingSettings.xml');
  // Its errors name the XML element and attribute, and the file.
  return loadLicensingSettingsXml(path.resolve(baseDirectory, value));
}

/**
 * The servers named by an ABBYY-style LicensingSettings.xml (main first). It carries no TLS
 * settings or identity: a YAML settings file points at it with `licensingSettings:` and gives those.
 */
export function loadLicensingSettingsXml(filePath: string): string[] {
  const text = readSettingsFile(filePath);
  try {
    return serversFromLicensingSettingsXml(text);
  } catch (error) {
    if (error instanceof SettingsError)
      throw new SettingsError(error.field, `${error.detail} (in ${filePath})`);
    throw error;
  }
}

function readSettingsFile(filePath: string): string {
  let text: string;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch (error) {
    throw new SettingsError('settings', `cannot read ${filePath}: ${(error as Error).message}`);
  }
  if (Buffer.byteLength(text) > MAX_SETTINGS_FILE_BYTES) {
    throw new SettingsError('settings', `${filePath} is larger than ${MAX_SETTINGS_FILE_BYTES} bytes`);
  }
  return text;
}

/**
 * Reads and validates a YAML settings file. Errors name the file and the field. A
 * LicensingSettings.xml given here is refused with a pointer to `licensingSettings:`, because it
 * cannot say how to reach the servers securely.
 */
export function loadSettings(filePath: string): ClientSettings {
  const text = readSettingsFile(filePath);
  if (isLicensingSettingsXml(filePath, text)) {
    loadLicensingSettingsXml(filePath);
    throw new SettingsError(
      'settings',
      `${filePath} is a LicensingSettings.xml: it names the servers but not the TLS settings or identity. Write a YAML settings file with licensingSettings: ${filePath} and tls: (see deploy/client-settings.yaml)`,
    );
  }
  let document: unknown;
  try {
    document = YAML.parse(text);
  } catch (error) {
    throw new SettingsError('settings', `${filePath} is not valid YAML: ${(error as Error).message}`);
  }
  try {
    return parseSettings(document ?? {}, path.dirname(path.resolve(filePath)));
  } catch (error) {
    if (error instanceof SettingsError)
      throw new SettingsError(error.field, `${error.detail} (in ${filePath})`);
    throw error;
  }
}

/** Resolves settings given as a YAML file path, or as an object (validated, defaults filled in). */
export function resolveSettings(settings: ClientSettingsInput | string): ClientSettings {
  return typeof settings === 'string' ? loadSettings(settings) : parseSettings(settings);
}
