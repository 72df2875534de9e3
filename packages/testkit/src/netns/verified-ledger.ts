// A stopped node's final ledger, rebuilt from its data directory (snapshot plus committed log) the
// way the node itself rebuilds it at start, so that the checkers can ask it about every request id.
// The rebuilt state hash is compared with the one the running node reported for the same index:
// a replay that differs from the node is an error here, never a silent pass.
import path from 'node:path';
import { decodeEntryData, Ledger } from '@tandem/ledger';
import { loadConfig } from '@tandem/server';
import { LevelStorage } from '@tandem/storage';

export interface VerifiedLedger {
  nodeId: string;
  ledger: Ledger;
  /** The index the ledger was rebuilt through. */
  appliedIndex: number;
  stateHash: string;
}

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
  const ledgerOptions = {
    idempotencyWindowMs: config.ledger.idempotencyWindowMs,
    idempotencyMaxEntries: config.ledger.idempotencyMaxEntries,
    maxTtlMs: config.ledger.maxTtlMs,
  };
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
      `${nodeId} compacted its log through ${snapshotIndex}, past the verified index ${throughIndex}; raise snapshot.everyEntries`,
    );
  }
  const ledger =
    loaded.snapshot === null
      ? new Ledger(ledgerOptions)
      : Ledger.restore(loaded.snapshot.data, ledgerOptions);
  let appliedIndex = snapshotIndex;
  for (const entry of loaded.entries) {
    if (entry.index > throughIndex) break;
    if (entry.index !== appliedIndex + 1) {
      throw new Error(`${nodeId}'s log jumps from ${appliedIndex} to ${entry.index}`);
    }
    appliedIndex = entry.index;
    if (entry.kind !== 'normal') continue;
    const { timestampMs, command } = decodeEntryData(entry.data);
    // Built apart from the call so that the entry fits the ledger's entry type with or without a term.
    const ledgerEntry = { index: entry.index, term: entry.term, timestampMs, command };
    ledger.apply(ledgerEntry);
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
  return { nodeId, ledger, appliedIndex, stateHash };
}

/** Units counted on a licence over every period the ledger keeps. */
export function ledgerUsageTotal(ledger: Ledger, licenceId: string): number {
  return ledger.usage(licenceId).reduce((sum, period) => sum + period.used, 0);
}
