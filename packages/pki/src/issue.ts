// Making the cluster CA and the certificates it issues, with @peculiar/x509 on Node's WebCrypto.
// Keys are ECDSA P-256: small, fast in TLS handshakes, and taken by Node's TLS and grpc-js.
import 'reflect-metadata'; // @peculiar/x509 resolves its parts with tsyringe, which needs it first.
import { createPrivateKey, type KeyObject, randomBytes, randomUUID, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { AsnConvert } from '@peculiar/asn1-schema';
import { type Certificate, id_ce_subjectKeyIdentifier, SubjectKeyIdentifier } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { verifyKeyPair } from './check.js';
import { PkiError } from './errors.js';
import { type CertificateRole, clusterUri, identityUri } from './identity.js';
import { isCaCertificate, messageOf, parseCertificate } from './read.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;

// @peculiar/x509 takes a WebCrypto; Node's is the same API under another type name.
const crypto = webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.create>[1];
const subtle = webcrypto.subtle;

const DAY_MS = 24 * 60 * 60 * 1000;
export const CA_VALID_DAYS = 3650;
export const LEAF_VALID_DAYS = 365;
const MAX_VALID_DAYS = 36_500;
/** notBefore is set this far back, so that a node whose clock is a little behind accepts it. */
const CLOCK_SKEW_ALLOWANCE_MS = 5 * 60 * 1000;
const MAX_HOSTS = 64;
const DEFAULT_HOSTS = ['localhost', '127.0.0.1'];
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const P256_SHA256 = { ...P256, hash: 'SHA-256' } as const;

/** A certificate and its private key, both PEM (the key PKCS#8). */
export interface PemPair {
  certificatePem: string;
  privateKeyPem: string;
}

export interface ClusterCa extends PemPair {
  clusterId: string;
}

export interface CreateClusterCaOptions {
  /** Default: a random UUID. */
  clusterId?: string;
  /** Default: `Tandem CA <clusterId>`. */
  commonName?: string;
  /** Default 3650. */
  validDays?: number;
  /** Default: the current time. */
  now?: Date;
}

export interface IssueOptions {
  role: CertificateRole;
  name: string;
  /** DNS names and IP addresses; node and witness certificates default to localhost and 127.0.0.1. */
  hosts?: readonly string[];
  /** Default 365. Ignored for the end when notAfter is given. */
  validDays?: number;
  /** Default: five minutes ago. */
  notBefore?: Date;
  /** Default: notBefore's day plus validDays (from now). */
  notAfter?: Date;
}

function validDaysOf(days: number | undefined, fallback: number): number {
  const value = days ?? fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_VALID_DAYS) {
    throw new PkiError(
      'bad_argument',
      `valid days must be an integer from 1 to ${MAX_VALID_DAYS}`,
      'validDays',
    );
  }
  return value;
}

function dateOf(value: Date, field: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new PkiError('bad_argument', 'must be a valid date', field);
  }
  return value;
}

/** A random positive serial of 127 bits: the top bit clear (positive), the next set (no leading 0). */
function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

async function newKeyPair(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(P256, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** PEM text ends with a newline, as files of it do. */
function pemText(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return pemText(x509.PemConverter.encode(await subtle.exportKey('pkcs8', key), 'PRIVATE KEY'));
}

export async function createClusterCa(options: CreateClusterCaOptions = {}): Promise<ClusterCa> {
  const clusterId = options.clusterId ?? randomUUID();
  const uri = clusterUri(clusterId);
  const commonName = options.commonName ?? `Tandem CA ${clusterId}`.slice(0, 64);
  if (!/^[\x20-\x7e]{1,64}$/.test(commonName)) {
    throw new PkiError('bad_argument', 'common name must be 1-64 printable ASCII characters', 'commonName');
  }
  const days = validDaysOf(options.validDays, CA_VALID_DAYS);
  const now = dateOf(options.now ?? new Date(), 'now');
  const keys = await newKeyPair();
  const name: x509.JsonName = [{ CN: [commonName] }];
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialHex(),
      subject: name,
      issuer: name,
      notBefore: new Date(now.getTime() - CLOCK_SKEW_ALLOWANCE_MS),
      notAfter: new Date(now.getTime() + days * DAY_MS),
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      signingAlgorithm: P256_SHA256,
      extensions: [
        // pathLen 0: this CA signs leaf certificates only, never another CA.
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: uri }]),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return {
    certificatePem: pemText(certificate.toString('pem')),
    privateKeyPem: await privateKeyPem(keys.privateKey),
    clusterId,
  };
}

/** The CA key as a WebCrypto signing key, with the signature algorithm that goes with it. */
async function signingKeyOf(pem: string): Promise<{ key: CryptoKey; algorithm: Algorithm }> {
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(pem);
  } catch (error) {
    throw new PkiError(
      'bad_key',
      `the CA key is not a readable PEM private key: ${messageOf(error)}`,
      'ca.key',
      {
        cause: error,
      },
    );
  }
  const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'der' });
  // An enterprise CA may have another curve or RSA; our own CA is always P-256.
  const curves: Record<string, [string, string]> = {
    prime256v1: ['P-256', 'SHA-256'],
    secp384r1: ['P-384', 'SHA-384'],
    secp521r1: ['P-521', 'SHA-512'],
  };
  let importAlgorithm: webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;
  let algorithm: Algorithm;
  const curve = curves[keyObject.asymmetricKeyDetails?.namedCurve ?? ''];
  if (keyObject.asymmetricKeyType === 'ec' && curve !== undefined) {
    importAlgorithm = { name: 'ECDSA', namedCurve: curve[0] };
    algorithm = { name: 'ECDSA', hash: curve[1] } as Algorithm;
  } else if (keyObject.asymmetricKeyType === 'rsa') {
    importAlgorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    algorithm = importAlgorithm;
  } else {
    throw new PkiError('bad_key', 'the CA key must be ECDSA (P-256, P-384, P-521) or RSA', 'ca.key');
  }
  const key = await subtle.importKey('pkcs8', pkcs8, importAlgorithm, false, ['sign']);
  return { key, algorithm };
}

function hostNames(role: CertificateRole, hosts: readonly string[] | undefined): x509.JsonGeneralNames {
  const given = hosts ?? (role === 'node' || role === 'witness' ? DEFAULT_HOSTS : []);
  if (given.length > MAX_HOSTS) throw new PkiError('bad_argument', `at most ${MAX_HOSTS} hosts`, 'hosts');
  const names = given.map((host): x509.JsonGeneralName => {
    if (isIP(host) !== 0) return { type: 'ip', value: host };
    if (HOST_NAME.test(host)) return { type: 'dns', value: host.toLowerCase() };
    throw new PkiError('bad_argument', `"${host.slice(0, 64)}" is not a host name or an IP address`, 'hosts');
  });
  return names.filter((name, index) => names.findIndex((other) => other.value === name.value) === index);
}

/** The CA's own key id, so the leaf's authority key id matches it even for an enterprise CA. */
async function authorityKeyId(ca: Certificate): Promise<x509.AuthorityKeyIdentifierExtension> {
  const extension = ca.tbsCertificate.extensions?.find(
    (candidate) => candidate.extnID === id_ce_subjectKeyIdentifier,
  );
  if (extension !== undefined) {
    const keyId = AsnConvert.parse(extension.extnValue.buffer, SubjectKeyIdentifier);
    return new x509.AuthorityKeyIdentifierExtension(Buffer.from(keyId.buffer).toString('hex'));
  }
  const publicKey = new x509.PublicKey(AsnConvert.serialize(ca.tbsCertificate.subjectPublicKeyInfo));
  return x509.AuthorityKeyIdentifierExtension.create(publicKey, false, crypto);
}

/** A certificate for `tandem://<role>/<name>`, signed by `ca`. */
export async function issueCertificate(ca: PemPair, options: IssueOptions): Promise<PemPair> {
  const uri = identityUri(options.role, options.name);
  const hosts = hostNames(options.role, options.hosts);
  const caCertificate = parseCertificate(ca.certificatePem);
  if (!isCaCertificate(caCertificate))
    throw new PkiError('not_a_ca', 'the CA certificate is not a CA', 'ca.crt');
  const nowMs = Date.now();
  const { notBefore: caFrom, notAfter: caUntil } = caCertificate.tbsCertificate.validity;
  if (caFrom.getTime().getTime() > nowMs || caUntil.getTime().getTime() <= nowMs) {
    throw new PkiError(
      'ca_expired',
      `the CA certificate is valid from ${caFrom.getTime().toISOString()} to ${caUntil.getTime().toISOString()}`,
      'ca.crt',
    );
  }
  const signer = await signingKeyOf(ca.privateKeyPem);
  if (!verifyKeyPair(ca.certificatePem, ca.privateKeyPem)) {
    throw new PkiError('key_mismatch', 'the CA key does not belong to the CA certificate', 'ca.key');
  }

  const days = validDaysOf(options.validDays, LEAF_VALID_DAYS);
  const notBefore = dateOf(options.notBefore ?? new Date(nowMs - CLOCK_SKEW_ALLOWANCE_MS), 'notBefore');
  const notAfter = dateOf(options.notAfter ?? new Date(nowMs + days * DAY_MS), 'notAfter');
  if (notAfter.getTime() <= notBefore.getTime()) {
    throw new PkiError('bad_argument', 'notAfter must be later than notBefore', 'notAfter');
  }

  const server = options.role === 'node' || options.role === 'witness';
  const keys = await newKeyPair();
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialHex(),
      subject: [{ CN: [options.name] }],
      // The CA's subject as it is encoded, so that the issuer name matches it byte for byte.
      issuer: new x509.Name(AsnConvert.serialize(caCertificate.tbsCertificate.subject)),
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: signer.key,
      signingAlgorithm: signer.algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        // Nodes and the witness are servers and clients of each other; everyone else is a client.
        new x509.ExtendedKeyUsageExtension(
          server
            ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]
            : [x509.ExtendedKeyUsage.clientAuth],
        ),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: uri }, ...hosts]),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        await authorityKeyId(caCertificate),
      ],
    },
    crypto,
  );
  return {
    certificatePem: pemText(certificate.toString('pem')),
    privateKeyPem: await privateKeyPem(keys.privateKey),
  };
}
