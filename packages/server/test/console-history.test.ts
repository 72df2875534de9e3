// The console's in-memory history: leadership changes are noted once per change and bounded.
import { expect } from 'chai';
import { LEADERSHIP_CHANGES_MAX, LeadershipHistory } from '../src/console-history.js';

describe('console history: leadership changes', () => {
  it('notes a change of leader or term once, not every look', () => {
    const history = new LeadershipHistory();
    history.observe(null, 0, 1);
    history.observe(null, 0, 2);
    history.observe('main', 2, 3);
    history.observe('main', 2, 4);
    history.observe(null, 3, 5);
    history.observe('backup', 3, 6);
    expect(history.recent()).to.deep.equal([
      { atMs: 1, term: 0, leaderId: '' },
      { atMs: 3, term: 2, leaderId: 'main' },
      { atMs: 5, term: 3, leaderId: '' },
      { atMs: 6, term: 3, leaderId: 'backup' },
    ]);
  });

  it(`keeps the last ${LEADERSHIP_CHANGES_MAX}`, () => {
    const history = new LeadershipHistory();
    for (let term = 1; term <= LEADERSHIP_CHANGES_MAX + 10; term += 1) history.observe('main', term, term);
    const recent = history.recent();
    expect(recent).to.have.length(LEADERSHIP_CHANGES_MAX);
    expect(recent[0]?.term).to.equal(11);
    expect(recent.at(-1)?.term).to.equal(LEADERSHIP_CHANGES_MAX + 10);
  });
});
