// Text forms of entries, messages, Readies and status for the interaction scripts.
import { decodeConfiguration } from '../src/configuration.js';
import { describeConfiguration } from '../src/raft-node.js';
import type { Entry, Message, RaftStatus, Ready, RoleChange, SnapshotMetadata } from '../src/types.js';
import type { WitnessState, WitnessStatus } from '../src/witness-core.js';
import type { AppliedRecord, MemoryStorage } from './simulated-cluster.js';

const decoder = new TextDecoder();

export function formatEntry(entry: Entry): string {
  const head = `${entry.index}/${entry.term} ${entry.kind}`;
  if (entry.kind === 'normal') return `${head} "${decoder.decode(entry.data)}"`;
  if (entry.kind === 'configuration')
    return `${head} ${describeConfiguration(decodeConfiguration(entry.data))}`;
  return head;
}

export function formatApplied(record: AppliedRecord): string {
  const head = `${record.index}/${record.term} ${record.kind}`;
  return record.kind === 'normal' ? `${head} "${record.data}"` : head;
}

export function formatSnapshotMetadata(metadata: SnapshotMetadata): string {
  return `${metadata.index}/${metadata.term} ${describeConfiguration(metadata.configuration)}`;
}

export function formatMessage(message: Message): string {
  const head = `${message.from}->${message.to} ${message.type} term=${message.term}`;
  switch (message.type) {
    case 'append_entries': {
      const entries =
        message.entries.length === 0 ? '' : ` entries=[${message.entries.map(formatEntry).join(', ')}]`;
      return `${head} prev=${message.prevLogIndex}/${message.prevLogTerm} commit=${message.leaderCommit}${entries}`;
    }
    case 'append_entries_response':
      return message.success
        ? `${head} success match=${message.matchIndex}`
        : `${head} reject conflict=${message.conflictIndex}/${message.conflictTerm}`;
    case 'request_vote':
      return (
        `${head} last=${message.lastLogIndex}/${message.lastLogTerm}` +
        (message.preVote ? ' pre-vote' : '') +
        (message.leadershipTransfer ? ' transfer' : '')
      );
    case 'request_vote_response':
      return `${head} ${message.voteGranted ? 'granted' : 'rejected'}${message.preVote ? ' pre-vote' : ''}`;
    case 'install_snapshot':
      return `${head} snapshot=${formatSnapshotMetadata(message.snapshot.metadata)} bytes=${message.snapshot.data.byteLength}`;
    case 'install_snapshot_response':
      return message.success ? `${head} success match=${message.matchIndex}` : `${head} refused`;
    case 'timeout_now':
      return head;
    case 'merge_offer':
      return `${head} stretch=${message.stretchStartIndex} entries=${message.firstIndex}..${message.throughIndex}${message.incomplete ? ' incomplete' : ''}`;
    case 'merge_offer_response':
      return `${head} stretch=${message.stretchStartIndex} merged-through=${message.mergedThroughIndex}`;
    case 'witness_record':
      return `${head} in-sync=(${message.inSync.join(',')}) acknowledged=${message.acknowledgedIndex} configuration-index=${message.configurationIndex}`;
    case 'witness_record_response':
      return `${head} ${message.success ? 'success' : 'refused'} configuration-index=${message.configurationIndex}`;
  }
}

export function formatRoleChange(change: RoleChange): string {
  return `${change.role}@${change.term}${change.leaderId === null ? '' : ` leader=${change.leaderId}`}`;
}

export function formatReady(ready: Ready): string[] {
  const lines: string[] = [];
  if (ready.softState !== null) {
    lines.push(`soft-state: role=${ready.softState.role} leader=${ready.softState.leaderId ?? 'none'}`);
  }
  if (ready.roleChanges.length > 0) {
    lines.push(`role-changes: ${ready.roleChanges.map(formatRoleChange).join(', ')}`);
  }
  if (ready.hardState !== null) {
    const { term, votedFor, commitIndex } = ready.hardState;
    lines.push(`hard-state: term=${term} vote=${votedFor ?? 'none'} commit=${commitIndex}`);
  }
  if (ready.snapshot !== null) lines.push(`snapshot: ${formatSnapshotMetadata(ready.snapshot.metadata)}`);
  if (ready.entries.length > 0) {
    lines.push('entries:');
    for (const entry of ready.entries) lines.push(`  ${formatEntry(entry)}`);
  }
  if (ready.messages.length > 0) {
    lines.push('messages:');
    for (const message of ready.messages) lines.push(`  ${formatMessage(message)}`);
  }
  if (ready.committedEntries.length > 0) {
    lines.push('committed:');
    for (const entry of ready.committedEntries) lines.push(`  ${formatEntry(entry)}`);
  }
  for (const offer of ready.mergeOffers) {
    lines.push(
      `merge-offer: from=${offer.from} stretch=${offer.stretchStartIndex} entries=${offer.firstIndex}..${offer.throughIndex} normal=${offer.entries.length} terms=${offer.sourceTerms.join(',')}`,
    );
  }
  if (ready.discardHistory) lines.push('discard-history');
  return lines;
}

export function formatStatus(status: RaftStatus): string[] {
  const lines = [
    `${status.id}: ${status.role} term=${status.term} vote=${status.votedFor ?? 'none'} ` +
      `leader=${status.leaderId ?? 'none'} commit=${status.commitIndex} applied=${status.appliedIndex} ` +
      `last=${status.lastIndex}/${status.lastTerm} durable=${status.durableIndex} snapshot=${status.snapshotIndex}`,
    `  configuration: ${describeConfiguration(status.configuration)}`,
  ];
  const pair = status.mode === 'pair';
  if (pair) {
    lines.push(
      `  pair: priority=${status.priorityNodeId ?? 'none'} in-sync=${status.inSync}` +
        ` since-leader-contact=${status.ticksSinceLeaderContact}` +
        ` leaderless-before-election=${status.leaderlessTicksBeforeElection ?? 'none'}` +
        ` startup-grace-left=${status.startupGraceRemainingTicks}`,
    );
    if (status.divergence !== null) {
      const { index, leaderId, term } = status.divergence;
      lines.push(`  diverged from leader ${leaderId} at term ${term}, committed index ${index}`);
    }
  }
  if (status.witness !== null) {
    const { id, lastResponseTicksAgo, confirmedInSync, pendingInSync, pendingRemoval } = status.witness;
    lines.push(
      `  witness ${id}: last-response=${lastResponseTicksAgo}` +
        ` confirmed=${confirmedInSync === null ? 'none' : `(${confirmedInSync.join(',')})`}` +
        ` pending=${pendingInSync === null ? 'none' : `(${pendingInSync.join(',')})${pendingRemoval ? ' removal' : ''}`}`,
    );
  }
  if (status.leadTransferee !== null) lines.push(`  transferring leadership to ${status.leadTransferee}`);
  if (status.progress !== null) {
    for (const id of Object.keys(status.progress).sort()) {
      const progress = status.progress[id];
      if (progress === undefined) continue;
      lines.push(
        `  progress ${id}: match=${progress.matchIndex} next=${progress.nextIndex} ${progress.state}` +
          ` inflight=${progress.inflightMessages}` +
          (status.mode !== 'majority'
            ? ` in-sync=${progress.inSync} last-response=${progress.lastResponseTicksAgo}` +
              ` last-ack=${progress.lastAcknowledgementTicksAgo}`
            : ''),
      );
    }
  }
  return lines;
}

export function formatWitnessStatus(status: WitnessStatus): string[] {
  return [
    `${status.id}: witness term=${status.term} vote=${status.votedFor ?? 'none'} leader=${status.leaderId ?? 'none'}` +
      ` in-sync=(${status.inSync.join(',')}) acknowledged=${status.acknowledgedIndex}` +
      ` record=${status.recordTerm}/${status.recordConfigurationIndex}` +
      ` since-leader-contact=${status.ticksSinceLeaderContact} lease-left=${status.leaderLeaseRemainingTicks}`,
  ];
}

export function formatWitnessState(state: WitnessState | null): string {
  if (state === null) return 'witness-state: none';
  return (
    `witness-state: term=${state.term} vote=${state.votedFor ?? 'none'} in-sync=(${state.inSync.join(',')})` +
    ` acknowledged=${state.acknowledgedIndex} record=${state.recordTerm}/${state.recordConfigurationIndex}`
  );
}

export function formatStorage(storage: MemoryStorage): string[] {
  const hardState = storage.hardState;
  const lines = [
    hardState === null
      ? 'hard-state: none'
      : `hard-state: term=${hardState.term} vote=${hardState.votedFor ?? 'none'} commit=${hardState.commitIndex}`,
    `snapshot: ${storage.snapshot === null ? 'none' : formatSnapshotMetadata(storage.snapshot.metadata)}`,
  ];
  if (storage.entries.length === 0) {
    lines.push('entries: none');
  } else {
    lines.push('entries:');
    for (const entry of storage.entries) lines.push(`  ${formatEntry(entry)}`);
  }
  return lines;
}
