import { AssertionError } from 'node:assert';
import { expect } from 'chai';
import { type ConfigurationSpan, nextCommitIndex } from '../src/commit-rule.js';
import { decodeConfiguration, encodeConfiguration, validateConfiguration } from '../src/configuration.js';
import { electionResult, hasActiveQuorum, majority } from '../src/election-quorum.js';
import { Inflights } from '../src/inflights.js';
import { RaftLog } from '../src/raft-log.js';
import type { Configuration, Entry } from '../src/types.js';
import { bytes } from './simulated-cluster.js';

function entry(index: number, term: number): Entry {
  return { index, term, kind: 'normal', data: bytes(`e${index}`) };
}

describe('configuration codec', () => {
  it('round-trips a configuration', () => {
    const configuration: Configuration = {
      voters: ['main', 'backup', 'witness'],
      inSync: ['main', 'backup'],
    };
    expect(decodeConfiguration(encodeConfiguration(configuration))).to.deep.equal(configuration);
  });

  it('rejects what is not a valid configuration', () => {
    expect(() => validateConfiguration({ voters: [], inSync: [] })).to.throw(AssertionError);
    expect(() => validateConfiguration({ voters: ['1'], inSync: [] })).to.throw(AssertionError, /in-sync/);
    expect(() => validateConfiguration({ voters: ['1', '1'], inSync: ['1'] })).to.throw(
      AssertionError,
      /duplicate/,
    );
    expect(() => validateConfiguration({ voters: ['1'], inSync: ['2'] })).to.throw(
      AssertionError,
      /not a voter/,
    );
    expect(() => decodeConfiguration(bytes('not json'))).to.throw();
    expect(() => decodeConfiguration(bytes('{"voters":["1"]}'))).to.throw(AssertionError);
  });
});

describe('commit rule', () => {
  const terms = [0, 1, 1, 2, 2, 2];
  const termAt = (index: number) => terms[index];
  const both: ConfigurationSpan = {
    firstIndex: 1,
    configuration: { voters: ['1', '2'], inSync: ['1', '2'] },
  };
  const inputs = (matches: Record<string, number>, spans: ConfigurationSpan[] = [both], commitIndex = 0) => ({
    spans,
    lastIndex: 5,
    leaderId: '1',
    currentTerm: 2,
    commitIndex,
    matchIndexOf: (id: string) => matches[id] ?? 0,
    termAt,
  });

  it('commits what is durable on every in-sync member, the leader included', () => {
    expect(nextCommitIndex(inputs({ 1: 5, 2: 4 }))).to.equal(4);
    expect(nextCommitIndex(inputs({ 1: 3, 2: 5 }))).to.equal(3);
  });

  it('counts only entries of the current term', () => {
    expect(nextCommitIndex(inputs({ 1: 5, 2: 2 }))).to.equal(0);
    expect(nextCommitIndex(inputs({ 1: 5, 2: 2 }, [both], 1))).to.equal(1);
  });

  it('counts the leader even when a configuration leaves it out of the in-sync set', () => {
    const onlyTwo: ConfigurationSpan = {
      firstIndex: 1,
      configuration: { voters: ['1', '2'], inSync: ['2'] },
    };
    expect(nextCommitIndex(inputs({ 1: 3, 2: 5 }, [onlyTwo]))).to.equal(3);
  });

  it('decides each index by the configuration in effect at it', () => {
    // From index 5 on, node 2 is out of the in-sync set: 5 commits on the leader alone, but 3 and 4
    // (before the change) would still need node 2.
    const alone: ConfigurationSpan = { firstIndex: 5, configuration: { voters: ['1', '2'], inSync: ['1'] } };
    expect(nextCommitIndex(inputs({ 1: 5, 2: 1 }, [both, alone]))).to.equal(5);
    expect(nextCommitIndex(inputs({ 1: 4, 2: 1 }, [both, alone]))).to.equal(0);
    // Growing the set: entries before the change commit without the new member.
    const grown: ConfigurationSpan = {
      firstIndex: 5,
      configuration: { voters: ['1', '2'], inSync: ['1', '2'] },
    };
    const aloneFirst: ConfigurationSpan = {
      firstIndex: 1,
      configuration: { voters: ['1', '2'], inSync: ['1'] },
    };
    expect(nextCommitIndex(inputs({ 1: 5, 2: 0 }, [aloneFirst, grown]))).to.equal(4);
  });
});

describe('election quorum', () => {
  it('needs a majority of voters, and only voters count', () => {
    expect([1, 2, 3, 4, 5].map(majority)).to.deep.equal([1, 2, 2, 3, 3]);
    const voters = ['1', '2', '3'];
    expect(electionResult(voters, new Map([['1', true]]))).to.equal('pending');
    expect(
      electionResult(
        voters,
        new Map([
          ['1', true],
          ['2', true],
        ]),
      ),
    ).to.equal('won');
    expect(
      electionResult(
        voters,
        new Map([
          ['1', true],
          ['2', false],
          ['3', false],
        ]),
      ),
    ).to.equal('lost');
    expect(
      electionResult(
        voters,
        new Map([
          ['1', true],
          ['9', true],
        ]),
      ),
    ).to.equal('pending');
    expect(electionResult(['1'], new Map([['1', true]]))).to.equal('won');
    expect(hasActiveQuorum(voters, (id) => id === '1')).to.equal(false);
    expect(hasActiveQuorum(voters, (id) => id !== '3')).to.equal(true);
  });
});

describe('inflights', () => {
  it('is a bounded window freed by acknowledgements', () => {
    const inflights = new Inflights(2);
    inflights.add(3);
    inflights.add(5);
    expect(inflights.full()).to.equal(true);
    expect(() => inflights.add(7)).to.throw(AssertionError);
    inflights.freeTo(4);
    expect(inflights.count).to.equal(1);
    expect(() => inflights.add(5)).to.throw(AssertionError, /after/);
    inflights.freeFirst();
    expect(inflights.count).to.equal(0);
    expect(() => new Inflights(0)).to.throw(AssertionError);
  });
});

describe('raft log', () => {
  it('appends, skips what it has, and truncates a conflicting suffix', () => {
    const log = new RaftLog(null, [entry(1, 1), entry(2, 1), entry(3, 1)], 1, 0);
    expect(log.maybeAppend(1, 1, [entry(2, 1)])).to.deep.equal({
      lastNewIndex: 2,
      truncatedFrom: null,
      appendedConfiguration: false,
    });
    expect(log.lastIndex()).to.equal(3);
    expect(log.maybeAppend(1, 1, [entry(2, 2)])?.truncatedFrom).to.equal(2);
    expect(log.lastIndex()).to.equal(2);
    expect(log.maybeAppend(2, 1, [])).to.equal(null);
  });

  it('never truncates a committed entry', () => {
    const log = new RaftLog(null, [entry(1, 1), entry(2, 1), entry(3, 1)], 2, 0);
    expect(() => log.maybeAppend(2, 1, [entry(3, 2)])).not.to.throw();
    expect(() => log.maybeAppend(1, 1, [entry(2, 2)])).to.throw(AssertionError);
  });

  it('gives conflict hints: where a short log ends, or where the conflicting term starts', () => {
    const log = new RaftLog(null, [entry(1, 1), entry(2, 2), entry(3, 2), entry(4, 2)], 1, 0);
    expect(log.conflictHint(9)).to.deep.equal({ conflictIndex: 5, conflictTerm: 0 });
    expect(log.conflictHint(4)).to.deep.equal({ conflictIndex: 2, conflictTerm: 2 });
    expect(log.lastIndexOfTerm(2, 4)).to.equal(4);
    expect(log.lastIndexOfTerm(1, 4)).to.equal(1);
    expect(log.lastIndexOfTerm(3, 4)).to.equal(undefined);
  });

  it('treats nothing as durable until the driver confirms it', () => {
    const log = new RaftLog(null, [entry(1, 1)], 0, 0);
    log.append([entry(2, 1), entry(3, 1)]);
    expect(log.durableLastIndex()).to.equal(1);
    expect(log.unstableEntries().map((item) => item.index)).to.deep.equal([2, 3]);
    // Entry 3 was replaced (at term 2) before the write finished: only entry 2 is stable.
    log.stableTo([entry(2, 1), entry(3, 2)]);
    expect(log.durableLastIndex()).to.equal(2);
    log.stableTo([entry(3, 1)]);
    expect(log.durableLastIndex()).to.equal(3);
    expect(log.hasUnstableEntries()).to.equal(false);
  });
});
