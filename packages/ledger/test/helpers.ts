// Test helpers: command builders and a driver that numbers entries and keeps a clock.
import assert from 'node:assert/strict';
import { expect } from 'chai';
import { Ledger } from '../src/ledger.js';
import { encodeLicenceFile, encodeLicencePayload, type LicenceTerms } from '../src/licence-file.js';
import type { LedgerOptions } from '../src/options.js';
import { encodeSnapshot } from '../src/snapshot.js';
import type {
  Actor,
  Command,
  Lease,
  Licence,
  LicenceChanges,
  LicenceSpec,
  Outcome,
  RejectionReason,
  Result,
  WorkstationParameters,
} from '../src/types.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
/** Wednesday 10 January 2024, 12:00 UTC. */
export const T0 = Date.UTC(2024, 0, 10, 12);

export function licenceSpec(overrides: Partial<LicenceSpec> = {}): LicenceSpec {
  return {
    licenceId: 'cad-1',
    product: 'CAD Suite',
    seats: 2,
    quota: null,
    validFromMs: 0,
    validUntilMs: 0,
    redundancy: true,
    features: { edition: 'pro' },
    ...overrides,
  };
}

/** The cluster the test ledgers record and the test licence files are issued for. */
export const TEST_CLUSTER_ID = 'test-cluster';

export const ACTOR: Actor = { name: 'alice', role: 'admin', via: 'certificate', from: 'ipv4:10.0.0.5:50000' };

export interface FileOptions {
  serial?: number;
  clusterId?: string;
  vendor?: string;
  issuedAtMs?: number;
  keyId?: string;
}

/**
 * A licence file for the spec. The ledger reads a file's terms but never checks its signature
 * (the server does), so the signature here is 64 zero bytes.
 */
export function licenceFile(spec: Partial<LicenceSpec> = {}, options: FileOptions = {}): string {
  const terms: LicenceTerms = {
    ...licenceSpec(spec),
    serial: options.serial ?? 1,
    vendor: options.vendor ?? 'Test Vendor',
    issuedAtMs: options.issuedAtMs ?? T0,
    clusterId: options.clusterId ?? TEST_CLUSTER_ID,
  };
  return encodeLicenceFile({
    keyId: options.keyId ?? 'test-key',
    payload: encodeLicencePayload(terms),
    signature: new Uint8Array(64),
  });
}

/** An empty ledger that has recorded TEST_CLUSTER_ID, at applied index 0 (as if restored). */
export function clusteredLedger(options: Partial<LedgerOptions> = {}, clusterId = TEST_CLUSTER_ID): Ledger {
  return Ledger.restore(
    encodeSnapshot({
      appliedIndex: 0,
      clockMs: 0,
      licences: [],
      leases: [],
      usage: [],
      requests: [],
      incidents: [],
      clusterId,
      audit: [],
      endedLeases: [],
      leaseIntents: [],
    }),
    options,
  );
}

export function activateCommand(
  spec: Partial<LicenceSpec> = {},
  requestId = 'activate',
  options: FileOptions = {},
): Command {
  return { type: 'activate_licence', requestId, licenceFile: licenceFile(spec, options), actor: ACTOR };
}

export function updateCommand(licenceId: string, changes: LicenceChanges, requestId = 'update'): Command {
  return { type: 'update_licence', requestId, licenceId, licenceFile: null, changes, actor: ACTOR };
}

export const PARAMETERS: WorkstationParameters = {
  host: 'ws1.example',
  user: 'ann',
  cores: 8,
  productVersion: '5.1',
};

export class Driver {
  readonly ledger: Ledger;
  index = 0;
  /** The term stamped on the entries; lease ids are lease-<term>-<index>. */
  term = 1;
  nowMs: number;
  private requestNumber = 0;

  constructor(options: Partial<LedgerOptions> = {}, startMs = T0) {
    this.ledger = clusteredLedger(options);
    this.nowMs = startMs;
  }

  nextRequestId(): string {
    this.requestNumber += 1;
    return `request-${this.requestNumber}`;
  }

  apply(command: Command): Result {
    this.index += 1;
    return this.ledger.apply({ index: this.index, term: this.term, timestampMs: this.nowMs, command });
  }

  advance(ms: number): this {
    this.nowMs += ms;
    return this;
  }

  activate(
    overrides: Partial<LicenceSpec> = {},
    requestId = this.nextRequestId(),
    options: FileOptions = {},
  ): Result {
    return this.apply(activateCommand(overrides, requestId, options));
  }

  /** Operator changes, within what the vendor signed. */
  update(licenceId: string, changes: LicenceChanges, requestId = this.nextRequestId()): Result {
    return this.apply(updateCommand(licenceId, changes, requestId));
  }

  /** A newer licence file from the vendor. */
  updateFile(spec: Partial<LicenceSpec>, options: FileOptions, requestId = this.nextRequestId()): Result {
    return this.apply({
      type: 'update_licence',
      requestId,
      licenceId: licenceSpec(spec).licenceId,
      licenceFile: licenceFile(spec, options),
      changes: {},
      actor: ACTOR,
    });
  }

  deactivate(licenceId: string, requestId = this.nextRequestId()): Result {
    return this.apply({ type: 'deactivate_licence', requestId, licenceId, actor: ACTOR });
  }

  /** Without a nonce, so that lease ids are lease-<term>-<index>; see acquireWithNonce. */
  acquire(licenceId: string, workstationId: string, ttlMs = 5 * MINUTE_MS, requestId = this.nextRequestId()) {
    return this.acquireWithNonce(licenceId, workstationId, '', ttlMs, requestId);
  }

  acquireWithNonce(
    licenceId: string,
    workstationId: string,
    nonce: string,
    ttlMs = 5 * MINUTE_MS,
    requestId = this.nextRequestId(),
  ) {
    return this.apply({
      type: 'acquire_lease',
      requestId,
      licenceId,
      workstationId,
      parameters: PARAMETERS,
      ttlMs,
      nonce,
    });
  }

  renew(leaseId: string, ttlMs = 0, requestId = this.nextRequestId()): Result {
    return this.apply({ type: 'renew_lease', requestId, leaseId, ttlMs });
  }

  release(leaseId: string, requestId = this.nextRequestId()): Result {
    return this.apply({ type: 'release_lease', requestId, leaseId });
  }

  report(licenceId: string, units: number, requestId = this.nextRequestId()): Result {
    return this.apply({ type: 'report_usage', requestId, licenceId, workstationId: 'ws-1', units });
  }

  tick(): string[] {
    const result = this.apply({ type: 'tick' });
    const outcome = expectOk(result);
    if (outcome.kind !== 'tick') throw new Error(`expected a tick outcome, got ${outcome.kind}`);
    return outcome.expiredLeaseIds;
  }
}

/**
 * A replayed answer is the first answer: equal, and the same bytes once encoded (fields in the same
 * order). The ledger keeps remembered answers compactly and rebuilds them, so not the same object.
 */
export function expectSameAnswer(actual: Result | undefined, first: Result | undefined): void {
  expect(actual).to.deep.equal(first);
  expect(JSON.stringify(actual)).to.equal(JSON.stringify(first));
}

export function expectOk(result: Result): Outcome {
  if (!result.ok) assert.fail(`expected success, got ${result.reason}: ${result.message}`);
  return result.outcome;
}

export function expectLease(result: Result): Lease {
  const outcome = expectOk(result);
  if (outcome.kind !== 'lease') assert.fail(`expected a lease outcome, got ${outcome.kind}`);
  return outcome.lease;
}

export function expectLicence(result: Result): Licence {
  const outcome = expectOk(result);
  if (outcome.kind !== 'licence') assert.fail(`expected a licence outcome, got ${outcome.kind}`);
  return outcome.licence;
}

export function expectRejected(result: Result, reason: RejectionReason, messagePart?: string): void {
  if (result.ok) assert.fail(`expected ${reason}, got success (${result.outcome.kind})`);
  expect(result.reason).to.equal(reason, result.message);
  if (messagePart !== undefined) expect(result.message).to.contain(messagePart);
}
