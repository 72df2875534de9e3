// What a driver counts: one set per node, kept across restarts by the simulation.

export interface DriverStatistics {
  batches: number;
  proposedOperations: number;
  snapshotsTaken: number;
  snapshotsInstalled: number;
  leaseTicksProposed: number;
  extendLeasesProposed: number;
  timesElected: number;
  /** Pair mode, on the main: merge entries proposed from a backup's offers. */
  mergesProposed: number;
  /** Merge offers the core refused to take (not leader any more, back-pressure). */
  mergeProposalsRefused: number;
  /** Pair mode, on a backup: histories discarded after the main merged its solo entries. */
  historiesDiscarded: number;
  /** Times a backup began holding back a due compaction to keep its solo stretch for a merge. */
  compactionsHeldForMerge: number;
}

export function emptyDriverStatistics(): DriverStatistics {
  return {
    batches: 0,
    proposedOperations: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    leaseTicksProposed: 0,
    extendLeasesProposed: 0,
    timesElected: 0,
    mergesProposed: 0,
    mergeProposalsRefused: 0,
    historiesDiscarded: 0,
    compactionsHeldForMerge: 0,
  };
}
