// Per-licence metrics. Gauges (seats, limits, usage, quota) are read from the applied ledger when
// the metrics are rendered, on every node (a follower shows its applied state). Counters of what
// this node answered (leases granted, denials by reason, usage units recorded) are taken by meters
// on the workstation RPCs (rpc-metrics.ts), so the ledger stays free of them. Licence label values
// are capped (licence-labels.ts); no series is ever labelled with a workstation.
import * as grpc from '@grpc/grpc-js';
import type { Ledger } from '@tandem/ledger';
import { REJECTION_STATUS } from '@tandem/wire';
import { Counter, Gauge, type Registry } from 'prom-client';
import { LicenceLabels, OTHER_LICENCE } from './licence-labels.js';
import type { CallEnd, CallMeter } from './rpc-metrics.js';

const WORKSTATION_SERVICE = 'tandem.v1.WorkstationService';

/** A ledger rejection reason (a bounded set); other failures are not denials (see the RPC codes). */
function isRejectionReason(reason: string | null): reason is string {
  return reason !== null && Object.hasOwn(REJECTION_STATUS, reason);
}

/** A field of a decoded request, when it has that type. */
function fieldOf<T extends 'string' | 'number'>(
  request: unknown,
  field: string,
  type: T,
): (T extends 'string' ? string : number) | null {
  if (typeof request !== 'object' || request === null) return null;
  const value = (request as Record<string, unknown>)[field];
  return typeof value === type ? (value as T extends 'string' ? string : number) : null;
}

export class LicenceMetrics {
  private ledger: (() => Ledger) | null = null;
  private readonly labels = new LicenceLabels(
    (licenceId) => this.ledger?.().getLicence(licenceId) !== undefined,
  );
  private readonly acquisitions: Counter<'licence'>;
  private readonly denials: Counter<'licence' | 'reason'>;
  private readonly usageRecorded: Counter<'licence'>;
  private readonly seatsInUse: Gauge<'licence'>;
  private readonly seatsLimit: Gauge<'licence'>;
  private readonly usageUnits: Gauge<'licence'>;
  private readonly quotaUnits: Gauge<'licence'>;
  private readonly quotaRemaining: Gauge<'licence'>;
  private readonly licences: Gauge;
  private readonly unlabelled: Gauge;
  private readonly leases: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    const perLicence = (name: string, help: string) =>
      new Gauge({ name, help, labelNames: ['licence'] as const, registers });
    this.acquisitions = new Counter({
      name: 'tandem_licence_acquisitions_total',
      help: 'Leases this node granted (AcquireLease answered OK; a retried request answered again counts again).',
      labelNames: ['licence'],
      registers,
    });
    this.denials = new Counter({
      name: 'tandem_licence_denials_total',
      help: 'AcquireLease and ReportUsage calls this node refused with a ledger reason, by reason.',
      labelNames: ['licence', 'reason'],
      registers,
    });
    this.usageRecorded = new Counter({
      name: 'tandem_licence_usage_reported_units_total',
      help: 'Usage units this node recorded (ReportUsage answered OK).',
      labelNames: ['licence'],
      registers,
    });
    this.seatsInUse = perLicence(
      'tandem_licence_seats_in_use',
      'Live leases of the licence in the applied ledger.',
    );
    this.seatsLimit = perLicence('tandem_licence_seats_limit', 'Seats the licence allows at once.');
    this.usageUnits = perLicence(
      'tandem_licence_usage_units',
      "Usage units recorded in the licence's current period (by the ledger's clock).",
    );
    this.quotaUnits = perLicence(
      'tandem_licence_quota_units',
      "The licence's quota for its current period (licences with a quota only).",
    );
    this.quotaRemaining = perLicence(
      'tandem_licence_quota_remaining_units',
      'Quota units left in the current period, negative in a usage overdraft (licences with a quota only).',
    );
    this.licences = new Gauge({
      name: 'tandem_licences',
      help: 'Licences in the applied ledger, active and deactivated.',
      registers,
    });
    this.unlabelled = new Gauge({
      name: 'tandem_licences_unlabelled',
      help: 'Licences left out of the per-licence gauges, beyond the cap on licence label values.',
      registers,
    });
    this.leases = new Gauge({ name: 'tandem_leases', help: 'Live leases in the applied ledger.', registers });
  }

  /** Reads the ledger from now on (the replica opens after the metrics are made). */
  watch(ledger: () => Ledger): void {
    this.ledger = ledger;
  }

  /** The meters of the workstation RPCs, by "service/method", for RpcMetrics. */
  meters(): Map<string, CallMeter> {
    return new Map<string, CallMeter>([
      [`${WORKSTATION_SERVICE}/AcquireLease`, (end) => this.meterAcquire(end)],
      [`${WORKSTATION_SERVICE}/ReportUsage`, (end) => this.meterUsage(end)],
    ]);
  }

  /** Sets every per-licence gauge from the applied ledger: once per render. */
  refresh(): void {
    if (this.ledger === null) return;
    const ledger = this.ledger();
    // Admit licences while there is room: in licence id order, so that a restart labels the same.
    if (!this.labels.full)
      for (const licence of ledger.listLicences()) this.labels.labelOf(licence.licenceId);
    for (const gauge of [
      this.seatsInUse,
      this.seatsLimit,
      this.usageUnits,
      this.quotaUnits,
      this.quotaRemaining,
    ])
      gauge.reset();
    let labelled = 0;
    for (const licenceId of this.labels.labelledLicences()) {
      const licence = ledger.getLicence(licenceId);
      if (licence === undefined) continue;
      labelled += 1;
      const labels = { licence: licenceId };
      this.seatsInUse.set(labels, ledger.seatsInUse(licenceId));
      this.seatsLimit.set(labels, licence.seats);
      const current = ledger.currentUsage(licenceId, ledger.clockMs);
      const used = current?.used ?? 0;
      this.usageUnits.set(labels, used);
      if (licence.quota !== null) {
        const quota = current?.quota ?? licence.quota.units;
        this.quotaUnits.set(labels, quota);
        this.quotaRemaining.set(labels, quota - used);
      }
    }
    this.licences.set(ledger.licenceCount());
    this.unlabelled.set(ledger.licenceCount() - labelled);
    this.leases.set(ledger.leaseCount());
  }

  private meterAcquire(end: CallEnd): void {
    const licenceId = fieldOf(end.request, 'licenceId', 'string');
    if (licenceId === null) return;
    if (end.code === grpc.status.OK) this.acquisitions.inc({ licence: this.labels.labelOf(licenceId) });
    else this.countDenial(licenceId, end);
  }

  private meterUsage(end: CallEnd): void {
    const licenceId = fieldOf(end.request, 'licenceId', 'string');
    if (licenceId === null) return;
    if (end.code === grpc.status.OK) {
      const units = fieldOf(end.request, 'units', 'number');
      if (units !== null && units > 0)
        this.usageRecorded.inc({ licence: this.labels.labelOf(licenceId) }, units);
    } else {
      this.countDenial(licenceId, end);
    }
  }

  private countDenial(licenceId: string, end: CallEnd): void {
    // The edge answers an unknown licence NOT_FOUND naming the field, without a reason.
    const unknownLicence = end.code === grpc.status.NOT_FOUND && end.field === 'licence_id';
    const reason = unknownLicence ? 'licence_not_found' : end.reason;
    if (!isRejectionReason(reason)) return;
    // An unknown licence id is anyone's to make up: it is never a label value of its own.
    const licence = reason === 'licence_not_found' ? OTHER_LICENCE : this.labels.labelOf(licenceId);
    this.denials.inc({ licence, reason });
  }
}
