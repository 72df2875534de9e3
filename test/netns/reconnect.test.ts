// A link between the data nodes that was cut for longer than a few seconds: once it heals, each
// node must reach its peer again within a few failover timeouts (peer-channel.ts), so that the
// leader replicates, merges a split brain and takes the other node back into the in-sync set.
// A connection attempt begun during the cut must not wait out the kernel's SYN retransmissions
// (1, 2, 4, 8, 16, 32 s apart: up to two minutes) after the link is back.
import path from 'node:path';
import { NetnsLab, removeDirectory, temporaryDirectory } from '@tandem/testkit';
import { expect } from 'chai';
import { FAILOVER_TIMEOUT_MS, type MatrixCase, runCase, sleep } from './matrix-harness.js';
import { requireNetns } from './netns-gate.js';

/** Long enough for a connection attempt begun early in the cut to be in SYN retransmission backoff. */
const CUT_MS = 20_000;
/**
 * Found again within this long after the heal: an attempt begun during the cut is given up after
 * three failover timeouts (peerConnectTimeoutMs), the next one starts after at most half a failover
 * timeout of backoff (peerChannelOptions), and its first SYN is answered at once. Without that, one
 * direction stayed dead 12 to 16 s after the heal (until the kernel's next SYN retransmission).
 */
const REACHABLE_WITHIN_MS = 4 * FAILOVER_TIMEOUT_MS + 1000;

const RECONNECT_CASE: MatrixCase = {
  id: 'reconnect',
  name: `main <-> backup cut for ${CUT_MS / 1000} s, then healed: the nodes reach each other again at once`,
  modes: ['pair'],
  async fault(context) {
    const { lab, cluster } = context;
    await lab.cutBetween('main', 'backup');
    await sleep(CUT_MS);
    const before = { main: cluster.node('main').logs.length, backup: cluster.node('backup').logs.length };
    const healedAtMs = Date.now();
    await lab.heal();
    const reachedAtMs = new Map<string, number>();
    while (reachedAtMs.size < 2 && Date.now() - healedAtMs < 40_000) {
      for (const role of ['main', 'backup'] as const) {
        if (reachedAtMs.has(role)) continue;
        const line = cluster
          .node(role)
          .logs.slice(before[role])
          .find((each) => each.message === 'peer reachable again');
        if (line !== undefined) reachedAtMs.set(role, Date.parse(String(line.timestamp)));
      }
      await sleep(100);
    }
    const after = (role: string) => {
      const at = reachedAtMs.get(role);
      return at === undefined ? 'never' : `${((at - healedAtMs) / 1000).toFixed(1)} s`;
    };
    context.note(
      `after the heal main reached the backup after ${after('main')}, the backup main after ${after('backup')}`,
    );
    await context.waitForLeader(['main'], 30_000);
    await context.waitForInSync(['main', 'backup'], 30_000);
    context.note(`both in sync ${((Date.now() - healedAtMs) / 1000).toFixed(1)} s after the heal`);
    for (const role of ['main', 'backup']) {
      const at = reachedAtMs.get(role);
      expect(at, `${role} never reached its peer after the heal`).to.not.equal(undefined);
      expect(
        (at ?? 0) - healedAtMs,
        `${role} reached its peer only ${after(role)} after the heal`,
      ).to.be.at.most(REACHABLE_WITHIN_MS);
    }
  },
};

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

  it(`pair: ${RECONNECT_CASE.name}`, async () => {
    const report = await runCase(lab, path.join(directory, 'case-reconnect'), RECONNECT_CASE, 'pair');
    console.log(
      `      ${report.seconds.toFixed(1)} s [${report.phases.join(', ')}]\n        ${report.notes.join('\n        ')}`,
    );
  });
});
