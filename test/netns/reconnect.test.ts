// A link between the data nodes that was cut for longer than a few seconds, cleanly or in one
// direction only, long enough for a split brain (both nodes lead, pair mode): once it heals, the
// split must end within one failover timeout, so that leases stop being granted on both sides.
// Each node must reach its peer again within a heartbeat and a round trip of the heal (the link
// probe, peer-channel.ts), even with a connection attempt begun during the cut, which would
// otherwise wait out the kernel's SYN retransmissions (1, 2, 4, 8, 16, 32 s apart: up to two
// minutes) or grpc-js's reconnect backoff.
//
// How it is measured: from the moment the lab's heal returns (every iptables rule gone) to the
// timestamps of the nodes' own log lines: "peer reachable again" on each node, main's "role
// changed" to leader (when it took leadership after the heal), and the backup's "role changed" to
// a follower of main, which is when the split ended: until then the backup still led its own term.
import path from 'node:path';
import { type LogLine, NetnsLab, removeDirectory, temporaryDirectory } from '@tandem/testkit';
import { expect } from 'chai';
import { type CaseContext, FAILOVER_TIMEOUT_MS, type MatrixCase, runCase, sleep } from './matrix-harness.js';
import { requireNetns } from './netns-gate.js';

/** Long enough for a connection attempt begun early in the cut to be in SYN retransmission backoff. */
const CUT_MS = 20_000;
/**
 * The target: the split ends (the backup follows main) within one failover timeout of the heal.
 * Before the link probe, each node first heard the other 0.8 to 1.1 s after a clean cut's heal,
 * and the split ended 1.4 to 1.6 s after it (three to four failover timeouts in this test's timing).
 */
const SPLIT_ENDS_WITHIN_MS = FAILOVER_TIMEOUT_MS;

/** When (ms since the epoch) a node first logged a line matching `match` at or after `sinceMs`. */
function firstLogAt(
  lines: readonly LogLine[],
  sinceMs: number,
  match: (line: LogLine) => boolean,
): number | null {
  for (const line of lines) {
    const atMs = Date.parse(String(line.timestamp));
    if (atMs >= sinceMs && match(line)) return atMs;
  }
  return null;
}

/** Cuts with `cut`, waits until the backup leads alone (a split brain), heals, and measures. */
async function splitAndHeal(context: CaseContext, cut: () => Promise<void>): Promise<void> {
  const { lab, cluster } = context;
  await cut();
  await context.waitForLeader(['backup'], 10_000);
  await sleep(CUT_MS);
  const main = await context.stateOf('main');
  const backup = await context.stateOf('backup');
  expect(backup?.state, 'the backup leads alone before the heal (a split brain)').to.equal('leader');
  context.note(
    `before the heal: main ${main?.state} at term ${main?.term}, the backup ${backup?.state} at term ${backup?.term}`,
  );
  const healStartedAtMs = Date.now();
  await lab.heal();
  const healedAtMs = Date.now();
  const logs = (role: 'main' | 'backup') => cluster.node(role).logs;
  const reachedAt = (role: 'main' | 'backup') =>
    firstLogAt(logs(role), healedAtMs - 1000, (line) => line.message === 'peer reachable again');
  const splitEndedAt = () =>
    firstLogAt(
      logs('backup'),
      healStartedAtMs,
      (line) => line.message === 'role changed' && line.leaderId === 'main' && line.role === 'follower',
    );
  await context.waitForLeader(['main'], 30_000);
  const deadline = Date.now() + 30_000;
  while (splitEndedAt() === null && Date.now() < deadline) await sleep(100);
  const mainLedAt = firstLogAt(
    logs('main'),
    healStartedAtMs,
    (line) => line.message === 'role changed' && line.role === 'leader',
  );
  const after = (atMs: number | null) =>
    atMs === null ? 'never' : `${((atMs - healedAtMs) / 1000).toFixed(2)} s`;
  const replaced = logs('main')
    .concat(logs('backup'))
    .filter(
      (line) =>
        line.message === 'replaced the channel to a peer' &&
        Date.parse(String(line.timestamp)) >= healStartedAtMs - 1000,
    ).length;
  context.note(
    `heal took ${((healedAtMs - healStartedAtMs) / 1000).toFixed(2)} s; after it main reached the backup after ${after(reachedAt('main'))}, the backup main after ${after(reachedAt('backup'))}; main took leadership after ${mainLedAt === null ? 'none (it led already)' : after(mainLedAt)}; the split ended (the backup followed main) after ${after(splitEndedAt())}; ${replaced} channel(s) replaced by the link probe`,
  );
  await context.waitForInSync(['main', 'backup'], 30_000);
  context.note(`both in sync ${((Date.now() - healedAtMs) / 1000).toFixed(1)} s after the heal`);
  const ended = splitEndedAt();
  expect(ended, 'the backup never followed main after the heal').to.not.equal(null);
  expect(
    (ended ?? 0) - healedAtMs,
    `the split ended only ${after(ended)} after the heal (target: ${SPLIT_ENDS_WITHIN_MS} ms)`,
  ).to.be.at.most(SPLIT_ENDS_WITHIN_MS);
}

const CASES: MatrixCase[] = [
  {
    id: 'reconnect',
    name: `main <-> backup cut for ${CUT_MS / 1000} s in a split brain, then healed: the split ends within a failover timeout`,
    modes: ['pair'],
    fault: (context) => splitAndHeal(context, () => context.lab.cutBetween('main', 'backup')),
  },
  {
    id: 'reconnect-one-way',
    name: `main -> backup dropped for ${CUT_MS / 1000} s in a split brain, then healed: the split ends within a failover timeout`,
    modes: ['pair'],
    fault: (context) => splitAndHeal(context, () => context.lab.cut('main', 'backup')),
  },
];

describe('reconnection after a long cut (network namespaces, real processes)', function () {
  this.timeout(180_000);
  let lab: NetnsLab;
  let directory: string;

  before(async function () {
    await requireNetns(this);
    directory = await temporaryDirectory('tandem-netns-reconnect-');
    lab = await NetnsLab.create({ workstations: 2, witness: true });
  });

  after(async () => {
    await lab?.destroy();
    if (directory !== undefined) await removeDirectory(directory);
  });

  for (const testCase of CASES) {
    it(`pair: (${testCase.id}) ${testCase.name}`, async () => {
      const report = await runCase(lab, path.join(directory, `case-${testCase.id}`), testCase, 'pair');
      console.log(
        `      ${report.seconds.toFixed(1)} s [${report.phases.join(', ')}]\n        ${report.notes.join('\n        ')}`,
      );
    });
  }
});
