// Hand-back: a backup that leads gives leadership back to the main (the priority node) once the
// main is in sync and answering. It goes through the generic leadership transfer (transferLeadership,
// timeout_now); what is particular to it is when it may start. After an abandoned transfer it waits
// a failover timeout; and when a hand-back does not hold (this node leads again soon after, as over
// a lossy link where the main's campaigns fail), the next one waits longer each time, so that a
// flaky link does not turn into a string of leaderless gaps.
//
// A drain (Configuration.drained) turns it around: a backup does not hand leadership back to a
// drained main, and a drained node that leads hands leadership off to an in-sync data node that is
// not drained, by the same transfer, with the same back-off.
import { drainedOf } from './configuration.js';
import type { Configuration, NodeId } from './types.js';

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
  /** When and to whom this node last handed leadership (back to the main, or off when drained). */
  private lastHandBack: { tick: number; to: NodeId } | null = null;
  /**
   * How long a hand-back waits after this node wins leadership again, in ticks. 0 until a hand-back
   * does not hold; then it doubles each time, up to MAX_HAND_BACK_BACKOFF_TIMEOUTS election timeouts.
   */
  private backoffTicks = 0;
  /** Since when (term and tick) this node has followed which leader, if it does. */
  private followingSince: { leader: NodeId; term: number; tick: number } | null = null;

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
    if (this.followingSince?.term !== term || this.followingSince.leader !== leader) {
      this.followingSince = { leader, term, tick: nowTick };
    }
  }

  /**
   * On a follower's tick: once it has followed the node it handed leadership to for
   * HAND_BACK_HOLD_TIMEOUTS, its last hand-back held, and is forgotten.
   */
  forgetIfHeld(
    follower: { term: number; leaderId: NodeId | null; ticksSinceLeaderContact: number },
    nowTick: number,
  ): void {
    const since = this.followingSince;
    const last = this.lastHandBack;
    if (last === null || since === null || since.term !== follower.term || since.leader !== last.to) return;
    if (follower.leaderId !== last.to || follower.ticksSinceLeaderContact >= this.electionTimeoutTicks)
      return;
    if (nowTick - since.tick < HAND_BACK_HOLD_TIMEOUTS * this.electionTimeoutTicks) return;
    this.lastHandBack = null;
    this.backoffTicks = 0;
    this.trace(`the hand-back to ${last.to} held; the next one will not wait`);
  }

  /**
   * This node won leadership (byTransfer: in a campaign a leader asked for with timeout_now). If it
   * handed leadership back within HAND_BACK_MEMORY_TIMEOUTS election timeouts, that hand-back did
   * not hold, so the next one waits longer.
   */
  wonLeadership(nowTick: number, byTransfer: boolean): void {
    if (this.main === null) return;
    // A leader that won through a transfer waits a failover timeout before it hands leadership on:
    // its peer may have handed leadership over because it is stopping (SIGTERM), and still answers
    // for a moment; it must not get leadership straight back. One really gone has left the in-sync
    // set (or stopped answering) by then.
    if (byTransfer) this.allowedAtTick = Math.max(this.allowedAtTick, nowTick + this.electionTimeoutTicks);
    const last = this.lastHandBack?.tick ?? null;
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
   * An operator drained or undrained a node: what that asks for happens now, not after a back-off
   * left over from earlier hand-backs.
   */
  drainChanged(): void {
    this.allowedAtTick = 0;
    this.backoffTicks = 0;
  }

  /**
   * The node that should lead instead of this one under a configuration, or null: the main, unless
   * it is drained; when this node is drained, another in-sync data node that is not.
   */
  preferredLeader(configuration: Configuration): NodeId | null {
    const main = this.main;
    if (main === null) return null;
    const drained = drainedOf(configuration);
    if (main !== this.self && !drained.includes(main))
      return configuration.inSync.includes(main) ? main : null;
    if (!drained.includes(this.self)) return null;
    return configuration.inSync.find((id) => id !== this.self && !drained.includes(id)) ?? null;
  }

  /**
   * On a leader whose in-sync set is settled: the node to hand leadership to now (see
   * preferredLeader; it is in the set, acknowledged within a heartbeat interval, and no back-off
   * holds), or null. A returned node counts as handed to: the caller transfers leadership to it at
   * once.
   */
  start(
    configuration: Configuration,
    lastAcknowledgementTickOf: (id: NodeId) => number,
    nowTick: number,
  ): NodeId | null {
    const target = this.preferredLeader(configuration);
    if (target === null) return null;
    if (nowTick < this.allowedAtTick) return null;
    if (nowTick - lastAcknowledgementTickOf(target) > this.heartbeatIntervalTicks) return null;
    this.trace(
      target === this.main
        ? `hands leadership back to the priority node ${target}, which is in sync`
        : `hands leadership off to ${target}, which is in sync: this node is drained`,
    );
    this.lastHandBack = { tick: nowTick, to: target };
    return target;
  }
}
