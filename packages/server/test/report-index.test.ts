import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AreaOperation, KeyValueArea } from '@tandem/storage';
import { LevelStorage } from '@tandem/storage';
import { expect } from 'chai';
import { InvalidArgumentError } from '../src/errors.js';
import { MAX_UNWRITTEN_ENTRIES, type Report, ReportIndex, type ReportQuery } from '../src/report-index.js';
import { HOUR_MS, LedgerRun, MINUTE_MS, T0 } from './report-fixture.js';

const DAY_MS = 24 * HOUR_MS;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An area that records each batch, and that drops every write once cut (the process died). */
function recordingArea(area: KeyValueArea) {
  const batches: AreaOperation[][] = [];
  let cut = false;
  const recorded: KeyValueArea = {
    ...area,
    batch: async (operations, options) => {
      if (cut) return;
      batches.push([...operations]);
      await area.batch(operations, options);
    },
  };
  return { area: recorded, batches, cut: () => (cut = true) };
}

/** One licence, four workstations each taking and giving back a seat `rounds` times in one hour. */
function churn(rounds: number): LedgerRun {
  const run = new LedgerRun();
  run.activate('cad', 4);
  for (let round = 0; round < rounds; round += 1) {
    for (const workstation of ['ws-a', 'ws-b', 'ws-c', 'ws-d']) {
      run.at(Math.floor((round * 50 * MINUTE_MS) / rounds));
      const lease = run.lease(run.acquire('cad', workstation, `user-${workstation}`, 'host'));
      run.release(lease.leaseId);
    }
  }
  run.at(55 * MINUTE_MS).acquire('cad', 'ws-a', 'user-ws-a', 'host');
  return run;
}

function leasesQuery(overrides: Partial<ReportQuery> = {}): ReportQuery {
  return {
    kind: 'leases',
    fromMs: T0,
    toMs: T0 + DAY_MS,
    licenceId: null,
    by: 'day',
    maxRows: 100,
    ...overrides,
  };
}

/** Two licences, three workstations, over two hours. */
function workload(): LedgerRun {
  const run = new LedgerRun();
  run.activate('cad', 2);
  run.activate('cam', 1, { units: 50, period: 'day' });
  const a = run.lease(run.at(10 * MINUTE_MS).acquire('cad', 'ws-a', 'ann', 'host-a', 2 * HOUR_MS));
  run.lease(run.at(20 * MINUTE_MS).acquire('cad', 'ws-b', 'bob', 'host-b', 30 * MINUTE_MS));
  run.at(25 * MINUTE_MS).acquire('cad', 'ws-c', 'cy', 'host-c');
  const c = run.lease(run.at(26 * MINUTE_MS).acquire('cam', 'ws-c', 'cy', 'host-c', HOUR_MS));
  run.at(30 * MINUTE_MS).report('cam', 'ws-c', 20);
  run.at(40 * MINUTE_MS).report('cam', 'ws-c', 40);
  run.at(70 * MINUTE_MS).release(a.leaseId);
  run.at(75 * MINUTE_MS).tick();
  run.at(80 * MINUTE_MS).release(c.leaseId);
  return run;
}

describe('report index (LevelDB)', () => {
  let directory: string;
  let storage: LevelStorage;

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'tandem-report-index-'));
    storage = await LevelStorage.open(directory);
  });

  afterEach(async () => {
    await storage.close();
    rmSync(directory, { recursive: true, force: true });
  });

  async function reopen(): Promise<ReportIndex> {
    await storage.close();
    storage = await LevelStorage.open(directory);
    return ReportIndex.open(storage.area('reports'), { retentionDays: 400 });
  }

  function feed(index: ReportIndex, run: LedgerRun, from = 0, to = run.applied.length): void {
    for (const input of run.applied.slice(from, to))
      index.entryApplied(input.index, input.timestampMs, input.events);
  }

  it('answers lease and usage reports from stored hourly buckets', async () => {
    const index = await ReportIndex.open(storage.area('reports'), { retentionDays: 400 });
    feed(index, workload());
    const leases = await index.query(leasesQuery());
    expect(leases.asOfMs).to.equal(T0 + 80 * MINUTE_MS);
    expect(leases.incomplete).to.deep.equal([]);
    expect(leases.truncated).to.equal(false);
    const row = (workstationId: string, licenceId: string) =>
      leases.rows.find((line) => line.workstationId === workstationId && line.licenceId === licenceId);
    expect(row('ws-a', 'cad')).to.deep.include({
      user: 'ann',
      host: 'host-a',
      leaseMs: HOUR_MS,
      grants: 1,
      releases: 1,
    });
    expect(row('ws-b', 'cad')).to.deep.include({ leaseMs: 30 * MINUTE_MS, expiries: 1 });
    expect(row('ws-c', 'cad')?.leaseDenials).to.deep.equal({ seat_limit_reached: 1 });
    expect(row('ws-c', 'cam')).to.deep.include({ leaseMs: 54 * MINUTE_MS, releases: 1 });
    expect(leases.licences).to.deep.equal([
      { licenceId: 'cad', periodStartMs: T0, peakSeats: 2, leaseMs: 90 * MINUTE_MS, usageUnits: 0 },
      { licenceId: 'cam', periodStartMs: T0, peakSeats: 1, leaseMs: 54 * MINUTE_MS, usageUnits: 20 },
    ]);
    const usage = await index.query(leasesQuery({ kind: 'usage', by: 'hour' }));
    // The second report (40 more of 50 units a day) was refused.
    expect(
      usage.rows.map((line) => [
        line.workstationId,
        line.periodStartMs,
        line.usageUnits,
        line.usageReports,
        line.usageDenials,
      ]),
    ).to.deep.equal([['ws-c', T0, 20, 1, { quota_exhausted: 1 }]]);
    const onlyCam = await index.query(leasesQuery({ licenceId: 'cam' }));
    expect(onlyCam.rows.map((line) => line.licenceId)).to.deep.equal(['cam']);
    await index.close();
  });

  it('reads a bucket once: later writes add to the value it wrote, with the same report as one write', async () => {
    const area = storage.area('reports');
    const readKeys: string[] = [];
    const counted = {
      ...area,
      getMany: (keys: readonly string[]) => {
        readKeys.push(...keys);
        return area.getMany(keys);
      },
    };
    const stepwise = await ReportIndex.open(counted, { retentionDays: 400 });
    const run = workload();
    for (let entry = 0; entry < run.applied.length; entry += 1) {
      feed(stepwise, run, entry, entry + 1);
      await stepwise.flush();
    }
    expect(readKeys.length).to.be.greaterThan(0);
    expect(new Set(readKeys).size).to.equal(readKeys.length);
    const whole = await ReportIndex.open(storage.area('reports-whole'), { retentionDays: 400 });
    feed(whole, workload());
    for (const kind of ['leases', 'usage'] as const) {
      const query = leasesQuery({ kind, by: 'hour' });
      const [a, b] = [await stepwise.query(query), await whole.query(query)];
      expect(a.rows).to.deep.equal(b.rows);
      expect(a.rows.length).to.be.greaterThan(0);
    }
  });

  it('keeps the history across a restart, and folds nothing twice when entries are applied again', async () => {
    const run = workload();
    let index = await ReportIndex.open(storage.area('reports'), { retentionDays: 400 });
    feed(index, run, 0, 6);
    await index.close();
    index = await reopen();
    // A restarted node applies again the entries after its last snapshot: here, all of them.
    feed(index, run);
    const restarted = await index.query(leasesQuery());
    await index.close();

    await storage.close();
    rmSync(directory, { recursive: true, force: true });
    storage = await LevelStorage.open(directory);
    const straight = await ReportIndex.open(storage.area('reports'), { retentionDays: 400 });
    feed(straight, run);
    expect(restarted).to.deep.equal(await straight.query(leasesQuery()));
    await straight.close();
  });

  it('says which stretch it missed when the ledger was restored past it', async () => {
    const run = workload();
    const index = await ReportIndex.open(storage.area('reports'), { retentionDays: 400 });
    feed(index, run, 0, 4);
    const gap = index.ledgerRestored({
      appliedIndex: run.ledger.appliedIndex,
      clockMs: run.ledger.clockMs,
      leases: run.ledger.listLeases(),
    });
    expect(gap).to.deep.equal({ fromMs: T0 + 10 * MINUTE_MS, toMs: T0 + 80 * MINUTE_MS, reason: 'snapshot' });
    const report: Report = await index.query(leasesQuery());
    expect(report.incomplete).to.deep.equal([
      { fromMs: T0 + 10 * MINUTE_MS, toMs: T0 + 80 * MINUTE_MS, reason: 'snapshot' },
    ]);
    // A range after the gap is complete.
    expect((await index.query(leasesQuery({ fromMs: T0 + 2 * HOUR_MS }))).incomplete).to.deep.equal([]);
    await index.close();
    const reopened = await reopen();
    expect((await reopened.query(leasesQuery())).incomplete).to.have.length(1);
    await reopened.close();
  });

  it('prunes hours older than the retention and says the range reaches past it', async () => {
    const run = workload();
    run.at(3 * DAY_MS).acquire('cad', 'ws-late', 'lee', 'host-l');
    const index = await ReportIndex.open(storage.area('reports'), { retentionDays: 1 });
    feed(index, run);
    const report = await index.query(leasesQuery({ toMs: T0 + 4 * DAY_MS }));
    expect(report.rows.map((line) => line.workstationId)).to.deep.equal(['ws-late']);
    expect(report.incomplete).to.deep.equal([{ fromMs: T0, toMs: T0 + 2 * DAY_MS, reason: 'retention' }]);
    let stored = 0;
    for await (const [key] of storage.area('reports').entries({ gte: 'r!', lt: 'r"' })) {
      stored += 1;
      expect(Number(key.slice(2, 17))).to.be.at.least(T0 + 2 * DAY_MS);
    }
    expect(stored).to.equal(1);
    await index.close();
  });

  it('forgets everything when the node discards its history to follow the main', async () => {
    const index = await ReportIndex.open(storage.area('reports'), { retentionDays: 400 });
    feed(index, workload());
    await index.flush();
    index.historyDiscarded();
    const report = await index.query(leasesQuery());
    expect(report.rows).to.deep.equal([]);
    expect(report.asOfIndex).to.equal(0);
    await index.close();
    const reopened = await reopen();
    expect(reopened.indexedThrough).to.equal(0);
    await reopened.close();
  });

  it('starts over, rather than keep the node from starting, when its stored state cannot be read', async () => {
    const area = storage.area('reports');
    await area.batch([
      { type: 'put', key: 'h', value: '{"version":1,"indexedThrough":"x"' },
      { type: 'put', key: `r!${'0'.repeat(15)}!x`, value: '{}' },
    ]);
    const reasons: string[] = [];
    const index = await ReportIndex.open(area, {
      retentionDays: 400,
      onReset: (reason) => reasons.push(reason),
    });
    expect(reasons).to.have.length(1);
    expect(index.indexedThrough).to.equal(0);
    let left = 0;
    for await (const _record of area.entries({ gte: '', lt: '\uffff' })) left += 1;
    expect(left).to.equal(0);
    feed(index, workload());
    expect((await index.query(leasesQuery())).rows).to.not.be.empty;
    await index.close();
  });

  it('writes a record changed by many entries once: a write per delay, not five keys per seat change', async () => {
    const run = churn(100);
    expect(run.applied.length).to.be.greaterThan(800);
    const recorded = recordingArea(storage.area('reports'));
    const index = await ReportIndex.open(recorded.area, { retentionDays: 400, writeDelayMs: 60_000 });
    // The replica applies a Ready's entries in one turn: here, ten at a time.
    for (let entry = 0; entry < run.applied.length; entry += 10) {
      feed(index, run, entry, entry + 10);
      await nextTurn();
    }
    expect(recorded.batches).to.deep.equal([]);
    await index.flush();
    expect(recorded.batches).to.have.length(1);
    // Four rows' and the licence's bucket for the hour, the lease still held, its row's and the
    // licence's seats, and the header: the 400 leases taken and given back are neither put nor deleted.
    const keys = (recorded.batches[0] ?? []).map(
      (operation) => `${operation.type} ${operation.key.slice(0, 2)}`,
    );
    expect(keys.sort()).to.deep.equal([
      'put c!',
      'put h',
      'put l!',
      'put o!',
      'put r!',
      'put r!',
      'put r!',
      'put r!',
      'put s!',
    ]);
    // The same report as an index written after every entry.
    const stepwise = await ReportIndex.open(storage.area('reports-stepwise'), { retentionDays: 400 });
    for (let entry = 0; entry < run.applied.length; entry += 1) {
      feed(stepwise, run, entry, entry + 1);
      await stepwise.flush();
    }
    for (const kind of ['leases', 'usage'] as const) {
      const query = leasesQuery({ kind, by: 'hour' });
      expect(await index.query(query)).to.deep.equal(await stepwise.query(query));
    }
    await index.close();
    await stepwise.close();
  });

  it('writes in the next turn once too many entries wait, however long the delay', async () => {
    const run = churn(Math.ceil(MAX_UNWRITTEN_ENTRIES / 8) + 1);
    const recorded = recordingArea(storage.area('reports'));
    const index = await ReportIndex.open(recorded.area, { retentionDays: 400, writeDelayMs: 60_000 });
    feed(index, run);
    // Written in the next turn (after reading the buckets it has not written): well within the delay.
    const startedMs = Date.now();
    while (recorded.batches.length === 0 && Date.now() - startedMs < 10_000) await nextTurn();
    expect(recorded.batches).to.have.length(1);
    await index.close();
  });

  it('after a crash, folds again from the log what it had not written, with the same figures', async () => {
    const run = workload();
    const recorded = recordingArea(storage.area('reports'));
    const crashed = await ReportIndex.open(recorded.area, { retentionDays: 400, writeDelayMs: 60_000 });
    feed(crashed, run, 0, 5);
    await crashed.flush();
    const writtenThrough = crashed.indexedThrough;
    // Folded, never written: the process dies before the delay is up.
    feed(crashed, run, 5);
    recorded.cut();
    expect(crashed.indexedThrough).to.equal(run.applied.length);

    const restarted = await reopen();
    expect(restarted.indexedThrough).to.equal(writtenThrough);
    // The restarted node applies again the entries after its snapshot (here after index 3, which the
    // index had written past): the index skips what it has and folds the rest.
    feed(restarted, run, 3);
    const report = await restarted.query(leasesQuery({ by: 'hour' }));
    await restarted.close();

    await storage.close();
    rmSync(directory, { recursive: true, force: true });
    storage = await LevelStorage.open(directory);
    const straight = await ReportIndex.open(storage.area('reports'), { retentionDays: 400 });
    feed(straight, run);
    expect(report).to.deep.equal(await straight.query(leasesQuery({ by: 'hour' })));
    expect(report.rows).to.not.be.empty;
    await straight.close();
  });

  it('cuts a report at maxRows and says so; refuses bad queries naming the field', async () => {
    const index = await ReportIndex.open(storage.area('reports'), { retentionDays: 400 });
    feed(index, workload());
    const cut = await index.query(leasesQuery({ maxRows: 2 }));
    expect(cut.rows).to.have.length(2);
    expect(cut.truncated).to.equal(true);
    const field = async (query: ReportQuery) => {
      try {
        await index.query(query);
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidArgumentError);
        return (error as InvalidArgumentError).field;
      }
      return null;
    };
    expect(await field(leasesQuery({ kind: 'bills' as 'usage' }))).to.equal('kind');
    expect(await field(leasesQuery({ by: 'year' as 'day' }))).to.equal('by');
    expect(await field(leasesQuery({ fromMs: T0 + 1 }))).to.equal('from_ms');
    expect(await field(leasesQuery({ toMs: T0 }))).to.equal('to_ms');
    await index.close();
  });

  it('cuts a report at its byte bound too, and says so', async () => {
    const index = await ReportIndex.open(storage.area('reports'), {
      retentionDays: 400,
      maxReportBytes: 600,
    });
    feed(index, workload());
    const cut = await index.query(leasesQuery());
    expect(cut.truncated).to.equal(true);
    expect(cut.rows.length).to.be.greaterThan(0);
    expect(cut.rows.length).to.be.lessThan(4);
    expect(Buffer.byteLength(JSON.stringify([...cut.rows, ...cut.licences]))).to.be.at.most(600);
    await index.close();
  });

  it('refuses a report that would read more records than its bound, naming the range', async () => {
    const index = await ReportIndex.open(storage.area('reports'), {
      retentionDays: 400,
      maxScannedRecords: 5,
    });
    feed(index, workload());
    const refused = await index.query(leasesQuery()).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).to.be.instanceOf(InvalidArgumentError);
    expect((refused as InvalidArgumentError).field).to.equal('to_ms');
    expect((refused as Error).message).to.match(/more than 5 hourly records/);
    // A narrower range is answered.
    expect((await index.query(leasesQuery({ fromMs: T0 + HOUR_MS, toMs: T0 + 2 * HOUR_MS }))).rows).to.not.be
      .empty;
    await index.close();
  });
});
