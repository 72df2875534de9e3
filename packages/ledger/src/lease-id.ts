// Lease ids: `lease-<term>-<index>-<nonce>`, from the log entry that granted the lease and the nonce
// the server chose for the acquire command. An index alone is unique within one log, but after a
// split brain in pair mode two logs hold different entries at the same index; each term belongs to
// one node, so the term makes the id unique across both. The nonce (64 random bits, chosen at the
// edge and carried in the command, so that every node makes the same id) makes the id unguessable.
// Leases granted before ids had a nonce are `lease-<term>-<index>`; such ids still parse.

const LEASE_ID_PATTERN = /^lease-([1-9][0-9]*)-([1-9][0-9]*)(?:-([0-9a-f]{16}))?$/;
/** A nonce, or '' in an acquire command written before lease ids had one. */
export const LEASE_NONCE_PATTERN = /^(?:[0-9a-f]{16})?$/;

export interface Grant {
  grantTerm: number;
  grantIndex: number;
}

/**
 * Joined rather than concatenated: V8 keeps a concatenation of more than 12 characters as a pair of
 * strings (and adds a flat copy once it is hashed), which with every live lease costs memory.
 */
export function leaseIdFor(grantTerm: number, grantIndex: number, nonce: string): string {
  return nonce === ''
    ? ['lease', grantTerm, grantIndex].join('-')
    : ['lease', grantTerm, grantIndex, nonce].join('-');
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
