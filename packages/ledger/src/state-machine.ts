// The boundary between the replication driver (@tandem/driver) and the ledger, in the spirit of
// hashicorp/raft's FSM: the driver hands committed entries over in log order, asks for snapshots
// and restores from them, and never looks inside an entry. Everything the ledger writes into the
// log or a merge offer is encoded and decoded on this side (see codec.ts).
import assert from 'node:assert/strict';
import {
  decodeEntryData,
  decodeMergedEntry,
  ENTRY_DATA_MAX_BYTES,
  encodeEntryData,
  encodeMergedEntry,
} from './codec.js';
import { Ledger } from './ledger.js';
import { mergedEntryFrom, planMerge } from './merge.js';
import type { LedgerOptions } from './options.js';
import type { SnapshotEncoder } from './snapshot.js';
import type { Command, MergeCommand, MergedEntry, Result } from './types.js';

/** A committed 'normal' log entry: the driver's bytes, at their log position. */
export interface CommittedEntry {
  readonly index: number;
  readonly term: number;
  readonly data: Uint8Array;
}

/** What a pair-mode backup offered, as the main's core hands it over (see MergeOffer). */
export interface OfferedEntries {
  from: string;
  sourceTerms: readonly number[];
  /** Each entry's data as describeForMerge wrote it on the backup. */
  entries: readonly CommittedEntry[];
}

/** The log entries that merge an offer, and the offered entries left out (invalid on their own). */
export interface MergeEntries {
  /** At least one: an offer with nothing left to re-apply still takes one empty merge. */
  data: Uint8Array[];
  dropped: Array<{ index: number; reason: string }>;
}

/**
 * The replicated state machine.
 *
 * Determinism contract: the state after apply, and the result it returns, depend only on the
 * entries applied so far (and the snapshot restored from), never on the clock, randomness, this
 * node's id or anything else outside the log. Two replicas that applied the same entries have
 * equal snapshots and equal state hashes. Time comes in only as each entry's leader timestamp.
 *
 * apply and snapshot throw only on a programmer error (an entry the driver did not encode, an
 * index out of order); bytes from outside the process are checked before they reach here.
 */
export interface StateMachine {
  /** The index of the last entry applied (0 before any). */
  readonly appliedIndex: number;
  /** The latest leader timestamp applied, in ms: a new leader never stamps an entry before it. */
  readonly clockMs: number;
  /** The cluster this ledger belongs to, once recorded (see set_cluster_id). */
  readonly clusterId: string | null;
  /** Applies one committed normal entry, in log order, and returns its result. */
  apply(entry: CommittedEntry): Result;
  /** The whole state, for compaction and for followers that are too far behind. */
  snapshot(): Uint8Array;
  /**
   * The same bytes snapshot() gives now, written a slice at a time (SnapshotEncoder.writeSome)
   * while entries go on being applied: the driver spreads a snapshot over many turns of its event
   * loop instead of blocking it.
   */
  beginSnapshot(): SnapshotEncoder;
  /** A command as log entry bytes stamped with the leader's timestamp; null when too large. */
  encode(command: Command, timestampMs: number): Uint8Array | null;
  /** The earliest time a live lease expires, or null: the leader proposes a tick from then on. */
  nextExpiryMs(): number | null;
  /**
   * Pair mode, on a backup: what it offers for one of its solo entries after a split brain, the
   * command with this state machine's answer to it (so the main re-grants only what was granted).
   */
  describeForMerge(entry: CommittedEntry): Uint8Array;
  /**
   * Pair mode, on the main: the entries that re-apply a backup's offer, stamped timestampMs.
   * Throws when an offered entry is not one describeForMerge wrote (the peer layer checks them on
   * the wire, so that is a bug or a lie); the driver then refuses the offer.
   */
  buildMerge(offer: OfferedEntries, timestampMs: number): MergeEntries;
}

/** Makes state machines: an empty one, or one restored from a snapshot (throws on bad bytes). */
export interface StateMachineFactory<S extends StateMachine = StateMachine> {
  empty(): S;
  restore(snapshot: Uint8Array): S;
}

/** The ledger behind the StateMachine interface. */
export class LedgerStateMachine implements StateMachine {
  constructor(readonly ledger: Ledger) {}

  get appliedIndex(): number {
    return this.ledger.appliedIndex;
  }

  get clockMs(): number {
    return this.ledger.clockMs;
  }

  get clusterId(): string | null {
    return this.ledger.clusterId;
  }

  apply(entry: CommittedEntry): Result {
    const { timestampMs, command } = decodeEntryData(entry.data);
    return this.ledger.apply({ index: entry.index, term: entry.term, timestampMs, command });
  }

  snapshot(): Uint8Array {
    return this.ledger.snapshot();
  }

  beginSnapshot(): SnapshotEncoder {
    return this.ledger.beginSnapshot();
  }

  encode(command: Command, timestampMs: number): Uint8Array | null {
    try {
      return encodeEntryData({ timestampMs, command });
    } catch {
      // The codec refuses entries over ENTRY_DATA_MAX_BYTES.
      return null;
    }
  }

  nextExpiryMs(): number | null {
    return this.ledger.nextExpiryMs();
  }

  describeForMerge(entry: CommittedEntry): Uint8Array {
    const { timestampMs, command } = decodeEntryData(entry.data);
    return encodeMergedEntry(
      mergedEntryFrom({ index: entry.index, term: entry.term, timestampMs, command }, this.ledger),
    );
  }

  buildMerge(offer: OfferedEntries, timestampMs: number): MergeEntries {
    const options = this.ledger.options;
    const merged: MergedEntry[] = offer.entries.map((entry) => {
      const decoded = decodeMergedEntry(entry.data, entry, options);
      if (!decoded.ok) throw new Error(`offered entry ${entry.index}: ${decoded.field} ${decoded.message}`);
      return decoded.entry;
    });
    const plan = planMerge(offer.from, offer.sourceTerms, merged, options);
    // The merge's commit is what tells the backup it is merged, so even an offer with nothing left
    // to re-apply takes one (empty) merge entry.
    const commands: MergeCommand[] =
      plan.commands.length > 0
        ? plan.commands
        : [{ type: 'merge', sourceNodeId: offer.from, sourceTerms: [...offer.sourceTerms], entries: [] }];
    const data = commands.map((command) => encodeEntryData({ timestampMs, command }));
    for (const bytes of data)
      assert.ok(bytes.byteLength <= ENTRY_DATA_MAX_BYTES, 'planMerge fits each entry');
    return {
      data,
      dropped: plan.dropped.map(({ entry, error }) => ({
        index: entry.index,
        reason: `${error.field} ${error.message}`,
      })),
    };
  }
}

/** Ledgers with these options, behind the StateMachine interface. */
export function ledgerStateMachines(
  options?: Partial<LedgerOptions>,
): StateMachineFactory<LedgerStateMachine> {
  return {
    empty: () => new LedgerStateMachine(new Ledger(options)),
    restore: (snapshot) => new LedgerStateMachine(Ledger.restore(snapshot, options)),
  };
}
