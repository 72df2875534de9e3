// Hand-back: a backup that leads gives leadership back to the main (the priority node) once the
// main is in sync and answering. It goes through the generic leadership transfer (transferLeadership,
// timeout_now); what is particular to it is when it may start. After an abandoned transfer it waits
// a failover timeout; and when a hand-back does not hold (this node leads again soon after, as over
// a lossy link where the main's campaigns fail), the next one waits longer each time, so that a
// flaky link does not turn into a string of leaderless gaps.
import type { NodeId } from './types.js';

/** A leader that leads again within this many election timeouts of a hand-back backs off. */
export const HAND_BACK_MEMORY_TIMEOUTS = 8;
/** The longest wait before a hand-back, in election timeouts. */
export const MAX_HAND_BACK_BACKOFF_TIMEOUTS = 8;
/**
 * A hand-back held once this node has followed the main, in touch, for this many election timeouts:
 * a failover after that (the main dying, say) says nothing about a flaky link, and is not backed off.
 */
export const HAND_BACK_HOLD_TIMEOUTS = 2;

export class HandBack {
  /** No hand-back before this tick (after an abandoned transfer, or while backing off). */
  private allowedAtTick = 0;
  /** The tick count when this node last handed leadership back to the main, or null if never. */
  private lastHandBackTick: number | null = null;
  /**
   * How long a hand-back waits after this node wins leadership again, in ticks. 0 until a hand-back
   * does not hold; then it doubles each time, up to MAX_HAND_BACK_BACKOFF_TIMEOUTS election timeouts.
   */
  private backoffTicks = 0;
  /** Since when (term and tick) this node has followed the main as leader, if it does. */
  private followingMainSince: { term: number; tick: number } | null = null;

  constructor(
    private readonly self: NodeId,
    /** The main; null when none is configured (then nothing is ever handed back). */
    private readonly main: NodeId | null,
    private readonly electionTimeoutTicks: number,
    private readonly heartbeatIntervalTicks: number,
    private readonly trace: (line: string) => void,
  ) {}

  /** This node learned the leader of its term. */
  leaderSeen(leader: NodeId, term: number, nowTick: number): void {
    if (leader === this.main && this.followingMainSince?.term !== term) {
      this.followingMainSince = { term, tick: nowTick };
    }
  }

  /**
   * On a follower's tick: once it has followed the main for HAND_BACK_HOLD_TIMEOUTS, its last
   * hand-back held, and is forgotten.
   */
  forgetIfHeld(
    follower: { term: number; leaderId: NodeId | null; ticksSinceLeaderContact: number },
    nowTick: number,
  ): void {
    const since = this.followingMainSince;
    if (this.lastHandBackTick === null || since === null || since.term !== follower.term) return;
    if (follower.leaderId !== this.main || follower.ticksSinceLeaderContact >= this.electionTimeoutTicks)
      return;
    if (nowTick - since.tick < HAND_BACK_HOLD_TIMEOUTS * this.electionTimeoutTicks) return;
    this.lastHandBackTick = null;
    this.backoffTicks = 0;
    this.trace(`the hand-back to ${this.main} held; the next one will not wait`);
  }

  /**
   * This node won leadership. If it handed leadership back within HAND_BACK_MEMORY_TIMEOUTS election
   * timeouts, that hand-back did not hold, so the next one waits longer.
   */
  wonLeadership(nowTick: number): void {
    if (this.main === null || this.main === this.self) return;
    const last = this.lastHandBackTick;
    if (last === null || nowTick - last >= HAND_BACK_MEMORY_TIMEOUTS * this.electionTimeoutTicks) {
      this.backoffTicks = 0;
      return;
    }
    this.backoffTicks = Math.min(
      Math.max(this.electionTimeoutTicks, 2 * this.backoffTicks),
      MAX_HAND_BACK_BACKOFF_TIMEOUTS * this.electionTimeoutTicks,
    );
    this.allowedAtTick = Math.max(this.allowedAtTick, nowTick + this.backoffTicks);
    this.trace(`leads again soon after handing back; the next hand-back waits ${this.backoffTicks} ticks`);
  }

  /** A leadership transfer was abandoned: the next hand-back waits another failover timeout. */
  transferAbandoned(nowTick: number): void {
    this.allowedAtTick = nowTick + this.electionTimeoutTicks;
  }

  /**
   * On a leader whose in-sync set is settled: the main to hand leadership back to now (it is in the
   * set, acknowledged within a heartbeat interval, and no back-off holds), or null. A returned main
   * counts as handed back to: the caller transfers leadership to it at once.
   */
  start(
    inSync: readonly NodeId[],
    lastAcknowledgementTickOf: (id: NodeId) => number,
    nowTick: number,
  ): NodeId | null {
    const main = this.main;
    if (main === null || main === this.self || !inSync.includes(main)) return null;
    if (nowTick < this.allowedAtTick) return null;
    if (nowTick - lastAcknowledgementTickOf(main) > this.heartbeatIntervalTicks) return null;
    this.trace(`hands leadership back to the priority node ${main}, which is in sync`);
    this.lastHandBackTick = nowTick;
    return main;
  }
}
