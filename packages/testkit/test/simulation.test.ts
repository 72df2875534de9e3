// The seeded simulation in CI: 500 seeds of the pair and 500 of witness mode under the partition
// matrix's network faults (split brain, a node cut from both others, one-way loss, every link cut,
// flapping and slow links, workstations cut from main) together with crashes and power failures,
// plus smaller runs without partitions and of the three-voter stand-in, and proof that the checks
// can fail: a driver with a planted bug must be caught. A failing seed is named in the message,
// with the command that replays it. `pnpm test:quick` sets TANDEM_SIM_SEEDS to run fewer partition
// seeds per mode; everything else runs as in CI, except the checks that the seeds exercised enough
// (their thresholds are sized for 500 seeds), which are then reported as pending.
import { expect } from 'chai';
import { PLANTED_BUGS, type PlantedBug } from '../src/simulation/sim-node.js';
import {
  type ClusterMode,
  type FaultOptions,
  PARTITION_KINDS,
  type PartitionKind,
  runSimulation,
  SimulationFailedError,
  type SimulationOptions,
  type SimulationResult,
} from '../src/simulation/simulation.js';

const STEPS = 1200;
const BATCH = 25;
/** The partition suites: at least 500 seeds per mode, as the partition issue asks. */
const FULL_PARTITION_SEEDS = 500;
const PARTITION_SEEDS = partitionSeeds();
/** The coverage checks need every seed; with fewer (a quick run) they are registered as pending. */
const itWithEverySeed = PARTITION_SEEDS >= FULL_PARTITION_SEEDS ? it : it.skip;

function partitionSeeds(): number {
  const value = process.env.TANDEM_SIM_SEEDS;
  if (value === undefined || value === '') return FULL_PARTITION_SEEDS;
  const seeds = Number(value);
  if (!Number.isSafeInteger(seeds) || seeds < 1) {
    throw new Error(`TANDEM_SIM_SEEDS must be a positive integer, not "${value}"`);
  }
  return seeds;
}

interface Totals {
  runs: number;
  operations: number;
  acknowledged: number;
  crashes: number;
  witnessCrashes: number;
  crashesLosingWrites: number;
  powerFailures: number;
  restarts: number;
  leaders: number;
  snapshotsInstalled: number;
  extendLeasesProposed: number;
  resends: number;
  dualLeadershipEpisodes: number;
  splitBrains: number;
  merges: number;
  mergedOperations: number;
  incidentsOpened: number;
  historiesDiscarded: number;
  executedOnBothSides: number;
  voteRequestsRefused: number;
  partitions: Record<PartitionKind, number>;
}

function emptyTotals(): Totals {
  return {
    runs: 0,
    operations: 0,
    acknowledged: 0,
    crashes: 0,
    witnessCrashes: 0,
    crashesLosingWrites: 0,
    powerFailures: 0,
    restarts: 0,
    leaders: 0,
    snapshotsInstalled: 0,
    extendLeasesProposed: 0,
    resends: 0,
    dualLeadershipEpisodes: 0,
    splitBrains: 0,
    merges: 0,
    mergedOperations: 0,
    incidentsOpened: 0,
    historiesDiscarded: 0,
    executedOnBothSides: 0,
    voteRequestsRefused: 0,
    partitions: Object.fromEntries(PARTITION_KINDS.map((kind) => [kind, 0])) as Record<PartitionKind, number>,
  };
}

function add(totals: Totals, result: SimulationResult): void {
  totals.runs += 1;
  totals.operations += result.operations;
  totals.acknowledged += result.acknowledged;
  totals.crashes += result.crashes;
  totals.witnessCrashes += result.witnessCrashes;
  totals.crashesLosingWrites += result.crashesLosingWrites;
  totals.powerFailures += result.powerFailures;
  totals.restarts += result.restarts;
  totals.leaders += result.leaders;
  totals.snapshotsInstalled += result.snapshotsInstalled;
  totals.extendLeasesProposed += result.extendLeasesProposed;
  totals.resends += result.resends;
  totals.dualLeadershipEpisodes += result.dualLeadershipEpisodes;
  totals.splitBrains += result.merge.splitBrains;
  totals.merges += result.merge.merges;
  totals.mergedOperations += result.merge.mergedOperations;
  totals.incidentsOpened += result.merge.incidentsOpened;
  totals.historiesDiscarded += result.merge.historiesDiscarded;
  totals.executedOnBothSides += result.merge.executedOnBothSides;
  totals.voteRequestsRefused += result.voteRequestsRefused;
  for (const kind of PARTITION_KINDS) totals.partitions[kind] += result.partitions[kind];
}

/** One line for the CI log: what a suite held and exercised. */
function summarize(name: string, totals: Totals): void {
  const partitions = PARTITION_KINDS.map((kind) => `${kind} ${totals.partitions[kind]}`).join(', ');
  process.stdout.write(
    `      ${name}: ${totals.runs} seeds, ${totals.operations} operations (${totals.acknowledged} acknowledged), ` +
      `${totals.crashes} node and ${totals.witnessCrashes} witness crashes, partitions: ${partitions}; ` +
      `${totals.dualLeadershipEpisodes} dual leaderships, ${totals.splitBrains} split brains, ${totals.merges} merges ` +
      `(${totals.mergedOperations} operations re-applied, ${totals.executedOnBothSides} executed on both sides), ` +
      `${totals.incidentsOpened} incidents\n`,
  );
}

/** Runs the seeds and fails with every failing seed's first violation and replay command. */
async function runSeeds(
  firstSeed: number,
  count: number,
  options: Omit<SimulationOptions, 'seed'>,
  totals: Totals,
): Promise<void> {
  const failures: string[] = [];
  for (let seed = firstSeed; seed < firstSeed + count; seed += 1) {
    // Failing seeds count in the totals too: what a suite exercised does not hang on its failures.
    const result = await runSimulation({ ...options, seed, throwOnViolation: false });
    add(totals, result);
    if (result.violationCount > 0) failures.push(new SimulationFailedError(result).message);
  }
  expect(failures, failures.join('\n\n')).to.deep.equal([]);
}

function describeSeeds(
  cluster: ClusterMode,
  firstSeed: number,
  count: number,
  faults: Partial<FaultOptions>,
  totals: Totals,
  extra: Partial<SimulationOptions> = {},
): void {
  for (let batch = firstSeed; batch < firstSeed + count; batch += BATCH) {
    const last = Math.min(batch + BATCH, firstSeed + count) - 1;
    it(`seeds ${batch}..${last}`, async () => {
      await runSeeds(batch, last - batch + 1, { steps: STEPS, cluster, faults, ...extra }, totals);
    });
  }
}

describe('seeded simulation', function () {
  this.timeout(60_000);

  describe('pair with partitions, crashes and power failures', () => {
    const totals = emptyTotals();
    describeSeeds('pair', 1, PARTITION_SEEDS, { partitions: true }, totals);

    it('ran every seed', () => {
      summarize('pair', totals);
      expect(totals.runs).to.equal(PARTITION_SEEDS);
    });

    itWithEverySeed(
      'exercised what it claims: every partition kind, split brains, merges, incidents, crashes',
      () => {
        expect(totals.acknowledged).to.be.greaterThan(50_000);
        for (const kind of PARTITION_KINDS) {
          expect(totals.partitions[kind], `${kind} partitions`).to.be.greaterThan(100);
        }
        expect(totals.dualLeadershipEpisodes).to.be.greaterThan(200);
        expect(totals.splitBrains).to.be.greaterThan(200);
        expect(totals.merges).to.be.greaterThan(200);
        expect(totals.mergedOperations).to.be.greaterThan(1_000);
        expect(totals.historiesDiscarded).to.be.greaterThan(200);
        expect(totals.incidentsOpened).to.be.greaterThan(20);
        expect(totals.crashesLosingWrites).to.be.greaterThan(50);
        expect(totals.powerFailures).to.be.greaterThan(20);
        expect(totals.snapshotsInstalled).to.be.greaterThan(50);
        expect(totals.resends).to.be.greaterThan(100);
        // Vote requests to a crashed node, refused at the connection (Driver.reportVoteRefused).
        expect(totals.voteRequestsRefused).to.be.greaterThan(100);
      },
    );
  });

  describe('witness mode with partitions, crashes (the witness too) and power failures', () => {
    const totals = emptyTotals();
    describeSeeds('witness', 1, PARTITION_SEEDS, { partitions: true }, totals);

    it('ran every seed, and never diverged, merged or overdrew', () => {
      summarize('witness', totals);
      expect(totals.runs).to.equal(PARTITION_SEEDS);
      // Any of these is also a violation of its own seed; the totals say so once more.
      expect(totals.splitBrains).to.equal(0);
      expect(totals.merges).to.equal(0);
      expect(totals.incidentsOpened).to.equal(0);
    });

    itWithEverySeed('exercised every partition kind and crash', () => {
      expect(totals.acknowledged).to.be.greaterThan(40_000);
      for (const kind of PARTITION_KINDS) {
        expect(totals.partitions[kind], `${kind} partitions`).to.be.greaterThan(100);
      }
      expect(totals.witnessCrashes).to.be.greaterThan(200);
      expect(totals.crashesLosingWrites).to.be.greaterThan(50);
      expect(totals.powerFailures).to.be.greaterThan(20);
      expect(totals.snapshotsInstalled).to.be.greaterThan(50);
    });
  });

  describe('pair without partitions (safe crash orders): no split brain, no merge', () => {
    const totals = emptyTotals();
    // No split brain can happen here, so nodes may compact their solo stretch early, which keeps
    // the catch-up through a snapshot exercised in pair mode.
    describeSeeds('pair', 1, 50, {}, totals, { maxRetainedSoloEntries: 20 });
    describeSeeds('pair', 5001, 25, { flaps: true }, totals, { maxRetainedSoloEntries: 20 });

    it('exercised crashes and snapshots, and never merged', () => {
      expect(totals.runs).to.equal(75);
      expect(totals.crashesLosingWrites).to.be.greaterThan(10);
      expect(totals.snapshotsInstalled).to.be.greaterThan(10);
      expect(totals.merges).to.equal(0);
      expect(totals.incidentsOpened).to.equal(0);
    });
  });

  describe('late timers: timer firings delayed as on a loaded machine, through the tick pacer', () => {
    const totals = emptyTotals();
    describeSeeds('pair', 9001, 100, { partitions: true, flaps: true, lateTimers: true }, totals);
    describeSeeds('witness', 9501, 50, { partitions: true, lateTimers: true }, totals);

    it('ran every seed, and split brains happened in pair mode only', () => {
      expect(totals.runs).to.equal(150);
      expect(totals.splitBrains).to.be.greaterThan(0);
    });
  });

  describe('three voters in majority mode (the stand-in), with flaps', () => {
    const totals = emptyTotals();
    describeSeeds('majority3', 1, 15, {}, totals);
    describeSeeds('majority3', 7001, 10, { flaps: true }, totals);

    it('exercised crashes and catch-up from snapshots', () => {
      expect(totals.runs).to.equal(25);
      expect(totals.crashesLosingWrites).to.be.greaterThan(10);
      expect(totals.snapshotsInstalled).to.be.greaterThan(5);
    });
  });

  // Seeds that once failed, kept as regressions: a stale main that restarted won alone against a
  // live backup whose refusal arrived late (657; 144 and 365 with flaps). A backup offered the main
  // a solo entry it had committed but not applied yet, so without its answer: the main counted a
  // usage report over its quota that the backup then refused to the workstation (1228). Once the
  // simulation ran the production driver: a leader serving alone answered entries before their
  // commit index was durable, and after a crash the peer overwrote one (1505); a merge judged a
  // backup's licence activation by the main's later clock, and the licence file had expired by
  // then, so the leases granted under it were lost (851). Once the checker held the merge to every
  // over-grant the workstations saw: a lease the backup renewed after the main had expired it and
  // given its seat away was lost at the merge, while its workstation still used it (613, flaps);
  // an incident still open from an earlier split hid a later split's over-grant (1161, flaps).
  // Once operators drained nodes: a drain copied the in-sync set into a configuration entry and
  // moved the merge's solo stretch past entries the backup had committed alone (29); the merge
  // held again a lease the workstation had released on the main after the backup handed it back
  // (32); a backup's second renewal of a lease the main had expired was dropped, and the over-grant
  // record missed its term (720); a lease so released counted as not kept (727, the checker's); a
  // main whose snapshot covered the backup's solo entries acknowledged them unseen and then sent
  // its snapshot over them, unmerged (1841, flaps).
  it('passes the seeds that found bugs', async () => {
    const pairFlaps = { cluster: 'pair', faults: { partitions: true, flaps: true } } as const;
    await runSimulation({ seed: 613, steps: 1500, ...pairFlaps });
    await runSimulation({ seed: 1161, steps: 1500, ...pairFlaps });
    await runSimulation({ seed: 851, steps: 1500, cluster: 'pair', faults: { partitions: true } });
    await runSimulation({ seed: 1505, steps: 1500, cluster: 'pair', faults: { partitions: true } });
    await runSimulation({ seed: 657, steps: 1500 });
    await runSimulation({ seed: 144, steps: 1500, faults: { flaps: true } });
    await runSimulation({ seed: 365, steps: 1500, faults: { flaps: true } });
    await runSimulation({ seed: 1228, steps: 1200, cluster: 'pair', faults: { partitions: true } });
    for (const seed of [29, 32, 720, 727]) {
      await runSimulation({ seed, steps: 1500, cluster: 'pair', faults: { partitions: true } });
    }
    await runSimulation({ seed: 1841, steps: 1500, ...pairFlaps });
    // With late timers: the backup's clock, 130 ms ahead, stamped its acquire (which handed back a
    // lease) after the main's release of it, and the merge held the released lease again (253).
    await runSimulation({
      seed: 253,
      steps: 1500,
      cluster: 'pair',
      faults: { ...pairFlaps.faults, lateTimers: true },
    });
  });

  it('replays a seed exactly', async () => {
    const first = await runSimulation({ seed: 77, steps: 800, faults: { partitions: true } });
    const second = await runSimulation({ seed: 77, steps: 800, faults: { partitions: true } });
    expect(second).to.deep.equal(first);
    expect(first.stateHash).to.be.a('string');
    const other = await runSimulation({ seed: 78, steps: 800, faults: { partitions: true } });
    expect(other.stateHash).to.not.equal(first.stateHash);
  });

  describe('can fail: planted bugs are caught', () => {
    it('a backup that skips applying some entries fails the ledger checks, naming the seed', async () => {
      for (const seed of [1, 2, 3]) {
        let failure: SimulationFailedError | null = null;
        try {
          await runSimulation({ seed, steps: 600, plantedBug: 'skip_apply' });
        } catch (error) {
          if (!(error instanceof SimulationFailedError)) throw error;
          failure = error;
        }
        expect(failure, `seed ${seed} passed with a planted bug`).to.not.equal(null);
        expect(failure?.message).to.include(`seed ${seed}`);
        expect(failure?.message).to.include(`pnpm sim --seed ${seed}`);
        expect(failure?.checks).to.include.members(['acknowledged_lost', 'state_hash', 'applied_divergence']);
      }
    });

    it('a main that skips the merge (an empty merge entry) loses what the backup acknowledged alone', async () => {
      const caught: SimulationResult[] = [];
      for (let seed = 1; seed <= 12; seed += 1) {
        const result = await runSimulation({
          seed,
          steps: STEPS,
          faults: { partitions: true },
          plantedBug: 'skip_merge',
          throwOnViolation: false,
        });
        if (result.violationCount > 0) caught.push(result);
      }
      expect(caught.length, 'no seed caught the skipped merge').to.be.greaterThan(3);
      const checks = new Set(
        caught.flatMap((result) => result.violations.map((violation) => violation.check)),
      );
      expect([...checks]).to.include.members(['acknowledged_lost', 'usage_total']);
      expect(caught[0]?.violations[0]?.message).to.match(/no record of acknowledged|different result/);
    });

    // Slow fsyncs and frequent power failures leave acknowledged entries unflushed on every node.
    const hostile: Partial<FaultOptions> = {
      slowFsyncProbability: 0.5,
      powerFailureProbability: 0.01,
      crashProbability: 0.002,
    };

    it('a driver that answers before the fsync loses acknowledged operations, and the check sees it', async () => {
      const caught: SimulationResult[] = [];
      for (let seed = 1; seed <= 20; seed += 1) {
        for (const cluster of ['pair', 'witness', 'majority3'] as const) {
          const result = await runSimulation({
            seed,
            steps: 800,
            cluster,
            faults: hostile,
            plantedBug: 'acknowledge_before_durable',
            throwOnViolation: false,
          });
          if (result.violationCount > 0) caught.push(result);
        }
        // Enough once a loss was seen: a driver this broken can also drive a later seed into a
        // state the simulation never settles from (seed 12 in pair mode does), which proves
        // nothing more.
        if (
          caught.some((result) =>
            result.violations.some((violation) => violation.check === 'acknowledged_lost'),
          )
        )
          break;
      }
      expect(caught.length, 'no seed caught the planted bug').to.be.greaterThan(0);
      const checks = new Set(
        caught.flatMap((result) => result.violations.map((violation) => violation.check)),
      );
      expect([...checks]).to.include('acknowledged_lost');
    });

    it('a driver that misses a leadership restart serves no reads after the heal, and the liveness check sees it', async () => {
      // The main that ends a split brain follows the backup and leads again within one Ready; a
      // driver that heard only of soft state changes keeps the read lease of the main's old term.
      const faults: Partial<FaultOptions> = { partitions: true, flaps: true };
      let caught: SimulationResult | null = null;
      for (let seed = 1; seed <= 40 && caught === null; seed += 1) {
        const result = await runSimulation({
          seed,
          cluster: 'pair',
          faults,
          plantedBug: 'miss_leadership_restart',
          throwOnViolation: false,
        });
        if (result.violationCount > 0) caught = result;
      }
      expect(caught, 'no seed caught the missed leadership restart').to.not.equal(null);
      const seed = caught?.seed ?? 0;
      expect(caught?.violations.map((violation) => violation.check)).to.deep.equal(['liveness']);
      expect(caught?.violations[0]?.message).to.match(/its leader refused every read for 400 ms/);
      const correct = await runSimulation({ seed, cluster: 'pair', faults, throwOnViolation: false });
      expect(correct.violations, `seed ${seed} with the correct driver`).to.deep.equal([]);
    });

    it('every planted bug has its test here', () => {
      const tested: PlantedBug[] = [
        'skip_apply',
        'skip_merge',
        'acknowledge_before_durable',
        'miss_leadership_restart',
      ];
      expect([...PLANTED_BUGS].sort()).to.deep.equal([...tested].sort());
    });

    it('the same hostile profile passes with the correct driver', async () => {
      for (const cluster of ['pair', 'witness', 'majority3'] as const) {
        await runSeeds(1, 20, { steps: 800, cluster, faults: hostile }, emptyTotals());
      }
    });
  });
});
