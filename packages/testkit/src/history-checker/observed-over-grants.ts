// Over-grants as the workstations saw them, held against the incidents the ledger recorded. In pair
// mode a split brain may grant more seats than a licence has; the ledger must record every such
// stretch a workstation could have seen (docs/partitions.md). This is the check the outside
// partition harness of issue 14 made, shared by the simulation's checker and the partition matrix.
import {
  type Command,
  grantOf,
  type Incident,
  overGrantStretches,
  type Result,
  type SeatInterval,
} from '@tandem/ledger';

/** One request as a workstation saw it: its first sending, and its answer (null: none came). */
export interface SeenRequest {
  command: Command;
  invokedAtMs: number;
  answeredAtMs: number | null;
  result: Result | null;
}

/** A lease a workstation held, as far as it knew: from the grant's answer until `endMs`. */
export interface HeldLease {
  leaseId: string;
  licenceId: string;
  grantTerm: number;
  startMs: number;
  endMs: number;
}

/**
 * The leases the workstations held, from their requests in the order they were sent: each from
 * the answer that granted it until the workstation sent its release, got a renewal refused, or
 * the TTL after it last sent a renewal (or an acquire handing it back) ran out, whichever came
 * first. Times are the workstations' own, which the ledger's cannot be earlier than (a grant is
 * applied before it is answered, a release after it is sent).
 */
export function leasesHeld(requests: Iterable<SeenRequest>, untilMs: number): HeldLease[] {
  const held = new Map<string, HeldLease>();
  const ends: SeenRequest[] = [];
  for (const request of requests) {
    const { command, result } = request;
    if (command.type === 'release_lease' || command.type === 'renew_lease') ends.push(request);
    if (request.answeredAtMs === null || result === null || !result.ok || result.outcome.kind !== 'lease')
      continue;
    const lease = result.outcome.lease;
    const grant = grantOf(lease.leaseId);
    if (grant === null || command.type === 'release_lease' || command.type === 'revoke_lease') continue;
    // From the time the workstation asked: the ledger cannot have renewed it earlier.
    const lapsesAtMs = Math.min(untilMs, request.invokedAtMs + lease.ttlMs);
    const current = held.get(lease.leaseId);
    if (current === undefined) {
      if (command.type !== 'acquire_lease') continue;
      held.set(lease.leaseId, {
        leaseId: lease.leaseId,
        licenceId: lease.licenceId,
        grantTerm: grant.grantTerm,
        startMs: request.answeredAtMs,
        endMs: lapsesAtMs,
      });
    } else {
      // The latest renewal (or acquire handing the lease back) sets the expiry; it may shorten it.
      current.endMs = lapsesAtMs;
    }
  }
  for (const request of ends) {
    const { command } = request;
    if (command.type !== 'release_lease' && command.type !== 'renew_lease') continue;
    const current = held.get(command.leaseId);
    if (current === undefined) continue;
    if (command.type === 'release_lease') current.endMs = Math.min(current.endMs, request.invokedAtMs);
    else if (request.answeredAtMs !== null && request.result !== null && !request.result.ok)
      current.endMs = Math.min(current.endMs, request.answeredAtMs);
  }
  return [...held.values()];
}

/**
 * Every stretch during which the workstations held more leases of a licence at once than it has
 * seats, for longer than `toleranceMs` (the nodes' clock offset: the ledger orders leases by its
 * leaders' clocks), must be named by a seats incident of that licence whose grant terms include
 * every term that granted a lease held during it. Returns one message per stretch that is not.
 */
export function uncoveredOverGrants(
  held: readonly HeldLease[],
  licences: Iterable<{ licenceId: string; seats: number }>,
  incidents: readonly Incident[],
  options: { toleranceMs: number; nowMs: number },
): string[] {
  const problems: string[] = [];
  for (const licence of licences) {
    const intervals: SeatInterval[] = held
      .filter((lease) => lease.licenceId === licence.licenceId && lease.endMs > lease.startMs)
      .map((lease) => ({ startMs: lease.startMs, endMs: lease.endMs, grantTerm: lease.grantTerm }));
    for (const stretch of overGrantStretches(intervals, licence.seats)) {
      const lastedMs = (stretch.endedAtMs ?? options.nowMs) - stretch.startedAtMs;
      if (lastedMs <= options.toleranceMs) continue;
      const covered = incidents.some(
        (incident) =>
          incident.licenceId === licence.licenceId &&
          incident.kind === 'seats' &&
          stretch.grantTerms.every((term) => incident.grantTerms.includes(term)),
      );
      if (covered) continue;
      problems.push(
        `workstations held ${stretch.peak} leases of licence ${licence.licenceId} (${licence.seats} seats) ` +
          `at once for ${lastedMs} ms from ${stretch.startedAtMs}, granted in terms ` +
          `${stretch.grantTerms.join(', ')}, and no seats incident names those terms`,
      );
    }
  }
  return problems;
}
