// What this node knows of its peers from the traffic between them, for ClusterStatus: when it last
// heard from each, the term the peer last showed, whether the last attempt to reach it failed, and
// since when it has been behind the leader's log.
import type { NodeId } from '@tandem/consensus';

export interface PeerContactView {
  /** Wall-clock time of the last message from the peer (a request or an answer); null if never. */
  lastContactAtMs: number | null;
  /** The term the peer's last message carried. */
  lastSeenTerm: number;
  /** The peer answered more recently than an attempt to reach it failed, within the window. */
  reachable: boolean;
  /** When this node (as leader) last saw the peer hold its whole log; null if never. */
  caughtUpAtMs: number | null;
}

interface Contact {
  lastContactAtMs: number | null;
  lastFailureAtMs: number | null;
  lastSeenTerm: number;
  caughtUpAtMs: number | null;
}

export class PeerContacts {
  private readonly contacts = new Map<NodeId, Contact>();

  /** A peer silent for longer than reachableWindowMs counts as unreachable. */
  constructor(
    peers: readonly NodeId[],
    private readonly clock: () => number,
    private readonly reachableWindowMs: number,
  ) {
    for (const peer of peers) {
      this.contacts.set(peer, {
        lastContactAtMs: null,
        lastFailureAtMs: null,
        lastSeenTerm: 0,
        caughtUpAtMs: null,
      });
    }
  }

  isPeer(id: NodeId): boolean {
    return this.contacts.has(id);
  }

  heardFrom(peer: NodeId, term: number): void {
    const contact = this.contacts.get(peer);
    if (contact === undefined) return;
    contact.lastContactAtMs = this.clock();
    contact.lastSeenTerm = Math.max(contact.lastSeenTerm, term);
  }

  failedToReach(peer: NodeId): void {
    const contact = this.contacts.get(peer);
    if (contact !== undefined) contact.lastFailureAtMs = this.clock();
  }

  caughtUp(peer: NodeId): void {
    const contact = this.contacts.get(peer);
    if (contact !== undefined) contact.caughtUpAtMs = this.clock();
  }

  view(peer: NodeId): PeerContactView {
    const contact = this.contacts.get(peer);
    if (contact === undefined) throw new Error(`${peer} is not a peer of this node`);
    const now = this.clock();
    const reachable =
      contact.lastContactAtMs !== null &&
      now - contact.lastContactAtMs <= this.reachableWindowMs &&
      (contact.lastFailureAtMs === null || contact.lastFailureAtMs <= contact.lastContactAtMs);
    return {
      lastContactAtMs: contact.lastContactAtMs,
      lastSeenTerm: contact.lastSeenTerm,
      reachable,
      caughtUpAtMs: contact.caughtUpAtMs,
    };
  }
}
