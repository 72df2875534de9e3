import { expect } from 'chai';
import type {
  AppendEntriesMessage,
  Message,
  RequestVoteMessage,
  RequestVoteResponseMessage,
  WitnessRecordMessage,
  WitnessRecordResponseMessage,
} from '../src/types.js';
import { initialWitnessState, WitnessCore, type WitnessState } from '../src/witness-core.js';

const FAILOVER_TIMEOUT_TICKS = 10;
const HEARTBEAT_INTERVAL_TICKS = 2;

function witness(stored: WitnessState | null = null): WitnessCore {
  return new WitnessCore(
    {
      id: 'w',
      dataNodeIds: ['main', 'backup'],
      failoverTimeoutTicks: FAILOVER_TIMEOUT_TICKS,
      heartbeatIntervalTicks: HEARTBEAT_INTERVAL_TICKS,
    },
    stored,
  );
}

/** Ticks past the lease the witness keeps on a leader (or on its own start). */
function pastLease(core: WitnessCore): WitnessCore {
  for (let tick = 0; tick < FAILOVER_TIMEOUT_TICKS; tick += 1) core.tick();
  return core;
}

function vote(from: string, term: number, lastLogIndex: number, extra: Partial<RequestVoteMessage> = {}) {
  const message: RequestVoteMessage = {
    type: 'request_vote',
    from,
    to: 'w',
    term,
    lastLogIndex,
    lastLogTerm: term - 1,
    preVote: false,
    leadershipTransfer: false,
    ...extra,
  };
  return message;
}

function heartbeat(from: string, term: number, leaderCommit: number): AppendEntriesMessage {
  return {
    type: 'append_entries',
    from,
    to: 'w',
    term,
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: [],
    leaderCommit,
  };
}

function record(
  from: string,
  term: number,
  inSync: string[],
  configurationIndex: number,
  acknowledgedIndex = 0,
): WitnessRecordMessage {
  return { type: 'witness_record', from, to: 'w', term, inSync, acknowledgedIndex, configurationIndex };
}

function answer<M extends Message>(core: WitnessCore, message: Message): { answer: M; persisted: boolean } {
  const step = core.step(message);
  expect(step.messages).to.have.length(1);
  return { answer: step.messages[0] as M, persisted: step.persist !== null };
}

function granted(core: WitnessCore, message: RequestVoteMessage): boolean {
  return answer<RequestVoteResponseMessage>(core, message).answer.voteGranted;
}

describe('WitnessCore', () => {
  it('starts with every data node in sync and nothing acknowledged', () => {
    const status = witness().status();
    expect(status).to.deep.include({
      term: 0,
      votedFor: null,
      inSync: ['backup', 'main'],
      acknowledgedIndex: 0,
    });
  });

  it('votes once per term, persisting the vote before it answers', () => {
    const core = pastLease(witness());
    const first = core.step(vote('main', 1, 0));
    expect(first.persist).to.deep.include({ term: 1, votedFor: 'main' });
    expect((first.messages[0] as RequestVoteResponseMessage).voteGranted).to.equal(true);
    expect(granted(core, vote('backup', 1, 5))).to.equal(false);
    // The same candidate asking again (a retry) gets the same answer.
    expect(granted(core, vote('main', 1, 0))).to.equal(true);
    expect(granted(core, vote('backup', 2, 0))).to.equal(true);
  });

  it('keeps its vote across a restart from the persisted state', () => {
    const core = pastLease(witness());
    const { persist } = core.step(vote('main', 3, 0));
    const restarted = pastLease(witness(persist));
    expect(granted(restarted, vote('backup', 3, 9))).to.equal(false);
    expect(granted(restarted, vote('main', 3, 0))).to.equal(true);
  });

  it('votes only for a member of the recorded in-sync set', () => {
    const core = pastLease(witness());
    core.step(heartbeat('main', 1, 0));
    core.step(record('main', 1, ['main'], 4));
    pastLease(core);
    expect(granted(core, vote('backup', 2, 100))).to.equal(false);
    expect(granted(core, vote('backup', 2, 100, { preVote: true }))).to.equal(false);
    expect(granted(core, vote('main', 2, 4))).to.equal(true);
  });

  it('refuses a candidate whose log ends below the acknowledged index', () => {
    const core = pastLease(witness());
    core.step(heartbeat('main', 1, 7));
    pastLease(core);
    expect(core.status().acknowledgedIndex).to.equal(7);
    expect(granted(core, vote('backup', 2, 6))).to.equal(false);
    expect(granted(core, vote('backup', 2, 7))).to.equal(true);
  });

  it('refuses to help depose a leader it hears from, unless the leader transfers leadership to it', () => {
    const core = pastLease(witness());
    core.step(heartbeat('main', 1, 0));
    expect(granted(core, vote('backup', 2, 0, { preVote: true }))).to.equal(false);
    expect(granted(core, vote('backup', 2, 0, { leadershipTransfer: true }))).to.equal(true);
  });

  it('refuses votes for a lease after it starts, one heartbeat shorter than the failover timeout', () => {
    const core = witness();
    for (let tick = 1; tick < FAILOVER_TIMEOUT_TICKS - HEARTBEAT_INTERVAL_TICKS; tick += 1) core.tick();
    expect(granted(core, vote('main', 1, 0, { preVote: true }))).to.equal(false);
    core.tick();
    expect(granted(core, vote('main', 1, 0, { preVote: true }))).to.equal(true);
  });

  it('never moves its term on a pre-vote, and answers a refusal at the term asked for', () => {
    const core = pastLease(witness());
    core.step(heartbeat('main', 1, 0));
    core.step(record('main', 1, ['main'], 1));
    pastLease(core);
    const { answer: refusal, persisted } = answer<RequestVoteResponseMessage>(
      core,
      vote('backup', 5, 0, { preVote: true }),
    );
    expect(refusal).to.deep.include({ voteGranted: false, term: 5, preVote: true });
    expect(persisted).to.equal(false);
    expect(core.status().term).to.equal(1);
  });

  it('takes records only from the current term, and not an older record of the same leader', () => {
    const core = pastLease(witness());
    core.step(heartbeat('main', 2, 9));
    const accepted = answer<WitnessRecordResponseMessage>(core, record('main', 2, ['main'], 10, 9));
    expect(accepted.answer).to.deep.include({ success: true, configurationIndex: 10 });
    expect(accepted.persisted).to.equal(true);
    // A record of the same leader sent earlier but delivered late must not undo the newer one.
    const late = answer<WitnessRecordResponseMessage>(core, record('main', 2, ['backup', 'main'], 6));
    expect(late.answer.success).to.equal(false);
    expect(core.status().inSync).to.deep.equal(['main']);
    // A deposed leader's record is refused with the current term.
    const stale = answer<WitnessRecordResponseMessage>(core, record('backup', 1, ['backup'], 50));
    expect(stale.answer).to.deep.include({ success: false, term: 2 });
    // A newer term's leader (once the lease on the old one ran out) replaces the record whatever
    // its index.
    pastLease(core);
    core.step(heartbeat('backup', 3, 9));
    expect(
      answer<WitnessRecordResponseMessage>(core, record('backup', 3, ['backup', 'main'], 1)).answer.success,
    ).to.equal(true);
    expect(core.status()).to.deep.include({
      inSync: ['backup', 'main'],
      recordTerm: 3,
      acknowledgedIndex: 9,
    });
  });

  it('answers a heartbeat of an older term with its own term, so that the old leader steps down', () => {
    const core = pastLease(witness());
    core.step(vote('backup', 4, 0));
    const { answer: reply } = answer<AppendEntriesMessage & { success: boolean }>(
      core,
      heartbeat('main', 3, 20),
    );
    expect(reply).to.deep.include({ type: 'append_entries_response', success: false, term: 4 });
    expect(core.status().acknowledgedIndex).to.equal(0);
  });

  it('writes nothing when nothing changed', () => {
    const core = pastLease(witness());
    expect(core.step(heartbeat('main', 1, 3)).persist).to.not.equal(null);
    expect(core.step(heartbeat('main', 1, 3)).persist).to.equal(null);
  });

  it('believes the latest commit index a leader announces in its term, never less than earlier terms', () => {
    const core = pastLease(witness());
    core.step(heartbeat('main', 1, 5));
    // A forged or corrupt announcement, then the leader's own heartbeat: the leader's commit index
    // never goes down within its term, so the higher one was not its own.
    core.step(heartbeat('main', 1, 2 ** 40));
    expect(core.status().acknowledgedIndex).to.equal(2 ** 40);
    expect(core.step(heartbeat('main', 1, 6)).persist).to.deep.include({ acknowledgedIndex: 6 });
    // A new term's leader starts from what the earlier terms established.
    core.step(heartbeat('backup', 2, 3));
    expect(core.status().acknowledgedIndex).to.equal(6);
  });

  it('refuses impossible input without changing anything: entries, two leaders in a term, bad records', () => {
    const refusals: string[] = [];
    const core = pastLease(
      new WitnessCore(
        {
          id: 'w',
          dataNodeIds: ['main', 'backup'],
          failoverTimeoutTicks: FAILOVER_TIMEOUT_TICKS,
          heartbeatIntervalTicks: HEARTBEAT_INTERVAL_TICKS,
          refusal: (kind) => refusals.push(kind),
        },
        null,
      ),
    );
    const withEntry = {
      ...heartbeat('main', 1, 0),
      entries: [{ index: 1, term: 1, kind: 'noop' as const, data: new Uint8Array() }],
    };
    const refused = (message: Message) => {
      const step = core.step(message);
      expect(step.persist).to.equal(null);
      expect(step.messages).to.have.length(1);
      return step.messages[0] as Message & { success?: boolean; voteGranted?: boolean };
    };
    expect(refused(withEntry).success).to.equal(false);
    core.step(heartbeat('main', 1, 4));
    expect(refused(heartbeat('backup', 1, 0)).success).to.equal(false);
    expect(refused(record('main', 1, ['backup'], 2)).success).to.equal(false);
    expect(refused(record('main', 1, [], 2)).success).to.equal(false);
    // A record claiming more than the leader announced in its heartbeats.
    expect(refused(record('main', 1, ['main'], 2, 2 ** 40)).success).to.equal(false);
    // Terms out of bounds, or far ahead of the witness's own.
    expect(refused(heartbeat('main', 2 ** 53 - 1, 0)).success).to.equal(false);
    expect(refused(heartbeat('main', 5000, 0)).success).to.equal(false);
    expect(refused(vote('backup', 5000, 10)).voteGranted).to.equal(false);
    expect(core.status()).to.deep.include({ term: 1, leaderId: 'main', inSync: ['backup', 'main'] });
    expect(refusals).to.deep.equal([
      'malformed',
      'leader_claim',
      'malformed',
      'malformed',
      'record_ahead',
      'bad_term',
      'term_jump',
      'term_jump',
    ]);
    expect(() => core.step(heartbeat('stranger', 1, 0))).to.throw(/not a data node/);
  });

  it('takes a far-ahead vote only after its pre-vote, and a far-ahead leader only once it keeps to it', () => {
    const core = pastLease(witness());
    expect(granted(core, vote('backup', 5000, 0))).to.equal(false);
    expect(core.status().term).to.equal(0);
    expect(granted(core, vote('backup', 5000, 0, { preVote: true }))).to.equal(true);
    expect(granted(core, vote('backup', 5000, 0))).to.equal(true);
    expect(core.status().term).to.equal(5000);
    // A leader 10,000 terms ahead heartbeats: refused until it has done so for a failover timeout.
    pastLease(core);
    for (let tick = 0; tick < FAILOVER_TIMEOUT_TICKS; tick += 1) {
      expect(
        answer<AppendEntriesMessage & { success: boolean }>(core, heartbeat('main', 15_000, 0)).answer
          .success,
      ).to.equal(false);
      core.tick();
    }
    expect(
      answer<AppendEntriesMessage & { success: boolean }>(core, heartbeat('main', 15_000, 0)).answer.success,
    ).to.equal(true);
    expect(core.status()).to.deep.include({ term: 15_000, leaderId: 'main' });
  });

  it('rejects a stored state naming a stranger', () => {
    expect(() => witness({ ...initialWitnessState(['main', 'backup']), inSync: ['other'] })).to.throw(
      /not a data node/,
    );
  });
});
