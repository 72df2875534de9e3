import 'reflect-metadata';
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { expect } from 'chai';
import {
  CA_VALID_DAYS,
  type ClusterCa,
  checkIssuedBy,
  clusterIdOfCa,
  createClusterCa,
  describeCertificate,
  identityFromCertificate,
  issueCertificate,
  LEAF_VALID_DAYS,
  type PemPair,
  verifyKeyPair,
} from '../src/index.js';
import {
  certificateWithNames,
  expectPkiError,
  foreignCa,
  tamperPem,
  unknownOtherName,
  uriName,
} from './helpers.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

function extendedKeyUsages(pem: string): string[] | undefined {
  return new NodeX509Certificate(pem).keyUsage;
}

function keyUsages(pem: string): number {
  return new x509.X509Certificate(pem).getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
}

describe('@tandem/pki certificates', () => {
  let ca: ClusterCa;
  let otherCa: ClusterCa;
  let node: PemPair;

  before(async () => {
    ca = await createClusterCa({ clusterId: 'cluster-1' });
    otherCa = await createClusterCa();
    node = await issueCertificate(ca, { role: 'node', name: 'main' });
  });

  describe('createClusterCa', () => {
    it('makes a CA for keyCertSign and cRLSign that carries the cluster id as a SAN URI', () => {
      const described = describeCertificate(ca.certificatePem);
      expect(described.isCa).to.equal(true);
      expect(described.sans).to.deep.equal(['URI:tandem://cluster/cluster-1']);
      expect(described.clusterId).to.equal('cluster-1');
      expect(described.identity).to.equal(null);
      expect(described.subject).to.equal('CN=Tandem CA cluster-1');
      expect(described.issuer).to.equal(described.subject);
      expect(keyUsages(ca.certificatePem)).to.equal(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
      );
      expect(new NodeX509Certificate(ca.certificatePem).ca).to.equal(true);
      expect(clusterIdOfCa(ca.certificatePem)).to.equal('cluster-1');
      expect(ca.clusterId).to.equal('cluster-1');
      expect(ca.privateKeyPem).to.match(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
      expect(ca.certificatePem).to.match(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    });

    it('defaults to a random UUID and ten years, and takes the time, days and name given', async () => {
      expect(otherCa.clusterId).to.match(UUID);
      expect(clusterIdOfCa(otherCa.certificatePem)).to.equal(otherCa.clusterId);
      const described = describeCertificate(otherCa.certificatePem);
      const validDays = (described.notAfterMs - Date.now()) / DAY_MS;
      expect(validDays).to.be.within(CA_VALID_DAYS - 1, CA_VALID_DAYS);

      const now = new Date('2030-01-01T00:00:00Z');
      const custom = await createClusterCa({ now, validDays: 30, commonName: 'Acme, Inc. licence CA' });
      const customDescribed = describeCertificate(custom.certificatePem);
      expect(customDescribed.notBeforeMs)
        .to.be.below(now.getTime())
        .and.above(now.getTime() - 10 * 60_000);
      expect(customDescribed.notAfterMs).to.equal(now.getTime() + 30 * DAY_MS);
      expect(new x509.X509Certificate(custom.certificatePem).subjectName.getField('CN')).to.deep.equal([
        'Acme, Inc. licence CA',
      ]);
    });

    it('refuses a bad cluster id, common name or validity, naming the field', async () => {
      for (const clusterId of ['', 'a/b', 'x'.repeat(65), 'tandem://cluster/x', 'naïve']) {
        await expectPkiError(() => createClusterCa({ clusterId }), 'bad_argument', 'clusterId');
      }
      await expectPkiError(() => createClusterCa({ commonName: '' }), 'bad_argument', 'commonName');
      await expectPkiError(() => createClusterCa({ commonName: 'a\nb' }), 'bad_argument', 'commonName');
      for (const validDays of [0, -1, 1.5, 100_000, Number.NaN]) {
        await expectPkiError(() => createClusterCa({ validDays }), 'bad_argument', 'validDays');
      }
      await expectPkiError(() => createClusterCa({ now: new Date('nonsense') }), 'bad_argument', 'now');
    });
  });

  describe('issueCertificate', () => {
    it('gives a node one identity URI, localhost and 127.0.0.1, serverAuth and clientAuth', () => {
      const described = describeCertificate(node.certificatePem);
      expect(described.sans).to.deep.equal(['URI:tandem://node/main', 'DNS:localhost', 'IP:127.0.0.1']);
      expect(described.identity).to.deep.equal({ role: 'node', name: 'main', uri: 'tandem://node/main' });
      expect(described.subject).to.equal('CN=main');
      expect(described.issuer).to.equal('CN=Tandem CA cluster-1');
      expect(described.isCa).to.equal(false);
      expect(extendedKeyUsages(node.certificatePem)).to.have.members([SERVER_AUTH, CLIENT_AUTH]);
      expect(keyUsages(node.certificatePem)).to.equal(x509.KeyUsageFlags.digitalSignature);
      const validDays = (described.notAfterMs - Date.now()) / DAY_MS;
      expect(validDays).to.be.within(LEAF_VALID_DAYS - 1, LEAF_VALID_DAYS);
      expect(described.notBeforeMs).to.be.below(Date.now());
      expect(checkIssuedBy(node.certificatePem, ca.certificatePem)).to.equal(true);
      expect(verifyKeyPair(node.certificatePem, node.privateKeyPem)).to.equal(true);
    });

    it('gives people and workstations clientAuth only and no host names', async () => {
      for (const role of ['workstation', 'viewer', 'operator', 'admin'] as const) {
        const issued = await issueCertificate(ca, { role, name: `${role}-1` });
        const described = describeCertificate(issued.certificatePem);
        expect(described.sans).to.deep.equal([`URI:tandem://${role}/${role}-1`]);
        expect(identityFromCertificate(issued.certificatePem)).to.deep.equal({
          role,
          name: `${role}-1`,
          uri: `tandem://${role}/${role}-1`,
        });
        expect(extendedKeyUsages(issued.certificatePem)).to.deep.equal([CLIENT_AUTH]);
      }
      const witness = await issueCertificate(ca, {
        role: 'witness',
        name: 'w',
        hosts: ['Witness.Example', '::1', 'witness.example'],
      });
      expect(describeCertificate(witness.certificatePem).sans).to.deep.equal([
        'URI:tandem://witness/w',
        'DNS:witness.example',
        'IP:::1',
      ]);
      expect(extendedKeyUsages(witness.certificatePem)).to.have.members([SERVER_AUTH, CLIENT_AUTH]);
    });

    it('uses random positive serial numbers', async () => {
      const serials = new Set<string>();
      for (let index = 0; index < 8; index += 1) {
        const issued = await issueCertificate(ca, { role: 'workstation', name: 'ws' });
        const serial = describeCertificate(issued.certificatePem).serialNumber;
        expect(serial).to.match(/^[4-7][0-9A-F]{31}$/);
        serials.add(serial);
      }
      expect(serials.size).to.equal(8);
    });

    it('takes notBefore and notAfter, so a test can make an expired certificate', async () => {
      const notBefore = new Date(Date.now() - 3 * DAY_MS);
      const notAfter = new Date(Date.now() - DAY_MS);
      const expired = await issueCertificate(ca, { role: 'workstation', name: 'old', notBefore, notAfter });
      const described = describeCertificate(expired.certificatePem);
      expect(described.notBeforeMs).to.equal(Math.floor(notBefore.getTime() / 1000) * 1000);
      expect(described.notAfterMs).to.equal(Math.floor(notAfter.getTime() / 1000) * 1000);
      const short = await issueCertificate(ca, { role: 'admin', name: 'a', validDays: 2 });
      expect((describeCertificate(short.certificatePem).notAfterMs - Date.now()) / DAY_MS).to.be.within(
        1.9,
        2,
      );
    });

    it('refuses bad roles, names, hosts and dates, naming the field', async () => {
      const issue = (options: Record<string, unknown>) => () =>
        issueCertificate(ca, { role: 'node', name: 'n', ...options } as never);
      for (const role of ['root', 'cluster', '', 'Node'])
        await expectPkiError(issue({ role }), 'bad_argument', 'role');
      for (const name of ['', 'a b', 'a/b', 'x'.repeat(129), 'é', 'a\n']) {
        await expectPkiError(issue({ name }), 'bad_argument', 'name');
      }
      for (const host of [
        '',
        'a b',
        '-bad.example',
        'under_score.example',
        `${'a'.repeat(64)}.example`,
        '1.2.3.4/8',
      ]) {
        await expectPkiError(issue({ hosts: [host] }), 'bad_argument', 'hosts');
      }
      await expectPkiError(
        issue({ hosts: Array.from({ length: 65 }, (_, i) => `h${i}`) }),
        'bad_argument',
        'hosts',
      );
      await expectPkiError(issue({ validDays: 0 }), 'bad_argument', 'validDays');
      await expectPkiError(issue({ notBefore: new Date('x') }), 'bad_argument', 'notBefore');
      await expectPkiError(
        issue({ notBefore: new Date(Date.now()), notAfter: new Date(Date.now() - 1000) }),
        'bad_argument',
        'notAfter',
      );
    });

    it('refuses a CA that is not one, a key that is not its own, and unreadable files', async () => {
      const options = { role: 'workstation', name: 'ws' } as const;
      await expectPkiError(() => issueCertificate(node, options), 'not_a_ca', 'ca.crt');
      await expectPkiError(
        () =>
          issueCertificate(
            { certificatePem: ca.certificatePem, privateKeyPem: otherCa.privateKeyPem },
            options,
          ),
        'key_mismatch',
        'ca.key',
      );
      await expectPkiError(
        () => issueCertificate({ certificatePem: 'not a pem', privateKeyPem: ca.privateKeyPem }, options),
        'bad_certificate',
      );
      await expectPkiError(
        () => issueCertificate({ certificatePem: ca.certificatePem, privateKeyPem: 'junk' }, options),
        'bad_key',
        'ca.key',
      );
      const expiredCa = await createClusterCa({ now: new Date(Date.now() - 40 * DAY_MS), validDays: 30 });
      await expectPkiError(() => issueCertificate(expiredCa, options), 'ca_expired', 'ca.crt');
    });
    it('signs with the key of a CA from elsewhere: P-384 or RSA', async () => {
      for (const algorithm of [
        { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' },
        { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      ]) {
        const enterprise = await foreignCa(algorithm);
        const issued = await issueCertificate(enterprise, { role: 'node', name: 'main' });
        expect(checkIssuedBy(issued.certificatePem, enterprise.certificatePem), algorithm.name).to.equal(
          true,
        );
        expect(describeCertificate(issued.certificatePem).issuer).to.equal(
          'CN=Enterprise Issuing CA, O=Example',
        );
        expect(identityFromCertificate(issued.certificatePem)?.uri).to.equal('tandem://node/main');
        expect(clusterIdOfCa(enterprise.certificatePem)).to.equal(null);
      }
    });
  });

  describe('identityFromCertificate', () => {
    it('reads PEM, DER, crypto.X509Certificate and a TLS peer certificate, and the first of a bundle', () => {
      const expected = { role: 'node', name: 'main', uri: 'tandem://node/main' };
      const parsed = new NodeX509Certificate(node.certificatePem);
      expect(identityFromCertificate(node.certificatePem)).to.deep.equal(expected);
      expect(identityFromCertificate(parsed.raw)).to.deep.equal(expected);
      expect(identityFromCertificate(new Uint8Array(parsed.raw))).to.deep.equal(expected);
      expect(identityFromCertificate(parsed)).to.deep.equal(expected);
      expect(identityFromCertificate({ raw: parsed.raw } as never)).to.deep.equal(expected);
      expect(identityFromCertificate(`${node.certificatePem}${ca.certificatePem}`)).to.deep.equal(expected);
      expect(identityFromCertificate(`${ca.certificatePem}${node.certificatePem}`)).to.equal(null);
      // A TLS socket without a peer certificate gives an empty object.
      expect(identityFromCertificate({} as never)).to.equal(null);
      expect(Object.isFrozen(identityFromCertificate(node.certificatePem))).to.equal(true);
    });

    it('gives null for none, several or a malformed tandem URI', async () => {
      const cases: [string, Awaited<ReturnType<typeof certificateWithNames>>][] = [
        ['no SAN', await certificateWithNames(null)],
        ['no URI', await certificateWithNames([])],
        ['another scheme', await certificateWithNames([uriName('spiffe://example.org/node/main')])],
        [
          'two roles',
          await certificateWithNames([uriName('tandem://workstation/ws'), uriName('tandem://admin/ws')]),
        ],
        [
          'the same URI twice',
          await certificateWithNames([uriName('tandem://node/a'), uriName('tandem://node/a')]),
        ],
        ['an unknown role', await certificateWithNames([uriName('tandem://root/a')])],
        ['the cluster', await certificateWithNames([uriName('tandem://cluster/a')])],
        ['no name', await certificateWithNames([uriName('tandem://node/')])],
        ['a bad name', await certificateWithNames([uriName('tandem://node/a b')])],
        ['a path', await certificateWithNames([uriName('tandem://node/a/b')])],
        ['a query', await certificateWithNames([uriName('tandem://node/a?x')])],
        ['a long name', await certificateWithNames([uriName(`tandem://node/${'a'.repeat(129)}`)])],
        ['upper case', await certificateWithNames([uriName('TANDEM://admin/a')])],
        [
          'upper case too',
          await certificateWithNames([uriName('tandem://node/a'), uriName('Tandem://admin/a')]),
        ],
        // Node's subjectAltName string would show this as two names to a naive split on ', '.
        [
          'a comma',
          await certificateWithNames([uriName('tandem://workstation/ws, URI:tandem://admin/root')]),
        ],
      ];
      for (const [label, pem] of cases) expect(identityFromCertificate(pem), label).to.equal(null);
      expect(identityFromCertificate(ca.certificatePem)).to.equal(null);
    });

    it('reads the URI among other names, even those @peculiar/x509 cannot show', async () => {
      const pem = await certificateWithNames([
        unknownOtherName(),
        uriName('spiffe://example.org/x'),
        uriName('tandem://operator/alice'),
      ]);
      expect(identityFromCertificate(pem)).to.deep.equal({
        role: 'operator',
        name: 'alice',
        uri: 'tandem://operator/alice',
      });
      expect(describeCertificate(pem).sans).to.deep.equal([
        'othername:1.3.6.1.4.1.99999.1',
        'URI:spiffe://example.org/x',
        'URI:tandem://operator/alice',
      ]);
    });
  });

  describe('clusterIdOfCa', () => {
    it('gives null for a leaf, a CA without the URI, several URIs and garbage', async () => {
      expect(clusterIdOfCa(node.certificatePem)).to.equal(null);
      expect(clusterIdOfCa(await certificateWithNames(null, true))).to.equal(null);
      expect(
        clusterIdOfCa(
          await certificateWithNames([uriName('tandem://cluster/a'), uriName('tandem://cluster/b')], true),
        ),
      ).to.equal(null);
      expect(clusterIdOfCa(await certificateWithNames([uriName('tandem://cluster/a/b')], true))).to.equal(
        null,
      );
      expect(clusterIdOfCa('garbage')).to.equal(null);
    });
  });

  describe('describeCertificate, verifyKeyPair and checkIssuedBy', () => {
    it('describes with a fingerprint as Node shows it', () => {
      const described = describeCertificate(node.certificatePem);
      const parsed = new NodeX509Certificate(node.certificatePem);
      expect(described.fingerprintSha256).to.equal(parsed.fingerprint256);
      expect(described.serialNumber).to.equal(parsed.serialNumber);
      expect(described.notAfterMs).to.equal(Date.parse(parsed.validTo));
    });

    it('gives a typed error for what is not a certificate', async () => {
      for (const input of [
        '',
        'garbage',
        '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
        ca.privateKeyPem,
      ]) {
        await expectPkiError(() => describeCertificate(input), 'bad_certificate');
      }
      await expectPkiError(
        () => describeCertificate(Buffer.from([0x30, 0x03, 0x02, 0x01])),
        'bad_certificate',
      );
    });

    it('refuses another key, another CA, a leaf as CA, and tampered PEM', () => {
      expect(verifyKeyPair(node.certificatePem, ca.privateKeyPem)).to.equal(false);
      expect(verifyKeyPair(node.certificatePem, 'junk')).to.equal(false);
      expect(verifyKeyPair('junk', node.privateKeyPem)).to.equal(false);
      expect(checkIssuedBy(node.certificatePem, otherCa.certificatePem)).to.equal(false);
      expect(checkIssuedBy(node.certificatePem, node.certificatePem)).to.equal(false);
      expect(checkIssuedBy('junk', ca.certificatePem)).to.equal(false);
      expect(checkIssuedBy(node.certificatePem, 'junk')).to.equal(false);
      // One character anywhere in the body: the key, the names, the signature.
      for (const fraction of [0.1, 0.3, 0.5, 0.7, 0.9, 0.97]) {
        const tampered = tamperPem(node.certificatePem, fraction);
        expect(tampered).to.not.equal(node.certificatePem);
        const refused =
          !checkIssuedBy(tampered, ca.certificatePem) || !verifyKeyPair(tampered, node.privateKeyPem);
        expect(refused, `tampered at ${fraction}`).to.equal(true);
        expect(checkIssuedBy(tampered, ca.certificatePem), `tampered at ${fraction}`).to.equal(false);
      }
      const tamperedKey = tamperPem(node.privateKeyPem, 0.8);
      expect(verifyKeyPair(node.certificatePem, tamperedKey)).to.equal(false);
    });
  });
});
