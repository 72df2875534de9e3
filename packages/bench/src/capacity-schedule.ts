// When each simulated workstation of the capacity workload renews: open loop, by the clock. N
// workstations renew once a period each, workstation i at i/N of the period, so that the renewals
// are spread evenly; a renewal is due at its time whether or not the cluster has answered the
// others (a closed loop, which sends the next request when an answer comes, would hide queueing:
// a slow server would simply be asked less). Pure: the caller passes the time.

/** The lease TTL the capacity workload asks for, as a workstation at the default settings would. */
export const CAPACITY_TTL_MS = 30_000;
/** Renewal every third of the TTL, as the client library renews. */
export const RENEWAL_PERIOD_MS = 10_000;

export interface DueRenewal {
  position: number;
  /** When the renewal was due (the origin's clock): its latency is measured from here. */
  dueMs: number;
}

/**
 * The renewal times of `workstations` positions, one per period each, position i at i/N of the
 * period after the origin. resize() spreads a grown population again: every position's next renewal
 * is then within one period, so that no lease goes more than two periods (20 s of its 30 s TTL)
 * without a renewal when the population changes.
 */
export class RenewalSchedule {
  #workstations = 0;
  #cycle = 0;
  #next = 0;

  constructor(
    readonly originMs: number,
    readonly periodMs: number,
  ) {
    if (!(periodMs > 0)) throw new RangeError(`periodMs must be positive, not ${periodMs}`);
  }

  get workstations(): number {
    return this.#workstations;
  }

  /** The phase of a position in a population of `workstations`. */
  phaseMs(position: number): number {
    return (position * this.periodMs) / this.#workstations;
  }

  /** From now on `workstations` positions renew; the next one is the first due after nowMs. */
  resize(workstations: number, nowMs: number): void {
    if (!Number.isSafeInteger(workstations) || workstations < 0) {
      throw new RangeError(`workstations must be a non-negative integer, not ${workstations}`);
    }
    this.#workstations = workstations;
    if (workstations === 0) return;
    const sinceOriginMs = Math.max(0, nowMs - this.originMs);
    this.#cycle = Math.floor(sinceOriginMs / this.periodMs);
    this.#next = 0;
    while (this.#next < workstations && this.#dueOf(this.#cycle, this.#next) <= nowMs) this.#next += 1;
    if (this.#next === workstations) {
      this.#next = 0;
      this.#cycle += 1;
    }
  }

  /** When the next renewal is due, or null when no position renews. */
  nextDueMs(): number | null {
    return this.#workstations === 0 ? null : this.#dueOf(this.#cycle, this.#next);
  }

  /** The renewals due at nowMs or before, in order, at most `limit` of them (the rest stay due). */
  takeDue(nowMs: number, limit: number): DueRenewal[] {
    const due: DueRenewal[] = [];
    while (this.#workstations > 0 && due.length < limit) {
      const dueMs = this.#dueOf(this.#cycle, this.#next);
      if (dueMs > nowMs) break;
      due.push({ position: this.#next, dueMs });
      this.#next += 1;
      if (this.#next === this.#workstations) {
        this.#next = 0;
        this.#cycle += 1;
      }
    }
    return due;
  }

  #dueOf(cycle: number, position: number): number {
    return this.originMs + cycle * this.periodMs + this.phaseMs(position);
  }
}
