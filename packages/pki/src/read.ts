// Reading certificates from PEM, DER, node:crypto's X509Certificate or a TLS peer certificate into
// the ASN.1 structure of @peculiar/asn1-x509. That parser reads any kind of subject alternative
// name, where @peculiar/x509's classes throw on otherName types they do not know, so a certificate
// from an enterprise CA with extra names still reads. Nothing here throws anything but a PkiError.
import type { X509Certificate as NodeX509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  Certificate,
  type GeneralName,
  id_ce_basicConstraints,
  id_ce_subjectAltName,
  SubjectAlternativeName,
} from '@peculiar/asn1-x509';
import { PkiError } from './errors.js';

/** A certificate as PEM text, DER bytes, node:crypto's X509Certificate or `tls.PeerCertificate`. */
export type CertificateInput = string | Uint8Array | NodeX509Certificate | PeerCertificate;

/** Far above any real certificate (ours are under 1 KiB); hostile input is refused before parsing. */
const MAX_CERTIFICATE_BYTES = 64 * 1024;
const MAX_PEM_CHARS = 4 * MAX_CERTIFICATE_BYTES;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*)-----END CERTIFICATE-----/;

/** The DER bytes of the certificate (the first one of a PEM bundle), or null if there are none. */
export function certificateDer(input: CertificateInput): Uint8Array | null {
  try {
    if (typeof input === 'string') {
      if (input.length > MAX_PEM_CHARS) return null;
      const body = PEM_CERTIFICATE.exec(input)?.[1];
      if (body === undefined) return null;
      const der = Buffer.from(body.replace(/\s+/g, ''), 'base64');
      return der.length > 0 && der.length <= MAX_CERTIFICATE_BYTES ? der : null;
    }
    if (input instanceof Uint8Array)
      return input.length > 0 && input.length <= MAX_CERTIFICATE_BYTES ? input : null;
    // X509Certificate and PeerCertificate both carry the DER as `raw`; a TLS socket without a peer
    // certificate gives an empty object.
    if (typeof input === 'object' && input !== null) {
      const raw: unknown = (input as { raw?: unknown }).raw;
      return raw instanceof Uint8Array ? certificateDer(raw) : null;
    }
    return null;
  } catch {
    return null;
  }
}

/** The parsed certificate; a PkiError (bad_certificate) for anything that is not one. */
export function parseCertificate(input: CertificateInput): Certificate {
  const der = certificateDer(input);
  if (der === null) throw new PkiError('bad_certificate', 'not an X.509 certificate in PEM or DER');
  try {
    return AsnConvert.parse(der, Certificate);
  } catch (error) {
    throw new PkiError('bad_certificate', `not a readable X.509 certificate: ${messageOf(error)}`, null, {
      cause: error,
    });
  }
}

function extensionValues(certificate: Certificate, oid: string): ArrayBuffer[] {
  return (certificate.tbsCertificate.extensions ?? [])
    .filter((extension) => extension.extnID === oid)
    .map((extension) => extension.extnValue.buffer);
}

/** The subject alternative names; a PkiError if the extension is repeated or unreadable. */
export function subjectAltNames(certificate: Certificate): GeneralName[] {
  const values = extensionValues(certificate, id_ce_subjectAltName);
  if (values.length > 1) throw new PkiError('bad_certificate', 'more than one subjectAltName extension');
  const [value] = values;
  if (value === undefined) return [];
  try {
    return [...AsnConvert.parse(value, SubjectAlternativeName)];
  } catch (error) {
    throw new PkiError('bad_certificate', `unreadable subjectAltName: ${messageOf(error)}`, null, {
      cause: error,
    });
  }
}

/** Whether basicConstraints says cA (an unreadable extension counts as not a CA). */
export function isCaCertificate(certificate: Certificate): boolean {
  const values = extensionValues(certificate, id_ce_basicConstraints);
  if (values.length !== 1 || values[0] === undefined) return false;
  try {
    return AsnConvert.parse(values[0], BasicConstraints).cA === true;
  } catch {
    return false;
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
