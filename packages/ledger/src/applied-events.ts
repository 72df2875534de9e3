// What one applied entry did to leases and usage, in the order it did it: the ledger's account of
// its own effects, for the usage reports (the server's report index folds these into hourly
// buckets). A result alone does not say it: a tick names only lease ids, a deactivation or a merge
// ends and grants leases that no result lists, and a retried request answers from memory without
// doing anything again. Plain data, made during apply, so it is as deterministic as the ledger.
import type { Command, CommandType, Lease, Result } from './types.js';

export type AppliedEvent =
  /** A lease became held at atMs: a grant, a merged grant (dated by the backup), one held again. */
  | { kind: 'lease_started'; atMs: number; lease: Lease; command: CommandType }
  /** A live lease was renewed (or asked for again by its workstation) at atMs. */
  | { kind: 'lease_renewed'; atMs: number; lease: Lease; command: CommandType }
  /**
   * A live lease ended at atMs: expired by a tick (expired true), or released, revoked, ended by a
   * deactivation, an intent or a merge; `command` is the innermost command that ended it.
   */
  | { kind: 'lease_ended'; atMs: number; lease: Lease; expired: boolean; command: CommandType }
  /**
   * A client command executed now (not a retry answered from memory), with its result: a usage
   * report's units, an acquire's or a report's refusal. atMs is when it counts (a merged one's is
   * the backup's time, brought back to the clock).
   */
  | { kind: 'executed'; atMs: number; command: Command; result: Result };

/** An entry's events are bounded by what one entry can do; this guards against a runaway. */
export const MAX_APPLIED_EVENTS_PER_ENTRY = 1_000_000;
