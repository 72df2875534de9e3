// A history is what the clients of a partition test saw: every invocation with the time it was
// sent, and every completion with the time its answer came back. The checkers prove safety from it.
import assert from 'node:assert/strict';
import type { Command, Result } from '@tandem/ledger';

export interface Invocation {
  /** Unique in the history: the request id, suffixed `#<attempt>` for retries of the same request. */
  id: string;
  client: string;
  command: Command;
  invokedAtMs: number;
}

/** A failed completion is unknown: the command may or may not have taken effect. */
export type CompletionOutcome = { kind: 'ok'; result: Result } | { kind: 'failed'; error: string };

export interface OperationCompletion {
  id: string;
  completedAtMs: number;
  outcome: CompletionOutcome;
}

/** An operation still pending when the history was taken is as unknown as a failed one. */
export type OperationOutcome = CompletionOutcome | { kind: 'pending' };

export interface Operation extends Invocation {
  /** Infinity when the outcome is unknown: the command may take effect at any later time. */
  completedAtMs: number;
  outcome: OperationOutcome;
}

export const DEFAULT_MAX_HISTORY_ENTRIES = 1_000_000;

/** The recorded result of an operation, or null when it is unknown (failed or pending). */
export function operationResult(operation: Operation): Result | null {
  return operation.outcome.kind === 'ok' ? operation.outcome.result : null;
}

/** The request id a command carries, or null for the leader's own commands (tick, extend_leases). */
export function commandRequestId(command: Command): string | null {
  return 'requestId' in command ? command.requestId : null;
}

export class HistoryRecorder {
  readonly #maxEntries: number;
  readonly #invocations: Invocation[] = [];
  readonly #invocationsById = new Map<string, Invocation>();
  readonly #completions = new Map<string, OperationCompletion>();
  readonly #attemptsByRequestId = new Map<string, number>();
  #leaderCommandCount = 0;

  constructor(options: { maxEntries?: number } = {}) {
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_HISTORY_ENTRIES;
    assert(
      Number.isSafeInteger(this.#maxEntries) && this.#maxEntries > 0,
      'maxEntries must be a positive integer',
    );
  }

  /** Records that `client` sent `command`; returns the operation id to complete it with. */
  invoke(client: string, command: Command, invokedAtMs: number): string {
    assert(Number.isFinite(invokedAtMs), 'invokedAtMs must be finite');
    if (this.#invocations.length >= this.#maxEntries) {
      throw new Error(`history is full: more than ${this.#maxEntries} invocations`);
    }
    const requestId = commandRequestId(command);
    let id: string;
    if (requestId === null) {
      this.#leaderCommandCount += 1;
      id = `${command.type}#${this.#leaderCommandCount}`;
    } else {
      const attempt = (this.#attemptsByRequestId.get(requestId) ?? 0) + 1;
      this.#attemptsByRequestId.set(requestId, attempt);
      id = attempt === 1 ? requestId : `${requestId}#${attempt}`;
    }
    const invocation = { id, client, command, invokedAtMs };
    this.#invocations.push(invocation);
    this.#invocationsById.set(id, invocation);
    return id;
  }

  complete(id: string, result: Result, completedAtMs: number): void {
    this.#record({ id, completedAtMs, outcome: { kind: 'ok', result } });
  }

  /** The answer was lost (timeout, broken connection): the command may or may not have applied. */
  fail(id: string, error: string, completedAtMs: number): void {
    this.#record({ id, completedAtMs, outcome: { kind: 'failed', error } });
  }

  /** Every invocation in invocation order, joined with its completion. */
  operations(): Operation[] {
    return this.#invocations.map((invocation) => {
      const completion = this.#completions.get(invocation.id);
      if (completion === undefined)
        return { ...invocation, completedAtMs: Number.POSITIVE_INFINITY, outcome: { kind: 'pending' } };
      const completedAtMs =
        completion.outcome.kind === 'ok' ? completion.completedAtMs : Number.POSITIVE_INFINITY;
      return { ...invocation, completedAtMs, outcome: completion.outcome };
    });
  }

  #record(completion: OperationCompletion): void {
    const invocation = this.#invocationsById.get(completion.id);
    assert(invocation !== undefined, `completion of unknown operation ${completion.id}`);
    assert(!this.#completions.has(completion.id), `operation ${completion.id} completed twice`);
    assert(
      Number.isFinite(completion.completedAtMs) && completion.completedAtMs >= invocation.invokedAtMs,
      `operation ${completion.id} completed before it was invoked`,
    );
    this.#completions.set(completion.id, completion);
  }
}
