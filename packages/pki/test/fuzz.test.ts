// Hostile input never makes the parsers throw: random bytes and text, mutated certificates, and
// certificates with random SAN URIs, whose identity must be exactly what the convention says.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  certificateDer,
  checkIssuedBy,
  clusterIdOfCa,
  createClusterCa,
  describeCertificate,
  identityFromCertificate,
  issueCertificate,
  PkiError,
  verifyKeyPair,
} from '../src/index.js';
import { certificateWithNames, uriName } from './helpers.js';

const ROLES = ['node', 'witness', 'workstation', 'viewer', 'operator', 'admin'];

function totalParsers(input: unknown, keyPem: string, caPem: string): void {
  const identity = identityFromCertificate(input as never);
  if (identity !== null) expect(ROLES).to.include(identity.role);
  clusterIdOfCa(input as never);
  expect(verifyKeyPair(input as never, keyPem)).to.be.a('boolean');
  expect(checkIssuedBy(input as never, caPem)).to.be.a('boolean');
  try {
    describeCertificate(input as never);
  } catch (error) {
    expect(error).to.be.instanceOf(PkiError);
  }
}

describe('@tandem/pki on hostile input', () => {
  let caPem: string;
  let leafDer: Uint8Array;
  let leafKeyPem: string;

  before(async () => {
    const ca = await createClusterCa();
    const leaf = await issueCertificate(ca, { role: 'workstation', name: 'ws-1' });
    caPem = ca.certificatePem;
    leafKeyPem = leaf.privateKeyPem;
    leafDer = certificateDer(leaf.certificatePem) as Uint8Array;
  });

  it('never throws on random bytes, text or objects', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }),
          fc.string(),
          fc.string().map((body) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`),
          fc
            .uint8Array({ maxLength: 1024 })
            .map(
              (bytes) =>
                `-----BEGIN CERTIFICATE-----\n${Buffer.from(bytes).toString('base64')}\n-----END CERTIFICATE-----\n`,
            ),
          fc.anything(),
          fc.record({ raw: fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.anything()) }),
        ),
        (input) => totalParsers(input, leafKeyPem, caPem),
      ),
      { numRuns: 300 },
    );
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
      },
    );
    totalParsers(hostile, leafKeyPem, caPem);
  });

  it('never throws on a mutated certificate, and never reads another identity from it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.option(fc.nat(), { nil: undefined }),
        (mutations, truncateAt) => {
          const der = Buffer.from(leafDer);
          for (const { at, value } of mutations) der[at % der.length] = value;
          const input = truncateAt === undefined ? der : der.subarray(0, truncateAt % der.length);
          totalParsers(input, leafKeyPem, caPem);
          const identity = identityFromCertificate(input);
          // A byte changed elsewhere (the signature, a date) still reads; the URI's own bytes must
          // not turn into a different valid identity without the signature check noticing.
          if (identity !== null && identity.uri !== 'tandem://workstation/ws-1') {
            expect(checkIssuedBy(input, caPem)).to.equal(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads exactly one well-formed tandem URI as the identity, from random SAN URIs', async () => {
    const name = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/), fc.string({ maxLength: 12 }));
    const uri = fc.oneof(
      fc
        .tuple(fc.constantFrom(...ROLES, 'cluster', 'root', 'NODE'), name)
        .map(([r, n]) => `tandem://${r}/${n}`),
      fc
        .tuple(fc.constantFrom('tandem:', 'TANDEM://', 'tandem:/', 'spiffe://', 'https://'), name)
        .map(([prefix, n]) => `${prefix}${n}`),
      fc.string({ unit: 'binary-ascii', maxLength: 40 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(uri, { maxLength: 4 }), async (uris) => {
        const pem = await certificateWithNames(uris.map(uriName));
        const tandem = uris.filter((candidate) => /^tandem:/i.test(candidate));
        const match =
          tandem.length === 1
            ? /^tandem:\/\/(node|witness|workstation|viewer|operator|admin)\/([A-Za-z0-9._-]{1,128})$/.exec(
                tandem[0] as string,
              )
            : null;
        const expected = match === null ? null : { role: match[1], name: match[2], uri: tandem[0] };
        expect(identityFromCertificate(pem), JSON.stringify(uris)).to.deep.equal(expected);
        expect(describeCertificate(pem).identity).to.deep.equal(expected);
      }),
      { numRuns: 150 },
    );
  });
});
