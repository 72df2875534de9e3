// Tandem clusters for the benchmark: a main + backup pair of real tandemd processes (sync writes,
// default timeouts) or one node, in a temporary directory, guarded so that they die with the
// benchmark; and the pair's failover hooks (kill -9 the leader, restart it, wait for main). Secure
// by default (TLS, mutual TLS between the nodes, a PKI in the temporary directory); plaintext with
// insecure, for measuring what security costs.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AdminClient, resolveSettings } from '@tandem/client';
import {
  type EntryBuild,
  type LogLine,
  removeDirectory,
  TandemdPair,
  TandemdProcess,
  temporaryDirectory,
  waitForLeader,
} from '@tandem/testkit';
import type { FailoverCluster } from './failover.js';
import { cpuTicks, TICKS_PER_SECOND } from './process-cpu.js';
import { guardChild, guardDirectory, releaseDirectory } from './process-guard.js';
import type { SeatBackend } from './seat-backend.js';

const LEADER_TIMEOUT_MS = 60_000;

const IN_SYNC_TIMEOUT_MS = 180_000;

/**
 * The benchmark's nodes take any number of workstation calls per identity: the per-identity limit
 * (`limits.workstationCallsPerSecond`, 200 a second with a burst of 400 by default) is set to its
 * largest value. The default is for real workstations, which call a few times a minute; a
 * benchmark workstation calls as fast as the pair answers, and one alone passes 400 calls a second
 * on a quiet machine. Under the default, one secure workstation got at most 400 + 200 per second
 * calls through (240 ops/s in a 10 s run), the others waiting up to 5 ms in the client to retry,
 * while a plaintext run has no limit at all (an insecure caller has no identity): `--tls-cost` at
 * one workstation measured the limit, not TLS (docs/performance.md, "What TLS costs").
 */
export const BENCH_NODE_OVERRIDES = {
  limits: { workstationCallsPerSecond: 1_000_000, workstationCallBurst: 1_000_000 },
};

function guardPair(pair: TandemdPair): void {
  for (const role of ['main', 'backup'] as const) {
    if (pair.isRunning(role)) guardChild(pair.node(role).child);
  }
}

const CRASH_REPORT_CHARACTERS = 4000;

/** A node that died on its own is the likely cause of a failed run: say so, with its last words. */
function reportCrashes(pair: TandemdPair): void {
  for (const role of ['main', 'backup'] as const) {
    if (!pair.isRunning(role)) continue;
    const node = pair.node(role);
    if (node.child.exitCode === null && node.child.signalCode === null) continue;
    const stderr = node.stderr.join('').slice(-CRASH_REPORT_CHARACTERS);
    process.stderr.write(
      `tandemd ${role} exited by itself (code ${node.child.exitCode}, signal ${node.child.signalCode}):\n${stderr}\n`,
    );
  }
}

export interface TandemClusterOptions {
  /** Plaintext and no authentication (insecure: true) instead of TLS. */
  insecure: boolean;
  /** How long each node may take to listen (20 s by default). */
  startTimeoutMs?: number;
  /**
   * Profile each tandemd (`--cpu-prof`): its .cpuprofile goes under `<cpuProfileDir>/<name>/<role>`
   * when it exits. Null: no profiling.
   */
  cpuProfileDir?: string | null;
  /** Each tandemd's log lines go to `<nodeLogDir>/<name>/<role>-<life>.jsonl` when the pair stops. */
  nodeLogDir?: string | null;
  /** Which build of tandemd runs (the test kit's entry): the packaged bundle by default. */
  entry?: EntryBuild;
}

/** The earlier lives of a pair's nodes (killed by a failover round), whose logs are kept too. */
const retiredNodes = new WeakMap<TandemdPair, TandemdProcess[]>();

/** Writes the log lines of every life of the pair's nodes, in the order they started. */
async function writeNodeLogs(pair: TandemdPair, directory: string): Promise<void> {
  await mkdir(directory, { recursive: true });
  const current = (['main', 'backup'] as const).flatMap((role) =>
    pair.isRunning(role) ? [pair.node(role)] : [],
  );
  const lives = new Map<string, number>();
  for (const node of [...(retiredNodes.get(pair) ?? []), ...current]) {
    const role = node.options.id ?? 'node';
    const life = (lives.get(role) ?? 0) + 1;
    lives.set(role, life);
    const text = node.logs.map((line) => JSON.stringify(line)).join('\n');
    await writeFile(path.join(directory, `${role}-${life}.jsonl`), `${text}\n`);
  }
}

/** Node options that make each node write a CPU profile into its own directory when it exits. */
function profileArguments(
  name: string,
  options: TandemClusterOptions,
  roles: readonly string[],
): Record<string, string[]> | undefined {
  const root = options.cpuProfileDir ?? null;
  if (root === null) return undefined;
  return Object.fromEntries(
    roles.map((role) => [role, ['--cpu-prof', `--cpu-prof-dir=${path.resolve(root, name, role)}`]]),
  );
}

/** Runs `run` against a fresh pair whose main leads; `prepare` may fill the data directory first. */
export async function withTandemPair<T>(
  name: string,
  options: TandemClusterOptions,
  run: (pair: TandemdPair) => Promise<T>,
  prepare?: (directory: string) => Promise<void>,
): Promise<T> {
  const directory = await temporaryDirectory(`tandem-bench-${name}-`);
  guardDirectory(directory);
  let pair: TandemdPair | null = null;
  try {
    await prepare?.(directory);
    const nodeArguments = profileArguments(name, options, ['main', 'backup']);
    pair = await TandemdPair.start({
      directory,
      insecure: options.insecure,
      overrides: BENCH_NODE_OVERRIDES,
      ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
      ...(nodeArguments === undefined ? {} : { nodeArguments }),
      entry: options.entry ?? 'bundle',
    });
    guardPair(pair);
    await waitForLeader(pair.access, pair.servers, LEADER_TIMEOUT_MS, (leader) => leader.id === 'main');
    return await run(pair);
  } catch (error) {
    if (pair !== null) reportCrashes(pair);
    throw error;
  } finally {
    if (pair !== null && options.nodeLogDir) {
      await writeNodeLogs(pair, path.join(options.nodeLogDir, name)).catch((error: Error) =>
        process.stderr.write(`could not write the node logs: ${error.message}\n`),
      );
    }
    await pair?.stop();
    await removeDirectory(directory);
    releaseDirectory(directory);
  }
}

/** One node in single mode, for the loop workloads only (`--cluster single`). */
export async function withTandemSingle<T>(
  name: string,
  options: TandemClusterOptions,
  run: (node: TandemdProcess) => Promise<T>,
): Promise<T> {
  const directory = await temporaryDirectory(`tandem-bench-${name}-`);
  guardDirectory(directory);
  let node: TandemdProcess | null = null;
  try {
    const nodeArguments = profileArguments(name, options, ['main'])?.main;
    node = await TandemdProcess.start({
      dataDir: directory,
      insecure: options.insecure,
      overrides: BENCH_NODE_OVERRIDES,
      ...(nodeArguments === undefined ? {} : { nodeArguments }),
      entry: options.entry ?? 'bundle',
    });
    guardChild(node.child);
    return await run(node);
  } finally {
    await node?.stop();
    await removeDirectory(directory);
    releaseDirectory(directory);
  }
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * Waits until a node leads with both nodes in its in-sync set. A node just restarted is not in
 * sync until it has caught up, and until then the leader's death cannot be survived: a round
 * started earlier would measure that, not a failover.
 */
async function waitForBothInSync(pair: TandemdPair, timeoutMs: number): Promise<void> {
  const admin = new AdminClient(
    resolveSettings({ ...pair.access, servers: pair.servers, requestTimeoutMs: 1000, maxAttempts: 1 }),
  );
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  try {
    while (Date.now() < deadline) {
      for (const address of pair.servers) {
        try {
          const status = await admin.nodeStatus(address);
          if (status.responder.state !== 'leader') continue;
          if (status.inSync.includes('main') && status.inSync.includes('backup')) return;
          last = `${status.responder.nodeId} leads with in-sync set [${status.inSync.join(', ')}]`;
        } catch {
          // Down or starting: ask again.
        }
      }
      await sleep(100);
    }
  } finally {
    admin.close();
  }
  throw new Error(`main and backup were not both in sync within ${timeoutMs} ms (${last})`);
}

/**
 * Milliseconds from sinceMs (Date.now()) to the first line the node logged at or after it that
 * matches, or null: for a restarted node every line, for a survivor the lines since the kill.
 */
function firstLogSince(
  node: TandemdProcess,
  sinceMs: number,
  matches: (line: LogLine) => boolean,
): number | null {
  const timeOf = (line: LogLine) =>
    typeof line.timestamp === 'string' ? Date.parse(line.timestamp) : Number.NaN;
  const line = node.logs.find((candidate) => timeOf(candidate) >= sinceMs && matches(candidate));
  return line === undefined ? null : timeOf(line) - sinceMs;
}

const eventOf = (line: LogLine): string => (typeof line.event === 'string' ? line.event : '');

export function tandemFailoverCluster(pair: TandemdPair, backend: SeatBackend): FailoverCluster {
  let lastRestart: { startedAtMs: number; cpuTicks: number; node: TandemdProcess } | null = null;
  return {
    backend,
    ready: () => waitForBothInSync(pair, IN_SYNC_TIMEOUT_MS),
    findLeader: async () => (await waitForLeader(pair.access, pair.servers, LEADER_TIMEOUT_MS)).id,
    kill: async (name) => {
      if (name !== 'main' && name !== 'backup') throw new Error(`no tandemd named ${name}`);
      const retired = retiredNodes.get(pair) ?? [];
      retired.push(pair.node(name));
      retiredNodes.set(pair, retired);
      await pair.kill(name);
    },
    restart: async (name) => {
      if (name !== 'main' && name !== 'backup') throw new Error(`no tandemd named ${name}`);
      const started = performance.now();
      const startedAtMs = Date.now();
      const node = await pair.startNode(name);
      guardPair(pair);
      // Failback is main taking the lead again; a restarted backup only has to catch up (ready()).
      if (name !== 'main') return null;
      await waitForLeader(pair.access, pair.servers, LEADER_TIMEOUT_MS, (leader) => leader.id === 'main');
      const failbackMs = Math.round(performance.now() - started);
      const pid = node.child.pid;
      lastRestart = { startedAtMs, cpuTicks: pid === undefined ? 0 : await cpuTicks(pid), node };
      return failbackMs;
    },
    failoverPhases: async (killed, killedAtMs) => {
      if (killed !== 'main' && killed !== 'backup') return null;
      const survivor = pair.node(killed === 'main' ? 'backup' : 'main');
      const since = (matches: (line: LogLine) => boolean) => firstLogSince(survivor, killedAtMs, matches);
      return {
        preCandidateMs: since((line) => / became pre-candidate /.test(eventOf(line))),
        leadsMs: since((line) => line.message === 'role changed' && line.role === 'leader'),
      };
    },
    failbackPhases: async () => {
      if (lastRestart === null) return null;
      const { startedAtMs, cpuTicks: ticks, node } = lastRestart;
      return {
        listeningMs: firstLogSince(node, startedAtMs, (line) => line.message === 'listening'),
        firstAppendMs: firstLogSince(node, startedAtMs, (line) => / of leader /.test(eventOf(line))),
        inSyncMs: firstLogSince(node, startedAtMs, (line) =>
          /in-sync=\(([^)]*,)?main(,[^)]*)?\)/.test(eventOf(line)),
        ),
        leadsMs: firstLogSince(
          node,
          startedAtMs,
          (line) => line.message === 'role changed' && line.role === 'leader',
        ),
        cpuMs: Math.round((ticks / TICKS_PER_SECOND) * 1000),
      };
    },
  };
}
