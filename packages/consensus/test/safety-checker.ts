// Checks, after every step of a randomized run, that no term has two leaders and that no two
// nodes ever apply (or hold as committed) different entries at the same index.
import assert from 'node:assert/strict';
import type { NodeId } from '../src/types.js';
import type { AppliedRecord, SimulatedCluster as Cluster } from './simulated-cluster.js';

export class SafetyChecker {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** Every applied entry by index, as "term kind data": all nodes must agree. */
  private readonly appliedByIndex = new Map<number, string>();
  private readonly checkedRecords = new WeakMap<AppliedRecord[], number>();

  constructor(private readonly cluster: Cluster) {}

  get leaderCount(): number {
    return this.leaderOfTerm.size;
  }

  get appliedCount(): number {
    return this.appliedByIndex.size;
  }

  check(): void {
    for (const node of this.cluster.nodes.values()) {
      const status = node.raft.status();
      if (status.role === 'leader') {
        const known = this.leaderOfTerm.get(status.term);
        assert.ok(
          known === undefined || known === node.id,
          `two leaders in term ${status.term}: ${known}, ${node.id}`,
        );
        this.leaderOfTerm.set(status.term, node.id);
      }
      // Applied records only ever grow at the end (a restart or a snapshot brings a new array), so
      // each array is checked from where the previous check stopped.
      const checkedCount = this.checkedRecords.get(node.applied) ?? 0;
      for (const record of node.applied.slice(checkedCount)) {
        const key = `${record.term} ${record.kind} ${record.data}`;
        const known = this.appliedByIndex.get(record.index);
        assert.ok(
          known === undefined || known === key,
          `index ${record.index}: ${node.id} applied ${key}, not ${known}`,
        );
        this.appliedByIndex.set(record.index, key);
      }
      this.checkedRecords.set(node.applied, node.applied.length);
      // Committed entries still in the log agree as well.
      const firstIndex = status.snapshotIndex + 1;
      for (const entry of node.raft.entries(
        Math.max(firstIndex, status.commitIndex - 20),
        status.commitIndex,
      )) {
        const known = this.appliedByIndex.get(entry.index);
        const key = `${entry.term} ${entry.kind} ${new TextDecoder().decode(entry.data)}`;
        assert.ok(
          known === undefined || known === key,
          `index ${entry.index}: ${node.id} committed ${key}, not ${known}`,
        );
      }
    }
  }

  /** After convergence: every entry any node ever applied is applied on every node. */
  checkNothingLost(): void {
    for (const node of this.cluster.nodes.values()) {
      const applied = new Map(node.applied.map((record) => [record.index, record]));
      for (const [index, key] of this.appliedByIndex) {
        const record = applied.get(index);
        assert.ok(record !== undefined, `${node.id} lacks index ${index} (${key})`);
        assert.equal(`${record.term} ${record.kind} ${record.data}`, key);
      }
    }
  }
}
