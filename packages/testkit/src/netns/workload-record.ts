// What passes between the test and a workload runner in a workstation namespace: the spec it is
// started with, its progress lines, and the history file it writes when it stops.

import type { Operation } from '../history-checker/history.js';
import type { ClusterAccess } from '../test-pki.js';

export interface WorkloadSpec {
  servers: string[];
  /** One client per id; each runs its own loop of operations. 1..MAX_WORKLOAD_CLIENTS. */
  workstationIds: string[];
  /**
   * Each client's credentials, by workstation id: its own certificate (files under the lab's
   * directory) with the cluster CA; `{ insecure: true }` against a cluster that runs insecure.
   */
  access: Record<string, ClusterAccess>;
  /** An unmetered licence that counts usage. */
  usageLicenceId: string;
  /** A licence with a seat for every client. */
  leaseLicenceId: string;
  /**
   * A licence with fewer seats than clients, or null. Clients contend for it only after the runner
   * reads `contend` on stdin (see NetnsWorkload.contend()): each holds a seat for
   * `scarceHoldRounds` rounds, releases it and tries again, so that a test decides when (for
   * example, only during a split brain) the seats are fought over. `release` ends the contention
   * and releases what is held.
   */
  scarceLicenceId: string | null;
  scarceHoldRounds: number;
  /** The TTL of every lease; longer than any case, so that no lease expires during one. */
  leaseTtlMs: number;
  /**
   * Every this many rounds a client sends again a request it already sent (same request id, same
   * command): a duplicate that must be answered with the first result. 0: never.
   */
  resendEveryRounds: number;
  /** Pause between a client's operations. */
  pauseMs: number;
  requestTimeoutMs: number;
  maxAttempts: number;
  /** The runner stops by itself after this long, if nobody stopped it first. */
  maxDurationMs: number;
  /** Where the runner writes the history (JSON) when it stops. */
  outputFile: string;
  progressIntervalMs: number;
}

export const MAX_WORKLOAD_CLIENTS = 32;
/** Operations in flight when the runner is told to stop get this long to finish. */
export const WORKLOAD_DRAIN_MS = 4000;

export interface WorkloadProgress {
  acknowledged: number;
  /** Duplicates sent again under a request id already used (counted in acknowledged too when answered). */
  resent: number;
  /** Clients holding a seat of the scarce licence (as far as they know: a granted, unreleased lease). */
  scarceHeld: number;
  failed: number;
  rejected: number;
  inFlight: number;
  atMs: number;
}

/** A leader as a client saw it answer: the node id and the term on its answer. */
export interface ObservedLeader {
  term: number;
  leaderId: string;
  atMs: number;
  observer: string;
}

export interface WorkloadHistory {
  workstationIds: string[];
  startedAtMs: number;
  stoppedAtMs: number;
  operations: Operation[];
  leaders: ObservedLeader[];
}

/** JSON has no Infinity: an unknown completion time is written as null. */
export function encodeWorkloadHistory(history: WorkloadHistory): string {
  return JSON.stringify({
    ...history,
    operations: history.operations.map((operation) => ({
      ...operation,
      completedAtMs: Number.isFinite(operation.completedAtMs) ? operation.completedAtMs : null,
    })),
  });
}

export function decodeWorkloadHistory(text: string): WorkloadHistory {
  const raw = JSON.parse(text) as WorkloadHistory & {
    operations: (Operation & { completedAtMs: number | null })[];
  };
  if (!Array.isArray(raw.operations) || !Array.isArray(raw.leaders))
    throw new Error('not a workload history');
  return {
    ...raw,
    operations: raw.operations.map((operation) => ({
      ...operation,
      completedAtMs: operation.completedAtMs ?? Number.POSITIVE_INFINITY,
    })),
  };
}
