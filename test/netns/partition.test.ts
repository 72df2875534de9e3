// Real network partitions: main, backup and the workstations each in their own network namespace,
// links cut with iptables and slowed with netem (or the lab's NFQUEUE delayer), real tandemd
// processes killed with SIGKILL. Every case runs the same way: a fresh pair under load from two
// workstation namespaces, the fault, heal, and then the history checker over the recorded history
// and both nodes' final ledgers (every acknowledged operation on both nodes with the result the
// client saw, equal state hashes, usage counted exactly once, one leader per term, and, where the
// mode promises it, linearizability per licence).
//
// The cases are a table with a `mode` and the capabilities they `need`. A case whose needs are not
// all in AVAILABLE is registered as pending (an `it` without a body), so the matrix shows what is
// still to come; add the capability to AVAILABLE when it lands.
import path from 'node:path';
import {
  judgeHistory,
  type LabHost,
  type LicenceModelConfig,
  NETNS_TANDEMD_PORT,
  NetnsControl,
  NetnsLab,
  NetnsPair,
  NetnsWorkload,
  type ObservedLeader,
  type Operation,
  readVerifiedLedger,
  removeDirectory,
  temporaryDirectory,
  type VerifiedLedger,
} from '@tandem/testkit';
import { expect } from 'chai';
import { requireNetns } from './netns-gate.js';

type Mode = 'pair' | 'witness';
/** Server capabilities some cases need: the pair-mode split-brain merge, and witness mode. */
type Capability = 'pair-merge' | 'witness';

/**
 * What the server can do today. TANDEM_NETNS_CAPABILITIES (comma-separated) adds to it, so that a
 * capability can be tried before it is listed here.
 */
const AVAILABLE = new Set<Capability>([
  ...((process.env.TANDEM_NETNS_CAPABILITIES ?? '')
    .split(',')
    .filter((name) => name === 'pair-merge' || name === 'witness') as Capability[]),
]);

const USAGE_LICENCE = 'meter';
const LEASE_LICENCE = 'seats';
const LEASE_SEATS = 100;
const WORKSTATIONS: LabHost[] = ['ws1', 'ws2'];
const CLIENTS_PER_WORKSTATION = 3;
const FAILOVER_TIMEOUT_MS = 1000;
const NODE_OVERRIDES = {
  // The final ledgers are rebuilt from the log: keep it uncompacted for the length of a case.
  snapshot: { everyEntries: 1_000_000 },
  log: { level: 'info' },
};
const LICENCE_MODELS: LicenceModelConfig[] = [
  { licenceId: USAGE_LICENCE, seats: 1, quotaUnits: null },
  { licenceId: LEASE_LICENCE, seats: LEASE_SEATS, quotaUnits: null },
];

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

interface CaseContext {
  lab: NetnsLab;
  pair: NetnsPair;
  control: NetnsControl;
  workloads: Map<LabHost, NetnsWorkload>;
  /** Operations acknowledged so far by the workloads of the given hosts (all by default). */
  acknowledged(hosts?: readonly LabHost[]): number;
  /** Waits until the given hosts' workloads acknowledged `count` more operations than now. */
  expectProgress(count: number, timeoutMs: number, hosts?: readonly LabHost[]): Promise<void>;
  /** Which node each data node says leads, as the control host sees them. */
  leaderOf(role: 'main' | 'backup'): Promise<{ state: string; term: number; leaderId: string | null } | null>;
}

interface PartitionCase {
  name: string;
  mode: Mode;
  needs: Capability[];
  /** Whether the mode promises linearizability in this case (not pair mode across a split brain). */
  linearizable: boolean;
  /** Applies the fault, checks what must hold while it lasts, and heals it (restarting nodes). */
  fault(context: CaseContext): Promise<void>;
}

const PAIR_CASES: PartitionCase[] = [
  {
    name: 'kill -9 main under load: backup serves, main returns and takes over again',
    mode: 'pair',
    needs: [],
    linearizable: true,
    async fault({ pair, control, expectProgress }) {
      await pair.kill('main');
      const leader = await control.waitForLeader([pair.address('backup')], 10_000, ['backup']);
      expect(leader.id).to.equal('backup');
      await expectProgress(40, 10_000);
      await pair.startNode('main');
      await control.waitForLeader(pair.servers, 20_000, ['main']);
    },
  },
  {
    name: 'partition main | backup (workstations reach only main), then heal',
    mode: 'pair',
    needs: [],
    linearizable: false, // pair mode may split its brain here and merge; linearizability is promised in witness mode,
    async fault({ lab, pair, control, expectProgress, leaderOf }) {
      await lab.partition(['main', ...WORKSTATIONS], ['backup']);
      await sleep(3 * FAILOVER_TIMEOUT_MS);
      await expectProgress(40, 10_000);
      const main = await leaderOf('main');
      expect(main?.state, 'main keeps serving the workstations').to.equal('leader');
      await lab.heal();
      await control.waitForLeader(pair.servers, 20_000, ['main']);
    },
  },
  {
    name: 'one-way loss main -> backup, then heal',
    mode: 'pair',
    needs: [],
    linearizable: false, // pair mode may split its brain here and merge; linearizability is promised in witness mode,
    async fault({ lab, pair, control, expectProgress }) {
      await lab.cut('main', 'backup');
      await sleep(3 * FAILOVER_TIMEOUT_MS);
      await expectProgress(40, 10_000);
      await lab.heal();
      await control.waitForLeader(pair.servers, 20_000, ['main']);
    },
  },
  {
    name: 'one-way loss backup -> main, then heal',
    mode: 'pair',
    needs: [],
    linearizable: false, // pair mode may split its brain here and merge; linearizability is promised in witness mode,
    async fault({ lab, pair, control, expectProgress }) {
      await lab.cut('backup', 'main');
      await sleep(3 * FAILOVER_TIMEOUT_MS);
      await expectProgress(40, 10_000);
      await lab.heal();
      await control.waitForLeader(pair.servers, 20_000, ['main']);
    },
  },
  {
    name: 'slow links: 75 ± 50 ms on every link, no failover',
    mode: 'pair',
    needs: [],
    linearizable: false, // pair mode may split its brain here and merge; linearizability is promised in witness mode,
    async fault({ lab, pair, control, expectProgress, leaderOf }) {
      const before = await leaderOf('main');
      await lab.impairAll(['main', 'backup', ...WORKSTATIONS], { delayMs: 75, jitterMs: 50 });
      await sleep(5000);
      await expectProgress(40, 10_000);
      const during = await leaderOf('main');
      // Heartbeats every 100 ms and at most 250 ms round trips stay far inside the failover timeout.
      expect(during?.state, 'main still leads').to.equal('leader');
      expect(during?.term, 'no election happened').to.equal(before?.term);
      await lab.heal();
      await control.waitForLeader(pair.servers, 10_000, ['main']);
    },
  },
  {
    name: '30 % loss on every link, then heal',
    mode: 'pair',
    needs: [],
    linearizable: false, // pair mode may split its brain here and merge; linearizability is promised in witness mode,
    async fault({ lab, pair, control, expectProgress }) {
      await lab.impairAll(['main', 'backup', ...WORKSTATIONS], { lossPercent: 30 });
      await sleep(5000);
      await expectProgress(20, 15_000);
      await lab.heal();
      await control.waitForLeader(pair.servers, 20_000, ['main']);
    },
  },
  {
    name: 'a workstation cut from main only: it waits (backup does not serve while main lives), then resumes',
    mode: 'pair',
    needs: [],
    linearizable: true,
    async fault({ lab, pair, control, acknowledged, expectProgress, leaderOf }) {
      await lab.cutBetween('ws2', 'main');
      // Operations of ws2 already on the wire when the cut came may still finish: let them settle.
      await sleep(FAILOVER_TIMEOUT_MS);
      const cutOffAcknowledged = acknowledged(['ws2']);
      await sleep(4000);
      await expectProgress(40, 10_000, ['ws1']);
      // The backup still hears main, so it stays a follower and refuses ws2, naming main, which
      // ws2 cannot reach: ws2's operations wait and retry with their request ids.
      expect(acknowledged(['ws2']), 'ws2 gets nothing acknowledged while cut from main').to.equal(
        cutOffAcknowledged,
      );
      expect((await leaderOf('backup'))?.state, 'backup does not take over from a live main').to.equal(
        'follower',
      );
      await lab.heal();
      await control.waitForLeader(pair.servers, 10_000, ['main']);
      await expectProgress(20, 20_000, ['ws2']);
    },
  },
  {
    name: 'main <-> backup cut while workstations reach both (split brain), then merge',
    mode: 'pair',
    needs: ['pair-merge'],
    linearizable: false,
    async fault({ lab, pair, control, expectProgress }) {
      await lab.cutBetween('main', 'backup');
      // ws2 loses main as well, so it goes to the backup once the backup serves alone.
      await lab.cutBetween('ws2', 'main');
      await sleep(3 * FAILOVER_TIMEOUT_MS);
      await expectProgress(40, 10_000, ['ws1']);
      await expectProgress(10, 15_000, ['ws2']);
      await lab.heal();
      await control.waitForLeader(pair.servers, 30_000, ['main']);
    },
  },
];

/** Witness mode needs the witness (others are building it); the matrix is listed so it is not forgotten. */
const WITNESS_CASES: PartitionCase[] = [
  'kill -9 main under load',
  'kill -9 backup under load',
  'witness down, then main dies: backup must not serve',
  'partition main | backup + witness',
  'partition main + witness | backup',
  'main <-> backup cut while both reach the witness and the workstations',
  'all three cut apart',
  'one-way loss main -> backup and backup -> main',
  'slow links (75 ± 50 ms) and 30 % loss',
  'a workstation cut from main only',
].map((name) => ({
  name,
  mode: 'witness' as const,
  needs: ['witness' as const],
  linearizable: true,
  async fault() {
    throw new Error('not written yet: needs witness mode');
  },
}));

interface CaseReport {
  name: string;
  seconds: number;
  operations: number;
  acknowledged: number;
  unknown: number;
  usageUnits: number;
  terms: number[];
  linearizable: boolean | 'unknown' | 'not checked';
  /** Seconds per phase, for the timing report. */
  phases: string[];
}

describe('real network partitions (network namespaces)', function () {
  this.timeout(120_000);
  let lab: NetnsLab;
  let directory: string;
  const reports: CaseReport[] = [];

  before(async function () {
    await requireNetns(this);
    directory = await temporaryDirectory('tandem-netns-');
    lab = await NetnsLab.create({ workstations: WORKSTATIONS.length });
  });

  after(async () => {
    await lab?.destroy();
    if (directory !== undefined) await removeDirectory(directory);
    if (reports.length > 0) {
      const operations = reports.reduce((sum, report) => sum + report.operations, 0);
      console.log(
        `      ${reports.length} histories checked, ${operations} operations, 0 acknowledged operations lost`,
      );
    }
  });

  for (const [position, testCase] of [...PAIR_CASES, ...WITNESS_CASES].entries()) {
    const title = `${testCase.mode}: ${testCase.name}`;
    const missing = testCase.needs.filter((need) => !AVAILABLE.has(need));
    if (missing.length > 0) {
      // Pending until the server has what the case needs.
      it(`${title} (needs ${missing.join(', ')})`);
      continue;
    }
    it(title, async () => {
      const report = await runCase(lab, path.join(directory, `case-${position}`), testCase);
      reports.push(report);
      console.log(
        `      ${report.seconds.toFixed(1)} s, ${report.operations} operations (${report.acknowledged} acknowledged, ${report.unknown} unknown), ${report.usageUnits} usage units, terms ${report.terms.join('/')}, linearizable: ${report.linearizable} [${report.phases.join(', ')}]`,
      );
    });
  }
});

async function runCase(lab: NetnsLab, directory: string, testCase: PartitionCase): Promise<CaseReport> {
  const startedAtMs = Date.now();
  const phases: string[] = [];
  let phaseStartedAtMs = startedAtMs;
  const phase = (name: string) => {
    const now = Date.now();
    phases.push(`${name} ${((now - phaseStartedAtMs) / 1000).toFixed(1)}`);
    phaseStartedAtMs = now;
  };
  let pair: NetnsPair | null = null;
  let control: NetnsControl | null = null;
  const workloads = new Map<LabHost, NetnsWorkload>();
  try {
    // The agent boots while the nodes do.
    control = NetnsControl.start(
      lab,
      (['main', 'backup'] as const).map((role) => `${lab.address(role)}:${NETNS_TANDEMD_PORT}`),
    );
    const admin = control;
    pair = await NetnsPair.start({ lab, directory, overrides: NODE_OVERRIDES });
    const started = pair;
    phase('pair');
    await admin.waitForLeader([started.address('main')], 20_000, ['main']);
    await admin.activateLicence({ licenceId: USAGE_LICENCE, product: 'Meter', seats: 1, redundancy: true });
    await admin.activateLicence({
      licenceId: LEASE_LICENCE,
      product: 'CAD',
      seats: LEASE_SEATS,
      redundancy: true,
    });
    phase('leader');
    for (const host of WORKSTATIONS) {
      workloads.set(
        host,
        await NetnsWorkload.start(lab, host, {
          servers: started.servers,
          clients: CLIENTS_PER_WORKSTATION,
          usageLicenceId: USAGE_LICENCE,
          leaseLicenceId: LEASE_LICENCE,
          directory,
        }),
      );
    }
    const acknowledged = (hosts: readonly LabHost[] = WORKSTATIONS) =>
      hosts.reduce((sum, host) => sum + (workloads.get(host)?.progress.acknowledged ?? 0), 0);
    const context: CaseContext = {
      lab,
      pair: started,
      control: admin,
      workloads,
      acknowledged,
      async expectProgress(count, timeoutMs, hosts = WORKSTATIONS) {
        const target = acknowledged(hosts) + count;
        const deadline = Date.now() + timeoutMs;
        while (acknowledged(hosts) < target) {
          if (Date.now() > deadline) {
            throw new Error(
              `${hosts.join('+')} acknowledged ${acknowledged(hosts) - (target - count)} of ${count} more operations within ${timeoutMs} ms (faults: ${lab.faults.join('; ') || 'none'})`,
            );
          }
          await sleep(50);
        }
      },
      async leaderOf(role) {
        try {
          const status = await admin.nodeStatus(started.address(role));
          const self = status.nodes[0];
          return self === undefined
            ? null
            : { state: self.state, term: self.term, leaderId: status.leaderId };
        } catch {
          return null;
        }
      },
    };
    // Load is flowing on every workstation before the fault.
    for (const workload of workloads.values()) await workload.waitForAcknowledged(30, 15_000);
    phase('load');
    const problems: string[] = [];
    try {
      await testCase.fault(context);
      // After heal every workstation makes progress again.
      for (const host of WORKSTATIONS) await context.expectProgress(20, 20_000, [host]);
    } catch (error) {
      problems.push(`fault step: ${(error as Error).message}`);
    }
    phase('fault+heal');
    // Whatever happened, the history is checked: a failure says what was lost, not only that it failed.
    const histories = await Promise.all([...workloads.values()].map((workload) => workload.stop()));
    workloads.clear();
    const operations: Operation[] = histories.flatMap((history) => history.operations);
    const leaders: ObservedLeader[] = [
      ...histories.flatMap((history) => history.leaders),
      ...(await admin.takeLeaderObservations()),
    ];
    for (const role of ['main', 'backup'] as const) {
      if (!started.isRunning(role)) await started.startNode(role);
    }
    let verified: { appliedIndex: number; stateHash: string }[];
    try {
      verified = await admin.waitForEqualState(started.servers, problems.length === 0 ? 30_000 : 5000);
    } catch (error) {
      problems.push(`after heal: ${(error as Error).message}`);
      verified = await Promise.all(started.servers.map((address) => admin.verify(address)));
    }
    let diagnostics = problems.length === 0 ? '' : await describeNodes(started, admin);
    const nodeLogs = (['main', 'backup'] as const).map((role) => ({ role, logs: started.node(role).logs }));
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
      operations,
      ledgers,
      leaders,
      usageLicenceId: USAGE_LICENCE,
      ...(testCase.linearizable ? { linearizable: LICENCE_MODELS } : {}),
    });
    phase('check');
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
    if (problems.length > 0) {
      diagnostics += `\n${describeTimeline(nodeLogs, operations, ledgers)}`;
      throw new Error(
        `${problems.join('\n')}\n(${verdict.acknowledgedCount} of ${verdict.operationCount} operations acknowledged; ${verdict.violations.length} checker violations)\n${diagnostics}`,
      );
    }
    expect(verdict.acknowledgedCount, 'the workload did real work').to.be.greaterThan(100);
    return {
      name: testCase.name,
      seconds: (Date.now() - startedAtMs) / 1000,
      operations: verdict.operationCount,
      acknowledged: verdict.acknowledgedCount,
      unknown: verdict.unknownCount,
      usageUnits: verdict.usageUnitsCounted,
      terms: [...new Set(leaders.map((leader) => leader.term))].sort((a, b) => a - b),
      linearizable: verdict.linearizable,
      phases,
    };
  } finally {
    for (const workload of workloads.values()) await workload.stop().catch(() => undefined);
    await control?.close();
    await pair?.kill();
    await lab.heal().catch(() => undefined);
  }
}

/** What each node says about itself, and its last warnings, for a failure message. */
async function describeNodes(pair: NetnsPair, control: NetnsControl): Promise<string> {
  const lines: string[] = [];
  for (const role of ['main', 'backup'] as const) {
    try {
      const status = await control.nodeStatus(pair.address(role));
      const self = status.nodes[0];
      lines.push(
        `${role}: ${self?.state} term ${self?.term}, leader ${status.leaderId}, in-sync [${status.inSync.join(', ')}], commit ${self?.commitIndex}, applied ${self?.appliedIndex}`,
      );
    } catch (error) {
      lines.push(`${role}: no status (${(error as Error).message})`);
    }
    if (pair.isRunning(role)) {
      const notable = pair
        .node(role)
        .logs.filter((line) => line.level === 'warn' || line.level === 'error')
        .slice(-8);
      for (const line of notable) lines.push(`  ${role} log: ${JSON.stringify(line)}`);
    }
  }
  return lines.join('\n');
}

const TIMELINE_MESSAGES = new Set([
  'role changed',
  "merging the backup's solo entries after a split brain",
  'the main merged our solo entries; discarding our history to follow it',
  'extending leases after failover',
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
          JSON.stringify(ledger.lookupRequest(operation.id)) !==
          JSON.stringify(operation.outcome.kind === 'ok' ? operation.outcome.result : null),
      ),
    )
    .slice(0, 5);
  for (const operation of differing) {
    const seen = operation.outcome.kind === 'ok' ? JSON.stringify(operation.outcome.result) : '';
    const final = ledgers.map(
      ({ nodeId, ledger }) => `${nodeId} ${JSON.stringify(ledger.lookupRequest(operation.id))}`,
    );
    events.push({
      atMs: operation.invokedAtMs,
      text: `${operation.id} invoked by ${operation.client}, answered after ${operation.completedAtMs - operation.invokedAtMs} ms: client saw ${seen}; final ${final.join('; ')}`,
    });
  }
  const first = Math.min(...events.map((event) => event.atMs));
  return events
    .sort((left, right) => left.atMs - right.atMs)
    .slice(0, 60)
    .map((event) => `  +${((event.atMs - first) / 1000).toFixed(3)} s ${event.text}`)
    .join('\n');
}
