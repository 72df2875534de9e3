// A Wing–Gong linearizability check: search for a total order of the operations that respects
// real time (an operation that completed before another was invoked comes first) and that a
// sequential model accepts. Configurations (which operations are linearized, the model state)
// already explored are remembered, so each is searched at most once. Operations whose outcome is
// unknown complete at +infinity: they may be placed anywhere after their invocation, or left out.
import assert from 'node:assert/strict';
import type { Command, Result } from '@tandem/ledger';
import { type Operation, operationResult } from './history.js';

export interface Transition<State, Expected> {
  state: State;
  expected: Expected;
}

export interface SequentialModel<State, Expected> {
  /** The state before the history; the model may look at the history, e.g. for retried requests. */
  initialState(operations: readonly Operation[]): State;
  /**
   * Every way `command` may apply to `state`. `actual` is the recorded result (null when unknown);
   * the model may read identifiers it cannot predict from it (a new lease id), never decide by it.
   */
  step(state: State, command: Command, actual: Result | null): readonly Transition<State, Expected>[];
  /** Whether a recorded result agrees with what the model expected. */
  matches(expected: Expected, actual: Result): boolean;
  /** Equal states must give equal keys; the search remembers configurations by it. */
  stateKey(state: State): string;
  describeExpected?(expected: Expected): string;
  /** Independent parts of a history that may be checked one by one (P-compositionality). */
  partition?(operations: readonly Operation[]): readonly (readonly Operation[])[];
}

export interface LinearizabilityWitness {
  /** Index of the partition that failed; 0 when the history was not partitioned. */
  partition: number;
  /** The longest linearizable prefix found, in order. */
  linearizedIds: string[];
  /** Completed operations that could come next after that prefix, none of which the model accepts. */
  blockedIds: string[];
}

export type LinearizabilityVerdict =
  | { ok: true }
  | { ok: false; reason: string; witness: LinearizabilityWitness }
  | { ok: 'unknown'; reason: 'search limit' };

export const DEFAULT_MAX_SEARCH_STATES = 1_000_000;

interface Frame<State> {
  linearized: Uint32Array;
  state: State;
  completedLinearizedCount: number;
  operationIndex: number;
  parent: Frame<State> | null;
}

/** Budget shared by every partition of one check. */
interface SearchBudget {
  remainingStates: number;
}

export function checkLinearizable<State, Expected>(
  operations: readonly Operation[],
  model: SequentialModel<State, Expected>,
  options: { maxStates?: number } = {},
): LinearizabilityVerdict {
  const maxStates = options.maxStates ?? DEFAULT_MAX_SEARCH_STATES;
  assert(Number.isSafeInteger(maxStates) && maxStates > 0, 'maxStates must be a positive integer');
  for (const operation of operations) {
    assert(
      operation.completedAtMs >= operation.invokedAtMs,
      `operation ${operation.id} completed before it was invoked`,
    );
    assert(
      (operation.outcome.kind === 'ok') === Number.isFinite(operation.completedAtMs),
      `operation ${operation.id}: only a known outcome has a finite completion time`,
    );
  }
  const parts = model.partition === undefined ? [operations] : model.partition(operations);
  const budget: SearchBudget = { remainingStates: maxStates };
  let limitReached = false;
  for (const [partIndex, part] of parts.entries()) {
    const verdict = searchPartition(part, model, budget, partIndex);
    if (verdict.ok === false) return verdict;
    // A later partition may still prove a violation, which is worth more than "unknown".
    if (verdict.ok === 'unknown') limitReached = true;
  }
  return limitReached ? { ok: 'unknown', reason: 'search limit' } : { ok: true };
}

function searchPartition<State, Expected>(
  unsorted: readonly Operation[],
  model: SequentialModel<State, Expected>,
  budget: SearchBudget,
  partIndex: number,
): LinearizabilityVerdict {
  // Sorted by invocation, so the candidates for the next place form a prefix of the unlinearized.
  const operations = [...unsorted].sort((left, right) => left.invokedAtMs - right.invokedAtMs);
  const results = operations.map(operationResult);
  const completedCount = results.filter((result) => result !== null).length;
  const wordCount = Math.ceil(operations.length / 32);
  const root: Frame<State> = {
    linearized: new Uint32Array(wordCount),
    state: model.initialState(operations),
    completedLinearizedCount: 0,
    operationIndex: -1,
    parent: null,
  };
  const visited = new Set<string>([configurationKey(root.linearized, model.stateKey(root.state))]);
  const stack: Frame<State>[] = [root];
  let deepest = root;
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    if (frame.completedLinearizedCount === completedCount) return { ok: true };
    if (frame.completedLinearizedCount > deepest.completedLinearizedCount) deepest = frame;
    const candidates = nextCandidates(operations, frame.linearized);
    // Pushed in reverse so the earliest invoked candidate is explored first.
    for (let position = candidates.length - 1; position >= 0; position -= 1) {
      const index = candidates[position] as number;
      const operation = operations[index] as Operation;
      const actual = results[index] as Result | null;
      for (const transition of model.step(frame.state, operation.command, actual)) {
        if (actual !== null && !model.matches(transition.expected, actual)) continue;
        const linearized = frame.linearized.slice();
        setBit(linearized, index);
        const key = configurationKey(linearized, model.stateKey(transition.state));
        if (visited.has(key)) continue;
        if (budget.remainingStates <= 0) return { ok: 'unknown', reason: 'search limit' };
        budget.remainingStates -= 1;
        visited.add(key);
        stack.push({
          linearized,
          state: transition.state,
          completedLinearizedCount: frame.completedLinearizedCount + (actual === null ? 0 : 1),
          operationIndex: index,
          parent: frame,
        });
      }
    }
  }
  return refutation(operations, results, model, deepest, partIndex);
}

/** Unlinearized operations invoked no later than the earliest completion among the unlinearized. */
function nextCandidates(operations: readonly Operation[], linearized: Uint32Array): number[] {
  let earliestCompletionMs = Number.POSITIVE_INFINITY;
  for (const [index, operation] of operations.entries()) {
    if (!hasBit(linearized, index))
      earliestCompletionMs = Math.min(earliestCompletionMs, operation.completedAtMs);
  }
  const candidates: number[] = [];
  for (const [index, operation] of operations.entries()) {
    if (operation.invokedAtMs > earliestCompletionMs) break;
    if (!hasBit(linearized, index)) candidates.push(index);
  }
  return candidates;
}

function refutation<State, Expected>(
  operations: readonly Operation[],
  results: readonly (Result | null)[],
  model: SequentialModel<State, Expected>,
  deepest: Frame<State>,
  partIndex: number,
): LinearizabilityVerdict {
  const linearizedIds: string[] = [];
  for (
    let frame: Frame<State> | null = deepest;
    frame !== null && frame.operationIndex >= 0;
    frame = frame.parent
  ) {
    linearizedIds.push((operations[frame.operationIndex] as Operation).id);
  }
  linearizedIds.reverse();
  const blocked = nextCandidates(operations, deepest.linearized).filter((index) => results[index] !== null);
  assert(blocked.length > 0, 'a refuted history must have a completed operation that cannot come next');
  const blockedIds = blocked.map((index) => (operations[index] as Operation).id);
  const firstIndex = blocked[0] as number;
  const first = operations[firstIndex] as Operation;
  const expected = model
    .step(deepest.state, first.command, results[firstIndex] as Result)
    .map((transition) => (model.describeExpected ?? JSON.stringify)(transition.expected));
  const reason =
    `no order of the operations explains the history: after [${linearizedIds.join(', ')}] ` +
    `operation ${first.id} (${first.command.type} by ${first.client}, ` +
    `[${first.invokedAtMs}, ${first.completedAtMs}]) returned ${describeResult(results[firstIndex] as Result)} ` +
    `but the model expected ${expected.join(' or ') || 'nothing'}` +
    (partIndex > 0 ? ` (partition ${partIndex})` : '');
  return { ok: false, reason, witness: { partition: partIndex, linearizedIds, blockedIds } };
}

export function describeResult(result: Result): string {
  if (!result.ok) return `rejection ${result.reason}`;
  const outcome = result.outcome;
  switch (outcome.kind) {
    case 'lease':
      return `lease ${outcome.lease.leaseId} for ${outcome.lease.workstationId}`;
    case 'usage':
      return `usage used=${outcome.used}`;
    default:
      return `ok ${outcome.kind}`;
  }
}

function configurationKey(linearized: Uint32Array, stateKey: string): string {
  return `${Array.from(linearized, (word) => word.toString(36)).join(',')}|${stateKey}`;
}

function hasBit(bits: Uint32Array, index: number): boolean {
  return (((bits[index >>> 5] as number) >>> (index & 31)) & 1) === 1;
}

function setBit(bits: Uint32Array, index: number): void {
  bits[index >>> 5] = ((bits[index >>> 5] as number) | (1 << (index & 31))) >>> 0;
}
