// The forged-peer cases of issue 10, each sent once to real tandemd processes as the peer node
// would send it (through the testkit's peerClient, which will carry that node's certificate once
// peer links use TLS). Authentication keeps strangers out; these messages come from the
// authenticated peer, buggy or compromised, and must not crash a node, move the cluster to an
// arbitrary term, make a node discard committed entries or apply entries its leader did not send,
// churn leadership, or make a node allocate what a message merely claims. After each case: no node
// exited, the leader's term is unchanged (or, where a restart or failover is part of the case,
// bounded), both ledgers and logs are equal, and the cluster serves (and fails over where the case
// is about failover).
import { readFileSync } from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import { AdminClient, connect, resolveSettings } from '@tandem/client';
import { encodeEntryData } from '@tandem/ledger';
import {
  activateTestLicence,
  call,
  callError,
  type PeerClient,
  peerClient,
  removeDirectory,
  signTestLicence,
  TandemdPair,
  type TandemdProcess,
  TandemdTrio,
  temporaryDirectory,
  waitForClusterId,
  waitForEqualState,
  waitForLeader,
} from '@tandem/testkit';
import type { AppendEntriesRequest, InstallSnapshotChunk } from '@tandem/wire';
import { expect } from 'chai';

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
const FAILOVER_TIMEOUT_MS = 1000;
const TIMING = { timing: { failoverTimeoutMs: FAILOVER_TIMEOUT_MS, heartbeatIntervalMs: 100 } };
const INVALID_ARGUMENT = 3;
const FIELD_KEY = 'tandem-field';

/** What a node says of itself. */
async function selfStatus(admin: AdminClient, address: string) {
  const status = await admin.nodeStatus(address);
  const self = status.nodes[0];
  if (self === undefined) throw new Error(`${address} did not describe itself`);
  return self;
}

/** No node exited, and none logged an assertion or a fatal error. */
function expectAlive(nodes: TandemdProcess[]): void {
  for (const node of nodes) {
    expect(node.child.exitCode, `${node.address} exited`).to.equal(null);
    expect(node.child.signalCode, `${node.address} was killed`).to.equal(null);
    const fatal = node.logs.filter(
      (line) => line.level === 'error' && /fatal|replica failed|AssertionError/.test(JSON.stringify(line)),
    );
    expect(fatal, `${node.address} logged a fatal error`).to.deep.equal([]);
    expect(node.stderr.join(''), `${node.address} wrote to stderr`).to.not.match(/AssertionError/);
  }
}

/** The consensus trace lines of a node that contain `text` (the core's account of what it did). */
function traced(node: TandemdProcess, text: string): string[] {
  return node.logs.map((line) => String(line.event ?? '')).filter((event) => event.includes(text));
}

/** A workstation takes a seat and gives it back: the cluster serves. */
async function expectServes(cluster: TandemdPair | TandemdTrio, workstationId: string): Promise<void> {
  const workstation = await connect(
    await cluster.settings('workstation', workstationId, { requestTimeoutMs: 2000, maxAttempts: 20 }),
  );
  try {
    const lease = await workstation.acquire('seats', { ttlMs: 60_000 });
    await lease.release();
  } finally {
    workstation.close();
  }
}

function fieldOf(error: grpc.ServiceError): string | undefined {
  return error.metadata?.get(FIELD_KEY)[0]?.toString();
}

/** The size of a process's address space in bytes (what a large allocation grows at once). */
function virtualMemoryBytes(pid: number): number {
  const match = /VmSize:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match?.[1] === undefined) throw new Error(`no VmSize for ${pid}`);
  return Number(match[1]) * 1024;
}

describe('forged peer messages (real processes)', function () {
  this.timeout(240_000);

  describe('pair mode', () => {
    let directory: string;
    let pair: TandemdPair;
    let admin: AdminClient;
    /** Speaks as the main to the backup, and as the backup to the main. */
    let asMain: PeerClient;
    let asBackup: PeerClient;
    let term = 0;

    const nodes = () => [pair.node('main'), pair.node('backup')];

    async function connectPeers(): Promise<void> {
      asMain?.close();
      asBackup?.close();
      asMain = await peerClient(pair.peerAddress('backup'), 'main', pair.pki);
      asBackup = await peerClient(pair.peerAddress('main'), 'backup', pair.pki);
    }

    /** The main leads in the expected term, both ledgers and logs are equal, and the pair serves. */
    async function expectSteady(expectedTerm: number | null, label: string): Promise<void> {
      expectAlive(nodes());
      const leader = await waitForLeader(pair.access, pair.servers, 15_000);
      expect(leader.id).to.equal('main');
      if (expectedTerm !== null) expect(leader.term, 'the leader term moved').to.equal(expectedTerm);
      await expectServes(pair, `ws-${label}`);
      await waitForEqualState(pair.access, pair.servers, 15_000);
      expectAlive(nodes());
      term = leader.term;
    }

    before(async () => {
      directory = await temporaryDirectory('tandem-forged-pair-');
      pair = await TandemdPair.start({ directory, overrides: TIMING });
      admin = new AdminClient(resolveSettings(await pair.settings('admin', 'admin', { maxAttempts: 30 })));
      const leader = await waitForLeader(pair.access, pair.servers, 15_000);
      expect(leader.id).to.equal('main');
      // Signed for more seats than the tests set: an operator may change seats within what was signed.
      await activateTestLicence(admin, { licenceId: 'seats', product: 'CAD', seats: 1000, redundancy: true });
      await admin.updateLicence('seats', { seats: 100 });
      await connectPeers();
      await expectSteady(null, 'start');
    });

    after(async () => {
      asMain?.close();
      asBackup?.close();
      admin?.close();
      await pair?.stop();
      await removeDirectory(directory);
    });

    it('AppendEntries at term 2^53-1 is refused on both nodes, which survive a restart too', async () => {
      for (const forgedTerm of [2 ** 53 - 1, 2 ** 48 + 1]) {
        for (const client of [asMain, asBackup]) {
          const error = await callError(client.peer, client.peer.AppendEntries, {
            term: forgedTerm,
            leaderId: client.asNodeId,
            prevLogIndex: 0,
            prevLogTerm: 0,
            entries: [],
            leaderCommit: 0,
          });
          expect(error.code).to.equal(INVALID_ARGUMENT);
          expect(fieldOf(error)).to.equal('term');
        }
      }
      await expectSteady(term, 'huge-term');
      // The nodes crashed again on restart: these come back and the main leads again.
      await pair.stopNode('backup');
      await pair.stopNode('main');
      await Promise.all([pair.startNode('main'), pair.startNode('backup')]);
      await connectPeers();
      await expectSteady(null, 'huge-term-restart');
      expect(term).to.be.below(2 ** 20);
    });

    it('AppendEntries at a later term below the commit index with a conflicting entry: no merge, nothing discarded', async () => {
      await admin.updateLicence('seats', { seats: 101 });
      const backup = await selfStatus(admin, pair.address('backup'));
      const main = await selfStatus(admin, pair.address('main'));
      const forged = (from: PeerClient, forgedTerm: number, commitIndex: number): AppendEntriesRequest => ({
        term: forgedTerm,
        leaderId: from.asNodeId,
        prevLogIndex: commitIndex - 2,
        prevLogTerm: term,
        entries: [
          {
            index: commitIndex - 1,
            term: forgedTerm,
            kind: 'ENTRY_KIND_NORMAL',
            data: Buffer.from(encodeEntryData({ timestampMs: Date.now(), command: { type: 'tick' } })),
          },
        ],
        leaderCommit: commitIndex,
      });
      for (const forgedTerm of [term + 1, term + 2]) {
        const toBackup = await call(
          asMain.peer,
          asMain.peer.AppendEntries,
          forged(asMain, forgedTerm, backup.commitIndex),
        );
        expect(toBackup.success).to.equal(false);
        const toMain = await call(
          asBackup.peer,
          asBackup.peer.AppendEntries,
          forged(asBackup, forgedTerm, main.commitIndex),
        );
        expect(toMain.success).to.equal(false);
      }
      await expectSteady(term, 'below-commit');
      for (const node of nodes()) {
        expect(traced(node, 'diverged'), 'a node took the forgery for a split brain').to.deep.equal([]);
        expect(traced(node, 'offers'), 'a node offered its log for a merge').to.deep.equal([]);
        expect(traced(node, 'discarded its log'), 'a node discarded its log').to.deep.equal([]);
        // The pair looped on 190,000 "rejected append" lines.
        expect(traced(node, 'rejected append').length).to.be.below(20);
      }
    });

    it('AppendEntries carrying an activate entry from a node that does not lead that term is not applied', async () => {
      await admin.updateLicence('seats', { seats: 102 });
      const backup = await selfStatus(admin, pair.address('backup'));
      const clusterId = await waitForClusterId(admin);
      const activate = (index: number, entryTerm: number) => ({
        index,
        term: entryTerm,
        kind: 'ENTRY_KIND_NORMAL' as const,
        data: Buffer.from(
          encodeEntryData({
            timestampMs: Date.now(),
            command: {
              type: 'activate_licence',
              requestId: 'forged-activation',
              licenceFile: signTestLicence(
                { licenceId: 'forged', product: 'Forged', seats: 1000 },
                clusterId,
              ),
              actor: null,
            },
          } as Parameters<typeof encodeEntryData>[0]),
        ),
      });
      // Refused by the node (success false); or on the wire, should the ledger's licence format
      // change so that this entry no longer decodes (INVALID_ARGUMENT). Either way not applied.
      const refused = (pending: Promise<{ success: boolean }>) =>
        pending.then(
          (answer) => answer.success === false,
          (error: grpc.ServiceError) => error.code === INVALID_ARGUMENT,
        );
      // As the main, to the backup, at a later term the main owns (term + 2), chained to the
      // backup's log and committing the entry at once.
      const later = await refused(
        call(asMain.peer, asMain.peer.AppendEntries, {
          term: term + 2,
          leaderId: 'main',
          prevLogIndex: backup.lastIndex,
          prevLogTerm: term,
          entries: [activate(backup.lastIndex + 1, term + 2)],
          leaderCommit: backup.lastIndex + 1,
        }),
      );
      expect(later).to.equal(true);
      // As the backup, to the main, at the main's own term.
      const main = await selfStatus(admin, pair.address('main'));
      const same = await refused(
        call(asBackup.peer, asBackup.peer.AppendEntries, {
          term,
          leaderId: 'backup',
          prevLogIndex: main.lastIndex,
          prevLogTerm: term,
          entries: [activate(main.lastIndex + 1, term)],
          leaderCommit: main.lastIndex + 1,
        }),
      );
      expect(same).to.equal(true);
      await expectSteady(term, 'activate');
      const missing = await admin.getLicence('forged').then(
        () => null,
        (error: { code?: string }) => error,
      );
      expect(missing, 'the forged licence exists').to.not.equal(null);
    });

    it('a forged MergeOffer is refused: a malformed one on the wire, a well-formed one because the backup is in sync', async () => {
      const offer = (data: Buffer) => ({
        term,
        backupId: 'backup',
        stretchStartIndex: 1,
        firstIndex: 1,
        throughIndex: 1,
        entries: [{ index: 1, term, kind: 'ENTRY_KIND_NORMAL' as const, data }],
        incomplete: false,
      });
      // The offer made the main exit with "index must be an integer".
      const malformed = await callError(
        asBackup.peer,
        asBackup.peer.MergeOffer,
        offer(Buffer.from(JSON.stringify({ index: 'one', term, timestampMs: 1, command: { type: 'tick' } }))),
      );
      expect(malformed.code).to.equal(INVALID_ARGUMENT);
      expect(fieldOf(malformed)).to.match(/^entries\[0\]\.data/);
      const wellFormed = Buffer.from(
        JSON.stringify({
          index: 1,
          term,
          timestampMs: Date.now(),
          command: {
            type: 'activate_licence',
            requestId: 'forged-merge',
            licence: {
              licenceId: 'merged',
              product: 'Merged',
              seats: 1000,
              quota: null,
              validFromMs: 0,
              validUntilMs: 0,
              redundancy: true,
              features: {},
            },
          },
        }),
      );
      const answer = await call(asBackup.peer, asBackup.peer.MergeOffer, offer(wellFormed)).then(
        (response) => response.mergedThroughIndex,
        (error: grpc.ServiceError) => error.code,
      );
      expect([0, INVALID_ARGUMENT]).to.include(answer);
      await expectSteady(term, 'merge-offer');
      const missing = await admin.getLicence('merged').then(
        () => null,
        (error: unknown) => error,
      );
      expect(missing, 'the offered licence was merged').to.not.equal(null);
    });

    it('TimeoutNow every 200 ms for 10 s changes no leader', async () => {
      const startTerm = term;
      const roleChanges = (node: TandemdProcess) =>
        node.logs.filter((line) => line.message === 'role changed' && line.role === 'leader').length;
      const leaderChangesBefore = nodes().map(roleChanges);
      const deadline = Date.now() + 10_000;
      let sent = 0;
      while (Date.now() < deadline) {
        const [toBackup, toMain] = await Promise.allSettled([
          call(asMain.peer, asMain.peer.TimeoutNow, { term, leaderId: 'main' }),
          call(asBackup.peer, asBackup.peer.TimeoutNow, { term, leaderId: 'backup' }),
        ]);
        if (toBackup.status === 'fulfilled' || toMain.status === 'fulfilled') sent += 1;
        await sleep(200);
      }
      expect(sent).to.be.above(20);
      expect(nodes().map(roleChanges), 'a node became leader').to.deep.equal(leaderChangesBefore);
      await expectSteady(startTerm, 'timeout-now');
    });

    it('one small InstallSnapshot chunk claiming 1 GiB allocates nothing like it; over the limit is refused', async () => {
      const backupPid = pair.node('backup').pid;
      const before = virtualMemoryBytes(backupPid);
      const chunk = (totalBytes: number): InstallSnapshotChunk => ({
        term,
        leaderId: 'main',
        snapshotIndex: 1_000_000,
        snapshotTerm: term,
        configuration: Buffer.from(
          JSON.stringify({ voters: ['backup', 'main'], inSync: ['backup', 'main'] }),
        ),
        offset: 0,
        data: Buffer.alloc(1024, 7),
        totalBytes,
        checksum: '0'.repeat(64),
        done: false,
      });
      // The stream stays open, as a leader's would between chunks.
      const pending = asMain.installSnapshot([chunk(1024 * 1024 * 1024)], { end: false, timeoutMs: 3000 });
      await sleep(1500);
      const grown = virtualMemoryBytes(backupPid) - before;
      expect(grown, `the backup grew by ${grown} bytes`).to.be.below(256 * 1024 * 1024);
      await pending;
      const over = await asMain.installSnapshot([chunk(3 * 1024 * 1024 * 1024)]);
      expect(over.error?.code).to.equal(INVALID_ARGUMENT);
      expect(over.error === null ? undefined : fieldOf(over.error)).to.equal('total_bytes');
      await expectSteady(term, 'snapshot');
    });
  });

  describe('witness mode', () => {
    let directory: string;
    let trio: TandemdTrio;
    let admin: AdminClient;
    let asMain: PeerClient;
    let asBackup: PeerClient;
    let term = 0;

    const running = () => (['main', 'backup', 'witness'] as const).filter((role) => trio.isRunning(role));

    async function connectPeers(): Promise<void> {
      asMain?.close();
      asBackup?.close();
      asMain = await peerClient(trio.address('witness'), 'main', trio.pki);
      asBackup = await peerClient(trio.address('witness'), 'backup', trio.pki);
    }

    async function witnessState() {
      return call(asMain.witness, asMain.witness.GetState, {});
    }

    async function expectSteady(
      expectedTerm: number | null,
      label: string,
      leaderId = 'main',
    ): Promise<void> {
      expectAlive(running().map((role) => trio.node(role)));
      const leader = await waitForLeader(
        trio.access,
        trio.servers,
        20_000,
        (candidate) => candidate.id === leaderId,
      );
      if (expectedTerm !== null) expect(leader.term, 'the leader term moved').to.equal(expectedTerm);
      await expectServes(trio, `ws-${label}`);
      const dataNodes = (['main', 'backup'] as const).filter((role) => trio.isRunning(role));
      if (dataNodes.length === 2) await waitForEqualState(trio.access, trio.servers, 15_000);
      expectAlive(running().map((role) => trio.node(role)));
      term = leader.term;
    }

    before(async () => {
      directory = await temporaryDirectory('tandem-forged-witness-');
      trio = await TandemdTrio.start({ directory, overrides: TIMING });
      admin = new AdminClient(resolveSettings(await trio.settings('admin', 'admin', { maxAttempts: 30 })));
      const leader = await waitForLeader(trio.access, trio.servers, 15_000);
      expect(leader.id).to.equal('main');
      // Signed for more seats than the tests set: an operator may change seats within what was signed.
      await activateTestLicence(admin, { licenceId: 'seats', product: 'CAD', seats: 1000, redundancy: true });
      await admin.updateLicence('seats', { seats: 100 });
      await connectPeers();
      await expectSteady(null, 'start');
    });

    after(async () => {
      asMain?.close();
      asBackup?.close();
      admin?.close();
      await trio?.stop();
      await removeDirectory(directory);
    });

    it('a witness Heartbeat at term 2^53-1, or far ahead, moves neither the witness nor the data nodes, even across a restart', async () => {
      const error = await callError(asMain.witness, asMain.witness.Heartbeat, {
        term: 2 ** 53 - 1,
        leaderId: 'main',
        commitIndex: 0,
      });
      expect(error.code).to.equal(INVALID_ARGUMENT);
      expect(fieldOf(error)).to.equal('term');
      // Far ahead, and one term ahead from the node that does not lead: refused by the witness.
      const far = await call(asBackup.witness, asBackup.witness.Heartbeat, {
        term: term + 5000,
        leaderId: 'backup',
        commitIndex: 0,
      });
      expect(far.success).to.equal(false);
      const next = await call(asBackup.witness, asBackup.witness.Heartbeat, {
        term: term + 1,
        leaderId: 'backup',
        commitIndex: 0,
      });
      expect(next.success).to.equal(false);
      expect((await witnessState()).term).to.equal(term);
      await expectSteady(term, 'witness-term');
      // The cluster had no leader even after all three restarted.
      for (const role of ['backup', 'witness', 'main'] as const) await trio.stopNode(role);
      await Promise.all((['main', 'backup', 'witness'] as const).map((role) => trio.startNode(role)));
      await connectPeers();
      await expectSteady(null, 'witness-restart');
      expect(term).to.be.below(2 ** 20);
    });

    it('a RecordInSync naming only the main with a huge acknowledged index is refused; after kill -9 of the main the backup takes over', async () => {
      const recorded = await call(asMain.witness, asMain.witness.RecordInSync, {
        term,
        leaderId: 'main',
        inSync: ['main'],
        configurationIndex: 2 ** 40,
        acknowledgedIndex: 2 ** 40,
      });
      expect(recorded.accepted).to.equal(false);
      const state = await witnessState();
      expect([...state.inSync].sort()).to.deep.equal(['backup', 'main']);
      expect(state.lastAcknowledgedIndex).to.be.below(1_000_000);
      await expectSteady(term, 'record');
      await trio.kill('main');
      const killedAt = Date.now();
      await expectSteady(null, 'record-failover', 'backup');
      console.log(`      the backup led ${Date.now() - killedAt} ms after kill -9 main`);
      await trio.startNode('main');
      await expectSteady(null, 'record-hand-back', 'main');
    });
  });
});
