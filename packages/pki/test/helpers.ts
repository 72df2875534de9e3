// Certificates that issueCertificate would never make (any SAN at all, an unknown otherName), built
// with the same libraries, for the parsing tests; and a CA shared by a suite.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, OtherName, SubjectAlternativeName } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { expect } from 'chai';
import { PkiError } from '../src/errors.js';

const crypto = webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.create>[1];
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

let keys: Promise<webcrypto.CryptoKeyPair> | null = null;

export function uriName(uri: string): GeneralName {
  return new GeneralName({ uniformResourceIdentifier: uri });
}

/** An otherName of a type @peculiar/x509's own classes do not know (they throw on it). */
export function unknownOtherName(): GeneralName {
  const utf8Abc = new Uint8Array([0x0c, 0x03, 0x61, 0x62, 0x63]).buffer;
  return new GeneralName({ otherName: new OtherName({ typeId: '1.3.6.1.4.1.99999.1', value: utf8Abc }) });
}

/** A self-signed leaf whose SAN holds exactly `names` (no SAN extension when null). */
export async function certificateWithNames(names: GeneralName[] | null, ca = false): Promise<string> {
  keys ??= webcrypto.subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ]) as Promise<webcrypto.CryptoKeyPair>;
  const pair = await keys;
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(ca, undefined, true)];
  if (names !== null) {
    extensions.push(
      new x509.Extension('2.5.29.17', false, AsnConvert.serialize(new SubjectAlternativeName(names))),
    );
  }
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    { name: 'CN=crafted', keys: pair as never, signingAlgorithm: ALGORITHM, extensions },
    crypto,
  );
  return certificate.toString('pem');
}

/** Runs `action` and checks that it fails with a PkiError of `code` (and `field`, if given). */
export async function expectPkiError(action: () => unknown, code: string, field?: string): Promise<PkiError> {
  try {
    await action();
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(PkiError);
    const pkiError = error as PkiError;
    expect(pkiError.code, pkiError.message).to.equal(code);
    expect(pkiError.retryable).to.equal(false);
    if (field !== undefined) expect(pkiError.field).to.equal(field);
    return pkiError;
  }
  throw new Error(`expected a PkiError ${code}`);
}

/** The PEM with one base64 character of its body changed, at `fraction` of the way through. */
export function tamperPem(pem: string, fraction: number): string {
  const lines = pem.trimEnd().split('\n');
  const body = lines.slice(1, -1).join('');
  const at = Math.min(body.length - 3, Math.floor(body.length * fraction));
  const replaced = body[at] === 'A' ? 'B' : 'A';
  const tampered = body.slice(0, at) + replaced + body.slice(at + 1);
  return `${lines[0]}\n${tampered.match(/.{1,64}/g)?.join('\n')}\n${lines.at(-1)}\n`;
}

/** A self-signed CA with another key type, as an enterprise CA might have, in PEM. */
export async function foreignCa(algorithm: {
  name: string;
  namedCurve?: string;
  hash: string;
  modulusLength?: number;
}): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const generation =
    algorithm.name === 'ECDSA'
      ? algorithm
      : {
          ...algorithm,
          modulusLength: algorithm.modulusLength ?? 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
        };
  const pair = (await webcrypto.subtle.generateKey(generation as never, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: 'CN=Enterprise Issuing CA, O=Example',
      keys: pair as never,
      signingAlgorithm: algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
        await x509.SubjectKeyIdentifierExtension.create(pair.publicKey as never, false, crypto),
      ],
    },
    crypto,
  );
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', pair.privateKey);
  return {
    certificatePem: certificate.toString('pem'),
    privateKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
  };
}
