// The simulation's safety checks. Some run all the time (one leader per term, every node applies
// the same entry with the same result at each index, no licence over its seats after any apply);
// the rest run once at the end against the final ledgers and the workstations' history (every
// acknowledged operation is in every ledger with the acknowledged result, usage is counted exactly
// once, the state hashes agree).
import type { Entry } from '@tandem/consensus';
import { canonicalJson, type Ledger, type Result } from '@tandem/ledger';
import type { History } from './history.js';

export type CheckName =
  /** An acknowledged operation is missing from a final ledger, or its result there differs. */
  | 'acknowledged_lost'
  /** The final ledgers' state hashes differ. */
  | 'state_hash'
  /** Two nodes led in the same term. */
  | 'two_leaders'
  /** A licence had more leases than seats after an apply. */
  | 'seat_limit'
  /** Reported usage was lost or counted twice. */
  | 'usage_total'
  /** Two nodes applied different entries, or got different results, at the same index. */
  | 'applied_divergence'
  /** A re-sent request was answered differently from the first time. */
  | 'duplicate_result'
  /** The cluster did not settle (or operations stayed unacknowledged) after the faults healed. */
  | 'not_quiet'
  /** A component threw (an assertion in the core, ledger, storage or driver) or refused a write. */
  | 'exception';

export interface Violation {
  check: CheckName;
  atMs: number;
  message: string;
}

/** Violations of one check beyond this many are counted, not kept. */
const MAX_KEPT_VIOLATIONS_PER_CHECK = 10;

const decoder = new TextDecoder();

export interface FinalLedger {
  nodeId: string;
  ledger: Ledger;
}

export class SimulationChecker {
  private readonly kept: Violation[] = [];
  private readonly keptByCheck = new Map<CheckName, number>();
  private violationTotal = 0;
  private readonly leaderByTerm = new Map<number, string>();
  /** index → "term kind data" of the entry every node must apply there. */
  private readonly entryByIndex = new Map<number, string>();
  /** index → the ledger result every node must get there (JSON). */
  private readonly resultByIndex = new Map<number, string>();
  private appliedEntryCount = 0;

  constructor(private readonly licenceIds: readonly string[]) {}

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

  /** result is null for entries that are not ledger commands (noop, configuration). */
  observeApplied(nodeId: string, entry: Entry, result: Result | null, atMs: number): void {
    this.appliedEntryCount += 1;
    const fingerprint = `${entry.term} ${entry.kind} ${decoder.decode(entry.data)}`;
    const knownEntry = this.entryByIndex.get(entry.index);
    if (knownEntry === undefined) {
      this.entryByIndex.set(entry.index, fingerprint);
    } else if (knownEntry !== fingerprint) {
      this.fail(
        'applied_divergence',
        `${nodeId} applied a different entry at index ${entry.index}: ${abbreviate(fingerprint)} instead of ${abbreviate(knownEntry)}`,
        atMs,
      );
      return;
    }
    if (entry.kind !== 'normal') return;
    // Canonical: a ledger restored from a snapshot may build equal objects with another key order.
    const resultJson = result === null ? 'not applied' : canonicalJson(result);
    const knownResult = this.resultByIndex.get(entry.index);
    if (knownResult === undefined) {
      this.resultByIndex.set(entry.index, resultJson);
    } else if (knownResult !== resultJson) {
      this.fail(
        'applied_divergence',
        `${nodeId} got a different result at index ${entry.index}: ${abbreviate(resultJson)} instead of ${abbreviate(knownResult)}`,
        atMs,
      );
    }
  }

  /** No licence may hold more leases than seats (pair mode without a split brain never overdraws). */
  observeSeats(nodeId: string, ledger: Ledger, atMs: number): void {
    for (const licenceId of this.licenceIds) {
      const licence = ledger.getLicence(licenceId);
      if (licence === undefined) continue;
      const inUse = ledger.seatsInUse(licenceId);
      if (inUse > licence.seats) {
        this.fail(
          'seat_limit',
          `${nodeId}: licence ${licenceId} has ${inUse} leases for ${licence.seats} seats at index ${ledger.appliedIndex}`,
          atMs,
        );
      }
    }
  }

  /**
   * The end-of-run checks. allSettled says that every invoked operation was acknowledged, which
   * makes the usage check exact.
   */
  checkFinal(ledgers: readonly FinalLedger[], history: History, atMs: number): void {
    this.checkAcknowledged(ledgers, history, atMs);
    this.checkUsage(ledgers, history, atMs);
    for (const { nodeId, ledger } of ledgers) this.observeSeats(nodeId, ledger, atMs);
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

  private checkAcknowledged(ledgers: readonly FinalLedger[], history: History, atMs: number): void {
    for (const record of history.records) {
      const completion = record.completion;
      if (completion === null) continue;
      const expected = canonicalJson(completion.result);
      for (const { nodeId, ledger } of ledgers) {
        const remembered = ledger.lookupRequest(record.requestId);
        if (remembered === undefined) {
          this.fail(
            'acknowledged_lost',
            `${nodeId} has no record of acknowledged ${record.command.type} ${record.requestId} ` +
              `(acknowledged by ${completion.nodeId} at index ${completion.index}, term ${completion.term}, ${completion.atMs} ms)`,
            atMs,
          );
        } else if (canonicalJson(remembered) !== expected) {
          this.fail(
            'acknowledged_lost',
            `${nodeId} holds a different result for ${record.requestId}: ${abbreviate(canonicalJson(remembered))} ` +
              `instead of the acknowledged ${abbreviate(expected)}`,
            atMs,
          );
        }
      }
    }
  }

  /**
   * Usage is counted once per request id: the ledgers must hold at least what was acknowledged
   * before the drain, and, once every report is acknowledged, exactly the sum of the accepted ones.
   */
  private checkUsage(ledgers: readonly FinalLedger[], history: History, atMs: number): void {
    const acceptedUnits = new Map<string, number>();
    const acceptedBeforeDrain = new Map<string, number>();
    const counted = new Set<string>();
    let everyReportSettled = true;
    for (const record of history.records) {
      if (record.command.type !== 'report_usage') continue;
      const completion = record.completion;
      if (completion === null) {
        everyReportSettled = false;
        continue;
      }
      if (!completion.result.ok || counted.has(record.requestId)) continue;
      counted.add(record.requestId);
      const { licenceId, units } = record.command;
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
        if (total < before) {
          this.fail(
            'usage_total',
            `${nodeId}: licence ${licenceId} counts ${total} units, below the ${before} acknowledged before the drain`,
            atMs,
          );
        } else if (everyReportSettled && total !== all) {
          this.fail(
            'usage_total',
            `${nodeId}: licence ${licenceId} counts ${total} units; the accepted reports add up to ${all}`,
            atMs,
          );
        }
      }
    }
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
