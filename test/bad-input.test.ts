// Every RPC, given missing, empty, oversized, negative, out-of-range, unprintable and unknown fields,
// answers INVALID_ARGUMENT, NOT_FOUND or FAILED_PRECONDITION with a message naming the field (and
// never echoing a control character), and the ledger does not change.
// The callers are who would send them in a deployment: a workstation with its own certificate
// (ws-1), and an operator with the admin's.
import * as grpc from '@grpc/grpc-js';
import {
  call,
  callError,
  type RawClients,
  rawClients,
  rawClusterId,
  removeDirectory,
  signTestLicence,
  signTestPayload,
  TandemdProcess,
  temporaryDirectory,
} from '@tandem/testkit';
import { expect } from 'chai';

const huge = 'x'.repeat(5000);
/** 2^64 - 1 as a uint64: grpc-js on the server reads it into a number beyond the safe range. */
const MAX_UINT64 = '18446744073709551615';

describe('bad input against a real tandemd', function () {
  this.timeout(60_000);
  let directory: string;
  let node: TandemdProcess;
  /** The operator's stubs (admin certificate); workstation calls go through ws-1's. */
  let clients: RawClients;
  let workstation: RawClients;
  /** Another workstation (ws-2), for calls that touch what ws-1 holds. */
  let other: RawClients;
  let leaseId: string;
  let clusterId: string;

  before(async () => {
    directory = await temporaryDirectory();
    node = await TandemdProcess.start({ dataDir: directory });
    const pki = node.requirePki();
    clients = rawClients(node.address, node.access);
    workstation = rawClients(node.address, await pki.access('workstation', 'ws-1'));
    other = rawClients(node.address, await pki.access('workstation', 'ws-2'));
    clusterId = await rawClusterId(clients.admin);
    const file = signTestLicence(
      {
        licenceId: 'cad',
        product: 'CAD',
        seats: 2,
        quota: { units: 100, period: 'day' },
        features: { tier: 'pro' },
      },
      clusterId,
    );
    await call(clients.admin, clients.admin.ActivateLicence, {
      requestId: 'setup-1',
      licenceFile: Buffer.from(file),
    });
    const lease = await call(workstation.workstation, workstation.workstation.AcquireLease, {
      requestId: 'setup-2',
      licenceId: 'cad',
      workstationId: 'ws-1',
      ttlMs: 600_000,
    });
    leaseId = lease.lease?.leaseId ?? '';
    expect(leaseId).to.not.equal('');
  });

  after(async () => {
    clients?.close();
    workstation?.close();
    other?.close();
    await node?.stop();
    await removeDirectory(directory);
  });

  async function stateHash(): Promise<string> {
    const verify = await call(clients.admin, clients.admin.Verify, {});
    return verify.stateHash;
  }

  interface Case {
    name: string;
    invoke: () => Promise<grpc.ServiceError>;
    code: grpc.status;
    field: string;
  }

  const w = () => workstation.workstation;
  const o = () => other.workstation;
  const a = () => clients.admin;
  const acquire = (overrides: Record<string, unknown>) => () =>
    callError(w(), w().AcquireLease, {
      requestId: `acquire-${Math.random()}`,
      licenceId: 'cad',
      workstationId: 'ws-1',
      ttlMs: 60_000,
      ...overrides,
    });
  const activate = (licenceFile: string | undefined) => () =>
    callError(a(), a().ActivateLicence, {
      requestId: `activate-${Math.random()}`,
      ...(licenceFile === undefined ? {} : { licenceFile: Buffer.from(licenceFile) }),
    });
  /** Signed when the case runs, for the cluster id the node recorded. */
  const activateSigned = (terms: Record<string, unknown>) => () => activate(signedTerms(terms))();
  /** Terms as a vendor might sign them by mistake: the signature verifies, the terms do not. */
  const signedTerms = (terms: Record<string, unknown>) =>
    signTestPayload({
      licenceId: 'new',
      product: 'P',
      seats: 1,
      quota: null,
      validFromMs: 0,
      validUntilMs: 0,
      redundancy: false,
      features: {},
      serial: 1,
      vendor: 'V',
      issuedAtMs: 0,
      clusterId,
      ...terms,
    });
  const report = (overrides: Record<string, unknown>) => () =>
    callError(w(), w().ReportUsage, {
      requestId: `usage-${Math.random()}`,
      licenceId: 'cad',
      workstationId: 'ws-1',
      units: 1,
      ...overrides,
    });
  const INVALID = grpc.status.INVALID_ARGUMENT;
  const NOT_FOUND = grpc.status.NOT_FOUND;

  const cases: Case[] = [
    {
      name: 'AcquireLease without request_id',
      invoke: acquire({ requestId: '' }),
      code: INVALID,
      field: 'request_id',
    },
    {
      name: 'AcquireLease with an oversized request_id',
      invoke: acquire({ requestId: huge }),
      code: INVALID,
      field: 'request_id',
    },
    {
      name: 'AcquireLease with an empty licence_id',
      invoke: acquire({ licenceId: '' }),
      code: INVALID,
      field: 'licence_id',
    },
    {
      name: 'AcquireLease with an oversized licence_id',
      invoke: acquire({ licenceId: huge }),
      code: INVALID,
      field: 'licence_id',
    },
    {
      name: 'AcquireLease without workstation_id',
      invoke: acquire({ workstationId: '' }),
      code: INVALID,
      field: 'workstation_id',
    },
    { name: 'AcquireLease without ttl_ms', invoke: acquire({ ttlMs: 0 }), code: INVALID, field: 'ttl_ms' },
    {
      name: 'AcquireLease with a negative ttl_ms',
      invoke: acquire({ ttlMs: -5 }),
      code: INVALID,
      field: 'ttl_ms',
    },
    {
      name: 'AcquireLease with an oversized ttl_ms',
      invoke: acquire({ ttlMs: 10 ** 12 }),
      code: INVALID,
      field: 'ttl_ms',
    },
    {
      name: 'AcquireLease with an oversized host',
      invoke: acquire({ parameters: { host: huge } }),
      code: INVALID,
      field: 'parameters.host',
    },
    {
      name: 'AcquireLease for an unknown licence',
      invoke: acquire({ licenceId: 'nope' }),
      code: NOT_FOUND,
      field: 'licence_id',
    },
    {
      name: 'RenewLease without request_id',
      invoke: () => callError(w(), w().RenewLease, { requestId: '', leaseId, ttlMs: 1000 }),
      code: INVALID,
      field: 'request_id',
    },
    {
      name: 'RenewLease with an empty lease_id',
      invoke: () => callError(w(), w().RenewLease, { requestId: 'r-1', leaseId: '', ttlMs: 1000 }),
      code: INVALID,
      field: 'lease_id',
    },
    {
      // A negative uint64 is serialised as 0 by the client's protobuf encoder, which for a renewal
      // legitimately means "keep the TTL"; an oversized TTL is what can reach the server.
      name: 'RenewLease with an oversized ttl_ms',
      invoke: () => callError(w(), w().RenewLease, { requestId: 'r-2', leaseId, ttlMs: 10 ** 12 }),
      code: INVALID,
      field: 'ttl_ms',
    },
    {
      name: 'RenewLease of an unknown lease',
      invoke: () =>
        callError(w(), w().RenewLease, { requestId: 'r-3', leaseId: 'lease-999999', ttlMs: 1000 }),
      code: NOT_FOUND,
      field: 'lease_id',
    },
    {
      name: 'ReleaseLease with an empty lease_id',
      invoke: () => callError(w(), w().ReleaseLease, { requestId: 'rl-1', leaseId: '' }),
      code: INVALID,
      field: 'lease_id',
    },
    {
      name: 'ReleaseLease of an unknown lease',
      invoke: () => callError(w(), w().ReleaseLease, { requestId: 'rl-2', leaseId: 'lease-424242' }),
      code: NOT_FOUND,
      field: 'lease_id',
    },
    {
      name: "RenewLease of another workstation's lease",
      invoke: () => callError(o(), o().RenewLease, { requestId: 'r-4', leaseId, ttlMs: 1000 }),
      code: grpc.status.PERMISSION_DENIED,
      field: 'lease_id',
    },
    {
      name: "ReleaseLease of another workstation's lease",
      invoke: () => callError(o(), o().ReleaseLease, { requestId: 'rl-3', leaseId }),
      code: grpc.status.PERMISSION_DENIED,
      field: 'lease_id',
    },
    {
      name: 'ReportUsage for another workstation',
      invoke: report({ workstationId: 'ws-2' }),
      code: grpc.status.PERMISSION_DENIED,
      field: 'workstation_id',
    },
    { name: 'ReportUsage with zero units', invoke: report({ units: 0 }), code: INVALID, field: 'units' },
    { name: 'ReportUsage with negative units', invoke: report({ units: -3 }), code: INVALID, field: 'units' },
    {
      name: 'ReportUsage with oversized units',
      invoke: report({ units: 10 ** 15 }),
      code: INVALID,
      field: 'units',
    },
    {
      name: 'ReportUsage without licence_id',
      invoke: report({ licenceId: '' }),
      code: INVALID,
      field: 'licence_id',
    },
    {
      name: 'ReportUsage for an unknown licence',
      invoke: report({ licenceId: 'ghost' }),
      code: NOT_FOUND,
      field: 'licence_id',
    },
    {
      name: 'WorkstationService.GetLicence with an empty id',
      invoke: () => callError(w(), w().GetLicence, { licenceId: '' }),
      code: INVALID,
      field: 'licence_id',
    },
    {
      name: 'WorkstationService.GetLicence of an unknown licence',
      invoke: () => callError(w(), w().GetLicence, { licenceId: 'ghost' }),
      code: NOT_FOUND,
      field: 'licence_id',
    },
    {
      name: 'ActivateLicence without a licence file',
      invoke: activate(undefined),
      code: INVALID,
      field: 'licence_file',
    },
    {
      name: 'ActivateLicence with a file that is not a licence file',
      invoke: activate('{"seats": 1000}'),
      code: INVALID,
      field: 'licence_file',
    },
    {
      name: 'ActivateLicence with signed zero seats',
      invoke: activateSigned({ seats: 0 }),
      code: INVALID,
      field: 'seats',
    },
    {
      name: 'ActivateLicence with a signed empty product',
      invoke: activateSigned({ product: '' }),
      code: INVALID,
      field: 'product',
    },
    {
      name: 'ActivateLicence with a signed product holding control characters',
      invoke: activateSigned({ product: 'CAD\u001b[2J' }),
      code: INVALID,
      field: 'product',
    },
    {
      name: 'ActivateLicence with signed terms it does not know',
      invoke: activateSigned({ grace: 5 }),
      code: INVALID,
      field: 'licence_file',
    },
    {
      name: 'ActivateLicence with too many signed features',
      invoke: activateSigned({
        features: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v'])),
      }),
      code: INVALID,
      field: 'features',
    },
    {
      name: 'ActivateLicence of an existing licence',
      invoke: activateSigned({ licenceId: 'cad' }),
      code: grpc.status.ALREADY_EXISTS,
      field: 'cad',
    },
    {
      name: 'UpdateLicence of an unknown licence',
      invoke: () => callError(a(), a().UpdateLicence, { requestId: 'u-1', licenceId: 'ghost', seats: 3 }),
      code: NOT_FOUND,
      field: 'licence_id',
    },
    {
      name: 'UpdateLicence with zero seats',
      invoke: () => callError(a(), a().UpdateLicence, { requestId: 'u-2', licenceId: 'cad', seats: 0 }),
      code: INVALID,
      field: 'seats',
    },
    {
      name: 'UpdateLicence without request_id',
      invoke: () => callError(a(), a().UpdateLicence, { requestId: '', licenceId: 'cad', seats: 3 }),
      code: INVALID,
      field: 'request_id',
    },
    {
      name: 'DeactivateLicence with an empty id',
      invoke: () => callError(a(), a().DeactivateLicence, { requestId: 'd-1', licenceId: '' }),
      code: INVALID,
      field: 'licence_id',
    },
    {
      name: 'DeactivateLicence of an unknown licence',
      invoke: () => callError(a(), a().DeactivateLicence, { requestId: 'd-2', licenceId: 'ghost' }),
      code: NOT_FOUND,
      field: 'licence_id',
    },
    {
      name: 'AdminService.GetLicence of an unknown licence',
      invoke: () => callError(a(), a().GetLicence, { licenceId: 'ghost' }),
      code: NOT_FOUND,
      field: 'licence_id',
    },
    {
      name: 'ListLeases of an unknown licence',
      invoke: () => callError(a(), a().ListLeases, { licenceId: 'ghost' }),
      code: NOT_FOUND,
      field: 'licence_id',
    },
    {
      name: 'RevokeLease of an unknown lease',
      invoke: () =>
        callError(a(), a().RevokeLease, { requestId: 'v-1', leaseId: 'lease-31337', reason: 'test' }),
      code: NOT_FOUND,
      field: 'lease_id',
    },
    {
      name: 'RevokeLease with an oversized reason',
      invoke: () => callError(a(), a().RevokeLease, { requestId: 'v-2', leaseId, reason: huge }),
      code: INVALID,
      field: 'reason',
    },
    {
      name: 'GetUsage with an empty id',
      invoke: () => callError(a(), a().GetUsage, { licenceId: '' }),
      code: INVALID,
      field: 'licence_id',
    },
    {
      name: 'GetUsage of an unknown licence',
      invoke: () => callError(a(), a().GetUsage, { licenceId: 'ghost' }),
      code: NOT_FOUND,
      field: 'licence_id',
    },
    {
      name: 'TransferLeadership without a target',
      invoke: () => callError(a(), a().TransferLeadership, { toNodeId: '' }),
      code: INVALID,
      field: 'to_node_id',
    },
    {
      name: 'UpdateLicence beyond the signed seats',
      invoke: () => callError(a(), a().UpdateLicence, { requestId: 'u-3', licenceId: 'cad', seats: 3 }),
      code: grpc.status.FAILED_PRECONDITION,
      field: 'seats',
    },
    {
      name: 'UpdateLicence removing the signed quota',
      invoke: () =>
        callError(a(), a().UpdateLicence, { requestId: 'u-4', licenceId: 'cad', clearQuota: true }),
      code: grpc.status.FAILED_PRECONDITION,
      field: 'quota',
    },
    {
      name: 'GetUsage at 2^64 - 1',
      invoke: () => callError(a(), a().GetUsage, { licenceId: 'cad', atMs: MAX_UINT64 }),
      code: INVALID,
      field: 'at_ms',
    },
    {
      name: 'AcquireLease with a TTL of 2^64 - 1',
      invoke: acquire({ ttlMs: MAX_UINT64 }),
      code: INVALID,
      field: 'ttl_ms',
    },
    {
      name: 'ReportUsage with 2^64 - 1 units',
      invoke: report({ units: MAX_UINT64 }),
      code: INVALID,
      field: 'units',
    },
    {
      name: 'Verify waiting for index 2^64 - 1',
      invoke: () => callError(a(), a().Verify, { waitForIndex: MAX_UINT64 }),
      code: INVALID,
      field: 'wait_for_index',
    },
    {
      name: 'ListAudit since 2^64 - 1',
      invoke: () => callError(a(), a().ListAudit, { sinceMs: MAX_UINT64 }),
      code: INVALID,
      field: 'since_ms',
    },
    {
      name: 'ListAudit with too large a limit',
      invoke: () => callError(a(), a().ListAudit, { limit: 10_001 }),
      code: INVALID,
      field: 'limit',
    },
    {
      name: 'GetReport of an unknown kind',
      invoke: () => callError(a(), a().GetReport, { kind: 'bills', fromMs: 0, toMs: 3_600_000 }),
      code: INVALID,
      field: 'kind',
    },
    {
      name: 'GetReport from 2^64 - 1',
      invoke: () => callError(a(), a().GetReport, { kind: 'usage', fromMs: MAX_UINT64, toMs: 3_600_000 }),
      code: INVALID,
      field: 'from_ms',
    },
    {
      name: 'GetReport to before from',
      invoke: () => callError(a(), a().GetReport, { kind: 'leases', fromMs: 7_200_000, toMs: 3_600_000 }),
      code: INVALID,
      field: 'to_ms',
    },
    {
      name: 'GetReport with too large a limit',
      invoke: () =>
        callError(a(), a().GetReport, { kind: 'usage', fromMs: 0, toMs: 3_600_000, limit: 100_001 }),
      code: INVALID,
      field: 'limit',
    },
    {
      name: 'GetReport grouped by year',
      invoke: () => callError(a(), a().GetReport, { kind: 'usage', fromMs: 0, toMs: 3_600_000, by: 'year' }),
      code: INVALID,
      field: 'by',
    },
    {
      name: 'AcquireLease with a control character in the host',
      invoke: acquire({ parameters: { host: 'ws\u001b[31m.example' } }),
      code: INVALID,
      field: 'parameters.host',
    },
    {
      name: 'AcquireLease with a line break in the user',
      invoke: acquire({ parameters: { user: 'ann\nroot' } }),
      code: INVALID,
      field: 'parameters.user',
    },
    {
      name: 'AcquireLease with U+FFFD (invalid UTF-8 decoded) in the product version',
      invoke: acquire({ parameters: { productVersion: '5.1\ufffd' } }),
      code: INVALID,
      field: 'parameters.product_version',
    },
    {
      name: 'AcquireLease with a lone surrogate in the host',
      invoke: acquire({ parameters: { host: 'ws\ud800' } }),
      code: INVALID,
      field: 'parameters.host',
    },
    {
      name: 'RevokeLease with a control character in the reason',
      invoke: () => callError(a(), a().RevokeLease, { requestId: 'v-3', leaseId, reason: 'gone\u0007' }),
      code: INVALID,
      field: 'reason',
    },
    {
      name: 'ReportUsage reusing the request id of an acquire',
      invoke: report({ requestId: 'setup-2' }),
      code: grpc.status.FAILED_PRECONDITION,
      field: 'request_id',
    },
    {
      name: 'GetLicence with a control character in the id',
      invoke: () => callError(w(), w().GetLicence, { licenceId: 'cad\u001b[2J' }),
      code: INVALID,
      field: 'licence_id',
    },
    {
      name: 'ListLeases with an oversized id',
      invoke: () => callError(a(), a().ListLeases, { licenceId: huge }),
      code: INVALID,
      field: 'licence_id',
    },
    {
      name: 'TransferLeadership to an id with control characters',
      invoke: () => callError(a(), a().TransferLeadership, { toNodeId: 'backup\u001b[2J' }),
      code: INVALID,
      field: 'to_node_id',
    },
    {
      name: 'TransferLeadership to an unknown node',
      invoke: () => callError(a(), a().TransferLeadership, { toNodeId: 'nobody' }),
      code: NOT_FOUND,
      field: 'to_node_id',
    },
    {
      name: 'DrainNode without a node',
      invoke: () => callError(a(), a().DrainNode, { nodeId: '' }),
      code: INVALID,
      field: 'node_id',
    },
    {
      name: 'DrainNode of an id with control characters',
      invoke: () => callError(a(), a().DrainNode, { nodeId: 'main\u001b[2J' }),
      code: INVALID,
      field: 'node_id',
    },
    {
      name: 'UndrainNode of an unknown node',
      invoke: () => callError(a(), a().UndrainNode, { nodeId: 'nobody' }),
      code: NOT_FOUND,
      field: 'node_id',
    },
  ];

  it('rejects every malformed request with the right status and the field named, leaving the ledger unchanged', async () => {
    const before = await stateHash();
    const failures: string[] = [];
    for (const testCase of cases) {
      let error: grpc.ServiceError;
      try {
        error = await testCase.invoke();
      } catch (unexpected) {
        failures.push(`${testCase.name}: ${(unexpected as Error).message}`);
        continue;
      }
      const named = error.details.includes(testCase.field);
      // Nothing the request sent comes back unprintable or at length.
      const echoes = /\p{Cc}/u.test(error.details) || error.details.length > 1000;
      if (error.code !== testCase.code || !named || echoes) {
        failures.push(
          `${testCase.name}: expected ${grpc.status[testCase.code]} naming "${testCase.field}", got ${
            grpc.status[error.code]
          } "${error.details}"`,
        );
      }
    }
    expect(failures, failures.join('\n')).to.deep.equal([]);
    expect(await stateHash()).to.equal(before);
    // The node is still alive and serving.
    const licence = await call(w(), w().GetLicence, { licenceId: 'cad' });
    expect(licence.licence?.seatsInUse).to.equal(1);
  });

  it('refuses a request larger than the configured limit without harm', async () => {
    const error = await callError(w(), w().AcquireLease, {
      requestId: 'big',
      licenceId: 'cad',
      workstationId: 'ws-1',
      ttlMs: 1000,
      parameters: { host: 'h'.repeat(2 * 1024 * 1024) },
    });
    expect(error.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
    const licence = await call(w(), w().GetLicence, { licenceId: 'cad' });
    expect(licence.licence?.seatsInUse).to.equal(1);
  });
});
