// tandemd's configuration: a YAML file, validated field by field. Every error names the field
// (as a dotted path) so that an operator can fix the file without reading code.
import assert from 'node:assert/strict';
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import { isValidKeyId, parsePublicKey, type VendorKey } from '@tandem/issuer';
import { isValidClusterId } from '@tandem/ledger';
import { makeDirectory } from '@tandem/storage';
import YAML from 'yaml';
import { CALLER_ROLES, type CallerRole } from './identity.js';

export type NodeRole = 'main' | 'backup' | 'witness';
export type ClusterMode = 'single' | 'pair' | 'witness';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface PeerConfig {
  id: string;
  role: NodeRole;
  /** The client port: workstations, tandemctl; for the witness, its only port. */
  address: string;
  /**
   * The peer port of a data node in pair and witness mode (PeerService, node to node only); null
   * for the witness, whose one port serves the data nodes too.
   */
  peerAddress: string | null;
  /**
   * The data node's HTTP port (its web console) as browsers reach it, if it has one and the
   * configuration says where: the console on one node links to the others' (the leader's, when
   * this one is a follower or goes away). Null when not given.
   */
  httpAddress: string | null;
}

export type ClientCertificates = 'optional' | 'required';

/** PEM files of one TLS endpoint, as absolute paths. */
export interface TlsFiles {
  /** The CA that callers' (and peers') certificates must chain to. */
  ca: string;
  cert: string;
  key: string;
}

/** A bearer token as the configuration knows it: only the sha256 of the secret is stored. */
export interface TokenConfig {
  name: string;
  /** Tokens are for people and workstations: never node or witness. */
  role: Exclude<CallerRole, 'node' | 'witness'>;
  /** Lower-case hex sha256 of the token. */
  sha256: string;
}

export interface SecurityConfig {
  /** Plaintext everywhere and every caller an admin: only with an explicit `insecure: true`. */
  insecure: boolean;
  /** The client port's TLS (the witness's one port uses it too); null when insecure. */
  client: (TlsFiles & { clientCertificates: ClientCertificates }) | null;
  /** The peer port's TLS and this node's client side towards its peers and the witness (mTLS). */
  peer: TlsFiles | null;
  tokens: TokenConfig[];
  /** gRPC server reflection on the client port; off unless asked for. */
  reflection: boolean;
}

export interface TandemConfig {
  node: {
    id: string;
    role: NodeRole;
    /** host:port to listen on; port 0 picks a free port (the log says which). */
    listen: string;
    /** host:port that peers and clients use to reach this node; defaults to listen. */
    advertise: string;
    /**
     * host:port of the peer port (PeerService), data nodes in pair and witness mode only; null
     * otherwise. Defaults to listen's host with the port of this node's peerAddress.
     */
    peerListen: string | null;
    /**
     * host:port of the HTTP port (the web console and its JSON API, see http-port.ts); null (the
     * default) when the node has none. Port 0 picks a free port (the log says which). Data nodes only.
     */
    httpListen: string | null;
    dataDir: string;
  };
  security: SecurityConfig;
  cluster: {
    mode: ClusterMode;
    /**
     * The cluster id the first leader of a fresh ledger records (licence files are issued for it);
     * null to let that leader choose a random UUID. See cluster-id.ts.
     */
    id: string | null;
    /**
     * Every node of the cluster, this one included: empty in single mode, main and backup in pair
     * mode, main, backup and witness in witness mode.
     */
    nodes: PeerConfig[];
  };
  licensing: {
    /** The software vendor's public keys that licence files may be signed with (several, to rotate). */
    vendorKeys: VendorKey[];
  };
  timing: {
    /** How often the core ticks; election and heartbeat timings are whole numbers of ticks. */
    tickIntervalMs: number;
    heartbeatIntervalMs: number;
    failoverTimeoutMs: number;
    /** How often the leader proposes a ledger tick entry that expires leases. */
    leaseExpiryIntervalMs: number;
    /** How long a restarting node waits for its peer before serving alone (pair mode only). */
    startupGraceMs: number;
  };
  limits: {
    /** Client operations per log batch (one batch, one fsync). */
    maxBatchEntries: number;
    /** Client operations waiting for a batch before new ones are refused. */
    maxPendingOperations: number;
    maxRequestBytes: number;
    /** How long a client operation may wait for commit before it fails as retryable. */
    operationTimeoutMs: number;
    /** Open connections per listener; further ones are refused by the kernel's accept path. */
    maxConnections: number;
    /** Concurrent calls (HTTP/2 streams) per connection. */
    maxConcurrentStreams: number;
    /** Workstation calls per second per identity (token bucket refill), and the bucket's size. */
    workstationCallsPerSecond: number;
    workstationCallBurst: number;
    /** The server pings a connection this often, and drops it when a ping is not answered in time. */
    keepaliveIntervalMs: number;
    keepaliveTimeoutMs: number;
    /** A connection with no call for this long is closed (clients reconnect when they need to). */
    idleConnectionTimeoutMs: number;
    /**
     * The largest snapshot this node takes from its leader. The buffer grows as chunks arrive, so
     * the claimed size of a snapshot costs nothing until its bytes come; a larger one is refused.
     */
    maxSnapshotBytes: number;
  };
  ledger: {
    idempotencyWindowMs: number;
    idempotencyMaxEntries: number;
    /** And about how many bytes of them at most (an estimate per record, see the ledger's options). */
    idempotencyMaxBytes: number;
    maxTtlMs: number;
    /** Audit records the ledger keeps; the oldest is forgotten first. */
    auditMaxEntries: number;
    /** How long the ledger keeps an audit record, in entry time. */
    auditRetentionMs: number;
    /** Ended leases the ledger remembers for the over-grant record of a merge (pair mode). */
    seatHistoryMaxEntries: number;
    /** How long it remembers an ended lease for that record, in entry time. */
    seatHistoryRetentionMs: number;
  };
  snapshot: {
    /** Take a snapshot and compact the log once this many bytes of log were applied since the last. */
    everyBytes: number;
    /** Also every this many applied entries; 0 (the default): by size only. */
    everyEntries: number;
  };
  reports: {
    /** How long the usage-report index keeps an hour's figures, in entry time (days). */
    retentionDays: number;
    /** The most rows one report answers; a larger one is cut and says so. */
    maxRows: number;
  };
  log: {
    level: LogLevel;
  };
}

export class ConfigError extends Error {
  readonly code = 'invalid_config';
  readonly retryable = false;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Raw = Record<string, unknown>;

const NODE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** The fewest entries snapshot.everyEntries may name (below it, 0 turns the count off). */
const MIN_SNAPSHOT_EVERY_ENTRIES = 10;
/** Replication messages are sized to half of limits.maxRequestBytes; below this they get too small. */
export const PAIR_MIN_REQUEST_BYTES = 256 * 1024;

/** Every numeric setting as [default, minimum, maximum]; the sections' keys are the allowed keys. */
const NUMERIC_SETTINGS = {
  timing: {
    tickIntervalMs: [10, 1, 1000],
    heartbeatIntervalMs: [100, 1, 60_000],
    failoverTimeoutMs: [900, 2, 600_000],
    leaseExpiryIntervalMs: [1000, 10, 3_600_000],
    startupGraceMs: [5000, 0, 600_000],
  },
  limits: {
    maxBatchEntries: [1024, 1, 65_536],
    maxPendingOperations: [20_000, 1, 1_000_000],
    maxRequestBytes: [1024 * 1024, 1024, 64 * 1024 * 1024],
    operationTimeoutMs: [5000, 100, 600_000],
    maxConnections: [1024, 4, 1_000_000],
    maxConcurrentStreams: [256, 1, 65_536],
    workstationCallsPerSecond: [200, 1, 1_000_000],
    workstationCallBurst: [400, 1, 1_000_000],
    keepaliveIntervalMs: [30_000, 1000, 3_600_000],
    keepaliveTimeoutMs: [10_000, 100, 600_000],
    idleConnectionTimeoutMs: [600_000, 1000, 86_400_000],
    maxSnapshotBytes: [1024 * 1024 * 1024, 1024 * 1024, 2 * 1024 * 1024 * 1024],
  },
  ledger: {
    idempotencyWindowMs: [24 * 3_600_000, 1000, 30 * 24 * 3_600_000],
    idempotencyMaxEntries: [200_000, 100, 10_000_000],
    idempotencyMaxBytes: [128 * 1024 * 1024, 1024 * 1024, 2 * 1024 * 1024 * 1024],
    maxTtlMs: [24 * 3_600_000, 1000, 30 * 24 * 3_600_000],
    auditMaxEntries: [100_000, 100, 10_000_000],
    auditRetentionMs: [366 * 24 * 3_600_000, 3_600_000, 3650 * 24 * 3_600_000],
    seatHistoryMaxEntries: [10_000, 100, 1_000_000],
    seatHistoryRetentionMs: [24 * 3_600_000, 60_000, 30 * 24 * 3_600_000],
  },
  snapshot: {
    // 16 MiB of log: the core keeps the log since the last snapshot in memory (docs/configuration.md).
    everyBytes: [16 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024],
    everyEntries: [0, 0, 100_000_000],
  },
  reports: {
    retentionDays: [400, 1, 3660],
    maxRows: [5000, 10, 100_000],
  },
} as const satisfies Record<string, Record<string, readonly [number, number, number]>>;

type NumericSection = keyof typeof NUMERIC_SETTINGS;

function numericSection<S extends NumericSection>(
  root: Raw,
  name: S,
): Record<keyof (typeof NUMERIC_SETTINGS)[S], number> {
  const settings = NUMERIC_SETTINGS[name] as Record<string, readonly [number, number, number]>;
  const raw = section(root, name, Object.keys(settings), false);
  const values: Record<string, number> = {};
  for (const [key, [fallback, minimum, maximum]] of Object.entries(settings)) {
    values[key] = integer(raw, key, `${name}.${key}`, fallback, minimum, maximum);
  }
  return values as Record<keyof (typeof NUMERIC_SETTINGS)[S], number>;
}

function section(raw: Raw, key: string, allowed: readonly string[], required: boolean): Raw {
  const value = raw[key];
  if (value === undefined || value === null) {
    if (required) throw new ConfigError(key, 'is required');
    return {};
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(key, 'must be a mapping');
  rejectUnknownKeys(value as Raw, key, allowed);
  return value as Raw;
}

function rejectUnknownKeys(raw: Raw, prefix: string, allowed: readonly string[]): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      const field = prefix === '' ? key : `${prefix}.${key}`;
      throw new ConfigError(field, `unknown key (allowed: ${allowed.join(', ')})`);
    }
  }
}

function text(raw: Raw, key: string, field: string, fallback?: string): string {
  const value = raw[key];
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw new ConfigError(field, 'is required');
  }
  if (typeof value !== 'string' || value.trim() === '')
    throw new ConfigError(field, 'must be a non-empty string');
  return value;
}

function choice<T extends string>(
  raw: Raw,
  key: string,
  field: string,
  options: readonly T[],
  fallback?: T,
): T {
  const value = text(raw, key, field, fallback);
  if (!options.includes(value as T)) throw new ConfigError(field, `must be one of ${options.join(', ')}`);
  return value as T;
}

function integer(
  raw: Raw,
  key: string,
  field: string,
  fallback: number,
  minimum: number,
  maximum: number,
): number {
  const value = raw[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new ConfigError(field, 'must be an integer');
  if (value < minimum || value > maximum) {
    throw new ConfigError(field, `must be between ${minimum} and ${maximum}`);
  }
  return value;
}

/** host:port with a port in 0..65535; the host may be a name, IPv4, or [IPv6]. */
export function checkAddress(value: string, field: string, allowPortZero: boolean): string {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  if (match === null) throw new ConfigError(field, `"${value}" is not an address of the form host:port`);
  const port = Number(match[2]);
  if (port > 65535 || (port === 0 && !allowPortZero)) {
    throw new ConfigError(field, `"${value}" has an invalid port ${port}`);
  }
  return value;
}

function checkDataDirectory(directory: string, field: string): string {
  try {
    // Not Node's recursive mkdir: it never returns for a path under /proc (make-directory.ts).
    makeDirectory(directory);
    accessSync(directory, constants.W_OK | constants.R_OK);
  } catch (error) {
    throw new ConfigError(
      field,
      `data directory "${directory}" is not writable (${(error as Error).message})`,
    );
  }
  return directory;
}

/**
 * A vendor public key: PEM text, or the path of a PEM file (relative to the configuration's
 * directory). Errors name the field.
 */
function vendorPublicKey(value: unknown, field: string, baseDirectory: string): VendorKey['publicKey'] {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(field, 'must be a PEM public key or the path of one');
  }
  let pem = value;
  if (!value.includes('-----BEGIN')) {
    const file = path.resolve(baseDirectory, value);
    try {
      pem = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(field, `cannot read ${file}: ${(error as Error).message}`);
    }
  }
  try {
    return parsePublicKey(pem);
  } catch (error) {
    throw new ConfigError(field, (error as Error).message);
  }
}

function licensingSection(root: Raw, baseDirectory: string): TandemConfig['licensing'] {
  const raw = section(root, 'licensing', ['vendorKeys'], false);
  const entries = raw.vendorKeys ?? [];
  if (!Array.isArray(entries)) throw new ConfigError('licensing.vendorKeys', 'must be a list');
  const vendorKeys = entries.map((entry, position): VendorKey => {
    const field = `licensing.vendorKeys[${position}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ConfigError(field, 'must be a mapping with id and publicKey');
    }
    rejectUnknownKeys(entry as Raw, field, ['id', 'publicKey']);
    const id = text(entry as Raw, 'id', `${field}.id`);
    if (!isValidKeyId(id)) throw new ConfigError(`${field}.id`, 'must be 1-64 of [A-Za-z0-9._-]');
    return { id, publicKey: vendorPublicKey((entry as Raw).publicKey, `${field}.publicKey`, baseDirectory) };
  });
  vendorKeys.forEach((key, position) => {
    if (vendorKeys.slice(0, position).some((other) => other.id === key.id)) {
      throw new ConfigError(`licensing.vendorKeys[${position}].id`, `"${key.id}" is listed twice`);
    }
  });
  return { vendorKeys };
}

/** Validates a parsed YAML document. `baseDirectory` resolves a relative dataDir and key files. */
export function parseConfig(document: unknown, baseDirectory = process.cwd()): TandemConfig {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ConfigError('(root)', 'the configuration must be a YAML mapping');
  }
  const root = document as Raw;
  rejectUnknownKeys(root, '', [
    'node',
    'cluster',
    'licensing',
    'timing',
    'limits',
    'ledger',
    'snapshot',
    'reports',
    'log',
    'tls',
    'auth',
    'insecure',
    'reflection',
  ]);

  const nodeRaw = section(
    root,
    'node',
    ['id', 'role', 'listen', 'advertise', 'peerListen', 'httpListen', 'dataDir'],
    true,
  );
  const id = text(nodeRaw, 'id', 'node.id');
  if (!NODE_ID_PATTERN.test(id)) throw new ConfigError('node.id', 'must be 1-64 of [A-Za-z0-9._-]');
  const role = choice(nodeRaw, 'role', 'node.role', ['main', 'backup', 'witness'] as const, 'main');
  const listen = checkAddress(text(nodeRaw, 'listen', 'node.listen'), 'node.listen', true);
  const advertise = checkAddress(
    text(nodeRaw, 'advertise', 'node.advertise', listen),
    'node.advertise',
    true,
  );
  const dataDir = checkDataDirectory(
    path.resolve(baseDirectory, text(nodeRaw, 'dataDir', 'node.dataDir')),
    'node.dataDir',
  );

  const clusterRaw = section(root, 'cluster', ['mode', 'id', 'nodes'], false);
  const mode = choice(clusterRaw, 'mode', 'cluster.mode', ['single', 'pair', 'witness'] as const, 'single');
  const clusterId =
    clusterRaw.id === undefined || clusterRaw.id === null ? null : text(clusterRaw, 'id', 'cluster.id');
  if (clusterId !== null && !isValidClusterId(clusterId)) {
    throw new ConfigError('cluster.id', 'must be a UUID or 1-64 of [A-Za-z0-9._-]');
  }
  const nodesRaw = clusterRaw.nodes ?? [];
  if (!Array.isArray(nodesRaw)) throw new ConfigError('cluster.nodes', 'must be a list');
  const nodes = nodesRaw.map((entry, position): PeerConfig => {
    const field = `cluster.nodes[${position}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ConfigError(field, 'must be a mapping with id, role and address');
    }
    rejectUnknownKeys(entry as Raw, field, ['id', 'role', 'address', 'peerAddress', 'httpAddress']);
    const nodeRole = choice(entry as Raw, 'role', `${field}.role`, ['main', 'backup', 'witness'] as const);
    const raw = entry as Raw;
    let peerAddress: string | null = null;
    let httpAddress: string | null = null;
    if (raw.httpAddress !== undefined && raw.httpAddress !== null) {
      if (nodeRole === 'witness') {
        throw new ConfigError(`${field}.httpAddress`, 'a witness has no HTTP port');
      }
      httpAddress = checkAddress(
        text(raw, 'httpAddress', `${field}.httpAddress`),
        `${field}.httpAddress`,
        false,
      );
    }
    if (nodeRole === 'witness') {
      if (raw.peerAddress !== undefined && raw.peerAddress !== null) {
        throw new ConfigError(`${field}.peerAddress`, 'a witness has one port: give only address');
      }
    } else {
      peerAddress = checkAddress(
        text(raw, 'peerAddress', `${field}.peerAddress`),
        `${field}.peerAddress`,
        false,
      );
    }
    return {
      id: text(raw, 'id', `${field}.id`),
      role: nodeRole,
      address: checkAddress(text(raw, 'address', `${field}.address`), `${field}.address`, false),
      peerAddress,
      httpAddress,
    };
  });
  if (mode === 'single' && nodes.length > 0) {
    throw new ConfigError('cluster.nodes', 'must be empty in single mode');
  }
  if (role === 'witness' && mode !== 'witness') {
    throw new ConfigError('node.role', 'a witness needs cluster.mode witness');
  }
  let advertised = advertise;
  let peerListen: string | null = null;
  if (mode === 'pair' || mode === 'witness') {
    checkCluster(nodes, id, role, mode);
    const self = nodes.find((node) => node.id === id);
    assert.ok(self !== undefined, 'checkCluster ensures this node is listed');
    if (nodeRaw.advertise === undefined || nodeRaw.advertise === null) {
      advertised = self.address;
    } else if (advertise !== self.address) {
      throw new ConfigError(
        'node.advertise',
        `"${advertise}" differs from this node's address "${self.address}" in cluster.nodes`,
      );
    }
    if (listen.endsWith(':0')) {
      throw new ConfigError(
        'node.listen',
        `port 0 is not allowed in ${mode} mode: the other nodes must know the port`,
      );
    }
    if (self.peerAddress !== null) {
      const peerPort = self.peerAddress.slice(self.peerAddress.lastIndexOf(':') + 1);
      peerListen = checkAddress(
        text(nodeRaw, 'peerListen', 'node.peerListen', `${hostOf(listen)}:${peerPort}`),
        'node.peerListen',
        false,
      );
      if (peerListen === listen) {
        throw new ConfigError(
          'node.peerListen',
          'must differ from node.listen: the peer port is a port of its own',
        );
      }
    }
  }
  if (peerListen === null && nodeRaw.peerListen !== undefined && nodeRaw.peerListen !== null) {
    throw new ConfigError('node.peerListen', 'only data nodes in pair and witness mode have a peer port');
  }

  const httpListen = httpListenOf(nodeRaw, role, [listen, peerListen]);

  const timing = numericSection(root, 'timing');
  // Timeouts are whole numbers of ticks, and a follower must miss at least two heartbeats.
  if (timing.heartbeatIntervalMs < timing.tickIntervalMs) {
    throw new ConfigError('timing.heartbeatIntervalMs', 'must be at least timing.tickIntervalMs');
  }
  if (timing.failoverTimeoutMs < 2 * timing.heartbeatIntervalMs) {
    throw new ConfigError('timing.failoverTimeoutMs', 'must be at least twice timing.heartbeatIntervalMs');
  }
  const limits = numericSection(root, 'limits');
  if (mode !== 'single' && limits.maxRequestBytes < PAIR_MIN_REQUEST_BYTES) {
    // The limit bounds every message a node receives, replication messages included.
    throw new ConfigError(
      'limits.maxRequestBytes',
      `must be at least ${PAIR_MIN_REQUEST_BYTES} in ${mode} mode, because it also bounds replication messages`,
    );
  }
  const ledger = numericSection(root, 'ledger');
  const snapshot = numericSection(root, 'snapshot');
  // 0 turns the count off; a handful of entries would snapshot the whole ledger all the time.
  if (snapshot.everyEntries !== 0 && snapshot.everyEntries < MIN_SNAPSHOT_EVERY_ENTRIES) {
    throw new ConfigError(
      'snapshot.everyEntries',
      `must be 0 (by size only) or at least ${MIN_SNAPSHOT_EVERY_ENTRIES}`,
    );
  }
  const reports = numericSection(root, 'reports');

  const logRaw = section(root, 'log', ['level'], false);
  const log = {
    level: choice(logRaw, 'level', 'log.level', ['error', 'warn', 'info', 'debug'] as const, 'info'),
  };

  const security = parseSecurity(root, baseDirectory);

  return {
    node: { id, role, listen, advertise: advertised, peerListen, httpListen, dataDir },
    security,
    cluster: { mode, id: clusterId, nodes },
    licensing: licensingSection(root, baseDirectory),
    timing,
    limits,
    ledger,
    snapshot,
    reports,
    log,
  };
}

/**
 * Pair mode: exactly one main and one backup; witness mode: one main, one backup and one witness.
 * Ids and addresses are distinct, and this node is listed with its own role.
 */
function checkCluster(nodes: PeerConfig[], id: string, role: NodeRole, mode: 'pair' | 'witness'): void {
  nodes.forEach((node, position) => {
    if (node.role === 'witness' && mode !== 'witness') {
      throw new ConfigError(`cluster.nodes[${position}].role`, 'a witness needs cluster.mode witness');
    }
    if (!NODE_ID_PATTERN.test(node.id)) {
      throw new ConfigError(`cluster.nodes[${position}].id`, 'must be 1-64 of [A-Za-z0-9._-]');
    }
    const earlier = nodes.slice(0, position);
    if (earlier.some((other) => other.id === node.id)) {
      throw new ConfigError(`cluster.nodes[${position}].id`, `"${node.id}" is listed twice`);
    }
    const taken = earlier.flatMap((other) => [other.address, other.peerAddress]);
    if (taken.includes(node.address)) {
      throw new ConfigError(`cluster.nodes[${position}].address`, `"${node.address}" is listed twice`);
    }
    if (
      node.peerAddress !== null &&
      (taken.includes(node.peerAddress) || node.peerAddress === node.address)
    ) {
      throw new ConfigError(
        `cluster.nodes[${position}].peerAddress`,
        `"${node.peerAddress}" is listed twice`,
      );
    }
  });
  const roles: readonly NodeRole[] = mode === 'witness' ? ['main', 'backup', 'witness'] : ['main', 'backup'];
  for (const wanted of roles) {
    const count = nodes.filter((node) => node.role === wanted).length;
    if (count !== 1) {
      throw new ConfigError('cluster.nodes', `${mode} mode needs exactly one ${wanted}, found ${count}`);
    }
  }
  const self = nodes.find((node) => node.id === id);
  if (self === undefined) throw new ConfigError('node.id', `"${id}" is not listed in cluster.nodes`);
  if (self.role !== role) {
    throw new ConfigError('node.role', `is ${role} but cluster.nodes lists "${id}" as ${self.role}`);
  }
}

/**
 * node.httpListen: off unless given (a console is a new way in, so a node opens it only when asked);
 * a port of its own, on a data node (the witness has no ledger to show).
 */
function httpListenOf(nodeRaw: Raw, role: NodeRole, taken: readonly (string | null)[]): string | null {
  if (nodeRaw.httpListen === undefined || nodeRaw.httpListen === null) return null;
  const httpListen = checkAddress(text(nodeRaw, 'httpListen', 'node.httpListen'), 'node.httpListen', true);
  if (role === 'witness') {
    throw new ConfigError('node.httpListen', 'a witness has no HTTP port: it holds no ledger to show');
  }
  if (!httpListen.endsWith(':0') && taken.includes(httpListen)) {
    throw new ConfigError('node.httpListen', 'must differ from node.listen and node.peerListen');
  }
  return httpListen;
}

function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':'));
}

const TOKEN_NAME_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
const TOKEN_ROLES = CALLER_ROLES.filter((role) => role !== 'node' && role !== 'witness');

function pemFile(raw: Raw, key: string, field: string, baseDirectory: string, fallback?: string): string {
  const value = raw[key];
  if ((value === undefined || value === null) && fallback !== undefined) return fallback;
  const file = path.resolve(baseDirectory, text(raw, key, field));
  try {
    accessSync(file, constants.R_OK);
  } catch (error) {
    throw new ConfigError(field, `cannot read "${file}" (${(error as Error).message})`);
  }
  return file;
}

/**
 * TLS, tokens and reflection. Secure unless `insecure: true`: then no `tls` may be given (a half
 * secure node is a misconfiguration, not a choice), and the node logs a warning every minute.
 */
function parseSecurity(root: Raw, baseDirectory: string): SecurityConfig {
  const insecureValue = root.insecure ?? false;
  if (typeof insecureValue !== 'boolean') throw new ConfigError('insecure', 'must be true or false');
  const reflectionValue = root.reflection ?? false;
  if (typeof reflectionValue !== 'boolean') throw new ConfigError('reflection', 'must be true or false');

  const authRaw = section(root, 'auth', ['tokens'], false);
  const tokensRaw = authRaw.tokens ?? [];
  if (!Array.isArray(tokensRaw)) throw new ConfigError('auth.tokens', 'must be a list');
  const tokens = tokensRaw.map((entry, position): TokenConfig => {
    const field = `auth.tokens[${position}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ConfigError(field, 'must be a mapping with name, role and sha256');
    }
    rejectUnknownKeys(entry as Raw, field, ['name', 'role', 'sha256']);
    const name = text(entry as Raw, 'name', `${field}.name`);
    if (!TOKEN_NAME_PATTERN.test(name))
      throw new ConfigError(`${field}.name`, 'must be 1-128 of [A-Za-z0-9._-]');
    const tokenRole = choice(entry as Raw, 'role', `${field}.role`, TOKEN_ROLES);
    const sha256 = text(entry as Raw, 'sha256', `${field}.sha256`).toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(sha256)) {
      throw new ConfigError(`${field}.sha256`, 'must be the sha256 of the token as 64 hex digits');
    }
    return { name, role: tokenRole as TokenConfig['role'], sha256 };
  });
  tokens.forEach((token, position) => {
    if (tokens.slice(0, position).some((other) => other.name === token.name)) {
      throw new ConfigError(`auth.tokens[${position}].name`, `"${token.name}" is listed twice`);
    }
    if (tokens.slice(0, position).some((other) => other.sha256 === token.sha256)) {
      throw new ConfigError(`auth.tokens[${position}].sha256`, 'two tokens have the same secret');
    }
  });

  const tlsRaw = section(root, 'tls', ['ca', 'cert', 'key', 'client', 'peer'], false);
  if (insecureValue) {
    if (root.tls !== undefined && root.tls !== null) {
      throw new ConfigError('tls', 'must not be given with insecure: true (remove one of them)');
    }
    return { insecure: true, client: null, peer: null, tokens, reflection: reflectionValue };
  }
  if (root.tls === undefined || root.tls === null) {
    throw new ConfigError(
      'tls',
      'is required: give the cluster CA and this node certificate (tls.ca, tls.cert, tls.key), or set insecure: true to run in plaintext',
    );
  }
  const defaults = {
    ca: tlsRaw.ca === undefined ? undefined : pemFile(tlsRaw, 'ca', 'tls.ca', baseDirectory),
    cert: tlsRaw.cert === undefined ? undefined : pemFile(tlsRaw, 'cert', 'tls.cert', baseDirectory),
    key: tlsRaw.key === undefined ? undefined : pemFile(tlsRaw, 'key', 'tls.key', baseDirectory),
  };
  const listener = (name: 'client' | 'peer', extra: readonly string[]): Raw & TlsFiles => {
    const raw = section(tlsRaw, name, ['ca', 'cert', 'key', ...extra], false);
    const prefix = `tls.${name}`;
    const pick = (key: 'ca' | 'cert' | 'key') => {
      const fallback = defaults[key];
      if ((raw[key] === undefined || raw[key] === null) && fallback === undefined) {
        throw new ConfigError(`${prefix}.${key}`, `is required (or give tls.${key} for every listener)`);
      }
      return pemFile(raw, key, `${prefix}.${key}`, baseDirectory, fallback);
    };
    return { ...raw, ca: pick('ca'), cert: pick('cert'), key: pick('key') };
  };
  const clientRaw = listener('client', ['clientCertificates']);
  const clientCertificates = choice(
    clientRaw,
    'clientCertificates',
    'tls.client.clientCertificates',
    ['optional', 'required'] as const,
    'optional',
  );
  const client = { ca: clientRaw.ca, cert: clientRaw.cert, key: clientRaw.key, clientCertificates };
  // A witness has no peer port, but it checks the data nodes' certificates with the peer CA.
  const peerRaw = listener('peer', []);
  const peer = { ca: peerRaw.ca, cert: peerRaw.cert, key: peerRaw.key };
  return { insecure: false, client, peer, tokens, reflection: reflectionValue };
}

/** The data node that leads whenever it can (pair and witness mode); null in single mode. */
export function mainNodeId(config: TandemConfig): string | null {
  return config.cluster.nodes.find((node) => node.role === 'main')?.id ?? null;
}

/** The other data node of a pair; null in single mode. */
export function peerOf(config: TandemConfig): PeerConfig | null {
  return config.cluster.nodes.find((node) => node.id !== config.node.id && node.role !== 'witness') ?? null;
}

/** Witness mode: the witness; null in the other modes. */
export function witnessOf(config: TandemConfig): PeerConfig | null {
  return config.cluster.nodes.find((node) => node.role === 'witness') ?? null;
}

/** The ids of the data nodes (main and backup), sorted; empty in single mode. */
export function dataNodeIds(config: TandemConfig): string[] {
  return config.cluster.nodes
    .filter((node) => node.role !== 'witness')
    .map((node) => node.id)
    .sort();
}

export function loadConfig(file: string): TandemConfig {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('(file)', `cannot read ${file}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = YAML.parse(source);
  } catch (error) {
    throw new ConfigError('(file)', `${file} is not valid YAML: ${(error as Error).message}`);
  }
  return parseConfig(document, path.dirname(path.resolve(file)));
}
