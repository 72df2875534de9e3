// The seeded simulation in CI: hundreds of seeds of the pair (and of the three-voter stand-in)
// under crashes, power failures, lossy and slow links, plus proof that the checks can fail: a
// driver with a planted bug must be caught. A failing seed is named in the message, with the
// command that replays it.
import { expect } from 'chai';
import {
  type ClusterMode,
  type FaultOptions,
  runSimulation,
  SimulationFailedError,
  type SimulationOptions,
  type SimulationResult,
} from '../src/simulation/simulation.js';

const STEPS = 1200;
const BATCH = 25;

interface Totals {
  runs: number;
  operations: number;
  acknowledged: number;
  crashes: number;
  crashesLosingWrites: number;
  powerFailures: number;
  restarts: number;
  leaders: number;
  snapshotsInstalled: number;
  extendLeasesProposed: number;
  resends: number;
}

function emptyTotals(): Totals {
  return {
    runs: 0,
    operations: 0,
    acknowledged: 0,
    crashes: 0,
    crashesLosingWrites: 0,
    powerFailures: 0,
    restarts: 0,
    leaders: 0,
    snapshotsInstalled: 0,
    extendLeasesProposed: 0,
    resends: 0,
  };
}

function add(totals: Totals, result: SimulationResult): void {
  totals.runs += 1;
  for (const key of Object.keys(totals) as (keyof Totals)[]) {
    if (key !== 'runs') totals[key] += result[key];
  }
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
    try {
      add(totals, await runSimulation({ ...options, seed }));
    } catch (error) {
      if (!(error instanceof SimulationFailedError)) throw new Error(`seed ${seed}: ${String(error)}`);
      failures.push(error.message);
    }
  }
  expect(failures, failures.join('\n\n')).to.deep.equal([]);
}

function describeSeeds(
  cluster: ClusterMode,
  firstSeed: number,
  count: number,
  faults: Partial<FaultOptions>,
  totals: Totals,
): void {
  for (let batch = firstSeed; batch < firstSeed + count; batch += BATCH) {
    const last = Math.min(batch + BATCH, firstSeed + count) - 1;
    it(`seeds ${batch}..${last}`, async () => {
      await runSeeds(batch, last - batch + 1, { steps: STEPS, cluster, faults }, totals);
    });
  }
}

describe('seeded simulation', function () {
  this.timeout(60_000);

  describe('pair (main + backup, the core pair mode), crash-only profile', () => {
    const totals = emptyTotals();
    describeSeeds('pair', 1, 200, {}, totals);

    it('exercised what it claims: crashes losing unflushed writes, power failures, snapshots', () => {
      expect(totals.runs).to.equal(200);
      expect(totals.acknowledged).to.be.greaterThan(20_000);
      expect(totals.crashesLosingWrites).to.be.greaterThan(50);
      expect(totals.powerFailures).to.be.greaterThan(20);
      expect(totals.snapshotsInstalled).to.be.greaterThan(50);
      expect(totals.extendLeasesProposed).to.be.greaterThan(20);
      expect(totals.resends).to.be.greaterThan(100);
      expect(totals.leaders).to.be.greaterThan(400);
    });
  });

  describe('pair with brief one-way loss and link flaps', () => {
    describeSeeds('pair', 5001, 25, { flaps: true }, emptyTotals());
  });

  describe('three voters in majority mode (the stand-in), with flaps', () => {
    const totals = emptyTotals();
    describeSeeds('majority3', 1, 50, {}, totals);
    describeSeeds('majority3', 7001, 25, { flaps: true }, totals);

    it('exercised crashes and catch-up from snapshots', () => {
      expect(totals.runs).to.equal(75);
      expect(totals.crashesLosingWrites).to.be.greaterThan(40);
      expect(totals.snapshotsInstalled).to.be.greaterThan(20);
    });
  });

  // Seeds that once failed, kept as regressions: a stale main that restarted won alone against a
  // live backup whose refusal arrived late (657; 144 and 365 with flaps).
  it('passes the seeds that found bugs', async () => {
    await runSimulation({ seed: 657, steps: 1500 });
    await runSimulation({ seed: 144, steps: 1500, faults: { flaps: true } });
    await runSimulation({ seed: 365, steps: 1500, faults: { flaps: true } });
  });

  it('replays a seed exactly', async () => {
    const first = await runSimulation({ seed: 77, steps: 800 });
    const second = await runSimulation({ seed: 77, steps: 800 });
    expect(second).to.deep.equal(first);
    expect(first.stateHash).to.be.a('string');
    const other = await runSimulation({ seed: 78, steps: 800 });
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

    // Slow fsyncs and frequent power failures leave acknowledged entries unflushed on every node.
    const hostile: Partial<FaultOptions> = {
      slowFsyncProbability: 0.5,
      powerFailureProbability: 0.01,
      crashProbability: 0.002,
    };

    it('a driver that answers before the fsync loses acknowledged operations, and the check sees it', async () => {
      const caught: SimulationResult[] = [];
      for (let seed = 1; seed <= 20; seed += 1) {
        for (const cluster of ['pair', 'majority3'] as const) {
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
      }
      expect(caught.length, 'no seed caught the planted bug').to.be.greaterThan(0);
      const checks = new Set(
        caught.flatMap((result) => result.violations.map((violation) => violation.check)),
      );
      expect([...checks]).to.include('acknowledged_lost');
    });

    it('the same hostile profile passes with the correct driver', async () => {
      for (const cluster of ['pair', 'majority3'] as const) {
        await runSeeds(1, 20, { steps: 800, cluster, faults: hostile }, emptyTotals());
      }
    });
  });
});
