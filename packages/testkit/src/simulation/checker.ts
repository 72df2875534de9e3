// The simulation's safety checks. Some run all the time (one leader per term, every node applies
// the same entry with the same result at each index of one history, no licence over its seats
// after any apply unless an overdraft incident covers it); the rest run once at the end against the
// final ledgers and the workstations' history (every acknowledged operation is in every ledger with
// the acknowledged result, usage is counted exactly once, every excess over a limit is covered by
// an incident, the histories and the state hashes agree).
//
// Pair mode may split its brain: both nodes commit alone and their histories diverge, until the
// main merges the backup's solo entries and the backup discards its own history. So in pair mode a
// divergence is recorded (a split brain) rather than failed at once; it fails only if it is still
// there at the end. A merge re-applies the backup's operations on the main, where the main's
// history stands: a merged request may end with another result than the backup gave (a renewal of
// a lease the main had expired), but a merged grant keeps its lease id and merged usage counts.
// Every other mode must never diverge, never merge and never open an incident.
import type { Entry } from '@tandem/consensus';
import { type Command, canonicalJson, type Ledger, type Result } from '@tandem/ledger';
import {
  leasesHeld,
  type SeenRequest,
  uncoveredOverGrants,
} from '../history-checker/observed-over-grants.js';
import { releasesLost } from '../history-checker/released-leases.js';
import type { History, OperationRecord } from './history.js';
import type { ClientCommand } from './messages.js';

export type CheckName =
  /** An acknowledged operation is missing from a final ledger, or its result there differs. */
  | 'acknowledged_lost'
  /** The final ledgers' state hashes differ. */
  | 'state_hash'
  /** Two nodes led in the same term. */
  | 'two_leaders'
  /** A licence had more leases than seats after an apply, with no open incident covering it. */
  | 'seat_limit'
  /** A usage period went over its quota with no incident covering the excess. */
  | 'quota_limit'
  /**
   * Workstations held more leases of a licence at once than it has seats (as they saw it: from
   * each grant's answer to the release they sent, or to the lease's lapse), and no seats incident
   * names the terms that granted them.
   */
  | 'observed_over_grant'
  /** Reported usage was lost or counted twice. */
  | 'usage_total'
  /**
   * A release a workstation was answered with success (the lease, or in pair mode an intent
   * recorded for a lease that side did not know) left the lease live in the final ledger, and the
   * workstation did not take it again afterwards (an acquire handing it back, a renewal).
   */
  | 'release_lost'
  /**
   * Two nodes applied different entries, or got different results, at the same index of one
   * history; or (pair mode) their histories still differ at the end.
   */
  | 'applied_divergence'
  /** A merge or an overdraft incident without a split brain, or in a mode that cannot split. */
  | 'unexpected_incident'
  /** A re-sent request was answered differently from the first time (and no merge explains it). */
  | 'duplicate_result'
  /**
   * Witness mode: a leader acknowledged a write after hearing from no other voter for longer than
   * the failover timeout (check-quorum should have stopped it).
   */
  | 'stale_leader'
  /** The cluster did not settle (or operations stayed unacknowledged) after the faults healed. */
  | 'not_quiet'
  /**
   * After the heal and convergence, the leader did not serve a read (its read lease, as the
   * server's) and a write within two failover timeouts.
   */
  | 'liveness'
  /**
   * Far more deliveries in one tick than any working cluster makes: nodes answering each other in
   * a loop that never ends (the run stops there).
   */
  | 'message_storm'
  /** A component threw (an assertion in the core, ledger, storage or driver) or refused a write. */
  | 'exception';

export interface Violation {
  check: CheckName;
  atMs: number;
  message: string;
}

export interface CheckerOptions {
  /**
   * Pair mode: both nodes may commit alone (a split brain) and the merge repairs it, with
   * overdraft incidents. False: any divergence, merge or incident is a violation.
   */
  splitBrainPossible: boolean;
  /**
   * Most the nodes' clocks differ by. The ledger orders both histories' leases by their leaders'
   * clocks, so an over-grant the workstations held for no longer than this may be missed by it.
   */
  clockOffsetToleranceMs?: number;
}

/** What the checker saw of split brains and merges (for the run's statistics). */
export interface MergeStatistics {
  /** Episodes of diverging histories: committed entries that differ between the nodes. */
  splitBrains: number;
  /** Indexes at which two nodes applied different committed entries. */
  divergentIndexes: number;
  /** Histories discarded by a backup after a merge. */
  historiesDiscarded: number;
  /** Distinct merge entries applied. */
  merges: number;
  /** Operations the merges re-applied (executed on the main). */
  mergedOperations: number;
  /** Operations the merges found already done on the main (same request id). */
  mergedDuplicates: number;
  /** Distinct overdraft incidents the merges opened. */
  incidentsOpened: number;
  /** Acknowledged merged requests whose final result differs from the acknowledged one (allowed). */
  mergedResultsChanged: number;
  /** Merged requests the main had executed too (a retry reached both sides of the split brain). */
  executedOnBothSides: number;
}

/** Violations of one check beyond this many are counted, not kept. */
const MAX_KEPT_VIOLATIONS_PER_CHECK = 10;

const decoder = new TextDecoder();

export interface FinalLedger {
  nodeId: string;
  ledger: Ledger;
}

interface DuplicateAnswer {
  record: OperationRecord;
  first: Result;
  again: Result;
  atMs: number;
}

export class SimulationChecker {
  private readonly kept: Violation[] = [];
  private readonly keptByCheck = new Map<CheckName, number>();
  private violationTotal = 0;
  private readonly leaderByTerm = new Map<number, string>();
  /** Per node: index → "term kind data" of each entry it applied in its current history. */
  private readonly histories = new Map<string, Map<number, string>>();
  /** "index fingerprint" → the ledger result every node must get for that entry (JSON). */
  private readonly resultByEntry = new Map<string, string>();
  private appliedEntryCount = 0;
  /** A divergence was seen and no node has discarded or replaced its history since. */
  private divergenceOpen = false;
  private splitBrainSeen = false;
  /** Merge entries already counted ("index fingerprint"). */
  private readonly mergesSeen = new Set<string>();
  /** Request ids of every operation a merge entry carried. */
  private readonly mergedRequestIds = new Set<string>();
  /**
   * Request ids a merge carried that the main had executed itself too: a retry reached both sides
   * of a split brain. The workstation got one of the two answers, and nobody can tell which.
   */
  private readonly executedOnBothSides = new Set<string>();
  /** Leases the backup granted (by the results a merge carried) that the main holds after the merge. */
  private readonly keptMergedLeases = new Set<string>();
  /**
   * Leases some node ended by an applied release or revoke (a workstation's or an operator's, not a
   * lapse). A lease the backup handed back on an acquire and the main then ended this way is kept
   * by the merge as ended (ledger forcedAcquire): the workstation itself gave it up.
   */
  private readonly leasesReleased = new Set<string>();
  /** The leases with a release intent recorded before the merge being applied (observeMergeAhead). */
  private releaseIntentsAhead = new Set<string>();
  private readonly duplicateAnswers: DuplicateAnswer[] = [];
  readonly merge: MergeStatistics = {
    splitBrains: 0,
    divergentIndexes: 0,
    historiesDiscarded: 0,
    merges: 0,
    mergedOperations: 0,
    mergedDuplicates: 0,
    incidentsOpened: 0,
    mergedResultsChanged: 0,
    executedOnBothSides: 0,
  };

  constructor(
    private readonly licenceIds: readonly string[],
    private readonly options: CheckerOptions = { splitBrainPossible: false },
  ) {}

  get violations(): readonly Violation[] {
    return this.kept;
  }

  get violationCount(): number {
    return this.violationTotal;
  }

  get leaderTerms(): number {
    return this.leaderByTerm.size;
  }

  get maxLeaderTerm(): number {
    let max = 0;
    for (const term of this.leaderByTerm.keys()) max = Math.max(max, term);
    return max;
  }

  /** Applies counted over all nodes (re-applies after restarts included). */
  get appliedEntries(): number {
    return this.appliedEntryCount;
  }

  fail(check: CheckName, message: string, atMs: number): void {
    this.violationTotal += 1;
    const keptOfCheck = this.keptByCheck.get(check) ?? 0;
    if (keptOfCheck >= MAX_KEPT_VIOLATIONS_PER_CHECK) return;
    this.keptByCheck.set(check, keptOfCheck + 1);
    this.kept.push({ check, atMs, message });
  }

  observeLeader(nodeId: string, term: number, atMs: number): void {
    const known = this.leaderByTerm.get(term);
    if (known === undefined) {
      this.leaderByTerm.set(term, nodeId);
    } else if (known !== nodeId) {
      this.fail('two_leaders', `term ${term} has two leaders: ${known} and ${nodeId}`, atMs);
    }
  }

  /**
   * An entry was applied. command is the decoded ledger command (null for noop and configuration
   * entries); result is null when the ledger did not apply it.
   */
  observeApplied(
    nodeId: string,
    entry: Entry,
    command: Command | null,
    result: Result | null,
    atMs: number,
  ): void {
    this.appliedEntryCount += 1;
    const fingerprint = `${entry.term} ${entry.kind} ${decoder.decode(entry.data)}`;
    const history = this.historyOf(nodeId);
    const own = history.get(entry.index);
    if (own !== undefined && own !== fingerprint) {
      // Applied entries are committed: a node's own history changes only by discarding it.
      this.fail(
        'applied_divergence',
        `${nodeId} applied ${abbreviate(fingerprint)} at index ${entry.index} over its own committed ${abbreviate(own)}`,
        atMs,
      );
      return;
    }
    history.set(entry.index, fingerprint);
    for (const [otherId, otherHistory] of this.histories) {
      if (otherId === nodeId) continue;
      const other = otherHistory.get(entry.index);
      if (other === undefined || other === fingerprint) continue;
      this.observeDivergence(nodeId, otherId, entry.index, fingerprint, other, atMs);
    }
    if (entry.kind !== 'normal') return;
    // Canonical: a ledger restored from a snapshot may build equal objects with another key order.
    const resultJson = result === null ? 'not applied' : canonicalJson(result);
    const entryKey = `${entry.index} ${fingerprint}`;
    const knownResult = this.resultByEntry.get(entryKey);
    if (knownResult === undefined) {
      this.resultByEntry.set(entryKey, resultJson);
    } else if (knownResult !== resultJson) {
      this.fail(
        'applied_divergence',
        `${nodeId} got a different result at index ${entry.index}: ${abbreviate(resultJson)} instead of ${abbreviate(knownResult)}`,
        atMs,
      );
    }
    if (command?.type === 'merge' && !this.mergesSeen.has(entryKey))
      this.observeMerge(entryKey, command, result, atMs);
    const releases =
      command?.type === 'release_lease' ||
      command?.type === 'revoke_lease' ||
      (command?.type === 'lease_intent' && command.action === 'release');
    if (releases && result?.ok === true && result.outcome.kind === 'lease') {
      this.leasesReleased.add(result.outcome.lease.leaseId);
    }
  }

  /**
   * A merge entry is about to be applied to this ledger: the requests it carries that the ledger
   * already remembers were executed on both sides of the split brain.
   */
  observeMergeAhead(command: Extract<Command, { type: 'merge' }>, ledger: Ledger): void {
    this.releaseIntentsAhead = new Set(
      ledger
        .leaseIntentRecords()
        .filter((intent) => intent.action === 'release')
        .map((intent) => intent.leaseId),
    );
    for (const merged of command.entries) {
      if (!('requestId' in merged.command)) continue;
      const requestId = merged.command.requestId;
      // Remembered from an earlier merge of the same entries (offered again) is not both sides.
      if (this.mergedRequestIds.has(requestId) || this.executedOnBothSides.has(requestId)) continue;
      if (ledger.lookupRequest(requestId) === undefined) continue;
      this.executedOnBothSides.add(requestId);
      this.merge.executedOnBothSides += 1;
    }
  }

  /**
   * A merge entry was applied to this ledger: every lease the backup answered a merged acquire with
   * must be live now, unless a later entry of the same merge ended it or a release or revoke applied
   * earlier did (leasesReleased).
   */
  observeMergeApplied(command: Extract<Command, { type: 'merge' }>, ledger: Ledger): void {
    const ended = new Set<string>();
    for (const merged of command.entries) {
      if (merged.command.type === 'release_lease' || merged.command.type === 'revoke_lease') {
        ended.add(merged.command.leaseId);
      }
      if (merged.command.type === 'lease_intent' && merged.command.action === 'release') {
        ended.add(merged.command.leaseId);
      }
    }
    // A release recorded as an intent before the lease arrived: the merge applied it (and removed it).
    const stillRecorded = new Set(ledger.leaseIntentRecords().map((intent) => intent.leaseId));
    for (const leaseId of this.releaseIntentsAhead) if (!stillRecorded.has(leaseId)) ended.add(leaseId);
    this.releaseIntentsAhead = new Set();
    for (const merged of command.entries) {
      const result = merged.result;
      if (merged.command.type !== 'acquire_lease' || result === undefined || !result.ok) continue;
      if (result.outcome.kind !== 'lease') continue;
      const leaseId = result.outcome.lease.leaseId;
      if (ledger.getLease(leaseId) !== undefined || ended.has(leaseId) || this.leasesReleased.has(leaseId)) {
        this.keptMergedLeases.add(leaseId);
      }
    }
  }

  /** A backup discarded its history after a merge: it starts again from nothing. */
  observeHistoryDiscarded(nodeId: string, atMs: number): void {
    this.merge.historiesDiscarded += 1;
    this.divergenceOpen = false;
    this.historyOf(nodeId).clear();
    if (!this.options.splitBrainPossible) {
      this.fail('unexpected_incident', `${nodeId} discarded its history in a mode that cannot split`, atMs);
    }
  }

  /** A node installed a snapshot from the leader: everything up to its index is the leader's now. */
  observeSnapshotInstalled(nodeId: string, snapshotIndex: number): void {
    const history = this.historyOf(nodeId);
    for (const index of history.keys()) if (index <= snapshotIndex) history.delete(index);
    this.divergenceOpen = false;
  }

  /**
   * No licence may hold more leases than seats after any apply, unless (pair mode, after a merge)
   * an open seats incident of that licence covers the whole excess.
   */
  observeSeats(nodeId: string, ledger: Ledger, atMs: number): void {
    for (const licenceId of this.licenceIds) {
      const licence = ledger.getLicence(licenceId);
      if (licence === undefined) continue;
      const inUse = ledger.seatsInUse(licenceId);
      const excess = inUse - licence.seats;
      if (excess <= 0) continue;
      // Only pair mode may overdraw, and only under an incident; elsewhere any excess fails.
      const covered =
        this.options.splitBrainPossible &&
        ledger
          .incidents({ openOnly: true })
          .some(
            (incident) =>
              incident.licenceId === licenceId && incident.kind === 'seats' && incident.excess >= excess,
          );
      if (!covered) {
        this.fail(
          'seat_limit',
          `${nodeId}: licence ${licenceId} has ${inUse} leases for ${licence.seats} seats at index ${ledger.appliedIndex}` +
            `, and no open overdraft incident covers the excess`,
          atMs,
        );
      }
    }
  }

  /** A workstation re-sent an acknowledged request and got another answer (judged at the end). */
  observeDuplicateAnswer(record: OperationRecord, first: Result, again: Result, atMs: number): void {
    this.duplicateAnswers.push({ record, first, again, atMs });
  }

  /**
   * The end-of-run checks, on the settled cluster (every invoked operation acknowledged, which
   * makes the usage check exact).
   */
  checkFinal(ledgers: readonly FinalLedger[], history: History, atMs: number): void {
    this.checkHistoriesAgree(atMs);
    this.checkAcknowledged(ledgers, history, atMs);
    this.checkDuplicateAnswers(atMs);
    this.checkUsage(ledgers, history, atMs);
    const final = ledgers[0];
    if (final !== undefined) this.checkObservedOverGrants(final, history, atMs);
    if (final !== undefined) this.checkReleases(final, history, atMs);
    for (const { nodeId, ledger } of ledgers) {
      this.observeSeats(nodeId, ledger, atMs);
      this.checkQuotas(nodeId, ledger, atMs);
      this.checkIncidents(nodeId, ledger, atMs);
    }
    const hashes = ledgers.map(({ nodeId, ledger }) => ({ nodeId, hash: ledger.stateHash() }));
    const first = hashes[0];
    for (const other of hashes.slice(1)) {
      if (first !== undefined && other.hash !== first.hash) {
        this.fail(
          'state_hash',
          `state hashes differ: ${first.nodeId} ${first.hash.slice(0, 16)} (applied ${ledgerOf(ledgers, first.nodeId).appliedIndex}), ` +
            `${other.nodeId} ${other.hash.slice(0, 16)} (applied ${ledgerOf(ledgers, other.nodeId).appliedIndex})`,
          atMs,
        );
      }
    }
  }

  // -----------------------------------------------------------------------------------------------

  private historyOf(nodeId: string): Map<number, string> {
    let history = this.histories.get(nodeId);
    if (history === undefined) {
      history = new Map();
      this.histories.set(nodeId, history);
    }
    return history;
  }

  private observeDivergence(
    nodeId: string,
    otherId: string,
    index: number,
    fingerprint: string,
    other: string,
    atMs: number,
  ): void {
    const message =
      `${nodeId} applied a different entry at index ${index} than ${otherId}: ` +
      `${abbreviate(fingerprint)} instead of ${abbreviate(other)}`;
    if (!this.options.splitBrainPossible) {
      this.fail('applied_divergence', message, atMs);
      return;
    }
    // Pair mode: both sides committed alone. The merge must repair it before the end.
    this.merge.divergentIndexes += 1;
    this.splitBrainSeen = true;
    if (!this.divergenceOpen) this.merge.splitBrains += 1;
    this.divergenceOpen = true;
  }

  private observeMerge(
    entryKey: string,
    command: Extract<Command, { type: 'merge' }>,
    result: Result | null,
    atMs: number,
  ): void {
    this.mergesSeen.add(entryKey);
    this.merge.merges += 1;
    for (const merged of command.entries) {
      if ('requestId' in merged.command) this.mergedRequestIds.add(merged.command.requestId);
    }
    if (result?.ok === true && result.outcome.kind === 'merged') {
      this.merge.mergedOperations += result.outcome.applied;
      this.merge.mergedDuplicates += result.outcome.duplicates;
      this.merge.incidentsOpened += result.outcome.incidentIds.length;
    }
    if (!this.options.splitBrainPossible || !this.splitBrainSeen) {
      this.fail(
        'unexpected_incident',
        `a merge of ${command.entries.length} entries from ${command.sourceNodeId} was applied ` +
          `${this.options.splitBrainPossible ? 'before any split brain' : 'in a mode that cannot split'}`,
        atMs,
      );
    }
  }

  /** Pair mode: whatever diverged must have been merged and discarded by the end. */
  private checkHistoriesAgree(atMs: number): void {
    const entries = [...this.histories];
    for (let first = 0; first < entries.length; first += 1) {
      for (let second = first + 1; second < entries.length; second += 1) {
        const [firstId, firstHistory] = entries[first] as [string, Map<number, string>];
        const [secondId, secondHistory] = entries[second] as [string, Map<number, string>];
        for (const [index, fingerprint] of firstHistory) {
          const other = secondHistory.get(index);
          if (other === undefined || other === fingerprint) continue;
          this.fail(
            'applied_divergence',
            `after settling, ${firstId} and ${secondId} still hold different committed entries at index ${index}: ` +
              `${abbreviate(fingerprint)} and ${abbreviate(other)}`,
            atMs,
          );
          break;
        }
      }
    }
  }

  /**
   * A final result may differ from the acknowledged one only for a request a merge carried (the
   * main's history stands: a renewal may have met a lease the main had expired). Even then a grant
   * keeps its lease id and an accepted usage report stays counted. A request that both sides
   * executed may also end with the other side's refusal turned into its grant, or its refused
   * report counted (the workstation may have had that answer). Returns why the difference is not
   * allowed, or null.
   */
  private mergedDifference(command: ClientCommand, acknowledged: Result, final: Result): string | null {
    if (!this.mergedRequestIds.has(command.requestId)) return 'no merge carried it';
    const bothSides = this.executedOnBothSides.has(command.requestId);
    if (command.type === 'acquire_lease') {
      const acknowledgedLease =
        acknowledged.ok && acknowledged.outcome.kind === 'lease' ? acknowledged.outcome.lease : null;
      const finalLease = final.ok && final.outcome.kind === 'lease' ? final.outcome.lease : null;
      if (acknowledgedLease === null && finalLease !== null && !bothSides) {
        return `the refused acquire became lease ${finalLease.leaseId}`;
      }
      // Both sides granted: the request keeps the main's answer, but the backup's lease must be
      // kept beside it (the workstation may hold either).
      const kept =
        finalLease?.leaseId === acknowledgedLease?.leaseId ||
        (bothSides && acknowledgedLease !== null && this.keptMergedLeases.has(acknowledgedLease.leaseId));
      if (acknowledgedLease !== null && !kept) {
        return `the merge did not keep lease ${acknowledgedLease.leaseId}${bothSides ? ' (both sides executed the request)' : ''}`;
      }
    }
    if (command.type === 'report_usage' && acknowledged.ok !== final.ok) {
      if (acknowledged.ok) {
        return `the accepted report was refused by the merge${bothSides ? ' (both sides executed the request)' : ''}`;
      }
      if (!bothSides) return 'the refused report was counted by the merge';
    }
    return null;
  }

  private checkAcknowledged(ledgers: readonly FinalLedger[], history: History, atMs: number): void {
    for (const record of history.records) {
      const completion = record.completion;
      if (completion === null || record.duplicateOf !== null) continue;
      const expected = canonicalJson(completion.result);
      let changed = false;
      for (const { nodeId, ledger } of ledgers) {
        const remembered = ledger.lookupRequest(record.requestId);
        if (remembered === undefined) {
          this.fail(
            'acknowledged_lost',
            `${nodeId} has no record of acknowledged ${record.command.type} ${record.requestId} ` +
              `(acknowledged by ${completion.nodeId} at index ${completion.index}, term ${completion.term}, ${completion.atMs} ms)`,
            atMs,
          );
          continue;
        }
        if (canonicalJson(remembered) === expected) continue;
        const refusal = this.mergedDifference(record.command, completion.result, remembered);
        if (refusal === null) {
          changed = true;
          continue;
        }
        this.fail(
          'acknowledged_lost',
          `${nodeId} holds a different result for ${record.command.type} ${record.requestId} (${refusal}): ` +
            `${abbreviate(canonicalJson(remembered))} instead of the acknowledged ${abbreviate(expected)} ` +
            `(from ${completion.nodeId}, term ${completion.term}, index ${completion.index}, ${completion.atMs} ms)`,
          atMs,
        );
      }
      if (changed) this.merge.mergedResultsChanged += 1;
    }
  }

  private checkDuplicateAnswers(atMs: number): void {
    for (const { record, first, again } of this.duplicateAnswers) {
      // A re-send that reached the other side of a split brain, where the request was unknown, was
      // executed there afresh: pair mode promises that both executions count once and that the
      // first answer's effect survives (checkAcknowledged), not that the other side answers alike.
      if (this.executedOnBothSides.has(record.requestId)) continue;
      const refusal = this.mergedDifference(record.command, first, again);
      if (refusal === null) continue;
      this.fail(
        'duplicate_result',
        `${record.workstationId} re-sent ${record.requestId} and got ${abbreviate(canonicalJson(again))} ` +
          `instead of ${abbreviate(canonicalJson(first))} (${refusal})`,
        atMs,
      );
    }
  }

  /**
   * Usage is counted once per request id: the ledgers must hold at least what was acknowledged
   * before the drain, and, once every report is acknowledged, exactly the sum of the accepted ones.
   */
  private checkUsage(ledgers: readonly FinalLedger[], history: History, atMs: number): void {
    const acceptedUnits = new Map<string, number>();
    const acceptedBeforeDrain = new Map<string, number>();
    /** Refused reports that the other side of a split brain may have counted. */
    const maybeCounted = new Map<string, number>();
    const counted = new Set<string>();
    let everyReportSettled = true;
    for (const record of history.records) {
      if (record.command.type !== 'report_usage') continue;
      const completion = record.completion;
      if (completion === null) {
        everyReportSettled = false;
        continue;
      }
      if (counted.has(record.requestId)) continue;
      counted.add(record.requestId);
      const { licenceId, units } = record.command;
      if (!completion.result.ok) {
        if (this.executedOnBothSides.has(record.requestId)) {
          maybeCounted.set(licenceId, (maybeCounted.get(licenceId) ?? 0) + units);
        }
        continue;
      }
      acceptedUnits.set(licenceId, (acceptedUnits.get(licenceId) ?? 0) + units);
      if (!completion.duringDrain) {
        acceptedBeforeDrain.set(licenceId, (acceptedBeforeDrain.get(licenceId) ?? 0) + units);
      }
    }
    for (const { nodeId, ledger } of ledgers) {
      for (const licenceId of this.licenceIds) {
        const total = ledger.usage(licenceId).reduce((sum, period) => sum + period.used, 0);
        const before = acceptedBeforeDrain.get(licenceId) ?? 0;
        const all = acceptedUnits.get(licenceId) ?? 0;
        const unsure = maybeCounted.get(licenceId) ?? 0;
        if (total < before) {
          this.fail(
            'usage_total',
            `${nodeId}: licence ${licenceId} counts ${total} units, below the ${before} acknowledged before the drain`,
            atMs,
          );
        } else if (everyReportSettled && (total < all || total > all + unsure)) {
          this.fail(
            'usage_total',
            `${nodeId}: licence ${licenceId} counts ${total} units; the accepted reports add up to ${all}` +
              `${unsure > 0 ? ` (plus up to ${unsure} refused on one side of a split brain and accepted on the other)` : ''}`,
            atMs,
          );
        }
      }
    }
  }

  /**
   * The fate of releases (released-leases.ts): a release a workstation was told is done leaves no
   * live lease in the final ledger, unless that workstation took the lease again after sending it.
   */
  private checkReleases(final: FinalLedger, history: History, atMs: number): void {
    const requests = history.records
      .filter((record) => record.duplicateOf === null)
      .map((record) => ({
        record,
        workstationId: record.workstationId,
        command: record.command,
        invokedAtMs: record.invokedAtMs,
        answeredAtMs: record.completion?.atMs ?? null,
        result: record.completion?.result ?? null,
      }));
    for (const { release, live } of releasesLost(requests, (leaseId) => final.ledger.getLease(leaseId))) {
      const { record } = release;
      const completion = record.completion;
      if (completion === null || !completion.result.ok) continue;
      this.fail(
        'release_lost',
        `${final.nodeId}: lease ${live.leaseId} of ${live.workstationId} is still live; ${record.workstationId} ` +
          `released it (${record.requestId} at ${record.invokedAtMs} ms, answered ${completion.result.outcome.kind} ` +
          `by ${completion.nodeId} at index ${completion.index}, term ${completion.term})`,
        atMs,
      );
    }
  }

  /**
   * Every over-grant the workstations could have seen is recorded: for each licence, the leases
   * they held at once (from the answer to each grant until the release was sent, a renewal was
   * refused, or the TTL after the latest acquire or renewal was sent, whichever came first), in the
   * checker's time (history-checker/observed-over-grants.ts). A stretch over the seats that lasted
   * longer than the clocks' offset must be named by a seats incident of that licence whose grant
   * terms include every term that granted a lease held during the stretch (the check the outside
   * partition harness made). The final ledgers agree (state_hash), so one is enough.
   */
  private checkObservedOverGrants(final: FinalLedger, history: History, atMs: number): void {
    const requests: SeenRequest[] = [];
    for (const record of history.records) {
      // A deliberate re-send gets the first answer again: it renews nothing.
      if (record.duplicateOf !== null) continue;
      requests.push({
        command: record.command,
        invokedAtMs: record.invokedAtMs,
        answeredAtMs: record.completion?.atMs ?? null,
        result: record.completion?.result ?? null,
      });
    }
    const problems = uncoveredOverGrants(
      leasesHeld(requests, atMs),
      final.ledger.listLicences(),
      final.ledger.incidents(),
      { toleranceMs: this.options.clockOffsetToleranceMs ?? 0, nowMs: atMs },
    );
    for (const problem of problems) this.fail('observed_over_grant', problem, atMs);
  }

  /** Every period over its quota is covered by an incident (open or resolved) of that period. */
  private checkQuotas(nodeId: string, ledger: Ledger, atMs: number): void {
    const incidents = ledger.incidents();
    for (const licenceId of this.licenceIds) {
      for (const period of ledger.usage(licenceId)) {
        const excess = period.quota > 0 ? period.used - period.quota : 0;
        if (excess <= 0) continue;
        const covered = incidents.some(
          (incident) =>
            incident.licenceId === licenceId &&
            incident.kind === 'usage' &&
            incident.periodStartMs === period.periodStartMs &&
            incident.excess >= excess,
        );
        if (!covered) {
          this.fail(
            'quota_limit',
            `${nodeId}: licence ${licenceId} used ${period.used} of ${period.quota} units in the period from ` +
              `${period.periodStartMs}, and no overdraft incident covers the excess`,
            atMs,
          );
        }
      }
    }
  }

  /** Incidents only after a split brain in pair mode; none at all where the brain cannot split. */
  private checkIncidents(nodeId: string, ledger: Ledger, atMs: number): void {
    const incidents = ledger.incidents();
    if (incidents.length === 0) return;
    if (this.options.splitBrainPossible && this.splitBrainSeen) return;
    this.fail(
      'unexpected_incident',
      `${nodeId} records ${incidents.length} overdraft incident(s) (first ${incidents[0]?.incidentId}) ` +
        `${this.options.splitBrainPossible ? 'though the histories never diverged' : 'in a mode that cannot split'}`,
      atMs,
    );
  }
}

function ledgerOf(ledgers: readonly FinalLedger[], nodeId: string): Ledger {
  const found = ledgers.find((candidate) => candidate.nodeId === nodeId);
  if (found === undefined) throw new Error(`no ledger for ${nodeId}`);
  return found.ledger;
}

function abbreviate(text: string): string {
  return text.length <= 160 ? text : `${text.slice(0, 157)}...`;
}
