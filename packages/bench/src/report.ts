// What the benchmark prints and records: one row per loop run, the side-by-side comparison with
// etcd (ratio = Tandem's figure / etcd's figure, with the issue's target for each row), and plain
// text tables. Pure functions, so that the formatting is tested without a cluster.
import type { CapacityResult, CapacityStep } from './capacity.js';
import type { CatchUpResult, MemoryResult } from './catch-up.js';
import type { FailoverSummary } from './failover.js';
import type { HandoverSummary } from './handover.js';
import type { SeatsCheck, SystemName } from './seat-backend.js';
import type { LoopWorkloadName } from './workloads.js';
import type { LoopResult } from './workstation-loop.js';

export interface RunRow extends LoopResult {
  workload: LoopWorkloadName;
  seats: SeatsCheck;
  seatsBackToZero: boolean;
  /** Usage runs: units the cluster counted (must equal the reports when there were no errors). */
  usageUnits: number | null;
}

export interface SystemResults {
  system: SystemName;
  version?: string;
  runs: RunRow[];
  failover?: FailoverSummary;
  /** Drain, undrain, SIGTERM and restart of the main under load (handover.ts). */
  handover?: HandoverSummary;
  catchUp?: CatchUpResult;
  memory?: MemoryResult;
  capacity?: CapacityResult;
}

export interface ComparisonRow {
  workload: string;
  metric: string;
  tandem: number | null;
  etcd: number | null;
  /** tandem / etcd, two decimals; null when either is missing or etcd's is zero. */
  ratio: number | null;
  target: string;
  met: boolean | null;
}

export const TARGETS = {
  spreadOpsRatio: 2,
  spreadP99Ratio: 1,
  contendedOpsRatio: 10,
  denialsOpsRatio: 10,
  failoverMedianMs: 1000,
  catchUpMs: 20_000,
  rssMbPerNode: 200,
  /** The sizes at which the catch-up and memory targets hold; smaller runs are not judged. */
  catchUpEntries: 1_000_000,
  liveLeases: 100_000,
} as const;

export interface TargetLine {
  what: string;
  figure: string;
  target: string;
  /** null: the run was smaller than the size the target is set at. */
  met: boolean | null;
}

export function ratioOf(tandem: number | null, etcd: number | null): number | null {
  if (tandem === null || etcd === null || etcd === 0) return null;
  return Math.round((tandem / etcd) * 100) / 100;
}

function findRun(runs: RunRow[], workload: string, workstations: number): RunRow | undefined {
  return runs.find((run) => run.workload === workload && run.workstations === workstations);
}

export function compareSystems(tandem: SystemResults, etcd: SystemResults): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  const concurrencies = [...new Set(tandem.runs.map((run) => run.workstations))].sort((a, b) => a - b);
  const opsTargets: Record<string, number> = {
    spread: TARGETS.spreadOpsRatio,
    contended: TARGETS.contendedOpsRatio,
    denials: TARGETS.denialsOpsRatio,
  };
  for (const [workload, minimumRatio] of Object.entries(opsTargets)) {
    for (const workstations of concurrencies) {
      const ours = findRun(tandem.runs, workload, workstations);
      const theirs = findRun(etcd.runs, workload, workstations);
      if (ours === undefined && theirs === undefined) continue;
      const ratio = ratioOf(ours?.opsPerSecond ?? null, theirs?.opsPerSecond ?? null);
      rows.push({
        workload: `${workload} ${workstations} ws`,
        metric: 'ops/s',
        tandem: ours?.opsPerSecond ?? null,
        etcd: theirs?.opsPerSecond ?? null,
        ratio,
        target: `>= ${minimumRatio}x`,
        met: ratio === null ? null : ratio >= minimumRatio,
      });
      if (workload === 'spread') {
        const p99Ratio = ratioOf(ours?.latency.p99Ms ?? null, theirs?.latency.p99Ms ?? null);
        rows.push({
          workload: `${workload} ${workstations} ws`,
          metric: 'p99 ms',
          tandem: ours?.latency.p99Ms ?? null,
          etcd: theirs?.latency.p99Ms ?? null,
          ratio: p99Ratio,
          target: `<= ${TARGETS.spreadP99Ratio}x`,
          met: p99Ratio === null ? null : p99Ratio <= TARGETS.spreadP99Ratio,
        });
      }
    }
  }
  if (tandem.failover !== undefined || etcd.failover !== undefined) {
    const ours = tandem.failover;
    const theirs = etcd.failover;
    const workload = `failover ${ours?.workstations ?? theirs?.workstations} ws`;
    rows.push({
      workload,
      metric: 'median ms',
      tandem: ours?.medianFailoverMs ?? null,
      etcd: theirs?.medianFailoverMs ?? null,
      ratio: ratioOf(ours?.medianFailoverMs ?? null, theirs?.medianFailoverMs ?? null),
      target: `<= ${TARGETS.failoverMedianMs} ms`,
      met:
        ours === undefined
          ? null
          : ours.medianFailoverMs !== null && ours.medianFailoverMs <= TARGETS.failoverMedianMs,
    });
    rows.push({
      workload,
      metric: 'client errors',
      tandem: ours?.failoverErrors ?? null,
      etcd: theirs?.failoverErrors ?? null,
      ratio: null,
      target: '0',
      met: ours === undefined ? null : ours.failoverErrors === 0,
    });
  }
  return rows;
}

/** Targets that concern Tandem alone: failover, catch-up and memory. */
export function tandemTargets(tandem: SystemResults): TargetLine[] {
  const lines: TargetLine[] = [];
  const failover = tandem.failover;
  if (failover !== undefined) {
    lines.push({
      what: 'failover median',
      figure: failover.medianFailoverMs === null ? 'never' : `${failover.medianFailoverMs} ms`,
      target: `<= ${TARGETS.failoverMedianMs} ms`,
      met: failover.medianFailoverMs !== null && failover.medianFailoverMs <= TARGETS.failoverMedianMs,
    });
    lines.push({
      what: 'failover client errors',
      figure: String(failover.failoverErrors),
      target: '0',
      met: failover.failoverErrors === 0,
    });
  }
  if (tandem.catchUp !== undefined) {
    lines.push({
      what: `catch-up of ${tandem.catchUp.entries} entries`,
      figure: `${tandem.catchUp.catchUpMs} ms`,
      target: `<= ${TARGETS.catchUpMs} ms`,
      met:
        tandem.catchUp.entries < TARGETS.catchUpEntries
          ? null
          : tandem.catchUp.stateHashesEqual && tandem.catchUp.catchUpMs <= TARGETS.catchUpMs,
    });
  }
  if (tandem.memory !== undefined) {
    const largest = Math.max(tandem.memory.mainRssMb, tandem.memory.backupRssMb);
    lines.push({
      what: `RSS per node, ${tandem.memory.liveLeases} live leases`,
      figure: `${largest} MB`,
      target: `<= ${TARGETS.rssMbPerNode} MB`,
      met: tandem.memory.liveLeases < TARGETS.liveLeases ? null : largest <= TARGETS.rssMbPerNode,
    });
  }
  return lines;
}

/** A plain text table: the first `leftColumns` columns left-aligned, the others right-aligned. */
export function formatTable(headers: string[], rows: string[][], leftColumns = 1): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column < leftColumns ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

const figure = (value: number | null) => (value === null ? '-' : String(value));
const yesNo = (value: boolean | null) => (value === null ? '-' : value ? 'yes' : 'NO');

export function runsTable(runs: RunRow[]): string {
  return formatTable(
    ['system', 'workload', 'ws', 'ops/s', 'p50 ms', 'p99 ms', 'max ms', 'ok', 'denied', 'errors', 'seats 0'],
    runs.map((run) => [
      run.system,
      run.workload,
      String(run.workstations),
      String(run.opsPerSecond),
      String(run.latency.p50Ms),
      String(run.latency.p99Ms),
      String(run.latency.maxMs),
      String(run.acquired + run.released + run.reports),
      String(run.denied),
      String(run.errors),
      run.kind === 'usage'
        ? `${yesNo(run.seatsBackToZero)}${run.usageUnits === run.reports ? '' : ` (counted ${run.usageUnits})`}`
        : yesNo(run.seatsBackToZero),
    ]),
    2,
  );
}

export function comparisonTable(rows: ComparisonRow[]): string {
  return formatTable(
    ['workload', 'metric', 'Tandem', 'etcd', 'Tandem/etcd', 'target', 'met'],
    rows.map((row) => [
      row.workload,
      row.metric,
      figure(row.tandem),
      figure(row.etcd),
      row.ratio === null ? '-' : `${row.ratio}x`,
      row.target,
      yesNo(row.met),
    ]),
    2,
  );
}

export function failoverLines(system: SystemName, failover: FailoverSummary): string[] {
  const failovers = failover.rounds
    .map((round) => `${figure(round.failoverMs)} (${round.killed})`)
    .join(', ');
  const lines = [
    `${system} failover (${failover.workstations} ws spread, kill -9 the leader): median ${figure(failover.medianFailoverMs)} ms [${failovers}], client errors ${failover.failoverErrors}, seats back to zero: ${yesNo(failover.seatsBackToZero)}`,
  ];
  if (failover.medianFailbackMs !== null) {
    const failbacks = failover.rounds.map((round) => figure(round.failbackMs)).join(', ');
    lines.push(
      `${system} failback (restart main, until main leads): median ${failover.medianFailbackMs} ms [${failbacks}], client errors ${failover.failbackErrors}`,
    );
  }
  return lines;
}

/** One loop run measured against a secure pair and against a plaintext pair (bench --tls-cost). */
export interface TlsCostRow {
  workload: string;
  workstations: number;
  tlsOpsPerSecond: number | null;
  plaintextOpsPerSecond: number | null;
  /** 1 - tls / plaintext, in percent (one decimal); what TLS takes off throughput. */
  throughputCostPercent: number | null;
  tlsP99Ms: number | null;
  plaintextP99Ms: number | null;
  /** The goal: TLS costs at most this share of throughput. */
  goalPercent: number;
  met: boolean | null;
}

export const TLS_COST_GOAL_PERCENT = 15;

export function compareTlsCost(tls: SystemResults, plaintext: SystemResults): TlsCostRow[] {
  const rows: TlsCostRow[] = [];
  for (const run of tls.runs) {
    const other = findRun(plaintext.runs, run.workload, run.workstations);
    const cost =
      other === undefined || other.opsPerSecond === 0
        ? null
        : Math.round((1 - run.opsPerSecond / other.opsPerSecond) * 1000) / 10;
    rows.push({
      workload: run.workload,
      workstations: run.workstations,
      tlsOpsPerSecond: run.opsPerSecond,
      plaintextOpsPerSecond: other?.opsPerSecond ?? null,
      throughputCostPercent: cost,
      tlsP99Ms: run.latency.p99Ms,
      plaintextP99Ms: other?.latency.p99Ms ?? null,
      goalPercent: TLS_COST_GOAL_PERCENT,
      met: cost === null ? null : cost <= TLS_COST_GOAL_PERCENT,
    });
  }
  return rows;
}

export function tlsCostTable(rows: TlsCostRow[]): string {
  return formatTable(
    ['workload', 'ws', 'TLS ops/s', 'plaintext ops/s', 'TLS cost', 'TLS p99 ms', 'plaintext p99 ms', 'goal'],
    rows.map((row) => [
      row.workload,
      String(row.workstations),
      figure(row.tlsOpsPerSecond),
      figure(row.plaintextOpsPerSecond),
      row.throughputCostPercent === null ? '-' : `${row.throughputCostPercent}%`,
      figure(row.tlsP99Ms),
      figure(row.plaintextP99Ms),
      `<= ${row.goalPercent}%: ${row.met === null ? '-' : row.met ? 'met' : 'NOT met'}`,
    ]),
    2,
  );
}

/** Issue 13's capacity goal: renewals answered within this at the 99th percentile. */
export const CAPACITY_P99_LIMIT_MS = 50;

/** A step meets the goal: p99 under the limit, no error, no lease lost, every renewal due answered. */
export function capacityStepPassed(step: CapacityStep, p99LimitMs = CAPACITY_P99_LIMIT_MS): boolean {
  return (
    step.latency.p99Ms < p99LimitMs &&
    step.errors === 0 &&
    step.lostLeases === 0 &&
    step.renewals === step.renewalsDue &&
    step.renewals > 0
  );
}

/** A p99 past which a capacity step counts as saturated: a fifth of the renewal period. */
export const SATURATED_P99_MS = 2000;

/** The pair did not keep up: an error, a lost lease, a renewal left unanswered, or p99 past SATURATED_P99_MS. */
export function capacityStepSaturated(step: CapacityStep): boolean {
  return (
    step.errors > 0 ||
    step.lostLeases > 0 ||
    step.renewals < step.renewalsDue ||
    step.latency.p99Ms >= SATURATED_P99_MS
  );
}

/** The largest population whose step met the goal, or null when none did. */
export function largestPassingCapacity(
  steps: CapacityStep[],
  p99LimitMs = CAPACITY_P99_LIMIT_MS,
): number | null {
  let largest: number | null = null;
  for (const step of steps) {
    if (capacityStepPassed(step, p99LimitMs) && (largest === null || step.workstations > largest)) {
      largest = step.workstations;
    }
  }
  return largest;
}

export function capacityTable(steps: CapacityStep[]): string {
  return formatTable(
    [
      'workstations',
      'renewals/s',
      'p50 ms',
      'p99 ms',
      'max ms',
      'errors (step)',
      'lost',
      'late',
      'acquire s',
      'main CPU%',
      'backup CPU%',
      'generator CPU%',
      'send lag p99 ms',
      'generator loop p99/max ms',
      'load',
      'goal',
    ],
    steps.map((step) => [
      String(step.workstations),
      String(step.renewalsPerSecond),
      String(step.latency.p50Ms),
      String(step.latency.p99Ms),
      String(step.latency.maxMs),
      `${step.errors} (${step.errorsInStep})`,
      String(step.lostLeases),
      String(step.lateSends),
      (step.acquireMs / 1000).toFixed(1),
      figure(step.cpuPercent.main ?? null),
      figure(step.cpuPercent.backup ?? null),
      figure(step.cpuPercent.generator ?? null),
      String(step.sendLag.p99Ms),
      `${step.generatorEventLoop.p99Ms} / ${step.generatorEventLoop.maxMs}`,
      step.loadAverage[0]?.toFixed(2) ?? '-',
      capacityStepPassed(step) ? 'met' : 'NOT met',
    ]),
    0,
  );
}
