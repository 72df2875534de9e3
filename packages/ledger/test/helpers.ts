// Test helpers: command builders and a driver that numbers entries and keeps a clock.
import assert from 'node:assert/strict';
import { expect } from 'chai';
import { Ledger } from '../src/ledger.js';
import type { LedgerOptions } from '../src/options.js';
import type {
  Command,
  Lease,
  Licence,
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
    this.ledger = new Ledger(options);
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

  activate(overrides: Partial<LicenceSpec> = {}, requestId = this.nextRequestId()): Result {
    return this.apply({ type: 'activate_licence', requestId, licence: licenceSpec(overrides) });
  }

  acquire(licenceId: string, workstationId: string, ttlMs = 5 * MINUTE_MS, requestId = this.nextRequestId()) {
    return this.apply({
      type: 'acquire_lease',
      requestId,
      licenceId,
      workstationId,
      parameters: PARAMETERS,
      ttlMs,
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
