// Pair mode: ending a split brain by merging, not truncating.
//
// A clean cut between main and backup while workstations reach both can leave each node leading
// alone and committing entries the other lacks. When they meet again, main's history stands:
// - if the backup holds the higher term, the main finds that the leader's log contradicts its
//   committed log and campaigns at once with a merge vote, which the backup grants;
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
import type { Entry, MergeOffer, MergeOfferMessage, NodeId } from './types.js';

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
