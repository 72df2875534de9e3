// The benchmark's command line, parsed and checked in one place. `--quick` shortens every run for
// a fast full pass; flags given explicitly still win over it.
import { parseArgs } from 'node:util';
import { MAX_WORKSTATIONS } from './workstation-loop.js';

export const WORKLOAD_NAMES = [
  'spread',
  'contended',
  'denials',
  'usage',
  'failover',
  'handover',
  'catch-up',
  'capacity',
] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];
export type SeatWorkloadName = 'spread' | 'contended' | 'denials';

/** Names accepted on the command line for workloads that run together with another. */
const ALIASES: Record<string, WorkloadName[]> = {
  failback: ['failover'],
  drain: ['handover'],
  memory: ['catch-up'],
  throughput: ['spread', 'contended', 'denials', 'usage'],
};
/** What `--tls-cost` measures unless --workloads says otherwise. */
export const TLS_COST_WORKLOADS: WorkloadName[] = ['spread'];
/** What `pnpm bench:etcd` compares: the workloads that both systems run. */
export const ETCD_WORKLOADS: WorkloadName[] = ['spread', 'contended', 'denials', 'failover'];

export interface BenchOptions {
  workloads: Set<WorkloadName>;
  /** Also run the seat workloads and the failover against a 3-member etcd cluster, and compare. */
  etcd: boolean;
  quick: boolean;
  durationMs: number;
  workstations: number[];
  /** Tandem cluster for the loop workloads: main + backup (default) or one node. */
  cluster: 'pair' | 'single';
  /**
   * Tandem in plaintext without authentication (insecure: true) instead of TLS, mutual TLS between
   * the nodes and a certificate per workstation: to measure what security costs.
   */
  insecure: boolean;
  /**
   * What TLS costs: each loop run against a secure pair is followed at once by the same run against
   * a plaintext pair (insecure: true), and the two are compared. Spread at 1, 16 and 64
   * workstations unless --workloads and --workstations say otherwise.
   */
  tlsCost: boolean;
  /**
   * Run each tandemd under `--cpu-prof`, its profile written under this directory (per cluster
   * name and node) when the node stops; null: no profiling. Summarise with `pnpm cpu-profile`.
   */
  cpuProfileDir: string | null;
  /**
   * Write each tandemd's log lines (JSON, one per line) under this directory when its cluster
   * stops, one file per process (a killed and restarted node has one per life); null: not kept.
   */
  nodeLogDir: string | null;
  /**
   * Which build of tandemd the nodes run: the bundle the packages ship (the default), or the
   * compiled module tree (`--tandemd modules`; what `--cpu-prof` always runs, so that a profile
   * names each function's package).
   */
  tandemdBuild: 'bundle' | 'modules';
  failoverRounds: number;
  failoverWorkstations: number;
  catchUpEntries: number;
  liveLeases: number;
  /**
   * Entries written into main's log before the pair of the loop and failover workloads starts
   * (0: none), of which `preloadLiveLeases` are leases left live and the rest usage reports, all
   * remembered up to the request book's limit: the state goal 1 of issue 13 measures against. Both
   * nodes hold it before the first run.
   */
  preloadEntries: number;
  preloadLiveLeases: number;
  /** Capacity: the population sizes, increasing; each step grows the one before. */
  capacityWorkstations: number[];
  /** Capacity: the measured window of each step, after a warm-up of one renewal period. */
  capacityDurationMs: number;
  /** Capacity: the pool of real clients the simulated workstations share. */
  capacityClients: number;
  output: string;
}

/** The most simulated workstations of a capacity step. */
export const MAX_CAPACITY_WORKSTATIONS = 200_000;
export const MAX_CAPACITY_CLIENTS = 512;
/**
 * Simulated workstations per pool client at most: 1,000 renew 100 times a second through one
 * identity, half of tandemd's default per-identity rate limit (200 calls/s), so that the limit
 * would not shape the figures even at its default (the benchmark's nodes raise it anyway: see
 * BENCH_NODE_OVERRIDES in tandem-cluster.ts).
 */
export const MAX_WORKSTATIONS_PER_CAPACITY_CLIENT = 1000;

export class BenchOptionsError extends Error {
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(`--${flag}: ${message}`);
    this.name = 'BenchOptionsError';
  }
}

function integerFlag(flag: string, text: string, minimum: number, maximum: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) {
    throw new BenchOptionsError(flag, `must be an integer from ${minimum} to ${maximum}, not ${text}`);
  }
  return value;
}

const MAX_PATH_CHARACTERS = 1024;

function directoryOption(flag: string, text: string | undefined): string | null {
  if (text === undefined) return null;
  if (text === '' || text.length > MAX_PATH_CHARACTERS) {
    throw new BenchOptionsError(flag, `must be a directory path of 1 to ${MAX_PATH_CHARACTERS} characters`);
  }
  return text;
}

function tandemdBuildOption(text: string | undefined, profiling: boolean): 'bundle' | 'modules' {
  if (text !== undefined && text !== 'bundle' && text !== 'modules') {
    throw new BenchOptionsError('tandemd', 'must be bundle or modules');
  }
  if (profiling && text === 'bundle') {
    throw new BenchOptionsError(
      'tandemd',
      'must be modules with --cpu-prof (a profile of the bundle names no package)',
    );
  }
  return profiling ? 'modules' : (text ?? 'bundle');
}

export function parseBenchOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      workloads: { type: 'string' },
      etcd: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      'duration-ms': { type: 'string' },
      workstations: { type: 'string' },
      cluster: { type: 'string', default: 'pair' },
      insecure: { type: 'boolean', default: false },
      'tls-cost': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      'node-logs': { type: 'string' },
      tandemd: { type: 'string' },
      'failover-rounds': { type: 'string' },
      'failover-workstations': { type: 'string', default: '64' },
      'catch-up-entries': { type: 'string' },
      'preload-entries': { type: 'string' },
      'preload-live-leases': { type: 'string' },
      'live-leases': { type: 'string' },
      'capacity-workstations': { type: 'string' },
      'capacity-duration-ms': { type: 'string' },
      'capacity-clients': { type: 'string', default: '64' },
      output: { type: 'string', default: 'bench-results.json' },
    },
  });
  const quick = values.quick === true;
  const etcd = values.etcd === true;
  const tlsCost = values['tls-cost'] === true;
  if (tlsCost && (etcd || values.insecure === true || values.cluster === 'single')) {
    throw new BenchOptionsError(
      'tls-cost',
      'compares a secure pair with a plaintext pair: leave out --etcd, --insecure and --cluster single',
    );
  }
  const workloads = new Set<WorkloadName>();
  const requested = values.workloads?.split(',').filter((name) => name !== '');
  const defaults = tlsCost ? TLS_COST_WORKLOADS : etcd ? ETCD_WORKLOADS : WORKLOAD_NAMES;
  for (const name of requested ?? defaults) {
    const expanded = ALIASES[name] ?? ((WORKLOAD_NAMES as readonly string[]).includes(name) ? [name] : null);
    if (expanded === null) {
      throw new BenchOptionsError(
        'workloads',
        `unknown workload ${name} (known: ${WORKLOAD_NAMES.join(', ')})`,
      );
    }
    for (const workload of expanded as WorkloadName[]) workloads.add(workload);
  }
  if (workloads.size === 0) throw new BenchOptionsError('workloads', 'names no workload');
  const cluster = values.cluster;
  if (cluster !== 'pair' && cluster !== 'single') {
    throw new BenchOptionsError('cluster', `must be pair or single, not ${cluster}`);
  }
  if (
    tlsCost &&
    [...workloads].some(
      (workload) =>
        workload === 'failover' ||
        workload === 'handover' ||
        workload === 'catch-up' ||
        workload === 'capacity',
    )
  ) {
    throw new BenchOptionsError(
      'tls-cost',
      'measures the loop workloads only (spread, contended, denials, usage)',
    );
  }
  const workstations = (values.workstations ?? (tlsCost ? '1,16,64' : '1,16,64,256'))
    .split(',')
    .map((text) => {
      return integerFlag('workstations', text, 1, MAX_WORKSTATIONS);
    });
  const catchUpEntries = integerFlag(
    'catch-up-entries',
    values['catch-up-entries'] ?? (quick ? '20000' : '1000000'),
    10,
    10_000_000,
  );
  const liveLeases = integerFlag(
    'live-leases',
    values['live-leases'] ?? (quick ? '2000' : '100000'),
    0,
    catchUpEntries,
  );
  const preloadEntries = integerFlag('preload-entries', values['preload-entries'] ?? '0', 0, 10_000_000);
  const preloadLiveLeases = integerFlag(
    'preload-live-leases',
    values['preload-live-leases'] ?? String(Math.min(100_000, preloadEntries)),
    0,
    preloadEntries,
  );
  const capacityClients = integerFlag(
    'capacity-clients',
    values['capacity-clients'] ?? '64',
    1,
    MAX_CAPACITY_CLIENTS,
  );
  const capacityWorkstations = (
    values['capacity-workstations'] ?? (quick ? '500,1000' : '1000,2000,4000,8000,16000,32000')
  )
    .split(',')
    .map((text) => integerFlag('capacity-workstations', text, 1, MAX_CAPACITY_WORKSTATIONS));
  capacityWorkstations.forEach((workstations, index) => {
    const before = capacityWorkstations[index - 1];
    if (before !== undefined && workstations <= before) {
      throw new BenchOptionsError(
        'capacity-workstations',
        `steps must increase (${before} then ${workstations})`,
      );
    }
    if (workstations > capacityClients * MAX_WORKSTATIONS_PER_CAPACITY_CLIENT) {
      throw new BenchOptionsError(
        'capacity-workstations',
        `${workstations} needs at least ${Math.ceil(workstations / MAX_WORKSTATIONS_PER_CAPACITY_CLIENT)} pool clients (--capacity-clients ${capacityClients}): ` +
          `at most ${MAX_WORKSTATIONS_PER_CAPACITY_CLIENT} simulated workstations share one`,
      );
    }
  });
  return {
    workloads,
    etcd,
    quick,
    durationMs: integerFlag(
      'duration-ms',
      values['duration-ms'] ?? (quick ? '1000' : '10000'),
      100,
      3_600_000,
    ),
    workstations,
    cluster,
    insecure: values.insecure === true,
    tlsCost,
    cpuProfileDir: directoryOption('cpu-prof', values['cpu-prof']),
    nodeLogDir: directoryOption('node-logs', values['node-logs']),
    tandemdBuild: tandemdBuildOption(values.tandemd, values['cpu-prof'] !== undefined),
    failoverRounds: integerFlag('failover-rounds', values['failover-rounds'] ?? (quick ? '1' : '5'), 1, 50),
    failoverWorkstations: integerFlag(
      'failover-workstations',
      values['failover-workstations'] ?? '64',
      1,
      MAX_WORKSTATIONS,
    ),
    catchUpEntries,
    liveLeases,
    preloadEntries,
    preloadLiveLeases,
    capacityWorkstations,
    capacityDurationMs: integerFlag(
      'capacity-duration-ms',
      values['capacity-duration-ms'] ?? (quick ? '5000' : '30000'),
      1000,
      3_600_000,
    ),
    capacityClients,
    output: values.output ?? 'bench-results.json',
  };
}
