// The capacity workload's clock schedule, its options and its verdict, without a cluster.
import { expect } from 'chai';
import { BenchOptionsError, parseBenchOptions } from '../src/bench-options.js';
import type { CapacityStep } from '../src/capacity.js';
import { RenewalSchedule } from '../src/capacity-schedule.js';
import { cpuPercent } from '../src/process-cpu.js';
import {
  capacityStepPassed,
  capacityStepSaturated,
  capacityTable,
  largestPassingCapacity,
} from '../src/report.js';

describe('renewal schedule', () => {
  it('spreads N renewals evenly over the period, each position once per period, in order', () => {
    const schedule = new RenewalSchedule(1000, 100);
    schedule.resize(4, 1000);
    // Position 0 is due at the origin itself, which is not after "now": the first is position 1.
    expect(schedule.nextDueMs()).to.equal(1025);
    expect(schedule.takeDue(1099, 100)).to.deep.equal([
      { position: 1, dueMs: 1025 },
      { position: 2, dueMs: 1050 },
      { position: 3, dueMs: 1075 },
    ]);
    expect(schedule.takeDue(1200, 100)).to.deep.equal([
      { position: 0, dueMs: 1100 },
      { position: 1, dueMs: 1125 },
      { position: 2, dueMs: 1150 },
      { position: 3, dueMs: 1175 },
      { position: 0, dueMs: 1200 },
    ]);
    expect(schedule.nextDueMs()).to.equal(1225);
  });

  it('sends nothing before its time, and no more than the limit in one turn', () => {
    const schedule = new RenewalSchedule(0, 1000);
    schedule.resize(1000, 0);
    expect(schedule.takeDue(0.5, 10)).to.deep.equal([]);
    const late = schedule.takeDue(500, 10);
    expect(late.map((due) => due.position)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // The rest stay due, and keep their own due times (a late send counts from them).
    expect(schedule.takeDue(500, 1000)).to.have.length(490);
    expect(schedule.nextDueMs()).to.equal(501);
  });

  it('spreads a grown population again, each position due within one period of the change', () => {
    const schedule = new RenewalSchedule(0, 1000);
    schedule.resize(2, 0);
    expect(schedule.takeDue(600, 100)).to.deep.equal([{ position: 1, dueMs: 500 }]);
    schedule.resize(8, 600);
    const due = schedule.takeDue(1600, 100);
    expect(due.map((renewal) => renewal.position)).to.deep.equal([5, 6, 7, 0, 1, 2, 3, 4]);
    expect(due.map((renewal) => renewal.dueMs)).to.deep.equal([625, 750, 875, 1000, 1125, 1250, 1375, 1500]);
    for (const renewal of due) expect(renewal.dueMs - 600).to.be.at.most(1000);
  });

  it('renews nothing with no population, and refuses a bad one', () => {
    const schedule = new RenewalSchedule(0, 1000);
    expect(schedule.nextDueMs()).to.equal(null);
    expect(schedule.takeDue(10_000, 100)).to.deep.equal([]);
    expect(() => schedule.resize(-1, 0)).to.throw(RangeError);
    expect(() => new RenewalSchedule(0, 0)).to.throw(RangeError);
  });
});

describe('process CPU share', () => {
  it('turns clock ticks over an interval into a percentage of one core', () => {
    expect(cpuPercent(100, 250, 1000, 100)).to.equal(150);
    expect(cpuPercent(0, 33, 10_000, 100)).to.equal(3.3);
    expect(cpuPercent(0, 10, 0, 100)).to.equal(0);
  });
});

function step(workstations: number, p99Ms: number, errors = 0, lostLeases = 0): CapacityStep {
  return {
    workstations,
    clients: 64,
    licences: Math.ceil(workstations / 64),
    ttlMs: 30_000,
    renewalPeriodMs: 10_000,
    warmUpMs: 10_000,
    measuredMs: 30_000,
    renewalsDue: workstations * 3,
    renewals: workstations * 3 - errors - lostLeases,
    renewalsPerSecond: workstations / 10,
    latency: { count: workstations * 3, p50Ms: p99Ms / 4, p99Ms, maxMs: p99Ms * 2 },
    errors,
    errorSamples: [],
    lostLeases,
    acquireMs: 1000,
    errorsInStep: errors,
    lostLeasesTotal: lostLeases,
    lateSends: 0,
    sendLag: { count: workstations * 3, p50Ms: 1, p99Ms: 3, maxMs: 9 },
    cpuPercent: { main: 40, backup: 20, generator: 10 },
    generatorEventLoop: { p99Ms: 12, maxMs: 30 },
    loadAverage: [2, 2, 2],
  };
}

describe('capacity verdict', () => {
  it('meets the goal only with p99 under 50 ms, no error and no lost lease', () => {
    expect(capacityStepPassed(step(1000, 49.9))).to.equal(true);
    expect(capacityStepPassed(step(1000, 50))).to.equal(false);
    expect(capacityStepPassed(step(1000, 10, 1))).to.equal(false);
    expect(capacityStepPassed(step(1000, 10, 0, 1))).to.equal(false);
    expect(capacityStepPassed({ ...step(1000, 10), renewals: 0, renewalsDue: 0 })).to.equal(false);
  });

  it('calls a step saturated only when the pair did not keep up, not when it merely missed the p99', () => {
    expect(capacityStepSaturated(step(1000, 80))).to.equal(false);
    expect(capacityStepSaturated(step(1000, 2000))).to.equal(true);
    expect(capacityStepSaturated(step(1000, 10, 1))).to.equal(true);
    expect(capacityStepSaturated(step(1000, 10, 0, 1))).to.equal(true);
    expect(capacityStepSaturated({ ...step(1000, 10), renewals: 2999 })).to.equal(true);
  });

  it('answers with the largest population that met it', () => {
    expect(
      largestPassingCapacity([step(1000, 10), step(2000, 20), step(4000, 80), step(8000, 300)]),
    ).to.equal(2000);
    // A smaller step spoiled by the machine's load does not hide a larger one that met the goal.
    expect(largestPassingCapacity([step(1000, 60), step(2000, 20), step(4000, 80)])).to.equal(2000);
    expect(largestPassingCapacity([step(1000, 60)])).to.equal(null);
  });

  it('prints one row per step with its verdict', () => {
    const lines = capacityTable([step(1000, 10), step(2000, 80)]).split('\n');
    expect(lines).to.have.length(4);
    expect(lines[2]).to.match(/^\s*1000\s+100\s.*\smet$/);
    expect(lines[3]).to.match(/^\s*2000\s+200\s.*\sNOT met$/);
  });
});

describe('capacity options', () => {
  it('steps 1,000 to 32,000 workstations through 64 clients, 30 s measured; shorter with --quick', () => {
    const plain = parseBenchOptions([]);
    expect(plain.capacityWorkstations).to.deep.equal([1000, 2000, 4000, 8000, 16000, 32000]);
    expect(plain.capacityDurationMs).to.equal(30_000);
    expect(plain.capacityClients).to.equal(64);
    const quick = parseBenchOptions(['--quick']);
    expect(quick.capacityWorkstations).to.deep.equal([500, 1000]);
    expect(quick.capacityDurationMs).to.equal(5000);
    const chosen = parseBenchOptions(['--workloads', 'capacity', '--capacity-workstations', '100,300']);
    expect([...chosen.workloads]).to.deep.equal(['capacity']);
    expect(chosen.capacityWorkstations).to.deep.equal([100, 300]);
  });

  it('refuses steps that do not increase, and more workstations than the pool may carry', () => {
    expect(() => parseBenchOptions(['--capacity-workstations', '2000,1000'])).to.throw(
      BenchOptionsError,
      /must increase/,
    );
    expect(() => parseBenchOptions(['--capacity-workstations', '5000', '--capacity-clients', '4'])).to.throw(
      BenchOptionsError,
      /needs at least 5 pool clients/,
    );
    expect(
      parseBenchOptions(['--capacity-workstations', '5000', '--capacity-clients', '5']).capacityClients,
    ).to.equal(5);
    expect(() => parseBenchOptions(['--tls-cost', '--workloads', 'capacity'])).to.throw(
      BenchOptionsError,
      /--tls-cost/,
    );
    expect(() => parseBenchOptions(['--capacity-duration-ms', '10'])).to.throw(BenchOptionsError);
  });
});
