// Every operation a simulated workstation invoked, and its completion: the result the cluster
// acknowledged. The checker holds the final ledgers against this record.
import assert from 'node:assert/strict';
import type { Result } from '@tandem/ledger';
import type { ClientCommand } from './messages.js';

export interface Completion {
  atMs: number;
  result: Result;
  /** The log index the answer names (for an answer from the ledger's memory: its applied index). */
  index: number;
  term: number;
  nodeId: string;
  /** Acknowledged while the faults were healed and workstations only finished what they had begun. */
  duringDrain: boolean;
}

export interface OperationRecord {
  /** Position in the history, from 0. */
  sequence: number;
  workstationId: string;
  requestId: string;
  command: ClientCommand;
  invokedAtMs: number;
  attempts: number;
  /** A deliberate re-send of an acknowledged request: the sequence of the original record. */
  duplicateOf: number | null;
  completion: Completion | null;
}

export class History {
  private readonly operations: OperationRecord[] = [];

  constructor(readonly maxOperations: number) {
    assert.ok(Number.isSafeInteger(maxOperations) && maxOperations > 0, 'a history needs a positive bound');
  }

  get records(): readonly OperationRecord[] {
    return this.operations;
  }

  invoke(
    workstationId: string,
    requestId: string,
    command: ClientCommand,
    invokedAtMs: number,
    duplicateOf: number | null,
  ): OperationRecord {
    assert.ok(
      this.operations.length < this.maxOperations,
      `the history holds at most ${this.maxOperations} operations`,
    );
    const record: OperationRecord = {
      sequence: this.operations.length,
      workstationId,
      requestId,
      command,
      invokedAtMs,
      attempts: 0,
      duplicateOf,
      completion: null,
    };
    this.operations.push(record);
    return record;
  }

  complete(record: OperationRecord, completion: Completion): void {
    assert.equal(record.completion, null, `operation ${record.requestId} completed twice`);
    assert.ok(completion.atMs >= record.invokedAtMs, 'an operation completes after it is invoked');
    record.completion = completion;
  }

  record(sequence: number): OperationRecord {
    const record = this.operations[sequence];
    assert.ok(record !== undefined, `no operation ${sequence}`);
    return record;
  }

  acknowledgedCount(): number {
    return this.operations.filter((record) => record.completion !== null).length;
  }

  pending(): OperationRecord[] {
    return this.operations.filter((record) => record.completion === null);
  }
}
