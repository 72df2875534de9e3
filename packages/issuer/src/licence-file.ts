// Signing and verifying licence files (the format is @tandem/ledger's licence-file.ts; the vendor's
// side is docs/vendor-licences.md). The vendor signs with tandem-issuer; every tandemd verifies a
// file against the vendor keys in its configuration before it proposes the activation, and the
// ledger then re-checks what it can without keys (cluster id, serial, expiry).
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import {
  checkLicenceTerms,
  encodeLicenceFile,
  encodeLicencePayload,
  KEY_ID_PATTERN,
  type LicenceTerms,
  readLicenceEnvelope,
  readLicencePayload,
  signedMessage,
} from '@tandem/ledger';

/** Why a licence file is refused before anything is proposed; each becomes INVALID_ARGUMENT at the edge. */
export type LicenceFileProblem =
  | 'licence_file_malformed'
  | 'licence_key_unknown'
  | 'licence_signature_invalid';

export class LicenceFileError extends Error {
  readonly retryable = false;
  constructor(
    readonly code: LicenceFileProblem,
    message: string,
  ) {
    super(message);
    this.name = 'LicenceFileError';
  }
}

/** Terms that the ledger would refuse; `field` is the payload's snake_case name. */
export class LicenceTermsError extends Error {
  readonly code = 'invalid_terms';
  readonly retryable = false;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'LicenceTermsError';
  }
}

/** A public key a node accepts files from. */
export interface VendorKey {
  id: string;
  publicKey: KeyObject;
}

/** The vendor's private key and the id its files name. */
export interface VendorSigner {
  keyId: string;
  privateKey: KeyObject;
}

export interface VerifiedLicenceFile {
  keyId: string;
  terms: LicenceTerms;
}

function requireEd25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(`${what} is a ${key.asymmetricKeyType ?? key.type} key, not an Ed25519 key`);
  }
  return key;
}

/** An Ed25519 public key from PEM (SPKI); throws a TypeError naming what is wrong. */
export function parsePublicKey(pem: string): KeyObject {
  // createPublicKey would derive the public key from a private one; a private key has no place here.
  if (pem.includes('PRIVATE KEY')) throw new TypeError('this is a private key: give the public key');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new TypeError(`not a PEM public key (${(error as Error).message})`);
  }
  return requireEd25519(key, 'the public key');
}

/** An Ed25519 private key from PEM (PKCS#8); throws a TypeError naming what is wrong. */
export function parsePrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new TypeError(`not a PEM private key (${(error as Error).message})`);
  }
  return requireEd25519(key, 'the private key');
}

export function generateVendorKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

/** A short, stable name for a public key: the first 16 hex digits of the sha256 of its DER. */
export function keyFingerprint(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

export function isValidKeyId(value: string): boolean {
  return KEY_ID_PATTERN.test(value);
}

/** Signs exactly these payload bytes. Only tests need a payload the ledger would refuse. */
export function signLicencePayload(payload: Uint8Array, signer: VendorSigner): string {
  if (!isValidKeyId(signer.keyId))
    throw new TypeError(`key id "${signer.keyId}" must be 1..64 of A-Z a-z 0-9 . _ -`);
  requireEd25519(signer.privateKey, 'the signing key');
  const signature = sign(null, signedMessage(payload), signer.privateKey);
  return encodeLicenceFile({ keyId: signer.keyId, payload, signature });
}

/** A licence file for the terms; throws LicenceTermsError for terms the ledger would refuse. */
export function signLicence(terms: LicenceTerms, signer: VendorSigner): string {
  const invalid = checkLicenceTerms(terms);
  if (invalid !== null) throw new LicenceTermsError(invalid.field, invalid.message);
  return signLicencePayload(encodeLicencePayload(terms), signer);
}

/**
 * Checks a licence file against the vendor keys a node trusts: its envelope, the key it names, the
 * signature over the payload, and only then the payload's terms (so that a file tampered with reads
 * as a bad signature, not as bad terms). Throws LicenceFileError naming the problem.
 */
export function verifyLicenceFile(text: string, keys: readonly VendorKey[]): VerifiedLicenceFile {
  const envelope = readLicenceEnvelope(text);
  if (!envelope.ok)
    throw new LicenceFileError('licence_file_malformed', `the licence file ${envelope.problem}`);
  const { keyId, payload, signature } = envelope.envelope;
  const key = keys.find((candidate) => candidate.id === keyId);
  if (key === undefined) {
    const known =
      keys.length === 0 ? 'no vendor keys are configured' : `known: ${keys.map((k) => k.id).join(', ')}`;
    throw new LicenceFileError(
      'licence_key_unknown',
      `the licence file is signed with vendor key "${keyId}", which this cluster does not trust (${known})`,
    );
  }
  if (!verify(null, signedMessage(payload), key.publicKey, signature)) {
    throw new LicenceFileError(
      'licence_signature_invalid',
      `the licence file's signature does not verify with vendor key "${keyId}": it was changed after signing, or signed with another key`,
    );
  }
  const read = readLicencePayload(payload);
  if (!read.ok) throw new LicenceFileError('licence_file_malformed', `the licence file's ${read.problem}`);
  const invalid = checkLicenceTerms(read.terms);
  if (invalid !== null) {
    throw new LicenceFileError(
      'licence_file_malformed',
      `the licence file's ${invalid.field}: ${invalid.message}`,
    );
  }
  return { keyId, terms: read.terms };
}

/** Whether a file's signature verifies with this key, whatever key id the file names (for inspect). */
export function signatureVerifiesWith(text: string, publicKey: KeyObject): boolean {
  const envelope = readLicenceEnvelope(text);
  if (!envelope.ok) return false;
  return verify(null, signedMessage(envelope.envelope.payload), publicKey, envelope.envelope.signature);
}
