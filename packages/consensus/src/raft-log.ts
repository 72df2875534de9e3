// The in-memory log of one node: the entries after its last snapshot, split into stable entries
// (the driver has persisted them, confirmed through advance()) and unstable ones (handed out or
// about to be handed out in Ready.entries). It also holds the commit and applied indices.
import assert from 'node:assert/strict';
import type { ConfigurationSpan } from './commit-rule.js';
import { decodeConfiguration, sameMembers } from './configuration.js';
import type { Configuration, Entry, Snapshot, SnapshotMetadata } from './types.js';

export interface AppendResult {
  /** The index of the last entry the message covered: the log matches the leader's up to here. */
  lastNewIndex: number;
  /** Set when a conflicting suffix was removed: the first index that was replaced. */
  truncatedFrom: number | null;
  /** Whether any entry added was a configuration entry. */
  appendedConfiguration: boolean;
}

export interface ConflictHint {
  conflictIndex: number;
  conflictTerm: number;
}

export class RaftLog {
  private snapshotMetadata: SnapshotMetadata | null;
  /** entries[i].index === snapshotIndex + 1 + i. */
  private readonly log: Entry[] = [];
  /** The indices of the configuration entries in the log, increasing, with their decoded form. */
  private readonly configurations: { index: number; configuration: Configuration }[] = [];
  /** The first index not yet confirmed durable by the driver. */
  private unstableOffset: number;
  /** A snapshot received from the leader that the driver has not yet persisted and applied. */
  private pendingSnapshot: Snapshot | null = null;
  private commit: number;
  private applied: number;

  constructor(
    snapshot: SnapshotMetadata | null,
    entries: Entry[],
    commitIndex: number,
    appliedIndex: number,
  ) {
    this.snapshotMetadata = snapshot;
    const snapshotIndex = snapshot?.index ?? 0;
    let previous = { index: snapshotIndex, term: snapshot?.term ?? 0 };
    for (const entry of entries) {
      assertFollows(previous, entry);
      previous = entry;
      this.push(entry);
    }
    this.unstableOffset = this.lastIndex() + 1;
    this.commit = Math.max(commitIndex, snapshotIndex);
    this.applied = Math.max(appliedIndex, snapshotIndex);
    assert.ok(
      this.commit <= this.lastIndex(),
      `commit index ${this.commit} beyond last index ${this.lastIndex()}`,
    );
    assert.ok(
      this.applied <= this.commit,
      `applied index ${this.applied} beyond commit index ${this.commit}`,
    );
  }

  get commitIndex(): number {
    return this.commit;
  }

  get appliedIndex(): number {
    return this.applied;
  }

  get snapshotIndex(): number {
    return this.snapshotMetadata?.index ?? 0;
  }

  get snapshotTerm(): number {
    return this.snapshotMetadata?.term ?? 0;
  }

  snapshot(): SnapshotMetadata | null {
    return this.snapshotMetadata;
  }

  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  lastIndex(): number {
    return this.snapshotIndex + this.log.length;
  }

  lastTerm(): number {
    return this.log.at(-1)?.term ?? this.snapshotTerm;
  }

  /** The term of the entry at index; undefined when it is compacted away or not yet written. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex()) return undefined;
    return this.log[index - this.snapshotIndex - 1]?.term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Raft's election restriction: a log at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourLastTerm = this.lastTerm();
    return lastTerm > ourLastTerm || (lastTerm === ourLastTerm && lastIndex >= this.lastIndex());
  }

  entry(index: number): Entry {
    const entry = this.log[index - this.snapshotIndex - 1];
    assert.ok(entry !== undefined && index > this.snapshotIndex, `entry ${index} is not in the log`);
    return entry;
  }

  /** Entries first..last inclusive, cut after maxCount entries or maxBytes of data (but at least one). */
  slice(
    first: number,
    last: number,
    maxCount = Number.POSITIVE_INFINITY,
    maxBytes = Number.POSITIVE_INFINITY,
  ): Entry[] {
    assert.ok(
      first > this.snapshotIndex,
      `entries from ${first} are compacted (snapshot at ${this.snapshotIndex})`,
    );
    assert.ok(
      last <= this.lastIndex(),
      `entries up to ${last} are beyond the last index ${this.lastIndex()}`,
    );
    const result: Entry[] = [];
    let bytes = 0;
    for (let index = first; index <= last && result.length < maxCount; index += 1) {
      const entry = this.entry(index);
      bytes += entry.data.byteLength;
      if (result.length > 0 && bytes > maxBytes) break;
      result.push(entry);
    }
    return result;
  }

  /** The leader appends its own new entries at the end. */
  append(entries: Entry[]): void {
    let previous = { index: this.lastIndex(), term: this.lastTerm() };
    for (const entry of entries) {
      assertFollows(previous, entry);
      previous = entry;
      this.push(entry);
    }
  }

  private push(entry: Entry): void {
    // Decoding here also rejects a malformed configuration entry before it enters the log.
    if (entry.kind === 'configuration') {
      this.configurations.push({ index: entry.index, configuration: decodeConfiguration(entry.data) });
    }
    this.log.push(entry);
  }

  private dropConfigurationsFrom(index: number): void {
    while ((this.configurations.at(-1)?.index ?? 0) >= index) this.configurations.pop();
  }

  /**
   * A follower's side of append_entries: null when the log does not hold prevIndex at prevTerm.
   * Otherwise entries that are already present are kept, and the first conflicting entry and
   * everything after it are replaced (never a committed one).
   */
  maybeAppend(prevIndex: number, prevTerm: number, entries: Entry[]): AppendResult | null {
    assert.ok(prevIndex >= this.commit, 'a follower answers appends below its commit index without matching');
    if (!this.matchTerm(prevIndex, prevTerm)) return null;
    let previous = { index: prevIndex, term: prevTerm };
    for (const entry of entries) {
      assertFollows(previous, entry);
      previous = entry;
    }
    const conflictPosition = entries.findIndex((entry) => !this.matchTerm(entry.index, entry.term));
    let truncatedFrom: number | null = null;
    let appendedConfiguration = false;
    if (conflictPosition >= 0) {
      const conflictIndex = prevIndex + 1 + conflictPosition;
      assert.ok(
        conflictIndex > this.commit,
        `entry ${conflictIndex} conflicts but is committed (${this.commit})`,
      );
      if (conflictIndex <= this.lastIndex()) {
        truncatedFrom = conflictIndex;
        this.log.length = conflictIndex - this.firstIndex();
        this.dropConfigurationsFrom(conflictIndex);
        this.unstableOffset = Math.min(this.unstableOffset, conflictIndex);
      }
      const added = entries.slice(conflictPosition);
      appendedConfiguration = added.some((entry) => entry.kind === 'configuration');
      this.append(added);
    }
    return { lastNewIndex: prevIndex + entries.length, truncatedFrom, appendedConfiguration };
  }

  /** Where a follower's log diverges from an append at prevIndex that did not match. */
  conflictHint(prevIndex: number): ConflictHint {
    if (prevIndex > this.lastIndex()) return { conflictIndex: this.lastIndex() + 1, conflictTerm: 0 };
    const conflictTerm = this.term(prevIndex);
    assert.ok(
      conflictTerm !== undefined,
      `no term at ${prevIndex}: appends below the commit index always match`,
    );
    // Skip back over the whole conflicting term, but never into the committed prefix.
    const floor = Math.max(this.commit, this.snapshotIndex) + 1;
    let conflictIndex = prevIndex;
    while (conflictIndex > floor && this.term(conflictIndex - 1) === conflictTerm) conflictIndex -= 1;
    return { conflictIndex, conflictTerm };
  }

  /** The leader's side of a hint: its last index at term, at or below atMost, if it has that term. */
  lastIndexOfTerm(term: number, atMost: number): number | undefined {
    let index = Math.min(atMost, this.lastIndex());
    while (index > this.snapshotIndex && (this.term(index) ?? 0) > term) index -= 1;
    return this.term(index) === term ? index : undefined;
  }

  commitTo(index: number): boolean {
    assert.ok(index <= this.lastIndex(), `cannot commit ${index} beyond the last index ${this.lastIndex()}`);
    if (index <= this.commit) return false;
    this.commit = index;
    return true;
  }

  hasUnstableEntries(): boolean {
    return this.unstableOffset <= this.lastIndex();
  }

  unstableEntries(): Entry[] {
    return this.log.slice(this.unstableOffset - this.firstIndex());
  }

  /**
   * The driver persisted these entries. If the log was truncated meanwhile, only those still in
   * the log are stable: by Log Matching, the last one that still matches vouches for all before it.
   */
  stableTo(persisted: Entry[]): void {
    for (let position = persisted.length - 1; position >= 0; position -= 1) {
      const entry = persisted[position];
      if (entry !== undefined && this.matchTerm(entry.index, entry.term)) {
        this.unstableOffset = Math.max(this.unstableOffset, entry.index + 1);
        return;
      }
    }
  }

  /** The highest index confirmed durable here: nothing while a received snapshot is unpersisted. */
  durableLastIndex(): number {
    return this.pendingSnapshot === null ? this.unstableOffset - 1 : 0;
  }

  unstableSnapshot(): Snapshot | null {
    return this.pendingSnapshot;
  }

  snapshotStable(snapshot: Snapshot): void {
    if (this.pendingSnapshot === snapshot) this.pendingSnapshot = null;
  }

  hasNextCommittedEntries(): boolean {
    return this.nextApplyIndex() <= this.commit;
  }

  /** Committed entries not yet applied, after any pending snapshot, at most maxCount of them. */
  nextCommittedEntries(maxCount: number): Entry[] {
    const first = this.nextApplyIndex();
    const last = Math.min(this.commit, first + maxCount - 1);
    return first > last ? [] : this.slice(first, last);
  }

  appliedTo(index: number): void {
    assert.ok(index <= this.commit, `cannot apply ${index} beyond the commit index ${this.commit}`);
    assert.ok(index >= this.applied, `applied index going back from ${this.applied} to ${index}`);
    this.applied = index;
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    const { metadata } = snapshot;
    assert.ok(metadata.index > this.commit, 'a snapshot at or below the commit index is never restored');
    this.snapshotMetadata = metadata;
    this.log.length = 0;
    this.configurations.length = 0;
    this.unstableOffset = metadata.index + 1;
    this.commit = metadata.index;
    this.pendingSnapshot = snapshot;
  }

  /** Drops entries up to metadata.index, which the driver has captured in a snapshot. */
  compact(metadata: SnapshotMetadata): void {
    assert.equal(this.pendingSnapshot, null, 'cannot compact while a received snapshot is unpersisted');
    assert.ok(
      metadata.index >= this.snapshotIndex,
      `snapshot ${metadata.index} is older than ${this.snapshotIndex}`,
    );
    assert.ok(metadata.index <= this.applied, `cannot compact past the applied index ${this.applied}`);
    assert.ok(metadata.index < this.unstableOffset, 'cannot compact entries that are not durable');
    assert.equal(
      metadata.term,
      this.term(metadata.index),
      `snapshot term ${metadata.term} differs from the log's`,
    );
    this.log.splice(0, metadata.index - this.snapshotIndex);
    // The snapshot's configuration stands for the ones it covers.
    const kept = this.configurations.filter((change) => change.index > metadata.index);
    this.configurations.splice(0, this.configurations.length, ...kept);
    this.snapshotMetadata = metadata;
  }

  /** The index of the newest configuration entry in the log; 0 when there is none after the snapshot. */
  /**
   * The index of the latest configuration entry still in the log that put id in the in-sync set
   * (one that only changed the drained nodes does not count), or null when there is none (never,
   * or compacted away).
   */
  lastConfigurationIndexWithInSync(id: string): number | null {
    for (let position = this.configurations.length - 1; position >= 0; position -= 1) {
      const change = this.configurations[position];
      if (change === undefined || !change.configuration.inSync.includes(id)) continue;
      // A configuration that changes only the drained nodes copies the in-sync set it follows:
      // it says nothing of what id acknowledged, and entries before it may have been committed
      // without id (a merge's solo stretch must still include them). The entry that put id in the
      // set counts, or the earliest of the run when the log holds no configuration before it.
      const previous =
        this.configurations[position - 1]?.configuration ?? this.snapshotMetadata?.configuration;
      if (previous !== undefined && sameMembers(previous.inSync, change.configuration.inSync)) {
        if (position === 0) return null;
        continue;
      }
      return change.index;
    }
    return null;
  }

  lastConfigurationIndex(): number {
    return this.configurations.at(-1)?.index ?? 0;
  }

  /** The configuration in effect at index: the latest configuration entry at or before it. */
  configurationAt(index: number, base: Configuration): Configuration {
    assert.ok(index >= this.snapshotIndex && index <= this.lastIndex(), `index ${index} is not in the log`);
    for (let position = this.configurations.length - 1; position >= 0; position -= 1) {
      const change = this.configurations[position];
      if (change !== undefined && change.index <= index) return change.configuration;
    }
    return this.snapshotMetadata?.configuration ?? base;
  }

  /** The configurations governing afterIndex + 1 .. lastIndex, for the commit rule. */
  configurationSpans(afterIndex: number, base: Configuration): ConfigurationSpan[] {
    const spans: ConfigurationSpan[] = [
      { firstIndex: afterIndex + 1, configuration: this.configurationAt(afterIndex, base) },
    ];
    for (const change of this.configurations) {
      if (change.index > afterIndex)
        spans.push({ firstIndex: change.index, configuration: change.configuration });
    }
    return spans;
  }

  /** Checks the log's structure end to end (for tests and after restarts: O(entries)). */
  assertWellFormed(currentTerm: number): void {
    let previous = { index: this.snapshotIndex, term: this.snapshotTerm };
    for (const entry of this.log) {
      assertFollows(previous, entry);
      previous = entry;
    }
    assert.ok(
      this.lastTerm() <= currentTerm,
      `log term ${this.lastTerm()} beyond the current term ${currentTerm}`,
    );
    this.assertIndices();
  }

  /** The constant-time part of the invariants, checked after every call into the node. */
  assertIndices(): void {
    const lastIndex = this.lastIndex();
    assert.ok(this.applied <= this.commit, `applied ${this.applied} > commit ${this.commit}`);
    assert.ok(this.commit <= lastIndex, `commit ${this.commit} > last index ${lastIndex}`);
    assert.ok(this.commit >= this.snapshotIndex, `commit ${this.commit} < snapshot ${this.snapshotIndex}`);
    assert.ok(
      this.unstableOffset > this.snapshotIndex && this.unstableOffset <= lastIndex + 1,
      'bad unstable offset',
    );
    if (this.pendingSnapshot === null) {
      assert.ok(
        this.applied >= this.snapshotIndex,
        `applied ${this.applied} < snapshot ${this.snapshotIndex}`,
      );
    }
    const first = this.log[0];
    assert.ok(
      first === undefined || first.index === this.snapshotIndex + 1,
      'the log does not follow its snapshot',
    );
    assert.ok((this.log.at(-1)?.index ?? this.snapshotIndex) === lastIndex, 'the log is not contiguous');
  }

  private nextApplyIndex(): number {
    return Math.max(this.applied, this.pendingSnapshot?.metadata.index ?? 0) + 1;
  }
}

function assertFollows(previous: { index: number; term: number }, entry: Entry): void {
  assert.ok(
    Number.isSafeInteger(entry.index) && Number.isSafeInteger(entry.term),
    'entry index and term are integers',
  );
  assert.equal(entry.index, previous.index + 1, `entry ${entry.index} does not follow ${previous.index}`);
  assert.ok(entry.term >= previous.term, `entry ${entry.index} term ${entry.term} below ${previous.term}`);
  assert.ok(entry.term >= 1, `entry ${entry.index} has term ${entry.term}`);
  assert.ok(entry.data instanceof Uint8Array, `entry ${entry.index} data is not bytes`);
  assert.ok(
    entry.kind === 'normal' || entry.kind === 'noop' || entry.kind === 'configuration',
    `entry ${entry.index} has kind ${String(entry.kind)}`,
  );
}
