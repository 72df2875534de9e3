// The Ready: what a node hands its driver, one at a time, and what the node remembers of the Readies
// it handed out. A Ready carries the soft and hard state only when they changed since the last one,
// every role change in between (Ready.roleChanges), and says whether the driver must make it
// durable before acting on it (Ready.mustSync).
import assert from 'node:assert/strict';
import type { HardState, NodeId, Ready, Role, RoleChange, SoftState } from './types.js';

/**
 * The most role changes one Ready carries. An input changes the role a few times at most (leader,
 * follower, candidate, leader); many more pile up only while the driver holds a Ready for a slow
 * write, and then the oldest say nothing the driver still needs (see Ready.roleChanges).
 */
export const MAX_ROLE_CHANGES_PER_READY = 64;

/** Shared by every Ready without a role change; frozen, so no driver can add to it. */
const NO_ROLE_CHANGES: RoleChange[] = Object.freeze([]) as unknown as RoleChange[];

export class ReadyTracker {
  private softState: SoftState = { role: 'follower', leaderId: null };
  /** The node's (role, term, leader) as of the last change noted. */
  private role: RoleChange;
  /** Changes noted since the last Ready handed out, oldest first; bounded. */
  private roleChanges: RoleChange[] = [];
  private droppedRoleChangeCount = 0;
  /** The hard state handed out last; at start, the one the node was built from. */
  private hardState: HardState;
  /**
   * The hard state the driver wrote last, by the contract of mustSync: it writes the latest hard
   * state handed out whenever a Ready must be synced. Null while it never wrote one.
   */
  private syncedHardState: HardState | null;
  private outstanding: Ready | null = null;

  constructor(initial: HardState | null) {
    this.hardState = initial === null ? { term: 0, votedFor: null, commitIndex: 0 } : { ...initial };
    this.syncedHardState = initial === null ? null : { ...initial };
    this.role = { role: 'follower', term: this.hardState.term, leaderId: null };
  }

  /** The node's (role, term, leader) as of the last change noted. */
  get currentRole(): RoleChange {
    return this.role;
  }

  /** Role changes noted and not handed out yet. */
  get pendingRoleChanges(): number {
    return this.roleChanges.length;
  }

  /** Role changes dropped because more than MAX_ROLE_CHANGES_PER_READY waited for one Ready. */
  get droppedRoleChanges(): number {
    return this.droppedRoleChangeCount;
  }

  /** The node's role, term or leader may have changed: note it if it did. */
  noteRole(role: Role, term: number, leaderId: NodeId | null): void {
    const last = this.role;
    if (last.role === role && last.term === term && last.leaderId === leaderId) return;
    assert.ok(term >= last.term, `the term went back from ${last.term} to ${term}`);
    this.role = { role, term, leaderId };
    if (this.roleChanges.length >= MAX_ROLE_CHANGES_PER_READY) {
      this.roleChanges.shift();
      this.droppedRoleChangeCount += 1;
    }
    this.roleChanges.push(this.role);
  }

  /** The changes for the Ready being built; none are pending afterwards. */
  takeRoleChanges(): RoleChange[] {
    // Most Readies carry none: no new array for them (a Ready is built per input on the hot path).
    if (this.roleChanges.length === 0) return NO_ROLE_CHANGES;
    const changes = this.roleChanges;
    this.roleChanges = [];
    return changes;
  }

  /** A Ready is handed out and not advanced yet. */
  get isOutstanding(): boolean {
    return this.outstanding !== null;
  }

  /** The term of the last hard state handed out. */
  get handedOutTerm(): number {
    return this.hardState.term;
  }

  softStateChanged(role: Role, leaderId: NodeId | null): boolean {
    return this.softState.role !== role || this.softState.leaderId !== leaderId;
  }

  hardStateChanged(current: HardState): boolean {
    const last = this.hardState;
    return (
      last.term !== current.term ||
      last.votedFor !== current.votedFor ||
      last.commitIndex !== current.commitIndex
    );
  }

  /**
   * Whether the driver must write this Ready durably before it sends its messages or answers
   * clients (see Ready.mustSync). committingAlone: the node is its own in-sync set (see
   * RaftNode.committingAlone), so its commit index is known nowhere else.
   */
  mustSync(ready: Omit<Ready, 'mustSync'>, committingAlone: boolean): boolean {
    if (ready.discardHistory || ready.entries.length > 0 || ready.snapshot !== null) return true;
    const hardState = ready.hardState;
    if (hardState === null) return false;
    const synced = this.syncedHardState;
    return (
      synced === null ||
      synced.term !== hardState.term ||
      synced.votedFor !== hardState.votedFor ||
      (committingAlone && synced.commitIndex !== hardState.commitIndex)
    );
  }

  handOut(ready: Ready): void {
    assert.ok(ready.roleChanges.length <= MAX_ROLE_CHANGES_PER_READY, 'role changes are bounded');
    if (ready.softState !== null) {
      // A new soft state is where the role changes led: the last of them.
      const last = ready.roleChanges.at(-1);
      assert.ok(
        last !== undefined &&
          last.role === ready.softState.role &&
          last.leaderId === ready.softState.leaderId,
        'a soft state change comes with the role changes that led to it',
      );
      this.softState = ready.softState;
    }
    this.outstanding = ready;
  }

  advanced(ready: Ready): void {
    assert.ok(ready === this.outstanding, 'advance() takes the Ready that ready() returned last');
    this.outstanding = null;
    if (ready.hardState !== null) this.hardState = { ...ready.hardState };
    // A synced Ready without a hard state of its own wrote the one kept from an earlier Ready that
    // was not synced, if there was one; either way the driver now holds the latest handed out.
    if (ready.mustSync && (ready.hardState !== null || this.syncedHardState !== null)) {
      this.syncedHardState = { ...this.hardState };
    }
  }
}
