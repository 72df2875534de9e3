// Conversions between the ledger's plain data and the wire messages. The server edge and the
// client library both use these, so that a field is named and shaped the same way everywhere.
import type {
  AuditAction,
  AuditRecord,
  Incident,
  IncidentKind,
  Lease,
  Licence,
  LicenceGrant,
  LicenceSpec,
  Outcome,
  Period,
  Quota,
  UsagePeriod,
  WorkstationParameters,
} from '@tandem/ledger';
import type {
  AuditRecord as WireAuditRecord,
  AuditRecord__Output as WireAuditRecordOutput,
} from './generated/tandem/v1/AuditRecord.js';
import type {
  Incident as WireIncident,
  Incident__Output as WireIncidentOutput,
} from './generated/tandem/v1/Incident.js';
import type { IncidentKind__Output as WireIncidentKind } from './generated/tandem/v1/IncidentKind.js';
import type { Lease as WireLease, Lease__Output as WireLeaseOutput } from './generated/tandem/v1/Lease.js';
import type {
  Licence as WireLicence,
  Licence__Output as WireLicenceOutput,
} from './generated/tandem/v1/Licence.js';
import type {
  LicenceGrant as WireLicenceGrant,
  LicenceGrant__Output as WireLicenceGrantOutput,
} from './generated/tandem/v1/LicenceGrant.js';
import type {
  LicenceSpec as WireLicenceSpec,
  LicenceSpec__Output as WireLicenceSpecOutput,
} from './generated/tandem/v1/LicenceSpec.js';
import type { Period__Output as WirePeriod } from './generated/tandem/v1/Period.js';
import type { Quota as WireQuota, Quota__Output as WireQuotaOutput } from './generated/tandem/v1/Quota.js';
import type { UsagePeriod as WireUsagePeriod } from './generated/tandem/v1/UsagePeriod.js';
import type {
  WorkstationParameters as WireParameters,
  WorkstationParameters__Output as WireParametersOutput,
} from './generated/tandem/v1/WorkstationParameters.js';

const PERIOD_TO_WIRE: Record<Period, WirePeriod> = {
  day: 'PERIOD_DAY',
  week: 'PERIOD_WEEK',
  month: 'PERIOD_MONTH',
};

export function periodToWire(period: Period): WirePeriod {
  return PERIOD_TO_WIRE[period] ?? 'PERIOD_UNSPECIFIED';
}

/** Returns null for PERIOD_UNSPECIFIED or an unknown value, which the caller reports as invalid. */
export function periodFromWire(period: WirePeriod | string | number): Period | null {
  switch (period) {
    case 'PERIOD_DAY':
    case 1:
      return 'day';
    case 'PERIOD_WEEK':
    case 2:
      return 'week';
    case 'PERIOD_MONTH':
    case 3:
      return 'month';
    default:
      return null;
  }
}

export function quotaToWire(quota: Quota): WireQuota {
  return { units: quota.units, period: PERIOD_TO_WIRE[quota.period] ?? 'PERIOD_UNSPECIFIED' };
}

export function parametersToWire(parameters: WorkstationParameters): WireParameters {
  return { ...parameters };
}

export function parametersFromWire(
  parameters: WireParametersOutput | null | undefined,
): WorkstationParameters {
  return {
    host: parameters?.host ?? '',
    user: parameters?.user ?? '',
    cores: parameters?.cores ?? 0,
    productVersion: parameters?.productVersion ?? '',
  };
}

export function licenceSpecToWire(spec: LicenceSpec): WireLicenceSpec {
  const wire: WireLicenceSpec = {
    licenceId: spec.licenceId,
    product: spec.product,
    seats: spec.seats,
    validFromMs: spec.validFromMs,
    validUntilMs: spec.validUntilMs,
    redundancy: spec.redundancy,
    features: { ...spec.features },
  };
  if (spec.quota !== null) wire.quota = quotaToWire(spec.quota);
  return wire;
}

/**
 * A quota whose period is unspecified keeps period 'day' out of the picture: it becomes a quota
 * with an invalid period, which validation rejects naming `licence.quota.period`.
 */
export function quotaFromWire(quota: WireQuotaOutput | null | undefined): Quota | null {
  if (quota === null || quota === undefined) return null;
  return { units: quota.units, period: periodFromWire(quota.period) ?? ('unspecified' as Period) };
}

export function licenceSpecFromWire(spec: WireLicenceSpecOutput | null | undefined): LicenceSpec {
  return {
    licenceId: spec?.licenceId ?? '',
    product: spec?.product ?? '',
    seats: spec?.seats ?? 0,
    quota: quotaFromWire(spec?.quota),
    validFromMs: spec?.validFromMs ?? 0,
    validUntilMs: spec?.validUntilMs ?? 0,
    redundancy: spec?.redundancy ?? false,
    features: { ...(spec?.features ?? {}) },
  };
}

export interface LicenceFigures {
  seatsInUse: number;
  usageThisPeriod: number;
  periodStartMs: number;
}

/** What the vendor signed, as the wire carries it: everything but the file itself. */
export type LicenceGrantView = Omit<LicenceGrant, 'file'>;

export function licenceGrantToWire(grant: LicenceGrantView): WireLicenceGrant {
  return {
    serial: grant.serial,
    vendor: grant.vendor,
    keyId: grant.keyId,
    issuedAtMs: grant.issuedAtMs,
    clusterId: grant.clusterId,
    limits: licenceSpecToWire(grant.limits),
  };
}

export function licenceGrantFromWire(grant: WireLicenceGrantOutput | null | undefined): LicenceGrantView {
  return {
    serial: grant?.serial ?? 0,
    vendor: grant?.vendor ?? '',
    keyId: grant?.keyId ?? '',
    issuedAtMs: grant?.issuedAtMs ?? 0,
    clusterId: grant?.clusterId ?? '',
    limits: licenceSpecFromWire(grant?.limits),
  };
}

export function licenceToWire(licence: Licence | LicenceView, figures: LicenceFigures): WireLicence {
  return {
    spec: licenceSpecToWire(licence),
    status: licence.status === 'active' ? 'LICENCE_STATUS_ACTIVE' : 'LICENCE_STATUS_DEACTIVATED',
    seatsInUse: figures.seatsInUse,
    usageThisPeriod: figures.usageThisPeriod,
    periodStartMs: figures.periodStartMs,
    activatedAtMs: licence.activatedAtMs,
    updatedAtMs: licence.updatedAtMs,
    grant: licenceGrantToWire(licence.grant),
  };
}

/** The client-side view of a licence: the ledger's shape (without the signed file) plus the live figures. */
export interface LicenceView extends Omit<Licence, 'grant'>, LicenceFigures {
  grant: LicenceGrantView;
}

export function licenceFromWire(licence: WireLicenceOutput): LicenceView {
  return {
    ...licenceSpecFromWire(licence.spec),
    status: licence.status === 'LICENCE_STATUS_DEACTIVATED' ? 'deactivated' : 'active',
    activatedAtMs: licence.activatedAtMs,
    updatedAtMs: licence.updatedAtMs,
    grant: licenceGrantFromWire(licence.grant),
    seatsInUse: licence.seatsInUse,
    usageThisPeriod: licence.usageThisPeriod,
    periodStartMs: licence.periodStartMs,
  };
}

export function leaseToWire(lease: Lease): WireLease {
  return { ...lease, parameters: parametersToWire(lease.parameters) };
}

/**
 * The answer to a renewal or release: the lease, or (pair mode, a lease this side did not know) no
 * lease and recordedAsIntent set (see LeaseResponse in proto/tandem/v1/workstation.proto).
 */
export function leaseAnswerToWire(outcome: Outcome): { lease: WireLease | null; recordedAsIntent: boolean } {
  if (outcome.kind === 'intent') return { lease: null, recordedAsIntent: true };
  if (outcome.kind !== 'lease') throw new Error(`expected a lease or intent outcome, got ${outcome.kind}`);
  return { lease: leaseToWire(outcome.lease), recordedAsIntent: false };
}

/**
 * A renewal's or release's answer as the client reads it: the lease, or 'intent' when the server
 * recorded it as an intent; null when it carries neither (a protocol error for the caller).
 */
export function leaseAnswerFromWire(response: {
  lease: WireLeaseOutput | null;
  recordedAsIntent?: boolean;
}): Lease | 'intent' | null {
  if (response.recordedAsIntent === true) return 'intent';
  return response.lease === null ? null : leaseFromWire(response.lease);
}

export function leaseFromWire(lease: WireLeaseOutput): Lease {
  return {
    leaseId: lease.leaseId,
    licenceId: lease.licenceId,
    workstationId: lease.workstationId,
    parameters: parametersFromWire(lease.parameters),
    grantedAtMs: lease.grantedAtMs,
    renewedAtMs: lease.renewedAtMs,
    expiresAtMs: lease.expiresAtMs,
    ttlMs: lease.ttlMs,
  };
}

export function usagePeriodToWire(period: UsagePeriod): WireUsagePeriod {
  return { ...period };
}

const INCIDENT_KIND_TO_WIRE: Record<IncidentKind, WireIncidentKind> = {
  seats: 'INCIDENT_KIND_SEATS',
  usage: 'INCIDENT_KIND_USAGE',
};

export function incidentToWire(incident: Incident): WireIncident {
  const wire: WireIncident = {
    incidentId: incident.incidentId,
    licenceId: incident.licenceId,
    kind: INCIDENT_KIND_TO_WIRE[incident.kind] ?? 'INCIDENT_KIND_UNSPECIFIED',
    limit: incident.limit,
    observed: incident.observed,
    excess: incident.excess,
    mainTerm: incident.mainTerm,
    backupTerms: [...incident.backupTerms],
    sourceNodeId: incident.sourceNodeId,
    mergeIndex: incident.mergeIndex,
    openedAtMs: incident.openedAtMs,
  };
  if (incident.resolvedAtMs !== null) wire.resolvedAtMs = incident.resolvedAtMs;
  if (incident.periodStartMs !== null) wire.periodStartMs = incident.periodStartMs;
  if (incident.periodEndMs !== null) wire.periodEndMs = incident.periodEndMs;
  if (incident.startedAtMs !== null) wire.startedAtMs = incident.startedAtMs;
  if (incident.endedAtMs !== null) wire.endedAtMs = incident.endedAtMs;
  wire.grantTerms = [...incident.grantTerms];
  return wire;
}

/** An unknown kind reads as seats, the kind that stops new leases, so that nothing is understated. */
export function incidentFromWire(incident: WireIncidentOutput): Incident {
  // proto3 `optional` fields come with a synthetic oneof that names the field when it is present.
  const present = (
    name: 'resolvedAtMs' | 'periodStartMs' | 'periodEndMs' | 'startedAtMs' | 'endedAtMs',
  ): number | null => (incident[`_${name}`] === name ? (incident[name] ?? 0) : null);
  return {
    incidentId: incident.incidentId,
    licenceId: incident.licenceId,
    kind: incident.kind === 'INCIDENT_KIND_USAGE' ? 'usage' : 'seats',
    limit: incident.limit,
    observed: incident.observed,
    excess: incident.excess,
    mainTerm: incident.mainTerm,
    backupTerms: [...incident.backupTerms],
    sourceNodeId: incident.sourceNodeId,
    mergeIndex: incident.mergeIndex,
    openedAtMs: incident.openedAtMs,
    resolvedAtMs: present('resolvedAtMs'),
    periodStartMs: present('periodStartMs'),
    periodEndMs: present('periodEndMs'),
    startedAtMs: present('startedAtMs'),
    endedAtMs: present('endedAtMs'),
    grantTerms: [...incident.grantTerms],
  };
}

export function auditRecordToWire(record: AuditRecord): WireAuditRecord {
  const wire: WireAuditRecord = {
    index: record.index,
    atMs: record.atMs,
    action: record.action,
    actor: { ...record.actor },
    requestId: record.requestId ?? '',
    licenceId: record.licenceId ?? '',
    leaseId: record.leaseId ?? '',
    outcome: record.outcome,
    detail: record.detail,
  };
  if (record.origin !== null) wire.origin = { ...record.origin };
  return wire;
}

/** An audit record as a client reads it; an action or outcome it does not know is kept as sent. */
export function auditRecordFromWire(record: WireAuditRecordOutput): AuditRecord {
  const origin = record.origin;
  return {
    index: record.index,
    atMs: record.atMs,
    action: record.action as AuditAction,
    actor: {
      name: record.actor?.name ?? '',
      role: record.actor?.role ?? '',
      via: record.actor?.via ?? '',
      from: record.actor?.from ?? '',
    },
    requestId: record.requestId === '' ? null : record.requestId,
    licenceId: record.licenceId === '' ? null : record.licenceId,
    leaseId: record.leaseId === '' ? null : record.leaseId,
    outcome: record.outcome as AuditRecord['outcome'],
    detail: record.detail,
    origin:
      origin === null
        ? null
        : { nodeId: origin.nodeId, index: origin.index, term: origin.term, timestampMs: origin.timestampMs },
  };
}
