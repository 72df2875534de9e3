// Plain checks over the final state of a partition test. Each returns the violations it found,
// one sentence each; an empty list means the property held.
import { isDeepStrictEqual } from 'node:util';
import type { Result } from '@tandem/ledger';
import { commandRequestId, type Operation, operationResult } from './history.js';

/**
 * Every acknowledged request is remembered by the final ledger with the very result the client saw.
 * `lookup` gives every answer the ledger remembers for a request (empty when it has none): after a
 * pair-mode merge a request both sides executed keeps both sides' answers, and the client must have
 * seen one of them.
 */
export function checkAcknowledgedPresent(
  operations: readonly Operation[],
  lookup: (requestId: string) => readonly Result[],
): string[] {
  const violations: string[] = [];
  for (const operation of operations) {
    const result = operationResult(operation);
    const requestId = commandRequestId(operation.command);
    if (result === null || requestId === null) continue;
    const remembered = lookup(requestId);
    if (remembered.length === 0) {
      violations.push(
        `acknowledged request ${requestId} (operation ${operation.id}) is missing from the final ledger`,
      );
    } else if (!remembered.some((answer) => isDeepStrictEqual(toPlain(answer), toPlain(result)))) {
      violations.push(
        `acknowledged request ${requestId} (operation ${operation.id}) has a different result in the final ledger`,
      );
    }
  }
  return violations;
}

/**
 * Each usage report counts exactly once: per licence, the final total lies between the units of
 * accepted requests and those plus the units of requests whose answer was lost. Retries of one
 * request id count once.
 */
export function checkUsageExactlyOnce(
  operations: readonly Operation[],
  totalsByLicence: ReadonlyMap<string, number>,
): string[] {
  const violations: string[] = [];
  const requests = new Map<
    string,
    { licenceId: string; units: number; accepted: boolean; rejected: boolean }
  >();
  for (const operation of operations) {
    const command = operation.command;
    if (command.type !== 'report_usage') continue;
    const request = requests.get(command.requestId) ?? {
      licenceId: command.licenceId,
      units: command.units,
      accepted: false,
      rejected: false,
    };
    const result = operationResult(operation);
    if (result?.ok === true) request.accepted = true;
    if (result?.ok === false) request.rejected = true;
    requests.set(command.requestId, request);
  }
  const bounds = new Map<string, { acknowledgedUnits: number; unknownUnits: number }>();
  for (const [requestId, request] of requests) {
    if (request.accepted && request.rejected) {
      violations.push(`usage request ${requestId} was both accepted and rejected`);
    }
    const bound = bounds.get(request.licenceId) ?? { acknowledgedUnits: 0, unknownUnits: 0 };
    if (request.accepted) bound.acknowledgedUnits += request.units;
    else if (!request.rejected) bound.unknownUnits += request.units;
    bounds.set(request.licenceId, bound);
  }
  for (const licenceId of new Set([...bounds.keys(), ...totalsByLicence.keys()])) {
    const { acknowledgedUnits, unknownUnits } = bounds.get(licenceId) ?? {
      acknowledgedUnits: 0,
      unknownUnits: 0,
    };
    const total = totalsByLicence.get(licenceId) ?? 0;
    if (total < acknowledgedUnits) {
      violations.push(
        `licence ${licenceId}: usage total ${total} lost acknowledged units (${acknowledgedUnits} acknowledged)`,
      );
    } else if (total > acknowledgedUnits + unknownUnits) {
      violations.push(
        `licence ${licenceId}: usage total ${total} exceeds ${acknowledgedUnits} acknowledged plus ${unknownUnits} unknown units`,
      );
    }
  }
  return violations;
}

/**
 * A request sent again under its request id (a duplicate, or a retry after a lost answer) is
 * answered with the first result: every answered attempt of one request id got the same result.
 * `resultMayDiffer` exempts requests a pair-mode merge touched (each side may have answered).
 */
export function checkDuplicatesAnsweredAlike(
  operations: readonly Operation[],
  resultMayDiffer: (requestId: string) => boolean = () => false,
): string[] {
  const violations: string[] = [];
  const firstAnswer = new Map<string, { operationId: string; result: unknown }>();
  for (const operation of [...operations].sort((left, right) => left.completedAtMs - right.completedAtMs)) {
    const result = operationResult(operation);
    const requestId = commandRequestId(operation.command);
    if (result === null || requestId === null || resultMayDiffer(requestId)) continue;
    const first = firstAnswer.get(requestId);
    if (first === undefined)
      firstAnswer.set(requestId, { operationId: operation.id, result: toPlain(result) });
    else if (!isDeepStrictEqual(first.result, toPlain(result))) {
      violations.push(
        `request ${requestId} was answered differently: ${operation.id} got ${JSON.stringify(result)}, ${first.operationId} got ${JSON.stringify(first.result)}`,
      );
    }
  }
  return violations;
}

/** How many requests were answered more than once (duplicates and retries that both got an answer). */
export function countRepeatedAnswers(operations: readonly Operation[]): number {
  const answers = new Map<string, number>();
  for (const operation of operations) {
    const requestId = commandRequestId(operation.command);
    if (requestId === null || operationResult(operation) === null) continue;
    answers.set(requestId, (answers.get(requestId) ?? 0) + 1);
  }
  return [...answers.values()].filter((count) => count > 1).length;
}

/** Election safety: no two nodes were ever seen leading the same term. */
export function checkOneLeaderPerTerm(observations: readonly { term: number; leaderId: string }[]): string[] {
  const violations: string[] = [];
  const leaderByTerm = new Map<number, string>();
  const reported = new Set<string>();
  for (const { term, leaderId } of observations) {
    const first = leaderByTerm.get(term);
    if (first === undefined) leaderByTerm.set(term, leaderId);
    else if (first !== leaderId && !reported.has(`${term}:${leaderId}`)) {
      reported.add(`${term}:${leaderId}`);
      violations.push(`term ${term} has two leaders: ${first} and ${leaderId}`);
    }
  }
  return violations;
}

export interface AppliedSeatsSample {
  /** The log index after which the sample was taken. */
  index: number;
  licenceId: string;
  seatsInUse: number;
  /** The seat limit in force at that index. */
  seats: number;
}

/** No applied state ever held more leases than seats. */
export function checkSeatsNeverExceeded(appliedSeatsSeries: readonly AppliedSeatsSample[]): string[] {
  return appliedSeatsSeries
    .filter((sample) => sample.seatsInUse > sample.seats)
    .map(
      (sample) =>
        `licence ${sample.licenceId} had ${sample.seatsInUse} seats in use of ${sample.seats} after index ${sample.index}`,
    );
}

/** Results from the ledger are frozen and may come through JSON: compare them as plain data. */
function toPlain(result: Result): unknown {
  return JSON.parse(JSON.stringify(result));
}
