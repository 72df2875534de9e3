// The benchmark's options, workload layouts, medians and side-by-side table, without a cluster.
import { expect } from 'chai';
import { BenchOptionsError, parseBenchOptions } from '../src/bench-options.js';
import { medianOf } from '../src/failover.js';
import {
  compareSystems,
  compareTlsCost,
  formatTable,
  type RunRow,
  ratioOf,
  type SystemResults,
  tandemTargets,
  tlsCostTable,
} from '../src/report.js';
import { denialSeats, planRun, SPREAD_LICENCES } from '../src/workloads.js';

function run(
  system: 'tandem' | 'etcd',
  workload: RunRow['workload'],
  workstations: number,
  opsPerSecond: number,
  p99Ms: number,
): RunRow {
  return {
    system,
    runName: `${workload}-w${workstations}`,
    kind: 'seats',
    workstations,
    durationMs: 1000,
    connectMs: 0,
    ops: opsPerSecond,
    opsPerSecond,
    acquired: opsPerSecond / 2,
    released: opsPerSecond / 2,
    denied: 0,
    reports: 0,
    errors: 0,
    errorSamples: [],
    releasedAfterRun: 0,
    latency: { count: opsPerSecond, p50Ms: p99Ms / 2, p99Ms, maxMs: p99Ms },
    workload,
    seats: { seatsInUse: 0, holders: 0 },
    seatsBackToZero: true,
    usageUnits: null,
  };
}

describe('bench options', () => {
  it('defaults to every workload, and to the compared ones with --etcd', () => {
    const plain = parseBenchOptions([]);
    expect([...plain.workloads]).to.deep.equal([
      'spread',
      'contended',
      'denials',
      'usage',
      'failover',
      'handover',
      'catch-up',
      'capacity',
    ]);
    expect(plain.durationMs).to.equal(10_000);
    expect(plain.failoverRounds).to.equal(5);
    expect(plain.catchUpEntries).to.equal(1_000_000);
    expect(plain.liveLeases).to.equal(100_000);
    expect(plain.workstations).to.deep.equal([1, 16, 64, 256]);
    // Secure unless asked: plaintext is a run of its own, to measure what TLS costs.
    expect(plain.insecure).to.equal(false);
    expect(parseBenchOptions(['--insecure']).insecure).to.equal(true);
    const etcd = parseBenchOptions(['--etcd']);
    expect([...etcd.workloads]).to.deep.equal(['spread', 'contended', 'denials', 'failover']);
  });

  it('measures what TLS costs with --tls-cost: spread at 1, 16 and 64, against a plaintext pair', () => {
    const cost = parseBenchOptions(['--tls-cost']);
    expect(cost.tlsCost).to.equal(true);
    expect([...cost.workloads]).to.deep.equal(['spread']);
    expect(cost.workstations).to.deep.equal([1, 16, 64]);
    expect(
      parseBenchOptions(['--tls-cost', '--workloads', 'contended', '--workstations', '256']).workstations,
    ).to.deep.equal([256]);
    expect(() => parseBenchOptions(['--tls-cost', '--etcd'])).to.throw(BenchOptionsError, /--tls-cost/);
    expect(() => parseBenchOptions(['--tls-cost', '--insecure'])).to.throw(BenchOptionsError, /--tls-cost/);
    expect(() => parseBenchOptions(['--tls-cost', '--workloads', 'failover'])).to.throw(
      BenchOptionsError,
      /--tls-cost/,
    );
  });

  it('puts the TLS run beside the plaintext run of the same workload', () => {
    const run = (system: 'tandem' | 'tandem-plaintext', opsPerSecond: number, p99Ms: number) =>
      ({
        system,
        workload: 'spread',
        workstations: 16,
        opsPerSecond,
        latency: { p50Ms: 1, p99Ms, maxMs: p99Ms },
      }) as never;
    const rows = compareTlsCost(
      { system: 'tandem', runs: [run('tandem', 900, 20)] },
      { system: 'tandem-plaintext', runs: [run('tandem-plaintext', 1000, 18)] },
    );
    expect(rows).to.deep.equal([
      {
        workload: 'spread',
        workstations: 16,
        tlsOpsPerSecond: 900,
        plaintextOpsPerSecond: 1000,
        throughputCostPercent: 10,
        tlsP99Ms: 20,
        plaintextP99Ms: 18,
        goalPercent: 15,
        met: true,
      },
    ]);
    expect(tlsCostTable(rows)).to.match(/spread\s+16\s+900\s+1000\s+10%/);
  });

  it('shortens everything with --quick, but explicit flags win', () => {
    const quick = parseBenchOptions(['--quick', '--failover-rounds', '3']);
    expect(quick.durationMs).to.equal(1000);
    expect(quick.failoverRounds).to.equal(3);
    expect(quick.catchUpEntries).to.be.below(1_000_000);
  });

  it('profiles the nodes only when --cpu-prof names a directory', () => {
    expect(parseBenchOptions([]).cpuProfileDir).to.equal(null);
    expect(parseBenchOptions(['--cpu-prof', '/tmp/prof']).cpuProfileDir).to.equal('/tmp/prof');
    expect(() => parseBenchOptions(['--cpu-prof', ''])).to.throw(BenchOptionsError, /--cpu-prof/);
  });

  it('expands aliases and refuses unknown workloads and bad numbers', () => {
    expect([...parseBenchOptions(['--workloads', 'failback,memory']).workloads]).to.deep.equal([
      'failover',
      'catch-up',
    ]);
    expect([...parseBenchOptions(['--workloads', 'drain']).workloads]).to.deep.equal(['handover']);
    expect(() => parseBenchOptions(['--tls-cost', '--workloads', 'handover'])).to.throw(
      BenchOptionsError,
      /tls-cost/,
    );
    expect(() => parseBenchOptions(['--workloads', 'speed'])).to.throw(
      BenchOptionsError,
      /unknown workload speed/,
    );
    expect(() => parseBenchOptions(['--duration-ms', '5'])).to.throw(BenchOptionsError, /duration-ms/);
    expect(() => parseBenchOptions(['--workstations', '1,0'])).to.throw(BenchOptionsError, /workstations/);
    expect(() => parseBenchOptions(['--cluster', 'trio'])).to.throw(BenchOptionsError, /cluster/);
  });
});

describe('workload layouts', () => {
  it('gives each workstation one licence, spread over 4,096 licences of 16 seats', () => {
    const plan = planRun('spread', 256);
    expect(plan.licences).to.have.length(SPREAD_LICENCES);
    expect(plan.licences.every((licence) => licence.seats === 16)).to.equal(true);
    expect(plan.licenceFor(0)).to.equal('spread-0');
    expect(plan.licenceFor(255)).to.equal('spread-255');
    expect(planRun('contended', 64).licenceFor(9)).to.equal('contended-1');
  });

  it('gives denials one licence with half the workstations as seats', () => {
    expect(denialSeats(1)).to.equal(1);
    expect(denialSeats(64)).to.equal(32);
    const plan = planRun('denials', 16);
    expect(plan.licences).to.deep.equal([{ licenceId: 'denials-w16', seats: 8 }]);
    expect(plan.licenceFor(15)).to.equal('denials-w16');
  });
});

describe('medians and ratios', () => {
  it('takes the middle round, counting a round without recovery as the slowest', () => {
    expect(medianOf([900, 1300, 1100, 1000, 5000])).to.equal(1100);
    expect(medianOf([900, null, null])).to.equal(null);
    expect(medianOf([900, null, 1000])).to.equal(1000);
    expect(medianOf([])).to.equal(null);
  });

  it('divides Tandem by etcd, and refuses a zero or missing figure', () => {
    expect(ratioOf(3000, 1400)).to.equal(2.14);
    expect(ratioOf(3000, 0)).to.equal(null);
    expect(ratioOf(null, 10)).to.equal(null);
  });
});

describe('side-by-side comparison', () => {
  const tandem: SystemResults = {
    system: 'tandem',
    runs: [run('tandem', 'spread', 64, 3000, 50), run('tandem', 'contended', 64, 2000, 80)],
  };
  const etcd: SystemResults = {
    system: 'etcd',
    runs: [run('etcd', 'spread', 64, 1400, 116), run('etcd', 'contended', 64, 250, 900)],
  };

  it('gives each workload its figures, ratio and target', () => {
    const rows = compareSystems(tandem, etcd);
    expect(rows.map((row) => [row.workload, row.metric, row.ratio, row.met])).to.deep.equal([
      ['spread 64 ws', 'ops/s', 2.14, true],
      ['spread 64 ws', 'p99 ms', 0.43, true],
      ['contended 64 ws', 'ops/s', 8, false],
    ]);
  });

  it('formats a table with aligned columns', () => {
    const text = formatTable(
      ['name', 'ops/s'],
      [
        ['spread', '3000'],
        ['denials', '90'],
      ],
    );
    expect(text.split('\n')).to.deep.equal([
      'name     ops/s',
      '-------  -----',
      'spread    3000',
      'denials     90',
    ]);
  });

  it('judges the catch-up and memory targets only at the sizes they are set at', () => {
    const memory = (liveLeases: number, rssMb: number): SystemResults => ({
      system: 'tandem',
      runs: [],
      memory: {
        liveLeases,
        logEntries: 1_000_000,
        mainRssMb: rssMb,
        backupRssMb: 10,
        againAfterMs: 15_000,
        mainRssAgainMb: rssMb,
        backupRssAgainMb: 10,
      },
      catchUp: {
        entries: liveLeases * 10,
        liveLeases,
        appliedIndex: liveLeases * 10,
        buildMs: 1,
        catchUpMs: 5000,
        stateHashesEqual: true,
      },
    });
    expect(tandemTargets(memory(2000, 250)).map((line) => line.met)).to.deep.equal([null, null]);
    expect(tandemTargets(memory(100_000, 250)).map((line) => line.met)).to.deep.equal([true, false]);
  });
});
