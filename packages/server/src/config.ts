// tandemd's configuration: a YAML file, validated field by field. Every error names the field
// (as a dotted path) so that an operator can fix the file without reading code.
import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export type NodeRole = 'main' | 'backup' | 'witness';
export type ClusterMode = 'single' | 'pair' | 'witness';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface PeerConfig {
  id: string;
  role: NodeRole;
  address: string;
}

export interface TandemConfig {
  node: {
    id: string;
    role: NodeRole;
    /** host:port to listen on; port 0 picks a free port (the log says which). */
    listen: string;
    /** host:port that peers and clients use to reach this node; defaults to listen. */
    advertise: string;
    dataDir: string;
  };
  cluster: {
    mode: ClusterMode;
    /** Every node of the cluster, this one included; empty in single mode. */
    nodes: PeerConfig[];
  };
  timing: {
    /** How often the core ticks; election and heartbeat timings are whole numbers of ticks. */
    tickIntervalMs: number;
    heartbeatIntervalMs: number;
    failoverTimeoutMs: number;
    /** How often the leader proposes a ledger tick entry that expires leases. */
    leaseExpiryIntervalMs: number;
    /** How long a restarting node waits for its peer before serving alone (pair mode). */
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
  };
  ledger: {
    idempotencyWindowMs: number;
    idempotencyMaxEntries: number;
    maxTtlMs: number;
  };
  snapshot: {
    /** Take a snapshot and compact the log every this many applied entries. */
    everyEntries: number;
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

const DEFAULTS = {
  timing: {
    tickIntervalMs: 10,
    heartbeatIntervalMs: 100,
    failoverTimeoutMs: 1000,
    leaseExpiryIntervalMs: 1000,
    startupGraceMs: 5000,
  },
  limits: {
    maxBatchEntries: 1024,
    maxPendingOperations: 20_000,
    maxRequestBytes: 1024 * 1024,
    operationTimeoutMs: 5000,
  },
  ledger: {
    idempotencyWindowMs: 24 * 60 * 60 * 1000,
    idempotencyMaxEntries: 200_000,
    maxTtlMs: 24 * 60 * 60 * 1000,
  },
  snapshot: { everyEntries: 10_000 },
  log: { level: 'info' as LogLevel },
};

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
    mkdirSync(directory, { recursive: true });
    accessSync(directory, constants.W_OK | constants.R_OK);
  } catch (error) {
    throw new ConfigError(
      field,
      `data directory "${directory}" is not writable (${(error as Error).message})`,
    );
  }
  return directory;
}

/** Validates a parsed YAML document. `baseDirectory` resolves a relative dataDir. */
export function parseConfig(document: unknown, baseDirectory = process.cwd()): TandemConfig {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ConfigError('(root)', 'the configuration must be a YAML mapping');
  }
  const root = document as Raw;
  rejectUnknownKeys(root, '', ['node', 'cluster', 'timing', 'limits', 'ledger', 'snapshot', 'log']);

  const nodeRaw = section(root, 'node', ['id', 'role', 'listen', 'advertise', 'dataDir'], true);
  const id = text(nodeRaw, 'id', 'node.id');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new ConfigError('node.id', 'must be 1-64 of [A-Za-z0-9._-]');
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

  const clusterRaw = section(root, 'cluster', ['mode', 'nodes'], false);
  const mode = choice(clusterRaw, 'mode', 'cluster.mode', ['single', 'pair', 'witness'] as const, 'single');
  const nodesRaw = clusterRaw.nodes ?? [];
  if (!Array.isArray(nodesRaw)) throw new ConfigError('cluster.nodes', 'must be a list');
  const nodes = nodesRaw.map((entry, position): PeerConfig => {
    const field = `cluster.nodes[${position}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ConfigError(field, 'must be a mapping with id, role and address');
    }
    rejectUnknownKeys(entry as Raw, field, ['id', 'role', 'address']);
    return {
      id: text(entry as Raw, 'id', `${field}.id`),
      role: choice(entry as Raw, 'role', `${field}.role`, ['main', 'backup', 'witness'] as const),
      address: checkAddress(text(entry as Raw, 'address', `${field}.address`), `${field}.address`, false),
    };
  });
  if (mode === 'single' && nodes.length > 0) {
    throw new ConfigError('cluster.nodes', 'must be empty in single mode');
  }
  if (mode !== 'single') {
    // Replication modes arrive with the main/backup issue; refuse them clearly until then.
    throw new ConfigError('cluster.mode', `"${mode}" is not available in this release; use "single"`);
  }
  if (role === 'witness') throw new ConfigError('node.role', 'a witness needs cluster.mode witness');

  const timingRaw = section(root, 'timing', Object.keys(DEFAULTS.timing), false);
  const tickIntervalMs = integer(
    timingRaw,
    'tickIntervalMs',
    'timing.tickIntervalMs',
    DEFAULTS.timing.tickIntervalMs,
    1,
    1000,
  );
  const heartbeatIntervalMs = integer(
    timingRaw,
    'heartbeatIntervalMs',
    'timing.heartbeatIntervalMs',
    DEFAULTS.timing.heartbeatIntervalMs,
    tickIntervalMs,
    60_000,
  );
  const failoverTimeoutMs = integer(
    timingRaw,
    'failoverTimeoutMs',
    'timing.failoverTimeoutMs',
    DEFAULTS.timing.failoverTimeoutMs,
    2 * heartbeatIntervalMs,
    600_000,
  );
  const timing = {
    tickIntervalMs,
    heartbeatIntervalMs,
    failoverTimeoutMs,
    leaseExpiryIntervalMs: integer(
      timingRaw,
      'leaseExpiryIntervalMs',
      'timing.leaseExpiryIntervalMs',
      DEFAULTS.timing.leaseExpiryIntervalMs,
      10,
      3_600_000,
    ),
    startupGraceMs: integer(
      timingRaw,
      'startupGraceMs',
      'timing.startupGraceMs',
      DEFAULTS.timing.startupGraceMs,
      0,
      600_000,
    ),
  };

  const limitsRaw = section(root, 'limits', Object.keys(DEFAULTS.limits), false);
  const limits = {
    maxBatchEntries: integer(
      limitsRaw,
      'maxBatchEntries',
      'limits.maxBatchEntries',
      DEFAULTS.limits.maxBatchEntries,
      1,
      65_536,
    ),
    maxPendingOperations: integer(
      limitsRaw,
      'maxPendingOperations',
      'limits.maxPendingOperations',
      DEFAULTS.limits.maxPendingOperations,
      1,
      1_000_000,
    ),
    maxRequestBytes: integer(
      limitsRaw,
      'maxRequestBytes',
      'limits.maxRequestBytes',
      DEFAULTS.limits.maxRequestBytes,
      1024,
      64 * 1024 * 1024,
    ),
    operationTimeoutMs: integer(
      limitsRaw,
      'operationTimeoutMs',
      'limits.operationTimeoutMs',
      DEFAULTS.limits.operationTimeoutMs,
      100,
      600_000,
    ),
  };

  const ledgerRaw = section(root, 'ledger', Object.keys(DEFAULTS.ledger), false);
  const ledger = {
    idempotencyWindowMs: integer(
      ledgerRaw,
      'idempotencyWindowMs',
      'ledger.idempotencyWindowMs',
      DEFAULTS.ledger.idempotencyWindowMs,
      1000,
      30 * 24 * 3_600_000,
    ),
    idempotencyMaxEntries: integer(
      ledgerRaw,
      'idempotencyMaxEntries',
      'ledger.idempotencyMaxEntries',
      DEFAULTS.ledger.idempotencyMaxEntries,
      100,
      10_000_000,
    ),
    maxTtlMs: integer(
      ledgerRaw,
      'maxTtlMs',
      'ledger.maxTtlMs',
      DEFAULTS.ledger.maxTtlMs,
      1000,
      30 * 24 * 3_600_000,
    ),
  };

  const snapshotRaw = section(root, 'snapshot', Object.keys(DEFAULTS.snapshot), false);
  const snapshot = {
    everyEntries: integer(
      snapshotRaw,
      'everyEntries',
      'snapshot.everyEntries',
      DEFAULTS.snapshot.everyEntries,
      10,
      100_000_000,
    ),
  };

  const logRaw = section(root, 'log', Object.keys(DEFAULTS.log), false);
  const log = {
    level: choice(logRaw, 'level', 'log.level', ['error', 'warn', 'info', 'debug'] as const, 'info'),
  };

  return {
    node: { id, role, listen, advertise, dataDir },
    cluster: { mode, nodes },
    timing,
    limits,
    ledger,
    snapshot,
    log,
  };
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
