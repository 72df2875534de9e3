// Everything a partition test proves from its recorded history and the nodes' final ledgers, in one
// call, by what the mode promises:
// - both modes: every acknowledged operation is in the final ledger of every data node; a request
//   answered twice (a duplicate or a retry) got the first result again; usage is counted exactly
//   once per request id; the final state hashes are equal; at most one leader per term;
// - witness mode: no merge, no overdraft incident, never more leases than seats in any applied
//   state, and each licence's operations are linearizable;
// - pair mode: a split brain serves two histories, so linearizability is promised (and checked)
//   only when no merge happened; after a merge, a request both sides executed keeps the main's
//   result and the backup's answer beside it (Ledger.lookupRequestAnswers), and the client must
//   have seen one of the two (no third, never absent); duplicates the merge touched may have been
//   answered by each side from its own record, so only those are exempt from answering alike; and
//   every excess of leases over seats, in every applied state, is covered by an open overdraft
//   incident;
// - both modes: every stretch during which the clients held more leases of a licence at once than
//   it has seats is named by a seats incident of its grant terms (observed-over-grants.ts; witness
//   mode records none, so there any such stretch fails); and a release a client was told is done
//   leaves no live lease in the final ledger (released-leases.ts).
import type { Incident } from '@tandem/ledger';
import { commandRequestId, type Operation } from '../history-checker/history.js';
import { createLicenceModel, type LicenceModelConfig } from '../history-checker/licence-model.js';
import { checkLinearizable } from '../history-checker/linearizability.js';
import { leasesHeld, uncoveredOverGrants } from '../history-checker/observed-over-grants.js';
import { releasesLost, type SeenWorkstationRequest } from '../history-checker/released-leases.js';
import {
  checkAcknowledgedPresent,
  checkDuplicatesAnsweredAlike,
  checkOneLeaderPerTerm,
  checkUsageExactlyOnce,
  countRepeatedAnswers,
} from '../history-checker/safety-checks.js';
import { ledgerUsageTotal, type VerifiedLedger } from './verified-ledger.js';

export interface HistoryVerdictInput {
  mode: 'pair' | 'witness';
  operations: readonly Operation[];
  ledgers: readonly VerifiedLedger[];
  leaders: readonly { term: number; leaderId: string }[];
  usageLicenceId: string;
  /** Every licence the workload touches, for the linearizability check. */
  licenceModels: readonly LicenceModelConfig[];
  /** Search budget of the linearizability check. */
  maxSearchStates?: number;
}

export interface HistoryVerdict {
  violations: string[];
  operationCount: number;
  acknowledgedCount: number;
  /** Operations whose outcome is unknown (failed or still pending when the workload stopped). */
  unknownCount: number;
  /** Requests answered more than once (duplicates and retries), each checked for the first result. */
  repeatedAnswerCount: number;
  usageUnitsCounted: number;
  /** 'unknown' when the search hit its budget; 'not promised' in pair mode after a merge. */
  linearizable: boolean | 'unknown' | 'not promised';
  /** Merge entries in the final log (pair mode: split brains merged). */
  mergeEntryCount: number;
  /** Request ids the merges touched. */
  mergedRequestCount: number;
  /** Every overdraft incident in the first ledger, open or resolved. */
  incidents: Incident[];
}

export function judgeHistory(input: HistoryVerdictInput): HistoryVerdict {
  const { operations, ledgers, usageLicenceId, mode } = input;
  const violations: string[] = [];
  const mergedRequestIds = new Set(ledgers.flatMap((verified) => [...verified.mergedRequestIds]));
  const mergeEntryCount = Math.max(0, ...ledgers.map((verified) => verified.mergeEntryCount));
  const resultMayDiffer =
    mode === 'pair' ? (requestId: string) => mergedRequestIds.has(requestId) : () => false;

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
  violations.push(...checkDuplicatesAnsweredAlike(operations, resultMayDiffer));
  const first = ledgers[0];
  for (const other of ledgers.slice(1)) {
    if (first !== undefined && other.stateHash !== first.stateHash) {
      violations.push(`${other.nodeId}'s final state hash differs from ${first.nodeId}'s`);
    }
  }
  violations.push(...checkOneLeaderPerTerm(input.leaders));

  const incidents = first?.ledger.incidents() ?? [];
  for (const { nodeId, seatExcesses } of ledgers) {
    for (const excess of seatExcesses) {
      const over = excess.seatsInUse - excess.seats;
      const where = `${nodeId}: licence ${excess.licenceId} had ${excess.seatsInUse} leases for ${excess.seats} seats after index ${excess.index}`;
      if (mode === 'witness') violations.push(`${where} (witness mode never overdraws)`);
      else if (excess.coveredExcess < over) {
        violations.push(
          `${where}, but the open overdraft incidents cover an excess of ${excess.coveredExcess} only`,
        );
      }
    }
  }
  if (first !== undefined) {
    const requests = seenRequests(operations);
    const held = leasesHeld(requests, Number.POSITIVE_INFINITY);
    violations.push(
      ...uncoveredOverGrants(held, first.ledger.listLicences(), incidents, {
        toleranceMs: OVER_GRANT_TOLERANCE_MS,
        nowMs: Math.max(0, ...operations.map((operation) => operation.invokedAtMs)),
      }),
    );
    for (const { release, live } of releasesLost(requests, (leaseId) => first.ledger.getLease(leaseId))) {
      violations.push(
        `${first.nodeId}: lease ${live.leaseId} of ${live.workstationId} is still live, though ${release.workstationId} ` +
          `was told its release was done (sent at ${release.invokedAtMs})`,
      );
    }
  }
  if (mode === 'witness') {
    if (mergeEntryCount > 0) violations.push(`witness mode merged ${mergeEntryCount} split brain(s)`);
    if (incidents.length > 0)
      violations.push(`witness mode recorded ${incidents.length} overdraft incident(s)`);
  }

  let linearizable: HistoryVerdict['linearizable'] = 'not promised';
  if (mode === 'witness' || mergeEntryCount === 0) {
    const settled =
      first !== undefined && ledgers.every((verified) => verified.stateHash === first.stateHash)
        ? settleUnknownOutcomes(operations, first)
        : operations;
    const verdict = checkLinearizable(settled, createLicenceModel(input.licenceModels), {
      maxStates: input.maxSearchStates ?? 2_000_000,
    });
    if (verdict.ok === true) linearizable = true;
    else if (verdict.ok === 'unknown') {
      linearizable = 'unknown';
      violations.push('the linearizability search ran out of budget: neither proven nor refuted');
    } else {
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
    repeatedAnswerCount: countRepeatedAnswers(operations),
    usageUnitsCounted: first === undefined ? 0 : ledgerUsageTotal(first.ledger, usageLicenceId),
    linearizable,
    mergeEntryCount,
    mergedRequestCount: mergedRequestIds.size,
    incidents,
  };
}

/**
 * The nodes and the clients share one machine's clock, so the ledger's order of the leases is the
 * clients' up to the scheduling of a process: a few milliseconds.
 */
const OVER_GRANT_TOLERANCE_MS = 20;

/**
 * The history's requests, each once: its first attempt's sending and its first answer (a retry or
 * a re-send of a request that was answered gets the same answer).
 */
function seenRequests(operations: readonly Operation[]): SeenWorkstationRequest[] {
  const byRequest = new Map<string, SeenWorkstationRequest>();
  for (const operation of operations) {
    const requestId = commandRequestId(operation.command);
    if (requestId === null) continue;
    const seen = byRequest.get(requestId);
    const answered = operation.outcome.kind === 'ok' ? operation : null;
    if (seen === undefined) {
      byRequest.set(requestId, {
        workstationId: operation.client,
        command: operation.command,
        invokedAtMs: operation.invokedAtMs,
        answeredAtMs: answered?.completedAtMs ?? null,
        result: answered !== null && answered.outcome.kind === 'ok' ? answered.outcome.result : null,
      });
      continue;
    }
    seen.invokedAtMs = Math.min(seen.invokedAtMs, operation.invokedAtMs);
    if (
      answered !== null &&
      answered.outcome.kind === 'ok' &&
      (seen.answeredAtMs === null || answered.completedAtMs < seen.answeredAtMs)
    ) {
      seen.answeredAtMs = answered.completedAtMs;
      seen.result = answered.outcome.result;
    }
  }
  return [...byRequest.values()].sort((a, b) => a.invokedAtMs - b.invokedAtMs);
}

/**
 * Operations whose answer was lost, settled by the final ledger before the linearizability search
 * (each one left open multiplies the search): the ledger remembers every request it applied, with
 * its result, so a request it does not remember never took effect and leaves the history, and one
 * it remembers took effect with that result at some time after it was sent. Its completion is put
 * at the end of the history, which orders it before nothing, exactly like an unknown completion.
 */
export function settleUnknownOutcomes(operations: readonly Operation[], final: VerifiedLedger): Operation[] {
  let endMs = 0;
  for (const operation of operations) {
    endMs = Math.max(endMs, operation.invokedAtMs);
    if (Number.isFinite(operation.completedAtMs)) endMs = Math.max(endMs, operation.completedAtMs);
  }
  const settled: Operation[] = [];
  for (const operation of operations) {
    const requestId = commandRequestId(operation.command);
    if (operation.outcome.kind === 'ok' || requestId === null) {
      settled.push(operation);
      continue;
    }
    const result = final.ledger.lookupRequest(requestId);
    if (result === undefined) continue;
    settled.push({ ...operation, completedAtMs: endMs + 1, outcome: { kind: 'ok', result } });
  }
  return settled;
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
