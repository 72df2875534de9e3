// The limits a ledger enforces. Every node of a cluster must run with the same options, because
// the options decide results (a TTL accepted on one node and rejected on another would split the
// replicated state).
import assert from 'node:assert/strict';

const HOUR_MS = 60 * 60 * 1000;

export interface LedgerOptions {
  /** How long a request id and its first result are remembered, in entry time. */
  idempotencyWindowMs: number;
  /** At most this many request ids are remembered; the oldest is forgotten first. */
  idempotencyMaxEntries: number;
  /**
   * And at most about this many bytes of them, by an estimate of what each record costs
   * (request-book.ts: about 124 bytes for a lease or usage answer, more for a licence's); the
   * oldest is forgotten first. The newest record is always kept.
   */
  idempotencyMaxBytes: number;
  /** The longest TTL a lease may be granted or renewed with. */
  maxTtlMs: number;
  /** The largest single extend_leases step (a failover longer than this is capped by the proposer). */
  maxExtendMs: number;
  /** Licences the ledger will hold, deactivated ones included (they are never deleted). */
  maxLicences: number;
  /** Leases the ledger will hold across all licences. */
  maxLeases: number;
  /** Usage periods kept per licence; the period with the earliest start is forgotten first. */
  usageHistoryPeriods: number;
  /** Audit records kept; the oldest is forgotten first. */
  auditMaxEntries: number;
  /** How long an audit record is kept, in entry time. */
  auditRetentionMs: number;
  /**
   * Ended leases remembered for the over-grant record of a merge (seat-history.ts); the earliest
   * ended is forgotten first.
   */
  seatHistoryMaxEntries: number;
  /** How long an ended lease is remembered for the over-grant record, in entry time. */
  seatHistoryRetentionMs: number;
  /**
   * Tombstones of releases and renewals recorded for leases this side did not know
   * (lease-intents.ts); the earliest recorded is forgotten first.
   */
  leaseIntentMaxEntries: number;
  /** How long a tombstone is kept, in entry time. */
  leaseIntentRetentionMs: number;
}

export const DEFAULT_LEDGER_OPTIONS: Readonly<LedgerOptions> = Object.freeze({
  idempotencyWindowMs: 24 * HOUR_MS,
  idempotencyMaxEntries: 100_000,
  idempotencyMaxBytes: 128 * 1024 * 1024,
  maxTtlMs: 24 * HOUR_MS,
  maxExtendMs: 24 * HOUR_MS,
  maxLicences: 100_000,
  maxLeases: 1_000_000,
  usageHistoryPeriods: 400,
  auditMaxEntries: 100_000,
  auditRetentionMs: 366 * 24 * HOUR_MS,
  seatHistoryMaxEntries: 10_000,
  seatHistoryRetentionMs: 24 * HOUR_MS,
  leaseIntentMaxEntries: 10_000,
  leaseIntentRetentionMs: 24 * HOUR_MS,
});

/** Fills in defaults and asserts that every limit is a positive safe integer. */
export function resolveLedgerOptions(options: Partial<LedgerOptions> = {}): Readonly<LedgerOptions> {
  const resolved: LedgerOptions = { ...DEFAULT_LEDGER_OPTIONS };
  for (const key of Object.keys(DEFAULT_LEDGER_OPTIONS) as (keyof LedgerOptions)[]) {
    const value = options[key];
    if (value !== undefined) resolved[key] = value;
    assert.ok(
      Number.isSafeInteger(resolved[key]) && resolved[key] > 0,
      `ledger option ${key} must be a positive safe integer, got ${String(resolved[key])}`,
    );
  }
  return Object.freeze(resolved);
}
