// The machinery of the partition matrix (partition.test.ts; its cases are listed in README.md here):
// one case runs on a fresh cluster inside the shared lab, under load from two workstation
// namespaces, and ends with the history checker over the recorded history and the final ledgers of
// both data nodes. Secure as deployed: each case's cluster has its own PKI under the case's
// directory, the nodes' certificates valid for their lab addresses, and the control agent and every
// workstation client get certificates of their own (files they read by path from inside their
// namespaces).
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { HistoryVerdict } from '@tandem/testkit';
import {
  judgeHistory,
  type LabHost,
  type LeaderView,
  type LicenceModelConfig,
  NETNS_TANDEMD_PORT,
  NetnsCluster,
  type NetnsClusterMode,
  NetnsControl,
  type NetnsDataRole,
  type NetnsLab,
  type NetnsNodeRole,
  NetnsWorkload,
  type ObservedLeader,
  type Operation,
  type ProbeOutcome,
  pkiDirectory,
  readVerifiedLedger,
  TestPki,
  type VerifiedLedger,
} from '@tandem/testkit';
import { expect } from 'chai';

export type Mode = NetnsClusterMode;

export const USAGE_LICENCE = 'meter';
export const LEASE_LICENCE = 'seats';
export const LEASE_SEATS = 100;
/** Fewer seats than the six clients: what a split brain over-grants (pair) or never does (witness). */
export const SCARCE_LICENCE = 'scarce';
export const SCARCE_SEATS = 4;
/** Probes write here, never on the workload's licences, so that the usage checks stay exact. */
export const PROBE_LICENCE = 'probe';
export const WORKSTATIONS: LabHost[] = ['ws1', 'ws2'];
const CLIENTS_PER_WORKSTATION = 3;

/**
 * Test timing, shorter than production (failover 1 s, heartbeat 100 ms) so that the matrix fits its
 * CI budget; the ratios stay those of production. The start-up grace (pair mode) is long enough for
 * a case to restart the second node well within it even on a loaded machine; it costs nothing
 * elsewhere, since a node that hears its peer does not wait it out.
 */
export const FAILOVER_TIMEOUT_MS = 500;
/**
 * After a heal and convergence the leader answers a read and a write probe within this long: two
 * failover timeouts (issue 14: after flapping, a main that had followed and led again within one
 * Ready refused every read for over 90 s).
 */
export const LIVENESS_LIMIT_MS = 2 * FAILOVER_TIMEOUT_MS;
export const STARTUP_GRACE_MS = 10_000;
const NODE_OVERRIDES = {
  timing: {
    failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
    heartbeatIntervalMs: 50,
    startupGraceMs: STARTUP_GRACE_MS,
  },
  // The final ledgers are rebuilt from the log: keep it uncompacted for the length of a case
  // (a case that wants the snapshot path overrides this).
  snapshot: { everyEntries: 1_000_000, everyBytes: 1024 * 1024 * 1024 },
  log: { level: 'info' },
};
const LICENCE_MODELS: LicenceModelConfig[] = [
  { licenceId: USAGE_LICENCE, seats: 1, quotaUnits: null },
  { licenceId: LEASE_LICENCE, seats: LEASE_SEATS, quotaUnits: null },
  { licenceId: SCARCE_LICENCE, seats: SCARCE_SEATS, quotaUnits: null },
];

export const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * When (Date.now()) a running node first logged a line at or after `sinceMs` that `match` accepts,
 * by the line's own timestamp; null when it has not (yet), or is not running.
 */
export function firstLogAt(
  cluster: NetnsCluster,
  role: NetnsNodeRole,
  sinceMs: number,
  match: (line: { message: string; [key: string]: unknown }) => boolean,
): number | null {
  if (!cluster.isRunning(role)) return null;
  for (const line of cluster.node(role).logs) {
    const atMs = Date.parse(String(line.timestamp));
    if (atMs >= sinceMs && match(line)) return atMs;
  }
  return null;
}

/**
 * Pair mode: when the backup first became a follower of main at or after `sinceMs`. After a split
 * brain this is when the split ended: until then the backup led its own term and served.
 */
export function backupFollowedMainAt(cluster: NetnsCluster, sinceMs: number): number | null {
  return firstLogAt(
    cluster,
    'backup',
    sinceMs,
    (line) => line.message === 'role changed' && line.role === 'follower' && line.leaderId === 'main',
  );
}

/**
 * When the link between main and backup was whole again: the later of its ends that dropped packets
 * (NetnsLab.heal), or `fallbackMs` when neither did.
 */
export function linkHealedAtMs(hostsHealedAtMs: ReadonlyMap<LabHost, number>, fallbackMs: number): number {
  const ends = (['main', 'backup'] as const).flatMap((host) => hostsHealedAtMs.get(host) ?? []);
  return ends.length === 0 ? fallbackMs : Math.max(...ends);
}

export interface NodeState {
  state: string;
  term: number;
  leaderId: string | null;
  inSync: string[];
  commitIndex: number;
  appliedIndex: number;
}

export interface CaseContext {
  mode: Mode;
  lab: NetnsLab;
  cluster: NetnsCluster;
  control: NetnsControl;
  workloads: Map<LabHost, NetnsWorkload>;
  /** Requests the given hosts' workloads got an answer to (accepted or refused by the ledger). */
  answered(hosts?: readonly LabHost[]): number;
  /** Waits until the given hosts' workloads got `count` more answers than now. */
  expectProgress(count: number, timeoutMs: number, hosts?: readonly LabHost[]): Promise<void>;
  /** After `settleMs` (answers already on the wire), no new answer for `periodMs`. */
  expectNoProgress(settleMs: number, periodMs: number, hosts?: readonly LabHost[]): Promise<void>;
  /** What one node says of itself, or null when it does not answer. */
  stateOf(role: NetnsNodeRole): Promise<NodeState | null>;
  waitForLeader(roles: readonly NetnsDataRole[], timeoutMs: number): Promise<LeaderView>;
  /**
   * Waits until the leader's in-sync set is exactly `roles` and every follower in it has applied
   * the leader's commit index: a leader that has not yet noticed a restarted follower still lists
   * it, and a harness that trusted that view alone killed the leader before the follower held its
   * commits (case 12c, pair).
   */
  waitForInSync(roles: readonly NetnsDataRole[], timeoutMs: number): Promise<void>;
  /** One write (or read) at one node, which must not be served. */
  expectRefuses(role: NetnsDataRole, kind: 'write' | 'read', why: string): Promise<ProbeOutcome>;
  /** For `periodMs`, neither data node says it leads. */
  expectNoLeader(periodMs: number): Promise<void>;
  /** Every workload starts contending for the scarce licence. */
  contend(hosts?: readonly LabHost[]): void;
  /** The workloads keep the scarce seats they hold and ask for none (see NetnsWorkload.holdSeats). */
  holdSeats(hosts?: readonly LabHost[]): void;
  /** Scarce seats the given hosts' clients hold, by their last progress line. */
  scarceHeld(hosts?: readonly LabHost[]): number;
  /** A line for the case's report. */
  note(text: string): void;
  probe(role: NetnsDataRole, kind: 'write' | 'read', timeoutMs?: number): Promise<ProbeOutcome>;
  /**
   * The liveness check, once the cluster converged after a heal: probes of a read and a write at
   * the leader, sent again while refused, are both answered within LIVENESS_LIMIT_MS of the call.
   */
  expectLeaderServes(leader: NetnsDataRole): Promise<void>;
}

export interface MatrixCase {
  /** The matrix number, as the issue lists it (13a/13b are the two restart orders). */
  id: string;
  name: string;
  modes: Mode[];
  /**
   * Modes in which the case is registered as pending (it.skip) rather than run, with the reason: a
   * product bug it finds, named so that it is run again once fixed.
   */
  pending?: Partial<Record<Mode, string>>;
  /** Deep-merged into every node's configuration for this case. */
  overrides?: Record<string, unknown>;
  /** Environment added to a node's process at the cluster's start (case 12's crash points). */
  environment?: Partial<Record<'main' | 'backup', Record<string, string>>>;
  /** Applies the fault, checks what must hold while it lasts, and heals it (restarting nodes). */
  fault(context: CaseContext): Promise<void>;
  /** Checks on the verdict beyond the history checker's (a merge happened, incidents...). */
  verdict?(verdict: HistoryVerdict, context: CaseContext): void;
}

export interface CaseReport {
  id: string;
  mode: Mode;
  name: string;
  passed: boolean;
  seconds: number;
  operations: number;
  acknowledged: number;
  unknown: number;
  duplicatesSent: number;
  repeatedAnswers: number;
  usageUnits: number;
  terms: number[];
  linearizable: HistoryVerdict['linearizable'] | 'not judged';
  merges: number;
  incidents: number;
  lostAcknowledged: number;
  notes: string[];
  phases: string[];
  failure: string | null;
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const existing = result[key];
    result[key] =
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      typeof existing === 'object' &&
      existing !== null
        ? deepMerge(existing as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return result;
}

/** Where a failing case leaves its nodes' logs and its history, for whoever reads the failure. */
const FAILURE_DIRECTORY = path.join(os.tmpdir(), `tandem-netns-failures-${process.pid}`);

export async function runCase(
  lab: NetnsLab,
  directory: string,
  testCase: MatrixCase,
  mode: Mode,
): Promise<CaseReport> {
  const startedAtMs = Date.now();
  const phases: string[] = [];
  const notes: string[] = [];
  let phaseStartedAtMs = startedAtMs;
  const phase = (name: string) => {
    const now = Date.now();
    phases.push(`${name} ${((now - phaseStartedAtMs) / 1000).toFixed(1)}`);
    phaseStartedAtMs = now;
  };
  const report: CaseReport = {
    id: testCase.id,
    mode,
    name: testCase.name,
    passed: false,
    seconds: 0,
    operations: 0,
    acknowledged: 0,
    unknown: 0,
    duplicatesSent: 0,
    repeatedAnswers: 0,
    usageUnits: 0,
    terms: [],
    linearizable: 'not judged',
    merges: 0,
    incidents: 0,
    lostAcknowledged: 0,
    notes,
    phases,
    failure: null,
  };
  let cluster: NetnsCluster | null = null;
  let control: NetnsControl | null = null;
  const workloads = new Map<LabHost, NetnsWorkload>();
  let probeCount = 0;
  try {
    await mkdir(directory, { recursive: true });
    const pki = await TestPki.create(pkiDirectory(directory));
    // The agent boots while the nodes do; it watches who leads from the first moment.
    control = await NetnsControl.start(
      lab,
      (['main', 'backup'] as const).map((role) => `${lab.address(role)}:${NETNS_TANDEMD_PORT}`),
      { pki, directory },
    );
    const admin = control;
    cluster = await NetnsCluster.start({
      lab,
      mode,
      directory,
      pki,
      overrides: deepMerge(NODE_OVERRIDES, testCase.overrides ?? {}),
      ...(testCase.environment === undefined ? {} : { environment: testCase.environment }),
    });
    const started = cluster;
    phase('start');
    await admin.waitForLeader([started.address('main')], 20_000, ['main']);
    for (const [licenceId, product, seats] of [
      [USAGE_LICENCE, 'Meter', 1],
      [LEASE_LICENCE, 'CAD', LEASE_SEATS],
      [SCARCE_LICENCE, 'Solver', SCARCE_SEATS],
      [PROBE_LICENCE, 'Probe', 1],
    ] as const) {
      // Redundancy: the backup serves only licences activated with it.
      await admin.activateLicence({ licenceId, product, seats, redundancy: true });
    }
    phase('leader');
    for (const host of WORKSTATIONS) {
      workloads.set(
        host,
        await NetnsWorkload.start(lab, host, {
          servers: started.servers,
          pki,
          clients: CLIENTS_PER_WORKSTATION,
          usageLicenceId: USAGE_LICENCE,
          leaseLicenceId: LEASE_LICENCE,
          scarceLicenceId: SCARCE_LICENCE,
          directory,
        }),
      );
    }
    const answered = (hosts: readonly LabHost[] = WORKSTATIONS) =>
      hosts.reduce((sum, host) => {
        const progress = workloads.get(host)?.progress;
        return sum + (progress === undefined ? 0 : progress.acknowledged + progress.rejected);
      }, 0);
    const faults = () => lab.faults.join('; ') || 'none';
    const context: CaseContext = {
      mode,
      lab,
      cluster: started,
      control: admin,
      workloads,
      answered,
      async expectProgress(count, timeoutMs, hosts = WORKSTATIONS) {
        const target = answered(hosts) + count;
        const deadline = Date.now() + timeoutMs;
        while (answered(hosts) < target) {
          if (Date.now() > deadline) {
            throw new Error(
              `${hosts.join('+')} got ${answered(hosts) - (target - count)} of ${count} more answers within ${timeoutMs} ms (faults: ${faults()})`,
            );
          }
          await sleep(50);
        }
      },
      async expectNoProgress(settleMs, periodMs, hosts = WORKSTATIONS) {
        await sleep(settleMs);
        const before = answered(hosts);
        await sleep(periodMs);
        expect(answered(hosts) - before, `${hosts.join('+')} got answers (faults: ${faults()})`).to.equal(0);
      },
      async stateOf(role) {
        try {
          const status = await admin.nodeStatus(started.address(role));
          const self = status.nodes[0];
          return self === undefined
            ? null
            : {
                state: self.state,
                term: self.term,
                leaderId: status.leaderId,
                inSync: status.inSync,
                commitIndex: self.commitIndex,
                appliedIndex: self.appliedIndex,
              };
        } catch {
          return null;
        }
      },
      waitForLeader(roles, timeoutMs) {
        return admin.waitForLeader(
          roles.map((role) => started.address(role)),
          timeoutMs,
          [...roles],
        );
      },
      async waitForInSync(roles, timeoutMs) {
        const followersHold = async (leader: NetnsDataRole, commitIndex: number) => {
          for (const role of roles) {
            if (role === leader) continue;
            const state = await context.stateOf(role);
            last.set(role, state);
            if (state === null || state.leaderId !== leader || state.appliedIndex < commitIndex) return false;
          }
          return true;
        };
        const wanted = [...roles].sort().join(',');
        const deadline = Date.now() + timeoutMs;
        // What each node last said of itself: on a timeout, the leader's view and the follower's
        // (a follower's in-sync set is the latest configuration in its own log, not the leader's).
        const last = new Map<NetnsDataRole, NodeState | null>();
        while (Date.now() < deadline) {
          for (const role of ['main', 'backup'] as const) {
            if (!started.isRunning(role)) continue;
            const state = await context.stateOf(role);
            last.set(role, state);
            if (state?.state === 'leader' && [...state.inSync].sort().join(',') === wanted) {
              if (await followersHold(role, state.commitIndex)) return;
            }
          }
          await sleep(100);
        }
        const views = [...last].map(([role, state]) => `${role} ${JSON.stringify(state)}`).join('; ');
        const leader = [...last].find(([, state]) => state?.state === 'leader')?.[0] ?? 'none';
        throw new Error(
          `the leader's in-sync set did not become [${wanted}] within ${timeoutMs} ms (leader: ${leader}; faults: ${faults()}): ${views}`,
        );
      },
      probe(role, kind, timeoutMs = 2000) {
        probeCount += 1;
        return admin.probe(
          started.address(role),
          kind,
          PROBE_LICENCE,
          `probe-${mode}-${testCase.id}-${probeCount}`,
          timeoutMs,
        );
      },
      async expectLeaderServes(leader) {
        const startedAtMs = Date.now();
        const deadlineMs = startedAtMs + LIVENESS_LIMIT_MS;
        const serve = async (kind: 'read' | 'write') => {
          const refusals: string[] = [];
          for (let attempt = 1; ; attempt += 1) {
            const outcome = await context.probe(leader, kind, Math.max(1, deadlineMs - Date.now()));
            const atMs = Date.now();
            if (outcome.answered && atMs <= deadlineMs) return { kind, afterMs: atMs - startedAtMs, attempt };
            if (refusals.length < 5) {
              refusals.push(outcome.answered ? `answered after ${atMs - startedAtMs} ms` : outcome.details);
            }
            if (atMs >= deadlineMs) {
              throw new Error(
                `after the heal and convergence, ${leader} (the leader) served no ${kind} within ${LIVENESS_LIMIT_MS} ms ` +
                  `(2 failover timeouts; ${attempt} probes): ${refusals.join(' | ')} (faults: ${faults()})`,
              );
            }
            await sleep(20);
          }
        };
        const served = await Promise.all([serve('read'), serve('write')]);
        notes.push(
          `after convergence ${leader} served ${served.map(({ kind, afterMs, attempt }) => `a ${kind} in ${afterMs} ms (probe ${attempt})`).join(' and ')}`,
        );
      },
      async expectRefuses(role, kind, why) {
        const outcome = await context.probe(role, kind);
        expect(
          outcome.answered,
          `${role} served a ${kind} ${why}: ${JSON.stringify(outcome)} (faults: ${faults()})`,
        ).to.equal(false);
        notes.push(
          `${role} refused a ${kind} ${why} (${outcome.answered ? '' : outcome.details.slice(0, 60)})`,
        );
        return outcome;
      },
      async expectNoLeader(periodMs) {
        const deadline = Date.now() + periodMs;
        while (Date.now() < deadline) {
          for (const role of ['main', 'backup'] as const) {
            const state = await context.stateOf(role);
            expect(state?.state, `${role} leads (faults: ${faults()})`).to.not.equal('leader');
          }
          await sleep(100);
        }
      },
      contend(hosts = WORKSTATIONS) {
        for (const host of hosts) workloads.get(host)?.contend();
      },
      holdSeats(hosts = WORKSTATIONS) {
        for (const host of hosts) workloads.get(host)?.holdSeats();
      },
      scarceHeld(hosts = WORKSTATIONS) {
        return hosts.reduce((sum, host) => sum + (workloads.get(host)?.progress.scarceHeld ?? 0), 0);
      },
      note(text) {
        notes.push(text);
      },
    };
    // Load is flowing on every workstation before the fault.
    for (const workload of workloads.values()) await workload.waitForAcknowledged(20, 15_000);
    phase('load');
    const problems: string[] = [];
    try {
      await testCase.fault(context);
      // After heal every workstation makes progress again.
      for (const host of WORKSTATIONS) await context.expectProgress(10, 20_000, [host]);
    } catch (error) {
      problems.push(`fault step: ${(error as Error).message}`);
    }
    phase('fault+heal');
    // Whatever happened, the history is checked: a failure says what was lost, not only that it failed.
    const histories = await Promise.all([...workloads.values()].map((workload) => workload.stop()));
    report.duplicatesSent = [...workloads.values()].reduce(
      (sum, workload) => sum + workload.progress.resent,
      0,
    );
    workloads.clear();
    const operations: Operation[] = histories.flatMap((history) => history.operations);
    const leaders: ObservedLeader[] = [
      ...histories.flatMap((history) => history.leaders),
      ...(await admin.takeLeaderObservations()),
    ];
    for (const role of started.roles) {
      if (!started.isRunning(role)) await started.startNode(role);
    }
    let verified: { appliedIndex: number; stateHash: string }[];
    try {
      verified = await admin.waitForEqualState(started.servers, problems.length === 0 ? 30_000 : 8000);
    } catch (error) {
      problems.push(`after heal: ${(error as Error).message}`);
      verified = await Promise.all(started.servers.map((address) => admin.verify(address)));
    }
    let diagnostics = problems.length === 0 ? '' : await describeNodes(started, context);
    const nodeLogs = started.roles.map((role) => ({ role, logs: started.node(role).logs }));
    phase('converge');
    await started.stop();
    const ledgers: VerifiedLedger[] = [];
    for (const [position, role] of (['main', 'backup'] as const).entries()) {
      const node = verified[position];
      if (node === undefined) throw new Error(`no verified state for ${role}`);
      ledgers.push(
        await readVerifiedLedger(started.dataDirectory(role), role, node.appliedIndex, node.stateHash),
      );
    }
    phase('read ledgers');
    const verdict = judgeHistory({
      mode,
      operations,
      ledgers,
      leaders,
      usageLicenceId: USAGE_LICENCE,
      licenceModels: LICENCE_MODELS,
    });
    phase('check');
    report.operations = verdict.operationCount;
    report.acknowledged = verdict.acknowledgedCount;
    report.unknown = verdict.unknownCount;
    report.repeatedAnswers = verdict.repeatedAnswerCount;
    report.usageUnits = verdict.usageUnitsCounted;
    report.terms = [...new Set(leaders.map((leader) => leader.term))].sort((a, b) => a - b);
    report.linearizable = verdict.linearizable;
    report.merges = verdict.mergeEntryCount;
    report.incidents = verdict.incidents.length;
    report.lostAcknowledged = verdict.violations.filter((violation) =>
      violation.endsWith('missing from the final ledger'),
    ).length;
    if (ledgers.some((verified) => verified.replayedFromIndex > 0)) {
      notes.push(
        `replayed from snapshots at ${ledgers.map((each) => `${each.nodeId} ${each.replayedFromIndex}`).join(', ')}`,
      );
    }
    try {
      // Every case sends duplicates (case 16 of the matrix, README.md) and checks they got the first
      // result.
      expect(report.duplicatesSent, 'the workload sent duplicates').to.be.greaterThan(0);
      expect(verdict.acknowledgedCount, 'the workload did real work').to.be.greaterThan(100);
      testCase.verdict?.(verdict, context);
    } catch (error) {
      problems.push(`verdict: ${(error as Error).message}`);
    }
    for (const role of ['main', 'backup']) {
      const missing = verdict.violations.filter(
        (violation) =>
          violation.startsWith(`${role}: acknowledged request`) &&
          violation.endsWith('missing from the final ledger'),
      ).length;
      if (missing > 0) problems.push(`${role}'s final ledger lacks ${missing} acknowledged operations`);
    }
    problems.push(...verdict.violations.slice(0, 10));
    if (verdict.violations.length > 10)
      problems.push(`... and ${verdict.violations.length - 10} more violations`);
    report.seconds = (Date.now() - startedAtMs) / 1000;
    if (problems.length > 0) {
      diagnostics += `\n${describeTimeline(nodeLogs, operations, ledgers)}`;
      const kept = await keepEvidence(`${testCase.id}-${mode}`, nodeLogs, operations);
      report.failure = problems[0] ?? 'failed';
      throw new Error(
        `${problems.join('\n')}\n(${verdict.acknowledgedCount} of ${verdict.operationCount} operations acknowledged; ${verdict.violations.length} checker violations; logs and history in ${kept})\n${diagnostics}`,
      );
    }
    if (process.env.TANDEM_NETNS_KEEP_EVIDENCE === '1') {
      notes.push(`logs and history in ${await keepEvidence(`${testCase.id}-${mode}`, nodeLogs, operations)}`);
    }
    report.passed = true;
    return report;
  } catch (error) {
    report.seconds = (Date.now() - startedAtMs) / 1000;
    if (report.failure === null) {
      // Failed before the history was checked (start, activation, load): keep what the nodes said.
      report.failure = (error as Error).message.split('\n')[0] ?? 'failed';
      const started = cluster;
      if (started !== null) {
        const nodeLogs = started.roles
          .filter((role) => started.isRunning(role))
          .map((role) => ({
            role,
            logs: [
              ...started.node(role).logs,
              ...started.node(role).stderr.map((text) => ({ stderr: text })),
            ],
          }));
        const kept = await keepEvidence(`${testCase.id}-${mode}`, nodeLogs, []).catch(() => 'nowhere');
        (error as Error).message +=
          `\n(faults in force: ${lab.faults.join('; ') || 'none'}; node logs in ${kept})`;
      }
    }
    throw Object.assign(error as Error, { report });
  } finally {
    for (const workload of workloads.values()) await workload.stop().catch(() => undefined);
    await control?.close();
    await cluster?.kill();
    await lab.heal().catch(() => undefined);
  }
}

async function keepEvidence(
  name: string,
  nodeLogs: { role: string; logs: readonly unknown[] }[],
  operations: readonly Operation[],
): Promise<string> {
  const directory = path.join(FAILURE_DIRECTORY, name);
  await mkdir(directory, { recursive: true });
  for (const { role, logs } of nodeLogs) {
    await writeFile(
      path.join(directory, `${role}.log`),
      logs
        .slice(-20_000)
        .map((line) => JSON.stringify(line))
        .join('\n'),
    );
  }
  await writeFile(path.join(directory, 'history.json'), JSON.stringify(operations.slice(0, 50_000)));
  return directory;
}

/** What each node says about itself, and its last warnings, for a failure message. */
async function describeNodes(cluster: NetnsCluster, context: CaseContext): Promise<string> {
  const lines: string[] = [];
  for (const role of cluster.roles) {
    const state = await context.stateOf(role);
    lines.push(`${role}: ${JSON.stringify(state)}`);
    if (cluster.isRunning(role)) {
      const node = cluster.node(role);
      const notable = node.logs.filter((line) => line.level === 'warn' || line.level === 'error').slice(-8);
      for (const line of notable) lines.push(`  ${role} log: ${JSON.stringify(line)}`);
      if (node.stderr.length > 0) lines.push(`  ${role} stderr: ${node.stderr.join('').slice(-1500)}`);
    }
  }
  return lines.join('\n');
}

const TIMELINE_MESSAGES = new Set([
  'role changed',
  "merging the backup's solo entries after a split brain",
  'the main merged our solo entries; discarding our history to follow it',
  'extending leases after failover',
  'this node could not run for longer than the failover timeout; stepping down',
  'fatal replica error, exiting',
  'replica failed; refusing further operations',
]);

/**
 * Who led when, from the nodes' logs, and the first operations whose final result differs from
 * what the client saw, with when and where they ran: enough to tell a bug from a test fault.
 */
function describeTimeline(
  nodeLogs: { role: string; logs: readonly { message: string; [key: string]: unknown }[] }[],
  operations: readonly Operation[],
  ledgers: readonly VerifiedLedger[],
): string {
  const events = nodeLogs.flatMap(({ role, logs }) =>
    logs
      .filter((line) => TIMELINE_MESSAGES.has(line.message))
      .map((line) => {
        const { message, timestamp, level: _level, node: _node, ...rest } = line;
        return { atMs: Date.parse(String(timestamp)), text: `${role}: ${message} ${JSON.stringify(rest)}` };
      }),
  );
  const differing = operations
    .filter((operation) => operation.outcome.kind === 'ok')
    .filter((operation) =>
      ledgers.some(
        ({ ledger }) =>
          JSON.stringify(ledger.lookupRequest(requestIdOf(operation))) !==
          JSON.stringify(operation.outcome.kind === 'ok' ? operation.outcome.result : null),
      ),
    )
    .slice(0, 5);
  for (const operation of differing) {
    const seen = operation.outcome.kind === 'ok' ? JSON.stringify(operation.outcome.result) : '';
    const final = ledgers.map(
      ({ nodeId, ledger }) => `${nodeId} ${JSON.stringify(ledger.lookupRequest(requestIdOf(operation)))}`,
    );
    events.push({
      atMs: operation.invokedAtMs,
      text: `${operation.id} invoked by ${operation.client}, answered after ${operation.completedAtMs - operation.invokedAtMs} ms: client saw ${seen}; final ${final.join('; ')}`,
    });
  }
  const first = Math.min(...events.map((event) => event.atMs));
  return events
    .sort((left, right) => left.atMs - right.atMs)
    .slice(0, 80)
    .map((event) => `  +${((event.atMs - first) / 1000).toFixed(3)} s ${event.text}`)
    .join('\n');
}

function requestIdOf(operation: Operation): string {
  return 'requestId' in operation.command ? operation.command.requestId : '';
}
