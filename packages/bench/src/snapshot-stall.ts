// pnpm bench:snapshot: what a snapshot costs the operations that arrive while it is taken, measured
// in-process (so that the shared machine's load, and gRPC, weigh less). A data directory is built
// as for the catch-up benchmark (buildBulkLog: 100,000 live leases, and usage reports until the
// request book is full at 200,000 remembered requests), then a Replica (the server's own: LevelDB,
// the driver, setImmediate turns) opens it and serves `--concurrency` in-process callers that report
// usage as fast as they can for `--duration-ms`, with a snapshot every `--every-entries` entries.
// Each run is done twice on copies of the same directory: with the snapshot written in slices (the
// default) and in one slice (the whole snapshot in one turn, as before issue 13). Reported per run:
// operation latency (p50, p99, max), the event loop's longest stall (perf_hooks
// monitorEventLoopDelay) and the driver's own account of each snapshot (slices, longest slice).
// Figures are printed and written to bench-snapshot-results.json, never asserted.
import { cp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Command } from '@tandem/ledger';
import { createLogger, parseConfig, Replica } from '@tandem/server';
import { LevelStorage } from '@tandem/storage';
import { buildBulkLog, removeDirectory, TestPki, temporaryDirectory } from '@tandem/testkit';
import * as hdr from 'hdr-histogram-js';

interface Options {
  leases: number;
  requests: number;
  concurrency: number;
  durationMs: number;
  everyEntries: number;
  output: string;
}

const DEFAULTS: Options = {
  leases: 100_000,
  requests: 200_000,
  concurrency: 64,
  durationMs: 30_000,
  everyEntries: 10_000,
  output: 'bench-snapshot-results.json',
};
/** Load before the measurement starts. */
const WARM_UP_MS = 3000;
/** A slice this large writes any snapshot in one go. */
const ONE_SLICE = Number.MAX_SAFE_INTEGER;

function parseOptions(argv: string[]): Options {
  const options = { ...DEFAULTS };
  const numeric: Record<string, keyof Options> = {
    '--leases': 'leases',
    '--requests': 'requests',
    '--concurrency': 'concurrency',
    '--duration-ms': 'durationMs',
    '--every-entries': 'everyEntries',
  };
  for (let position = 0; position < argv.length; position += 2) {
    const flag = argv[position] as string;
    const value = argv[position + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--output') {
      options.output = value;
      continue;
    }
    const key = numeric[flag];
    const number = Number(value);
    if (key === undefined) throw new Error(`unknown flag ${flag}`);
    // --every-entries 0: by size only (snapshot.everyBytes, 16 MiB by default).
    const minimum = key === 'everyEntries' ? 0 : 1;
    if (!Number.isSafeInteger(number) || number < minimum || number > 10_000_000)
      throw new Error(`${flag} must be an integer from ${minimum} to 10,000,000`);
    (options as unknown as Record<string, number>)[key] = number;
  }
  return options;
}

interface SnapshotLine {
  index: number;
  bytes: number;
  records: number;
  slices: number;
  longestSliceMs: number;
  viewMs: number;
  compactionMs: number;
  tookMs: number;
}

interface RunResult {
  mode: 'sliced' | 'one slice';
  operations: number;
  opsPerSecond: number;
  latencyMs: { p50: number; p99: number; p999: number; max: number };
  eventLoopDelayMs: { p99: number; max: number };
  snapshots: SnapshotLine[];
  /** The server's `event loop during snapshot` lines: the longest stall from begun to stored. */
  stallsDuringSnapshotsMs: number[];
  loadAverage: number[];
}

const say = (text: string) => process.stdout.write(text);
const loadAverage = () => os.loadavg().map((load) => Math.round(load * 100) / 100);

async function run(dataDir: string, options: Options, mode: RunResult['mode']): Promise<RunResult> {
  const pkiDirectory = await temporaryDirectory('tandem-bench-snapshot-pki-');
  const pki = await TestPki.create(pkiDirectory);
  const config = parseConfig({
    node: { id: 'main', role: 'main', listen: '127.0.0.1:0', dataDir },
    cluster: { id: 'bulk-log' },
    snapshot: { everyEntries: options.everyEntries },
    limits: { maxPendingOperations: 100_000 },
    ledger: { idempotencyMaxEntries: options.requests },
    tls: await pki.serverTls('node', 'main'),
  });
  await removeDirectory(pkiDirectory);
  const logger = createLogger('info', 'main');
  const snapshots: SnapshotLine[] = [];
  const stalls: number[] = [];
  for (const transport of logger.transports) transport.silent = true;
  logger.on('data', (line: { message?: string; longestStallMs?: number } & Partial<SnapshotLine>) => {
    if (line.message === 'event loop during snapshot') stalls.push(line.longestStallMs ?? 0);
    if (typeof line.message === 'string' && line.message.startsWith('snapshot taken')) {
      snapshots.push({
        index: line.index ?? 0,
        bytes: line.bytes ?? 0,
        records: line.records ?? 0,
        slices: line.slices ?? 0,
        longestSliceMs: line.longestSliceMs ?? 0,
        viewMs: line.viewMs ?? 0,
        compactionMs: line.compactionMs ?? 0,
        tookMs: line.tookMs ?? 0,
      });
    }
  });
  const storage = await LevelStorage.open(dataDir);
  const replica = await Replica.open({
    config,
    storage,
    logger,
    clock: () => Date.now(),
    snapshotSliceRecords: mode === 'sliced' ? undefined : ONE_SLICE,
  });
  replica.start();
  await replica.waitForLeadership(60_000);
  // The log after the built directory's snapshot is applied again at start, in large batches:
  // that is the restart's cost, not a snapshot's, so the measurement begins after it.
  const { lastIndex } = replica.status();
  for (let waited = 0; replica.status().appliedIndex < lastIndex; waited += 1) {
    if (waited > 6000) throw new Error('the replica did not apply its log within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const latency = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  let operations = 0;
  let stop = false;
  let measuring = false;
  const caller = async (callerNumber: number) => {
    for (let sequence = 0; !stop; sequence += 1) {
      const command: Command = {
        type: 'report_usage',
        requestId: `bench-${mode === 'sliced' ? 's' : 'o'}-${callerNumber}-${sequence}`,
        licenceId: 'meter',
        workstationId: `ws-${callerNumber}`,
        units: 1,
      };
      const startedNs = process.hrtime.bigint();
      await replica.submit(command);
      if (!measuring) continue;
      latency.recordValue(Number((process.hrtime.bigint() - startedNs) / 1000n));
      operations += 1;
    }
  };
  const callers = Array.from({ length: options.concurrency }, (_, number) => caller(number));
  // A warm-up under load (not measured): the first snapshot after the start is due at once.
  await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
  snapshots.length = 0;
  stalls.length = 0;
  const loadAtStart = loadAverage();
  measuring = true;
  loopDelay.enable();
  const startedMs = performance.now();
  await new Promise((resolve) => setTimeout(resolve, options.durationMs));
  stop = true;
  await Promise.all(callers);
  const elapsedMs = performance.now() - startedMs;
  loopDelay.disable();
  await replica.stop();
  await storage.close();
  const microsToMs = (micros: number) => Math.round(micros / 10) / 100;
  const result: RunResult = {
    mode,
    operations,
    opsPerSecond: Math.round((operations * 1000) / elapsedMs),
    latencyMs: {
      p50: microsToMs(latency.getValueAtPercentile(50)),
      p99: microsToMs(latency.getValueAtPercentile(99)),
      p999: microsToMs(latency.getValueAtPercentile(99.9)),
      max: microsToMs(latency.maxValue),
    },
    eventLoopDelayMs: {
      p99: Math.round(loopDelay.percentile(99) / 1e5) / 10,
      max: Math.round(loopDelay.max / 1e5) / 10,
    },
    snapshots,
    stallsDuringSnapshotsMs: [...stalls],
    loadAverage: [...loadAtStart, ...loadAverage()],
  };
  latency.destroy();
  return result;
}

function describe(result: RunResult): string {
  const slices = result.snapshots.map((snapshot) => snapshot.longestSliceMs);
  const took = result.snapshots.map((snapshot) => snapshot.tookMs);
  const views = result.snapshots.map((snapshot) => snapshot.viewMs);
  const compactions = result.snapshots.map((snapshot) => snapshot.compactionMs);
  return (
    `  ${result.mode.padEnd(9)} ${result.operations} ops (${result.opsPerSecond}/s); latency p50 ${result.latencyMs.p50} ms, ` +
    `p99 ${result.latencyMs.p99} ms, p99.9 ${result.latencyMs.p999} ms, max ${result.latencyMs.max} ms; ` +
    `event loop stall max ${result.eventLoopDelayMs.max} ms (p99 ${result.eventLoopDelayMs.p99} ms); ` +
    `${result.snapshots.length} snapshots of ${result.snapshots[0]?.bytes ?? 0} bytes, longest slice ` +
    `${slices.length > 0 ? Math.max(...slices) : 0} ms, the view ${Math.max(0, ...views)} ms at most, ` +
    `the compaction write ${Math.max(0, ...compactions)} ms at most; each snapshot took ${took.join(', ')} ms; ` +
    `longest event-loop stall during each: ${result.stallsDuringSnapshotsMs.join(', ')} ms; ` +
    `load average ${result.loadAverage.slice(0, 3).join(' ')} at the start, ${result.loadAverage.slice(3).join(' ')} at the end\n`
  );
}

const options = parseOptions(process.argv.slice(2));
const directory = await temporaryDirectory('tandem-bench-snapshot-');
try {
  const built = path.join(directory, 'built');
  say(`building a ledger of ${options.leases} leases and ${options.requests} remembered requests `);
  const buildStartedMs = performance.now();
  await buildBulkLog({
    dataDir: built,
    operations: options.leases + options.requests,
    liveLeases: options.leases,
    snapshotEveryEntries: 100_000,
  });
  say(`${Math.round(performance.now() - buildStartedMs)} ms\n`);
  const results: RunResult[] = [];
  for (const mode of ['one slice', 'sliced'] as const) {
    const dataDir = path.join(directory, mode === 'sliced' ? 'sliced' : 'one-slice');
    await cp(built, dataDir, { recursive: true });
    say(
      `${mode}: ${options.concurrency} callers for ${options.durationMs} ms, a snapshot every ${options.everyEntries} entries\n`,
    );
    const result = await run(dataDir, options, mode);
    results.push(result);
    say(describe(result));
    await removeDirectory(dataDir);
  }
  await writeFile(options.output, `${JSON.stringify({ options, results }, null, 2)}\n`);
  say(`written to ${options.output}\n`);
} finally {
  await removeDirectory(directory);
}
