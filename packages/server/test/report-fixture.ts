// A ledger driven by hand for the report tests: every applied entry's events, as the replica hands
// them to the report index, recorded in log order.
import {
  type Command,
  type Lease,
  Ledger,
  type LedgerEntry,
  type Result,
  type WorkstationParameters,
} from '@tandem/ledger';
import type { FoldInput } from '../src/usage-history.js';
import { signedLicenceFile } from './licence-files.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
/** A Monday, 00:00 UTC. */
export const T0 = Date.UTC(2031, 0, 6);
export const CLUSTER_ID = 'report-test-cluster';

export function parameters(user: string, host: string): WorkstationParameters {
  return { user, host, cores: 4, productVersion: '1.0' };
}

export class LedgerRun {
  readonly ledger = new Ledger();
  readonly applied: FoldInput[] = [];
  index = 0;
  term = 1;
  nowMs = T0;
  private requests = 0;

  constructor() {
    this.apply({ type: 'set_cluster_id', clusterId: CLUSTER_ID });
  }

  at(offsetMs: number): this {
    this.nowMs = T0 + offsetMs;
    return this;
  }

  apply(command: Command): Result {
    this.index += 1;
    const entry: LedgerEntry = { index: this.index, term: this.term, timestampMs: this.nowMs, command };
    const result = this.ledger.apply(entry);
    this.applied.push({
      index: this.index,
      timestampMs: this.ledger.clockMs,
      events: [...this.ledger.appliedEvents()],
    });
    return result;
  }

  requestId(): string {
    this.requests += 1;
    return `request-${this.requests}`;
  }

  activate(licenceId: string, seats: number, quota: { units: number; period: 'day' } | null = null): Result {
    return this.apply({
      type: 'activate_licence',
      requestId: this.requestId(),
      licenceFile: signedLicenceFile({ licenceId, seats, quota }, CLUSTER_ID),
      actor: { name: 'alice', role: 'admin', via: 'certificate', from: 'test' },
    });
  }

  acquire(
    licenceId: string,
    workstationId: string,
    user: string,
    host: string,
    ttlMs = 30 * MINUTE_MS,
  ): Result {
    return this.apply({
      type: 'acquire_lease',
      requestId: this.requestId(),
      licenceId,
      workstationId,
      parameters: parameters(user, host),
      ttlMs,
      nonce: '',
    });
  }

  lease(result: Result): Lease {
    if (!result.ok || result.outcome.kind !== 'lease')
      throw new Error(`expected a lease, got ${JSON.stringify(result)}`);
    return result.outcome.lease;
  }

  renew(leaseId: string): Result {
    return this.apply({ type: 'renew_lease', requestId: this.requestId(), leaseId, ttlMs: 0 });
  }

  release(leaseId: string): Result {
    return this.apply({ type: 'release_lease', requestId: this.requestId(), leaseId });
  }

  report(licenceId: string, workstationId: string, units: number, requestId = this.requestId()): Result {
    return this.apply({ type: 'report_usage', requestId, licenceId, workstationId, units });
  }

  tick(): Result {
    return this.apply({ type: 'tick' });
  }
}
