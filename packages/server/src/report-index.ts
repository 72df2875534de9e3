// The usage-report index: the usage history (usage-history.ts) kept in the node's own LevelDB, in
// its area `reports` (a key prefix of its own), so it outlives the log's compaction and the node's
// restarts. The replica hands it every applied entry's events; it folds them at once (in memory)
// and writes what changed in one batch, serially, at most WRITE_DELAY_MS after the first unwritten
// change (sooner after MAX_UNWRITTEN_ENTRIES entries, before a query, and before the log is
// compacted: Replica flushes it then). Each batch carries the header, so what is stored is always
// the state as of one index; a crash loses only what the log still holds, which the restarted node
// applies, and the index folds, again. Queries read the buckets and add what is still held: the
// admin RPC GetReport answers with it, and an HTTP handler may call query() the same way.
//
// Layout (text keys; hours as 15-digit ms so that keys sort by time):
//   h                      header: indexed-through index, clock, gaps
//   o!<leaseId>            an open lease: its row and since when it counts
//   s!<rowKey>             a row's seats held at once; c!<licenceId> the licence's
//   r!<hour>!<rowKey>      a row's figures for the hour; l!<hour>!<licenceId> the licence's peak
// Buckets older than the retention (reports.retentionDays, in entry time) are pruned.
import assert from 'node:assert/strict';
import type { AppliedEvent, Period } from '@tandem/ledger';
import { periodBounds } from '@tandem/ledger';
import type { AreaOperation, KeyValueArea } from '@tandem/storage';
import { InvalidArgumentError } from './errors.js';
import {
  addDelta,
  addRowFigures,
  emptyDelta,
  emptyHistory,
  emptyRowFigures,
  foldEntry,
  forgetGapsBefore,
  type HistoryChange,
  type HistoryDelta,
  type HistoryGap,
  type HistoryOptions,
  type HistoryState,
  HOUR_MS,
  hourOf,
  type LedgerView,
  type LicenceFigures,
  openFigures,
  type ReportRow,
  type RowFigures,
  restartFrom,
  rowFromKey,
  rowKey,
} from './usage-history.js';

export type ReportKind = 'usage' | 'leases';
/** How rows are grouped in time: UTC hours, days, ISO weeks, months, or the whole range. */
export type ReportGrouping = 'hour' | Period | 'total';

export const REPORT_KINDS: readonly ReportKind[] = Object.freeze(['usage', 'leases']);
export const REPORT_GROUPINGS: readonly ReportGrouping[] = Object.freeze([
  'hour',
  'day',
  'week',
  'month',
  'total',
]);

/** Records one query may read at most; a report over more says to narrow it. */
export const MAX_SCANNED_RECORDS = 2_000_000;
/**
 * The rows of one answer stay within this many bytes (as JSON, which is larger than their protobuf
 * encoding), under the 4 MiB a gRPC client takes by default: a user and a host may be 1 KiB each.
 */
export const MAX_REPORT_BYTES = 3 * 1024 * 1024;
const HEADER_VERSION = 1;
/** Buckets whose written value is kept in memory (about 200 bytes each); beyond it, all are dropped. */
const MAX_WRITTEN_BUCKETS = 50_000;
const HEADER_KEY = 'h';
/**
 * How long folded changes may wait to be written. A batch per turn wrote about five keys per seat
 * change (the lease, two seat counts, two buckets) and cost a fifth of the backup's CPU under the
 * spread load (docs/performance.md); over a second, the same leases, counts and buckets change
 * many times and are written once.
 */
export const WRITE_DELAY_MS = 1_000;
/** The longest writeDelayMs an index takes. */
const MAX_WRITE_DELAY_MS = 3_600_000;
/** Entries folded and not yet written at most; past it the next turn writes them (bounds memory). */
export const MAX_UNWRITTEN_ENTRIES = 4_096;

export interface ReportQuery {
  kind: ReportKind;
  /** Inclusive; on a whole UTC hour. */
  fromMs: number;
  /** Exclusive; on a whole UTC hour, after fromMs. */
  toMs: number;
  /** null for every licence. */
  licenceId: string | null;
  by: ReportGrouping;
  /** The most rows answered (and the most licence rows); more are cut and the report says so. */
  maxRows: number;
}

/** One row of a report: who, which period, and the figures (those of the other kind are 0). */
export interface ReportLine extends ReportRow, RowFigures {
  /** The start of the row's period (for `total`, the report's start). */
  periodStartMs: number;
}

export interface LicenceLine {
  licenceId: string;
  periodStartMs: number;
  /** Most seats of the licence held at once, across its workstations. */
  peakSeats: number;
  leaseMs: number;
  usageUnits: number;
}

export interface Report {
  kind: ReportKind;
  fromMs: number;
  toMs: number;
  by: ReportGrouping;
  /** The last log index and entry time the figures include: equal on every node that applied it. */
  asOfIndex: number;
  asOfMs: number;
  /** Stretches of [fromMs, toMs) this node's history does not cover: figures there are incomplete. */
  incomplete: Array<{ fromMs: number; toMs: number; reason: HistoryGap['reason'] | 'retention' }>;
  rows: ReportLine[];
  licences: LicenceLine[];
  /** More rows (or licence rows) than maxRows: the rest were left out. */
  truncated: boolean;
}

export interface ReportIndexOptions {
  retentionDays: number;
  /** Records one query may read at most (default MAX_SCANNED_RECORDS). */
  maxScannedRecords?: number;
  /** Bytes of rows one answer holds at most (default MAX_REPORT_BYTES). */
  maxReportBytes?: number;
  /** Called when a write fails: the index then stops (queries refuse) rather than drift. */
  onError?: (error: Error) => void;
  /** Called when the stored index cannot be read at open: it is cleared and starts over. */
  onReset?: (reason: string) => void;
  /** How long folded changes may wait to be written (default WRITE_DELAY_MS). */
  writeDelayMs?: number;
}

const pad = (ms: number) => String(ms).padStart(15, '0');
const bucketPrefix = (kind: 'r' | 'l', hourMs: number) => `${kind}!${pad(hourMs)}!`;

/** What was folded and not yet taken for a write. */
interface PendingChanges {
  delta: HistoryDelta;
  /** Open leases, row seats and licence seats changed: written as the state stands when taken. */
  leases: Set<string>;
  rowSeats: Set<string>;
  licenceSeats: Set<string>;
  clearAll: boolean;
}

const noChanges = (clearAll = false): PendingChanges => ({
  delta: emptyDelta(),
  leases: new Set(),
  rowSeats: new Set(),
  licenceSeats: new Set(),
  clearAll,
});

interface PendingWrite {
  delta: HistoryDelta;
  /** The header and the state records, as of the turn the write was taken in. */
  operations: AreaOperation[];
  clearAll: boolean;
  /**
   * The oldest hour kept as of the state written: pruning goes no further, so that a query taken
   * with this write never finds hours missing that its own entry time still keeps.
   */
  horizonMs: number;
}

export class ReportIndex {
  private state: HistoryState;
  private pending: PendingChanges = noChanges();
  /** A write of what is pending is scheduled (by the timer, or in the next turn). */
  private writeQueued = false;
  private writeTimer: NodeJS.Timeout | null = null;
  private writeTurn: NodeJS.Immediate | null = null;
  /** Entries folded since the pending changes were last taken for a write. */
  private unwrittenEntries = 0;
  /** Serial work on the area: writes and the reads of queries, in order. */
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private prunedBeforeMs = 0;
  private closed = false;
  /**
   * Hourly buckets as this index last wrote them (key to stored value), so that adding to a bucket
   * written before needs no read: the read-modify-write of every bucket per write was about a
   * twentieth of the leader's CPU under the spread load (docs/performance.md). Writes are serial,
   * so the copy is what the store holds; it is dropped with the buckets when they are cleared or pruned.
   */
  private readonly writtenBuckets = new Map<string, string>();
  /**
   * The keys of the state records (open leases, seat counts) the store holds once the writes taken
   * so far are done: a lease that opened and closed between two writes is neither put nor deleted.
   * As large as the state itself.
   */
  private readonly storedRecords: Set<string>;
  readonly history: HistoryOptions;

  private constructor(
    private readonly area: KeyValueArea,
    private readonly options: ReportIndexOptions,
    state: HistoryState,
  ) {
    this.state = state;
    this.history = { retentionMs: options.retentionDays * 24 * HOUR_MS };
    this.storedRecords = new Set([
      ...[...state.leases.keys()].map((leaseId) => `o!${leaseId}`),
      ...[...state.rowSeats.keys()].map((key) => `s!${key}`),
      ...[...state.licenceSeats.keys()].map((licenceId) => `c!${licenceId}`),
    ]);
  }

  /** Opens the index in the area, reading its state (an empty area is an empty history). */
  static async open(area: KeyValueArea, options: ReportIndexOptions): Promise<ReportIndex> {
    assert.ok(Number.isSafeInteger(options.retentionDays) && options.retentionDays >= 1);
    const writeDelayMs = options.writeDelayMs ?? WRITE_DELAY_MS;
    assert.ok(Number.isSafeInteger(writeDelayMs) && writeDelayMs >= 0 && writeDelayMs <= MAX_WRITE_DELAY_MS);
    try {
      return new ReportIndex(area, options, await loadState(area));
    } catch (error) {
      // Derived data must never keep a node from serving: an index it cannot read starts over
      // (from the entries the node still applies; what it no longer has becomes a gap).
      options.onReset?.(error instanceof Error ? error.message : String(error));
      await area.clear({ gte: '', lt: '\uffff' });
      return new ReportIndex(area, options, emptyHistory());
    }
  }

  /** The last index folded in. */
  get indexedThrough(): number {
    return this.state.indexedThrough;
  }

  /** One applied entry (in log order): folded now, written soon. */
  entryApplied(index: number, timestampMs: number, events: readonly AppliedEvent[]): void {
    if (this.closed) return;
    const change = foldEntry(this.state, { index, timestampMs, events }, this.history, this.pending.delta);
    if (change === null) return;
    this.unwrittenEntries += 1;
    this.stage(change);
  }

  /**
   * The ledger now stands where a snapshot left it (at start, or installed from the leader): the
   * entries between what was folded and the snapshot are recorded as a gap.
   */
  ledgerRestored(ledger: LedgerView): HistoryGap | null {
    if (this.closed) return null;
    const change = restartFrom(this.state, ledger, this.history, this.pending.delta);
    if (change === null) return null;
    this.stage(change);
    return this.state.gaps.at(-1) ?? null;
  }

  /** A pair-mode backup discarded its history to follow the main: so does the index. */
  historyDiscarded(): void {
    if (this.closed) return;
    this.state = emptyHistory();
    this.pending = noChanges(true);
    this.prunedBeforeMs = 0;
    // At once: the stored header would otherwise say entries of the discarded history were folded,
    // and a restart would skip the main's entries at those indexes.
    this.queueWrite(true);
  }

  /**
   * Resolves once everything folded so far is written (not synced: a later synced write of the
   * same database, such as the log's compaction, makes it durable).
   */
  flush(): Promise<void> {
    if (this.writeQueued) {
      this.unschedule();
      const pending = this.takePending();
      this.chain = this.chain.then(() => this.writePending(pending));
    }
    return this.chain.then(() => {
      if (this.failure !== null) throw this.failure;
    });
  }

  /** Writes what is pending and stops; the area's database is closed by its storage afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      this.unschedule();
    }
  }

  /** Checks a query's fields; throws InvalidArgumentError naming the field. */
  static check(query: ReportQuery): void {
    if (!REPORT_KINDS.includes(query.kind)) {
      throw new InvalidArgumentError('kind', `must be one of ${REPORT_KINDS.join(', ')}`);
    }
    if (!REPORT_GROUPINGS.includes(query.by)) {
      throw new InvalidArgumentError('by', `must be one of ${REPORT_GROUPINGS.join(', ')}`);
    }
    for (const [field, value] of [
      ['from_ms', query.fromMs],
      ['to_ms', query.toMs],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 0)
        throw new InvalidArgumentError(field, 'must be a time in ms');
      if (value % HOUR_MS !== 0) {
        throw new InvalidArgumentError(field, 'must be on a whole UTC hour: the index keeps hourly figures');
      }
    }
    if (query.toMs <= query.fromMs) throw new InvalidArgumentError('to_ms', 'must be after from_ms');
    if (!Number.isSafeInteger(query.maxRows) || query.maxRows < 1) {
      throw new InvalidArgumentError('limit', 'must be a positive integer');
    }
  }

  /** The report for [fromMs, toMs), as this node's history has it. */
  query(query: ReportQuery): Promise<Report> {
    ReportIndex.check(query);
    let answer: Report | null = null;
    this.unschedule();
    // The open figures are taken in the same turn as the pending writes, so they match the
    // buckets as written; later entries wait for the query's reads.
    const pending = this.takePending();
    const captured = {
      open: openFigures(this.state, this.history),
      asOfIndex: this.state.indexedThrough,
      asOfMs: this.state.clockMs,
      gaps: [...this.state.gaps],
    };
    const work = this.chain.then(async () => {
      await this.writePending(pending);
      if (this.failure !== null) throw this.failure;
      answer = await this.read(query, captured);
    });
    this.chain = work.catch(() => undefined);
    return work.then(() => {
      assert.ok(answer !== null);
      return answer;
    });
  }

  // ---------------------------------------------------------------------------------------------

  /** Notes the state records a fold changed (its figures are in the pending delta already). */
  private stage(change: HistoryChange): void {
    const { pending } = this;
    for (const leaseId of change.leases) pending.leases.add(leaseId);
    for (const key of change.rowSeats) pending.rowSeats.add(key);
    for (const licenceId of change.licenceSeats) pending.licenceSeats.add(licenceId);
    this.queueWrite();
  }

  /**
   * Schedules the write of what is pending: WRITE_DELAY_MS after the first unwritten change, or in
   * the next turn when it must not wait (or MAX_UNWRITTEN_ENTRIES are waiting already).
   */
  private queueWrite(now = this.unwrittenEntries >= MAX_UNWRITTEN_ENTRIES): void {
    if (this.closed) return;
    this.writeQueued = true;
    if (this.writeTurn !== null || (this.writeTimer !== null && !now)) return;
    if (now) {
      if (this.writeTimer !== null) clearTimeout(this.writeTimer);
      this.writeTimer = null;
      this.writeTurn = setImmediate(() => this.writeQueuedNow());
      return;
    }
    this.writeTimer = setTimeout(() => this.writeQueuedNow(), this.options.writeDelayMs ?? WRITE_DELAY_MS);
    // A node that is stopping need not wait for it: close() writes what is pending.
    this.writeTimer.unref();
  }

  private writeQueuedNow(): void {
    this.writeTimer = null;
    this.writeTurn = null;
    if (!this.writeQueued) return;
    this.writeQueued = false;
    const pending = this.takePending();
    this.chain = this.chain.then(() => this.writePending(pending));
  }

  /** Cancels the scheduled write: the caller takes what is pending itself. */
  private unschedule(): void {
    this.writeQueued = false;
    if (this.writeTimer !== null) clearTimeout(this.writeTimer);
    if (this.writeTurn !== null) clearImmediate(this.writeTurn);
    this.writeTimer = null;
    this.writeTurn = null;
  }

  /**
   * What is pending, with the header and the changed state records as the state stands now (in the
   * same turn): a record changed many times since the last write is written once, as it is now.
   */
  private takePending(): PendingWrite {
    this.unwrittenEntries = 0;
    const horizonMs = this.horizonMs();
    const { delta, leases, rowSeats, licenceSeats, clearAll } = this.pending;
    this.pending = noChanges();
    forgetGapsBefore(this.state, horizonMs);
    if (clearAll) this.storedRecords.clear();
    const operations: AreaOperation[] = [];
    const record = (key: string, value: unknown) => {
      if (value !== undefined) {
        operations.push({ type: 'put', key, value: JSON.stringify(value) });
        this.storedRecords.add(key);
      } else if (this.storedRecords.delete(key)) {
        operations.push({ type: 'del', key });
      }
    };
    for (const leaseId of leases) record(`o!${leaseId}`, this.state.leases.get(leaseId));
    for (const key of rowSeats) record(`s!${key}`, this.state.rowSeats.get(key));
    for (const licenceId of licenceSeats) record(`c!${licenceId}`, this.state.licenceSeats.get(licenceId));
    operations.push({
      type: 'put',
      key: HEADER_KEY,
      value: JSON.stringify({
        version: HEADER_VERSION,
        indexedThrough: this.state.indexedThrough,
        clockMs: this.state.clockMs,
        gaps: this.state.gaps,
      }),
    });
    return { delta, operations, clearAll, horizonMs };
  }

  /** The oldest hour kept: the retention before the last entry's time. */
  private horizonMs(): number {
    return Math.max(0, hourOf(this.state.clockMs - this.history.retentionMs));
  }

  private async writePending(pending: PendingWrite): Promise<void> {
    if (this.failure !== null || this.closed) return;
    try {
      if (pending.clearAll) {
        this.writtenBuckets.clear();
        await this.area.clear({ gte: '', lt: '\uffff' });
      }
      const rowKeys = [...pending.delta.rows.values()].map(
        ({ hourMs, row }) => `${bucketPrefix('r', hourMs)}${rowKey(row)}`,
      );
      const licenceKeys = [...pending.delta.licences.values()].map(
        ({ hourMs, licenceId }) => `${bucketPrefix('l', hourMs)}${licenceId}`,
      );
      const stored = await this.storedBuckets([...rowKeys, ...licenceKeys]);
      const operations: AreaOperation[] = [...pending.operations];
      const written: Array<[string, string]> = [];
      let position = 0;
      for (const { figures } of pending.delta.rows.values()) {
        const key = rowKeys[position] as string;
        const merged = parseRowFigures(stored[position]);
        addRowFigures(merged, figures);
        written.push([key, JSON.stringify(merged)]);
        position += 1;
      }
      for (const { figures } of pending.delta.licences.values()) {
        const key = licenceKeys[position - rowKeys.length] as string;
        const merged = parseLicenceFigures(stored[position]);
        merged.peakSeats = Math.max(merged.peakSeats, figures.peakSeats);
        written.push([key, JSON.stringify(merged)]);
        position += 1;
      }
      for (const [key, value] of written) operations.push({ type: 'put', key, value });
      await this.area.batch(operations);
      if (this.writtenBuckets.size + written.length > MAX_WRITTEN_BUCKETS) this.writtenBuckets.clear();
      for (const [key, value] of written) this.writtenBuckets.set(key, value);
      await this.prune(pending.horizonMs);
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.options.onError?.(this.failure);
    }
  }

  /** The stored values of these buckets: from what this index wrote, reading only the others. */
  private async storedBuckets(keys: readonly string[]): Promise<Array<string | undefined>> {
    const values: Array<string | undefined> = keys.map((key) => this.writtenBuckets.get(key));
    const unknown: number[] = [];
    values.forEach((value, position) => {
      if (value === undefined) unknown.push(position);
    });
    if (unknown.length === 0) return values;
    const read = await this.area.getMany(unknown.map((position) => keys[position] as string));
    unknown.forEach((position, index) => {
      values[position] = read[index];
    });
    return values;
  }

  /** Drops the buckets older than the retention, at most once per hour of entry time. */
  private async prune(horizonMs: number): Promise<void> {
    if (horizonMs <= this.prunedBeforeMs) return;
    for (const key of this.writtenBuckets.keys()) {
      const kind = key.startsWith('r!') ? 'r' : 'l';
      if (key < bucketPrefix(kind, horizonMs)) this.writtenBuckets.delete(key);
    }
    await this.area.clear({ gte: 'r!', lt: bucketPrefix('r', horizonMs) });
    await this.area.clear({ gte: 'l!', lt: bucketPrefix('l', horizonMs) });
    this.prunedBeforeMs = horizonMs;
  }

  private async read(
    query: ReportQuery,
    captured: { open: HistoryDelta; asOfIndex: number; asOfMs: number; gaps: HistoryGap[] },
  ): Promise<Report> {
    const horizonMs = Math.max(0, hourOf(captured.asOfMs - this.history.retentionMs));
    const fromMs = Math.max(query.fromMs, horizonMs);
    const figures = emptyDelta();
    let scanned = 0;
    const maxScanned = this.options.maxScannedRecords ?? MAX_SCANNED_RECORDS;
    const wanted = (licenceId: string) => query.licenceId === null || query.licenceId === licenceId;
    if (fromMs < query.toMs) {
      for (const kind of ['r', 'l'] as const) {
        const range = {
          gte: bucketPrefix(kind, fromMs),
          lt: bucketPrefix(kind, query.toMs),
          limit: maxScanned + 1,
        };
        for await (const [key, value] of this.area.entries(range)) {
          scanned += 1;
          if (scanned > maxScanned) {
            // Not an overload to retry elsewhere: the same range is as large on every node.
            throw new InvalidArgumentError(
              'to_ms',
              `the range holds more than ${maxScanned} hourly records; narrow it or name a licence_id`,
            );
          }
          const hourMs = Number(key.slice(2, 17));
          const rest = key.slice(18);
          if (kind === 'r') {
            const row = rowFromKey(rest);
            if (!wanted(row.licenceId)) continue;
            const single = emptyDelta();
            single.rows.set('x', { hourMs, row, figures: parseRowFigures(value) });
            addDelta(figures, single);
          } else {
            if (!wanted(rest)) continue;
            const single = emptyDelta();
            single.licences.set('x', { hourMs, licenceId: rest, figures: parseLicenceFigures(value) });
            addDelta(figures, single);
          }
        }
      }
      const open = emptyDelta();
      for (const [key, bucket] of captured.open.rows) {
        if (bucket.hourMs >= fromMs && bucket.hourMs < query.toMs && wanted(bucket.row.licenceId))
          open.rows.set(key, bucket);
      }
      for (const [key, bucket] of captured.open.licences) {
        if (bucket.hourMs >= fromMs && bucket.hourMs < query.toMs && wanted(bucket.licenceId))
          open.licences.set(key, bucket);
      }
      addDelta(figures, open);
    }
    return summarise(query, figures, this.options.maxReportBytes ?? MAX_REPORT_BYTES, {
      asOfIndex: captured.asOfIndex,
      asOfMs: captured.asOfMs,
      incomplete: [
        ...(query.fromMs < horizonMs
          ? [{ fromMs: query.fromMs, toMs: Math.min(horizonMs, query.toMs), reason: 'retention' as const }]
          : []),
        ...captured.gaps
          .filter((gap) => gap.fromMs < query.toMs && gap.toMs >= Math.max(query.fromMs, horizonMs))
          .map((gap) => ({ ...gap })),
      ],
    });
  }
}

/** The period a bucket's hour falls in, for the grouping. */
function periodStartOf(by: ReportGrouping, hourMs: number, fromMs: number): number {
  if (by === 'hour') return hourMs;
  if (by === 'total') return fromMs;
  return periodBounds(by, hourMs).periodStartMs;
}

function relevant(kind: ReportKind, figures: RowFigures): boolean {
  if (kind === 'usage') return figures.usageReports > 0 || Object.keys(figures.usageDenials).length > 0;
  return (
    figures.leaseMs > 0 ||
    figures.grants + figures.renewals + figures.releases + figures.expiries + figures.revocations > 0 ||
    Object.keys(figures.leaseDenials).length > 0
  );
}

/** Groups hourly figures into the report's periods and rows, sorted, within maxRows. */
function summarise(
  query: ReportQuery,
  figures: HistoryDelta,
  maxBytes: number,
  about: Pick<Report, 'asOfIndex' | 'asOfMs' | 'incomplete'>,
): Report {
  const rows = new Map<string, ReportLine>();
  const licences = new Map<string, LicenceLine>();
  const licenceLine = (licenceId: string, periodStartMs: number): LicenceLine => {
    const key = `${pad(periodStartMs)}|${licenceId}`;
    let line = licences.get(key);
    if (line === undefined) {
      line = { licenceId, periodStartMs, peakSeats: 0, leaseMs: 0, usageUnits: 0 };
      licences.set(key, line);
    }
    return line;
  };
  for (const { hourMs, row, figures: hour } of figures.rows.values()) {
    if (!relevant(query.kind, hour)) continue;
    const periodStartMs = periodStartOf(query.by, hourMs, query.fromMs);
    const key = `${pad(periodStartMs)}|${rowKey(row)}`;
    let line = rows.get(key);
    if (line === undefined) {
      line = { ...row, periodStartMs, ...emptyRowFigures() };
      rows.set(key, line);
    }
    addRowFigures(line, hour);
    const licence = licenceLine(row.licenceId, periodStartMs);
    licence.leaseMs += hour.leaseMs;
    licence.usageUnits += hour.usageUnits;
  }
  if (query.kind === 'leases') {
    for (const { hourMs, licenceId, figures: hour } of figures.licences.values()) {
      const line = licenceLine(licenceId, periodStartOf(query.by, hourMs, query.fromMs));
      line.peakSeats = Math.max(line.peakSeats, (hour as LicenceFigures).peakSeats);
    }
  }
  const sortedRows = [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, line]) => line);
  const withRows = new Set([...rows.values()].map((line) => `${line.periodStartMs}|${line.licenceId}`));
  const sortedLicences = [...licences.entries()]
    .filter(([, line]) => withRows.has(`${line.periodStartMs}|${line.licenceId}`) || line.peakSeats > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, line]) => line);
  let budgetBytes = maxBytes;
  const within = <T>(lines: T[]): T[] => {
    const kept: T[] = [];
    for (const line of lines.slice(0, query.maxRows)) {
      budgetBytes -= Buffer.byteLength(JSON.stringify(line), 'utf8');
      if (budgetBytes < 0) break;
      kept.push(line);
    }
    return kept;
  };
  const licenceLines = within(sortedLicences);
  const rowLines = within(sortedRows);
  return {
    kind: query.kind,
    fromMs: query.fromMs,
    toMs: query.toMs,
    by: query.by,
    ...about,
    rows: rowLines,
    licences: licenceLines,
    truncated: rowLines.length < sortedRows.length || licenceLines.length < sortedLicences.length,
  };
}

function parseRowFigures(value: string | undefined): RowFigures {
  if (value === undefined) return emptyRowFigures();
  return { ...emptyRowFigures(), ...(JSON.parse(value) as Partial<RowFigures>) };
}

function parseLicenceFigures(value: string | undefined): LicenceFigures {
  if (value === undefined) return { peakSeats: 0 };
  return { peakSeats: 0, ...(JSON.parse(value) as Partial<LicenceFigures>) };
}

/** Reads the header and the open leases and counts; an empty area is an empty history. */
async function loadState(area: KeyValueArea): Promise<HistoryState> {
  const state = emptyHistory();
  const header = await area.get(HEADER_KEY);
  if (header === undefined) return state;
  const parsed = JSON.parse(header) as {
    version: number;
    indexedThrough: number;
    clockMs: number;
    gaps: HistoryGap[];
  };
  if (parsed.version !== HEADER_VERSION) {
    throw new Error(`the report index holds version ${parsed.version}; this version reads ${HEADER_VERSION}`);
  }
  if (
    !Number.isSafeInteger(parsed.indexedThrough) ||
    !Number.isSafeInteger(parsed.clockMs) ||
    !Array.isArray(parsed.gaps)
  ) {
    throw new Error('the report index header is damaged');
  }
  state.indexedThrough = parsed.indexedThrough;
  state.clockMs = parsed.clockMs;
  state.gaps = parsed.gaps;
  for await (const [key, value] of area.entries({ gte: 'o!', lt: 'o"' })) {
    state.leases.set(key.slice(2), JSON.parse(value));
  }
  for await (const [key, value] of area.entries({ gte: 's!', lt: 's"' })) {
    state.rowSeats.set(key.slice(2), JSON.parse(value));
  }
  for await (const [key, value] of area.entries({ gte: 'c!', lt: 'c"' })) {
    state.licenceSeats.set(key.slice(2), JSON.parse(value));
  }
  return state;
}
