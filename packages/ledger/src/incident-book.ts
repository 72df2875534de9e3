// The ledger's record of overdraft incidents. It only stores and orders them: the ledger decides
// when one opens (a merge put a licence over its limit) and when it resolves. Open incidents are
// all kept; resolved ones are kept up to MAX_RESOLVED_INCIDENTS, the earliest resolved forgotten
// first, so that the record stays bounded however many splits a cluster goes through.
import assert from 'node:assert/strict';
import { deepFreeze } from './canonical.js';
import type { Incident, IncidentKind } from './types.js';

/** Resolved incidents kept for operators; open ones are never dropped. */
export const MAX_RESOLVED_INCIDENTS = 1000;

const INCIDENT_ID_PATTERN = /^incident-([1-9][0-9]*)-([1-9][0-9]*)$/;

export function incidentIdFor(mergeIndex: number, sequence: number): string {
  return `incident-${mergeIndex}-${sequence}`;
}

/** The merge index and the sequence number in an incident id, or null for an id the ledger never makes. */
export function parseIncidentId(incidentId: string): { mergeIndex: number; sequence: number } | null {
  const match = INCIDENT_ID_PATTERN.exec(incidentId);
  if (match === null) return null;
  const mergeIndex = Number(match[1]);
  const sequence = Number(match[2]);
  if (!Number.isSafeInteger(mergeIndex) || !Number.isSafeInteger(sequence)) return null;
  return { mergeIndex, sequence };
}

/** Opening order: by merge index, then by the number within the merge. */
export function compareIncidents(a: Incident, b: Incident): number {
  const left = parseIncidentId(a.incidentId);
  const right = parseIncidentId(b.incidentId);
  assert.ok(left !== null && right !== null, 'incident ids are made by the ledger');
  return left.mergeIndex - right.mergeIndex || left.sequence - right.sequence;
}

export class IncidentBook {
  /** Insertion order is opening order. */
  private readonly open = new Map<string, Incident>();
  /** Insertion order is resolution order, so the first is the one to forget first. */
  private readonly resolved = new Map<string, Incident>();
  /** Open seats incidents per licence: while any is open the licence grants no new lease. */
  private readonly openSeatsByLicence = new Map<string, Set<string>>();

  get openCount(): number {
    return this.open.size;
  }

  get size(): number {
    return this.open.size + this.resolved.size;
  }

  has(incidentId: string): boolean {
    return this.open.has(incidentId) || this.resolved.has(incidentId);
  }

  hasOpenSeatsIncident(licenceId: string): boolean {
    return this.openSeatsByLicence.has(licenceId);
  }

  /** Open incidents in opening order. */
  openIncidents(): Incident[] {
    return [...this.open.values()];
  }

  /** The open incident of this licence, kind (and period, for usage) with the largest excess. */
  largestOpenExcess(licenceId: string, kind: IncidentKind, periodStartMs: number | null): number {
    let largest = 0;
    for (const incident of this.open.values()) {
      if (
        incident.licenceId === licenceId &&
        incident.kind === kind &&
        incident.periodStartMs === periodStartMs &&
        incident.excess > largest
      ) {
        largest = incident.excess;
      }
    }
    return largest;
  }

  /** Every incident in opening order, or only the open ones. */
  list(openOnly: boolean): Incident[] {
    const incidents = openOnly ? this.openIncidents() : [...this.open.values(), ...this.resolved.values()];
    return incidents.sort(compareIncidents);
  }

  /** Resolved incidents in resolution order, then open ones in opening order: the snapshot's order. */
  records(): Incident[] {
    return [...this.resolved.values(), ...this.open.values()];
  }

  add(incident: Incident): void {
    assert.ok(!this.has(incident.incidentId), `incident ${incident.incidentId} already exists`);
    assert.ok(incident.excess > 0, `incident ${incident.incidentId} has no excess`);
    const frozen = deepFreeze(incident);
    if (frozen.resolvedAtMs !== null) {
      this.resolved.set(frozen.incidentId, frozen);
      this.forgetOldResolved();
      return;
    }
    this.open.set(frozen.incidentId, frozen);
    if (frozen.kind === 'seats') {
      let ids = this.openSeatsByLicence.get(frozen.licenceId);
      if (ids === undefined) {
        ids = new Set();
        this.openSeatsByLicence.set(frozen.licenceId, ids);
      }
      ids.add(frozen.incidentId);
    }
  }

  resolve(incidentId: string, atMs: number): void {
    const incident = this.open.get(incidentId);
    assert.ok(incident !== undefined, `incident ${incidentId} is not open`);
    assert.ok(atMs >= incident.openedAtMs, `incident ${incidentId} cannot resolve before it opened`);
    this.open.delete(incidentId);
    if (incident.kind === 'seats') {
      const ids = this.openSeatsByLicence.get(incident.licenceId);
      assert.ok(ids?.delete(incidentId) === true, `incident ${incidentId} missing from its licence`);
      if (ids.size === 0) this.openSeatsByLicence.delete(incident.licenceId);
    }
    this.resolved.set(incidentId, deepFreeze({ ...incident, resolvedAtMs: atMs }));
    this.forgetOldResolved();
  }

  private forgetOldResolved(): void {
    for (const incidentId of this.resolved.keys()) {
      if (this.resolved.size <= MAX_RESOLVED_INCIDENTS) break;
      this.resolved.delete(incidentId);
    }
  }
}
