import type {
  AppendEntriesMessage,
  AppendEntriesResponseMessage,
  Entry,
  RequestVoteMessage,
  RequestVoteResponseMessage,
  TimeoutNowMessage,
} from '@tandem/consensus';
import { encodeConfiguration } from '@tandem/consensus';
import { encodeEntryData } from '@tandem/ledger';
import type {
  AppendEntriesRequest__Output,
  AppendEntriesResponse__Output,
  InstallSnapshotResponse__Output,
  RequestVoteRequest__Output,
  RequestVoteResponse__Output,
  TimeoutNowRequest__Output,
} from '@tandem/wire';
import { packageDefinition } from '@tandem/wire';
import { expect } from 'chai';
import { InvalidArgumentError } from '../src/errors.js';
import {
  appendEntriesFromWire,
  appendEntriesResponseFromWire,
  appendEntriesResponseToWire,
  appendEntriesToWire,
  bytesFromWire,
  entryFromWire,
  entryToWire,
  installSnapshotResponseFromWire,
  isPeerRequest,
  isPeerResponse,
  mergeOfferFromWire,
  requestVoteFromWire,
  requestVoteResponseFromWire,
  requestVoteResponseToWire,
  requestVoteToWire,
  timeoutNowFromWire,
  timeoutNowToWire,
} from '../src/peer-messages.js';

type Method = 'AppendEntries' | 'RequestVote' | 'TimeoutNow' | 'InstallSnapshot';
interface MethodDefinition {
  requestSerialize(value: unknown): Buffer;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: unknown): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
}

function definition(method: Method): MethodDefinition {
  const service = packageDefinition()['tandem.v1.PeerService'] as unknown as Record<string, MethodDefinition>;
  const found = service[method];
  if (found === undefined) throw new Error(`PeerService has no ${method}`);
  return found;
}

/** Encodes and decodes a request as it crosses the network. */
function requestThroughWire<T>(method: Method, value: unknown): T {
  const methodDefinition = definition(method);
  return methodDefinition.requestDeserialize(methodDefinition.requestSerialize(value)) as T;
}

function responseThroughWire<T>(method: Method, value: unknown): T {
  const methodDefinition = definition(method);
  return methodDefinition.responseDeserialize(methodDefinition.responseSerialize(value)) as T;
}

const header = (term: number) => ({
  term,
  role: 'ROLE_BACKUP',
  state: 'NODE_STATE_FOLLOWER',
  nodeId: 'backup',
  leaderId: 'main',
  leaderAddress: 'a:1',
  appliedIndex: 0,
});

function fieldOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidArgumentError);
    return (error as InvalidArgumentError).field;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('peer message conversion', () => {
  const entries: Entry[] = [
    { index: 8, term: 3, kind: 'noop', data: new Uint8Array(0) },
    {
      index: 9,
      term: 4,
      kind: 'normal',
      data: encodeEntryData({ timestampMs: 1000, command: { type: 'tick' } }),
    },
    {
      index: 10,
      term: 4,
      kind: 'configuration',
      data: encodeConfiguration({ voters: ['backup', 'main'], inSync: ['main'] }),
    },
  ];
  const append: AppendEntriesMessage = {
    type: 'append_entries',
    from: 'main',
    to: 'backup',
    term: 4,
    prevLogIndex: 7,
    prevLogTerm: 3,
    entries,
    leaderCommit: 6,
  };

  it('tells requests from responses', () => {
    expect(isPeerRequest(append)).to.equal(true);
    expect(isPeerResponse(append)).to.equal(false);
    const answer: AppendEntriesResponseMessage = {
      type: 'append_entries_response',
      from: 'backup',
      to: 'main',
      term: 4,
      success: true,
      matchIndex: 10,
      conflictIndex: 0,
      conflictTerm: 0,
    };
    expect(isPeerResponse(answer)).to.equal(true);
  });

  it('round-trips an append with every entry kind through protobuf, as plain Uint8Arrays', () => {
    const decoded = requestThroughWire<AppendEntriesRequest__Output>(
      'AppendEntries',
      appendEntriesToWire(append),
    );
    const message = appendEntriesFromWire(decoded, 'backup');
    expect(message).to.deep.equal(append);
    for (const entry of message.entries)
      expect(Object.getPrototypeOf(entry.data)).to.equal(Uint8Array.prototype);
    expect(entryToWire(entries[1] as Entry).kind).to.equal('ENTRY_KIND_NORMAL');
    expect(Buffer.isBuffer(entryToWire(entries[1] as Entry).data)).to.equal(true);
  });

  it('round-trips votes, pre-votes and timeout_now', () => {
    for (const preVote of [false, true]) {
      const vote: RequestVoteMessage = {
        type: 'request_vote',
        from: 'main',
        to: 'backup',
        term: 12,
        lastLogIndex: 400,
        lastLogTerm: 11,
        preVote,
        leadershipTransfer: !preVote,
      };
      const decoded = requestThroughWire<RequestVoteRequest__Output>('RequestVote', requestVoteToWire(vote));
      expect(requestVoteFromWire(decoded, 'backup')).to.deep.equal(vote);
    }
    const timeout: TimeoutNowMessage = { type: 'timeout_now', from: 'backup', to: 'main', term: 5 };
    const decoded = requestThroughWire<TimeoutNowRequest__Output>('TimeoutNow', timeoutNowToWire(timeout));
    expect(timeoutNowFromWire(decoded, 'main')).to.deep.equal(timeout);
  });

  it('round-trips answers, with the message term in the header', () => {
    const answer: AppendEntriesResponseMessage = {
      type: 'append_entries_response',
      from: 'backup',
      to: 'main',
      term: 4,
      success: false,
      matchIndex: 0,
      conflictIndex: 5,
      conflictTerm: 2,
    };
    const decoded = responseThroughWire<AppendEntriesResponse__Output>('AppendEntries', {
      header: header(answer.term),
      ...appendEntriesResponseToWire(answer),
    });
    expect(appendEntriesResponseFromWire(decoded, 'backup', 'main')).to.deep.equal(answer);

    const vote: RequestVoteResponseMessage = {
      type: 'request_vote_response',
      from: 'backup',
      to: 'main',
      term: 13,
      voteGranted: true,
      preVote: true,
    };
    const decodedVote = responseThroughWire<RequestVoteResponse__Output>('RequestVote', {
      header: header(vote.term),
      ...requestVoteResponseToWire(vote),
    });
    expect(requestVoteResponseFromWire(decodedVote, 'backup', 'main')).to.deep.equal(vote);

    const snapshotAnswer = responseThroughWire<InstallSnapshotResponse__Output>('InstallSnapshot', {
      header: header(6),
      success: true,
      bytesReceived: 1000,
    });
    expect(installSnapshotResponseFromWire(snapshotAnswer, 'backup', 'main', 77)).to.deep.equal({
      type: 'install_snapshot_response',
      from: 'backup',
      to: 'main',
      term: 6,
      success: true,
      matchIndex: 77,
    });
  });

  it('refuses malformed appends, naming the field, before they reach the core', () => {
    const wire = () =>
      requestThroughWire<AppendEntriesRequest__Output>('AppendEntries', appendEntriesToWire(append));
    const withEntries = (change: (entries: AppendEntriesRequest__Output['entries']) => void) => {
      const request = wire();
      change(request.entries);
      return () => appendEntriesFromWire(request, 'backup');
    };
    expect(
      fieldOf(
        withEntries((list) => {
          list.splice(1, 1);
        }),
      ),
    ).to.equal('entries[1].index');
    expect(
      fieldOf(
        withEntries((list) => {
          if (list[2] !== undefined) list[2].term = 9;
        }),
      ),
    ).to.equal('entries[2].term');
    expect(
      fieldOf(
        withEntries((list) => {
          if (list[1] !== undefined) list[1].term = 2;
        }),
      ),
    ).to.equal('entries[1].term');
    expect(
      fieldOf(
        withEntries((list) => {
          if (list[0] !== undefined) list[0].kind = 'ENTRY_KIND_UNSPECIFIED';
        }),
      ),
    ).to.equal('entries[0].kind');
    expect(
      fieldOf(
        withEntries((list) => {
          if (list[2] !== undefined) list[2].data = Buffer.from('not a configuration');
        }),
      ),
    ).to.equal('entries[2].data');
    const unsafe = wire();
    unsafe.term = 2 ** 60;
    expect(fieldOf(() => appendEntriesFromWire(unsafe, 'backup'))).to.equal('term');
    expect(
      fieldOf(() =>
        entryFromWire({ index: 0, term: 1, kind: 'ENTRY_KIND_NOOP', data: Buffer.alloc(0) }, 'entry'),
      ),
    ).to.equal('entry.index');
  });

  it('refuses terms and indices out of bounds, impossible log positions and foreign configurations', () => {
    const wire = () =>
      requestThroughWire<AppendEntriesRequest__Output>('AppendEntries', appendEntriesToWire(append));
    const context = { voters: ['backup', 'main'], witnessId: null };
    const refused = (change: (request: AppendEntriesRequest__Output) => void) => {
      const request = wire();
      change(request);
      return fieldOf(() => appendEntriesFromWire(request, 'backup', context));
    };
    expect(appendEntriesFromWire(wire(), 'backup', context).entries).to.have.length(3);
    expect(refused((request) => (request.term = 2 ** 53 - 1))).to.equal('term');
    expect(refused((request) => (request.term = 2 ** 48 + 1))).to.equal('term');
    expect(refused((request) => (request.term = 0))).to.equal('term');
    expect(refused((request) => (request.prevLogTerm = 5))).to.equal('prev_log_term');
    expect(refused((request) => (request.prevLogTerm = 0))).to.equal('prev_log_term');
    expect(refused((request) => (request.leaderCommit = 2 ** 50))).to.equal('leader_commit');
    // A ledger command the follower could not apply: garbage, or an impossible time.
    expect(
      refused((request) => {
        const entry = request.entries[1];
        if (entry !== undefined) entry.data = Buffer.from('{"command":1}');
      }),
    ).to.equal('entries[1].data');
    expect(
      refused((request) => {
        const entry = request.entries[1];
        if (entry !== undefined) {
          entry.data = Buffer.from(JSON.stringify({ v: 1, timestampMs: -5, command: { type: 'tick' } }));
        }
      }),
    ).to.equal('entries[1].data');
    expect(
      refused((request) => {
        const entry = request.entries[2];
        if (entry !== undefined) {
          entry.data = Buffer.from(encodeConfiguration({ voters: ['main', 'mallory'], inSync: ['mallory'] }));
        }
      }),
    ).to.equal('entries[2].data');
    const vote = (fields: Partial<RequestVoteRequest__Output>): RequestVoteRequest__Output => ({
      term: 5,
      candidateId: 'main',
      lastLogIndex: 10,
      lastLogTerm: 4,
      preVote: false,
      leadershipTransfer: false,
      ...fields,
    });
    expect(requestVoteFromWire(vote({}), 'backup').lastLogIndex).to.equal(10);
    expect(fieldOf(() => requestVoteFromWire(vote({ lastLogTerm: 6 }), 'backup'))).to.equal('last_log_term');
    expect(fieldOf(() => requestVoteFromWire(vote({ lastLogTerm: 0 }), 'backup'))).to.equal('last_log_term');
    expect(fieldOf(() => requestVoteFromWire(vote({ term: Number.MAX_SAFE_INTEGER }), 'backup'))).to.equal(
      'term',
    );
  });

  it('refuses a merge offer whose ranges or merged entries are wrong, naming the field', () => {
    const merged = (index: number, term: number) =>
      Buffer.from(
        JSON.stringify({
          index,
          term,
          timestampMs: 1000,
          command: { type: 'tick' },
        }),
      );
    const offer = (fields: Record<string, unknown> = {}) => ({
      term: 6,
      backupId: 'backup',
      stretchStartIndex: 5,
      firstIndex: 5,
      throughIndex: 6,
      entries: [
        { index: 5, term: 6, kind: 'ENTRY_KIND_NOOP', data: Buffer.alloc(0) },
        { index: 6, term: 6, kind: 'ENTRY_KIND_NORMAL', data: merged(6, 6) },
      ],
      incomplete: false,
      ...fields,
    });
    const context = { voters: ['backup', 'main'], witnessId: null };
    const field = (fields: Record<string, unknown>) =>
      fieldOf(() => mergeOfferFromWire(offer(fields) as never, 'main', context));
    expect(field({ firstIndex: 4 })).to.equal('first_index');
    expect(field({ throughIndex: 3 })).to.equal('through_index');
    expect(field({ throughIndex: 9 })).to.equal('entries');
    expect(field({ stretchStartIndex: 2 ** 60 })).to.equal('stretch_start_index');
    expect(
      field({
        entries: [
          { index: 5, term: 6, kind: 'ENTRY_KIND_NOOP', data: Buffer.alloc(0) },
          { index: 6, term: 6, kind: 'ENTRY_KIND_NORMAL', data: Buffer.from('{"index":"x"}') },
        ],
      }),
    ).to.match(/^entries\[1\]\.data/);
    expect(
      field({
        entries: [
          { index: 5, term: 6, kind: 'ENTRY_KIND_NOOP', data: Buffer.alloc(0) },
          { index: 6, term: 6, kind: 'ENTRY_KIND_NORMAL', data: merged(7, 6) },
        ],
      }),
    ).to.equal('entries[1].data');
  });

  it('refuses an answer without a header', () => {
    const answer = {
      header: null,
      success: true,
      matchIndex: 1,
      conflictIndex: 0,
      conflictTerm: 0,
      leaving: false,
    };
    expect(fieldOf(() => appendEntriesResponseFromWire(answer, 'backup', 'main'))).to.equal('header');
  });

  it('views wire bytes without copying them', () => {
    const buffer = Buffer.from('abcdef');
    const view = bytesFromWire(buffer.subarray(2, 4));
    expect(Array.from(view)).to.deep.equal([99, 100]);
    buffer[2] = 0;
    expect(view[0]).to.equal(0);
  });
});
