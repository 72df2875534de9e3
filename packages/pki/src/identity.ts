// Who a certificate names: the SAN URI `tandem://<role>/<name>` (docs/security.md). The TLS
// handshake has already checked the chain and the validity; this only reads the name, and must
// never throw, whatever a peer presents.
import { createHash } from 'node:crypto';
import { PkiError } from './errors.js';
import { type CertificateInput, certificateDer, parseCertificate, subjectAltNames } from './read.js';

export const CERTIFICATE_ROLES = ['node', 'witness', 'workstation', 'viewer', 'operator', 'admin'] as const;
export type CertificateRole = (typeof CERTIFICATE_ROLES)[number];

export const NAME_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
/** A UUID matches it too. */
export const CLUSTER_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export interface CertificateIdentity {
  role: CertificateRole;
  name: string;
  /** `tandem://<role>/<name>` */
  uri: string;
}

const IDENTITY_URI = new RegExp(`^tandem://(${CERTIFICATE_ROLES.join('|')})/([A-Za-z0-9._-]{1,128})$`);
const CLUSTER_URI = /^tandem:\/\/cluster\/([A-Za-z0-9._-]{1,64})$/;
/** Any URI of our scheme, well-formed or not: URI schemes are case-insensitive. */
const TANDEM_SCHEME = /^tandem:/i;

export function isCertificateRole(value: unknown): value is CertificateRole {
  return typeof value === 'string' && (CERTIFICATE_ROLES as readonly string[]).includes(value);
}

/** `tandem://<role>/<name>`; a PkiError (bad_argument) for an unknown role or a bad name. */
export function identityUri(role: string, name: string): string {
  if (!isCertificateRole(role)) {
    throw new PkiError('bad_argument', `role must be one of ${CERTIFICATE_ROLES.join(', ')}`, 'role');
  }
  if (!NAME_PATTERN.test(name)) {
    throw new PkiError('bad_argument', 'name must be 1-128 characters of A-Z a-z 0-9 . _ -', 'name');
  }
  return `tandem://${role}/${name}`;
}

export function clusterUri(clusterId: string): string {
  if (!CLUSTER_ID_PATTERN.test(clusterId)) {
    throw new PkiError(
      'bad_argument',
      'cluster id must be 1-64 characters of A-Z a-z 0-9 . _ -',
      'clusterId',
    );
  }
  return `tandem://cluster/${clusterId}`;
}

/** The identity a URI names, or null. */
export function parseIdentityUri(uri: string): CertificateIdentity | null {
  const match = IDENTITY_URI.exec(uri);
  if (match === null) return null;
  return { role: match[1] as CertificateRole, name: match[2] as string, uri };
}

/** The certificate's `tandem:` URIs; null if the certificate or its SAN cannot be read. */
function tandemUris(certificate: CertificateInput): string[] | null {
  try {
    return subjectAltNames(parseCertificate(certificate))
      .map((name) => name.uniformResourceIdentifier)
      .filter((uri): uri is string => typeof uri === 'string' && TANDEM_SCHEME.test(uri));
  } catch {
    return null;
  }
}

/** The one identity URI among `uris`: none, several or a malformed one give null. */
export function identityOfUris(uris: readonly string[]): CertificateIdentity | null {
  const [only, ...others] = uris;
  if (only === undefined || others.length > 0) return null;
  return parseIdentityUri(only);
}

// Parsing costs a few hundred microseconds, and the server reads the identity on every call. The
// identity is a function of the DER bytes, so a bounded cache keyed by their hash is exact.
const CACHE_ENTRIES = 1024;
const cache = new Map<string, Readonly<CertificateIdentity> | null>();

/**
 * The identity of a certificate: exactly one SAN URI `tandem://<role>/<name>` with a known role and
 * a valid name; otherwise (no such URI, several, a malformed one, unreadable input) null. Never
 * throws. It does not check the signature or the validity: use it on a certificate that the TLS
 * handshake verified (`socket.getPeerCertificate()`, grpc-js's `sslPeerCertificate`).
 */
export function identityFromCertificate(certificate: CertificateInput): Readonly<CertificateIdentity> | null {
  const der = certificateDer(certificate);
  if (der === null) return null;
  const key = createHash('sha256').update(der).digest('base64');
  const cached = cache.get(key);
  if (cached !== undefined) {
    // Least recently used goes first: move the hit to the end.
    cache.delete(key);
    cache.set(key, cached);
    return cached;
  }
  const uris = tandemUris(der);
  const identity = uris === null ? null : identityOfUris(uris);
  const frozen = identity === null ? null : Object.freeze(identity);
  if (cache.size >= CACHE_ENTRIES) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, frozen);
  return frozen;
}

/** The cluster id a CA certificate carries as its one `tandem://cluster/<id>` URI, or null. */
export function clusterIdOfCa(caCertificate: CertificateInput): string | null {
  const uris = tandemUris(caCertificate);
  if (uris === null || uris.length !== 1) return null;
  return CLUSTER_URI.exec(uris[0] as string)?.[1] ?? null;
}
