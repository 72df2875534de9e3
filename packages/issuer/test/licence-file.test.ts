import { Buffer } from 'node:buffer';
import { generateKeyPairSync } from 'node:crypto';
import { type LicenceTerms, readLicenceFile } from '@tandem/ledger';
import { expect } from 'chai';
import {
  generateVendorKey,
  keyFingerprint,
  LicenceFileError,
  LicenceTermsError,
  parsePrivateKey,
  parsePublicKey,
  signLicence,
  signLicencePayload,
  type VendorKey,
  verifyLicenceFile,
} from '../src/licence-file.js';

const TERMS: LicenceTerms = {
  licenceId: 'cad',
  product: 'CAD Suite',
  seats: 10,
  quota: { units: 500, period: 'month' },
  validFromMs: 0,
  validUntilMs: Date.UTC(2030, 0, 1),
  redundancy: true,
  features: { edition: 'pro' },
  serial: 3,
  vendor: 'Acme Software',
  issuedAtMs: Date.UTC(2026, 0, 1),
  clusterId: '8a6e0804-2bd0-4672-b79d-d97027f9071a',
};

const current = generateVendorKey();
const next = generateVendorKey();
const stranger = generateVendorKey();
const KEYS: VendorKey[] = [
  { id: 'acme-2026', publicKey: current.publicKey },
  { id: 'acme-2027', publicKey: next.publicKey },
];

function problemOf(text: string, keys = KEYS): string {
  try {
    verifyLicenceFile(text, keys);
  } catch (error) {
    expect(error).to.be.instanceOf(LicenceFileError);
    return (error as LicenceFileError).code;
  }
  return 'verified';
}

describe('licence files', () => {
  it('signs terms that verify with the key they name, and reads back exactly', () => {
    const file = signLicence(TERMS, { keyId: 'acme-2026', privateKey: current.privateKey });
    expect(verifyLicenceFile(file, KEYS)).to.deep.equal({ keyId: 'acme-2026', terms: TERMS });
    const read = readLicenceFile(file);
    expect(read.ok && read.file.terms).to.deep.equal(TERMS);
    expect(file.endsWith('\n')).to.equal(true);
  });

  it('accepts files from every configured key, so that a vendor can rotate', () => {
    const older = signLicence(TERMS, { keyId: 'acme-2026', privateKey: current.privateKey });
    const newer = signLicence({ ...TERMS, serial: 4 }, { keyId: 'acme-2027', privateKey: next.privateKey });
    expect(verifyLicenceFile(older, KEYS).keyId).to.equal('acme-2026');
    expect(verifyLicenceFile(newer, KEYS).keyId).to.equal('acme-2027');
    expect(problemOf(older, KEYS.slice(1))).to.equal('licence_key_unknown');
  });

  it('refuses a file with any one byte changed', () => {
    const file = signLicence(TERMS, { keyId: 'acme-2026', privateKey: current.privateKey });
    const envelope = JSON.parse(file) as { payload: string; signature: string };
    const refusals = new Set<string>();
    // Every character of the payload and the signature, changed to another base64 character.
    for (const member of ['payload', 'signature'] as const) {
      const text = envelope[member];
      for (let position = 0; position < text.length; position += 7) {
        const character = text[position] as string;
        if (character === '=') continue;
        const replacement = character === 'A' ? 'B' : 'A';
        const changed = `${text.slice(0, position)}${replacement}${text.slice(position + 1)}`;
        const tampered = file.replace(text, changed);
        const problem = problemOf(tampered);
        expect(problem, `${member}[${position}]`).to.be.oneOf([
          'licence_signature_invalid',
          'licence_file_malformed',
        ]);
        refusals.add(problem);
      }
    }
    expect(refusals.has('licence_signature_invalid')).to.equal(true);
    // A raised seat count, re-encoded properly, is a bad signature, not bad terms.
    const raised = Buffer.from(JSON.stringify({ ...TERMS, seats: 1000 })).toString('base64');
    expect(problemOf(file.replace(envelope.payload, raised))).to.equal('licence_signature_invalid');
  });

  it('refuses a file signed with another key under a trusted id, and one naming an unknown key', () => {
    const forged = signLicence(TERMS, { keyId: 'acme-2026', privateKey: stranger.privateKey });
    expect(problemOf(forged)).to.equal('licence_signature_invalid');
    const unknown = signLicence(TERMS, { keyId: 'other-vendor', privateKey: stranger.privateKey });
    expect(problemOf(unknown)).to.equal('licence_key_unknown');
    expect(() => verifyLicenceFile(unknown, [])).to.throw(/no vendor keys are configured/);
  });

  it('refuses what is not a licence file, and signed terms the ledger would refuse', () => {
    expect(problemOf('')).to.equal('licence_file_malformed');
    expect(problemOf('{"format":"tandem-licence","version":1}')).to.equal('licence_file_malformed');
    const badTerms = signLicencePayload(Buffer.from(JSON.stringify({ ...TERMS, seats: 0 })), {
      keyId: 'acme-2026',
      privateKey: current.privateKey,
    });
    expect(() => verifyLicenceFile(badTerms, KEYS)).to.throw(LicenceFileError, /seats/);
    expect(() =>
      signLicence({ ...TERMS, seats: 0 }, { keyId: 'acme-2026', privateKey: current.privateKey }),
    ).to.throw(LicenceTermsError, /seats/);
    expect(() =>
      signLicence({ ...TERMS, clusterId: 'a b' }, { keyId: 'k', privateKey: current.privateKey }),
    ).to.throw(LicenceTermsError, /cluster_id/);
  });

  it('reads Ed25519 keys only', () => {
    const pem = current.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(keyFingerprint(parsePublicKey(pem))).to.equal(keyFingerprint(current.publicKey));
    expect(keyFingerprint(current.publicKey)).to.match(/^[0-9a-f]{16}$/);
    expect(() => parsePublicKey('nonsense')).to.throw(TypeError, /not a PEM public key/);
    const privatePem = current.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(parsePrivateKey(privatePem).asymmetricKeyType).to.equal('ed25519');
    expect(() => parsePublicKey(privatePem)).to.throw(TypeError, /private key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    expect(() => parsePublicKey(rsa.toString())).to.throw(TypeError, /not an Ed25519 key/);
  });
});
