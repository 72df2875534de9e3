// Vendor-signed licence files against a real tandemd: a file changed by one byte, one signed with a
// key the node does not trust, one for another cluster, an expired one and one with a serial that is
// not newer are each refused with their reason, and change nothing; files from both keys of a
// rotation are accepted; an operator cannot raise a licence beyond what the vendor signed.

import * as grpc from '@grpc/grpc-js';
import { generateVendorKey, signLicence } from '@tandem/issuer';
import type { LicenceTerms } from '@tandem/ledger';
import {
  call,
  callError,
  type RawClients,
  rawClients,
  rawClusterId,
  removeDirectory,
  signTestLicence,
  TandemdProcess,
  temporaryDirectory,
  testVendorLicensing,
} from '@tandem/testkit';
import { FIELD_KEY, metadataValue, REASON_KEY } from '@tandem/wire';
import { expect } from 'chai';

const NEXT_KEY_ID = 'tandem-test-vendor-next';

describe('licence files against a real tandemd', function () {
  this.timeout(60_000);
  let directory: string;
  let node: TandemdProcess;
  let clients: RawClients;
  let clusterId: string;
  // The vendor's next key, configured beside the current one: the vendor is rotating.
  const next = generateVendorKey();
  // A key nobody configured.
  const stranger = generateVendorKey();

  before(async () => {
    directory = await temporaryDirectory();
    node = await TandemdProcess.start({
      dataDir: directory,
      overrides: {
        licensing: {
          vendorKeys: [
            ...testVendorLicensing().vendorKeys,
            { id: NEXT_KEY_ID, publicKey: next.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
          ],
        },
      },
    });
    clients = rawClients(node.address, node.access);
    clusterId = await rawClusterId(clients.admin);
  });

  after(async () => {
    clients?.close();
    await node?.stop();
    await removeDirectory(directory);
  });

  const stateHash = async () => (await call(clients.admin, clients.admin.Verify, {})).stateHash;

  function terms(overrides: Partial<LicenceTerms> = {}): LicenceTerms {
    return {
      licenceId: 'cad',
      product: 'CAD',
      seats: 10,
      quota: null,
      validFromMs: 0,
      validUntilMs: 0,
      redundancy: true,
      features: {},
      serial: 1,
      vendor: 'Tandem Test Vendor',
      issuedAtMs: Date.now(),
      clusterId,
      ...overrides,
    };
  }

  const activate = (file: string, requestId = `activate-${Math.random()}`) =>
    call(clients.admin, clients.admin.ActivateLicence, { requestId, licenceFile: Buffer.from(file) });
  const activateError = (file: string) =>
    callError(clients.admin, clients.admin.ActivateLicence, {
      requestId: `activate-${Math.random()}`,
      licenceFile: Buffer.from(file),
    });
  const updateError = (licenceId: string, file: string) =>
    callError(clients.admin, clients.admin.UpdateLicence, {
      requestId: `update-${Math.random()}`,
      licenceId,
      licenceFile: Buffer.from(file),
    });

  /** The refusal's status, field and reason, and that the ledger did not change. */
  async function expectRefused(
    refuse: () => Promise<grpc.ServiceError>,
    code: grpc.status,
    reason: string,
  ): Promise<void> {
    const before = await stateHash();
    const error = await refuse();
    expect(grpc.status[error.code], error.details).to.equal(grpc.status[code]);
    expect(metadataValue(error.metadata, REASON_KEY)).to.equal(reason);
    expect(metadataValue(error.metadata, FIELD_KEY)).to.equal('licence_file');
    expect(error.details).to.contain(reason);
    expect(await stateHash()).to.equal(before);
  }

  it('refuses a file with one byte changed: the signature does not verify', async () => {
    const file = signTestLicence({ licenceId: 'tampered', product: 'CAD', seats: 10 }, clusterId);
    const { payload, signature } = JSON.parse(file) as { payload: string; signature: string };
    const flip = (text: string, position: number) =>
      `${text.slice(0, position)}${text[position] === 'A' ? 'B' : 'A'}${text.slice(position + 1)}`;
    for (const tampered of [
      file.replace(payload, flip(payload, 20)),
      file.replace(signature, flip(signature, 5)),
    ]) {
      await expectRefused(
        () => activateError(tampered),
        grpc.status.INVALID_ARGUMENT,
        'licence_signature_invalid',
      );
    }
  });

  it('refuses a file signed with a key it does not trust, whatever key id the file names', async () => {
    const unknown = signLicence(terms({ licenceId: 'stranger' }), {
      keyId: 'someone-else',
      privateKey: stranger.privateKey,
    });
    await expectRefused(() => activateError(unknown), grpc.status.INVALID_ARGUMENT, 'licence_key_unknown');
    const forged = signLicence(terms({ licenceId: 'stranger' }), {
      keyId: NEXT_KEY_ID,
      privateKey: stranger.privateKey,
    });
    await expectRefused(
      () => activateError(forged),
      grpc.status.INVALID_ARGUMENT,
      'licence_signature_invalid',
    );
  });

  it('refuses a file issued for another cluster', async () => {
    const elsewhere = signTestLicence(
      { licenceId: 'elsewhere', product: 'CAD', seats: 1 },
      'another-cluster',
    );
    await expectRefused(
      () => activateError(elsewhere),
      grpc.status.INVALID_ARGUMENT,
      'licence_wrong_cluster',
    );
  });

  it('refuses an expired file with FAILED_PRECONDITION', async () => {
    const expired = signTestLicence(
      { licenceId: 'expired', product: 'CAD', seats: 1, validUntilMs: Date.now() - 1000 },
      clusterId,
    );
    await expectRefused(() => activateError(expired), grpc.status.FAILED_PRECONDITION, 'licence_expired');
  });

  it('refuses what is not a licence file, naming it', async () => {
    await expectRefused(
      () => activateError('{"format":"zip"}'),
      grpc.status.INVALID_ARGUMENT,
      'licence_file_malformed',
    );
  });

  it('takes an update only with a higher serial, for the licence it names', async () => {
    const activated = await activate(
      signTestLicence({ licenceId: 'cad', product: 'CAD', seats: 10 }, clusterId, { serial: 5 }),
    );
    expect(activated.licence?.grant?.serial).to.equal(5);
    for (const serial of [4, 5]) {
      const older = signTestLicence({ licenceId: 'cad', product: 'CAD', seats: 50 }, clusterId, { serial });
      await expectRefused(
        () => updateError('cad', older),
        grpc.status.FAILED_PRECONDITION,
        'licence_serial_not_newer',
      );
    }
    const newer = signTestLicence({ licenceId: 'cad', product: 'CAD', seats: 50 }, clusterId, { serial: 6 });
    const wrongLicence = await updateError('cam', newer);
    expect(wrongLicence.code).to.equal(grpc.status.NOT_FOUND);
    const updated = await call(clients.admin, clients.admin.UpdateLicence, {
      requestId: 'update-6',
      licenceId: 'cad',
      licenceFile: Buffer.from(newer),
    });
    expect(updated.licence?.spec?.seats).to.equal(50);
    expect(updated.licence?.grant).to.deep.include({ serial: 6, keyId: 'tandem-test-vendor', clusterId });
  });

  it('accepts files from both keys of a rotation', async () => {
    const current = await activate(
      signTestLicence({ licenceId: 'old-key', product: 'P', seats: 1 }, clusterId),
    );
    expect(current.licence?.grant?.keyId).to.equal('tandem-test-vendor');
    const rotated = await activate(
      signLicence(terms({ licenceId: 'new-key' }), { keyId: NEXT_KEY_ID, privateKey: next.privateKey }),
    );
    expect(rotated.licence?.grant?.keyId).to.equal(NEXT_KEY_ID);
  });

  it('lets an operator lower what the vendor signed, back up to it, and no further', async () => {
    await activate(
      signTestLicence(
        {
          licenceId: 'limited',
          product: 'P',
          seats: 4,
          quota: { units: 100, period: 'day' },
          validUntilMs: Date.now() + 86_400_000,
        },
        clusterId,
      ),
    );
    const update = (fields: Record<string, unknown>) =>
      call(clients.admin, clients.admin.UpdateLicence, {
        requestId: `op-${Math.random()}`,
        licenceId: 'limited',
        ...fields,
      });
    const refused = (fields: Record<string, unknown>) =>
      callError(clients.admin, clients.admin.UpdateLicence, {
        requestId: `op-${Math.random()}`,
        licenceId: 'limited',
        ...fields,
      });
    expect((await update({ seats: 2 })).licence?.spec?.seats).to.equal(2);
    expect((await update({ seats: 4 })).licence?.spec?.seats).to.equal(4);
    for (const [fields, field] of [
      [{ seats: 5 }, 'seats'],
      [{ quota: { units: 101, period: 'PERIOD_DAY' } }, 'quota'],
      [{ clearQuota: true }, 'quota'],
      [{ validUntilMs: 0 }, 'valid_until_ms'],
      [{ product: 'Q' }, 'product'],
    ] as const) {
      const before = await stateHash();
      const error = await refused(fields);
      expect(error.code, error.details).to.equal(grpc.status.FAILED_PRECONDITION);
      expect(metadataValue(error.metadata, REASON_KEY)).to.equal('licence_limit_exceeded');
      expect(metadataValue(error.metadata, FIELD_KEY)).to.equal(field);
      expect(await stateHash()).to.equal(before);
    }
  });
});
