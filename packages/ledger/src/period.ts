// Usage periods in UTC. A period is the half-open interval [periodStartMs, periodEndMs). Days start
// at UTC midnight, weeks on Monday 00:00 UTC (ISO 8601), months on the first day at 00:00 UTC.
// Everything here is pure arithmetic on the given milliseconds; no local time zone is involved.
import assert from 'node:assert/strict';
import type { Period } from './types.js';

export const DAY_MS = 24 * 60 * 60 * 1000;
export const WEEK_MS = 7 * DAY_MS;
/** The Unix epoch (day 0) was a Thursday: three days after the Monday that starts its ISO week. */
const EPOCH_DAYS_AFTER_MONDAY = 3;

export const PERIODS: readonly Period[] = Object.freeze(['day', 'week', 'month']);

export function isPeriod(value: unknown): value is Period {
  return value === 'day' || value === 'week' || value === 'month';
}

export interface PeriodBounds {
  periodStartMs: number;
  periodEndMs: number;
}

export function periodStartMs(period: Period, atMs: number): number {
  return periodBounds(period, atMs).periodStartMs;
}

export function periodEndMs(period: Period, atMs: number): number {
  return periodBounds(period, atMs).periodEndMs;
}

/** The bounds of the period of the given kind that contains atMs. */
export function periodBounds(period: Period, atMs: number): PeriodBounds {
  assert.ok(Number.isSafeInteger(atMs), `period time must be a safe integer, got ${atMs}`);
  switch (period) {
    case 'day': {
      const start = Math.floor(atMs / DAY_MS) * DAY_MS;
      return { periodStartMs: start, periodEndMs: start + DAY_MS };
    }
    case 'week': {
      const day = Math.floor(atMs / DAY_MS);
      const daysSinceMonday = (((day + EPOCH_DAYS_AFTER_MONDAY) % 7) + 7) % 7;
      const start = (day - daysSinceMonday) * DAY_MS;
      return { periodStartMs: start, periodEndMs: start + WEEK_MS };
    }
    case 'month': {
      const date = new Date(atMs);
      const year = date.getUTCFullYear();
      const month = date.getUTCMonth();
      // Date.UTC carries month 12 into January of the next year.
      return { periodStartMs: Date.UTC(year, month, 1), periodEndMs: Date.UTC(year, month + 1, 1) };
    }
    default:
      return assert.fail(`unknown period ${String(period)}`);
  }
}
