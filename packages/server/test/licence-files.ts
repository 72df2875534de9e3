// A vendor for the server's tests: a key pair made at run time, the configuration that trusts it,
// and licence files it signs. (The cross-process tests use @tandem/testkit's test vendor; the
// server's own tests cannot depend on the testkit, which depends on the server.)
import { generateVendorKey, signLicence } from '@tandem/issuer';
import type { LicenceSpec } from '@tandem/ledger';

const KEY_ID = 'server-test-vendor';
const { privateKey, publicKey } = generateVendorKey();

/** The licensing section of a tandemd configuration that trusts this vendor. */
export function licensingConfig(): { vendorKeys: Array<{ id: string; publicKey: string }> } {
  return {
    vendorKeys: [{ id: KEY_ID, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() }],
  };
}

/** A licence file for the spec, issued for the cluster. */
export function signedLicenceFile(
  spec: Pick<LicenceSpec, 'licenceId' | 'seats'> & Partial<LicenceSpec>,
  clusterId: string,
  serial = 1,
): string {
  return signLicence(
    {
      product: 'Test product',
      quota: null,
      validFromMs: 0,
      validUntilMs: 0,
      redundancy: false,
      features: {},
      ...spec,
      serial,
      vendor: 'Server Test Vendor',
      issuedAtMs: Date.now(),
      clusterId,
    },
    { keyId: KEY_ID, privateKey },
  );
}
