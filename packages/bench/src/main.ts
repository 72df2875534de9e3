// pnpm bench: starts its own main + backup pair (sync writes, default settings) and measures:
// - throughput: the acquire+release workstation loop at several concurrencies;
// - failover: kill -9 main until the first successful acquire on backup (median of several);
// - failback: restart main until it leads again, with client errors seen meanwhile;
// - catch-up: a backup that misses a long log (snapshot plus tail);
// - memory: each node's RSS with many live leases.
// Figures are printed and written to bench-results.json, never asserted: tests assert behaviour.

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { AdminClient, connect, resolveSettings } from '@tandem/client';
import {
  buildBulkLog,
  ContinuousLoad,
  removeDirectory,
  TandemdPair,
  TandemdProcess,
  temporaryDirectory,
  waitForEqualState,
  waitForLeader,
} from '@tandem/testkit';
import { residentMegabytes } from './rss.js';
import { type LoopResult, runWorkstationLoop } from './workstation-loop.js';

const { values } = parseArgs({
  options: {
    workloads: { type: 'string', default: 'throughput,failover,catch-up' },
    /** pair (main + backup) or single (one node); failover and catch-up always use a pair. */
    cluster: { type: 'string', default: 'pair' },
    'duration-ms': { type: 'string', default: '10000' },
    workstations: { type: 'string', default: '1,16,64,256' },
    licences: { type: 'string', default: '64' },
    seats: { type: 'string', default: '16' },
    'failover-rounds': { type: 'string', default: '5' },
    'catch-up-entries': { type: 'string', default: '1000000' },
    'live-leases': { type: 'string', default: '100000' },
    output: { type: 'string', default: 'bench-results.json' },
  },
});
const workloads = new Set(String(values.workloads).split(','));
const say = (text: string) => process.stdout.write(text);
const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const results: Record<string, unknown> = { machine: `${process.platform} node ${process.version}` };

async function withPair<T>(
  name: string,
  run: (pair: TandemdPair, directory: string) => Promise<T>,
  prepare?: (directory: string) => Promise<void>,
): Promise<T> {
  const directory = await temporaryDirectory(`tandem-bench-${name}-`);
  let pair: TandemdPair | null = null;
  try {
    await prepare?.(directory);
    pair = await TandemdPair.start({ directory });
    await waitForLeader(pair.servers, 30_000, (leader) => leader.id === 'main');
    return await run(pair, directory);
  } finally {
    await pair?.stop();
    await removeDirectory(directory);
  }
}

/** One node in single mode, shaped like a pair for the throughput workload (servers only). */
async function withSingleNode<T>(
  name: string,
  run: (cluster: { servers: string[] }) => Promise<T>,
): Promise<T> {
  const directory = await temporaryDirectory(`tandem-bench-${name}-`);
  const node = await TandemdProcess.start({ dataDir: directory });
  try {
    return await run({ servers: [node.address] });
  } finally {
    await node.stop();
    await removeDirectory(directory);
  }
}

async function throughput(): Promise<void> {
  const durationMs = Number(values['duration-ms']);
  const concurrencies = String(values.workstations).split(',').map(Number);
  const licenceCount = Number(values.licences);
  const seats = Number(values.seats);
  const rows: LoopResult[] = [];
  const cluster = String(values.cluster);
  if (cluster !== 'pair' && cluster !== 'single')
    throw new Error(`--cluster must be pair or single, not ${cluster}`);
  const withCluster = cluster === 'pair' ? withPair : withSingleNode;
  await withCluster('throughput', async (pair) => {
    const admin = new AdminClient(resolveSettings({ servers: pair.servers }));
    const licenceIds = Array.from({ length: licenceCount }, (_, position) => `bench-${position}`);
    for (const licenceId of licenceIds)
      await admin.activateLicence({ licenceId, product: 'Bench', seats, redundancy: true });
    say(
      `throughput: ${cluster === 'pair' ? 'main + backup' : 'single node'}, sync writes; ${licenceCount} licences x ${seats} seats; ${durationMs} ms per run\n`,
    );
    for (const workstations of concurrencies) {
      say(`  acquire+release with ${workstations} workstations ... `);
      const result = await runWorkstationLoop({
        servers: pair.servers,
        licenceIds,
        workstations,
        durationMs,
        runName: `w${workstations}`,
      });
      rows.push(result);
      say(`${result.opsPerSecond} ops/s, p50 ${result.latency.p50Ms} ms, p99 ${result.latency.p99Ms} ms\n`);
    }
    const leftover = (await admin.listLeases()).length;
    say(`  seats still leased after the runs: ${leftover} (expected 0)\n`);
    admin.close();
    results.throughput = { cluster, durationMs, licenceCount, seats, runs: rows, leftoverLeases: leftover };
  });
}

async function failoverAndFailback(): Promise<void> {
  const rounds = Number(values['failover-rounds']);
  const failovers: number[] = [];
  const failbacks: number[] = [];
  let failoverErrors = 0;
  let failbackErrors = 0;
  await withPair('failover', async (pair) => {
    const admin = new AdminClient(resolveSettings({ servers: pair.servers }));
    await admin.activateLicence({ licenceId: 'seats', product: 'Bench', seats: 1000, redundancy: true });
    await admin.activateLicence({ licenceId: 'meter', product: 'Bench', seats: 1, redundancy: true });
    admin.close();
    const probe = await connect({
      servers: pair.servers,
      workstationId: 'probe',
      maxAttempts: 100,
      requestTimeoutMs: 500,
    });
    say(`failover: kill -9 main, time until the first successful acquire on backup (${rounds} rounds)\n`);
    for (let round = 1; round <= rounds; round += 1) {
      const load = await ContinuousLoad.start({
        servers: pair.servers,
        leaseLicenceId: 'seats',
        usageLicenceId: 'meter',
        workstations: 8,
        maxAttempts: 100,
      });
      await (await probe.acquire('seats', { ttlMs: 30_000 })).release();
      const killedAt = performance.now();
      await pair.kill('main');
      const lease = await probe.acquire('seats', { ttlMs: 30_000 });
      const failoverMs = Math.round(performance.now() - killedAt);
      await lease.release();
      failovers.push(failoverMs);
      const restartedAt = Date.now();
      const restartClock = performance.now();
      await pair.startNode('main');
      await waitForLeader(pair.servers, 60_000, (leader) => leader.id === 'main');
      const failbackMs = Math.round(performance.now() - restartClock);
      failbacks.push(failbackMs);
      await load.stop();
      const errorsDuringFailback = load.failures(restartedAt).length;
      failoverErrors += load.failures().length - errorsDuringFailback;
      failbackErrors += errorsDuringFailback;
      say(
        `  round ${round}: failover ${failoverMs} ms; failback ${failbackMs} ms with ${errorsDuringFailback} client errors\n`,
      );
    }
    probe.close();
  });
  results.failover = {
    rounds,
    failoverMs: failovers,
    medianFailoverMs: median(failovers),
    clientErrors: failoverErrors,
  };
  results.failback = {
    failbackMs: failbacks,
    medianFailbackMs: median(failbacks),
    clientErrors: failbackErrors,
  };
  say(
    `  median failover ${median(failovers)} ms (errors surfaced: ${failoverErrors}); median failback ${median(failbacks)} ms (errors: ${failbackErrors})\n`,
  );
}

async function catchUpAndMemory(): Promise<void> {
  const entries = Number(values['catch-up-entries']);
  const liveLeases = Number(values['live-leases']);
  say(`catch-up: writing ${entries} entries (${liveLeases} of them live leases) into main's log ...`);
  let buildMs = 0;
  await withPair(
    'catch-up',
    async (pair) => {
      const started = performance.now();
      const [main, backup] = await waitForEqualState(pair.servers, 600_000);
      const catchUpMs = Math.round(performance.now() - started);
      say(
        `  backup caught up ${main?.appliedIndex} entries in ${catchUpMs} ms (state hashes equal: ${main?.stateHash === backup?.stateHash})\n`,
      );
      const memory = {
        mainRssMb: await residentMegabytes(pair.node('main').pid),
        backupRssMb: await residentMegabytes(pair.node('backup').pid),
      };
      say(
        `memory: RSS with ${liveLeases} live leases: main ${memory.mainRssMb} MB, backup ${memory.backupRssMb} MB\n`,
      );
      results.catchUp = { entries, appliedIndex: main?.appliedIndex, buildMs, catchUpMs };
      results.memory = { liveLeases, ...memory };
    },
    async (directory) => {
      const started = performance.now();
      await buildBulkLog({
        dataDir: path.join(directory, 'main'),
        operations: entries,
        liveLeases,
        snapshotEveryEntries: 10_000,
        onProgress: (written) => {
          if (written % 100_000 === 0) say('.');
        },
      });
      buildMs = Math.round(performance.now() - started);
      say(` ${buildMs} ms\n`);
    },
  );
}

if (workloads.has('throughput')) await throughput();
if (workloads.has('failover')) await failoverAndFailback();
if (workloads.has('catch-up')) await catchUpAndMemory();
await writeFile(String(values.output), `${JSON.stringify(results, null, 2)}\n`);
say(`wrote ${values.output}\n`);
