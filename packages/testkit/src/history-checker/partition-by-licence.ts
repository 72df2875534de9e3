// Commands on different licences never influence one another, so a history may be checked one
// licence at a time (P-compositionality), which shrinks the search exponentially.
import { type Command, readLicenceFile } from '@tandem/ledger';
import { type Operation, operationResult } from './history.js';

/**
 * Splits a history by licence, in invocation order within each part. Lease commands name a lease,
 * not a licence: they are placed by the licence of that lease as any recorded result shows it.
 * Returns null when no sound split exists: a leader command (tick, extend_leases) touches every
 * licence, and a lease command whose lease is unknown might act on a lease granted by an acquire
 * whose answer was lost, on any licence.
 */
export function partitionByLicence(operations: readonly Operation[]): Map<string, Operation[]> | null {
  const licenceByLeaseId = new Map<string, string>();
  let unknownAcquireCount = 0;
  for (const operation of operations) {
    const result = operationResult(operation);
    if (result === null && operation.command.type === 'acquire_lease') unknownAcquireCount += 1;
    if (result?.ok === true && result.outcome.kind === 'lease') {
      licenceByLeaseId.set(result.outcome.lease.leaseId, result.outcome.lease.licenceId);
    }
  }
  const parts = new Map<string, Operation[]>();
  for (const operation of operations) {
    const licenceId = licenceOf(operation.command, licenceByLeaseId);
    if (licenceId === null) return null;
    // The empty key holds lease commands on leases no licence ever granted: they can only be refused.
    if (licenceId === '' && unknownAcquireCount > 0) return null;
    const part = parts.get(licenceId);
    if (part === undefined) parts.set(licenceId, [operation]);
    else part.push(operation);
  }
  return new Map([...parts.entries()].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0)));
}

/** The licence a command acts on; '' for a lease nobody was seen to hold; null for every licence. */
function licenceOf(command: Command, licenceByLeaseId: ReadonlyMap<string, string>): string | null {
  switch (command.type) {
    case 'activate_licence': {
      const reading = readLicenceFile(command.licenceFile);
      return reading.ok ? reading.file.terms.licenceId : '';
    }
    case 'legacy_activate_licence':
      return command.licence.licenceId;
    case 'update_licence':
    case 'legacy_update_licence':
    case 'deactivate_licence':
    case 'acquire_lease':
    case 'report_usage':
      return command.licenceId;
    case 'renew_lease':
    case 'release_lease':
    case 'revoke_lease':
    case 'lease_intent':
      return licenceByLeaseId.get(command.leaseId) ?? '';
    case 'tick':
    case 'extend_leases':
    case 'set_cluster_id':
    case 'audit_note':
    case 'merge':
      return null;
  }
}
