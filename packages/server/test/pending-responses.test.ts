import type { AppendEntriesResponseMessage } from '@tandem/consensus';
import { expect } from 'chai';
import { PendingResponses } from '../src/pending-responses.js';

const answer = (matchIndex: number, to = 'main'): AppendEntriesResponseMessage => ({
  type: 'append_entries_response',
  from: 'backup',
  to,
  term: 3,
  success: true,
  matchIndex,
  conflictIndex: 0,
  conflictTerm: 0,
});

describe('pending responses', () => {
  it('hands answers to waiting RPCs first in, first out, per peer and type', async () => {
    const pending = new PendingResponses(4);
    const first = pending.wait('main', 'append_entries_response', 1000);
    const second = pending.wait('main', 'append_entries_response', 1000);
    const vote = pending.wait('main', 'request_vote_response', 50);
    expect(pending.deliver(answer(1))).to.equal(true);
    expect(pending.deliver(answer(2))).to.equal(true);
    expect((await first)?.type).to.equal('append_entries_response');
    expect(await first).to.deep.equal(answer(1));
    expect(await second).to.deep.equal(answer(2));
    // Nobody waits for a third answer, and the vote was not answered by an append's answer.
    expect(pending.deliver(answer(3))).to.equal(false);
    expect(pending.undelivered).to.equal(1);
    expect(await vote).to.equal(null);
  });

  it('times out, bounds the waiters and answers everyone at clear', async () => {
    const pending = new PendingResponses(2);
    const timedOut = pending.wait('main', 'append_entries_response', 10);
    expect(await timedOut).to.equal(null);
    // The timed-out waiter is gone: the next answer goes to the next RPC.
    const next = pending.wait('main', 'append_entries_response', 1000);
    const other = pending.wait('main', 'append_entries_response', 1000);
    expect(pending.wait('main', 'append_entries_response', 1000)).to.equal(null);
    expect(pending.deliver(answer(5))).to.equal(true);
    expect(await next).to.deep.equal(answer(5));
    pending.clear();
    expect(await other).to.equal(null);
  });
});
