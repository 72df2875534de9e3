// Fuzzing the peer and witness services of real tandemd processes with random and mutated wire
// messages, sent as an authenticated peer would send them (through the testkit's peerClient):
// AppendEntries with entries, RequestVote, TimeoutNow, InstallSnapshot streams and MergeOffer to
// the data nodes of a pair, and RequestVote, RecordInSync and Heartbeat to a witness (with the data
// nodes of that trio fuzzed too). Afterwards no node has exited, a leader serves, and both data
// nodes hold equal ledgers and equal logs (state hash and log hash).
//
// The actions are drawn by fast-check from a seed, printed at the start; FUZZ_SEED=<seed> replays
// the same actions (against a live cluster, so the terms and indices they are relative to may
// differ). FUZZ_ACTIONS sets how many per cluster.
//
// One kind of message is left out on purpose: well-formed entries (or a readable snapshot) from a
// data node's identity at a term it may lead. That is what the leader itself sends; a certificate
// proves who sent a message, not that its content is the leader's own, so a follower takes it, and
// only the log hash of `tandemctl verify` shows such a forgery afterwards. The fuzz sends those
// only at stale terms, or broken.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { AdminClient, connect, resolveSettings } from '@tandem/client';
import { encodeEntryData, Ledger } from '@tandem/ledger';
import {
  activateTestLicence,
  call,
  type PeerClient,
  peerClient,
  removeDirectory,
  TandemdPair,
  type TandemdProcess,
  TandemdTrio,
  temporaryDirectory,
  waitForEqualState,
  waitForLeader,
} from '@tandem/testkit';
import type { EntryKind, InstallSnapshotChunk } from '@tandem/wire';
import { expect } from 'chai';
import fc from 'fast-check';

const SEED = process.env.FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED);
const ACTIONS = Number(process.env.FUZZ_ACTIONS ?? 1200);
const CONCURRENCY = 4;
const CALL_DEADLINE_MS = 1500;
const TIMING = { timing: { failoverTimeoutMs: 1000, heartbeatIntervalMs: 100 } };

// ---------------------------------------------------------------------------------------------
// What an action says, relative to the live cluster: terms and indices are offsets from what the
// target reports, or absolute values (in and out of bounds).

type Term = { at: 'current'; offset: number } | { at: 'absolute'; value: number };
type Index = { at: 'commit' | 'last'; offset: number } | { at: 'absolute'; value: number };
type Sender = 'peer' | 'self' | 'witness' | 'stranger' | 'empty';
type Data = 'tick' | 'garbage' | 'random' | 'configuration' | 'foreign' | 'bad_time' | 'merged' | 'empty';

interface EntryAction {
  index: 'next' | 'skip' | 'repeat';
  term: Term;
  kind: EntryKind;
  data: Data;
  bytes: Uint8Array;
}

type Action =
  | {
      kind: 'append';
      from: Sender;
      term: Term;
      prevIndex: Index;
      prevTerm: Term;
      entries: EntryAction[];
      commit: Index;
    }
  | {
      kind: 'vote';
      toWitness: boolean;
      from: Sender;
      term: Term;
      lastIndex: Index;
      lastTerm: Term;
      preVote: boolean;
      transfer: boolean;
    }
  | { kind: 'timeout_now'; from: Sender; term: Term }
  | {
      kind: 'snapshot';
      from: Sender;
      term: Term;
      snapshotIndex: Index;
      snapshotTerm: Term;
      configuration: Data;
      readable: boolean;
      size: number;
      claim: 'exact' | 'huge' | 'small';
      checksum: 'right' | 'wrong' | 'malformed';
      chunks: number;
      done: boolean;
    }
  | {
      kind: 'merge';
      from: Sender;
      term: Term;
      stretch: Index;
      first: number;
      /** Whether through_index matches the entries offered. */
      consistent: boolean;
      count: number;
      entries: EntryAction[];
    }
  | { kind: 'heartbeat'; from: Sender; term: Term; commit: Index }
  | {
      kind: 'record';
      from: Sender;
      term: Term;
      inSync: string[];
      configurationIndex: Index;
      acknowledged: Index;
    };

const OUT_OF_BOUNDS = [0, 2 ** 48, 2 ** 48 + 1, 2 ** 53 - 1, 2 ** 64];

const termArb: fc.Arbitrary<Term> = fc.oneof(
  {
    weight: 30,
    arbitrary: fc.integer({ min: -2, max: 3 }).map((offset) => ({ at: 'current' as const, offset })),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1001, max: 1_000_000 })
      .map((offset) => ({ at: 'current' as const, offset })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...OUT_OF_BOUNDS).map((value) => ({ at: 'absolute' as const, value })),
  },
  { weight: 1, arbitrary: fc.nat().map((value) => ({ at: 'absolute' as const, value })) },
);

const indexArb: fc.Arbitrary<Index> = fc.oneof(
  {
    weight: 30,
    arbitrary: fc.record({
      at: fc.constantFrom('commit' as const, 'last' as const),
      offset: fc.integer({ min: -5, max: 5 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...OUT_OF_BOUNDS).map((value) => ({ at: 'absolute' as const, value })),
  },
  { weight: 1, arbitrary: fc.nat().map((value) => ({ at: 'absolute' as const, value })) },
);

/** The term of an entry the receiver may hold: mostly its own term or the one before. */
const logTermArb: fc.Arbitrary<Term> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.integer({ min: -1, max: 0 }).map((offset) => ({ at: 'current' as const, offset })),
  },
  { weight: 1, arbitrary: termArb },
);

const senderArb: fc.Arbitrary<Sender> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('peer' as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('self' as const, 'witness' as const, 'stranger' as const, 'empty' as const),
  },
);

const dataArb: fc.Arbitrary<Data> = fc.constantFrom(
  'tick',
  'tick',
  'tick',
  'tick',
  'tick',
  'tick',
  'garbage',
  'random',
  'configuration',
  'foreign',
  'bad_time',
  'merged',
  'empty',
);

const entryArb: fc.Arbitrary<EntryAction> = fc.record({
  index: fc.oneof(
    { weight: 20, arbitrary: fc.constant('next' as const) },
    { weight: 1, arbitrary: fc.constantFrom('skip' as const, 'repeat' as const) },
  ),
  term: logTermArb,
  kind: fc.constantFrom<EntryKind>(
    'ENTRY_KIND_NORMAL',
    'ENTRY_KIND_NORMAL',
    'ENTRY_KIND_NORMAL',
    'ENTRY_KIND_NORMAL',
    'ENTRY_KIND_NOOP',
    'ENTRY_KIND_CONFIGURATION',
    'ENTRY_KIND_UNSPECIFIED',
  ),
  data: dataArb,
  bytes: fc.uint8Array({ maxLength: 64 }),
});

function actionArb(witnessMode: boolean): fc.Arbitrary<Action> {
  const append = fc.record({
    kind: fc.constant('append' as const),
    from: senderArb,
    term: termArb,
    prevIndex: indexArb,
    prevTerm: logTermArb,
    entries: fc.array(entryArb, { maxLength: 4 }),
    commit: indexArb,
  });
  const vote = fc.record({
    kind: fc.constant('vote' as const),
    toWitness: fc.constant(false),
    from: senderArb,
    term: termArb,
    lastIndex: indexArb,
    lastTerm: logTermArb,
    preVote: fc.boolean(),
    transfer: fc.boolean(),
  });
  const timeoutNow = fc.record({ kind: fc.constant('timeout_now' as const), from: senderArb, term: termArb });
  const snapshot = fc.record({
    kind: fc.constant('snapshot' as const),
    from: senderArb,
    term: termArb,
    snapshotIndex: indexArb,
    snapshotTerm: termArb,
    configuration: fc.constantFrom<Data>('configuration', 'configuration', 'foreign', 'garbage', 'empty'),
    readable: fc.boolean(),
    size: fc.integer({ min: 0, max: 4096 }),
    claim: fc.constantFrom('exact' as const, 'exact' as const, 'huge' as const, 'small' as const),
    checksum: fc.constantFrom('right' as const, 'right' as const, 'wrong' as const, 'malformed' as const),
    chunks: fc.integer({ min: 1, max: 3 }),
    done: fc.boolean(),
  });
  const merge = fc.record({
    kind: fc.constant('merge' as const),
    from: senderArb,
    term: termArb,
    stretch: indexArb,
    first: fc.integer({ min: -1, max: 3 }),
    consistent: fc.boolean(),
    count: fc.integer({ min: -1, max: 3 }),
    // A backup offers its solo entries, each 'normal' one described as a merged entry.
    entries: fc.array(
      entryArb.map((entry) => (entry.data === 'tick' ? { ...entry, data: 'merged' as const } : entry)),
      { minLength: 1, maxLength: 3 },
    ),
  });
  const peerActions = [
    { weight: 5, arbitrary: append as fc.Arbitrary<Action> },
    { weight: 2, arbitrary: vote as fc.Arbitrary<Action> },
    { weight: 1, arbitrary: timeoutNow as fc.Arbitrary<Action> },
    { weight: 2, arbitrary: snapshot as fc.Arbitrary<Action> },
    { weight: 2, arbitrary: merge as fc.Arbitrary<Action> },
  ];
  if (!witnessMode) return fc.oneof(...peerActions);
  const witnessVote = vote.map((action) => ({ ...action, toWitness: true }));
  const heartbeat = fc.record({
    kind: fc.constant('heartbeat' as const),
    from: senderArb,
    term: termArb,
    commit: indexArb,
  });
  const record = fc.record({
    kind: fc.constant('record' as const),
    from: senderArb,
    term: termArb,
    inSync: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(['main'], ['backup'], ['main', 'backup'], ['backup', 'main']) },
      { weight: 1, arbitrary: fc.subarray(['main', 'backup', 'witness', 'mallory', 'main']) },
    ),
    configurationIndex: indexArb,
    acknowledged: indexArb,
  });
  return fc.oneof(
    ...peerActions,
    { weight: 3, arbitrary: witnessVote as fc.Arbitrary<Action> },
    { weight: 4, arbitrary: heartbeat as fc.Arbitrary<Action> },
    { weight: 3, arbitrary: record as fc.Arbitrary<Action> },
  );
}

// ---------------------------------------------------------------------------------------------
// Turning an action into wire messages against the cluster as it is now.

interface NodeView {
  term: number;
  commitIndex: number;
  lastIndex: number;
}

interface Target {
  /** The node the message goes to, and the peer it speaks as. */
  id: string;
  peerId: string;
  view: NodeView;
  client: PeerClient;
  /** The lowest term a data node is at: well-formed entries only go out below it. */
  floorTerm: number;
  voters: string[];
}

function termOf(choice: Term, view: NodeView): number {
  return choice.at === 'absolute' ? choice.value : Math.max(0, view.term + choice.offset);
}

function indexOf(choice: Index, view: NodeView): number {
  if (choice.at === 'absolute') return choice.value;
  return Math.max(0, (choice.at === 'commit' ? view.commitIndex : view.lastIndex) + choice.offset);
}

function senderId(sender: Sender, target: Target): string {
  switch (sender) {
    case 'peer':
      return target.peerId;
    case 'self':
      return target.id;
    case 'witness':
      return 'witness';
    case 'stranger':
      return 'mallory';
    case 'empty':
      return '';
  }
}

function dataBytes(
  data: Data,
  entry: { index: number; term: number },
  random: Uint8Array,
  voters: string[],
): Buffer {
  switch (data) {
    case 'tick':
      return Buffer.from(encodeEntryData({ timestampMs: Date.now(), command: { type: 'tick' } }));
    case 'garbage':
      return Buffer.from('{"v":1,"command":');
    case 'random':
      return Buffer.from(random);
    case 'configuration':
      return Buffer.from(JSON.stringify({ voters, inSync: voters.filter((id) => id !== 'witness') }));
    case 'foreign':
      return Buffer.from(JSON.stringify({ voters: [...voters, 'mallory'], inSync: ['mallory'] }));
    case 'bad_time':
      return Buffer.from(JSON.stringify({ v: 1, timestampMs: -1, command: { type: 'tick' } }));
    case 'merged':
      return Buffer.from(
        JSON.stringify({
          index: entry.index,
          term: entry.term,
          timestampMs: Date.now(),
          command: { type: 'tick' },
        }),
      );
    case 'empty':
      return Buffer.alloc(0);
  }
}

function entriesOf(actions: EntryAction[], afterIndex: number, target: Target) {
  let index = afterIndex;
  return actions.map((action) => {
    index = action.index === 'next' ? index + 1 : action.index === 'skip' ? index + 2 : index;
    const term = termOf(action.term, target.view);
    return {
      index,
      term,
      kind: action.kind,
      data: dataBytes(action.data, { index, term }, action.bytes, target.voters),
    };
  });
}

/** Entries a follower would take as its leader's own: well-formed and chained. */
function wellFormed(
  entries: ReturnType<typeof entriesOf>,
  afterIndex: number,
  actions: EntryAction[],
): boolean {
  return actions.every(
    (action, position) =>
      action.index === 'next' &&
      (action.kind === 'ENTRY_KIND_NOOP' ||
        (action.kind === 'ENTRY_KIND_NORMAL' && action.data === 'tick') ||
        (action.kind === 'ENTRY_KIND_CONFIGURATION' && action.data === 'configuration')) &&
      entries[position]?.index === afterIndex + position + 1,
  );
}

const EMPTY_LEDGER = new Ledger().snapshot();

async function perform(action: Action, target: Target, outcomes: Map<string, number>): Promise<void> {
  const { client, view } = target;
  const count = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  const settle = async (pending: Promise<unknown>) => {
    try {
      await pending;
      count(`${action.kind}: answered`);
    } catch (error) {
      const { code, metadata } = error as { code?: number; metadata?: { get(key: string): unknown[] } };
      const field = String(metadata?.get('tandem-field')[0] ?? '').replace(/\[\d+\]/g, '[]');
      count(`${action.kind}: ${code ?? 'error'}${field === '' ? '' : ` ${field}`}`);
    }
  };
  const from = senderId(action.from, target);
  const term = termOf(action.term, view);
  switch (action.kind) {
    case 'append': {
      const prevLogIndex = indexOf(action.prevIndex, view);
      let entries = entriesOf(action.entries, prevLogIndex, target);
      // Well-formed entries from a data node at a term it may lead are what its leader sends.
      if (term >= target.floorTerm && wellFormed(entries, prevLogIndex, action.entries)) entries = [];
      await settle(
        call(
          client.peer,
          client.peer.AppendEntries,
          {
            term,
            leaderId: from,
            prevLogIndex,
            prevLogTerm: termOf(action.prevTerm, view),
            entries,
            leaderCommit: indexOf(action.commit, view),
          },
          CALL_DEADLINE_MS,
        ),
      );
      return;
    }
    case 'vote': {
      const service = action.toWitness ? client.witness : client.peer;
      await settle(
        call(
          service,
          service.RequestVote,
          {
            term,
            candidateId: from,
            lastLogIndex: indexOf(action.lastIndex, view),
            lastLogTerm: termOf(action.lastTerm, view),
            preVote: action.preVote,
            leadershipTransfer: action.transfer,
          },
          CALL_DEADLINE_MS,
        ),
      );
      return;
    }
    case 'timeout_now':
      await settle(call(client.peer, client.peer.TimeoutNow, { term, leaderId: from }, CALL_DEADLINE_MS));
      return;
    case 'snapshot': {
      const snapshotIndex = indexOf(action.snapshotIndex, view);
      // A readable snapshot from a data node at a term it may lead is what its leader sends.
      const readable = action.readable && term < target.floorTerm;
      const body = readable ? Buffer.from(EMPTY_LEDGER) : Buffer.alloc(action.size, 7);
      const checksum =
        action.checksum === 'right'
          ? createHash('sha256').update(body).digest('hex')
          : action.checksum === 'wrong'
            ? '0'.repeat(64)
            : 'not-a-checksum';
      const totalBytes =
        action.claim === 'exact'
          ? body.byteLength
          : action.claim === 'huge'
            ? 1024 ** 3
            : Math.max(0, body.byteLength - 1);
      const configuration =
        action.configuration === 'empty'
          ? Buffer.alloc(0)
          : dataBytes(action.configuration, { index: 0, term: 0 }, new Uint8Array(), target.voters);
      const chunkBytes = Math.max(1, Math.ceil(body.byteLength / action.chunks));
      const chunks: InstallSnapshotChunk[] = [];
      for (let offset = 0, part = 0; part < action.chunks; part += 1, offset += chunkBytes) {
        const data = body.subarray(offset, offset + chunkBytes);
        chunks.push({
          term,
          leaderId: from,
          snapshotIndex,
          snapshotTerm: termOf(action.snapshotTerm, view),
          configuration: part === 0 ? configuration : Buffer.alloc(0),
          offset: Math.min(offset, body.byteLength),
          data,
          totalBytes,
          checksum,
          done: part === action.chunks - 1 ? action.done : false,
        });
      }
      const { error } = await client.installSnapshot(chunks, { timeoutMs: CALL_DEADLINE_MS });
      count(`snapshot: ${error === null ? 'answered' : error.code}`);
      return;
    }
    case 'merge': {
      const stretchStartIndex = indexOf(action.stretch, view);
      const firstIndex = stretchStartIndex + action.first;
      const throughIndex = firstIndex + (action.consistent ? action.entries.length - 1 : action.count);
      const entries = entriesOf(action.entries, firstIndex - 1, target);
      await settle(
        call(
          client.peer,
          client.peer.MergeOffer,
          {
            term,
            backupId: from,
            stretchStartIndex,
            firstIndex,
            throughIndex,
            entries,
            incomplete: false,
          },
          CALL_DEADLINE_MS,
        ),
      );
      return;
    }
    case 'heartbeat':
      await settle(
        call(
          client.witness,
          client.witness.Heartbeat,
          { term, leaderId: from, commitIndex: indexOf(action.commit, view) },
          CALL_DEADLINE_MS,
        ),
      );
      return;
    case 'record':
      await settle(
        call(
          client.witness,
          client.witness.RecordInSync,
          {
            term,
            leaderId: from,
            inSync: action.inSync,
            configurationIndex: indexOf(action.configurationIndex, view),
            acknowledgedIndex: indexOf(action.acknowledged, view),
          },
          CALL_DEADLINE_MS,
        ),
      );
      return;
  }
}

// ---------------------------------------------------------------------------------------------

function expectAlive(nodes: TandemdProcess[]): void {
  for (const node of nodes) {
    expect(node.child.exitCode, `${node.address} exited`).to.equal(null);
    expect(node.child.signalCode, `${node.address} was killed`).to.equal(null);
    const fatal = node.logs.filter(
      (line) => line.level === 'error' && /fatal|replica failed|AssertionError/.test(JSON.stringify(line)),
    );
    expect(fatal, `${node.address} logged a fatal error`).to.deep.equal([]);
  }
}

async function expectServes(cluster: TandemdPair | TandemdTrio, workstationId: string): Promise<void> {
  const workstation = await connect(
    await cluster.settings('workstation', workstationId, { requestTimeoutMs: 2000, maxAttempts: 30 }),
  );
  try {
    const lease = await workstation.acquire('seats', { ttlMs: 60_000 });
    await lease.release();
  } finally {
    workstation.close();
  }
}

interface FuzzCluster {
  cluster: TandemdPair | TandemdTrio;
  servers: string[];
  /**
   * Every node a message may go to: the data nodes (at their peer ports), and the witness in witness
   * mode (at its one port); `address` is where its status is asked (the client port).
   */
  targets: { id: string; address: string; peerAddress: string }[];
  voters: string[];
  nodes(): TandemdProcess[];
}

async function fuzz(cluster: FuzzCluster, witnessMode: boolean, seed: number): Promise<Map<string, number>> {
  const actions = fc.sample(actionArb(witnessMode), { seed, numRuns: ACTIONS });
  const admin = new AdminClient(
    resolveSettings({
      ...cluster.cluster.access,
      servers: cluster.servers,
      requestTimeoutMs: 1000,
      maxAttempts: 1,
    }),
  );
  const clients = new Map<string, PeerClient[]>();
  for (const target of cluster.targets) {
    // The peers a node hears from: the other data node; the witness hears from both.
    const speakers =
      target.id === 'witness' ? ['main', 'backup'] : [target.id === 'main' ? 'backup' : 'main'];
    clients.set(
      target.id,
      await Promise.all(
        speakers.map((speaker) => peerClient(target.peerAddress, speaker, cluster.cluster.pki)),
      ),
    );
  }
  const views = new Map<string, NodeView>();
  const refresh = async () => {
    await Promise.all(
      cluster.targets.map(async (target) => {
        try {
          const self = (await admin.nodeStatus(target.address)).nodes[0];
          if (self !== undefined) {
            views.set(target.id, {
              term: self.term,
              commitIndex: self.commitIndex,
              lastIndex: self.lastIndex,
            });
          }
        } catch {
          // Busy or refusing: the last view stands.
        }
      }),
    );
  };
  const outcomes = new Map<string, number>();
  try {
    for (let start = 0; start < actions.length; start += CONCURRENCY) {
      await refresh();
      const dataTerms = cluster.targets
        .filter((target) => target.id !== 'witness')
        .map((target) => views.get(target.id)?.term ?? 0);
      const floorTerm = Math.min(...dataTerms);
      await Promise.all(
        actions.slice(start, start + CONCURRENCY).map((action, offset) => {
          const toWitness =
            action.kind === 'heartbeat' ||
            action.kind === 'record' ||
            (action.kind === 'vote' && action.toWitness);
          const candidates = cluster.targets.filter((target) => (target.id === 'witness') === toWitness);
          const target = candidates[(start + offset) % candidates.length];
          if (target === undefined) return Promise.resolve();
          const speakers = clients.get(target.id) ?? [];
          const client = speakers[(start + offset) % speakers.length];
          if (client === undefined) return Promise.resolve();
          return perform(
            action,
            {
              id: target.id,
              peerId: client.asNodeId,
              view: views.get(target.id) ?? { term: 0, commitIndex: 0, lastIndex: 0 },
              client,
              floorTerm,
              voters: cluster.voters,
            },
            outcomes,
          );
        }),
      );
    }
  } finally {
    admin.close();
    for (const list of clients.values()) for (const client of list) client.close();
  }
  return outcomes;
}

/** Refusals are logged at most once a second per kind (with a count of the ones left out). */
function expectRefusalsRateLimited(nodes: TandemdProcess[], seconds: number): void {
  for (const node of nodes) {
    const perKind = new Map<string, number>();
    for (const line of node.logs) {
      if (typeof line.kind !== 'string') continue;
      perKind.set(line.kind, (perKind.get(line.kind) ?? 0) + 1);
    }
    expect(perKind.size, `${node.address} logged no refusal`).to.be.above(0);
    for (const [kind, lines] of perKind) {
      expect(lines, `${node.address} logged ${lines} lines of ${kind} in ${seconds} s`).to.be.at.most(
        seconds + 2,
      );
    }
  }
}

async function expectSettled(cluster: FuzzCluster, label: string): Promise<void> {
  expectAlive(cluster.nodes());
  const leader = await waitForLeader(cluster.cluster.access, cluster.servers, 30_000);
  expect(leader.term, 'a term far out of range').to.be.below(2 ** 20);
  await expectServes(cluster.cluster, `ws-fuzz-${label}`);
  await waitForEqualState(cluster.cluster.access, cluster.servers, 30_000);
  expectAlive(cluster.nodes());
}

describe('peer and witness message fuzz (real processes)', function () {
  this.timeout(300_000);

  before(() => {
    console.log(
      `      peer fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED}), ${ACTIONS} actions per cluster`,
    );
  });

  it('a pair takes random and mutated peer messages: nobody exits, a leader serves, ledgers and logs are equal', async () => {
    const directory = await temporaryDirectory('tandem-fuzz-pair-');
    const pair = await TandemdPair.start({ directory, overrides: TIMING });
    const cluster: FuzzCluster = {
      cluster: pair,
      servers: pair.servers,
      targets: [
        { id: 'main', address: pair.address('main'), peerAddress: pair.peerAddress('main') },
        { id: 'backup', address: pair.address('backup'), peerAddress: pair.peerAddress('backup') },
      ],
      voters: ['backup', 'main'],
      nodes: () => [pair.node('main'), pair.node('backup')],
    };
    const admin = new AdminClient(
      resolveSettings(await pair.settings('admin', 'admin', { maxAttempts: 30 })),
    );
    try {
      await waitForLeader(pair.access, pair.servers, 15_000);
      await activateTestLicence(admin, { licenceId: 'seats', product: 'CAD', seats: 100, redundancy: true });
      await expectServes(pair, 'ws-fuzz-before');
      const startedAt = Date.now();
      const termBefore = (await waitForLeader(pair.access, pair.servers, 5000)).term;
      const outcomes = await fuzz(cluster, false, SEED);
      console.log(`      ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`);
      await expectSettled(cluster, 'pair');
      const termAfter = (await waitForLeader(pair.access, pair.servers, 5000)).term;
      console.log(`      leader term ${termBefore} before, ${termAfter} after`);
      expectRefusalsRateLimited(cluster.nodes(), Math.ceil((Date.now() - startedAt) / 1000));
    } finally {
      admin.close();
      await pair.stop();
      await removeDirectory(directory);
    }
  });

  it('a witness and its data nodes take random and mutated messages: nobody exits, a leader serves, ledgers and logs are equal', async () => {
    const directory = await temporaryDirectory('tandem-fuzz-witness-');
    const trio = await TandemdTrio.start({ directory, overrides: TIMING });
    const cluster: FuzzCluster = {
      cluster: trio,
      servers: trio.servers,
      targets: [
        { id: 'main', address: trio.address('main'), peerAddress: trio.peerAddress('main') },
        { id: 'backup', address: trio.address('backup'), peerAddress: trio.peerAddress('backup') },
        { id: 'witness', address: trio.address('witness'), peerAddress: trio.address('witness') },
      ],
      voters: ['backup', 'main', 'witness'],
      nodes: () => [trio.node('main'), trio.node('backup'), trio.node('witness')],
    };
    const admin = new AdminClient(
      resolveSettings(await trio.settings('admin', 'admin', { maxAttempts: 30 })),
    );
    try {
      await waitForLeader(trio.access, trio.servers, 15_000);
      await activateTestLicence(admin, { licenceId: 'seats', product: 'CAD', seats: 100, redundancy: true });
      await expectServes(trio, 'ws-fuzz-before');
      const startedAt = Date.now();
      const termBefore = (await waitForLeader(trio.access, trio.servers, 5000)).term;
      const outcomes = await fuzz(cluster, true, SEED + 1);
      console.log(`      ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`);
      await expectSettled(cluster, 'witness');
      const termAfter = (await waitForLeader(trio.access, trio.servers, 5000)).term;
      console.log(`      leader term ${termBefore} before, ${termAfter} after`);
      expectRefusalsRateLimited(cluster.nodes(), Math.ceil((Date.now() - startedAt) / 1000));
    } finally {
      admin.close();
      await trio.stop();
      await removeDirectory(directory);
    }
  });
});
