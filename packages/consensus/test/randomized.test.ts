// A seeded randomized test: three nodes under message loss, duplication and reordering,
// partitions, crashes (including between a write and the sends that depend on it) and log
// compaction. After every step it checks that no term has two leaders and that no two nodes ever
// apply different entries at the same index. At the end the network heals and the cluster must
// converge, with every entry that any node applied present everywhere.
import assert from 'node:assert/strict';
import { expect } from 'chai';
import { ConsensusError } from '../src/errors.js';
import type { Message, NodeId } from '../src/types.js';
import { formatMessage } from './format.js';
import { SafetyChecker } from './safety-checker.js';
import { seededRandom } from './seeded-random.js';
import { bytes, DEFAULT_NODE_OPTIONS, SimulatedCluster } from './simulated-cluster.js';

const NODE_IDS: NodeId[] = ['1', '2', '3'];
const MAX_NETWORK_MESSAGES = 500;
const CONVERGENCE_ROUNDS = 400;

interface RunSummary {
  leadersElected: number;
  entriesApplied: number;
  snapshotsInstalled: number;
}

function runRandomized(seed: number, steps: number): RunSummary {
  const random = seededRandom(seed);
  const pick = <T>(items: T[]): T => {
    const item = items[Math.floor(random() * items.length)];
    assert.ok(item !== undefined);
    return item;
  };
  const inSync = random() < 0.5 ? NODE_IDS : ['1', '2'];
  const cluster = new SimulatedCluster();
  for (const id of NODE_IDS) {
    const node = cluster.addNode(id, {
      ...DEFAULT_NODE_OPTIONS,
      configuration: { voters: NODE_IDS, inSync },
      preVote: random() < 0.5,
      checkQuorum: random() < 0.5,
      electionTimeoutTicks: 10,
      heartbeatIntervalTicks: 2,
      maxEntriesPerMessage: 1 + Math.floor(random() * 4),
      maxInflightMessages: 1 + Math.floor(random() * 8),
    });
    node.randomInt = (maxExclusive) => Math.floor(random() * maxExclusive);
    node.raft = node.createRaft();
  }
  const checker = new SafetyChecker(cluster);
  let snapshotsInstalled = 0;
  let proposalCounter = 0;

  const lose = (message: Message) => {
    // The driver reports a snapshot it could not deliver, so the leader tries again later.
    if (message.type === 'install_snapshot')
      cluster.node(message.from).raft.reportSnapshot(message.to, 'failed');
  };
  const deliverAt = (position: number, keepCopy: boolean) => {
    const message = cluster.network[position];
    assert.ok(message !== undefined);
    if (!keepCopy) cluster.network.splice(position, 1);
    if (cluster.isLost(message)) {
      lose(message);
      return;
    }
    cluster.deliver(message);
    if (message.type === 'install_snapshot') {
      // The driver's snapshot stream completed; it tells the leader, which then probes again.
      snapshotsInstalled += 1;
      cluster.node(message.from).raft.reportSnapshot(message.to, 'finished');
    }
  };

  for (let step = 0; step < steps; step += 1) {
    const action = random();
    const id = pick(NODE_IDS);
    const node = cluster.node(id);
    if (action < 0.25) {
      node.raft.tick();
    } else if (action < 0.5) {
      cluster.processReady(id);
    } else if (action < 0.8) {
      if (cluster.network.length > 0) {
        const position = Math.floor(random() * cluster.network.length);
        const fate = random();
        if (fate < 0.05) {
          const [message] = cluster.network.splice(position, 1);
          if (message !== undefined) lose(message);
        } else {
          deliverAt(position, fate > 0.97);
        }
      }
    } else if (action < 0.98) {
      proposalCounter += 1;
      try {
        node.raft.propose('normal', [bytes(`${seed}-${proposalCounter}`)]);
      } catch (error) {
        if (!(error instanceof ConsensusError)) throw error;
      }
    } else if (action < 0.9835) {
      cluster.restart(id);
    } else if (action < 0.987) {
      cluster.persistAndCrash(id);
    } else if (action < 0.995) {
      const status = node.raft.status();
      if (!node.raft.hasReady() && status.appliedIndex > status.snapshotIndex)
        cluster.compact(id, status.appliedIndex);
    } else {
      if (cluster.isolated.size === 0) cluster.isolated.add(id);
      else cluster.isolated.clear();
    }
    while (cluster.network.length > MAX_NETWORK_MESSAGES) {
      const [message] = cluster.network.splice(0, 1);
      if (message !== undefined) lose(message);
    }
    checker.check();
  }

  // Heal everything and let the cluster settle: ticks, every Ready, every message.
  cluster.isolated.clear();
  let converged = false;
  for (let round = 0; round < CONVERGENCE_ROUNDS && !converged; round += 1) {
    for (const id of NODE_IDS) cluster.node(id).raft.tick();
    for (let pass = 0; pass < 50; pass += 1) {
      let busy = false;
      for (const id of NODE_IDS) busy = cluster.processReady(id) !== null || busy;
      while (cluster.network.length > 0) {
        deliverAt(0, false);
        busy = true;
      }
      if (!busy) break;
    }
    checker.check();
    const statuses = NODE_IDS.map((id) => cluster.node(id).raft.status());
    const leader = statuses.find((status) => status.role === 'leader');
    if (leader === undefined) continue;
    // A proposal of the current term makes every earlier entry commit.
    if (
      leader.commitIndex < leader.lastIndex ||
      cluster.node(leader.id).applied.at(-1)?.term !== leader.term
    ) {
      try {
        cluster.node(leader.id).raft.propose('normal', [bytes(`${seed}-final-${round}`)]);
      } catch (error) {
        if (!(error instanceof ConsensusError)) throw error;
      }
      continue;
    }
    converged = statuses.every(
      (status) => status.appliedIndex === leader.lastIndex && status.commitIndex === leader.lastIndex,
    );
  }
  const describe = () =>
    NODE_IDS.map((id) => JSON.stringify(cluster.node(id).raft.status())).join('\n') +
    `\npending: ${cluster.network.map(formatMessage).join('; ')}`;
  assert.ok(converged, `the cluster did not converge:\n${describe()}`);
  checker.checkNothingLost();
  return { leadersElected: checker.leaderCount, entriesApplied: checker.appliedCount, snapshotsInstalled };
}

describe('randomized cluster (seeded)', function () {
  this.timeout(120_000);
  const seedCount = Number(process.env.RANDOMIZED_SEEDS ?? 40);
  const firstSeed = Number(process.env.RANDOMIZED_FIRST_SEED ?? 1);
  const steps = Number(process.env.RANDOMIZED_STEPS ?? 3000);

  it(`keeps one leader per term and identical committed prefixes over ${seedCount} seeds`, () => {
    let totalLeaders = 0;
    let totalApplied = 0;
    let totalSnapshots = 0;
    for (let seed = firstSeed; seed < firstSeed + seedCount; seed += 1) {
      let summary: RunSummary;
      try {
        summary = runRandomized(seed, steps);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(
          `seed ${seed} failed (rerun with RANDOMIZED_FIRST_SEED=${seed} RANDOMIZED_SEEDS=1): ${message}`,
          {
            cause: error,
          },
        );
      }
      totalLeaders += summary.leadersElected;
      totalApplied += summary.entriesApplied;
      totalSnapshots += summary.snapshotsInstalled;
    }
    // The runs must exercise something: elections, commits and snapshot catch-up.
    expect(totalLeaders).to.be.greaterThan(seedCount);
    expect(totalApplied).to.be.greaterThan(seedCount * 10);
    expect(totalSnapshots).to.be.greaterThan(0);
  });

  it('the checker catches a divergent history', () => {
    const cluster = new SimulatedCluster();
    const options = { ...DEFAULT_NODE_OPTIONS, configuration: { voters: ['1', '2'], inSync: ['1', '2'] } };
    cluster.addNode('1', options);
    cluster.addNode('2', options);
    const checker = new SafetyChecker(cluster);
    cluster.node('1').applied.push({ index: 1, term: 1, kind: 'normal', data: 'x' });
    cluster.node('2').applied.push({ index: 1, term: 1, kind: 'normal', data: 'y' });
    expect(() => checker.check()).to.throw(/index 1/);
  });
});
