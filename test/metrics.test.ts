// The Prometheus metrics of real nodes (in-process tandemd, real LevelDB and gRPC over TLS from a
// test PKI), read through Tandemd.metrics.render(), as GET /metrics will serve them:
// - one node, after leases, denials and usage: the per-licence figures match the ledger, denials
//   are counted by reason, the RPC histogram carries service, method and code, storage, consensus,
//   certificate, build and process families are there, an overdraft incident a merge opens is
//   counted, and no workstation id appears anywhere;
// - a pair in one process (two registries side by side): the leader's view of the follower (in
//   sync, lag), and a failover and hand-back counted on both sides;
// - deploy/prometheus/tandem-alerts.yml parses and every metric its rules (and the Grafana
//   dashboard's panels) name is one a node exports; with promtool installed, the rules' unit tests
//   pass.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdminClient, connect, NotFoundError, RejectedError, type WorkstationClient } from '@tandem/client';
import { createLogger, freePort, OTHER_LICENCE, parseConfig, Tandemd } from '@tandem/server';
import {
  activateTestLicence,
  pkiDirectory,
  removeDirectory,
  TestPki,
  temporaryDirectory,
  testVendorLicensing,
} from '@tandem/testkit';
import { expect } from 'chai';
import YAML from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
function parseExposition(body: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[label[1] as string] = label[2] as string;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with this name and (at least) these labels; undefined when none. */
function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

async function render(node: Tandemd): Promise<{ body: string; samples: Sample[] }> {
  const { contentType, body } = await node.metrics.render();
  expect(contentType).to.match(/^text\/plain; version=0\.0\.4/);
  return { body, samples: parseExposition(body) };
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** The names a sample of each rendered family may have (a histogram's _bucket, _sum and _count). */
function exportedNames(body: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name as string);
    if (type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

/** Metric names a PromQL expression refers to: tandem_, process_ and nodejs_ identifiers. */
function metricNamesIn(expression: string): string[] {
  return [...expression.matchAll(/\b(?:tandem|process|nodejs)_[a-zA-Z0-9_]+/g)].map((match) => match[0]);
}

describe('metrics of a real node', function () {
  this.timeout(60_000);
  let directory: string;
  let node: Tandemd;
  let admin: AdminClient;
  let pki: TestPki;
  const clients: WorkstationClient[] = [];

  async function workstation(id: string): Promise<WorkstationClient> {
    const client = await connect(
      await pki.settings([node.address], 'workstation', id, { requestTimeoutMs: 2000 }),
    );
    clients.push(client);
    return client;
  }

  /** A ledger rejection (seats, quota) or a not-found, as the client library raises them. */
  async function rejectionOf(promise: Promise<unknown>): Promise<{ reason: string | null }> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof RejectedError || error instanceof NotFoundError) return error;
      throw error;
    }
    throw new Error('expected a rejection');
  }

  before(async () => {
    directory = await temporaryDirectory();
    pki = await TestPki.create(pkiDirectory(directory));
    node = await Tandemd.start(
      parseConfig({
        node: { id: 'main', listen: '127.0.0.1:0', dataDir: path.join(directory, 'main') },
        licensing: testVendorLicensing(),
        tls: await pki.serverTls('node', 'main'),
        log: { level: 'error' },
      }),
      createLogger('error', 'main'),
    );
    await node.replica.waitForLeadership(5000);
    admin = await AdminClient.connect(
      await pki.settings([node.address], 'admin', 'admin', { requestTimeoutMs: 2000 }),
    );
  });

  after(async () => {
    for (const client of clients) client.close();
    admin?.close();
    await node?.stop();
    await removeDirectory(directory);
  });

  it('counts leases, denials and usage per licence, times RPCs, and names no workstation', async () => {
    await activateTestLicence(admin, { licenceId: 'cad', product: 'CAD', seats: 2, quota: null });
    await activateTestLicence(admin, {
      licenceId: 'sim',
      product: 'SIM',
      seats: 5,
      quota: { units: 100, period: 'day' },
    });
    const ws1 = await workstation('ws-alpha-1');
    const ws2 = await workstation('ws-beta-2');
    const ws3 = await workstation('ws-gamma-3');
    await ws1.acquire('cad');
    await ws2.acquire('cad');
    expect((await rejectionOf(ws3.acquire('cad'))).reason).to.equal('seat_limit_reached');
    expect((await rejectionOf(ws3.acquire('no-such-licence'))).reason).to.equal('licence_not_found');
    await ws1.reportUsage('sim', 40);
    await ws2.reportUsage('sim', 52);
    expect((await rejectionOf(ws3.reportUsage('sim', 20))).reason).to.equal('quota_exhausted');

    const { body, samples } = await render(node);
    const ledger = node.replica.ledger;
    // Per licence, from the ledger and from what the node answered.
    expect(sampleValue(samples, 'tandem_licence_seats_in_use', { licence: 'cad' })).to.equal(2);
    expect(sampleValue(samples, 'tandem_licence_seats_in_use', { licence: 'cad' })).to.equal(
      ledger.seatsInUse('cad'),
    );
    expect(sampleValue(samples, 'tandem_licence_seats_limit', { licence: 'cad' })).to.equal(2);
    expect(sampleValue(samples, 'tandem_licence_seats_in_use', { licence: 'sim' })).to.equal(0);
    expect(sampleValue(samples, 'tandem_licence_acquisitions_total', { licence: 'cad' })).to.equal(2);
    expect(
      sampleValue(samples, 'tandem_licence_denials_total', { licence: 'cad', reason: 'seat_limit_reached' }),
    ).to.equal(1);
    expect(
      sampleValue(samples, 'tandem_licence_denials_total', {
        licence: OTHER_LICENCE,
        reason: 'licence_not_found',
      }),
    ).to.equal(1);
    expect(
      sampleValue(samples, 'tandem_licence_denials_total', { licence: 'sim', reason: 'quota_exhausted' }),
    ).to.equal(1);
    expect(sampleValue(samples, 'tandem_licence_usage_reported_units_total', { licence: 'sim' })).to.equal(
      92,
    );
    expect(sampleValue(samples, 'tandem_licence_usage_units', { licence: 'sim' })).to.equal(92);
    expect(sampleValue(samples, 'tandem_licence_quota_units', { licence: 'sim' })).to.equal(100);
    expect(sampleValue(samples, 'tandem_licence_quota_remaining_units', { licence: 'sim' })).to.equal(8);
    // No quota, no quota series.
    expect(sampleValue(samples, 'tandem_licence_quota_units', { licence: 'cad' })).to.equal(undefined);
    expect(sampleValue(samples, 'tandem_licences')).to.equal(2);
    expect(sampleValue(samples, 'tandem_licences_unlabelled')).to.equal(0);
    expect(sampleValue(samples, 'tandem_leases')).to.equal(2);
    // A licence id that names no licence never becomes a label value.
    expect(body).not.to.contain('no-such-licence');

    // RPC latency by service, method and code.
    const rpc = { service: 'tandem.v1.WorkstationService', method: 'AcquireLease' };
    expect(sampleValue(samples, 'tandem_rpc_duration_seconds_count', { ...rpc, code: 'OK' })).to.equal(2);
    expect(
      sampleValue(samples, 'tandem_rpc_duration_seconds_count', { ...rpc, code: 'RESOURCE_EXHAUSTED' }),
    ).to.equal(1);
    expect(sampleValue(samples, 'tandem_rpc_duration_seconds_count', { ...rpc, code: 'NOT_FOUND' })).to.equal(
      1,
    );
    expect(
      sampleValue(samples, 'tandem_rpc_duration_seconds_bucket', { ...rpc, code: 'OK', le: '+Inf' }),
    ).to.equal(2);
    expect(
      sampleValue(samples, 'tandem_rpc_duration_seconds_count', {
        service: 'tandem.v1.AdminService',
        method: 'ActivateLicence',
        code: 'OK',
      }),
    ).to.equal(2);

    // Consensus: a node alone leads, in sync with itself, everything applied.
    expect(sampleValue(samples, 'tandem_consensus_role', { role: 'leader' })).to.equal(1);
    expect(sampleValue(samples, 'tandem_consensus_role', { role: 'follower' })).to.equal(0);
    const status = node.replica.status();
    expect(sampleValue(samples, 'tandem_consensus_term')).to.equal(status.term).and.be.at.least(1);
    const commit = sampleValue(samples, 'tandem_consensus_index', { index: 'commit' }) ?? 0;
    expect(commit).to.be.at.least(8);
    expect(sampleValue(samples, 'tandem_consensus_index', { index: 'applied' })).to.be.at.most(commit);
    expect(sampleValue(samples, 'tandem_consensus_in_sync', { member: 'main' })).to.equal(1);
    expect(sampleValue(samples, 'tandem_consensus_leader_elections_total')).to.equal(1);
    expect(sampleValue(samples, 'tandem_consensus_hand_backs_total')).to.equal(0);
    expect(sampleValue(samples, 'tandem_incidents_open')).to.equal(0);
    // A node alone has no followers to lag.
    expect(samples.some((sample) => sample.name.startsWith('tandem_consensus_follower_lag'))).to.equal(false);

    // Storage: every committed entry went through a synced write.
    const writes = sampleValue(samples, 'tandem_storage_write_seconds_count') ?? 0;
    expect(writes).to.be.at.least(1);
    expect(sampleValue(samples, 'tandem_storage_write_entries_sum')).to.be.at.least(commit);
    expect(sampleValue(samples, 'tandem_storage_write_entries_count')).to.equal(writes);
    expect(sampleValue(samples, 'tandem_storage_write_bytes_sum')).to.be.greaterThan(0);

    // Certificates: the test PKI's node certificate, valid now and for a while yet.
    const nowSeconds = Date.now() / 1000;
    for (const certificate of ['client', 'peer']) {
      const notAfter = sampleValue(samples, 'tandem_certificate_not_after_seconds', { certificate }) ?? 0;
      expect(notAfter, certificate).to.be.greaterThan(nowSeconds + 86_400);
    }

    // Build and process.
    expect(
      sampleValue(samples, 'tandem_build_info', { version: '0.1.0', node: 'main', role: 'main' }),
    ).to.equal(1);
    // User and system together: the kernel splits CPU time between them by sampled ticks, so on a
    // loaded machine a node's user share alone since its registry was made can read 0 (seen in CI).
    expect(sampleValue(samples, 'process_cpu_seconds_total')).to.be.greaterThan(0);
    expect(sampleValue(samples, 'process_cpu_user_seconds_total')).to.be.at.least(0);
    expect(sampleValue(samples, 'nodejs_heap_size_used_bytes')).to.be.greaterThan(0);

    // Never a workstation: not its id, not a label named after it.
    for (const id of ['ws-alpha-1', 'ws-beta-2', 'ws-gamma-3']) expect(body).not.to.contain(id);
    expect(
      samples.some((sample) => Object.keys(sample.labels).some((key) => /workstation/i.test(key))),
    ).to.equal(false);
  });

  it('counts a snapshot: its write time and size', async () => {
    await admin.snapshot();
    const { samples } = await render(node);
    expect(sampleValue(samples, 'tandem_consensus_snapshots_taken_total')).to.equal(1);
    expect(sampleValue(samples, 'tandem_storage_snapshot_write_seconds_count')).to.equal(1);
    expect(sampleValue(samples, 'tandem_storage_snapshot_bytes')).to.be.greaterThan(100);
    expect(sampleValue(samples, 'tandem_consensus_index', { index: 'snapshot' })).to.be.greaterThan(0);
  });

  it('counts an open overdraft incident, and still names no workstation', async () => {
    // What a backup granted alone, as the main would merge it: a third seat of cad, which has two.
    const nonce = '00000000000000b2';
    const applied = await node.replica.submit({
      type: 'merge',
      sourceNodeId: 'backup',
      sourceTerms: [2],
      entries: [
        {
          index: 3,
          term: 2,
          timestampMs: Date.now(),
          command: {
            type: 'acquire_lease',
            requestId: 'backup-acquire',
            licenceId: 'cad',
            workstationId: 'ws-merged-4',
            parameters: { host: 'h', user: 'u', cores: 1, productVersion: '1' },
            ttlMs: 60_000,
            nonce,
          },
        },
      ],
    });
    expect(applied.result).to.deep.include({ ok: true });
    // While the incident is open the licence grants nothing: a denial with its own reason.
    const ws4 = await workstation('ws-delta-4');
    expect((await rejectionOf(ws4.acquire('cad'))).reason).to.equal('licence_overdrawn');
    const { body, samples } = await render(node);
    expect(
      sampleValue(samples, 'tandem_licence_denials_total', { licence: 'cad', reason: 'licence_overdrawn' }),
    ).to.equal(1);
    expect(sampleValue(samples, 'tandem_incidents_open')).to.equal(1);
    expect(sampleValue(samples, 'tandem_incidents_recorded')).to.equal(1);
    // Over the limit: three seats of two.
    expect(sampleValue(samples, 'tandem_licence_seats_in_use', { licence: 'cad' })).to.equal(3);
    for (const id of ['ws-merged-4', 'ws-delta-4']) expect(body).not.to.contain(id);
  });

  it('has an alert file that parses and names only exported metrics, and a dashboard that does too', async () => {
    const exported = exportedNames((await render(node)).body);
    expect(exported).to.include.members(['tandem_licence_seats_in_use', 'process_cpu_user_seconds_total']);
    const alerts = YAML.parse(
      readFileSync(path.join(root, 'deploy/prometheus/tandem-alerts.yml'), 'utf8'),
    ) as {
      groups: Array<{
        name: string;
        rules: Array<{ alert: string; expr: string; annotations: Record<string, string> }>;
      }>;
    };
    const rules = alerts.groups.flatMap((group) => group.rules);
    expect(rules.map((rule) => rule.alert)).to.include.members([
      'TandemNoLeader',
      'TandemFollowerOutOfSync',
      'TandemOverdraftIncidentOpen',
      'TandemQuotaNearlyUsed',
      'TandemCertificateExpiresSoon',
    ]);
    for (const rule of rules) {
      expect(rule.annotations?.summary, rule.alert).to.be.a('string');
      expect(rule.annotations?.action, `${rule.alert}: what to do`).to.be.a('string').and.not.be.empty;
      const names = metricNamesIn(rule.expr);
      expect(names, rule.alert).not.to.be.empty;
      for (const name of names) expect(exported.has(name), `${rule.alert}: ${name}`).to.equal(true);
    }
    const dashboard = JSON.parse(
      readFileSync(path.join(root, 'deploy/grafana/tandem-dashboard.json'), 'utf8'),
    ) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    };
    const expressions = dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({ title: panel.title, expr: target.expr })),
    );
    expect(expressions.length).to.be.at.least(8);
    for (const { title, expr } of expressions) {
      const names = metricNamesIn(expr);
      expect(names, title).not.to.be.empty;
      for (const name of names) expect(exported.has(name), `${title}: ${name}`).to.equal(true);
    }
  });
  it('passes promtool: the rules check, and their unit tests (deploy/prometheus/tandem-alerts.test.yml)', function () {
    const promtool = spawnSync('promtool', ['--version']);
    // .ci/run installs it (Debian's prometheus package); elsewhere it may be missing, and then this
    // skips, except under CI=true, where a missing promtool is a failure rather than a silent skip.
    if (promtool.error !== undefined) {
      if (process.env.CI === 'true')
        throw new Error('promtool is not installed (apt-get install prometheus)');
      this.skip();
    }
    for (const args of [
      ['check', 'rules', 'deploy/prometheus/tandem-alerts.yml'],
      ['test', 'rules', 'deploy/prometheus/tandem-alerts.test.yml'],
    ]) {
      const run = spawnSync('promtool', args, { cwd: root, encoding: 'utf8' });
      expect(run.status, `promtool ${args.join(' ')}: ${run.stdout}${run.stderr}`).to.equal(0);
    }
  });
});

describe('metrics of a pair in one process', function () {
  this.timeout(60_000);
  type Role = 'main' | 'backup';
  let directory: string;
  let pki: TestPki;
  const ports = { main: 0, backup: 0 };
  const peerPorts = { main: 0, backup: 0 };
  const nodes = new Map<Role, Tandemd>();
  const node = (role: Role) => nodes.get(role) as Tandemd;

  async function start(role: Role): Promise<Tandemd> {
    const address = (of: Role) => `127.0.0.1:${ports[of]}`;
    const peerAddress = (of: Role) => `127.0.0.1:${peerPorts[of]}`;
    const tandemd = await Tandemd.start(
      parseConfig({
        node: { id: role, role, listen: address(role), dataDir: path.join(directory, role) },
        cluster: {
          mode: 'pair',
          nodes: [
            { id: 'main', role: 'main', address: address('main'), peerAddress: peerAddress('main') },
            { id: 'backup', role: 'backup', address: address('backup'), peerAddress: peerAddress('backup') },
          ],
        },
        licensing: testVendorLicensing(),
        tls: await pki.serverTls('node', role),
        timing: { tickIntervalMs: 10, heartbeatIntervalMs: 50, failoverTimeoutMs: 500, startupGraceMs: 1000 },
        log: { level: 'error' },
      }),
      createLogger('error', role),
    );
    nodes.set(role, tandemd);
    return tandemd;
  }

  before(async () => {
    directory = await temporaryDirectory();
    pki = await TestPki.create(pkiDirectory(directory));
    for (const role of ['main', 'backup'] as const) {
      ports[role] = await freePort();
      peerPorts[role] = await freePort();
    }
    await Promise.all([start('main'), start('backup')]);
  });

  after(async () => {
    for (const tandemd of nodes.values()) await tandemd.stop();
    await removeDirectory(directory);
  });

  it("shows the follower's lag and the in-sync set on the leader, and counts a failover and the hand-back", async () => {
    await waitFor(() => node('main').replica.isLeader(), 10_000, 'the main leading');
    const inSyncOnMain = async (member: Role) =>
      sampleValue((await render(node('main'))).samples, 'tandem_consensus_in_sync', { member });
    await waitFor(async () => (await inSyncOnMain('backup')) === 1, 10_000, 'the backup in sync');
    await waitFor(
      () => node('backup').replica.status().appliedIndex === node('main').replica.status().commitIndex,
      10_000,
      'the backup caught up',
    );
    const main = (await render(node('main'))).samples;
    expect(sampleValue(main, 'tandem_consensus_role', { role: 'leader' })).to.equal(1);
    expect(sampleValue(main, 'tandem_consensus_in_sync', { member: 'main' })).to.equal(1);
    expect(sampleValue(main, 'tandem_consensus_follower_lag_entries', { member: 'backup' })).to.be.within(
      0,
      2,
    );
    // Acknowledged within a few heartbeats (50 ms), far from the failover timeout (500 ms).
    expect(sampleValue(main, 'tandem_consensus_follower_lag_seconds', { member: 'backup' })).to.be.below(0.5);
    // The leader does not report a lag for itself.
    expect(sampleValue(main, 'tandem_consensus_follower_lag_entries', { member: 'main' })).to.equal(
      undefined,
    );
    const backup = (await render(node('backup'))).samples;
    expect(sampleValue(backup, 'tandem_consensus_role', { role: 'follower' })).to.equal(1);
    expect(sampleValue(backup, 'tandem_consensus_follower_lag_entries', { member: 'main' })).to.equal(
      undefined,
    );
    expect(sampleValue(backup, 'tandem_build_info', { node: 'backup', role: 'backup' })).to.equal(1);

    // The main goes; the backup takes over (a failover), then hands leadership back to the main.
    const electionsBefore = sampleValue(backup, 'tandem_consensus_leader_elections_total') ?? -1;
    expect(electionsBefore).to.equal(0);
    await node('main').stop();
    nodes.delete('main');
    await waitFor(() => node('backup').replica.isLeader(), 10_000, 'the backup leading');
    const alone = (await render(node('backup'))).samples;
    expect(sampleValue(alone, 'tandem_consensus_leader_elections_total')).to.equal(1);
    // The backup leads without the main for long enough to take it out of the in-sync set.
    await waitFor(
      async () =>
        sampleValue((await render(node('backup'))).samples, 'tandem_consensus_in_sync', {
          member: 'main',
        }) === 0,
      10_000,
      'the main out of the in-sync set',
    );
    await start('main');
    await waitFor(() => node('main').replica.isLeader(), 20_000, 'the main leading again');
    await waitFor(
      async () =>
        sampleValue((await render(node('backup'))).samples, 'tandem_consensus_hand_backs_total') === 1,
      10_000,
      'the hand-back counted',
    );
    const returned = (await render(node('main'))).samples;
    expect(sampleValue(returned, 'tandem_consensus_hand_backs_total')).to.equal(0);
    expect(sampleValue(returned, 'tandem_consensus_leader_elections_total')).to.equal(1);
  });
});
