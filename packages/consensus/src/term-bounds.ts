// How far a message may move a node's term, and how large a term or index may be at all. Messages
// come from peers that authentication lets in, but a buggy or compromised peer may still send any
// number; see README.md, "Messages from peers", for why these bounds cannot strand a real cluster.
import type { Message, NodeId } from './types.js';

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

/**
 * Whether a message more than MAX_TERM_JUMP terms ahead of its receiver (a data node or the
 * witness) moves it. Such a term is taken only when a real peer can be behind it: a vote request
 * after the receiver granted the same candidate's pre-vote for that very term (it would have elected
 * it anyway), or any other message once the same peer has kept claiming that same term for a window
 * (an election or failover timeout), as a live leader the receiver fell far behind does with its
 * heartbeats; a burst of random terms never adds up. Pre-vote requests never move a term and pass.
 * Pure: the receiver gives the time in ticks.
 */
export class FarTermGate {
  /** The peer's running claim of one far term. */
  private claim: { from: NodeId; term: number; sinceTick: number; lastTick: number } | null = null;
  /** The pre-vote the receiver granted last: a real vote far ahead is taken only after it. */
  private granted: { from: NodeId; term: number; tick: number } | null = null;

  constructor(
    /** 'node' or 'witness', for the refusal's wording. */
    private readonly receiver: string,
    private readonly windowTicks: number,
    private readonly trace: (line: string) => void,
  ) {}

  /** The receiver granted this pre-vote at this tick. */
  grantedPreVote(from: NodeId, term: number, nowTick: number): void {
    this.granted = { from, term, tick: nowTick };
  }

  /** Why the far message is refused, or null when it may move the receiver's term. */
  refusal(message: Message, currentTerm: number, nowTick: number): string | null {
    if (message.type === 'request_vote' && message.preVote) return null;
    const ahead = `term ${message.term} is more than ${MAX_TERM_JUMP} terms ahead of ${currentTerm}`;
    if (message.type === 'request_vote') {
      const granted = this.granted;
      if (
        granted !== null &&
        granted.from === message.from &&
        granted.term === message.term &&
        nowTick - granted.tick <= this.windowTicks
      ) {
        return null;
      }
      return `${ahead} and this ${this.receiver} granted no pre-vote for it`;
    }
    const claim = this.claim;
    if (
      claim === null ||
      claim.from !== message.from ||
      claim.term !== message.term ||
      nowTick - claim.lastTick > this.windowTicks
    ) {
      this.claim = { from: message.from, term: message.term, sinceTick: nowTick, lastTick: nowTick };
      return `${ahead}; taken only once ${message.from} keeps to that term for ${this.windowTicks} ticks`;
    }
    claim.lastTick = nowTick;
    const claimedTicks = nowTick - claim.sinceTick;
    if (claimedTicks < this.windowTicks) {
      return `${ahead}; ${message.from} has claimed it for ${claimedTicks} ticks`;
    }
    this.claim = null;
    this.trace(
      `takes term ${message.term} from ${message.from}, which has claimed it for ${claimedTicks} ticks`,
    );
    return null;
  }
}
