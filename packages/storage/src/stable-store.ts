import type { HardState } from '@tandem/consensus';

/**
 * The Raft hard state: what must be durable before any message that depends on it is sent.
 *
 * Contract: saveHardState is durable and atomic when its promise resolves. It asserts the Raft
 * invariants a correct node never breaks: the term never decreases, a vote once cast in a term
 * never changes within that term, the commit index never decreases and never exceeds
 * lastIndex(). loadHardState returns the last saved value, or null when none was ever saved.
 */
export interface StableStore {
  loadHardState(): Promise<HardState | null>;
  saveHardState(state: HardState): Promise<void>;
}
