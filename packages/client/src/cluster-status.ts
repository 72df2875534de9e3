// Plain-object views of what nodes say about themselves: ClusterStatus, Verify, Snapshot.
import type { ClusterStatusResponse__Output, NodeStatus__Output, ResponseHeader__Output } from '@tandem/wire';

export type NodeRoleName = 'main' | 'backup' | 'witness' | 'unknown';
export type NodeStateName = 'leader' | 'follower' | 'candidate' | 'pre_candidate' | 'stopped' | 'unknown';

export interface NodeStatusView {
  id: string;
  address: string;
  role: NodeRoleName;
  state: NodeStateName;
  term: number;
  commitIndex: number;
  appliedIndex: number;
  stateHash: string;
  /** The applied index stateHash is of: a busy node hashes at most every few seconds for Status. */
  stateHashIndex: number;
  lastIndex: number;
  snapshotIndex: number;
  inSync: boolean;
  lagEntries: number;
  lagMs: number;
  /** Milliseconds since the reporting node last heard from this node (0 for itself). */
  lastContactMs: number;
  reachable: boolean;
  mode: string;
  version: string;
  startedAtMs: number;
  /** "tls", or "insecure" for a node without TLS and authentication; empty for a peer row. */
  security: string;
}

/** Who answered, in which term and state. */
export interface ResponderView {
  nodeId: string;
  role: NodeRoleName;
  state: NodeStateName;
  term: number;
  leaderId: string | null;
  leaderAddress: string | null;
  appliedIndex: number;
}

export interface ClusterStatus {
  /** The address that was asked. */
  address: string;
  responder: ResponderView;
  /** The answering node first, then what it knows of its peers. */
  nodes: NodeStatusView[];
  leaderId: string | null;
  inSync: string[];
  /** The data nodes drained for maintenance, as the answering node's configuration says. */
  drained: string[];
  /** Overdraft incidents open in the answering node's ledger. */
  openIncidents: number;
  /** The cluster id the answering node's ledger recorded; '' until the first leader recorded it. */
  clusterId: string;
}

export interface VerifyResult {
  address: string;
  nodeId: string;
  appliedIndex: number;
  stateHash: string;
  /** The hash chain over the node's applied log through logHashIndex; '' when the node cannot know it. */
  logHash: string;
  logHashIndex: number;
  term: number;
}

export interface SnapshotResult {
  nodeId: string;
  index: number;
  term: number;
  sizeBytes: number;
  stateHash: string;
}

const ROLES: Record<string, NodeRoleName> = {
  ROLE_MAIN: 'main',
  ROLE_BACKUP: 'backup',
  ROLE_WITNESS: 'witness',
};
const STATES: Record<string, NodeStateName> = {
  NODE_STATE_LEADER: 'leader',
  NODE_STATE_FOLLOWER: 'follower',
  NODE_STATE_CANDIDATE: 'candidate',
  NODE_STATE_PRE_CANDIDATE: 'pre_candidate',
  NODE_STATE_STOPPED: 'stopped',
};

export function roleFromWire(role: string | number): NodeRoleName {
  return ROLES[String(role)] ?? 'unknown';
}

export function stateFromWire(state: string | number): NodeStateName {
  return STATES[String(state)] ?? 'unknown';
}

export function nodeStatusFromWire(status: NodeStatus__Output): NodeStatusView {
  return {
    id: status.id,
    address: status.address,
    role: roleFromWire(status.role),
    state: stateFromWire(status.state),
    term: status.term,
    commitIndex: status.commitIndex,
    appliedIndex: status.appliedIndex,
    stateHash: status.stateHash,
    stateHashIndex: status.stateHashIndex,
    lastIndex: status.lastIndex,
    snapshotIndex: status.snapshotIndex,
    inSync: status.inSync,
    lagEntries: status.lagEntries,
    lagMs: status.lagMs,
    lastContactMs: status.lastContactMs,
    reachable: status.reachable,
    mode: status.mode,
    version: status.version,
    startedAtMs: status.startedAtMs,
    security: status.security,
  };
}

export function responderFromWire(header: ResponseHeader__Output | null): ResponderView {
  return {
    nodeId: header?.nodeId ?? '',
    role: roleFromWire(header?.role ?? ''),
    state: stateFromWire(header?.state ?? ''),
    term: header?.term ?? 0,
    leaderId: header?.leaderId || null,
    leaderAddress: header?.leaderAddress || null,
    appliedIndex: header?.appliedIndex ?? 0,
  };
}

export function clusterStatusFromWire(
  address: string,
  response: ClusterStatusResponse__Output,
): ClusterStatus {
  return {
    address,
    responder: responderFromWire(response.header),
    nodes: response.nodes.map(nodeStatusFromWire),
    leaderId: response.leaderId === '' ? null : response.leaderId,
    inSync: [...response.inSync],
    drained: [...response.drained],
    openIncidents: response.openIncidents,
    clusterId: response.clusterId,
  };
}
