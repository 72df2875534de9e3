// The ordered append stream over real gRPC on 127.0.0.1, with the real PeerService handlers in front
// of a stand-in replica: appends of very different sizes reach the core in the order they were sent
// (unary calls let a small one overtake a large one), every one is answered once, and a stream that
// stalls or carries a bad request breaks, reports what it held, and is replaced on the next send.
// As between real nodes, the stream runs over mutual TLS through the guard: the sender is the node
// its certificate names. The same service's InstallSnapshot stream is here too, for a snapshot the
// node already holds (the leader sends it again when it missed the answer).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type AppendEntriesMessage, encodeConfiguration, type Message } from '@tandem/consensus';
import { CertificateFiles, serverCredentials } from '@tandem/pki';
import type {
  AppendEntriesRequest,
  AppendEntriesResponse__Output,
  InstallSnapshotResponse__Output,
  PeerServiceClient,
} from '@tandem/wire';
import { loadTandemProto } from '@tandem/wire';
import { expect } from 'chai';
import { AppendStream } from '../src/append-stream.js';
import { Guard, guardService } from '../src/auth.js';
import type { EdgeContext } from '../src/edge.js';
import { InvalidArgumentError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';
import { PeerContacts } from '../src/peer-contact.js';
import { peerService } from '../src/peer-service.js';
import { PendingResponses } from '../src/pending-responses.js';
import type { Replica, ReplicaStatus } from '../src/replica.js';
import { snapshotChecksum, snapshotChunks } from '../src/snapshot-stream.js';
import { ServerTestPki } from './test-pki.js';

const status: { -readonly [K in keyof ReplicaStatus]: ReplicaStatus[K] } = {
  id: 'backup',
  role: 'follower',
  leaderId: 'main',
  term: 7,
  commitIndex: 0,
  appliedIndex: 0,
  lastIndex: 0,
  snapshotIndex: 0,
  configuration: { voters: ['backup', 'main'], inSync: ['backup', 'main'] },
  progress: null,
};

interface Answered {
  response: AppendEntriesResponse__Output;
  answeredByCore: boolean;
  requestSentAtMs: number;
}

/** An append of `count` entries after prevLogIndex, each carrying `bytes` of data. */
function append(prevLogIndex: number, count: number, bytes: number, leaderId = 'main'): AppendEntriesRequest {
  return {
    term: 7,
    leaderId,
    prevLogIndex,
    prevLogTerm: prevLogIndex === 0 ? 0 : 7,
    leaderCommit: 0,
    entries: Array.from({ length: count }, (_, offset) => ({
      index: prevLogIndex + 1 + offset,
      term: 7,
      kind: 'ENTRY_KIND_NOOP' as const,
      data: Buffer.alloc(bytes, offset % 251),
    })),
  };
}

describe('ordered append stream (real gRPC)', function () {
  this.timeout(20_000);
  const stepped: AppendEntriesMessage[] = [];
  /**
   * How long the stand-in core takes to answer an append. Like the real core, it answers every
   * append it was stepped, in order: the service matches answers to waiting requests first in, first
   * out.
   */
  let coreDelayMs = 0;
  /**
   * When above 0, the core answers one append at a time, this long after the one before (as a busy
   * follower works through a queue of appends), instead of each coreDelayMs after it was stepped.
   */
  let coreSpacingMs = 0;
  let coreFreeAtMs = 0;
  const responses = new PendingResponses(256);
  let server: grpc.Server;
  let directory: string;
  let pki: ServerTestPki;
  let serverFiles: CertificateFiles;
  /** main's node certificate: the backup's one peer. */
  let client: PeerServiceClient;
  /** A node certificate from the same CA for a node the backup does not know. */
  let stranger: PeerServiceClient;
  let answers: Answered[] = [];
  let failures: { reason: string; outstanding: number }[] = [];
  let opened = 0;

  /** The snapshot indexes the service asked the replica to decode and restore. */
  const prepared: number[] = [];
  const replica = {
    serving: true,
    status: () => status,
    prepareSnapshot: (_data: Uint8Array, snapshotIndex: number) => {
      prepared.push(snapshotIndex);
      throw new InvalidArgumentError('snapshot', 'is not a ledger snapshot');
    },
    step: (message: Message) => {
      if (message.type === 'install_snapshot') {
        // As the core answers one at or below its commit index: from the metadata alone.
        const matchIndex = Math.max(status.commitIndex, message.snapshot.metadata.index);
        setImmediate(() =>
          responses.deliver({
            type: 'install_snapshot_response',
            from: 'backup',
            to: message.from,
            term: 7,
            success: true,
            matchIndex,
          }),
        );
        return;
      }
      if (message.type !== 'append_entries') return;
      stepped.push(message);
      const last = message.entries.at(-1)?.index ?? message.prevLogIndex;
      coreFreeAtMs = Math.max(Date.now(), coreFreeAtMs) + coreSpacingMs;
      setTimeout(
        () =>
          responses.deliver({
            type: 'append_entries_response',
            from: 'backup',
            to: message.from,
            term: 7,
            success: true,
            matchIndex: last,
            conflictIndex: 0,
            conflictTerm: 0,
          }),
        coreSpacingMs > 0 ? coreFreeAtMs - Date.now() : coreDelayMs,
      );
    },
  } as unknown as Replica;

  before(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'tandem-append-stream-'));
    pki = await ServerTestPki.create(directory);
    const tls = await pki.tls('node', 'backup');
    const logger = createLogger('error', 'backup');
    const guard = new Guard({
      security: {
        insecure: false,
        client: { ...tls, clientCertificates: 'optional' },
        peer: tls,
        tokens: [],
        reflection: false,
      },
      logger,
      workstationRate: null,
    });
    const context: EdgeContext = {
      nodeId: 'backup',
      role: 'backup',
      logger,
      status: () => status,
      addressOf: (id) => (id === 'main' ? '127.0.0.1:1' : null),
    };
    const proto = loadTandemProto();
    server = new grpc.Server();
    const guarded = guardService(
      guard,
      'tandem.v1.PeerService',
      proto.tandem.v1.PeerService.service,
      peerService({
        context,
        replica,
        responses,
        contacts: new PeerContacts(['main'], () => Date.now(), 1000),
        wire: { voters: ['backup', 'main'], witnessId: null },
        timings: {
          rpcDeadlineMs: 5000,
          responseWaitMs: 4000,
          entriesDeadlineMs: 5000,
          entriesResponseWaitMs: 4000,
          appendStreamDeadlineMs: 5000,
          snapshotDeadlineMs: 5000,
          snapshotResponseWaitMs: 4000,
        },
      }) as unknown as grpc.UntypedServiceImplementation,
    );
    server.addService(guarded.definition, guarded.implementation);
    serverFiles = new CertificateFiles(tls, { watchIntervalMs: 0 });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', serverCredentials(serverFiles, true), (error, bound) =>
        error === null ? resolve(bound) : reject(error),
      ),
    );
    const backup = { role: 'node', name: 'backup' } as const;
    client = new proto.tandem.v1.PeerService(
      `127.0.0.1:${port}`,
      await pki.credentials('node', 'main', backup),
    );
    stranger = new proto.tandem.v1.PeerService(
      `127.0.0.1:${port}`,
      await pki.credentials('node', 'intruder', backup),
    );
  });

  after(async () => {
    client.close();
    stranger.close();
    server.forceShutdown();
    serverFiles.close();
    pki.close();
    await rm(directory, { recursive: true, force: true });
  });

  let stream: AppendStream;
  function openStream(deadlineMs: number, sender: () => PeerServiceClient = () => client): AppendStream {
    return new AppendStream({
      open: () => {
        opened += 1;
        return sender().AppendEntriesStream();
      },
      clock: () => 1_000,
      maxOutstanding: 64,
      maxOutstandingEmpty: 16,
      deadlineMs,
      deadlineCheckIntervalMs: 10,
      answered: (response, answeredByCore, requestSentAtMs) =>
        answers.push({ response, answeredByCore, requestSentAtMs }),
      failed: (reason, outstanding) => failures.push({ reason, outstanding }),
    });
  }

  beforeEach(() => {
    stepped.length = 0;
    coreDelayMs = 0;
    coreSpacingMs = 0;
    coreFreeAtMs = 0;
    answers = [];
    failures = [];
    opened = 0;
    stream = openStream(5_000);
  });

  afterEach(() => stream.close());

  async function until(condition: () => boolean, what: string | (() => string)): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!condition()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('delivers large and small appends in the order they were sent, each answered once', async () => {
    // Alternating appends of about 1 MB and of one small entry: as unary calls, the small ones
    // complete first on the server, since HTTP/2 interleaves the frames of concurrent requests.
    let prevLogIndex = 0;
    const sentPrevIndexes: number[] = [];
    for (let round = 0; round < 20; round += 1) {
      const large = round % 2 === 0;
      const request = large ? append(prevLogIndex, 16, 64 * 1024) : append(prevLogIndex, 1, 10);
      sentPrevIndexes.push(prevLogIndex);
      expect(stream.send(request)).to.equal(true);
      prevLogIndex += request.entries?.length ?? 0;
    }
    await until(() => answers.length === 20, 'every answer');
    expect(stepped.map((message) => message.prevLogIndex)).to.deep.equal(sentPrevIndexes);
    expect(answers.every((answer) => answer.answeredByCore && answer.response.success)).to.equal(true);
    expect(Math.max(...answers.map((answer) => Number(answer.response.matchIndex)))).to.equal(prevLogIndex);
    expect(answers.every((answer) => answer.requestSentAtMs === 1_000)).to.equal(true);
    expect(failures).to.deep.equal([]);
    expect(opened).to.equal(1);
    expect(stream.outstandingCount).to.equal(0);
  });

  it('breaks a stream whose append outlives its deadline, and opens a new one on the next send', async () => {
    stream.close();
    stream = openStream(100);
    coreDelayMs = 300;
    expect(stream.send(append(0, 1, 10))).to.equal(true);
    expect(stream.send(append(1, 1, 10))).to.equal(true);
    await until(() => failures.length === 1, 'the broken stream');
    expect(failures[0]?.outstanding).to.equal(2);
    expect(failures[0]?.reason).to.match(/no answer before its deadline/);
    expect(stream.outstandingCount).to.equal(0);
    // The late answers go to the requests of the broken stream, whose answers nobody reads now.
    await new Promise((resolve) => setTimeout(resolve, 400));
    coreDelayMs = 0;
    expect(answers).to.deep.equal([]);
    expect(stream.send(append(0, 1, 10))).to.equal(true);
    await until(
      () => answers.length >= 1,
      () =>
        `an answer on the new stream (${stepped.length} stepped, ${JSON.stringify(failures)}, opened ${opened})`,
    );
    expect(opened).to.equal(2);
    expect(answers.at(-1)?.response.success).to.equal(true);
  });

  it('keeps a stream that goes on answering, though its last appends wait far past their deadline', async () => {
    stream.close();
    stream = openStream(150);
    // Twelve appends answered 50 ms apart: the last waits 600 ms, four deadlines, behind the others,
    // but no 150 ms pass without an answer.
    coreSpacingMs = 50;
    let prevLogIndex = 0;
    for (let round = 0; round < 12; round += 1) {
      expect(stream.send(append(prevLogIndex, 4, 1024))).to.equal(true);
      prevLogIndex += 4;
    }
    await until(() => answers.length === 12 || failures.length > 0, 'every answer');
    expect(failures).to.deep.equal([]);
    expect(answers.map((answer) => Number(answer.response.matchIndex))).to.deep.equal(
      Array.from({ length: 12 }, (_, round) => 4 * (round + 1)),
    );
    expect(opened).to.equal(1);
  });

  it('answers a snapshot at or below its commit index from its first chunk, without decoding it, and decodes one beyond it', async () => {
    const data = new Uint8Array(5_000).fill(7);
    /** Sends the snapshot's chunks (only the first of them, the stream left open, with firstOnly). */
    const sendSnapshot = (snapshotIndex: number, firstOnly = false) => {
      const offer = {
        term: 7,
        leaderId: 'main',
        snapshotIndex,
        snapshotTerm: 7,
        configuration: encodeConfiguration(status.configuration),
        totalBytes: data.byteLength,
        checksum: snapshotChecksum(data),
      };
      return new Promise<{ error: grpc.ServiceError | null; response?: InstallSnapshotResponse__Output }>(
        (resolve) => {
          const call = client.InstallSnapshot((error, response) => {
            resolve({ error, response });
            if (firstOnly) call.end();
          });
          const chunks = [...snapshotChunks(offer, data, 0, 2_000)];
          for (const chunk of firstOnly ? chunks.slice(0, 1) : chunks) call.write(chunk);
          if (!firstOnly) call.end();
        },
      );
    };
    prepared.length = 0;
    status.commitIndex = 40;
    try {
      // Answered from its first chunk: the rest is never needed.
      const held = await sendSnapshot(40, true);
      expect(held.error).to.equal(null);
      expect(held.response?.success).to.equal(true);
      expect(prepared).to.deep.equal([]);
      const beyond = await sendSnapshot(41);
      expect(beyond.error?.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(prepared).to.deep.equal([41]);
    } finally {
      status.commitIndex = 0;
    }
  });

  it('ends the stream on a request from a stranger, before it reaches the core', async () => {
    stream.close();
    stream = openStream(5_000, () => stranger);
    expect(stream.send(append(0, 1, 10, 'intruder'))).to.equal(true);
    await until(() => failures.length === 1, 'the refused stream');
    expect(failures[0]?.outstanding).to.equal(1);
    expect(failures[0]?.reason).to.match(/not a peer/);
    expect(stepped).to.deep.equal([]);
  });

  it('ends the stream on a request that names another sender than its certificate', async () => {
    expect(stream.send(append(0, 1, 10, 'intruder'))).to.equal(true);
    await until(() => failures.length === 1, 'the refused stream');
    expect(failures[0]?.outstanding).to.equal(1);
    expect(failures[0]?.reason).to.match(/not the sender/);
    expect(stepped).to.deep.equal([]);
  });

  it('refuses to send beyond its window', async () => {
    coreDelayMs = 200;
    for (let index = 0; index < 64; index += 1) expect(stream.send(append(index, 1, 10))).to.equal(true);
    expect(stream.send(append(64, 1, 10))).to.equal(false);
    expect(stream.outstandingCount).to.equal(64);
    await until(() => answers.length === 64, 'every answer');
    expect(stream.send(append(64, 1, 10))).to.equal(true);
  });

  it('refuses an empty append once its smaller window is full, and an append with entries only at the whole window', async () => {
    // The heartbeats a slow follower leaves unanswered must not take the room of appends with
    // entries: a refused append with entries leaves a gap in the follower's log.
    coreDelayMs = 200;
    for (let index = 0; index < 16; index += 1) expect(stream.send(append(index, 0, 0))).to.equal(true);
    expect(stream.send(append(16, 0, 0))).to.equal(false);
    for (let index = 16; index < 64; index += 1) expect(stream.send(append(index, 1, 10))).to.equal(true);
    expect(stream.send(append(64, 1, 10))).to.equal(false);
    expect(stream.send(append(64, 0, 0))).to.equal(false);
    expect(stream.outstandingCount).to.equal(64);
    await until(() => answers.length === 64, 'every answer');
    expect(stream.send(append(64, 0, 0))).to.equal(true);
  });

  it('refuses a smaller window for empty appends that is not within the whole window', () => {
    expect(
      () =>
        new AppendStream({
          open: () => client.AppendEntriesStream(),
          clock: () => 0,
          maxOutstanding: 8,
          maxOutstandingEmpty: 9,
          deadlineMs: 1_000,
          deadlineCheckIntervalMs: 10,
          answered: () => undefined,
          failed: () => undefined,
        }),
    ).to.throw(/maxOutstandingEmpty 9/);
  });
});
