// What the parts of a data node (election.ts, replication.ts, leader.ts, merge.ts, witness-mode.ts)
// read of the node they belong to, and how they send and report through it. RaftNode gives them
// one object with all of it; each part's own interface adds what else it needs.
import type { RaftLog } from './raft-log.js';
import type { Configuration, Message, MessageBody, NodeId, Role } from './types.js';

export interface NodeView {
  readonly id: NodeId;
  /** Ticks since the node was built: the clock of every "ticks ago". */
  nowTick(): number;
  term(): number;
  role(): Role;
  leaderId(): NodeId | null;
  /** The node's log; replaced only when a backup discards its history (merge.ts). */
  log(): RaftLog;
  /** The latest configuration in the log (committed or not). */
  configuration(): Configuration;
  /** Queues a message for the next Ready; the node fills in from, to and its term. */
  send<M extends Message>(to: NodeId, body: MessageBody<M>): void;
  trace(line: string): void;
  /** Reports a peer message the node refuses or cannot use (rate-limited by the driver). */
  refuse(kind: string, line: string): void;
}
