// How far a message may move a node's term, and how large a term or index may be at all. Messages
// come from peers that authentication lets in, but a buggy or compromised peer may still send any
// number; see README.md, "Messages from peers", for why these bounds cannot strand a real cluster.

/**
 * No term or index above this is ever taken from a message, and no node campaigns past it. At one
 * election a millisecond it lasts 8,900 years, and it leaves room below Number.MAX_SAFE_INTEGER
 * for term arithmetic (a pair-mode campaign skips at most one term).
 */
export const MAX_TERM = 2 ** 48;
export const MAX_INDEX = 2 ** 48;

/**
 * A message more than this many terms ahead of the receiver does not move it: the receiver adopts
 * such a term only once the same peer has kept claiming that same term for an election timeout (a
 * live leader heartbeats far more often), or for a vote, after it granted that candidate's
 * pre-vote for that very term. So one message moves a node by at most this many terms.
 */
export const MAX_TERM_JUMP = 1000;

/** Whether a number from a message is a term or index this node may look at. */
export function isBoundedCount(value: number, maximum: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value <= maximum;
}
