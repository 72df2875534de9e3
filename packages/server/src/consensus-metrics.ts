// Consensus metrics, read from the replica's status and the driver's counts when the metrics are
// rendered (the core stays free of them): term, role, log indexes, the in-sync set, each
// follower's lag as the leader sees it, leadership changes, merges and overdraft incidents. The
// member label takes the configured node ids only, a handful.
import type { RoleChange, SoftState } from '@tandem/consensus';
import type { DriverStatistics } from '@tandem/driver';
import type { Ledger } from '@tandem/ledger';
import { Counter, Gauge, type Registry } from 'prom-client';
import { pulledCounter } from './pulled-counter.js';
import type { ReplicaStatus } from './replica.js';

const ROLES: readonly ReplicaStatus['role'][] = ['leader', 'follower', 'candidate', 'pre_candidate'];

/** What the consensus metrics read; the replica, once it is open. */
export interface ConsensusSource {
  status(): ReplicaStatus;
  readonly statistics: Readonly<DriverStatistics>;
  readonly ledger: Ledger;
}

export interface ConsensusMetricsOptions {
  nodeId: string;
  /** The data nodes (not the witness): the members of the in-sync set. */
  dataMembers: readonly string[];
  /** The main of a pair, whom a hand-back gives leadership to; null in single mode. */
  mainId: string | null;
  tickIntervalMs: number;
}

export class ConsensusMetrics {
  private source: ConsensusSource | null = null;
  private readonly term: Gauge;
  private readonly role: Gauge<'role'>;
  private readonly indexes: Gauge<'index'>;
  private readonly inSync: Gauge<'member'>;
  private readonly lagEntries: Gauge<'member'>;
  private readonly lagSeconds: Gauge<'member'>;
  private readonly handBacks: Counter;
  private readonly incidentsOpen: Gauge;
  private readonly incidentsRecorded: Gauge;
  /** Set while this node, not the main, leads; a later leader that is the main makes a hand-back. */
  private ledWithoutMain = false;

  constructor(
    registry: Registry,
    private readonly options: ConsensusMetricsOptions,
  ) {
    const registers = [registry];
    const statistic = (
      name: string,
      help: string,
      read: (statistics: Readonly<DriverStatistics>) => number,
    ) =>
      pulledCounter(registry, name, help, () => (this.source === null ? null : read(this.source.statistics)));
    this.term = new Gauge({ name: 'tandem_consensus_term', help: "This node's current term.", registers });
    this.role = new Gauge({
      name: 'tandem_consensus_role',
      help: "1 for this node's current consensus role, 0 for the others.",
      labelNames: ['role'],
      registers,
    });
    this.indexes = new Gauge({
      name: 'tandem_consensus_index',
      help: "This node's log indexes: commit, applied, last (in its log) and snapshot.",
      labelNames: ['index'],
      registers,
    });
    this.inSync = new Gauge({
      name: 'tandem_consensus_in_sync',
      help: "1 when the data node is in the in-sync set of this node's latest configuration, else 0.",
      labelNames: ['member'],
      registers,
    });
    this.lagEntries = new Gauge({
      name: 'tandem_consensus_follower_lag_entries',
      help: "On the leader: entries of the leader's log the follower has not acknowledged.",
      labelNames: ['member'],
      registers,
    });
    this.lagSeconds = new Gauge({
      name: 'tandem_consensus_follower_lag_seconds',
      help: 'On the leader: time since the follower last acknowledged an append or snapshot (tick resolution).',
      labelNames: ['member'],
      registers,
    });
    statistic(
      'tandem_consensus_leader_elections_total',
      'Times this node became leader (at start, in a failover, or when the main takes leadership back).',
      (statistics) => statistics.timesElected,
    );
    this.handBacks = new Counter({
      name: 'tandem_consensus_hand_backs_total',
      help: 'Pair mode, on the backup: times the leadership passed from this node to the main.',
      registers,
    });
    statistic(
      'tandem_consensus_merges_total',
      "Pair mode, on the main: merge entries proposed from the backup's solo entries.",
      (statistics) => statistics.mergesProposed,
    );
    statistic(
      'tandem_consensus_snapshots_taken_total',
      'Snapshots this node took of its own state.',
      (statistics) => statistics.snapshotsTaken,
    );
    statistic(
      'tandem_consensus_snapshots_installed_total',
      'Snapshots this node installed from the leader.',
      (statistics) => statistics.snapshotsInstalled,
    );
    this.incidentsOpen = new Gauge({
      name: 'tandem_incidents_open',
      help: 'Overdraft incidents open in the applied ledger (a merge put a licence over its limit).',
      registers,
    });
    this.incidentsRecorded = new Gauge({
      name: 'tandem_incidents_recorded',
      help: 'Overdraft incidents the ledger holds: the open ones and up to 1000 of the latest resolved.',
      registers,
    });
  }

  /** Reads the replica from now on. */
  watch(source: ConsensusSource): void {
    this.source = source;
  }

  /** One change of the core's role (the driver's roleChanged event): counts hand-backs. */
  roleChanged(_previous: SoftState, change: RoleChange): void {
    const { nodeId, mainId } = this.options;
    if (mainId === null || mainId === nodeId) return;
    if (change.role === 'leader') {
      this.ledWithoutMain = true;
    } else if (this.ledWithoutMain && change.leaderId === mainId) {
      this.ledWithoutMain = false;
      this.handBacks.inc();
    } else if (change.leaderId !== null) {
      // Another leader came between (none exists in a pair, but say so): no hand-back.
      this.ledWithoutMain = false;
    }
  }

  /** Sets every consensus gauge from the replica: once per render. */
  refresh(): void {
    if (this.source === null) return;
    const status = this.source.status();
    this.term.set(status.term);
    for (const role of ROLES) this.role.set({ role }, status.role === role ? 1 : 0);
    this.indexes.set({ index: 'commit' }, status.commitIndex);
    this.indexes.set({ index: 'applied' }, status.appliedIndex);
    this.indexes.set({ index: 'last' }, status.lastIndex);
    this.indexes.set({ index: 'snapshot' }, status.snapshotIndex);
    const inSync = status.configuration.inSync;
    for (const member of this.options.dataMembers)
      this.inSync.set({ member }, inSync.includes(member) ? 1 : 0);
    this.lagEntries.reset();
    this.lagSeconds.reset();
    if (status.progress !== null) {
      for (const member of this.options.dataMembers) {
        const progress = status.progress[member];
        if (member === this.options.nodeId || progress === undefined) continue;
        this.lagEntries.set({ member }, Math.max(0, status.lastIndex - progress.matchIndex));
        this.lagSeconds.set(
          { member },
          (progress.lastAcknowledgementTicksAgo * this.options.tickIntervalMs) / 1000,
        );
      }
    }
    const ledger = this.source.ledger;
    this.incidentsOpen.set(ledger.openIncidentCount());
    this.incidentsRecorded.set(ledger.incidents().length);
  }
}
