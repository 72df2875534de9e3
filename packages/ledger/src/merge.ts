// Building merge commands. After a split brain in pair mode the main re-applies the entries the
// backup committed alone. One merge command holds at most MAX_MERGED_ENTRIES entries and must fit
// in one log entry, so a long solo stretch becomes several merge commands, proposed in order.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { MAX_MERGE_SOURCE_TERMS, MAX_MERGED_ENTRIES, MERGE_COMMAND_MAX_BYTES } from './codec.js';
import type { LedgerOptions } from './options.js';
import type { LedgerEntry, MergeCommand, MergedEntry, Result } from './types.js';
import { type FieldError, validateCommand, validateMergedEntry } from './validate.js';

export interface MergePlan {
  /** In order; each passes validateCommand and encodes within the entry size limit. */
  commands: MergeCommand[];
  /**
   * Entries left out because they are invalid on their own (validateMergedEntry): in practice a
   * command the backup refused with invalid_command, which a retry is refused the same way.
   */
  dropped: Array<{ entry: MergedEntry; error: FieldError }>;
}

/**
 * One of the backup's solo entries as a merge carries it, with the backup ledger's answer to it
 * (its first result for the request id) when the command is a client command and the ledger still
 * remembers the request. The main honours the answers to acquires and usage reports; the others it
 * keeps beside its own answer when they differ (the workstation may hold either). Call it on the backup, with the backup's ledger.
 */
export function mergedEntryFrom(
  entry: LedgerEntry,
  backupLedger: {
    lookupRequest(requestId: string): Result | undefined;
    readonly options?: Partial<LedgerOptions>;
  },
): MergedEntry {
  const merged: MergedEntry = {
    index: entry.index,
    term: entry.term,
    timestampMs: entry.timestampMs,
    command: entry.command,
  };
  const { command } = entry;
  if ('requestId' in command) {
    const result = backupLedger.lookupRequest(command.requestId);
    // A request id first used for another command answered with that command's result; the main
    // knows that request too, so it will skip this entry as a duplicate and needs no result.
    if (result !== undefined && validateMergedEntry({ ...merged, result }, backupLedger.options) === null)
      merged.result = result;
  }
  return merged;
}

function encodedBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * Splits the backup's solo entries (in its log order) into merge commands that each fit in one
 * log entry. `options` are the ledger options of the cluster (for validating nested commands).
 * Returns no command for no entries.
 */
export function planMerge(
  sourceNodeId: string,
  sourceTerms: readonly number[],
  entries: readonly MergedEntry[],
  options?: Partial<LedgerOptions>,
): MergePlan {
  // Every entry's term is among the source terms, whatever the caller passed.
  const terms = [...new Set([...sourceTerms, ...entries.map((entry) => entry.term)])].sort((a, b) => a - b);
  assert.ok(terms.length <= MAX_MERGE_SOURCE_TERMS, `a merge names at most ${MAX_MERGE_SOURCE_TERMS} terms`);
  const commands: MergeCommand[] = [];
  const dropped: MergePlan['dropped'] = [];
  const emptyBytes = encodedBytes({ type: 'merge', sourceNodeId, sourceTerms: terms, entries: [] });
  let batch: MergedEntry[] = [];
  let batchBytes = emptyBytes;
  const flush = () => {
    if (batch.length === 0) return;
    commands.push({ type: 'merge', sourceNodeId, sourceTerms: terms, entries: batch });
    batch = [];
    batchBytes = emptyBytes;
  };
  for (const entry of entries) {
    const error = validateMergedEntry(entry, options);
    if (error !== null) {
      dropped.push({ entry, error });
      continue;
    }
    // One more entry costs its JSON and a separating comma.
    const entryBytes = encodedBytes(entry) + 1;
    if (batch.length >= MAX_MERGED_ENTRIES || batchBytes + entryBytes > MERGE_COMMAND_MAX_BYTES) flush();
    assert.ok(
      emptyBytes + entryBytes <= MERGE_COMMAND_MAX_BYTES,
      `entry ${entry.index} cannot fit in a merge`,
    );
    batch.push(entry);
    batchBytes += entryBytes;
  }
  flush();
  for (const command of commands) {
    const error = validateCommand(command, options);
    assert.ok(error === null, `planned merge is invalid: ${error?.field}: ${error?.message}`);
  }
  return { commands, dropped };
}
