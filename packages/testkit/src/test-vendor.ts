// The test vendor: a software vendor for tests, the demo and the benchmarks. Its key pair is made at
// run time; every tandemd configuration the testkit writes trusts its public key, and it signs
// licence files for whatever cluster id a cluster recorded. Activations in tests go through
// activateTestLicence (or signTestLicence for a raw client), so that a change to how licences are
// activated stays in this one place.
//
// The private key is handed down to child processes in TANDEM_TEST_VENDOR_KEY, so that a process
// the tests start (the netns control agents, a benchmark worker) signs with the same key that the
// tandemd configurations trust.
import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AdminClient, LicenceSpecInput, LicenceView } from '@tandem/client';
import { completeLicenceSpec } from '@tandem/client';
import { generateVendorKey, parsePrivateKey, signLicence, signLicencePayload } from '@tandem/issuer';
import type { AdminServiceClient } from '@tandem/wire';
import { call } from './raw-client.js';

export const TEST_VENDOR_KEY_ID = 'tandem-test-vendor';
export const TEST_VENDOR_NAME = 'Tandem Test Vendor';
const KEY_ENVIRONMENT = 'TANDEM_TEST_VENDOR_KEY';

let keys: { privateKey: KeyObject; publicKey: KeyObject } | null = null;

function vendorKeys(): { privateKey: KeyObject; publicKey: KeyObject } {
  if (keys !== null) return keys;
  const inherited = process.env[KEY_ENVIRONMENT];
  if (inherited !== undefined && inherited !== '') {
    const privateKey = parsePrivateKey(inherited);
    keys = { privateKey, publicKey: createPublicKey(privateKey) };
  } else {
    keys = generateVendorKey();
    process.env[KEY_ENVIRONMENT] = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }
  return keys;
}

/** The test vendor's public key in PEM. */
export function testVendorPublicKeyPem(): string {
  return vendorKeys().publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

/** The licensing section of a tandemd configuration that trusts the test vendor. */
export function testVendorLicensing(): { vendorKeys: Array<{ id: string; publicKey: string }> } {
  return { vendorKeys: [{ id: TEST_VENDOR_KEY_ID, publicKey: testVendorPublicKeyPem() }] };
}

export interface TestLicenceOptions {
  /** 1 unless given; an update needs a higher one. */
  serial?: number;
  issuedAtMs?: number;
  vendor?: string;
}

/** A licence file for the spec, issued by the test vendor for the cluster. */
export function signTestLicence(
  spec: LicenceSpecInput,
  clusterId: string,
  options: TestLicenceOptions = {},
): string {
  return signLicence(
    {
      ...completeLicenceSpec(spec),
      serial: options.serial ?? 1,
      vendor: options.vendor ?? TEST_VENDOR_NAME,
      issuedAtMs: options.issuedAtMs ?? Date.now(),
      clusterId,
    },
    { keyId: TEST_VENDOR_KEY_ID, privateKey: vendorKeys().privateKey },
  );
}

/**
 * A licence file whose payload is this value as JSON, signed by the test vendor without any check:
 * for tests of what a server refuses in a properly signed file.
 */
export function signTestPayload(payload: unknown): string {
  return signLicencePayload(new TextEncoder().encode(JSON.stringify(payload)), {
    keyId: TEST_VENDOR_KEY_ID,
    privateKey: vendorKeys().privateKey,
  });
}

/** Writes a test licence file to the directory, as `<licence id>-<serial>.licence`, and returns its path. */
export async function writeTestLicence(
  directory: string,
  spec: LicenceSpecInput,
  clusterId: string,
  options: TestLicenceOptions = {},
): Promise<string> {
  const file = path.join(directory, `${spec.licenceId}-${options.serial ?? 1}.licence`);
  await writeFile(file, signTestLicence(spec, clusterId, options));
  return file;
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** The cluster id the cluster recorded, waiting for a fresh cluster's first leader to record it. */
export async function waitForClusterId(admin: AdminClient, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const clusterId = await admin.clusterId().catch(() => '');
    if (clusterId !== '') return clusterId;
    if (Date.now() >= deadline) throw new Error(`no cluster id recorded within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Activates the spec as a licence file the test vendor signed for the cluster. */
export async function activateTestLicence(
  admin: AdminClient,
  spec: LicenceSpecInput,
  options: TestLicenceOptions = {},
): Promise<LicenceView> {
  return admin.activateLicence(signTestLicence(spec, await waitForClusterId(admin), options));
}

/** Installs a newer test licence file (serial 2 unless given) for the licence the spec names. */
export async function updateTestLicence(
  admin: AdminClient,
  spec: LicenceSpecInput,
  options: TestLicenceOptions = {},
): Promise<LicenceView> {
  return admin.updateLicenceFromFile(
    signTestLicence(spec, await waitForClusterId(admin), { ...options, serial: options.serial ?? 2 }),
  );
}

/** The cluster id one node recorded, through a raw client (no retries, no redirect), waiting for it. */
export async function rawClusterId(admin: AdminServiceClient, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await call(admin, admin.ClusterStatus, {}).catch(() => null);
    if (status !== null && status.clusterId !== '') return status.clusterId;
    if (Date.now() >= deadline) throw new Error(`no cluster id recorded within ${timeoutMs} ms`);
    await sleep(50);
  }
}
