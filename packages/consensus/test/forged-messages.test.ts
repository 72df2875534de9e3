// Messages a buggy or compromised peer could send (the forged-peer cases of issue 10): none may
// trip an assert, move a node to an arbitrary term, start a merge, or make a node follow a leader it
// must not follow. Each case steps the forged message straight into a node of a pair that runs
// normally otherwise, then checks that the pair goes on as before.
import { expect } from 'chai';
import { RaftNode } from '../src/raft-node.js';
import { MAX_TERM, MAX_TERM_JUMP } from '../src/term-bounds.js';
import type { AppendEntriesMessage, Entry, Message, NodeId } from '../src/types.js';
import { bytes, DEFAULT_NODE_OPTIONS, SimulatedCluster } from './simulated-cluster.js';

const MAIN: NodeId = '1';
const BACKUP: NodeId = '2';
const FAILOVER_TIMEOUT_TICKS = 10;

interface Pair {
  cluster: SimulatedCluster;
  traces: string[];
}

function pair(): Pair {
  const traces: string[] = [];
  const cluster = new SimulatedCluster((line) => traces.push(line));
  for (const id of [MAIN, BACKUP]) {
    cluster.addNode(id, {
      ...DEFAULT_NODE_OPTIONS,
      configuration: { voters: [MAIN, BACKUP], inSync: [MAIN, BACKUP] },
      electionTimeoutTicks: FAILOVER_TIMEOUT_TICKS,
      heartbeatIntervalTicks: 1,
      mode: 'pair',
      priorityNodeId: MAIN,
    });
  }
  return { cluster, traces };
}

function settle(cluster: SimulatedCluster): void {
  for (let pass = 0; pass < 200; pass += 1) {
    let busy = false;
    for (const id of cluster.nodes.keys()) {
      if (!cluster.down.has(id)) busy = cluster.processReady(id) !== null || busy;
    }
    for (const message of cluster.network.splice(0)) {
      busy = true;
      cluster.deliver(message);
    }
    if (!busy) return;
  }
  throw new Error('the cluster did not settle');
}

function rounds(cluster: SimulatedCluster, count: number): void {
  for (let round = 0; round < count; round += 1) {
    for (const id of cluster.nodes.keys()) cluster.node(id).raft.tick();
    settle(cluster);
  }
}

/** A pair whose main leads, with a few committed entries on both nodes. */
function mainLeading(): Pair & { term: number } {
  const created = pair();
  rounds(created.cluster, FAILOVER_TIMEOUT_TICKS + 2);
  const main = raft(created.cluster, MAIN);
  expect(main.status().role).to.equal('leader');
  main.propose('normal', [bytes('a'), bytes('b'), bytes('c')]);
  settle(created.cluster);
  rounds(created.cluster, 2);
  expect(raft(created.cluster, BACKUP).status().commitIndex).to.equal(main.status().commitIndex);
  return { ...created, term: main.status().term };
}

function raft(cluster: SimulatedCluster, id: NodeId): RaftNode {
  return cluster.node(id).raft;
}

function entry(index: number, term: number, text = 'forged'): Entry {
  return { index, term, kind: 'normal', data: bytes(text) };
}

function append(from: NodeId, to: NodeId, fields: Partial<AppendEntriesMessage>): AppendEntriesMessage {
  return {
    type: 'append_entries',
    from,
    to,
    term: 1,
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: [],
    leaderCommit: 0,
    ...fields,
  };
}

/** Steps a forged message into a node; it must not throw. */
function forge(cluster: SimulatedCluster, message: Message): void {
  expect(() => raft(cluster, message.to).step(message)).to.not.throw();
  settle(cluster);
}

function expectPairSteady(cluster: SimulatedCluster, term: number): void {
  rounds(cluster, 3 * FAILOVER_TIMEOUT_TICKS);
  const main = raft(cluster, MAIN).status();
  const backup = raft(cluster, BACKUP).status();
  expect(main).to.deep.include({ role: 'leader', term });
  expect(backup).to.deep.include({ role: 'follower', leaderId: MAIN, term, divergence: null });
  expect(backup.commitIndex).to.equal(main.commitIndex);
  expect(cluster.node(BACKUP).applied).to.deep.equal(cluster.node(MAIN).applied);
}

describe('forged peer messages', () => {
  it('an append at term 2^53-1, or above MAX_TERM, is refused; nobody asserts or moves', () => {
    const { cluster, term, traces } = mainLeading();
    for (const forgedTerm of [Number.MAX_SAFE_INTEGER, MAX_TERM + 1]) {
      forge(cluster, append(BACKUP, MAIN, { term: forgedTerm }));
      forge(cluster, append(MAIN, BACKUP, { term: forgedTerm }));
    }
    expect(traces.filter((line) => line.includes('is not an integer in 0..'))).to.have.length(4);
    expectPairSteady(cluster, term);
  });

  it('an append at term+2 below the commit index with a conflicting entry is refused: no merge, no discard', () => {
    const { cluster, term, traces } = mainLeading();
    const commitIndex = raft(cluster, BACKUP).status().commitIndex;
    // The main owns term+2. The backup heard its leader a moment ago, so it does not move.
    forge(
      cluster,
      append(MAIN, BACKUP, {
        term: term + 2,
        prevLogIndex: commitIndex - 2,
        prevLogTerm: term,
        entries: [entry(commitIndex - 1, term + 2)],
        leaderCommit: commitIndex,
      }),
    );
    expect(traces.some((line) => line.includes(`this node follows ${MAIN}`))).to.equal(true);
    expectPairSteady(cluster, term);
  });

  it('a contradiction of entries the peer acknowledged is refused even from a leader it may follow', () => {
    const { cluster, term, traces } = mainLeading();
    const backup = raft(cluster, BACKUP);
    // The main's heartbeats are lost until the backup stops following it and pre-votes.
    cluster.isolated.add(MAIN);
    while (backup.status().role === 'follower') {
      backup.tick();
      settle(cluster);
    }
    cluster.isolated.delete(MAIN);
    const commitIndex = backup.status().commitIndex;
    forge(
      cluster,
      append(MAIN, BACKUP, {
        term: term + 2,
        prevLogIndex: commitIndex - 2,
        prevLogTerm: term,
        entries: [entry(commitIndex - 1, term + 2)],
        leaderCommit: commitIndex,
      }),
    );
    expect(backup.status()).to.deep.include({ divergence: null, mergeRetentionIndex: null, commitIndex });
    expect(traces.some((line) => line.includes(`which ${MAIN} holds`))).to.equal(true);
    expect(traces.some((line) => line.includes('offers'))).to.equal(false);
    // The pair settles again (the forged term moved the backup, which the main then follows past).
    rounds(cluster, 4 * FAILOVER_TIMEOUT_TICKS);
    expect(raft(cluster, MAIN).status().role).to.equal('leader');
    expect(backup.status()).to.deep.include({ leaderId: MAIN, divergence: null });
    expect(cluster.node(BACKUP).applied).to.deep.equal(cluster.node(MAIN).applied);
  });

  it('one message moves a node by at most MAX_TERM_JUMP terms; a leader that keeps to a far term is followed', () => {
    const { cluster, term } = mainLeading();
    const backup = raft(cluster, BACKUP);
    // The main owns odd terms: this is one of its own, far ahead.
    const farTerm = term + MAX_TERM_JUMP + 14;
    forge(cluster, append(MAIN, BACKUP, { term: farTerm }));
    expect(backup.status().term).to.equal(term);
    expectPairSteady(cluster, term);
    // A node that fell far behind (here: its leader is far ahead and it heard nobody else) follows
    // it once the leader has kept heartbeating for a failover timeout.
    const lonely = new RaftNode(
      {
        id: BACKUP,
        electionTimeoutTicks: FAILOVER_TIMEOUT_TICKS,
        heartbeatIntervalTicks: 1,
        randomInt: () => 0,
        maxEntriesPerMessage: 8,
        maxInflightMessages: 4,
        preVote: true,
        mode: 'pair',
        priorityNodeId: MAIN,
      },
      {
        hardState: { term: 2, votedFor: null, commitIndex: 0 },
        snapshot: null,
        entries: [],
        configuration: { voters: [MAIN, BACKUP], inSync: [MAIN, BACKUP] },
      },
    );
    for (let tick = 0; tick <= FAILOVER_TIMEOUT_TICKS; tick += 1) {
      lonely.step(append(MAIN, BACKUP, { term: farTerm }));
      lonely.tick();
    }
    lonely.step(append(MAIN, BACKUP, { term: farTerm }));
    expect(lonely.status()).to.deep.include({ term: farTerm, leaderId: MAIN });
  });

  it('an append from the node that does not own the term, or at the leader own term, is refused', () => {
    const { cluster, term } = mainLeading();
    // The backup claims the main's own term, and a term it does not own.
    forge(cluster, append(BACKUP, MAIN, { term, prevLogIndex: 1, prevLogTerm: term }));
    forge(cluster, append(BACKUP, MAIN, { term: term + 2 }));
    expectPairSteady(cluster, term);
  });

  it('a stream of timeout_now changes no leader: only the leader may send one, and no more than one per failover timeout', () => {
    const { cluster, term } = mainLeading();
    for (let round = 0; round < 5 * FAILOVER_TIMEOUT_TICKS; round += 1) {
      // To the main (it leads), and to the backup as if from the main (which is not transferring leadership to it).
      forge(cluster, { type: 'timeout_now', from: BACKUP, to: MAIN, term });
      forge(cluster, { type: 'timeout_now', from: MAIN, to: BACKUP, term });
      forge(cluster, { type: 'timeout_now', from: MAIN, to: BACKUP, term: term + 2 });
      rounds(cluster, 1);
    }
    expectPairSteady(cluster, term);
  });

  it('a merge offer from a backup in the in-sync set is refused and proposes nothing', () => {
    const { cluster, term } = mainLeading();
    forge(cluster, {
      type: 'merge_offer',
      from: BACKUP,
      to: MAIN,
      term,
      stretchStartIndex: 1,
      firstIndex: 1,
      throughIndex: 1,
      entries: [entry(1, term, '{"index":"x"}')],
      incomplete: false,
    });
    forge(cluster, {
      type: 'merge_offer',
      from: BACKUP,
      to: MAIN,
      term,
      stretchStartIndex: 1,
      firstIndex: 3,
      throughIndex: 1,
      entries: [],
      incomplete: false,
    });
    expectPairSteady(cluster, term);
  });

  it('an answer that matches beyond the leader log is ignored', () => {
    const { cluster, term } = mainLeading();
    forge(cluster, {
      type: 'append_entries_response',
      from: BACKUP,
      to: MAIN,
      term,
      success: true,
      matchIndex: 1_000_000,
      conflictIndex: 0,
      conflictTerm: 0,
    });
    expectPairSteady(cluster, term);
  });

  it('a vote far ahead is taken only after the pre-vote for it', () => {
    const { cluster, term } = mainLeading();
    const farTerm = term + 10 * MAX_TERM_JUMP;
    forge(cluster, {
      type: 'request_vote',
      from: MAIN,
      to: BACKUP,
      term: farTerm,
      lastLogIndex: 1000,
      lastLogTerm: term,
      preVote: false,
      leadershipTransfer: true,
    });
    expect(raft(cluster, BACKUP).status().term).to.equal(term);
    expectPairSteady(cluster, term);
  });
});
