// Shape checks for plain data that arrives as JSON (log entries and snapshots). Each reader checks
// JSON types only, names the path of the first mismatch, and rebuilds values from known fields so
// that stray members never reach the ledger's state.
import { LedgerDataError, type LedgerDataErrorCode } from './errors.js';
import type {
  Actor,
  AuditAction,
  AuditOrigin,
  AuditRecord,
  Incident,
  Lease,
  Licence,
  LicenceChanges,
  LicenceGrant,
  LicenceSpec,
  Period,
  Quota,
  RejectionReason,
  Result,
  UsagePeriod,
  WorkstationParameters,
} from './types.js';

export type Fields = Record<string, unknown>;

export const REJECTION_REASONS: ReadonlySet<string> = new Set<RejectionReason>([
  'seat_limit_reached',
  'quota_exhausted',
  'licence_not_found',
  'licence_exists',
  'licence_deactivated',
  'licence_not_yet_valid',
  'licence_expired',
  'lease_not_found',
  'licence_overdrawn',
  'licence_wrong_cluster',
  'licence_serial_not_newer',
  'licence_limit_exceeded',
  'request_id_reused',
  'cluster_id_mismatch',
  'invalid_command',
]);

export const AUDIT_ACTIONS: ReadonlySet<string> = new Set<AuditAction>([
  'activate_licence',
  'update_licence',
  'deactivate_licence',
  'revoke_lease',
  'transfer_leadership',
  'snapshot',
]);

export class ShapeReader {
  constructor(
    private readonly code: LedgerDataErrorCode,
    private readonly what: string,
  ) {}

  fail(path: string, message: string): never {
    throw new LedgerDataError(this.code, `cannot decode ${this.what}: ${path}: ${message}`);
  }

  object(value: unknown, path: string): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      this.fail(path, 'expected an object');
    return value as Fields;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'expected an array');
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, 'expected a string');
    return value;
  }

  number(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(path, 'expected a finite number');
    return value;
  }

  integer(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) this.fail(path, 'expected a safe integer');
    return value;
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, 'expected a boolean');
    return value;
  }

  quota(value: unknown, path: string): Quota | null {
    if (value === null) return null;
    const fields = this.object(value, path);
    return {
      units: this.number(fields.units, `${path}.units`),
      period: this.string(fields.period, `${path}.period`) as Period,
    };
  }

  features(value: unknown, path: string): Record<string, string> {
    const fields = this.object(value, path);
    // fromEntries defines own properties, so a key such as "__proto__" stays plain data.
    return Object.fromEntries(
      Object.entries(fields).map(([key, featureValue]) => [key, this.string(featureValue, `${path}.${key}`)]),
    );
  }

  licenceSpec(value: unknown, path: string): LicenceSpec {
    const fields = this.object(value, path);
    return {
      licenceId: this.string(fields.licenceId, `${path}.licenceId`),
      product: this.string(fields.product, `${path}.product`),
      seats: this.number(fields.seats, `${path}.seats`),
      quota: this.quota(fields.quota, `${path}.quota`),
      validFromMs: this.number(fields.validFromMs, `${path}.validFromMs`),
      validUntilMs: this.number(fields.validUntilMs, `${path}.validUntilMs`),
      redundancy: this.boolean(fields.redundancy, `${path}.redundancy`),
      features: this.features(fields.features, `${path}.features`),
    };
  }

  licenceChanges(value: unknown, path: string): LicenceChanges {
    const fields = this.object(value, path);
    const changes: LicenceChanges = {};
    if (fields.product !== undefined) changes.product = this.string(fields.product, `${path}.product`);
    if (fields.seats !== undefined) changes.seats = this.number(fields.seats, `${path}.seats`);
    if (fields.quota !== undefined) changes.quota = this.quota(fields.quota, `${path}.quota`);
    if (fields.validFromMs !== undefined) {
      changes.validFromMs = this.number(fields.validFromMs, `${path}.validFromMs`);
    }
    if (fields.validUntilMs !== undefined) {
      changes.validUntilMs = this.number(fields.validUntilMs, `${path}.validUntilMs`);
    }
    if (fields.redundancy !== undefined)
      changes.redundancy = this.boolean(fields.redundancy, `${path}.redundancy`);
    if (fields.features !== undefined) changes.features = this.features(fields.features, `${path}.features`);
    return changes;
  }

  parameters(value: unknown, path: string): WorkstationParameters {
    const fields = this.object(value, path);
    return {
      host: this.string(fields.host, `${path}.host`),
      user: this.string(fields.user, `${path}.user`),
      cores: this.number(fields.cores, `${path}.cores`),
      productVersion: this.string(fields.productVersion, `${path}.productVersion`),
    };
  }

  /**
   * A licence. One written before licences were signed has no grant: it becomes an unsigned one
   * whose limits are its own terms (nobody can raise them).
   */
  licence(value: unknown, path: string): Licence {
    const fields = this.object(value, path);
    const status = this.string(fields.status, `${path}.status`);
    if (status !== 'active' && status !== 'deactivated')
      this.fail(`${path}.status`, 'expected active or deactivated');
    const spec = this.licenceSpec(value, path);
    const grant =
      fields.grant === undefined
        ? {
            serial: 0,
            vendor: '',
            keyId: '',
            issuedAtMs: 0,
            clusterId: '',
            limits: this.licenceSpec(value, path),
            file: '',
          }
        : this.grant(fields.grant, `${path}.grant`);
    return {
      ...spec,
      status,
      activatedAtMs: this.integer(fields.activatedAtMs, `${path}.activatedAtMs`),
      updatedAtMs: this.integer(fields.updatedAtMs, `${path}.updatedAtMs`),
      grant,
    };
  }

  grant(value: unknown, path: string): LicenceGrant {
    const fields = this.object(value, path);
    return {
      serial: this.integer(fields.serial, `${path}.serial`),
      vendor: this.string(fields.vendor, `${path}.vendor`),
      keyId: this.string(fields.keyId, `${path}.keyId`),
      issuedAtMs: this.integer(fields.issuedAtMs, `${path}.issuedAtMs`),
      clusterId: this.string(fields.clusterId, `${path}.clusterId`),
      limits: this.licenceSpec(fields.limits, `${path}.limits`),
      file: this.string(fields.file, `${path}.file`),
    };
  }

  actor(value: unknown, path: string): Actor {
    const fields = this.object(value, path);
    return {
      name: this.string(fields.name, `${path}.name`),
      role: this.string(fields.role, `${path}.role`),
      via: this.string(fields.via, `${path}.via`),
      from: this.string(fields.from, `${path}.from`),
    };
  }

  /** An actor, or null in a command written before the audit trail (the member may be absent). */
  optionalActor(value: unknown, path: string): Actor | null {
    return value === undefined || value === null ? null : this.actor(value, path);
  }

  auditRecord(value: unknown, path: string): AuditRecord {
    const fields = this.object(value, path);
    const nullableString = (name: string): string | null =>
      fields[name] === null ? null : this.string(fields[name], `${path}.${name}`);
    const action = this.string(fields.action, `${path}.action`);
    if (!AUDIT_ACTIONS.has(action)) this.fail(`${path}.action`, 'expected a known action');
    const outcome = this.string(fields.outcome, `${path}.outcome`);
    if (outcome !== 'ok' && !REJECTION_REASONS.has(outcome)) {
      this.fail(`${path}.outcome`, 'expected ok or a known rejection');
    }
    let origin: AuditOrigin | null = null;
    if (fields.origin !== null) {
      const source = this.object(fields.origin, `${path}.origin`);
      origin = {
        nodeId: this.string(source.nodeId, `${path}.origin.nodeId`),
        index: this.integer(source.index, `${path}.origin.index`),
        term: this.integer(source.term, `${path}.origin.term`),
        timestampMs: this.integer(source.timestampMs, `${path}.origin.timestampMs`),
      };
    }
    return {
      index: this.integer(fields.index, `${path}.index`),
      atMs: this.integer(fields.atMs, `${path}.atMs`),
      action: action as AuditAction,
      actor: this.actor(fields.actor, `${path}.actor`),
      requestId: nullableString('requestId'),
      licenceId: nullableString('licenceId'),
      leaseId: nullableString('leaseId'),
      outcome: outcome as AuditRecord['outcome'],
      detail: this.string(fields.detail, `${path}.detail`),
      origin,
    };
  }

  lease(value: unknown, path: string): Lease {
    const fields = this.object(value, path);
    return {
      leaseId: this.string(fields.leaseId, `${path}.leaseId`),
      licenceId: this.string(fields.licenceId, `${path}.licenceId`),
      workstationId: this.string(fields.workstationId, `${path}.workstationId`),
      parameters: this.parameters(fields.parameters, `${path}.parameters`),
      grantedAtMs: this.integer(fields.grantedAtMs, `${path}.grantedAtMs`),
      renewedAtMs: this.integer(fields.renewedAtMs, `${path}.renewedAtMs`),
      expiresAtMs: this.integer(fields.expiresAtMs, `${path}.expiresAtMs`),
      ttlMs: this.integer(fields.ttlMs, `${path}.ttlMs`),
    };
  }

  usagePeriod(value: unknown, path: string): UsagePeriod {
    const fields = this.object(value, path);
    return {
      periodStartMs: this.integer(fields.periodStartMs, `${path}.periodStartMs`),
      periodEndMs: this.integer(fields.periodEndMs, `${path}.periodEndMs`),
      used: this.integer(fields.used, `${path}.used`),
      quota: this.integer(fields.quota, `${path}.quota`),
      reports: this.integer(fields.reports, `${path}.reports`),
    };
  }

  incident(value: unknown, path: string): Incident {
    const fields = this.object(value, path);
    const kind = this.string(fields.kind, `${path}.kind`);
    if (kind !== 'seats' && kind !== 'usage') this.fail(`${path}.kind`, 'expected seats or usage');
    const nullableInteger = (name: string): number | null =>
      fields[name] === null ? null : this.integer(fields[name], `${path}.${name}`);
    return {
      incidentId: this.string(fields.incidentId, `${path}.incidentId`),
      licenceId: this.string(fields.licenceId, `${path}.licenceId`),
      kind,
      limit: this.integer(fields.limit, `${path}.limit`),
      observed: this.integer(fields.observed, `${path}.observed`),
      excess: this.integer(fields.excess, `${path}.excess`),
      mainTerm: this.integer(fields.mainTerm, `${path}.mainTerm`),
      backupTerms: this.array(fields.backupTerms, `${path}.backupTerms`).map((term, position) =>
        this.integer(term, `${path}.backupTerms[${position}]`),
      ),
      sourceNodeId: this.string(fields.sourceNodeId, `${path}.sourceNodeId`),
      mergeIndex: this.integer(fields.mergeIndex, `${path}.mergeIndex`),
      openedAtMs: this.integer(fields.openedAtMs, `${path}.openedAtMs`),
      resolvedAtMs: nullableInteger('resolvedAtMs'),
      periodStartMs: nullableInteger('periodStartMs'),
      periodEndMs: nullableInteger('periodEndMs'),
      // Absent from incidents recorded before the over-grant record (snapshot versions 2 to 4).
      startedAtMs: fields.startedAtMs === undefined ? null : nullableInteger('startedAtMs'),
      endedAtMs: fields.endedAtMs === undefined ? null : nullableInteger('endedAtMs'),
      grantTerms:
        fields.grantTerms === undefined
          ? []
          : this.array(fields.grantTerms, `${path}.grantTerms`).map((term, position) =>
              this.integer(term, `${path}.grantTerms[${position}]`),
            ),
    };
  }

  result(value: unknown, path: string): Result {
    const fields = this.object(value, path);
    if (!this.boolean(fields.ok, `${path}.ok`)) {
      const reason = this.string(fields.reason, `${path}.reason`);
      if (!REJECTION_REASONS.has(reason))
        this.fail(`${path}.reason`, `unknown rejection ${JSON.stringify(reason)}`);
      return {
        ok: false,
        reason: reason as RejectionReason,
        message: this.string(fields.message, `${path}.message`),
      };
    }
    const outcomePath = `${path}.outcome`;
    const outcome = this.object(fields.outcome, outcomePath);
    switch (outcome.kind) {
      case 'licence':
        return {
          ok: true,
          outcome: { kind: 'licence', licence: this.licence(outcome.licence, `${outcomePath}.licence`) },
        };
      case 'intent': {
        const action = this.string(outcome.action, `${outcomePath}.action`);
        if (action !== 'release' && action !== 'renew')
          this.fail(`${outcomePath}.action`, 'expected release or renew');
        return {
          ok: true,
          outcome: {
            kind: 'intent',
            leaseId: this.string(outcome.leaseId, `${outcomePath}.leaseId`),
            action,
          },
        };
      }
      case 'lease':
        return {
          ok: true,
          outcome: { kind: 'lease', lease: this.lease(outcome.lease, `${outcomePath}.lease`) },
        };
      case 'usage':
        return {
          ok: true,
          outcome: {
            kind: 'usage',
            licenceId: this.string(outcome.licenceId, `${outcomePath}.licenceId`),
            periodStartMs: this.integer(outcome.periodStartMs, `${outcomePath}.periodStartMs`),
            used: this.integer(outcome.used, `${outcomePath}.used`),
            remaining:
              outcome.remaining === null ? null : this.integer(outcome.remaining, `${outcomePath}.remaining`),
          },
        };
      case 'tick':
        return {
          ok: true,
          outcome: {
            kind: 'tick',
            expiredLeaseIds: this.array(outcome.expiredLeaseIds, `${outcomePath}.expiredLeaseIds`).map(
              (id, position) => this.string(id, `${outcomePath}.expiredLeaseIds[${position}]`),
            ),
          },
        };
      case 'extended':
        return {
          ok: true,
          outcome: {
            kind: 'extended',
            leaseCount: this.integer(outcome.leaseCount, `${outcomePath}.leaseCount`),
          },
        };
      case 'cluster':
        return {
          ok: true,
          outcome: { kind: 'cluster', clusterId: this.string(outcome.clusterId, `${outcomePath}.clusterId`) },
        };
      case 'noted':
        return { ok: true, outcome: { kind: 'noted' } };
      case 'merged':
        return {
          ok: true,
          outcome: {
            kind: 'merged',
            applied: this.integer(outcome.applied, `${outcomePath}.applied`),
            duplicates: this.integer(outcome.duplicates, `${outcomePath}.duplicates`),
            skipped: this.integer(outcome.skipped, `${outcomePath}.skipped`),
            incidentIds: this.array(outcome.incidentIds, `${outcomePath}.incidentIds`).map((id, position) =>
              this.string(id, `${outcomePath}.incidentIds[${position}]`),
            ),
          },
        };
      default:
        return this.fail(
          `${outcomePath}.kind`,
          `unknown outcome ${JSON.stringify(outcome.kind)?.slice(0, 64)}`,
        );
    }
  }
}
