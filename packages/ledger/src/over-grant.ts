// Over-grants across both histories of a split brain. A merge knows every lease either side held
// (the main's live and lately ended leases, with the backup's grants and releases now applied), each
// with its lifetime in leader time. Sweeping those lifetimes in time order gives the seats held at
// once, and every stretch where that went over the licence's seats is an over-grant a workstation
// could have seen, even one whose leases were all released before the heal.
//
// Times are the leaders' clocks. The two nodes' clocks differ by their offset, so an over-grant
// shorter than that offset can be missed, or one seen that no workstation saw (docs/partitions.md).
import assert from 'node:assert/strict';

/** One lease's lifetime: held from startMs until endMs (null: still held). */
export interface SeatInterval {
  startMs: number;
  endMs: number | null;
  grantTerm: number;
}

/** A stretch of time during which more leases were held at once than the licence has seats. */
export interface OverGrantStretch {
  startedAtMs: number;
  /** Null while it lasts (the last stretch only). */
  endedAtMs: number | null;
  /** The most leases held at once during the stretch. */
  peak: number;
  /** The terms that granted every lease held during the stretch, ascending. */
  grantTerms: number[];
}

/** Stretches reported per licence and merge; later ones are folded into the last kept one. */
export const MAX_OVER_GRANT_STRETCHES = 16;
/** Grant terms named per stretch (a flapping link makes many); the latest are dropped. */
export const MAX_GRANT_TERMS = 64;

/**
 * The stretches over `limit`, in time order. A lease that ends at the moment another starts is not
 * held with it. At most MAX_OVER_GRANT_STRETCHES: a later stretch is folded into the last kept one
 * (the span covers both, the peak is the larger), except one that still lasts, which is kept apart.
 */
export function overGrantStretches(intervals: readonly SeatInterval[], limit: number): OverGrantStretch[] {
  assert.ok(Number.isSafeInteger(limit) && limit >= 0, 'a seat limit is a count');
  // Ends sort before starts at the same time.
  const events: Array<{ atMs: number; delta: 1 | -1; grantTerm: number }> = [];
  for (const interval of intervals) {
    assert.ok(interval.endMs === null || interval.endMs >= interval.startMs, 'a lease ends after it starts');
    // Released in the millisecond it was granted: never held at the same time as another.
    if (interval.endMs === interval.startMs) continue;
    events.push({ atMs: interval.startMs, delta: 1, grantTerm: interval.grantTerm });
    if (interval.endMs !== null)
      events.push({ atMs: interval.endMs, delta: -1, grantTerm: interval.grantTerm });
  }
  events.sort((a, b) => a.atMs - b.atMs || a.delta - b.delta || a.grantTerm - b.grantTerm);

  const stretches: OverGrantStretch[] = [];
  /** Live leases per grant term. */
  const live = new Map<number, number>();
  let held = 0;
  let current: { startedAtMs: number; peak: number; terms: Set<number> } | null = null;
  for (let position = 0; position < events.length; ) {
    const atMs = (events[position] as (typeof events)[number]).atMs;
    // Every event at one instant is taken together: the count between instants is what was held.
    for (
      ;
      position < events.length && (events[position] as (typeof events)[number]).atMs === atMs;
      position++
    ) {
      const event = events[position] as (typeof events)[number];
      held += event.delta;
      const count = (live.get(event.grantTerm) ?? 0) + event.delta;
      if (count === 0) live.delete(event.grantTerm);
      else live.set(event.grantTerm, count);
    }
    assert.ok(held >= 0, 'every lease ends after it starts');
    if (held > limit) {
      if (current === null) current = { startedAtMs: atMs, peak: held, terms: new Set() };
      current.peak = Math.max(current.peak, held);
      for (const term of live.keys()) current.terms.add(term);
    } else if (current !== null) {
      pushStretch(stretches, { ...finish(current), endedAtMs: atMs });
      current = null;
    }
  }
  if (current !== null) stretches.push({ ...finish(current), endedAtMs: null });
  return stretches;
}

function finish(current: { startedAtMs: number; peak: number; terms: Set<number> }): OverGrantStretch {
  return {
    startedAtMs: current.startedAtMs,
    endedAtMs: null,
    peak: current.peak,
    grantTerms: boundedTerms(current.terms),
  };
}

function boundedTerms(terms: Iterable<number>): number[] {
  return [...new Set(terms)].sort((a, b) => a - b).slice(0, MAX_GRANT_TERMS);
}

/** Adds a finished stretch, folding it into the last one once the bound is reached. */
function pushStretch(stretches: OverGrantStretch[], stretch: OverGrantStretch): void {
  // One place is left for a stretch that still lasts at the end.
  if (stretches.length < MAX_OVER_GRANT_STRETCHES - 1) {
    stretches.push(stretch);
    return;
  }
  const last = stretches[stretches.length - 1] as OverGrantStretch;
  stretches[stretches.length - 1] = {
    startedAtMs: last.startedAtMs,
    endedAtMs: stretch.endedAtMs,
    peak: Math.max(last.peak, stretch.peak),
    grantTerms: boundedTerms([...last.grantTerms, ...stretch.grantTerms]),
  };
}
