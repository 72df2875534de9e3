// An in-memory driver for RaftNodes, used by the interaction scripts and the randomized test. It
// carries out each Ready the way a real driver must: persist, then send, then apply, then
// advance. The state machine records every applied entry, so tests can compare histories.
import assert from 'node:assert/strict';
import { RaftNode } from '../src/raft-node.js';
import type {
  Configuration,
  Entry,
  HardState,
  Message,
  NodeId,
  Ready,
  ReplicationMode,
  Snapshot,
} from '../src/types.js';
import type { WitnessConfig } from '../src/witness-core.js';
import { SimulatedWitness } from './simulated-witness.js';

export interface NodeOptions {
  configuration: Configuration;
  preVote: boolean;
  checkQuorum: boolean;
  electionTimeoutTicks: number;
  heartbeatIntervalTicks: number;
  maxEntriesPerMessage: number;
  maxInflightMessages: number;
  mode?: ReplicationMode;
  priorityNodeId?: NodeId;
  pairVoteWaitTicks?: number;
  startupGraceTicks?: number;
  witnessNodeId?: NodeId;
  /** Pair mode, on a backup: what it offers for each solo entry (RaftConfig.describeMergedEntry). */
  describeMergedEntry?: (entry: Entry) => Uint8Array;
}

export const DEFAULT_NODE_OPTIONS: Omit<NodeOptions, 'configuration'> = {
  preVote: false,
  checkQuorum: false,
  electionTimeoutTicks: 10,
  heartbeatIntervalTicks: 1,
  maxEntriesPerMessage: 100,
  maxInflightMessages: 256,
};

/** One applied entry as the state machine saw it. */
export interface AppliedRecord {
  index: number;
  term: number;
  kind: Entry['kind'];
  data: string;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** What a disk would hold: the driver writes each Ready's hard state, snapshot and entries. */
export class MemoryStorage {
  hardState: HardState | null = null;
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];

  persist(ready: Ready): void {
    if (ready.snapshot !== null) {
      // An installed snapshot replaces the whole log.
      this.snapshot = ready.snapshot;
      this.entries = [];
    }
    const first = ready.entries[0];
    if (first !== undefined) {
      // Entries at or below the stored last index replace the stored suffix from there.
      this.entries = this.entries.filter((entry) => entry.index < first.index);
      const previousIndex = this.entries.at(-1)?.index ?? this.snapshot?.metadata.index ?? 0;
      assert.equal(first.index, previousIndex + 1, 'persisted entries must stay contiguous');
      this.entries.push(...ready.entries);
    }
    if (ready.hardState !== null) this.hardState = { ...ready.hardState };
  }

  compact(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.entries = this.entries.filter((entry) => entry.index > snapshot.metadata.index);
  }
}

export class SimulatedNode {
  raft: RaftNode;
  readonly storage = new MemoryStorage();
  /** The state machine: every applied entry, from the snapshot it was restored from onwards. */
  applied: AppliedRecord[] = [];
  /** What randomInt returns for election jitter (clamped below its bound). */
  jitterTicks = 0;
  /** Used instead of jitterTicks when set (the randomized test). */
  randomInt: ((maxExclusive: number) => number) | null = null;
  /** A Ready taken from the node and not yet carried out. */
  heldReady: Ready | null = null;
  /**
   * What a driver that writes only when Ready.mustSync says so (as the server does) would have on
   * disk, and the hard state it would keep for its next write; this driver writes every Ready, and
   * checks each Ready's mustSync against them (see expectedMustSync).
   */
  syncedHardState: HardState | null = null;
  unsyncedHardState: HardState | null = null;

  constructor(
    readonly id: NodeId,
    readonly options: NodeOptions,
    private readonly trace: (line: string) => void,
  ) {
    this.raft = this.createRaft();
  }

  createRaft(): RaftNode {
    const snapshot = this.storage.snapshot;
    this.syncedHardState = this.storage.hardState === null ? null : { ...this.storage.hardState };
    this.unsyncedHardState = null;
    this.applied = snapshot === null ? [] : decodeStateMachine(snapshot.data);
    return new RaftNode(
      {
        id: this.id,
        electionTimeoutTicks: this.options.electionTimeoutTicks,
        heartbeatIntervalTicks: this.options.heartbeatIntervalTicks,
        randomInt: (maxExclusive) =>
          this.randomInt === null
            ? Math.min(this.jitterTicks, maxExclusive - 1)
            : this.randomInt(maxExclusive),
        maxEntriesPerMessage: this.options.maxEntriesPerMessage,
        maxInflightMessages: this.options.maxInflightMessages,
        preVote: this.options.preVote,
        checkQuorum: this.options.checkQuorum,
        trace: this.trace,
        mode: this.options.mode,
        priorityNodeId: this.options.priorityNodeId,
        pairVoteWaitTicks: this.options.pairVoteWaitTicks,
        startupGraceTicks: this.options.startupGraceTicks,
        witnessNodeId: this.options.witnessNodeId,
        describeMergedEntry: this.options.describeMergedEntry,
      },
      {
        hardState: this.storage.hardState,
        snapshot: snapshot?.metadata ?? null,
        entries: [...this.storage.entries],
        configuration: this.options.configuration,
      },
    );
  }

  appliedIndex(): number {
    return this.applied.at(-1)?.index ?? this.storage.snapshot?.metadata.index ?? 0;
  }

  apply(ready: Ready): void {
    if (ready.snapshot !== null) {
      assert.ok(ready.snapshot.data.byteLength > 0, 'the sending driver fills in the snapshot data');
      this.applied = decodeStateMachine(ready.snapshot.data);
      assert.equal(this.appliedIndex(), ready.snapshot.metadata.index, 'the snapshot data covers its index');
    }
    for (const entry of ready.committedEntries) {
      assert.equal(entry.index, this.appliedIndex() + 1, `${this.id} applies entries in order, without gaps`);
      this.applied.push({
        index: entry.index,
        term: entry.term,
        kind: entry.kind,
        data: decoder.decode(entry.data),
      });
    }
  }
}

export class SimulatedCluster {
  readonly nodes = new Map<NodeId, SimulatedNode>();
  /** Messages sent and not yet delivered, in the order they were sent. */
  network: Message[] = [];
  readonly isolated = new Set<NodeId>();
  /** Directed links ("from->to") whose messages are lost. */
  readonly cutLinks = new Set<string>();
  /** Stopped nodes: they do not run, and messages to them are lost. */
  readonly down = new Set<NodeId>();
  /** Witness mode: witnesses, driven by SimulatedWitness (they have no Ready). */
  readonly witnesses = new Map<NodeId, SimulatedWitness>();

  constructor(private readonly trace: (line: string) => void = () => {}) {}

  addWitness(id: NodeId, config: Omit<WitnessConfig, 'id' | 'trace'>): SimulatedWitness {
    assert.ok(!this.nodes.has(id) && !this.witnesses.has(id), `node ${id} exists`);
    const witness = new SimulatedWitness(id, { ...config, id, trace: this.trace });
    this.witnesses.set(id, witness);
    return witness;
  }

  witness(id: NodeId): SimulatedWitness {
    const witness = this.witnesses.get(id);
    assert.ok(witness !== undefined, `no witness ${id}`);
    return witness;
  }

  addNode(id: NodeId, options: NodeOptions): SimulatedNode {
    assert.ok(!this.nodes.has(id), `node ${id} exists`);
    const node = new SimulatedNode(id, options, this.trace);
    this.nodes.set(id, node);
    return node;
  }

  node(id: NodeId): SimulatedNode {
    const node = this.nodes.get(id);
    assert.ok(node !== undefined, `no node ${id}`);
    return node;
  }

  /** Carries out one Ready: persist, send, apply, advance. Returns null when there is none. */
  processReady(id: NodeId): Ready | null {
    const ready = this.takeReady(id);
    if (ready !== null) this.finishReady(id);
    return ready;
  }

  /** Asks for a Ready and holds it, as a driver does while its write is in progress. */
  takeReady(id: NodeId): Ready | null {
    const node = this.node(id);
    assert.equal(node.heldReady, null, `${id} already holds a Ready`);
    if (!node.raft.hasReady()) return null;
    const ready = node.raft.ready();
    // Judged when the Ready is taken: inputs may change the node while its write is in progress.
    const mustSync = expectedMustSync(ready, node.syncedHardState, node.raft.committingAlone);
    assert.equal(ready.mustSync, mustSync, `${id}: mustSync of a Ready`);
    if (mustSync) {
      node.syncedHardState = ready.hardState ?? node.unsyncedHardState ?? node.syncedHardState;
      node.unsyncedHardState = null;
    } else if (ready.hardState !== null) {
      node.unsyncedHardState = ready.hardState;
    }
    node.heldReady = ready;
    return ready;
  }

  /** Carries out the held Ready: persist, send, apply, advance. */
  finishReady(id: NodeId): Ready {
    const node = this.node(id);
    const ready = node.heldReady;
    assert.ok(ready !== null, `${id} holds no Ready`);
    node.heldReady = null;
    if (ready.discardHistory) {
      // A backup whose solo entries the main merged starts over empty (see merge.ts).
      node.storage.entries = [];
      node.storage.snapshot = null;
      node.applied = [];
    }
    node.storage.persist(ready);
    for (const message of ready.messages) this.network.push(this.fillSnapshotData(node, message));
    node.apply(ready);
    node.raft.advance(ready);
    for (const offer of ready.mergeOffers) {
      // The state machine's merge command: the offered entries' data, in order.
      const merged = offer.entries.map((entry) => decoder.decode(entry.data)).join(',');
      try {
        node.raft.proposeMerge(offer, [encoder.encode(`merge(${offer.from}:${merged})`)]);
      } catch {
        // proposeMerge already released the offer; the backup offers it again.
      }
    }
    return ready;
  }

  /** Takes a Ready, persists it, and crashes before sending, applying or advancing. */
  persistAndCrash(id: NodeId): Ready | null {
    const ready = this.takeReady(id);
    if (ready === null) return null;
    this.node(id).storage.persist(ready);
    this.restart(id);
    return ready;
  }

  /** Loses everything not persisted, as a crash would, and starts again from storage. */
  restart(id: NodeId): void {
    const witness = this.witnesses.get(id);
    if (witness !== undefined) {
      witness.restart();
      return;
    }
    const node = this.node(id);
    node.heldReady = null;
    node.raft = node.createRaft();
  }

  /** The node stops (a crash or kill): whatever it did not persist is gone, and so are messages to it. */
  stop(id: NodeId): void {
    if (!this.witnesses.has(id)) this.node(id).heldReady = null;
    this.down.add(id);
    this.takeMessagesTo(id);
  }

  /** The node starts again from what it persisted. */
  start(id: NodeId): void {
    assert.ok(this.down.has(id), `${id} is not stopped`);
    this.down.delete(id);
    this.takeMessagesTo(id);
    this.restart(id);
  }

  /** Removes and returns the pending messages to id (that pass the filter), in send order. */
  takeMessagesTo(id: NodeId, filter: (message: Message) => boolean = () => true): Message[] {
    const picked = (message: Message) => message.to === id && filter(message);
    const taken = this.network.filter(picked);
    this.network = this.network.filter((message) => !picked(message));
    return taken;
  }

  /** Whether an isolation (or a missing recipient) loses the message. */
  isLost(message: Message): boolean {
    return (
      this.isolated.has(message.from) ||
      this.isolated.has(message.to) ||
      this.cutLinks.has(`${message.from}->${message.to}`) ||
      this.down.has(message.to) ||
      (!this.nodes.has(message.to) && !this.witnesses.has(message.to))
    );
  }

  /** Returns false when the message was lost. */
  deliver(message: Message): boolean {
    if (this.isLost(message)) return false;
    const witness = this.witnesses.get(message.to);
    if (witness !== undefined) {
      // The witness persists, then answers at once.
      this.network.push(...witness.deliver(message));
      return true;
    }
    this.node(message.to).raft.step(message);
    return true;
  }

  /** The driver took a snapshot of its state machine at index and compacted its log. */
  compact(id: NodeId, index: number): Snapshot {
    const node = this.node(id);
    const metadata = node.raft.snapshotMetadataAt(index);
    const snapshot: Snapshot = {
      metadata,
      data: encodeStateMachine(node.applied.filter((record) => record.index <= index)),
    };
    node.storage.compact(snapshot);
    node.raft.compact(metadata);
    return snapshot;
  }

  /** The core sends install_snapshot with empty data; the driver attaches its stored snapshot. */
  private fillSnapshotData(node: SimulatedNode, message: Message): Message {
    if (message.type !== 'install_snapshot') return message;
    const stored = node.storage.snapshot;
    assert.ok(stored !== null, 'a leader sends only a snapshot it has stored');
    assert.equal(
      stored.metadata.index,
      message.snapshot.metadata.index,
      'the stored snapshot is the one sent',
    );
    assert.equal(message.snapshot.data.byteLength, 0, 'the core leaves snapshot data to the driver');
    return { ...message, snapshot: { metadata: message.snapshot.metadata, data: stored.data } };
  }
}

/**
 * Ready.mustSync worked out the way a driver that skips commit-only writes must (the server's
 * replica did so before the core said it): against the hard state such a driver last wrote.
 */
function expectedMustSync(ready: Ready, written: HardState | null, committingAlone: boolean): boolean {
  if (ready.discardHistory || ready.entries.length > 0 || ready.snapshot !== null) return true;
  const hardState = ready.hardState;
  if (hardState === null) return false;
  return (
    written === null ||
    written.term !== hardState.term ||
    written.votedFor !== hardState.votedFor ||
    (committingAlone && written.commitIndex !== hardState.commitIndex)
  );
}

export function encodeStateMachine(records: AppliedRecord[]): Uint8Array {
  // A non-empty encoding even for an empty state machine, so "no data" is never mistaken for it.
  return encoder.encode(JSON.stringify({ applied: records }));
}

export function decodeStateMachine(data: Uint8Array): AppliedRecord[] {
  const parsed = JSON.parse(decoder.decode(data)) as { applied: AppliedRecord[] };
  return parsed.applied;
}

export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}
