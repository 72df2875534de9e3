// Everything a partition test proves from its recorded history and the nodes' final ledgers, in one
// call: acknowledged operations present on every data node, usage counted exactly once, one leader
// per term, and (where the mode promises it) linearizability of each licence's operations.
import { commandRequestId, type Operation } from '../history-checker/history.js';
import { createLicenceModel, type LicenceModelConfig } from '../history-checker/licence-model.js';
import { checkLinearizable } from '../history-checker/linearizability.js';
import {
  checkAcknowledgedPresent,
  checkOneLeaderPerTerm,
  checkUsageExactlyOnce,
} from '../history-checker/safety-checks.js';
import { ledgerUsageTotal, type VerifiedLedger } from './verified-ledger.js';

export interface HistoryVerdictInput {
  operations: readonly Operation[];
  ledgers: readonly VerifiedLedger[];
  leaders: readonly { term: number; leaderId: string }[];
  usageLicenceId: string;
  /** When given, each licence's operations must also be linearizable against this model. */
  linearizable?: readonly LicenceModelConfig[];
  /** Search budget of the linearizability check. */
  maxSearchStates?: number;
}

export interface HistoryVerdict {
  violations: string[];
  operationCount: number;
  acknowledgedCount: number;
  /** Operations whose outcome is unknown (failed or still pending when the workload stopped). */
  unknownCount: number;
  usageUnitsCounted: number;
  /** 'unknown' when the search hit its budget: neither a pass nor a violation. */
  linearizable: boolean | 'unknown' | 'not checked';
}

export function judgeHistory(input: HistoryVerdictInput): HistoryVerdict {
  const { operations, ledgers, usageLicenceId } = input;
  const violations: string[] = [];
  for (const { nodeId, ledger } of ledgers) {
    const prefix = (violation: string) => `${nodeId}: ${violation}`;
    violations.push(
      ...checkAcknowledgedPresent(operations, (id) => ledger.lookupRequestAnswers(id)).map(prefix),
    );
    const total = ledgerUsageTotal(ledger, usageLicenceId);
    violations.push(...checkUsageExactlyOnce(operations, new Map([[usageLicenceId, total]])).map(prefix));
    // Exactly, not just within bounds: the total is the units of the reports the ledger remembers
    // having accepted, each request id once.
    const counted = rememberedUsageUnits(operations, (id) => ledger.lookupRequest(id), usageLicenceId);
    if (counted !== total) {
      violations.push(
        prefix(
          `usage total ${total} on ${usageLicenceId} is not the ${counted} units of the reports it accepted`,
        ),
      );
    }
  }
  const first = ledgers[0];
  for (const other of ledgers.slice(1)) {
    if (first !== undefined && other.stateHash !== first.stateHash) {
      violations.push(`${other.nodeId}'s final state hash differs from ${first.nodeId}'s`);
    }
  }
  violations.push(...checkOneLeaderPerTerm(input.leaders));

  let linearizable: HistoryVerdict['linearizable'] = 'not checked';
  if (input.linearizable !== undefined) {
    const verdict = checkLinearizable(operations, createLicenceModel(input.linearizable), {
      maxStates: input.maxSearchStates ?? 2_000_000,
    });
    if (verdict.ok === true) linearizable = true;
    else if (verdict.ok === 'unknown') linearizable = 'unknown';
    else {
      linearizable = false;
      violations.push(
        `not linearizable: ${verdict.reason} (after ${verdict.witness.linearizedIds.length} operations; blocked: ${verdict.witness.blockedIds.slice(0, 5).join(', ')})`,
      );
    }
  }
  const acknowledgedCount = operations.filter((operation) => operation.outcome.kind === 'ok').length;
  return {
    violations,
    operationCount: operations.length,
    acknowledgedCount,
    unknownCount: operations.length - acknowledgedCount,
    usageUnitsCounted: first === undefined ? 0 : ledgerUsageTotal(first.ledger, usageLicenceId),
    linearizable,
  };
}

function rememberedUsageUnits(
  operations: readonly Operation[],
  lookup: (requestId: string) => { ok: boolean } | undefined,
  licenceId: string,
): number {
  const seen = new Set<string>();
  let units = 0;
  for (const operation of operations) {
    const { command } = operation;
    const requestId = commandRequestId(command);
    if (command.type !== 'report_usage' || command.licenceId !== licenceId || requestId === null) continue;
    if (seen.has(requestId)) continue;
    seen.add(requestId);
    if (lookup(requestId)?.ok === true) units += command.units;
  }
  return units;
}
