// The leader's transport when a follower's append stream is full: a follower that accepted the
// connection and answers nothing (a restarted main replaying its log answers late; a stopped process
// not at all). Heartbeats must not take the room of appends with entries, and an append with entries
// that cannot be sent must turn the core to probing, never leave a silent gap in the follower's log.
import { createServer, type Socket } from 'node:net';
import type { AppendEntriesMessage, Entry, NodeId } from '@tandem/consensus';
import { expect } from 'chai';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { NodeCredentials } from '../src/node-credentials.js';
import { PeerContacts } from '../src/peer-contact.js';
import {
  MAX_OUTSTANDING_APPENDS_PER_PEER,
  MAX_OUTSTANDING_EMPTY_APPENDS_PER_PEER,
  PeerTransport,
} from '../src/peer-transport.js';
import { PendingResponses } from '../src/pending-responses.js';
import type { ReplicaStatus } from '../src/replica.js';
import { licensingConfig } from './licence-files.js';

function append(prevLogIndex: number, count: number): AppendEntriesMessage {
  const entries: Entry[] = Array.from({ length: count }, (_, offset) => ({
    index: prevLogIndex + 1 + offset,
    term: 3,
    kind: 'noop',
    data: new Uint8Array(0),
  }));
  return {
    type: 'append_entries',
    from: 'main',
    to: 'backup',
    term: 3,
    prevLogIndex,
    prevLogTerm: prevLogIndex === 0 ? 0 : 3,
    entries,
    leaderCommit: 0,
  };
}

describe('peer transport: a full append stream', function () {
  this.timeout(20_000);
  const connections = new Set<Socket>();
  const silent = createServer((socket) => connections.add(socket));
  let transport: PeerTransport | undefined;
  let unreachable: NodeId[];

  before(async () => {
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });

  after(() => {
    for (const socket of connections) socket.destroy();
    silent.close();
  });

  beforeEach(() => {
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const config = parseConfig({
      insecure: true,
      node: { id: 'main', listen: '127.0.0.1:1', peerListen: '127.0.0.1:2', dataDir: '/nonexistent' },
      cluster: {
        mode: 'pair',
        nodes: [
          { id: 'main', role: 'main', address: '127.0.0.1:1', peerAddress: '127.0.0.1:2' },
          {
            id: 'backup',
            role: 'backup',
            address: '127.0.0.1:3',
            peerAddress: `127.0.0.1:${address.port}`,
          },
        ],
      },
      licensing: licensingConfig(),
      log: { level: 'error' },
    });
    const logger = createLogger('error', 'main');
    const created = new PeerTransport({
      config,
      logger,
      responses: new PendingResponses(256),
      contacts: new PeerContacts(['backup'], () => Date.now(), 1000),
      loadSnapshot: async () => null,
      clock: () => Date.now(),
      credentials: NodeCredentials.load(config, logger),
    });
    unreachable = [];
    transport = created;
    created.attach({
      step: () => undefined,
      reportUnreachable: (peer) => unreachable.push(peer),
      reportVoteRefused: () => undefined,
      reportSnapshot: () => undefined,
      status: () => ({}) as ReplicaStatus,
    });
  });

  afterEach(() => transport?.close());

  function sender(): PeerTransport {
    if (transport === undefined) throw new Error('no transport');
    return transport;
  }

  it('drops heartbeats past the smaller window and keeps the room for appends with entries', async () => {
    const heartbeats = MAX_OUTSTANDING_EMPTY_APPENDS_PER_PEER + 10;
    for (let count = 0; count < heartbeats; count += 1) sender().send([append(0, 0)]);
    expect(sender().dropped).to.equal(10);
    const withEntries = MAX_OUTSTANDING_APPENDS_PER_PEER - MAX_OUTSTANDING_EMPTY_APPENDS_PER_PEER;
    for (let index = 0; index < withEntries; index += 1) sender().send([append(index, 1)]);
    expect(sender().dropped).to.equal(10);
    await new Promise((resolve) => setImmediate(resolve));
    expect(unreachable).to.deep.equal([]);
  });

  it('tells the core, after the messages being sent, when an append with entries finds the window full', async () => {
    for (let index = 0; index < MAX_OUTSTANDING_APPENDS_PER_PEER; index += 1)
      sender().send([append(index, 1)]);
    expect(sender().dropped).to.equal(0);
    sender().send([append(MAX_OUTSTANDING_APPENDS_PER_PEER, 1), append(MAX_OUTSTANDING_APPENDS_PER_PEER, 0)]);
    expect(sender().dropped).to.equal(2);
    // Not within the send: the driver is in the middle of carrying out a Ready.
    expect(unreachable).to.deep.equal([]);
    await new Promise((resolve) => setImmediate(resolve));
    // The empty append is repeated by the next heartbeat; only the lost entries turn the core.
    expect(unreachable).to.deep.equal(['backup']);
  });
});
