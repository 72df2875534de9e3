// `tandemctl status` and `verify` ask every node directly (no redirect) and put the answers
// together: each node's own report of itself, the leader's view of lag and the in-sync set, and
// a row for every node that could not be reached.
import type { AdminClient, ClusterStatus, NodeStateName, NodeStatusView } from '@tandem/client';

export type ReportedRole = 'main' | 'backup' | 'witness';
export type ReportedState = Exclude<NodeStateName, 'unknown'> | 'unknown' | 'unreachable';

export interface StatusNode {
  /** null when the node could not be reached and no peer named it. */
  id: string | null;
  address: string;
  role: ReportedRole | null;
  state: ReportedState;
  term: number | null;
  commitIndex: number | null;
  appliedIndex: number | null;
  stateHash: string | null;
  /** The applied index stateHash is of (a busy node hashes at most every few seconds). */
  stateHashIndex: number | null;
  lastIndex: number | null;
  inSync: boolean | null;
  lagEntries: number | null;
  lagMs: number | null;
  lastContactMs: number | null;
  reachable: boolean;
  mode: string | null;
  /** "tls" or "insecure" as the node says of itself; null when it did not answer. */
  security: string | null;
  /** Why the node could not be asked, when it could not. */
  error?: string;
}

export interface StatusReport {
  nodes: StatusNode[];
  /** The id of the node that says it leads, in the highest term among those; null if none does. */
  leader: string | null;
  /** The data nodes drained for maintenance, as the leader says (without one, the first answer). */
  drained: string[];
  /**
   * Overdraft incidents open in the leader's ledger (without a leader, the most any node
   * reported); null when no node answered.
   */
  openIncidents: number | null;
  /**
   * The cluster id licence files are issued for, as the leader's ledger recorded it (without a
   * leader, the first any node reported); null when none did yet.
   */
  clusterId: string | null;
}

/** A limit on how many addresses one status run asks. */
export const MAX_STATUS_NODES = 16;

interface Answered {
  address: string;
  status: ClusterStatus | null;
  error: string | null;
}

function roleOf(role: NodeStatusView['role'] | undefined): ReportedRole | null {
  return role === undefined || role === 'unknown' ? null : role;
}

async function ask(admin: AdminClient, address: string): Promise<Answered> {
  try {
    return { address, status: await admin.nodeStatus(address), error: null };
  } catch (error) {
    return { address, status: null, error: (error as Error).message };
  }
}

function unreachable(address: string, error: string | null, known: NodeStatusView | undefined): StatusNode {
  const node: StatusNode = {
    id: known?.id || null,
    address,
    role: roleOf(known?.role),
    state: 'unreachable',
    term: null,
    commitIndex: null,
    appliedIndex: null,
    stateHash: null,
    stateHashIndex: null,
    lastIndex: null,
    inSync: known?.inSync ?? null,
    lagEntries: null,
    lagMs: null,
    lastContactMs: known?.lastContactMs ?? null,
    reachable: false,
    mode: known?.mode || null,
    security: null,
  };
  if (error !== null) node.error = error;
  return node;
}

function answeredNode(
  address: string,
  self: NodeStatusView,
  leaderView: NodeStatusView | undefined,
): StatusNode {
  // Lag and contact are the leader's measurements; a node reports zero for itself.
  const view = leaderView ?? self;
  return {
    id: self.id,
    address,
    role: roleOf(self.role),
    state: self.state,
    term: self.term,
    commitIndex: self.commitIndex,
    appliedIndex: self.appliedIndex,
    stateHash: self.stateHash,
    stateHashIndex: self.stateHashIndex,
    lastIndex: self.lastIndex,
    inSync: view.inSync,
    lagEntries: view.lagEntries,
    lagMs: view.lagMs,
    lastContactMs: view.lastContactMs,
    reachable: true,
    mode: self.mode || null,
    security: self.security || null,
  };
}

/** Asks every server, then any peer they name that was not asked yet, and merges the answers. */
export async function collectStatus(admin: AdminClient, servers: readonly string[]): Promise<StatusReport> {
  const answers = await Promise.all(servers.slice(0, MAX_STATUS_NODES).map((address) => ask(admin, address)));
  const answeredIds = new Set(
    answers.flatMap((answer) => (answer.status?.nodes[0] ? [answer.status.nodes[0].id] : [])),
  );
  const asked = new Set(servers);
  const peers = answers.flatMap((answer) => answer.status?.nodes.slice(1) ?? []);
  const learned = [
    ...new Set(
      peers
        .filter((peer) => peer.address !== '' && !asked.has(peer.address) && !answeredIds.has(peer.id))
        .map((peer) => peer.address),
    ),
  ].slice(0, Math.max(0, MAX_STATUS_NODES - answers.length));
  answers.push(...(await Promise.all(learned.map((address) => ask(admin, address)))));

  const selves = answers.flatMap((answer) => (answer.status?.nodes[0] ? [answer.status.nodes[0]] : []));
  const leaders = selves
    .filter((self) => self.state === 'leader')
    .sort((left, right) => right.term - left.term);
  const leader = leaders[0] ?? null;
  const leaderAnswer = answers.find((answer) => answer.status?.nodes[0] === leader);
  const leaderPeers = leaderAnswer?.status?.nodes ?? [];

  const nodes: StatusNode[] = [];
  const seenIds = new Set<string>();
  for (const answer of answers) {
    const self = answer.status?.nodes[0];
    if (self === undefined) {
      const known = peers.find((peer) => peer.address === answer.address);
      if (known !== undefined && seenIds.has(known.id)) continue;
      const node = unreachable(answer.address, answer.error ?? 'the node reported no status', known);
      if (node.id !== null) seenIds.add(node.id);
      nodes.push(node);
      continue;
    }
    if (seenIds.has(self.id)) continue;
    seenIds.add(self.id);
    const leaderView =
      leader === null || leader.id === self.id ? undefined : leaderPeers.find((peer) => peer.id === self.id);
    nodes.push(answeredNode(answer.address, self, leaderView));
  }
  const reported = answers.flatMap((answer) => (answer.status === null ? [] : [answer.status.openIncidents]));
  const openIncidents =
    leaderAnswer?.status?.openIncidents ?? (reported.length === 0 ? null : Math.max(...reported));
  const clusterIds = answers.flatMap((answer) => (answer.status?.clusterId ? [answer.status.clusterId] : []));
  const clusterId = leaderAnswer?.status?.clusterId || clusterIds[0] || null;
  const drained =
    leaderAnswer?.status?.drained ?? answers.find((answer) => answer.status !== null)?.status?.drained ?? [];
  return { nodes, leader: leader?.id ?? null, drained: [...drained], openIncidents, clusterId };
}

export interface VerifyNode {
  id: string | null;
  address: string;
  appliedIndex: number | null;
  stateHash: string | null;
  /** The hash chain over the applied log through logHashIndex; null when unknown or unreachable. */
  logHash: string | null;
  logHashIndex: number | null;
  reachable: boolean;
  error?: string;
}

export interface VerifyReport {
  waitForIndex: number;
  nodes: VerifyNode[];
  /** Every reachable data node reported the same state hash and, where comparable, log hash. */
  equal: boolean;
  /**
   * Every reachable data node reported the same state hash at the same applied index; null when
   * their applied indexes kept moving apart (a busy cluster), so that the hashes could not be
   * compared: a state hash is the ledger's as applied now, not at an index asked for.
   */
  stateHashesEqual: boolean | null;
  /**
   * Every reachable data node reported the same log hash at the same index; null when they cannot
   * be compared (a node does not know its chain, or they answered at different indices).
   */
  logHashesEqual: boolean | null;
  /** What differs: 'state hash', 'log hash'; or 'applied index' when states could not be compared. */
  differences: string[];
  appliedIndexesEqual: boolean;
  /** Every data node was reached. */
  complete: boolean;
}

/** Rounds of asking before verify gives up comparing nodes whose applied indexes keep moving. */
const VERIFY_ROUNDS = 5;

/** Asks every data node for its state hash once it has applied the leader's commit index. */
export async function collectVerify(admin: AdminClient, servers: readonly string[]): Promise<VerifyReport> {
  const status = await collectStatus(admin, servers);
  const dataNodes = status.nodes.filter((node) => node.role !== 'witness');
  const leader = status.nodes.find((node) => node.id !== null && node.id === status.leader);
  let waitForIndex = leader?.commitIndex ?? Math.max(0, ...dataNodes.map((node) => node.commitIndex ?? 0));
  const ask = (): Promise<VerifyNode[]> =>
    Promise.all(
      dataNodes.map(async (node): Promise<VerifyNode> => {
        if (!node.reachable) {
          return {
            id: node.id,
            address: node.address,
            appliedIndex: null,
            stateHash: null,
            logHash: null,
            logHashIndex: null,
            reachable: false,
            error: node.error ?? 'unreachable',
          };
        }
        try {
          const result = await admin.verify(node.address, waitForIndex);
          return {
            id: result.nodeId || node.id,
            address: node.address,
            appliedIndex: result.appliedIndex,
            stateHash: result.stateHash,
            logHash: result.logHash === '' ? null : result.logHash,
            logHashIndex: result.logHash === '' ? null : result.logHashIndex,
            reachable: true,
          };
        } catch (error) {
          return {
            id: node.id,
            address: node.address,
            appliedIndex: null,
            stateHash: null,
            logHash: null,
            logHashIndex: null,
            reachable: false,
            error: (error as Error).message,
          };
        }
      }),
    );
  // A state hash is the ledger's as applied when the node answers; on a busy cluster one node may
  // have applied an entry more than the other. Ask again at the furthest index until they agree.
  let nodes = await ask();
  for (let round = 1; round < VERIFY_ROUNDS; round += 1) {
    const applied = nodes.filter((node) => node.reachable).map((node) => node.appliedIndex ?? 0);
    if (new Set(applied).size <= 1) break;
    waitForIndex = Math.max(waitForIndex, ...applied);
    nodes = await ask();
  }
  const verified = nodes.filter((node) => node.reachable);
  const appliedIndexesEqual = new Set(verified.map((node) => node.appliedIndex)).size <= 1;
  const stateHashesEqual = appliedIndexesEqual
    ? new Set(verified.map((node) => node.stateHash)).size <= 1
    : null;
  const comparable =
    verified.every((node) => node.logHash !== null) &&
    new Set(verified.map((node) => node.logHashIndex)).size <= 1;
  const logHashesEqual = comparable ? new Set(verified.map((node) => node.logHash)).size <= 1 : null;
  const differences = [
    ...(stateHashesEqual === null ? ['applied index'] : stateHashesEqual ? [] : ['state hash']),
    ...(logHashesEqual === false ? ['log hash'] : []),
  ];
  return {
    waitForIndex,
    nodes,
    equal: differences.length === 0,
    stateHashesEqual,
    logHashesEqual,
    differences,
    appliedIndexesEqual,
    complete: verified.length === nodes.length && nodes.length > 0,
  };
}
