// The receiving side of replication with a stand-in replica: an answer from the core goes back with
// its own term, a missing answer goes back marked as no answer, and strangers are refused.
import * as grpc from '@grpc/grpc-js';
import type { Message } from '@tandem/consensus';
import type { AppendEntriesRequest, AppendEntriesResponse } from '@tandem/wire';
import { FIELD_KEY, metadataValue } from '@tandem/wire';
import { expect } from 'chai';
import type { EdgeContext } from '../src/edge.js';
import { createLogger } from '../src/logger.js';
import { PeerContacts } from '../src/peer-contact.js';
import { peerService } from '../src/peer-service.js';
import { NO_ANSWER_KEY, noAnswer } from '../src/peer-transport.js';
import { PendingResponses } from '../src/pending-responses.js';
import type { Replica, ReplicaStatus } from '../src/replica.js';

const status: ReplicaStatus = {
  id: 'backup',
  role: 'follower',
  leaderId: 'main',
  term: 7,
  commitIndex: 3,
  appliedIndex: 3,
  lastIndex: 3,
  snapshotIndex: 0,
  configuration: { voters: ['backup', 'main'], inSync: ['backup', 'main'] },
  progress: null,
};

interface Answer {
  error: Partial<grpc.StatusObject> | null;
  response: AppendEntriesResponse | undefined;
  trailer: grpc.Metadata | undefined;
}

describe('peer service (stand-in replica)', () => {
  const stepped: Message[] = [];
  let onStep: (message: Message) => void = () => {};
  const replica = {
    serving: true,
    status: () => status,
    step: (message: Message) => {
      stepped.push(message);
      onStep(message);
    },
  } as unknown as Replica;
  const context: EdgeContext = {
    nodeId: 'backup',
    role: 'backup',
    logger: createLogger('error', 'backup'),
    status: () => status,
    addressOf: (id) => (id === 'main' ? '127.0.0.1:1' : null),
  };
  const responses = new PendingResponses(8);
  const contacts = new PeerContacts(['main'], () => Date.now(), 1000);
  const handlers = peerService({
    context,
    replica,
    responses,
    contacts,
    wire: { voters: ['backup', 'main'], witnessId: null },
    timings: {
      rpcDeadlineMs: 100,
      responseWaitMs: 30,
      entriesDeadlineMs: 100,
      entriesResponseWaitMs: 30,
      appendStreamDeadlineMs: 100,
      snapshotDeadlineMs: 1000,
      snapshotResponseWaitMs: 100,
    },
  });

  function appendEntries(request: AppendEntriesRequest): Promise<Answer> {
    const full = { term: 7, prevLogIndex: 3, prevLogTerm: 7, entries: [], leaderCommit: 3, ...request };
    return new Promise((resolve) => {
      const handler = handlers.AppendEntries as unknown as (
        call: { request: unknown },
        callback: (
          error: Partial<grpc.StatusObject> | null,
          response?: AppendEntriesResponse,
          trailer?: grpc.Metadata,
        ) => void,
      ) => void;
      handler({ request: full }, (error, response, trailer) => resolve({ error, response, trailer }));
    });
  }

  beforeEach(() => {
    stepped.length = 0;
    onStep = () => {};
  });

  it("returns the core's answer with the answer's term", async () => {
    onStep = (message) =>
      setTimeout(() =>
        responses.deliver({
          type: 'append_entries_response',
          from: 'backup',
          to: message.from,
          term: 8,
          success: true,
          matchIndex: 3,
          conflictIndex: 0,
          conflictTerm: 0,
        }),
      );
    const answer = await appendEntries({ leaderId: 'main', term: 8 });
    expect(answer.error).to.equal(null);
    expect(answer.response).to.deep.include({ success: true, matchIndex: 3 });
    expect(answer.response?.header).to.deep.include({ term: 8, nodeId: 'backup', leaderId: 'main' });
    expect(noAnswer(answer.trailer)).to.equal(false);
    expect(stepped.map((message) => [message.type, message.from, message.to])).to.deep.equal([
      ['append_entries', 'main', 'backup'],
    ]);
    expect(contacts.view('main').lastSeenTerm).to.equal(8);
  });

  it('marks a reply without an answer from the core, at the current term', async () => {
    const answer = await appendEntries({ leaderId: 'main' });
    expect(answer.error).to.equal(null);
    expect(answer.response).to.deep.include({ success: false, conflictIndex: 0 });
    expect(answer.response?.header?.term).to.equal(7);
    expect(metadataValue(answer.trailer, NO_ANSWER_KEY)).to.equal('true');
    expect(noAnswer(answer.trailer)).to.equal(true);
  });

  it('refuses a stranger and a malformed append before they reach the core', async () => {
    const stranger = await appendEntries({ leaderId: 'intruder' });
    expect(stranger.error?.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(metadataValue(stranger.error?.metadata, FIELD_KEY)).to.equal('leader_id');
    const gap = await appendEntries({
      leaderId: 'main',
      entries: [{ index: 9, term: 7, kind: 'ENTRY_KIND_NOOP', data: Buffer.alloc(0) }],
    });
    expect(gap.error?.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(metadataValue(gap.error?.metadata, FIELD_KEY)).to.equal('entries[0].index');
    expect(stepped).to.deep.equal([]);
  });
});
