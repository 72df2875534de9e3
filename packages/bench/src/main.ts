// pnpm bench (and pnpm bench:etcd, which adds --etcd): starts its own clusters and measures.
// - Tandem: a main + backup pair of real tandemd processes (sync writes, default timeouts, no
//   per-workstation rate limit: see BENCH_NODE_OVERRIDES in tandem-cluster.ts);
// - loop workloads spread, contended, denials (acquire then release) and usage (report 1 unit),
//   each at 1, 16, 64 and 256 workstations, with a check that every seat is back to zero;
// - failover (kill -9 the leader under the 64-workstation spread load) and failback (restart
//   main until it leads), median of 5; catch-up of 1,000,000 entries; RSS with 100,000 leases;
// - with --etcd: the same spread, contended, denials and failover against a 3-member etcd
//   cluster in the same run (each Tandem run followed at once by the same etcd run), and
//   Tandem's figure, etcd's figure and their ratio per workload.
// - capacity: how many workstations one pair serves at a 30 s TTL (renewal every 10 s, open loop)
//   with p99 under 50 ms, the population stepped up on a fresh pair;
// Figures are printed and written to bench-results.json, never asserted: tests assert behaviour.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BULK_LOG_LICENCES, removeDirectory, temporaryDirectory, waitForEqualState } from '@tandem/testkit';
import {
  type BenchOptions,
  BenchOptionsError,
  parseBenchOptions,
  type WorkloadName,
} from './bench-options.js';
import { runCapacity } from './capacity.js';
import { BULK_LOG_START_TIMEOUT_MS, runCatchUpAndMemory, writeBulkLog } from './catch-up.js';
import { monotonicMicroseconds, PROFILED_RUNS_FILE, type ProfiledRun } from './cpu-profile-summary.js';
import { EtcdBackend } from './etcd-backend.js';
import { EtcdCluster, ensureEtcdInstalled, etcdFailoverCluster, etcdVersion } from './etcd-cluster.js';
import { type FailoverCluster, type FailoverRound, runFailoverRound, summarizeFailover } from './failover.js';
import { type HandoverRound, handoverLines, runHandoverRound, summarizeHandover } from './handover.js';
import { guardDirectory, releaseDirectory } from './process-guard.js';
import {
  CAPACITY_P99_LIMIT_MS,
  type ComparisonRow,
  capacityTable,
  compareSystems,
  compareTlsCost,
  comparisonTable,
  failoverLines,
  largestPassingCapacity,
  type RunRow,
  runsTable,
  type SystemResults,
  type TlsCostRow,
  tandemTargets,
  tlsCostTable,
} from './report.js';
import type { SeatBackend } from './seat-backend.js';
import { TandemBackend } from './tandem-backend.js';
import {
  type TandemClusterOptions,
  tandemFailoverCluster,
  withTandemPair,
  withTandemSingle,
} from './tandem-cluster.js';
import { type LoopWorkloadName, planRun, type RunPlan } from './workloads.js';
import { type LoopResult, runWorkstationLoop } from './workstation-loop.js';

const say = (text: string) => process.stdout.write(text);
const PROGRESS_INTERVAL_MS = 2000;

let options: BenchOptions;
try {
  options = parseBenchOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof BenchOptionsError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}

const LOOP_WORKLOADS: LoopWorkloadName[] = ['spread', 'contended', 'denials', 'usage'];
const has = (workload: WorkloadName) => options.workloads.has(workload);
const tandemLoops = LOOP_WORKLOADS.filter(has);
const etcdLoops: LoopWorkloadName[] = tandemLoops.filter((workload) => workload !== 'usage');
const totalSteps =
  (tandemLoops.length * (options.tlsCost ? 2 : 1) + (options.etcd ? etcdLoops.length : 0)) *
    options.workstations.length +
  (has('failover') ? 1 : 0) +
  (has('handover') ? 1 : 0) +
  (has('catch-up') ? 1 : 0) +
  (has('capacity') ? 1 : 0);
let step = 0;
const stepLabel = () => {
  step += 1;
  return `[${String(step).padStart(String(totalSteps).length)}/${totalSteps}]`;
};

const tandem: SystemResults = { system: options.insecure ? 'tandem-plaintext' : 'tandem', runs: [] };
let etcd = null as SystemResults | null;
let comparison = null as ComparisonRow[] | null;
/** --tls-cost: the same loop runs against a plaintext pair, and what TLS costs per run. */
const plaintext: SystemResults | null = options.tlsCost ? { system: 'tandem-plaintext', runs: [] } : null;
let tlsCost = null as TlsCostRow[] | null;
const startedAt = new Date();
const loadAverageAtStart = os.loadavg().map((load) => Math.round(load * 100) / 100);

async function writeResults(): Promise<void> {
  const results = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      platform: `${process.platform} ${os.release()}`,
      node: process.version,
      cores: os.availableParallelism(),
      /** 1, 5 and 15 minute load averages: the machine is shared, and figures move with its load. */
      loadAverageAtStart,
      loadAverageAtEnd: os.loadavg().map((load) => Math.round(load * 100) / 100),
    },
    options: { ...options, workloads: [...options.workloads] },
    tandem,
    ...(etcd === null ? {} : { etcd }),
    ...(comparison === null ? {} : { comparison }),
    ...(plaintext === null ? {} : { plaintext }),
    ...(tlsCost === null ? {} : { tlsCost }),
  };
  await writeFile(options.output, `${JSON.stringify(results, null, 2)}\n`);
}

/** A system under test while its cluster runs. */
interface Contestant {
  results: SystemResults;
  backend: SeatBackend;
  /** Licence sets already activated on this cluster. */
  activated: Set<string>;
  /** Null for a single node, which has nothing to fail over to. */
  failover: FailoverCluster | null;
}

async function ensureLicences(contestant: Contestant, plan: RunPlan): Promise<void> {
  if (contestant.activated.has(plan.licenceSetKey)) return;
  if (plan.licences.length > 100)
    say(`  ${contestant.backend.system}: activating ${plan.licences.length} licences ...\n`);
  await contestant.backend.activate(plan.licences);
  contestant.activated.add(plan.licenceSetKey);
}

const profiledRuns: ProfiledRun[] = [];

/**
 * With --cpu-prof, the window of each loop run goes to runs.json beside the profiles, on the
 * monotonic clock that V8's profiles use, so that `pnpm cpu-profile --runs` summarises the loop
 * alone and not the start, the licence activation or the checks around it.
 */
async function recordProfiledRun(run: ProfiledRun): Promise<void> {
  if (options.cpuProfileDir === null) return;
  profiledRuns.push(run);
  await mkdir(options.cpuProfileDir, { recursive: true });
  await writeFile(
    path.join(options.cpuProfileDir, PROFILED_RUNS_FILE),
    `${JSON.stringify(profiledRuns, null, 2)}\n`,
  );
}

async function runOneLoop(contestant: Contestant, plan: RunPlan): Promise<void> {
  const { backend } = contestant;
  await ensureLicences(contestant, plan);
  say(`${stepLabel()} ${backend.system} ${plan.workload} ${plan.workstations} ws `);
  const progress = setInterval(() => say('.'), PROGRESS_INTERVAL_MS);
  let result: LoopResult;
  const startUs = monotonicMicroseconds();
  try {
    result = await runWorkstationLoop({
      backend,
      kind: plan.kind,
      licenceFor: plan.licenceFor,
      workstations: plan.workstations,
      durationMs: options.durationMs,
      runName: plan.runName,
    });
  } finally {
    clearInterval(progress);
  }
  await recordProfiledRun({
    system: backend.system,
    workload: plan.workload,
    workstations: plan.workstations,
    startUs,
    endUs: monotonicMicroseconds(),
  });
  const seats = await backend.seatsInUse();
  const usageUnits =
    plan.kind === 'usage'
      ? await backend.usageUnits(plan.licences.map((licence) => licence.licenceId))
      : null;
  const row: RunRow = {
    ...result,
    workload: plan.workload,
    seats,
    seatsBackToZero: seats.seatsInUse === 0 && seats.holders === 0,
    usageUnits,
  };
  contestant.results.runs.push(row);
  const { latency } = result;
  const outcome =
    plan.kind === 'usage'
      ? `reports ${result.reports}, units counted ${usageUnits}`
      : `acquired ${result.acquired}, released ${result.released}, denied ${result.denied}`;
  say(
    ` ${result.opsPerSecond} ops/s; p50 ${latency.p50Ms} p99 ${latency.p99Ms} max ${latency.maxMs} ms; ` +
      `connected in ${result.connectMs} ms before the clock; ` +
      `${outcome}, errors ${result.errors}; seats back to zero: ${row.seatsBackToZero ? 'yes' : `NO (${seats.seatsInUse} seats, ${seats.holders} holders)`}\n`,
  );
  for (const sample of result.errorSamples) say(`    error: ${sample}\n`);
}

/**
 * Every loop workload at every concurrency; with several systems, each run of one is followed at
 * once by the same run of the other, so that the machine's changing load (it is shared) weighs on
 * both alike.
 */
async function runLoops(contestants: Contestant[]): Promise<void> {
  for (const workload of tandemLoops) {
    for (const workstations of options.workstations) {
      const plan = planRun(workload, workstations);
      for (const contestant of contestants) {
        if (contestant.results.system === 'etcd' && !etcdLoops.includes(workload)) continue;
        await runOneLoop(contestant, plan);
      }
    }
    await writeResults();
  }
}

/** Failover rounds, alternating between the systems round by round. */
async function runFailovers(contestants: Contestant[]): Promise<void> {
  const plan = planRun('spread', options.failoverWorkstations);
  const rounds = new Map<Contestant, FailoverRound[]>();
  for (const contestant of contestants) {
    await ensureLicences(contestant, plan);
    rounds.set(contestant, []);
  }
  const names = contestants.map((contestant) => contestant.results.system).join(' and ');
  say(
    `${stepLabel()} failover of ${names}: ${options.failoverWorkstations} ws spread, ${options.failoverRounds} round${options.failoverRounds === 1 ? '' : 's'}\n`,
  );
  for (let round = 1; round <= options.failoverRounds; round += 1) {
    for (const contestant of contestants) {
      if (contestant.failover === null) throw new Error(`${contestant.results.system} cannot fail over`);
      const record = await runFailoverRound(
        {
          cluster: contestant.failover,
          rounds: options.failoverRounds,
          workstations: options.failoverWorkstations,
          licenceFor: plan.licenceFor,
          say,
          label: contestant.results.system,
        },
        round,
      );
      rounds.get(contestant)?.push(record);
    }
  }
  for (const contestant of contestants) {
    const summary = summarizeFailover(options.failoverWorkstations, rounds.get(contestant) ?? []);
    contestant.results.failover = summary;
    for (const line of failoverLines(contestant.results.system, summary)) say(`  ${line}\n`);
  }
  await writeResults();
}

/** Runs `run` with the etcd contestant (cluster started, stopped after), or with none without --etcd. */
async function withEtcd(run: (contestant: Contestant | null) => Promise<void>): Promise<void> {
  if (!options.etcd) return run(null);
  const binary = ensureEtcdInstalled(say);
  const version = etcdVersion(binary);
  etcd ??= { system: 'etcd', version, runs: [] };
  const results = etcd;
  say(`etcd ${version}: 3 members on 127.0.0.1, default settings (fsync on)\n`);
  const directory = await temporaryDirectory('tandem-bench-etcd-');
  guardDirectory(directory);
  let cluster: EtcdCluster | null = null;
  let backend: EtcdBackend | null = null;
  try {
    cluster = await EtcdCluster.start({ binary, directory });
    backend = new EtcdBackend(cluster.clientUrls);
    await run({ results, backend, activated: new Set(), failover: etcdFailoverCluster(cluster, backend) });
  } finally {
    backend?.close();
    await cluster?.stop();
    await removeDirectory(directory);
    releaseDirectory(directory);
  }
}

/** How the Tandem clusters run, for the progress lines. */
const security = options.insecure
  ? 'PLAINTEXT (--insecure: no TLS, no authentication)'
  : 'TLS, mutual TLS between the nodes, a certificate per workstation';

/** Which build of tandemd the nodes run (tandem-cluster.ts), for the progress lines. */
const tandemdBuild =
  options.tandemdBuild === 'bundle' ? 'tandemd bundled as packaged' : 'tandemd as compiled modules';

/** How every Tandem cluster of this run starts. */
const clusterOptions = (insecure: boolean): TandemClusterOptions => ({
  insecure,
  cpuProfileDir: options.cpuProfileDir,
  nodeLogDir: options.nodeLogDir,
  entry: options.tandemdBuild,
});

/** --tls-cost: a second, plaintext pair beside the secure one. */
async function withPlaintextTandem(run: (contestant: Contestant | null) => Promise<void>): Promise<void> {
  if (plaintext === null) return run(null);
  const results = plaintext;
  say(
    `Tandem for comparison: main + backup, ${tandemdBuild}, sync writes, default timeouts, no workstation rate limit, PLAINTEXT (insecure: true)\n`,
  );
  await withTandemPair('plaintext', clusterOptions(true), async (pair) => {
    const backend = new TandemBackend(pair.servers, null);
    try {
      await run({ results, backend, activated: new Set(), failover: null });
    } finally {
      backend.close();
    }
  });
}

async function withTandem(
  kind: 'pair' | 'single',
  run: (contestant: Contestant) => Promise<void>,
): Promise<void> {
  if (kind === 'single') {
    say(
      `Tandem: one node (single mode), ${tandemdBuild}, sync writes, no workstation rate limit, ${security}\n`,
    );
    await withTandemSingle('single', clusterOptions(options.insecure), async (node) => {
      const backend = new TandemBackend([node.address], node.pki);
      try {
        await run({ results: tandem, backend, activated: new Set(), failover: null });
      } finally {
        backend.close();
      }
    });
    return;
  }
  say(
    `Tandem: main + backup, ${tandemdBuild}, sync writes, default timeouts, no workstation rate limit, ${security}\n`,
  );
  const preload = options.preloadEntries > 0;
  await withTandemPair(
    'pair',
    preload
      ? { ...clusterOptions(options.insecure), startTimeoutMs: BULK_LOG_START_TIMEOUT_MS }
      : clusterOptions(options.insecure),
    async (pair) => {
      if (preload) {
        say('  backup catching up with the preloaded log ... ');
        const started = performance.now();
        const [main] = await waitForEqualState(pair.access, pair.servers, 600_000);
        say(`${main?.appliedIndex} entries in ${Math.round(performance.now() - started)} ms\n`);
      }
      const backend = new TandemBackend(pair.servers, pair.pki, new Set(preload ? BULK_LOG_LICENCES : []));
      try {
        await run({
          results: tandem,
          backend,
          activated: new Set(),
          failover: tandemFailoverCluster(pair, backend),
        });
      } finally {
        backend.close();
      }
    },
    preload
      ? async (directory) => {
          await writeBulkLog(
            path.join(directory, 'main'),
            options.preloadEntries,
            options.preloadLiveLeases,
            say,
          );
        }
      : undefined,
  );
}

async function benchClusters(): Promise<void> {
  const loops = tandemLoops.length > 0;
  const failover = has('failover');
  const phase = (contestants: Array<Contestant | null>, withLoops: boolean, withFailover: boolean) => {
    const present = contestants.filter((contestant): contestant is Contestant => contestant !== null);
    return async () => {
      if (withLoops) await runLoops(present);
      if (withFailover) await runFailovers(present);
    };
  };
  if (options.cluster === 'single') {
    if (loops) await withTandem('single', (t) => withEtcd((e) => phase([t, e], true, false)()));
    if (failover) await withTandem('pair', (t) => withEtcd((e) => phase([t, e], false, true)()));
  } else if (options.tlsCost) {
    await withTandem('pair', (t) => withPlaintextTandem((p) => phase([t, p], loops, false)()));
  } else if (loops || failover) {
    await withTandem('pair', (t) => withEtcd((e) => phase([t, e], loops, failover)()));
  }
}

/** Drain, undrain, SIGTERM and restart of the main under the spread load, on a pair of its own. */
async function benchHandover(): Promise<void> {
  const plan = planRun('spread', options.failoverWorkstations);
  say(
    `${stepLabel()} tandem handover (drain, undrain, SIGTERM, restart of main): ${options.failoverWorkstations} ws spread, ` +
      `${options.failoverRounds} round${options.failoverRounds === 1 ? '' : 's'}\n`,
  );
  await withTandemPair('handover', clusterOptions(options.insecure), async (pair) => {
    const backend = new TandemBackend(pair.servers, pair.pki);
    try {
      await backend.activate(plan.licences);
      const rounds: HandoverRound[] = [];
      for (let round = 1; round <= options.failoverRounds; round += 1) {
        rounds.push(
          await runHandoverRound(
            {
              pair,
              backend,
              ready: tandemFailoverCluster(pair, backend).ready,
              rounds: options.failoverRounds,
              workstations: options.failoverWorkstations,
              licenceFor: plan.licenceFor,
              say,
            },
            round,
          ),
        );
      }
      tandem.handover = summarizeHandover(options.failoverWorkstations, rounds);
      for (const line of handoverLines(tandem.handover)) say(`  ${line}\n`);
    } finally {
      backend.close();
    }
  });
}

/** The capacity steps on a pair of their own, started fresh so that the loops leave nothing behind. */
async function benchCapacity(): Promise<void> {
  say(
    `${stepLabel()} tandem capacity: ${options.capacityWorkstations.join(', ')} workstations, lease TTL 30 s, ` +
      `renewal every 10 s by the clock (open loop), through ${options.capacityClients} pool clients; ` +
      `${options.capacityDurationMs} ms measured after a 10 s warm-up per step; ${security}\n`,
  );
  await withTandemPair('capacity', clusterOptions(options.insecure), async (pair) => {
    const backend = new TandemBackend(pair.servers, pair.pki);
    try {
      const capacity = await runCapacity({
        servers: pair.servers,
        pki: pair.pki,
        activate: (licences) => backend.activate(licences),
        steps: options.capacityWorkstations,
        measuredMs: options.capacityDurationMs,
        clients: options.capacityClients,
        nodePids: { main: pair.node('main').pid, backup: pair.node('backup').pid },
        say,
      });
      const seats = await backend.seatsInUse();
      tandem.capacity = capacity;
      say(
        `  released ${capacity.released} leases (${capacity.releaseErrors} errors); ` +
          `seats back to zero: ${seats.seatsInUse === 0 && seats.holders === 0 ? 'yes' : `NO (${seats.seatsInUse} seats, ${seats.holders} holders)`}\n`,
      );
    } finally {
      backend.close();
    }
  });
}

async function benchCatchUp(): Promise<void> {
  say(`${stepLabel()} tandem catch-up and memory\n`);
  const { catchUp, memory } = await runCatchUpAndMemory({
    entries: options.catchUpEntries,
    liveLeases: options.liveLeases,
    cluster: clusterOptions(options.insecure),
    say,
  });
  tandem.catchUp = catchUp;
  tandem.memory = memory;
}

say(
  `${options.etcd ? 'pnpm bench:etcd' : 'pnpm bench'}${options.quick ? ' --quick' : ''}${options.insecure ? ' --insecure' : ''}${options.tlsCost ? ' --tls-cost' : ''}: ${options.durationMs} ms per run, ` +
    `workstations ${options.workstations.join(', ')}; ${os.availableParallelism()} cores, load average ${os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}\n`,
);
await benchClusters();
await writeResults();
if (has('handover')) {
  await benchHandover();
  await writeResults();
}
if (has('capacity')) {
  await benchCapacity();
  await writeResults();
}
if (has('catch-up')) {
  await benchCatchUp();
  await writeResults();
}

const allRuns = [...tandem.runs, ...(plaintext?.runs ?? []), ...(etcd?.runs ?? [])];
say('\n');
if (allRuns.length > 0) say(`${runsTable(allRuns)}\n\n`);
if (tandem.failover !== undefined)
  for (const line of failoverLines('tandem', tandem.failover)) say(`${line}\n`);
if (etcd?.failover !== undefined) for (const line of failoverLines('etcd', etcd.failover)) say(`${line}\n`);
if (tandem.handover !== undefined) for (const line of handoverLines(tandem.handover)) say(`${line}\n`);
if (tandem.catchUp !== undefined) {
  say(
    `catch-up: ${tandem.catchUp.appliedIndex} entries in ${tandem.catchUp.catchUpMs} ms ` +
      `(state hashes equal: ${tandem.catchUp.stateHashesEqual ? 'yes' : 'NO'}; building the log took ${tandem.catchUp.buildMs} ms)\n`,
  );
}
if (tandem.memory !== undefined) {
  say(
    `memory: main ${tandem.memory.mainRssMb} MB, backup ${tandem.memory.backupRssMb} MB RSS ` +
      `with ${tandem.memory.liveLeases} live leases and ${tandem.memory.logEntries} log entries; ` +
      `${tandem.memory.againAfterMs / 1000} s later main ${tandem.memory.mainRssAgainMb} MB, ` +
      `backup ${tandem.memory.backupRssAgainMb} MB\n`,
  );
}
if (tandem.capacity !== undefined) {
  const { steps } = tandem.capacity;
  say(
    `\ncapacity (lease TTL 30 s, renewal every 10 s, open loop; latency from each renewal's due time; ` +
      `CPU% 100 = one core):\n${capacityTable(steps)}\n`,
  );
  const largest = largestPassingCapacity(steps);
  say(
    largest === null
      ? `no step had p99 under ${CAPACITY_P99_LIMIT_MS} ms with no errors and no lost lease\n`
      : `largest population with p99 under ${CAPACITY_P99_LIMIT_MS} ms, no errors, no lost lease: ${largest} workstations\n`,
  );
}
const targets = tandemTargets(tandem);
if (targets.length > 0) {
  say('\nTandem targets:\n');
  for (const line of targets) {
    const verdict =
      line.met === null
        ? 'not judged (a smaller run than the target is set at)'
        : line.met
          ? 'met'
          : 'NOT met';
    say(`  ${line.what}: ${line.figure} (target ${line.target}): ${verdict}\n`);
  }
}
if (plaintext !== null) {
  tlsCost = compareTlsCost(tandem, plaintext);
  say('\nWhat TLS costs (same machine, same run; each TLS run followed at once by the plaintext one):\n');
  say(`${tlsCostTable(tlsCost)}\n`);
}
if (etcd !== null) {
  comparison = compareSystems(tandem, etcd);
  say(`\nTandem vs etcd ${etcd.version} (same machine, same run; ratio = Tandem / etcd):\n`);
  say(`${comparisonTable(comparison)}\n`);
}
await writeResults();
say(`\nwrote ${options.output}\n`);
