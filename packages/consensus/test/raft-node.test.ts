import { AssertionError } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { encodeConfiguration } from '../src/configuration.js';
import {
  ConfigurationChangePendingError,
  LeadershipTransferInProgressError,
  NotLeaderError,
  ProposalBackpressureError,
} from '../src/errors.js';
import { RaftNode } from '../src/raft-node.js';
import { MAX_ROLE_CHANGES_PER_READY } from '../src/ready.js';
import type {
  AppendEntriesMessage,
  Configuration,
  Entry,
  InitialState,
  Message,
  RaftConfig,
  Ready,
} from '../src/types.js';
import { bytes } from './simulated-cluster.js';

const SINGLE: Configuration = { voters: ['1'], inSync: ['1'] };
const PAIR: Configuration = { voters: ['1', '2'], inSync: ['1', '2'] };

function makeNode(config: Partial<RaftConfig> = {}, initial: Partial<InitialState> = {}): RaftNode {
  return new RaftNode(
    {
      id: '1',
      electionTimeoutTicks: 10,
      heartbeatIntervalTicks: 2,
      randomInt: () => 0,
      maxEntriesPerMessage: 8,
      maxInflightMessages: 4,
      preVote: false,
      ...config,
    },
    { hardState: null, snapshot: null, entries: [], configuration: SINGLE, ...initial },
  );
}

/** Carries out every Ready (this node has no peers to talk to) until there is none. */
function drain(node: RaftNode): Ready[] {
  const readies: Ready[] = [];
  for (let round = 0; round < 100 && node.hasReady(); round += 1) {
    const ready = node.ready();
    readies.push(ready);
    node.advance(ready);
  }
  return readies;
}

function entry(index: number, term: number, kind: Entry['kind'] = 'normal', data = `e${index}`): Entry {
  return { index, term, kind, data: kind === 'normal' ? bytes(data) : new Uint8Array(0) };
}

function append(from: string, term: number, prev: [number, number], entries: Entry[], commit = 0): Message {
  const message: AppendEntriesMessage = {
    type: 'append_entries',
    from,
    to: '1',
    term,
    prevLogIndex: prev[0],
    prevLogTerm: prev[1],
    entries,
    leaderCommit: commit,
  };
  return message;
}

/** Node 2's answer to an append of node 1 (see AppendEntriesResponseMessage). */
function appendAnswer(
  term: number,
  answer: { success: boolean; matchIndex: number; conflictIndex: number },
): Message {
  return { type: 'append_entries_response', from: '2', to: '1', term, ...answer, conflictTerm: 0 };
}

/** Node 2's acknowledgement of node 1's log up to matchIndex. */
function acknowledgement(term: number, matchIndex: number): Message {
  return appendAnswer(term, { success: true, matchIndex, conflictIndex: 0 });
}

/**
 * Node 2's refusal of an append of term: its log ends before conflictIndex (0: an append of an
 * older term, which says nothing about its log).
 */
function refusal(term: number, conflictIndex: number): Message {
  return appendAnswer(term, { success: false, matchIndex: 0, conflictIndex });
}

/** Node 2's vote for node 1 in term. */
function granted(term: number): Message {
  return { type: 'request_vote_response', from: '2', to: '1', term, voteGranted: true, preVote: false };
}

function singleLeader(): RaftNode {
  const node = makeNode();
  node.campaign();
  drain(node);
  expect(node.status().role).to.equal('leader');
  return node;
}

describe('RaftNode', () => {
  describe('a cluster of one', () => {
    it('becomes leader at once on campaign() and commits its noop only after advance()', () => {
      const node = makeNode();
      node.campaign();
      expect(node.status()).to.include({ role: 'leader', term: 1, commitIndex: 0, lastIndex: 1 });
      const first = node.ready();
      expect(first.hardState).to.deep.equal({ term: 1, votedFor: '1', commitIndex: 0 });
      expect(first.entries.map((item) => item.kind)).to.deep.equal(['noop']);
      expect(first.committedEntries).to.deep.equal([]);
      // Not durable until the driver says so.
      expect(node.status().commitIndex).to.equal(0);
      node.advance(first);
      expect(node.status().commitIndex).to.equal(1);
      const second = node.ready();
      expect(second.committedEntries.map((item) => item.index)).to.deep.equal([1]);
      node.advance(second);
      expect(node.status().appliedIndex).to.equal(1);
      expect(node.hasReady()).to.equal(false);
    });

    it('campaigns on the first randomized election timeout, E + randomInt(E) ticks', () => {
      const draws: number[] = [];
      const node = makeNode({
        randomInt: (maxExclusive) => {
          draws.push(maxExclusive);
          return 3;
        },
      });
      for (let tick = 0; tick < 12; tick += 1) node.tick();
      expect(node.status().role).to.equal('follower');
      node.tick();
      expect(node.status().role).to.equal('leader');
      expect(draws.every((maxExclusive) => maxExclusive === 10)).to.equal(true);
    });

    it('rejects randomness outside [0, electionTimeoutTicks)', () => {
      expect(() => makeNode({ randomInt: () => 10 })).to.throw(AssertionError, /randomInt/);
      expect(() => makeNode({ randomInt: () => -1 })).to.throw(AssertionError, /randomInt/);
    });

    it('returns where a batch landed and hands it out in one Ready', () => {
      const node = singleLeader();
      const position = node.propose('normal', [bytes('a'), bytes('b'), bytes('c')]);
      expect(position).to.deep.equal({ firstIndex: 2, lastIndex: 4, term: 1 });
      const ready = node.ready();
      expect(ready.entries.map((item) => item.index)).to.deep.equal([2, 3, 4]);
      expect(ready.committedEntries).to.deep.equal([]);
      node.advance(ready);
      const next = node.ready();
      expect(next.committedEntries.map((item) => new TextDecoder().decode(item.data))).to.deep.equal([
        'a',
        'b',
        'c',
      ]);
    });

    it('restarts from persisted state and hands committed entries out again', () => {
      const node = makeNode(
        {},
        {
          hardState: { term: 2, votedFor: '1', commitIndex: 2 },
          entries: [entry(1, 1, 'noop'), entry(2, 1), entry(3, 2)],
        },
      );
      expect(node.status()).to.include({
        role: 'follower',
        term: 2,
        commitIndex: 2,
        appliedIndex: 0,
        lastIndex: 3,
      });
      const ready = node.ready();
      expect(ready.committedEntries.map((item) => item.index)).to.deep.equal([1, 2]);
      expect(ready.entries).to.deep.equal([]);
      expect(ready.hardState).to.equal(null);
      node.advance(ready);
      node.campaign();
      expect(node.status().term).to.equal(3);
      drain(node);
      expect(node.status()).to.include({ commitIndex: 4, appliedIndex: 4 });
    });

    it('starts the state machine from the snapshot (or the given applied index)', () => {
      const snapshot = { index: 5, term: 2, configuration: SINGLE };
      const fromSnapshot = makeNode(
        {},
        {
          hardState: { term: 2, votedFor: null, commitIndex: 6 },
          snapshot,
          entries: [entry(6, 2), entry(7, 2)],
        },
      );
      expect(fromSnapshot.ready().committedEntries.map((item) => item.index)).to.deep.equal([6]);
      const applied = makeNode(
        {},
        {
          hardState: { term: 2, votedFor: null, commitIndex: 6 },
          snapshot,
          entries: [entry(6, 2), entry(7, 2)],
          appliedIndex: 6,
        },
      );
      expect(applied.hasReady()).to.equal(false);
    });
  });

  describe('proposals', () => {
    it('throws a retryable NotLeaderError with the known leader on a follower', () => {
      const node = makeNode({}, { configuration: PAIR });
      node.step(append('2', 1, [0, 0], []));
      let caught: unknown;
      try {
        node.propose('normal', [bytes('x')]);
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(NotLeaderError);
      expect(caught).to.include({ code: 'not_leader', retryable: true, leaderId: '2', term: 1 });
    });

    it('limits the batch size and the entry size (programmer errors)', () => {
      const node = singleLeader();
      const tooMany = Array.from({ length: 9 }, () => bytes('x'));
      expect(() => node.propose('normal', tooMany)).to.throw(AssertionError, /at most 8 entries/);
      expect(() => node.propose('normal', [])).to.throw(AssertionError);
      const small = makeNode({ maxEntryBytes: 4 });
      small.campaign();
      expect(() => small.propose('normal', [bytes('12345')])).to.throw(AssertionError, /at most 4 bytes/);
    });

    it('pushes back when too many entries are uncommitted', () => {
      const node = makeNode({ maxUncommittedEntries: 3 });
      node.campaign();
      node.propose('normal', [bytes('a'), bytes('b')]);
      expect(() => node.propose('normal', [bytes('c')])).to.throw(ProposalBackpressureError);
      drain(node);
      expect(node.propose('normal', [bytes('c')]).firstIndex).to.equal(4);
    });

    it('allows one uncommitted configuration change at a time', () => {
      const node = singleLeader();
      node.proposeConfiguration({ voters: ['1', '2'], inSync: ['1'] });
      expect(node.status().configuration).to.deep.equal({ voters: ['1', '2'], inSync: ['1'] });
      expect(() => node.proposeConfiguration({ voters: ['1'], inSync: ['1'] })).to.throw(
        ConfigurationChangePendingError,
      );
      drain(node);
      expect(() => node.proposeConfiguration({ voters: ['1'], inSync: ['1'] })).not.to.throw();
      expect(() => node.proposeConfiguration({ voters: ['2'], inSync: ['2'] })).to.throw(AssertionError);
    });
  });

  describe('the Ready protocol', () => {
    it('hands out one Ready at a time and takes back only that one', () => {
      const node = makeNode();
      node.campaign();
      const ready = node.ready();
      expect(node.hasReady()).to.equal(false);
      expect(() => node.ready()).to.throw(AssertionError, /advance/);
      expect(() => node.advance({ ...ready })).to.throw(AssertionError);
      node.advance(ready);
      expect(node.hasReady()).to.equal(true);
    });

    it('puts the vote in the same Ready as the answer that depends on it', () => {
      const node = makeNode({}, { configuration: PAIR });
      node.step({
        type: 'request_vote',
        from: '2',
        to: '1',
        term: 1,
        lastLogIndex: 0,
        lastLogTerm: 0,
        preVote: false,
        leadershipTransfer: false,
      });
      const ready = node.ready();
      expect(ready.hardState).to.deep.equal({ term: 1, votedFor: '2', commitIndex: 0 });
      expect(ready.messages).to.have.length(1);
      expect(ready.messages[0]).to.include({ type: 'request_vote_response', voteGranted: true, term: 1 });
    });

    it('a follower commits only up to what it verified matches the leader', () => {
      const node = makeNode({}, { configuration: PAIR });
      // Entries 2 and 3 of term 1 came from a leader that lost; the new leader of term 2 only
      // knows that index 1 matches, and has committed 3 entries of its own.
      node.step(append('2', 1, [0, 0], [entry(1, 1), entry(2, 1), entry(3, 1)], 1));
      node.step(append('2', 2, [1, 1], [], 3));
      expect(node.status().commitIndex).to.equal(1);
      node.step(append('2', 2, [1, 1], [entry(2, 2)], 3));
      expect(node.status().commitIndex).to.equal(2);
      expect(node.status().lastIndex).to.equal(2);
    });

    it('does not count entries as durable when the log was truncated before advance()', () => {
      const node = makeNode({}, { configuration: PAIR });
      node.step(append('2', 1, [0, 0], [entry(1, 1), entry(2, 1)]));
      const ready = node.ready();
      // A new leader replaces entry 2 before the driver finished writing the Ready: entry 1 is
      // durable, entry 2 (as it is now) is not.
      node.step(append('2', 2, [1, 1], [entry(2, 2)]));
      node.advance(ready);
      expect(node.status().durableIndex).to.equal(1);
      const next = node.ready();
      expect(next.entries.map((item) => `${item.index}/${item.term}`)).to.deep.equal(['2/2']);
    });
  });

  describe('mustSync', () => {
    const voteRequest = (term: number): Message => ({
      type: 'request_vote',
      from: '2',
      to: '1',
      term,
      lastLogIndex: 9,
      lastLogTerm: term,
      preVote: false,
      leadershipTransfer: false,
    });
    /** The next Ready, advanced at once; only what mustSync says about it matters here. */
    function next(node: RaftNode): Ready {
      const ready = node.ready();
      node.advance(ready);
      return ready;
    }

    it('asks for a write of entries, a new term or a vote, not of a commit index alone', () => {
      const node = makeNode({}, { configuration: PAIR });
      node.step(append('2', 1, [0, 0], [entry(1, 1), entry(2, 1)]));
      expect(next(node)).to.include({ mustSync: true });
      node.step(append('2', 1, [2, 1], [], 1));
      const commitOnly = next(node);
      expect(commitOnly.hardState).to.deep.equal({ term: 1, votedFor: null, commitIndex: 1 });
      expect(commitOnly.mustSync).to.equal(false);
      node.step(append('2', 1, [2, 1], [], 2));
      expect(next(node)).to.include({ mustSync: false });
      node.step(voteRequest(2));
      const vote = next(node);
      expect(vote.hardState).to.deep.equal({ term: 2, votedFor: '2', commitIndex: 2 });
      expect(vote.mustSync).to.equal(true);
      // A Ready with nothing to write (a new leader's heartbeat: soft state and an answer) needs none.
      node.step(append('2', 2, [2, 1], [], 2));
      expect(next(node)).to.include({ hardState: null, mustSync: false });
    });

    it('compares with the hard state the node was built from', () => {
      const node = makeNode(
        {},
        {
          configuration: PAIR,
          hardState: { term: 3, votedFor: '2', commitIndex: 1 },
          entries: [entry(1, 3), entry(2, 3)],
        },
      );
      node.step(append('2', 3, [2, 3], [], 2));
      const ready = next(node);
      expect(ready.hardState).to.deep.equal({ term: 3, votedFor: '2', commitIndex: 2 });
      expect(ready.mustSync).to.equal(false);
    });

    it('asks for a write of the commit index when the node commits alone', () => {
      const alone = makeNode({}, { configuration: { voters: ['1', '2'], inSync: ['1'] } });
      alone.campaign();
      alone.step(granted(1));
      expect(alone.status().role).to.equal('leader');
      expect(next(alone)).to.include({ mustSync: true });
      expect(alone.committingAlone).to.equal(true);
      const commit = next(alone);
      expect(commit.hardState).to.deep.equal({ term: 1, votedFor: '1', commitIndex: 1 });
      expect(commit.entries).to.have.length(0);
      expect(commit.mustSync).to.equal(true);
      // A cluster of one is not "alone" (there is no peer to lose): its commit index rides along.
      const single = singleLeader();
      single.propose('normal', [bytes('x')]);
      expect(next(single)).to.include({ mustSync: true });
      const singleCommit = next(single);
      expect(singleCommit.hardState?.commitIndex).to.equal(2);
      expect(singleCommit.mustSync).to.equal(false);
    });

    it('after a skipped commit index, asks for a write with the next entries (the driver adds it)', () => {
      const leader = makeNode({}, { configuration: PAIR });
      leader.campaign();
      leader.step(granted(1));
      next(leader);
      leader.step(acknowledgement(1, 1));
      const commit = next(leader);
      expect(commit.hardState).to.deep.equal({ term: 1, votedFor: '1', commitIndex: 1 });
      expect(commit.mustSync).to.equal(false);
      leader.propose('normal', [bytes('x')]);
      const entries = next(leader);
      expect(entries.hardState).to.equal(null);
      expect(entries.mustSync).to.equal(true);
    });

    it('hands out new entries and the appends that carry them in one Ready; commits only after advance()', () => {
      const leader = makeNode({}, { configuration: PAIR });
      leader.campaign();
      leader.step(granted(1));
      next(leader);
      leader.step(acknowledgement(1, 1));
      next(leader);
      expect(leader.status().commitIndex).to.equal(1);
      leader.propose('normal', [bytes('x')]);
      const ready = leader.ready();
      // The driver may send these appends while it writes the entries (see leadsWithDurableTerm).
      expect(ready.entries.map((item) => item.index)).to.deep.equal([2]);
      expect(ready.mustSync).to.equal(true);
      const appends = ready.messages.filter((message) => message.type === 'append_entries');
      expect(appends.flatMap((message) => message.entries.map((item) => item.index))).to.deep.equal([2]);
      // The follower's copy is durable before the leader's: no commit yet.
      leader.step(acknowledgement(1, 2));
      expect(leader.status().durableIndex).to.equal(1);
      expect(leader.status().commitIndex).to.equal(1);
      expect(leader.status().progress?.['1']?.matchIndex).to.equal(1);
      leader.advance(ready);
      expect(leader.status().commitIndex).to.equal(2);
      expect(next(leader).committedEntries.map((item) => item.index)).to.deep.equal([2]);
    });

    it('after advance(), still waits for the follower before it commits', () => {
      const leader = makeNode({}, { configuration: PAIR });
      leader.campaign();
      leader.step(granted(1));
      next(leader);
      leader.step(acknowledgement(1, 1));
      next(leader);
      leader.propose('normal', [bytes('x')]);
      next(leader);
      expect(leader.status().durableIndex).to.equal(2);
      expect(leader.status().commitIndex).to.equal(1);
      leader.step(acknowledgement(1, 2));
      expect(leader.status().commitIndex).to.equal(2);
    });
  });

  describe('probing after a gap', () => {
    const appendsOf = (ready: Ready) => ready.messages.filter((message) => message.type === 'append_entries');
    /** Node 1 leads a pair; node 2 holds its noop, and appends carry two entries, four at a time. */
    const replicatingLeader = (): RaftNode => {
      const leader = makeNode({ maxEntriesPerMessage: 2, maxInflightMessages: 4 }, { configuration: PAIR });
      leader.campaign();
      leader.step(granted(1));
      drain(leader);
      leader.step(acknowledgement(1, 1));
      drain(leader);
      return leader;
    };

    it('sends one probe for a window of refused appends, not one per refusal', () => {
      const leader = replicatingLeader();
      // Four appends of two entries each go out back to back (2-3, 4-5, 6-7, 8-9).
      for (let batch = 0; batch < 4; batch += 1) {
        leader.propose('normal', [bytes(`a${batch}`), bytes(`b${batch}`)]);
      }
      const pipelined = drain(leader).flatMap(appendsOf);
      expect(
        pipelined.map((message) => message.type === 'append_entries' && message.prevLogIndex),
      ).to.deep.equal([1, 3, 5, 7]);
      // The first was lost: the follower refuses the other three, each saying its log ends at 1.
      leader.step(refusal(1, 2));
      const probe = drain(leader).flatMap(appendsOf);
      expect(probe).to.have.length(1);
      expect(probe[0]).to.include({ prevLogIndex: 1 });
      expect(leader.status().progress?.['2']).to.include({ state: 'probe', nextIndex: 2 });
      leader.step(refusal(1, 2));
      leader.step(refusal(1, 2));
      expect(
        drain(leader).flatMap(appendsOf),
        'the later refusals answer appends sent before the probe',
      ).to.have.length(0);
      // The probe's answer moves the follower back to replicating.
      leader.step(acknowledgement(1, 3));
      expect(leader.status().progress?.['2']).to.include({ state: 'replicate', matchIndex: 3 });
      expect(drain(leader).flatMap(appendsOf).length).to.be.greaterThan(0);
    });

    it('probes further back when a refusal points before the probe in flight', () => {
      const leader = replicatingLeader();
      for (let batch = 0; batch < 3; batch += 1)
        leader.propose('normal', [bytes(`a${batch}`), bytes(`b${batch}`)]);
      drain(leader);
      leader.step(refusal(1, 5));
      expect(drain(leader).flatMap(appendsOf)[0]).to.include({ prevLogIndex: 4 });
      // The probe at 4 is refused in turn: the follower's log ends at 1.
      leader.step(refusal(1, 2));
      expect(drain(leader).flatMap(appendsOf)[0]).to.include({ prevLogIndex: 1 });
    });
  });

  describe('terms and leaders', () => {
    it('refuses an append from a second leader in one term, changing nothing', () => {
      const refusals: string[] = [];
      const node = makeNode(
        { refusal: (kind, line) => refusals.push(`${kind}: ${line}`) },
        { configuration: { voters: ['1', '2', '3'], inSync: ['1', '2', '3'] } },
      );
      node.step(append('2', 1, [0, 0], []));
      node.step(append('3', 1, [0, 0], [entry(1, 1)]));
      expect(node.status()).to.deep.include({ term: 1, leaderId: '2', lastIndex: 0 });
      expect(refusals).to.deep.equal([
        'leader_claim: 1 refused append_entries from 3 at term 1: 2 leads term 1',
      ]);
    });

    it('refuses an append of an older term, answering with its own term', () => {
      const node = makeNode(
        {},
        { configuration: PAIR, hardState: { term: 3, votedFor: null, commitIndex: 0 } },
      );
      node.step(append('2', 2, [0, 0], [entry(1, 2)]));
      expect(node.status().lastIndex).to.equal(0);
      const [answer] = node.ready().messages;
      expect(answer).to.include({
        type: 'append_entries_response',
        term: 3,
        success: false,
        conflictIndex: 0,
      });
    });

    it('ignores a late refusal that answers an append of its own earlier term', () => {
      const node = makeNode({}, { configuration: PAIR });
      node.campaign();
      node.step(granted(1));
      expect(node.status().role).to.equal('leader');
      node.step(acknowledgement(1, 1));
      const before = node.status().progress?.['2'];
      expect(before).to.include({ state: 'replicate', matchIndex: 1, nextIndex: 2 });
      node.step(refusal(1, 0));
      expect(node.status().progress?.['2']).to.deep.equal(before);
    });

    it('rejects a message addressed to another node', () => {
      const node = makeNode();
      expect(() => node.step({ ...append('2', 1, [0, 0], []), to: '3' })).to.throw(AssertionError);
    });

    it('a pre-vote does not change the term of either side', () => {
      const node = makeNode(
        { preVote: true },
        { configuration: PAIR, hardState: { term: 4, votedFor: null, commitIndex: 0 } },
      );
      node.step({
        type: 'request_vote',
        from: '2',
        to: '1',
        term: 5,
        lastLogIndex: 0,
        lastLogTerm: 0,
        preVote: true,
        leadershipTransfer: false,
      });
      expect(node.status().term).to.equal(4);
      const [answer] = node.ready().messages;
      expect(answer).to.include({ type: 'request_vote_response', term: 5, voteGranted: true, preVote: true });
    });
  });

  describe('role changes (Ready.roleChanges)', () => {
    const THREE: Configuration = { voters: ['1', '2', '3'], inSync: ['1', '2', '3'] };
    const vote = (from: string, term: number): Message => ({
      type: 'request_vote_response',
      from,
      to: '1',
      term,
      voteGranted: true,
      preVote: false,
    });

    it('lists leader, follower, candidate, leader within one Ready, although the soft state is unchanged', () => {
      const node = makeNode({}, { configuration: THREE });
      node.campaign();
      node.step(vote('2', 1));
      const first = drain(node);
      expect(first.flatMap((ready) => ready.roleChanges)).to.deep.equal([
        { role: 'candidate', term: 1, leaderId: null },
        { role: 'leader', term: 1, leaderId: '1' },
      ]);
      // Within one input batch, before the driver takes a Ready: a leader of term 2 appears, and
      // this node wins term 3 at once.
      node.step(append('2', 2, [0, 0], []));
      node.campaign();
      node.step(vote('3', 3));
      expect(node.status()).to.include({ role: 'leader', term: 3 });
      const ready = node.ready();
      expect(ready.softState, 'leader of its own before and after').to.equal(null);
      expect(ready.roleChanges).to.deep.equal([
        { role: 'follower', term: 2, leaderId: '2' },
        { role: 'candidate', term: 3, leaderId: null },
        { role: 'leader', term: 3, leaderId: '1' },
      ]);
      node.advance(ready);
      expect(drain(node).flatMap((later) => later.roleChanges)).to.deep.equal([]);
    });

    it('keeps at most MAX_ROLE_CHANGES_PER_READY, dropping the oldest and counting them', () => {
      const node = makeNode({}, { configuration: THREE });
      node.campaign();
      const held = node.ready();
      expect(held.roleChanges).to.deep.equal([{ role: 'candidate', term: 1, leaderId: null }]);
      // The driver holds that Ready (a slow fsync) while the node campaigns 70 more times.
      for (let campaign = 0; campaign < 70; campaign += 1) node.campaign();
      node.advance(held);
      const ready = node.ready();
      expect(ready.roleChanges).to.have.length(MAX_ROLE_CHANGES_PER_READY);
      expect(node.droppedRoleChanges).to.equal(70 - MAX_ROLE_CHANGES_PER_READY);
      expect(ready.roleChanges[0]).to.deep.equal({
        role: 'candidate',
        term: 2 + 70 - MAX_ROLE_CHANGES_PER_READY,
        leaderId: null,
      });
      expect(ready.roleChanges.at(-1)).to.deep.equal({ role: 'candidate', term: 71, leaderId: null });
    });

    it('notes no change when nothing changed (a repeated step to the same leader)', () => {
      const node = makeNode({}, { configuration: THREE });
      node.step(append('2', 1, [0, 0], []));
      node.step(append('2', 1, [0, 0], []));
      expect(node.ready().roleChanges).to.deep.equal([{ role: 'follower', term: 1, leaderId: '2' }]);
    });
  });

  describe('configuration entries', () => {
    it('take effect on append and are undone by truncation', () => {
      const node = makeNode({}, { configuration: PAIR });
      const change: Entry = {
        index: 1,
        term: 1,
        kind: 'configuration',
        data: encodeConfiguration({ voters: ['1', '2'], inSync: ['2'] }),
      };
      node.step(append('2', 1, [0, 0], [change]));
      expect(node.status().configuration.inSync).to.deep.equal(['2']);
      node.step(append('2', 2, [0, 0], [entry(1, 2)]));
      expect(node.status().configuration).to.deep.equal(PAIR);
    });

    it('refuse a malformed configuration entry, and one that names other voters in pair mode', () => {
      const refusals: string[] = [];
      const node = makeNode({ refusal: (kind) => refusals.push(kind) }, { configuration: PAIR });
      const bad: Entry = { index: 1, term: 1, kind: 'configuration', data: bytes('{"voters":[]}') };
      node.step(append('2', 1, [0, 0], [bad]));
      const foreign: Entry = {
        index: 1,
        term: 1,
        kind: 'configuration',
        data: encodeConfiguration({ voters: ['1', '2', '9'], inSync: ['9'] }),
      };
      const pairNode = makeNode(
        { mode: 'pair', priorityNodeId: '1', refusal: (kind) => refusals.push(kind) },
        { configuration: PAIR },
      );
      pairNode.step(append('2', 2, [0, 0], [foreign]));
      expect(node.status().lastIndex).to.equal(0);
      expect(pairNode.status().lastIndex).to.equal(0);
      expect(refusals).to.deep.equal(['malformed', 'malformed']);
    });
  });

  describe('snapshots', () => {
    it('a follower restores a snapshot from the leader and reports its index', () => {
      const node = makeNode(
        {},
        {
          configuration: PAIR,
          hardState: { term: 1, votedFor: null, commitIndex: 0 },
          entries: [entry(1, 1, 'noop')],
        },
      );
      node.step({
        type: 'install_snapshot',
        from: '2',
        to: '1',
        term: 2,
        snapshot: { metadata: { index: 10, term: 2, configuration: PAIR }, data: bytes('state') },
      });
      const ready = node.ready();
      expect(ready.snapshot?.metadata.index).to.equal(10);
      expect(ready.committedEntries).to.deep.equal([]);
      expect(ready.hardState?.commitIndex).to.equal(10);
      expect(ready.messages[0]).to.include({
        type: 'install_snapshot_response',
        success: true,
        matchIndex: 10,
      });
      node.advance(ready);
      expect(node.status()).to.include({
        snapshotIndex: 10,
        lastIndex: 10,
        appliedIndex: 10,
        commitIndex: 10,
      });
    });

    it('answers a snapshot at or below its commit index from the metadata, never restoring it (the server sends no data then)', () => {
      const node = makeNode(
        {},
        {
          configuration: PAIR,
          hardState: { term: 2, votedFor: null, commitIndex: 3 },
          entries: [entry(1, 1, 'noop'), entry(2, 2, 'noop'), entry(3, 2, 'noop')],
        },
      );
      drain(node);
      for (const index of [2, 3]) {
        node.step({
          type: 'install_snapshot',
          from: '2',
          to: '1',
          term: 2,
          snapshot: { metadata: { index, term: 2, configuration: PAIR }, data: new Uint8Array(0) },
        });
        const ready = node.ready();
        expect(ready.snapshot ?? null).to.equal(null);
        expect(ready.messages[0]).to.include({ type: 'install_snapshot_response', success: true });
        node.advance(ready);
        expect(node.status()).to.include({ snapshotIndex: 0, lastIndex: 3, commitIndex: 3 });
      }
    });

    it('compacts only at an applied index, with the configuration in effect there', () => {
      const node = singleLeader();
      node.propose('normal', [bytes('a')]);
      node.proposeConfiguration({ voters: ['1', '2'], inSync: ['1'] });
      drain(node);
      const metadata = node.snapshotMetadataAt(2);
      expect(metadata).to.deep.equal({ index: 2, term: 1, configuration: SINGLE });
      expect(() => node.compact({ ...metadata, configuration: node.status().configuration })).to.throw(
        AssertionError,
        /configuration/,
      );
      node.compact(metadata);
      expect(node.status().snapshotIndex).to.equal(2);
      expect(() => node.entries(2, 3)).to.throw(AssertionError, /compacted/);
      expect(node.entries(3, 3).map((item) => item.kind)).to.deep.equal(['configuration']);
      expect(() => node.snapshotMetadataAt(4)).to.throw(AssertionError);
    });

    it('the leader sends metadata with empty data and leaves the data to the driver', () => {
      const node = makeNode({}, { configuration: { voters: ['1', '2'], inSync: ['1'] } });
      node.campaign();
      node.step(granted(1));
      node.propose('normal', [bytes('a')]);
      drain(node);
      node.compact(node.snapshotMetadataAt(2));
      // The new leader's first probe is answered (the follower has nothing), so the refusal below
      // is not taken for an answer to an append sent before that probe.
      node.step(acknowledgement(1, 0));
      drain(node);
      node.step(refusal(1, 1));
      const messages = node.ready().messages;
      const snapshot = messages.find((message) => message.type === 'install_snapshot');
      expect(snapshot?.type === 'install_snapshot' && snapshot.snapshot.data.byteLength).to.equal(0);
      expect(snapshot?.type === 'install_snapshot' && snapshot.snapshot.metadata.index).to.equal(2);
      expect(node.status().progress?.['2']?.state).to.equal('snapshot');
    });
  });

  describe('leadership transfer', () => {
    it('refuses proposals while transferring and abandons after an election timeout', () => {
      const node = makeNode({}, { configuration: PAIR });
      node.campaign();
      node.step(granted(1));
      node.transferLeadership('2');
      expect(() => node.propose('normal', [bytes('x')])).to.throw(LeadershipTransferInProgressError);
      for (let tick = 0; tick < 10; tick += 1) node.tick();
      expect(node.status().leadTransferee).to.equal(null);
      expect(node.propose('normal', [bytes('x')]).firstIndex).to.equal(2);
    });
  });

  describe('initial state', () => {
    it('rejects a log that is not contiguous, newer than its term, or behind its commit index', () => {
      expect(() => makeNode({}, { entries: [entry(1, 1), entry(3, 1)] })).to.throw(AssertionError);
      expect(() =>
        makeNode({}, { hardState: { term: 1, votedFor: null, commitIndex: 0 }, entries: [entry(1, 2)] }),
      ).to.throw(AssertionError);
      expect(() =>
        makeNode({}, { hardState: { term: 1, votedFor: null, commitIndex: 2 }, entries: [entry(1, 1)] }),
      ).to.throw(AssertionError);
      expect(() => makeNode({ heartbeatIntervalTicks: 10 })).to.throw(AssertionError);
    });
  });

  describe('purity', () => {
    it('the core reads no clock, draws no random numbers and does no I/O', () => {
      const sourceDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
      const forbidden = [
        /Date\.now/,
        /new Date\(/,
        /Math\.random/,
        /setTimeout/,
        /setInterval/,
        /node:fs/,
        /\bprocess\.(env|exit|hrtime|nextTick)/,
      ];
      const files = readdirSync(sourceDirectory).filter((name) => name.endsWith('.ts'));
      expect(files.length).to.be.greaterThan(5);
      for (const file of files) {
        const source = readFileSync(join(sourceDirectory, file), 'utf8');
        for (const pattern of forbidden) expect(source, `${file} uses ${pattern}`).not.to.match(pattern);
      }
    });
  });
});
