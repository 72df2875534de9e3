// A stopped node's final ledger, rebuilt from its data directory (snapshot plus committed log) the
// way the node itself rebuilds it at start, so that the checkers can ask it about every request id.
// The rebuilt state hash is compared with the one the running node reported for the same index:
// a replay that differs from the node is an error here, never a silent pass.
import path from 'node:path';
import { decodeEntryData, Ledger } from '@tandem/ledger';
import { decodeNodeSnapshot, ledgerOptionsOf, loadConfig } from '@tandem/server';
import { LevelStorage } from '@tandem/storage';

export interface VerifiedLedger {
  nodeId: string;
  ledger: Ledger;
  /** The index the ledger was rebuilt through. */
  appliedIndex: number;
  stateHash: string;
  /** The index the replay started after (the snapshot's); what the log held before is not seen. */
  replayedFromIndex: number;
  /** Merge entries in the replayed log: each one ended a split brain (pair mode). */
  mergeEntryCount: number;
  /**
   * Request ids of the client commands that merge entries re-applied or found duplicate: what a
   * client was told about them may come from the backup's solo history, not from this ledger.
   */
  mergedRequestIds: Set<string>;
  /**
   * Every applied state (after an entry) in which a licence had more leases than seats, with the
   * largest excess an open seats incident of that licence covered then; at most MAX_SEAT_EXCESSES.
   */
  seatExcesses: SeatExcess[];
}

export interface SeatExcess {
  index: number;
  licenceId: string;
  seatsInUse: number;
  seats: number;
  /** The largest excess of an open seats incident of the licence at that index; 0 if none. */
  coveredExcess: number;
}

export const MAX_SEAT_EXCESSES = 10_000;

/**
 * Rebuilds the ledger of the stopped node `nodeId` (whose config is `<dataDir>/<nodeId>.yaml`, as
 * TandemdProcess writes it) through `throughIndex`, and checks it against `expectedStateHash`.
 */
export async function readVerifiedLedger(
  dataDir: string,
  nodeId: string,
  throughIndex: number,
  expectedStateHash: string,
): Promise<VerifiedLedger> {
  if (!Number.isSafeInteger(throughIndex) || throughIndex < 0)
    throw new RangeError('throughIndex must be >= 0');
  const config = loadConfig(path.join(dataDir, `${nodeId}.yaml`));
  // The node's own options: they decide results and what the ledger remembers (its state hash).
  const ledgerOptions = ledgerOptionsOf(config);
  const storage = await LevelStorage.open(dataDir);
  let loaded: Awaited<ReturnType<LevelStorage['load']>>;
  try {
    loaded = await storage.load();
  } finally {
    await storage.close();
  }
  const snapshotIndex = loaded.snapshot?.metadata.index ?? 0;
  if (snapshotIndex > throughIndex) {
    throw new Error(
      `${nodeId} compacted its log through ${snapshotIndex}, past the verified index ${throughIndex}; raise snapshot.everyEntries and snapshot.everyBytes`,
    );
  }
  const ledger =
    loaded.snapshot === null
      ? new Ledger(ledgerOptions)
      : Ledger.restore(decodeNodeSnapshot(loaded.snapshot.data, snapshotIndex).ledger, ledgerOptions);
  let appliedIndex = snapshotIndex;
  let mergeEntryCount = 0;
  const mergedRequestIds = new Set<string>();
  const seatExcesses: SeatExcess[] = [];
  for (const entry of loaded.entries) {
    if (entry.index > throughIndex) break;
    if (entry.index !== appliedIndex + 1) {
      throw new Error(`${nodeId}'s log jumps from ${appliedIndex} to ${entry.index}`);
    }
    appliedIndex = entry.index;
    if (entry.kind !== 'normal') continue;
    const { timestampMs, command } = decodeEntryData(entry.data);
    if (command.type === 'merge') {
      mergeEntryCount += 1;
      for (const merged of command.entries) {
        if ('requestId' in merged.command) mergedRequestIds.add(merged.command.requestId);
      }
    }
    // Built apart from the call so that the entry fits the ledger's entry type with or without a term.
    const ledgerEntry = { index: entry.index, term: entry.term, timestampMs, command };
    ledger.apply(ledgerEntry);
    // Seats are checked in every applied state, not only the last: an excess that was later
    // released is still an excess (witness mode must never have one; pair mode must record it).
    if (seatExcesses.length < MAX_SEAT_EXCESSES) seatExcesses.push(...seatExcessesAt(ledger, entry.index));
  }
  if (appliedIndex !== throughIndex) {
    throw new Error(`${nodeId}'s log ends at ${appliedIndex}, before the verified index ${throughIndex}`);
  }
  const stateHash = ledger.stateHash();
  if (stateHash !== expectedStateHash) {
    throw new Error(
      `${nodeId}: the ledger rebuilt from disk through ${throughIndex} has state hash ${stateHash}, but the running node reported ${expectedStateHash}`,
    );
  }
  return {
    nodeId,
    ledger,
    appliedIndex,
    stateHash,
    replayedFromIndex: snapshotIndex,
    mergeEntryCount,
    mergedRequestIds,
    seatExcesses,
  };
}

function seatExcessesAt(ledger: Ledger, index: number): SeatExcess[] {
  const excesses: SeatExcess[] = [];
  for (const licence of ledger.listLicences()) {
    const seatsInUse = ledger.seatsInUse(licence.licenceId);
    if (seatsInUse <= licence.seats) continue;
    const coveredExcess = Math.max(
      0,
      ...ledger
        .incidents({ openOnly: true })
        .filter((incident) => incident.licenceId === licence.licenceId && incident.kind === 'seats')
        .map((incident) => incident.excess),
    );
    excesses.push({ index, licenceId: licence.licenceId, seatsInUse, seats: licence.seats, coveredExcess });
  }
  return excesses;
}

/** Units counted on a licence over every period the ledger keeps. */
export function ledgerUsageTotal(ledger: Ledger, licenceId: string): number {
  return ledger.usage(licenceId).reduce((sum, period) => sum + period.used, 0);
}
