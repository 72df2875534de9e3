// Tandem clusters for the benchmark: a main + backup pair of real tandemd processes (sync writes,
// default timeouts) or one node, in a temporary directory, guarded so that they die with the
// benchmark; and the pair's failover hooks (kill -9 the leader, restart it, wait for main).
import { performance } from 'node:perf_hooks';
import {
  removeDirectory,
  TandemdPair,
  TandemdProcess,
  temporaryDirectory,
  waitForLeader,
} from '@tandem/testkit';
import type { FailoverCluster } from './failover.js';
import { guardChild, guardDirectory, releaseDirectory } from './process-guard.js';
import type { SeatBackend } from './seat-backend.js';

const LEADER_TIMEOUT_MS = 60_000;

function guardPair(pair: TandemdPair): void {
  for (const role of ['main', 'backup'] as const) {
    if (pair.isRunning(role)) guardChild(pair.node(role).child);
  }
}

/** Runs `run` against a fresh pair whose main leads; `prepare` may fill the data directory first. */
export async function withTandemPair<T>(
  name: string,
  run: (pair: TandemdPair) => Promise<T>,
  prepare?: (directory: string) => Promise<void>,
): Promise<T> {
  const directory = await temporaryDirectory(`tandem-bench-${name}-`);
  guardDirectory(directory);
  let pair: TandemdPair | null = null;
  try {
    await prepare?.(directory);
    pair = await TandemdPair.start({ directory });
    guardPair(pair);
    await waitForLeader(pair.servers, LEADER_TIMEOUT_MS, (leader) => leader.id === 'main');
    return await run(pair);
  } finally {
    await pair?.stop();
    await removeDirectory(directory);
    releaseDirectory(directory);
  }
}

/** One node in single mode, for the loop workloads only (`--cluster single`). */
export async function withTandemSingle<T>(name: string, run: (servers: string[]) => Promise<T>): Promise<T> {
  const directory = await temporaryDirectory(`tandem-bench-${name}-`);
  guardDirectory(directory);
  let node: TandemdProcess | null = null;
  try {
    node = await TandemdProcess.start({ dataDir: directory });
    guardChild(node.child);
    return await run([node.address]);
  } finally {
    await node?.stop();
    await removeDirectory(directory);
    releaseDirectory(directory);
  }
}

export function tandemFailoverCluster(pair: TandemdPair, backend: SeatBackend): FailoverCluster {
  return {
    backend,
    findLeader: async () => (await waitForLeader(pair.servers, LEADER_TIMEOUT_MS)).id,
    kill: async (name) => {
      if (name !== 'main' && name !== 'backup') throw new Error(`no tandemd named ${name}`);
      await pair.kill(name);
    },
    restart: async (name) => {
      if (name !== 'main' && name !== 'backup') throw new Error(`no tandemd named ${name}`);
      const started = performance.now();
      await pair.startNode(name);
      guardPair(pair);
      await waitForLeader(pair.servers, LEADER_TIMEOUT_MS, (leader) => leader.id === 'main');
      return Math.round(performance.now() - started);
    },
  };
}
