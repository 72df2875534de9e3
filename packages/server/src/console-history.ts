// What the console shows over time that the ledger does not keep: the leadership changes this node
// saw, and the seats in use of each licence, sampled by the node into small bounded rings in memory
// (lost on restart; each node keeps its own).
//
// The Licences page draws utilisation over hours and days from the usage-report index (GET
// /api/report); these samples are its live view of the last hour at 10 s, which the hourly report
// cannot give. The live chart reads them through UtilisationSource.
import type { LeadershipChange, UtilisationSample } from '@tandem/console';
import type { Replica } from './replica.js';

/** Leadership changes kept, the most recent. */
export const LEADERSHIP_CHANGES_MAX = 50;
/** How often the node samples seats in use, and how many samples per licence it keeps (1 hour). */
export const UTILISATION_INTERVAL_MS = 10_000;
export const UTILISATION_SAMPLES_MAX = 360;
/** Licences sampled at most: a ledger with more shows the first ones by id. */
export const UTILISATION_LICENCES_MAX = 256;

/** Where the live utilisation chart's samples come from. */
export interface UtilisationSource {
  readonly intervalMs: number;
  /** The samples of a licence since sinceMs, oldest first. */
  samples(licenceId: string, sinceMs: number): UtilisationSample[];
}

/** The last leadership changes this node saw, from its own replica's status. */
export class LeadershipHistory {
  private readonly changes: LeadershipChange[] = [];

  /** Notes the leader and term now, if they differ from the last change noted. */
  observe(leaderId: string | null, term: number, atMs: number): void {
    const last = this.changes.at(-1);
    const leader = leaderId ?? '';
    if (last !== undefined && last.leaderId === leader && last.term === term) return;
    this.changes.push({ atMs, term, leaderId: leader });
    if (this.changes.length > LEADERSHIP_CHANGES_MAX) this.changes.shift();
  }

  recent(): LeadershipChange[] {
    return [...this.changes];
  }
}

/** Seats in use per licence, sampled from the local ledger into one ring per licence. */
export class UtilisationHistory implements UtilisationSource {
  readonly intervalMs = UTILISATION_INTERVAL_MS;
  private readonly rings = new Map<string, UtilisationSample[]>();

  constructor(private readonly replica: Replica) {}

  sample(atMs: number): void {
    const ledger = this.replica.ledger;
    const licences = ledger.listLicences().slice(0, UTILISATION_LICENCES_MAX);
    const present = new Set<string>();
    for (const licence of licences) {
      present.add(licence.licenceId);
      let ring = this.rings.get(licence.licenceId);
      if (ring === undefined) {
        ring = [];
        this.rings.set(licence.licenceId, ring);
      }
      ring.push({ atMs, seatsInUse: ledger.seatsInUse(licence.licenceId), seats: licence.seats });
      if (ring.length > UTILISATION_SAMPLES_MAX) ring.shift();
    }
    for (const licenceId of this.rings.keys()) if (!present.has(licenceId)) this.rings.delete(licenceId);
  }

  samples(licenceId: string, sinceMs: number): UtilisationSample[] {
    return (this.rings.get(licenceId) ?? []).filter((sample) => sample.atMs >= sinceMs);
  }
}

/** The console's sampler: leadership every status tick, utilisation every UTILISATION_INTERVAL_MS. */
export class ConsoleHistory {
  readonly leadership = new LeadershipHistory();
  readonly utilisation: UtilisationHistory;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly replica: Replica) {
    this.utilisation = new UtilisationHistory(replica);
  }

  /** How often leadership is looked at; the event stream looks as often. */
  static readonly STATUS_INTERVAL_MS = 250;

  start(): void {
    this.observe();
    this.utilisation.sample(Date.now());
    const status = setInterval(() => this.observe(), ConsoleHistory.STATUS_INTERVAL_MS);
    const utilisation = setInterval(() => this.utilisation.sample(Date.now()), UTILISATION_INTERVAL_MS);
    status.unref();
    utilisation.unref();
    this.timers.push(status, utilisation);
  }

  observe(): void {
    const status = this.replica.status();
    this.leadership.observe(status.leaderId, status.term, Date.now());
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
  }
}
