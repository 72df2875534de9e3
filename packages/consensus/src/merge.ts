// Pair mode: ending a split brain by merging, not truncating.
//
// A clean cut between main and backup while workstations reach both can leave each node leading
// alone and committing entries the other lacks. When they meet again, main's history stands:
// - if the backup holds the higher term, the main finds that the leader's log contradicts its
//   committed log and takes its next owned term and leads at once, without a vote (nobody else can
//   lead a term the main owns);
// - the backup, now following a main whose log contradicts its committed log, offers the main the
//   entries of its latest solo stretch (everything after the last configuration entry that still
//   had the main in its in-sync set), in batches;
// - the main hands each batch to its driver (Ready.mergeOffers), which proposes one ledger merge
//   command (deduplicated by request id there); once that entry commits, the main answers the
//   backup's next offer with how far the stretch is merged;
// - when the whole stretch is merged, the backup discards its history (Ready.discardHistory) and
//   catches up from the main like a new node.
// The configuration entries that took the main out of the backup's in-sync set are the persisted
// record of when the backup went solo, so the stretch is known exactly.
import assert from 'node:assert/strict';
import type { NodeView } from './node-view.js';
import type {
  AppendEntriesResponseMessage,
  Configuration,
  DivergenceStatus,
  Entry,
  MergeOffer,
  MergeOfferMessage,
  MergeOfferResponseMessage,
  NodeId,
} from './types.js';

/** At most this many log entries in one offer (the ledger takes at most 1,000 per merge command). */
export const MAX_ENTRIES_PER_MERGE_OFFER = 1000;
/**
 * Offer bytes stop here (but at least one entry), so that the merge entry built from one offer
 * stays well within the largest entry the log takes (1 MiB by default).
 */
export const MAX_BYTES_PER_MERGE_OFFER = 512 * 1024;

/** The backup's side: which part of its solo stretch the main has merged. */
export class MergeSource {
  /** Every entry of the stretch up to here is merged on the main (stretchStartIndex - 1: none). */
  mergedThroughIndex: number;
  private lastOfferTick: number | null = null;

  /**
   * stretchStartIndex: the first index the main may lack. throughIndex: the backup's commit index
   * when the divergence was found; the stretch ends there (nothing commits while it follows a main
   * it contradicts).
   */
  constructor(
    readonly leaderId: NodeId,
    readonly stretchStartIndex: number,
    readonly throughIndex: number,
  ) {
    assert.ok(stretchStartIndex >= 1, `bad stretch start ${stretchStartIndex}`);
    this.mergedThroughIndex = stretchStartIndex - 1;
  }

  get complete(): boolean {
    return this.mergedThroughIndex >= this.throughIndex;
  }

  /** Whether an offer is due: the first one at once, then one per retry interval. */
  offerDue(nowTick: number, retryTicks: number): boolean {
    return this.lastOfferTick === null || nowTick - this.lastOfferTick >= retryTicks;
  }

  /** The next offer's range, or null when the stretch is merged. */
  nextRange(firstAvailableIndex: number): { firstIndex: number; incomplete: boolean } | null {
    if (this.complete) return null;
    const wanted = this.mergedThroughIndex + 1;
    return { firstIndex: Math.max(wanted, firstAvailableIndex), incomplete: wanted < firstAvailableIndex };
  }

  offered(nowTick: number): void {
    this.lastOfferTick = nowTick;
  }

  /** The main's answer; returns whether it moved the merged point (then offer the next batch). */
  answered(mergedThroughIndex: number): boolean {
    if (mergedThroughIndex <= this.mergedThroughIndex) return false;
    this.mergedThroughIndex = Math.min(mergedThroughIndex, this.throughIndex);
    this.lastOfferTick = null;
    return true;
  }
}

/** The entries of one offer: consecutive, bounded by count and bytes, at least one. */
export function offerEntries(
  entryAt: (index: number) => Entry,
  firstIndex: number,
  lastIndex: number,
): Entry[] {
  assert.ok(firstIndex <= lastIndex, `empty offer ${firstIndex}..${lastIndex}`);
  const entries: Entry[] = [];
  let bytes = 0;
  for (
    let index = firstIndex;
    index <= lastIndex && entries.length < MAX_ENTRIES_PER_MERGE_OFFER;
    index += 1
  ) {
    const entry = entryAt(index);
    if (entries.length > 0 && bytes + entry.data.byteLength > MAX_BYTES_PER_MERGE_OFFER) break;
    bytes += entry.data.byteLength;
    entries.push(entry);
  }
  return entries;
}

interface SinkProgress {
  stretchStartIndex: number;
  /** Merged and committed on this node. */
  mergedThroughIndex: number;
  /** Handed to the driver or proposed, not yet committed. */
  pending: { throughIndex: number; proposalIndex: number | null } | null;
}

/**
 * The main's side, while it leads: per backup, how far its stretch is merged. Volatile: after a
 * restart or a new term the backup offers the stretch again, and the ledger's deduplication by
 * request id makes the repeated merge change nothing.
 */
export class MergeSink {
  private readonly peers = new Map<NodeId, SinkProgress>();

  clear(): void {
    this.peers.clear();
  }

  /**
   * An offer arrived. Returns the batch for the driver (or null when it is already merged or a
   * batch is in progress) and the answer to send now.
   */
  received(
    message: MergeOfferMessage,
    alreadyHeld: (entry: Entry) => boolean,
  ): { offer: MergeOffer | null; mergedThroughIndex: number } {
    let progress = this.peers.get(message.from);
    if (progress === undefined || progress.stretchStartIndex !== message.stretchStartIndex) {
      progress = {
        stretchStartIndex: message.stretchStartIndex,
        mergedThroughIndex: message.stretchStartIndex - 1,
        pending: null,
      };
      this.peers.set(message.from, progress);
    }
    // A backup offers past what this node remembers merging only because this node said so before
    // (it restarted since, or led another term): the earlier part is in a committed merge entry.
    if (message.firstIndex > progress.mergedThroughIndex + 1)
      progress.mergedThroughIndex = message.firstIndex - 1;
    const answer = progress.mergedThroughIndex;
    if (progress.pending !== null || message.throughIndex <= progress.mergedThroughIndex) {
      return { offer: null, mergedThroughIndex: answer };
    }
    const sourceTerms = [...new Set(message.entries.map((entry) => entry.term))].sort((a, b) => a - b);
    progress.pending = { throughIndex: message.throughIndex, proposalIndex: null };
    return {
      offer: {
        from: message.from,
        stretchStartIndex: message.stretchStartIndex,
        firstIndex: message.firstIndex,
        throughIndex: message.throughIndex,
        // An entry with the same index and term in this node's log is the same entry (a term has
        // one leader): this node holds it already.
        entries: message.entries.filter((entry) => entry.kind === 'normal' && !alreadyHeld(entry)),
        sourceTerms,
        incomplete: message.incomplete,
      },
      mergedThroughIndex: answer,
    };
  }

  /** The driver proposed the batch as the entry at proposalIndex. */
  proposed(offer: MergeOffer, proposalIndex: number): void {
    const progress = this.peers.get(offer.from);
    assert.ok(
      progress?.pending?.throughIndex === offer.throughIndex,
      'proposed a merge that was not offered',
    );
    progress.pending.proposalIndex = proposalIndex;
  }

  /** The driver could not propose the batch (not leader any more, back-pressure): offer again. */
  dropped(offer: MergeOffer): void {
    const progress = this.peers.get(offer.from);
    if (progress?.pending?.throughIndex === offer.throughIndex) progress.pending = null;
  }

  /** The commit index moved; returns how many batches completed. */
  committed(commitIndex: number): number {
    let completed = 0;
    for (const progress of this.peers.values()) {
      const pending = progress.pending;
      if (pending === null || pending.proposalIndex === null || pending.proposalIndex > commitIndex) continue;
      progress.mergedThroughIndex = pending.throughIndex;
      progress.pending = null;
      completed += 1;
    }
    return completed;
  }
}

/** What the split-brain merge needs from its node. */
export interface MergeHost extends NodeView {
  /** Pair mode: the main; null in other modes or without one (then nothing is ever merged). */
  readonly mainId: NodeId | null;
  readonly heartbeatIntervalTicks: number;
  /** See RaftConfig.describeMergedEntry. */
  readonly describeMergedEntry: ((entry: Entry) => Uint8Array) | null;
  /** The configuration used when neither the log nor the snapshot holds one. */
  readonly baseConfiguration: Configuration;
  /** The main, diverged from a backup that leads: take the next owned term and lead at once. */
  leadToEndSplitBrain(backup: NodeId): void;
}

/**
 * Both sides of ending a split brain, for one node: the follower that finds a leader's log
 * contradicting its committed entries (divergence), the backup that offers its solo stretch, and the
 * main that merges it while it leads.
 */
export class SplitBrainMerge {
  /** Set when a leader's log contradicts our committed entries. */
  private divergence: DivergenceStatus | null = null;
  /** On a backup following a main it contradicts: its solo stretch being merged. */
  private source: MergeSource | null = null;
  /** On the main while it leads: how far each backup's stretch is merged. */
  private readonly sink = new MergeSink();
  /** Offers waiting for the driver (Ready.mergeOffers); bounded by one batch per peer. */
  private pendingOffers: MergeOffer[] = [];
  /** Set when the whole stretch is merged: the next Ready discards this node's history. */
  private discardDue = false;
  private completedCount = 0;

  constructor(private readonly host: MergeHost) {}

  /** Whether the next Ready has merge offers for the driver, or must discard the history. */
  get hasReadyWork(): boolean {
    return this.pendingOffers.length > 0 || this.discardDue;
  }

  get discardHistoryDue(): boolean {
    return this.discardDue;
  }

  get mergesCompleted(): number {
    return this.completedCount;
  }

  divergenceStatus(): DivergenceStatus | null {
    return this.divergence === null ? null : { ...this.divergence };
  }

  /** The offers for the next Ready; they are the driver's from now on. */
  takeOffers(): MergeOffer[] {
    const offers = this.pendingOffers;
    this.pendingOffers = [];
    return offers;
  }

  isDivergedFrom(leader: NodeId): boolean {
    return this.divergence?.leaderId === leader && this.divergence.term === this.host.term();
  }

  // -------------------------------------------------------------------------------------------
  // The follower's side: a leader's log that contradicts our committed entries.

  /** The first index at or below the commit index where the message contradicts our log, if any. */
  committedConflict(prevLogIndex: number, prevLogTerm: number, entries: Entry[]): number | null {
    const log = this.host.log();
    const commitIndex = log.commitIndex;
    const contradicts = (index: number, term: number): boolean => {
      const ours = log.term(index);
      if (ours !== undefined) return ours !== term;
      // Compacted into our snapshot: the term there is unknown, but no higher than the snapshot's
      // (terms never fall along a log), so an entry of a later term there is not ours. Without this
      // a main whose snapshot covered a backup's solo entries acknowledged them unseen, was taken
      // back into the in-sync set, and the backup's solo stretch was never merged (simulation seed
      // 1841 of the drain branch, pair mode with flaps).
      return index < log.snapshotIndex && term > log.snapshotTerm;
    };
    if (prevLogIndex <= commitIndex && contradicts(prevLogIndex, prevLogTerm)) return prevLogIndex;
    for (const entry of entries) {
      if (entry.index > commitIndex) break;
      if (contradicts(entry.index, entry.term)) return entry.index;
    }
    return null;
  }

  /**
   * The first of our committed entries a leader's snapshot ending at index/term contradicts, if
   * any: the entry at its index itself, or any entry up to there of a later term than the
   * snapshot's (terms never fall along a log, so the snapshot cannot hold it). The second matters
   * when the snapshot reaches past our commit index: a main that led alone to a later index, then
   * sent its snapshot, overwrote a backup's solo entries unmerged (simulation seed 1841 of the
   * drain branch).
   */
  snapshotConflict(index: number, term: number): number | null {
    const log = this.host.log();
    const upTo = Math.min(index, log.commitIndex);
    const ours = log.term(upTo);
    if (upTo === index && ours !== undefined && ours !== term) return index;
    if (ours === undefined || ours <= term) return null;
    // Our terms rise along the log: find the first index known here whose term is above the
    // snapshot's (the snapshot's own index, when even that is).
    let low = log.snapshotIndex;
    let high = upTo;
    if ((log.term(low) ?? 0) > term) return low;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if ((log.term(middle) as number) > term) high = middle;
      else low = middle;
    }
    return high;
  }

  /**
   * Why a leader's log cannot really contradict our committed entry at index, or null when it can.
   * Both logs can hold different committed entries only after a split brain: some entry from index
   * up to our commit index must have committed while the peer was out of the in-sync set. Had the
   * peer been in the set all along, it held every one of those entries, and a leader's log that
   * contradicts them is a bug or a forgery, not a history to merge.
   */
  impossibleDivergence(peer: NodeId, index: number): string | null {
    const log = this.host.log();
    const commitIndex = log.commitIndex;
    const from = Math.max(index - 1, log.snapshotIndex);
    const spans = log.configurationSpans(from, this.host.baseConfiguration);
    // An index compacted into our snapshot: of the entries from there, only the snapshot's own
    // is known, and it committed under the snapshot's configuration (the first span's).
    const compacted = index <= log.snapshotIndex;
    const solo = spans.some(
      (span, position) =>
        (position === 0 && compacted ? log.snapshotIndex : span.firstIndex) <= commitIndex &&
        !span.configuration.inSync.includes(peer),
    );
    if (solo) return null;
    return `it contradicts our committed entry ${index}, which ${peer} holds (it was in the in-sync set through ${commitIndex})`;
  }

  /** A leader already found to contradict our committed log gets refusals only. */
  refuseDivergedLeader(leader: NodeId): boolean {
    if (!this.isDivergedFrom(leader)) return false;
    this.refuseAppends(leader);
    this.maybeOffer();
    return true;
  }

  /** The leader's appends contradict our committed entry at index: refuse them, then merge. */
  appendsDiverged(leader: NodeId, index: number): void {
    this.divergence = { index, leaderId: leader, term: this.host.term() };
    this.host.trace(
      `diverged from leader ${leader} at term ${this.host.term()}: its log contradicts our committed entry ${index}; refusing its appends`,
    );
    this.refuseAppends(leader);
    this.start(leader);
  }

  /** The leader's snapshot contradicts our committed entry at index: merge. */
  snapshotDiverged(leader: NodeId, index: number): void {
    this.divergence = { index, leaderId: leader, term: this.host.term() };
    this.host.trace(
      `diverged from leader ${leader} at term ${this.host.term()}: its snapshot contradicts our committed entry ${index}`,
    );
    this.start(leader);
  }

  /** A refusal without a conflict index: the leader learns nothing from it and sends no more. */
  refuseAppends(leader: NodeId): void {
    this.host.send<AppendEntriesResponseMessage>(leader, {
      type: 'append_entries_response',
      success: false,
      matchIndex: 0,
      conflictIndex: 0,
      conflictTerm: 0,
    });
  }

  /** A leader's log contradicts our committed log: both nodes led alone. */
  private start(leader: NodeId): void {
    const { host } = this;
    if (host.mainId === null) return;
    if (host.id === host.mainId) {
      // The main's history stands whatever the backup did alone, so the main does not wait for a
      // vote (a one-way loss could withhold it while the backup serves a history without the
      // main's solo entries): it takes the next term it owns and leads at once. Nobody else can
      // lead that term: the backup wins only terms it owns, or with the main's vote.
      host.leadToEndSplitBrain(leader);
      return;
    }
    if (leader !== host.mainId) return;
    const commitIndex = host.log().commitIndex;
    const stretchStartIndex = this.soloStretchStartIndex();
    this.source = new MergeSource(leader, stretchStartIndex, commitIndex);
    host.trace(`offers ${leader} its solo entries ${stretchStartIndex}..${commitIndex} for merging`);
    this.maybeOffer();
  }

  // -------------------------------------------------------------------------------------------
  // The backup's side: offering its solo stretch.

  /**
   * The first index the peer may lack: just after the latest configuration entry that still had
   * the peer in the in-sync set. That entry committed with the peer's acknowledgement, so the peer
   * holds everything up to it; after it, this node may have committed entries alone, including
   * entries appended before the configuration entry that removed the peer (they commit with it).
   * When no such entry is left in the log, the snapshot (or the initial configuration) tells
   * whether the stretch began before the snapshot: then it starts at 1 and offers are incomplete.
   * The stretch may hold entries the peer has too; the main skips those (same index and term).
   */
  private soloStretchStartIndex(): number {
    const { host } = this;
    const log = host.log();
    const peer = host.configuration().voters.find((id) => id !== host.id);
    assert.ok(peer !== undefined, 'a solo stretch is measured against the peer');
    const index = log.lastConfigurationIndexWithInSync(peer);
    if (index !== null) return index + 1;
    const before = log.snapshot()?.configuration ?? host.baseConfiguration;
    return before.inSync.includes(peer) ? log.firstIndex() : 1;
  }

  /** On every tick: a backup with a stretch to merge offers the next batch when one is due. */
  tick(): void {
    if (this.source !== null) this.maybeOffer();
  }

  private maybeOffer(): void {
    const { host } = this;
    const source = this.source;
    if (source === null || this.discardDue) return;
    if (!this.isDivergedFrom(source.leaderId) && host.leaderId() !== source.leaderId) return;
    if (source.complete) {
      host.trace(`the main merged every solo entry through ${source.throughIndex}; discarding its history`);
      this.discardDue = true;
      return;
    }
    const nowTick = host.nowTick();
    if (!source.offerDue(nowTick, host.heartbeatIntervalTicks)) return;
    const log = host.log();
    const range = source.nextRange(log.firstIndex());
    if (range === null) return;
    if (range.firstIndex > source.throughIndex) {
      host.trace(
        `cannot offer entries ${source.mergedThroughIndex + 1}..${source.throughIndex}: compacted into the snapshot`,
      );
      source.answered(source.throughIndex);
      this.discardDue = true;
      return;
    }
    // Only entries the driver has applied are offered. The driver describes each one with its
    // state machine's answer (describeMergedEntry), and an entry committed but not applied yet has
    // no answer: the main would then take it as granted, although this node may still refuse it
    // when it applies it and tell the client so (a usage report over its quota counted on the main
    // while the workstation was told it was refused). The rest is offered on a later tick.
    const lastAppliedIndex = Math.min(source.throughIndex, log.appliedIndex);
    if (range.firstIndex > lastAppliedIndex) return;
    const logEntries = offerEntries((index) => log.entry(index), range.firstIndex, lastAppliedIndex);
    const describe = host.describeMergedEntry;
    const entries =
      describe === null
        ? logEntries
        : logEntries.map((entry) => (entry.kind === 'normal' ? { ...entry, data: describe(entry) } : entry));
    const last = entries.at(-1);
    assert.ok(last !== undefined, 'an offer holds at least one entry');
    source.offered(nowTick);
    host.send<MergeOfferMessage>(source.leaderId, {
      type: 'merge_offer',
      stretchStartIndex: source.stretchStartIndex,
      entries,
      firstIndex: range.firstIndex,
      throughIndex: last.index,
      incomplete: range.incomplete,
    });
  }

  /** The main's answer to an offer. */
  offerAnswered(message: MergeOfferResponseMessage): void {
    const source = this.source;
    if (source === null || message.from !== source.leaderId) return;
    if (message.stretchStartIndex !== source.stretchStartIndex) return;
    if (source.answered(message.mergedThroughIndex)) {
      this.host.trace(
        `the main ${message.from} merged our solo entries through ${source.mergedThroughIndex}`,
      );
    }
    this.maybeOffer();
  }

  /** The node discarded its history (Ready.discardHistory): it starts over, diverged from no one. */
  historyDiscarded(): void {
    assert.ok(this.source?.complete === true, 'history is discarded only after a complete merge');
    this.divergence = null;
    this.source = null;
    this.discardDue = false;
    this.completedCount += 1;
  }

  /** See RaftStatus.mergeRetentionIndex. */
  retentionIndex(): number | null {
    if (this.host.mainId === null) return null;
    if (this.source !== null) return this.source.mergedThroughIndex + 1;
    // Either side may be asked to compare its log with the other's after a split brain: the backup
    // offers its stretch, and the main checks offered entries against its own (and a follower
    // checks appends against its committed entries), so neither compacts past the last point both
    // are known to share while its peer is out of its in-sync set.
    const { host } = this;
    const configuration = host.configuration();
    const peer = configuration.voters.find((id) => id !== host.id);
    if (peer === undefined || configuration.inSync.includes(peer)) return null;
    return this.soloStretchStartIndex();
  }

  // -------------------------------------------------------------------------------------------
  // The main's side, while it leads: merging what a backup offers.

  /** Whatever this node diverged from, its own log is now the one that stands. */
  wonLeadership(): void {
    this.divergence = null;
    this.source = null;
  }

  /** A new role: what the main was merging is offered again to whoever leads next. */
  roleChanged(): void {
    this.sink.clear();
    this.pendingOffers = [];
  }

  offerReceived(message: MergeOfferMessage): void {
    const { host } = this;
    if (host.role() !== 'leader' || host.id !== host.mainId) {
      // Only the main merges, and only while it leads; the backup offers again later.
      this.answerOffer(message, 0);
      return;
    }
    if (host.configuration().inSync.includes(message.from)) {
      // A backup in the in-sync set acknowledged every entry this node committed since it was
      // added back, and a diverged one is never added back before it discarded its history: it has
      // no solo entries to offer. Merging anyway would apply whatever the offer says.
      host.refuse(
        'merge_offer',
        `refused merge_offer from ${message.from} at term ${message.term}: ${message.from} is in the in-sync set`,
      );
      this.answerOffer(message, 0);
      return;
    }
    const log = host.log();
    const { offer, mergedThroughIndex } = this.sink.received(
      message,
      (entry) => log.term(entry.index) === entry.term,
    );
    if (offer !== null) {
      this.pendingOffers.push(offer);
      host.trace(
        `received ${message.from}'s solo entries ${message.firstIndex}..${message.throughIndex} to merge${message.incomplete ? ' (some were compacted away)' : ''}`,
      );
    }
    this.answerOffer(message, mergedThroughIndex);
  }

  answerOffer(message: MergeOfferMessage, mergedThroughIndex: number): void {
    this.host.send<MergeOfferResponseMessage>(message.from, {
      type: 'merge_offer_response',
      stretchStartIndex: message.stretchStartIndex,
      mergedThroughIndex,
    });
  }

  /** The driver proposed an offer as the entry at proposalIndex. */
  offerProposed(offer: MergeOffer, proposalIndex: number): void {
    this.sink.proposed(offer, proposalIndex);
  }

  /** The driver could not propose an offer: the backup offers it again. */
  offerDropped(offer: MergeOffer): void {
    this.sink.dropped(offer);
  }

  /** The commit index moved on the leader: merges whose entry committed are complete. */
  committed(commitIndex: number): void {
    this.completedCount += this.sink.committed(commitIndex);
  }
}
