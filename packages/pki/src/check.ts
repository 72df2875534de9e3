// Checks on certificate files, for tandemctl and the server: what a certificate says, whether a key
// belongs to it, whether a CA signed it. Signature and key checks go through node:crypto (OpenSSL,
// as TLS itself does); the two booleans answer false for anything unreadable rather than throw.
import 'reflect-metadata'; // @peculiar/x509 resolves its parts with tsyringe, which needs it first.
import { createHash, createPrivateKey, X509Certificate as NodeX509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import type { GeneralName } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { PkiError } from './errors.js';
import { type CertificateIdentity, clusterIdOfCa, identityOfUris } from './identity.js';
import {
  type CertificateInput,
  certificateDer,
  isCaCertificate,
  messageOf,
  parseCertificate,
  subjectAltNames,
} from './read.js';

export interface CertificateDescription {
  subject: string;
  issuer: string;
  /** Upper-case hex, as OpenSSL shows it. */
  serialNumber: string;
  notBeforeMs: number;
  notAfterMs: number;
  /** SHA-256 of the DER, upper-case hex pairs joined by colons (as Node's fingerprint256). */
  fingerprintSha256: string;
  /** `URI:...`, `DNS:...`, `IP:...`, `email:...`, `DirName:...`, `RID:...`, `othername:<oid>` */
  sans: string[];
  identity: CertificateIdentity | null;
  /** The cluster id of a cluster CA certificate, else null. */
  clusterId: string | null;
  isCa: boolean;
}

function describeName(name: GeneralName): string {
  if (name.uniformResourceIdentifier !== undefined) return `URI:${name.uniformResourceIdentifier}`;
  if (name.dNSName !== undefined) return `DNS:${name.dNSName}`;
  if (name.iPAddress !== undefined) return `IP:${name.iPAddress}`;
  if (name.rfc822Name !== undefined) return `email:${name.rfc822Name}`;
  if (name.directoryName !== undefined)
    return `DirName:${new x509.Name(AsnConvert.serialize(name.directoryName)).toString()}`;
  if (name.registeredID !== undefined) return `RID:${name.registeredID}`;
  if (name.otherName !== undefined) return `othername:${name.otherName.typeId}`;
  return 'unsupported';
}

function colonHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase().match(/../g)?.join(':') ?? '';
}

/** What a certificate says; a PkiError (bad_certificate) if it cannot be read. */
export function describeCertificate(certificate: CertificateInput): CertificateDescription {
  const parsed = parseCertificate(certificate);
  const der = certificateDer(certificate) as Uint8Array;
  try {
    const tbs = parsed.tbsCertificate;
    const names = subjectAltNames(parsed);
    const uris = names
      .map((name) => name.uniformResourceIdentifier)
      .filter((uri): uri is string => uri !== undefined && /^tandem:/i.test(uri));
    return {
      subject: new x509.Name(AsnConvert.serialize(tbs.subject)).toString(),
      issuer: new x509.Name(AsnConvert.serialize(tbs.issuer)).toString(),
      serialNumber: Buffer.from(tbs.serialNumber).toString('hex').toUpperCase(),
      notBeforeMs: tbs.validity.notBefore.getTime().getTime(),
      notAfterMs: tbs.validity.notAfter.getTime().getTime(),
      fingerprintSha256: colonHex(createHash('sha256').update(der).digest()),
      sans: names.map(describeName),
      identity: identityOfUris(uris),
      clusterId: clusterIdOfCa(der),
      isCa: isCaCertificate(parsed),
    };
  } catch (error) {
    if (error instanceof PkiError) throw error;
    throw new PkiError('bad_certificate', `not a readable X.509 certificate: ${messageOf(error)}`, null, {
      cause: error,
    });
  }
}

function nodeCertificate(certificate: CertificateInput): NodeX509Certificate | null {
  const der = certificateDer(certificate);
  return der === null ? null : new NodeX509Certificate(der);
}

/**
 * Whether the private key belongs to the certificate: false for a half-rotated pair (a new
 * certificate with the old key), and for anything unreadable.
 */
export function verifyKeyPair(certificate: CertificateInput, privateKeyPem: string): boolean {
  try {
    return nodeCertificate(certificate)?.checkPrivateKey(createPrivateKey(privateKeyPem)) ?? false;
  } catch {
    return false;
  }
}

/**
 * Whether `caCertificate` is a CA and signed `certificate` (names, key ids and the signature
 * agree). False for anything unreadable. Validity dates are not checked: TLS does that.
 */
export function checkIssuedBy(certificate: CertificateInput, caCertificate: CertificateInput): boolean {
  try {
    const leaf = nodeCertificate(certificate);
    const ca = nodeCertificate(caCertificate);
    if (leaf === null || ca === null || !ca.ca) return false;
    return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
  } catch {
    return false;
  }
}
