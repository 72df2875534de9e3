// The usage history behind the billing reports: a pure fold over applied entries (what the ledger
// did, see @tandem/ledger's applied-events.ts) into hourly figures per licence, workstation, user
// and host. No clock, no I/O: every time comes from the entries, so two nodes that apply the same
// entries derive the same figures, whatever they did meanwhile. The report index (report-index.ts)
// keeps the state and the figures in LevelDB; this file only says what they are.
//
// Figures are additive (sums, and peaks that only grow), so the deltas one entry produces can be
// merged into stored hourly buckets in any order. Lease time is counted per lease when it ends
// (and, for leases still held, up to the last entry's time when a report is asked for). Peak
// seats: a count of leases held per licence and per row, with the time of its last change; every
// hour the count was held in gets it as a lower bound of its peak.
import assert from 'node:assert/strict';
import type { AppliedEvent, Lease } from '@tandem/ledger';

export const HOUR_MS = 3_600_000;

/** Who used a licence: a report row's identity. */
export interface ReportRow {
  licenceId: string;
  workstationId: string;
  user: string;
  host: string;
}

/** One row's figures for one hour (or, summed, for a longer period). */
export interface RowFigures {
  /** Milliseconds of leases held. */
  leaseMs: number;
  /** Most leases this row held at once. */
  peakSeats: number;
  grants: number;
  renewals: number;
  releases: number;
  expiries: number;
  /** Revocations, and leases ended by a deactivation of their licence. */
  revocations: number;
  usageUnits: number;
  usageReports: number;
  /** Refused acquires by reason. */
  leaseDenials: Record<string, number>;
  /** Refused usage reports by reason. */
  usageDenials: Record<string, number>;
}

/** A licence's own figures for one hour: the most seats held at once across its workstations. */
export interface LicenceFigures {
  peakSeats: number;
}

/** A stretch of entry time the history does not cover (the node skipped those entries). */
export interface HistoryGap {
  fromMs: number;
  toMs: number;
  reason: 'snapshot';
}

/** A lease still held, counted from sinceMs on. */
export interface OpenLease {
  row: ReportRow;
  sinceMs: number;
}

/** Leases held at once, since the last change. */
export interface SeatCount {
  count: number;
  sinceMs: number;
}

/** What the fold carries from entry to entry; the report index persists it beside the figures. */
export interface HistoryState {
  /** The last log index folded in; entries at or below it are not folded again. */
  indexedThrough: number;
  /** The latest entry time folded in: figures are complete up to here. */
  clockMs: number;
  leases: Map<string, OpenLease>;
  /** By rowKey. */
  rowSeats: Map<string, SeatCount>;
  /** By licence id. */
  licenceSeats: Map<string, SeatCount>;
  /** Oldest first, at most MAX_HISTORY_GAPS. */
  gaps: HistoryGap[];
}

/** Figures changed by one step, per hour and row (keys: bucketKey). */
export interface HistoryDelta {
  rows: Map<string, { hourMs: number; row: ReportRow; figures: RowFigures }>;
  licences: Map<string, { hourMs: number; licenceId: string; figures: LicenceFigures }>;
}

/** What one step changed: the figures to add, and the state records to write. */
export interface HistoryChange {
  delta: HistoryDelta;
  leases: Set<string>;
  rowSeats: Set<string>;
  licenceSeats: Set<string>;
}

export interface HistoryOptions {
  /** Nothing older than this before the newest entry is counted (it would be pruned anyway). */
  retentionMs: number;
}

/** The gaps kept; older ones are dropped first. */
export const MAX_HISTORY_GAPS = 64;

/** An applied entry as the fold sees it. */
export interface FoldInput {
  index: number;
  timestampMs: number;
  events: readonly AppliedEvent[];
}

/** The ledger as it stood after a snapshot was installed: what the fold restarts from. */
export interface LedgerView {
  appliedIndex: number;
  clockMs: number;
  leases: readonly Lease[];
}

export function emptyHistory(): HistoryState {
  return {
    indexedThrough: 0,
    clockMs: 0,
    leases: new Map(),
    rowSeats: new Map(),
    licenceSeats: new Map(),
    gaps: [],
  };
}

export function emptyRowFigures(): RowFigures {
  return {
    leaseMs: 0,
    peakSeats: 0,
    grants: 0,
    renewals: 0,
    releases: 0,
    expiries: 0,
    revocations: 0,
    usageUnits: 0,
    usageReports: 0,
    leaseDenials: {},
    usageDenials: {},
  };
}

export function emptyDelta(): HistoryDelta {
  return { rows: new Map(), licences: new Map() };
}

/** A row as one string: JSON keeps the parts apart whatever they hold, and sorts by licence first. */
export function rowKey(row: ReportRow): string {
  return JSON.stringify([row.licenceId, row.workstationId, row.user, row.host]);
}

export function rowFromKey(key: string): ReportRow {
  const parts = JSON.parse(key) as unknown;
  assert.ok(Array.isArray(parts) && parts.length === 4 && parts.every((part) => typeof part === 'string'));
  const [licenceId, workstationId, user, host] = parts as string[];
  return { licenceId, workstationId, user, host } as ReportRow;
}

export function hourOf(atMs: number): number {
  return Math.floor(atMs / HOUR_MS) * HOUR_MS;
}

function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [reason, count] of Object.entries(from)) into[reason] = (into[reason] ?? 0) + count;
}

/** Adds b's figures into a: sums, and the larger peak. */
export function addRowFigures(a: RowFigures, b: Readonly<RowFigures>): void {
  a.leaseMs += b.leaseMs;
  a.peakSeats = Math.max(a.peakSeats, b.peakSeats);
  a.grants += b.grants;
  a.renewals += b.renewals;
  a.releases += b.releases;
  a.expiries += b.expiries;
  a.revocations += b.revocations;
  a.usageUnits += b.usageUnits;
  a.usageReports += b.usageReports;
  addCounts(a.leaseDenials, b.leaseDenials);
  addCounts(a.usageDenials, b.usageDenials);
}

/** Adds delta b into a. */
export function addDelta(a: HistoryDelta, b: HistoryDelta): void {
  for (const bucket of b.rows.values())
    addRowFigures(rowBucket(a, bucket.hourMs, bucket.row), bucket.figures);
  for (const bucket of b.licences.values()) {
    const into = licenceBucket(a, bucket.hourMs, bucket.licenceId);
    into.peakSeats = Math.max(into.peakSeats, bucket.figures.peakSeats);
  }
}

function rowBucket(delta: HistoryDelta, hourMs: number, row: ReportRow): RowFigures {
  const key = `${hourMs}|${rowKey(row)}`;
  let bucket = delta.rows.get(key);
  if (bucket === undefined) {
    bucket = { hourMs, row, figures: emptyRowFigures() };
    delta.rows.set(key, bucket);
  }
  return bucket.figures;
}

function licenceBucket(delta: HistoryDelta, hourMs: number, licenceId: string): LicenceFigures {
  const key = `${hourMs}|${licenceId}`;
  let bucket = delta.licences.get(key);
  if (bucket === undefined) {
    bucket = { hourMs, licenceId, figures: { peakSeats: 0 } };
    delta.licences.set(key, bucket);
  }
  return bucket.figures;
}

/** Calls visit for every hour that overlaps [fromMs, toMs), with the overlap in ms. */
function eachHour(fromMs: number, toMs: number, visit: (hourMs: number, overlapMs: number) => void): void {
  for (let hourMs = hourOf(fromMs); hourMs < toMs; hourMs += HOUR_MS) {
    visit(hourMs, Math.min(toMs, hourMs + HOUR_MS) - Math.max(fromMs, hourMs));
  }
}

/** A lease held over [fromMs, toMs): its time into the row's hours (the retained part only). */
function addLeaseTime(
  delta: HistoryDelta,
  row: ReportRow,
  fromMs: number,
  toMs: number,
  options: HistoryOptions,
): void {
  const startMs = Math.max(fromMs, toMs - options.retentionMs);
  if (toMs <= startMs) return;
  eachHour(startMs, toMs, (hourMs, overlapMs) => {
    rowBucket(delta, hourMs, row).leaseMs += overlapMs;
  });
}

type PeakTarget = (hourMs: number) => { peakSeats: number };

/** `count` seats held over [fromMs, toMs): every hour it overlaps peaked at least there. */
function holdPeak(
  target: PeakTarget,
  count: number,
  fromMs: number,
  toMs: number,
  options: HistoryOptions,
): void {
  if (count === 0) return;
  const startMs = Math.max(fromMs, toMs - options.retentionMs);
  if (toMs <= startMs) return;
  eachHour(startMs, toMs, (hourMs) => {
    const figures = target(hourMs);
    figures.peakSeats = Math.max(figures.peakSeats, count);
  });
}

/**
 * One more or one fewer lease held, at atMs (never before the count's last change: a back-dated
 * lease a merge brought counts from now, so peaks in the past are lower bounds after a merge).
 */
function changeSeats(
  counts: Map<string, SeatCount>,
  key: string,
  by: 1 | -1,
  atMs: number,
  target: PeakTarget,
  options: HistoryOptions,
): void {
  const current = counts.get(key) ?? { count: 0, sinceMs: atMs };
  const changeMs = Math.max(atMs, current.sinceMs);
  holdPeak(target, current.count, current.sinceMs, changeMs, options);
  const count = current.count + by;
  assert.ok(count >= 0, `seat count of ${key} below zero`);
  if (count === 0) {
    counts.delete(key);
    return;
  }
  counts.set(key, { count, sinceMs: changeMs });
  const figures = target(hourOf(changeMs));
  figures.peakSeats = Math.max(figures.peakSeats, count);
}

function rowOfLease(lease: Lease): ReportRow {
  return {
    licenceId: lease.licenceId,
    workstationId: lease.workstationId,
    user: lease.parameters.user,
    host: lease.parameters.host,
  };
}

function newChange(delta: HistoryDelta): HistoryChange {
  return { delta, leases: new Set(), rowSeats: new Set(), licenceSeats: new Set() };
}

/**
 * The open leases by holder (licence and workstation), so that a usage report finds its row without
 * a sweep of every lease. Derived from state.leases, built on first use and kept up to date by
 * startLease and endLease; not part of the state (nothing persists it).
 */
const holderIndexes = new WeakMap<HistoryState, Map<string, Set<string>>>();

const holderKey = (licenceId: string, workstationId: string) => JSON.stringify([licenceId, workstationId]);

function holderIndex(state: HistoryState): Map<string, Set<string>> {
  let index = holderIndexes.get(state);
  if (index === undefined) {
    index = new Map();
    for (const [leaseId, open] of state.leases) addHolder(index, open.row, leaseId);
    holderIndexes.set(state, index);
  }
  return index;
}

function addHolder(index: Map<string, Set<string>>, row: ReportRow, leaseId: string): void {
  const key = holderKey(row.licenceId, row.workstationId);
  const held = index.get(key);
  if (held === undefined) index.set(key, new Set([leaseId]));
  else held.add(leaseId);
}

function removeHolder(index: Map<string, Set<string>>, row: ReportRow, leaseId: string): void {
  const key = holderKey(row.licenceId, row.workstationId);
  const held = index.get(key);
  held?.delete(leaseId);
  if (held?.size === 0) index.delete(key);
}

function startLease(
  state: HistoryState,
  change: HistoryChange,
  leaseId: string,
  row: ReportRow,
  atMs: number,
  options: HistoryOptions,
): void {
  const { delta } = change;
  state.leases.set(leaseId, { row, sinceMs: atMs });
  addHolder(holderIndex(state), row, leaseId);
  change.leases.add(leaseId);
  const key = rowKey(row);
  changeSeats(state.rowSeats, key, 1, atMs, (hourMs) => rowBucket(delta, hourMs, row), options);
  change.rowSeats.add(key);
  changeSeats(
    state.licenceSeats,
    row.licenceId,
    1,
    atMs,
    (hourMs) => licenceBucket(delta, hourMs, row.licenceId),
    options,
  );
  change.licenceSeats.add(row.licenceId);
}

function endLease(
  state: HistoryState,
  change: HistoryChange,
  leaseId: string,
  atMs: number,
  options: HistoryOptions,
): ReportRow | null {
  const open = state.leases.get(leaseId);
  if (open === undefined) return null;
  const { delta } = change;
  const { row } = open;
  addLeaseTime(delta, row, open.sinceMs, atMs, options);
  state.leases.delete(leaseId);
  removeHolder(holderIndex(state), row, leaseId);
  change.leases.add(leaseId);
  const key = rowKey(row);
  changeSeats(state.rowSeats, key, -1, atMs, (hourMs) => rowBucket(delta, hourMs, row), options);
  change.rowSeats.add(key);
  changeSeats(
    state.licenceSeats,
    row.licenceId,
    -1,
    atMs,
    (hourMs) => licenceBucket(delta, hourMs, row.licenceId),
    options,
  );
  change.licenceSeats.add(row.licenceId);
  return row;
}

/**
 * The row a usage report counts under: its workstation's user and host from the lease it holds
 * on the licence (the smallest lease id, should it hold several), or empty when it holds none.
 */
function usageRow(state: HistoryState, licenceId: string, workstationId: string): ReportRow {
  let smallest: string | null = null;
  for (const leaseId of holderIndex(state).get(holderKey(licenceId, workstationId)) ?? []) {
    if (smallest === null || leaseId < smallest) smallest = leaseId;
  }
  const open = smallest === null ? undefined : state.leases.get(smallest);
  return open?.row ?? { licenceId, workstationId, user: '', host: '' };
}

function countDenial(into: Record<string, number>, reason: string): void {
  into[reason] = (into[reason] ?? 0) + 1;
}

/**
 * Folds one applied entry into the state (in place) and returns what it changed; null for an
 * entry already folded in (a restarted node applies again the entries after its snapshot). The
 * figures are added into `into` (a fresh delta by default): the report index passes the delta it
 * has not written yet, which is the same as adding each entry's delta to it, without the copy.
 */
export function foldEntry(
  state: HistoryState,
  input: FoldInput,
  options: HistoryOptions,
  into: HistoryDelta = emptyDelta(),
): HistoryChange | null {
  if (input.index <= state.indexedThrough) return null;
  state.indexedThrough = input.index;
  state.clockMs = Math.max(state.clockMs, input.timestampMs);
  const change = newChange(into);
  const { delta } = change;
  for (const event of input.events) {
    switch (event.kind) {
      case 'lease_started': {
        const row = rowOfLease(event.lease);
        startLease(state, change, event.lease.leaseId, row, event.atMs, options);
        // A lease held again (the backup renewed what had expired here) is a renewal, not a grant.
        const figures = rowBucket(delta, hourOf(event.atMs), row);
        if (event.command === 'acquire_lease') figures.grants += 1;
        else figures.renewals += 1;
        break;
      }
      case 'lease_renewed': {
        const row = rowOfLease(event.lease);
        const open = state.leases.get(event.lease.leaseId);
        // A workstation that asked again under another user or host: its time counts there from now.
        if (open !== undefined && rowKey(open.row) !== rowKey(row)) {
          endLease(state, change, event.lease.leaseId, event.atMs, options);
          startLease(state, change, event.lease.leaseId, row, event.atMs, options);
        }
        rowBucket(delta, hourOf(event.atMs), row).renewals += 1;
        break;
      }
      case 'lease_ended': {
        const row =
          endLease(state, change, event.lease.leaseId, event.atMs, options) ?? rowOfLease(event.lease);
        const figures = rowBucket(delta, hourOf(event.atMs), row);
        if (event.expired) figures.expiries += 1;
        else if (event.command === 'revoke_lease' || event.command === 'deactivate_licence')
          figures.revocations += 1;
        else figures.releases += 1;
        break;
      }
      case 'executed': {
        const { command, result } = event;
        // A malformed command is not a denial of service: nothing in it can be trusted to be a row.
        if (!result.ok && result.reason === 'invalid_command') break;
        if (command.type === 'report_usage') {
          const row = usageRow(state, command.licenceId, command.workstationId);
          const figures = rowBucket(delta, hourOf(event.atMs), row);
          if (result.ok) {
            figures.usageUnits += command.units;
            figures.usageReports += 1;
          } else {
            countDenial(figures.usageDenials, result.reason);
          }
        } else if (command.type === 'acquire_lease' && !result.ok) {
          const row = {
            licenceId: command.licenceId,
            workstationId: command.workstationId,
            user: command.parameters.user,
            host: command.parameters.host,
          };
          countDenial(rowBucket(delta, hourOf(event.atMs), row).leaseDenials, result.reason);
        }
        break;
      }
      default:
        assert.fail(`unknown applied event ${(event as { kind: string }).kind}`);
    }
  }
  return change;
}

/**
 * The node took the ledger from a snapshot (installed from the leader, or found at start) past the
 * entries it folded: the entries in between were never seen here. What was held is counted up to
 * the last entry folded, the skipped stretch is recorded as a gap, and the leases the ledger holds
 * are counted from its clock on. Null when nothing was skipped.
 */
export function restartFrom(
  state: HistoryState,
  ledger: LedgerView,
  options: HistoryOptions,
  into: HistoryDelta = emptyDelta(),
): HistoryChange | null {
  if (ledger.appliedIndex <= state.indexedThrough) return null;
  const change = newChange(into);
  for (const leaseId of [...state.leases.keys()]) endLease(state, change, leaseId, state.clockMs, options);
  assert.equal(state.rowSeats.size, 0, 'every row count ends with its leases');
  assert.equal(state.licenceSeats.size, 0, 'every licence count ends with its leases');
  // With nothing folded yet, the history misses everything before the snapshot.
  const fromMs = state.indexedThrough === 0 ? 0 : state.clockMs;
  const toMs = Math.max(fromMs, ledger.clockMs);
  state.gaps.push({ fromMs, toMs, reason: 'snapshot' });
  if (state.gaps.length > MAX_HISTORY_GAPS) state.gaps.splice(0, state.gaps.length - MAX_HISTORY_GAPS);
  state.indexedThrough = ledger.appliedIndex;
  state.clockMs = Math.max(state.clockMs, ledger.clockMs);
  for (const lease of ledger.leases)
    startLease(state, change, lease.leaseId, rowOfLease(lease), state.clockMs, options);
  return change;
}

/**
 * What is still held counts up to the last entry's time: lease time and peaks of the open leases
 * and counts, for a report asked for now. Depends only on the state, so every node that folded the
 * same entries answers the same.
 */
export function openFigures(state: HistoryState, options: HistoryOptions): HistoryDelta {
  const delta = emptyDelta();
  const untilMs = state.clockMs;
  for (const open of state.leases.values()) addLeaseTime(delta, open.row, open.sinceMs, untilMs, options);
  for (const [key, seats] of state.rowSeats) {
    const row = rowFromKey(key);
    holdPeak((hourMs) => rowBucket(delta, hourMs, row), seats.count, seats.sinceMs, untilMs, options);
  }
  for (const [licenceId, seats] of state.licenceSeats) {
    holdPeak(
      (hourMs) => licenceBucket(delta, hourMs, licenceId),
      seats.count,
      seats.sinceMs,
      untilMs,
      options,
    );
  }
  return delta;
}

/** Forgets the gaps that ended before horizonMs (their figures are pruned too). */
export function forgetGapsBefore(state: HistoryState, horizonMs: number): boolean {
  const kept = state.gaps.filter((gap) => gap.toMs >= horizonMs);
  if (kept.length === state.gaps.length) return false;
  state.gaps = kept;
  return true;
}
