// tandemd's configuration: a YAML file, validated field by field. Every error names the field
// (as a dotted path) so that an operator can fix the file without reading code.
import assert from 'node:assert/strict';
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
    /**
     * Every node of the cluster, this one included: empty in single mode, main and backup in pair
     * mode, main, backup and witness in witness mode.
     */
    nodes: PeerConfig[];
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
    /**
     * The largest snapshot this node takes from its leader. The buffer grows as chunks arrive, so
     * the claimed size of a snapshot costs nothing until its bytes come; a larger one is refused.
     */
    maxSnapshotBytes: number;
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

const NODE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** Replication messages are sized to half of limits.maxRequestBytes; below this they get too small. */
export const PAIR_MIN_REQUEST_BYTES = 256 * 1024;

/** Every numeric setting as [default, minimum, maximum]; the sections' keys are the allowed keys. */
const NUMERIC_SETTINGS = {
  timing: {
    tickIntervalMs: [10, 1, 1000],
    heartbeatIntervalMs: [100, 1, 60_000],
    failoverTimeoutMs: [1000, 2, 600_000],
    leaseExpiryIntervalMs: [1000, 10, 3_600_000],
    startupGraceMs: [5000, 0, 600_000],
  },
  limits: {
    maxBatchEntries: [1024, 1, 65_536],
    maxPendingOperations: [20_000, 1, 1_000_000],
    maxRequestBytes: [1024 * 1024, 1024, 64 * 1024 * 1024],
    operationTimeoutMs: [5000, 100, 600_000],
    maxSnapshotBytes: [1024 * 1024 * 1024, 1024 * 1024, 2 * 1024 * 1024 * 1024],
  },
  ledger: {
    idempotencyWindowMs: [24 * 3_600_000, 1000, 30 * 24 * 3_600_000],
    idempotencyMaxEntries: [200_000, 100, 10_000_000],
    maxTtlMs: [24 * 3_600_000, 1000, 30 * 24 * 3_600_000],
  },
  snapshot: {
    everyEntries: [10_000, 10, 100_000_000],
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
  if (role === 'witness' && mode !== 'witness') {
    throw new ConfigError('node.role', 'a witness needs cluster.mode witness');
  }
  let advertised = advertise;
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
  }

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

  const logRaw = section(root, 'log', ['level'], false);
  const log = {
    level: choice(logRaw, 'level', 'log.level', ['error', 'warn', 'info', 'debug'] as const, 'info'),
  };

  return {
    node: { id, role, listen, advertise: advertised, dataDir },
    cluster: { mode, nodes },
    timing,
    limits,
    ledger,
    snapshot,
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
    if (earlier.some((other) => other.address === node.address)) {
      throw new ConfigError(`cluster.nodes[${position}].address`, `"${node.address}" is listed twice`);
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
