// The fate of releases: a workstation that was told its release was done (released, or recorded as
// an intent on the side of a split that did not know the lease) must not find the lease still held
// in the final ledger, unless it took the same lease again after it sent the release (an acquire
// answered with it, a renewal of it answered with success). Issue 14: in pair mode a release sent
// to the wrong side of a split was answered NOT_FOUND and the lease lived on. Shared by the
// simulation's checker and the partition matrix.
import type { Lease } from '@tandem/ledger';
import type { SeenRequest } from './observed-over-grants.js';

/** A request as `releasesLost` needs it: who sent it, besides what observed-over-grants needs. */
export interface SeenWorkstationRequest extends SeenRequest {
  workstationId: string;
}

/** A release answered as done whose lease the final ledger still holds. */
export interface LostRelease<R extends SeenWorkstationRequest> {
  release: R;
  live: Lease;
}

export function releasesLost<R extends SeenWorkstationRequest>(
  requests: readonly R[],
  liveLease: (leaseId: string) => Lease | undefined,
): LostRelease<R>[] {
  // The last time each workstation took each lease, by the time it sent that request.
  const takenAtMs = new Map<string, number>();
  const key = (workstationId: string, leaseId: string) => `${workstationId} ${leaseId}`;
  for (const request of requests) {
    const { command, result } = request;
    if (result === null || !result.ok) continue;
    let leaseId: string | null = null;
    if (command.type === 'acquire_lease' && result.outcome.kind === 'lease')
      leaseId = result.outcome.lease.leaseId;
    if (command.type === 'renew_lease') leaseId = command.leaseId;
    if (leaseId === null) continue;
    const at = key(request.workstationId, leaseId);
    takenAtMs.set(at, Math.max(takenAtMs.get(at) ?? Number.NEGATIVE_INFINITY, request.invokedAtMs));
  }
  const lost: LostRelease<R>[] = [];
  for (const request of requests) {
    const { command, result } = request;
    if (command.type !== 'release_lease' || result === null || !result.ok) continue;
    const live = liveLease(command.leaseId);
    if (live === undefined) continue;
    const retakenAtMs =
      takenAtMs.get(key(request.workstationId, command.leaseId)) ?? Number.NEGATIVE_INFINITY;
    if (retakenAtMs > request.invokedAtMs) continue;
    lost.push({ release: request, live });
  }
  return lost;
}
