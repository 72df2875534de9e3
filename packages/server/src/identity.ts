// Who is calling: the identity the server works out for every call from its client certificate or
// its bearer token (see auth.ts), and the one place handlers read it from. Handlers never read an
// identity from a message field: a peer's id comes from its certificate, a workstation's from its
// certificate or token, so that a caller cannot speak for someone else.
import type * as grpc from '@grpc/grpc-js';
import { PermissionError } from './errors.js';

/** The roles of docs/security.md, from the least to the most trusted client role, then the peers. */
export type CallerRole = 'workstation' | 'viewer' | 'operator' | 'admin' | 'node' | 'witness';

export const CALLER_ROLES: readonly CallerRole[] = [
  'workstation',
  'viewer',
  'operator',
  'admin',
  'node',
  'witness',
];

export interface Identity {
  /**
   * The certificate's name (from its SAN URI `tandem://<role>/<name>`), or the token's name. For a
   * workstation it is the workstation id; for a node or the witness, the node id.
   */
  name: string;
  role: CallerRole;
  /** How the identity was established; `insecure` only on a listener configured with insecure: true. */
  via: 'certificate' | 'token' | 'insecure';
  /** The caller's address as the transport saw it (host:port). */
  from: string;
}

type AnyCall = { getPeer(): string };

const identities = new WeakMap<object, Identity>();

/** Called by the guard (auth.ts) once the caller is authenticated and allowed. */
export function attachIdentity(call: object, identity: Identity): void {
  identities.set(call, identity);
}

/**
 * The identity of an authenticated call. A call that reached a handler without the guard is a
 * programmer error in production; before the guard wraps a service (unit tests that mount handlers
 * directly), the caller is an insecure admin.
 */
export function identityOf(call: AnyCall | grpc.ServerUnaryCall<unknown, unknown>): Identity {
  return identities.get(call) ?? { name: 'anonymous', role: 'admin', via: 'insecure', from: safePeer(call) };
}

function safePeer(call: AnyCall): string {
  try {
    return call.getPeer();
  } catch {
    return 'unknown';
  }
}

/**
 * A peer's message names its sender (leader_id, candidate_id, backup_id); the certificate already
 * did. They must agree, or the message speaks for another node: PERMISSION_DENIED, nothing changes.
 * On an insecure listener there is no certificate and the field is all there is.
 */
export function requireSender(call: AnyCall, claimedId: string, field: string): void {
  const identity = identityOf(call);
  if (identity.via === 'insecure') return;
  if (identity.role !== 'node' || identity.name !== claimedId) {
    throw new PermissionError(
      field,
      `"${claimedId.slice(0, 64)}" is not the sender: the caller's certificate names ${identity.role} "${identity.name}"`,
    );
  }
}

/**
 * The workstation a caller may act for: a workstation only for itself (its certificate's or
 * token's name); an admin, or any caller on an insecure listener, for any workstation (null).
 */
export function workstationOf(call: AnyCall): string | null {
  const identity = identityOf(call);
  if (identity.via === 'insecure' || identity.role === 'admin') return null;
  return identity.name;
}
