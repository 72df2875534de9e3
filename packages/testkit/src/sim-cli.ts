// pnpm sim --seed N [--steps S] [--seeds K] [--cluster pair|witness|majority3] [--flaps] [--partitions] [--late-timers] [--trace]
// Replays one seed of the simulation (or K seeds from N) and prints a summary line per seed. Exits
// 1 when a check fails, naming the seed; 2 on bad arguments.
import { parseArgs } from 'node:util';
import { PLANTED_BUGS, type PlantedBug } from './simulation/sim-node.js';
import {
  CLUSTER_MODES,
  type ClusterMode,
  DEFAULT_CLUSTER_MODE,
  DEFAULT_STEPS,
  replayCommand,
  runSimulation,
  type SimulationResult,
} from './simulation/simulation.js';

const USAGE =
  'usage: pnpm sim --seed N [--steps S] [--seeds K] [--cluster pair|witness|majority3] [--flaps] [--partitions] [--late-timers] ' +
  `[--any-crash-order] [--planted-bug ${PLANTED_BUGS.join('|')}] [--trace] [--trace-core] [--trace-applied] [--json]`;

function fail(message: string): never {
  process.stderr.write(`sim: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function wholeNumber(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) fail(`--${name} takes a whole number`);
  return Number(text);
}

function summary(result: SimulationResult, elapsedMs: number): string {
  return (
    `seed ${result.seed}: ${result.violationCount === 0 ? 'ok' : `FAILED (${result.violationCount} violations)`} ` +
    `in ${elapsedMs} ms | ${result.cluster}, ${result.steps} steps, ${result.simulatedMs} simulated ms, ` +
    `settled in ${result.drainSteps} ticks | ${result.operations} operations, ${result.acknowledged} acknowledged ` +
    `(${result.acknowledgedRejections} rejections), ${result.attempts} attempts | ${result.crashes} crashes ` +
    `(${result.crashesLosingWrites} lost writes, ${result.powerFailures} power failures), ${result.restarts} restarts | ` +
    `${result.leaders} leader terms (max ${result.maxTerm}), ${result.snapshotsTaken} snapshots taken, ` +
    `${result.snapshotsInstalled} installed | commit ${result.finalCommitIndex} | ` +
    `${result.network.sent} messages, ${result.network.lost} lost, ${result.network.duplicated} duplicated` +
    (result.faults.partitions || result.merge.splitBrains > 0
      ? ` | partitions ${Object.entries(result.partitions)
          .filter(([, count]) => count > 0)
          .map(([kind, count]) => `${kind} ${count}`)
          .join(
            ', ',
          )}; ${result.dualLeadershipEpisodes} dual leaderships, ${result.merge.splitBrains} split brains, ` +
        `${result.merge.merges} merges (${result.merge.mergedOperations} operations re-applied, ` +
        `${result.merge.mergedDuplicates} duplicates), ${result.merge.incidentsOpened} incidents`
      : '')
  );
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      options: {
        seed: { type: 'string' },
        steps: { type: 'string' },
        seeds: { type: 'string' },
        cluster: { type: 'string' },
        flaps: { type: 'boolean' },
        partitions: { type: 'boolean' },
        'planted-bug': { type: 'string' },
        trace: { type: 'boolean' },
        'trace-core': { type: 'boolean' },
        'trace-applied': { type: 'boolean' },
        'any-crash-order': { type: 'boolean' },
        'late-timers': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    fail((error as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const firstSeed = wholeNumber(values.seed as string | undefined, 'seed', 1);
  const steps = wholeNumber(values.steps as string | undefined, 'steps', DEFAULT_STEPS);
  const seeds = wholeNumber(values.seeds as string | undefined, 'seeds', 1);
  if (seeds < 1) fail('--seeds must be at least 1');
  const cluster = (values.cluster ?? DEFAULT_CLUSTER_MODE) as ClusterMode;
  if (!CLUSTER_MODES.includes(cluster)) fail(`unknown cluster ${String(cluster)}`);
  const plantedBug = (values['planted-bug'] ?? null) as PlantedBug | null;
  if (plantedBug !== null && !PLANTED_BUGS.includes(plantedBug)) {
    fail(`unknown planted bug ${String(plantedBug)}`);
  }

  const failedSeeds: number[] = [];
  for (let seed = firstSeed; seed < firstSeed + seeds; seed += 1) {
    const startedAt = performance.now();
    const result = await runSimulation({
      seed,
      steps,
      cluster,
      plantedBug,
      faults: {
        ...(values.flaps === true ? { flaps: true } : {}),
        ...(values.partitions === true ? { partitions: true } : {}),
        ...(values['any-crash-order'] === true ? { anyCrashOrder: true } : {}),
        ...(values['late-timers'] === true ? { lateTimers: true } : {}),
      },
      traceCore: values['trace-core'] === true,
      traceApplied: values['trace-applied'] === true,
      throwOnViolation: false,
      ...(values.trace === true ? { trace: (line: string) => process.stdout.write(`${line}\n`) } : {}),
    });
    const elapsedMs = Math.round(performance.now() - startedAt);
    process.stdout.write(`${values.json === true ? JSON.stringify(result) : summary(result, elapsedMs)}\n`);
    if (result.violationCount > 0) {
      failedSeeds.push(seed);
      for (const violation of result.violations) {
        process.stdout.write(`  at ${violation.atMs} ms [${violation.check}] ${violation.message}\n`);
      }
      process.stdout.write(`  replay: ${replayCommand(result)}\n`);
    }
  }
  if (failedSeeds.length > 0) {
    process.stdout.write(`FAILED seeds: ${failedSeeds.join(' ')}\n`);
    process.exitCode = 1;
  } else if (seeds > 1) {
    process.stdout.write(`all ${seeds} seeds passed (${firstSeed}..${firstSeed + seeds - 1})\n`);
  }
}

await main();
