// Lease ids: `lease-<term>-<index>`, from the log entry that granted the lease. An index alone is
// unique within one log, but after a split brain in pair mode two logs hold different entries at
// the same index; each term belongs to one node, so the term makes the id unique across both.

const LEASE_ID_PATTERN = /^lease-([1-9][0-9]*)-([1-9][0-9]*)$/;

export interface Grant {
  grantTerm: number;
  grantIndex: number;
}

/**
 * Joined rather than concatenated: V8 keeps a concatenation of more than 12 characters as a pair of
 * strings (and adds a flat copy once it is hashed), which with every live lease costs memory.
 */
export function leaseIdFor(grantTerm: number, grantIndex: number): string {
  return ['lease', grantTerm, grantIndex].join('-');
}

/** The grant term and index in a lease id, or null if the id is not one a ledger could have made. */
export function grantOf(leaseId: unknown): Grant | null {
  if (typeof leaseId !== 'string') return null;
  const match = LEASE_ID_PATTERN.exec(leaseId);
  if (match === null) return null;
  const grantTerm = Number(match[1]);
  const grantIndex = Number(match[2]);
  if (!Number.isSafeInteger(grantTerm) || !Number.isSafeInteger(grantIndex)) return null;
  return { grantTerm, grantIndex };
}
