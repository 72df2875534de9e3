// The Quick start demo: a real main + backup pair with data in a temporary directory, TLS on every
// port and a PKI of its own, a licence file signed by the test vendor for the pair's cluster id and
// activated with tandemctl, workstations that lease, renew and report usage through the client
// library; then main is killed (kill -9), backup serves and the workstations keep their seats; main
// returns, catches up and takes leadership back. Ends with the operator's view and a clean stop.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AdminClient,
  connect,
  type LeaseHandle,
  parseSettings,
  RejectedError,
  type WorkstationClient,
} from '@tandem/client';
import { quietIpServerNameWarning } from '@tandem/pki';
import { waitForEqualState, waitForLeader } from './cluster-checks.js';
import { runTandemctl } from './tandemctl.js';
import { TandemdPair } from './tandemd-pair.js';
import { removeDirectory, temporaryDirectory } from './temporary-directory.js';
import { signTestLicence, TEST_VENDOR_NAME, waitForClusterId } from './test-vendor.js';

quietIpServerNameWarning();

const LICENCE = 'cad-suite';
const say = (text: string) => process.stdout.write(`\n== ${text}\n`);
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Runs tandemctl as the operator: TLS with the admin's certificate (shown without the paths). */
async function tandemctl(pair: TandemdPair, ...args: string[]): Promise<void> {
  process.stdout.write(`$ tandemctl ${args.join(' ')}\n`);
  const result = await runTandemctl([...(await pair.tandemctlArgs('admin')), ...args]);
  process.stdout.write(result.stdout);
  if (result.stderr !== '') process.stdout.write(result.stderr);
  if (result.code !== 0) throw new Error(`tandemctl ${args.join(' ')} exited ${result.code}`);
}

async function main(): Promise<void> {
  const directory = await temporaryDirectory('tandem-demo-');
  say(`starting main and backup with their data in ${directory}`);
  const pair = await TandemdPair.start({ directory });
  const servers = pair.servers;
  const pki = pair.requirePki();
  process.stdout.write(
    `security: TLS on every port, mutual TLS between the nodes; cluster CA ${pki.caFile} (cluster ${pki.clusterId})\n` +
      `main on ${servers[0]} (peer port ${pair.peerAddress('main')}), backup on ${servers[1]} (peer port ${pair.peerAddress('backup')})\n`,
  );
  const leader = await waitForLeader(pair.access, servers, 15_000);
  process.stdout.write(`leader: ${leader.id} (term ${leader.term})\n`);
  const workstations: WorkstationClient[] = [];
  const leases = new Map<string, LeaseHandle>();
  try {
    say(
      'the vendor signs a redundant licence (served by the backup too) for this cluster: 3 seats, 500 pages a day',
    );
    const admin = new AdminClient(parseSettings({ ...pair.access, servers }));
    const clusterId = await waitForClusterId(admin).finally(() => admin.close());
    const licenceFile = path.join(directory, `${LICENCE}.licence`);
    await writeFile(
      licenceFile,
      signTestLicence(
        {
          licenceId: LICENCE,
          product: 'CAD Suite',
          seats: 3,
          quota: { units: 500, period: 'day' },
          redundancy: true,
        },
        clusterId,
      ),
    );
    process.stdout.write(
      `cluster id ${clusterId} (tandemctl status shows it); ${TEST_VENDOR_NAME} signed ${licenceFile}\n`,
    );
    await tandemctl(pair, 'licence', 'activate', '--file', licenceFile);

    say(
      'four workstations (settings list main, then backup) ask for a seat; leases of 3 s renew every second',
    );
    const renewals = new Map<string, number>();
    const lost: string[] = [];
    for (let number = 1; number <= 4; number += 1) {
      const name = `ws-${number}`;
      // Each workstation proves who it is with its own certificate (tandem://workstation/<id>).
      const client = await connect(await pair.settings('workstation', name, { maxAttempts: 30 }));
      workstations.push(client);
      client.on('renewed', () => renewals.set(name, (renewals.get(name) ?? 0) + 1));
      client.on('lease-lost', () => lost.push(name));
      client.on('leader-changed', (change: { leaderId: string; term: number }) => {
        if (number === 1)
          process.stdout.write(`   (ws-1 now talks to ${change.leaderId}, term ${change.term})\n`);
      });
      try {
        const lease = await client.acquire(LICENCE, { ttlMs: 3000 });
        leases.set(name, lease);
        process.stdout.write(`${name}: got ${lease.lease.leaseId}\n`);
      } catch (error) {
        if (!(error instanceof RejectedError)) throw error;
        process.stdout.write(`${name}: refused (${error.reason}): all seats are taken\n`);
      }
    }

    const report = async (label: string) => {
      for (const [name] of leases) {
        const client = workstations[Number(name.slice(3)) - 1] as WorkstationClient;
        const receipt = await client.reportUsage(LICENCE, 10);
        process.stdout.write(`${name}: reported 10 pages ${label}, ${receipt.remaining} left today\n`);
      }
    };
    say('the workstations with a seat report usage');
    await report('to main');
    await tandemctl(pair, 'status');

    say('kill -9 main');
    await pair.kill('main');
    const started = Date.now();
    const takeover = await waitForLeader(pair.access, [pair.address('backup')], 15_000);
    process.stdout.write(`backup leads (term ${takeover.term}) ${Date.now() - started} ms after main died\n`);
    await report('to backup');
    await sleep(3500);
    process.stdout.write(
      `leases lost while main was down: ${lost.length === 0 ? 'none' : lost.join(', ')}\n`,
    );
    await tandemctl(pair, 'status');

    say('main restarts, catches up from the backup and takes leadership back');
    await pair.startNode('main');
    const handBack = await waitForLeader(
      pair.access,
      servers,
      30_000,
      (candidate) => candidate.id === 'main',
    );
    process.stdout.write(`main leads again (term ${handBack.term})\n`);
    await report('to main again');
    await waitForEqualState(pair.access, servers, 15_000);
    for (const [name, count] of renewals) process.stdout.write(`${name}: renewed its lease ${count} times\n`);
    process.stdout.write(
      `leases lost during failover and hand-back: ${lost.length === 0 ? 'none' : lost.join(', ')}\n`,
    );

    say("the operator's view");
    await tandemctl(pair, 'status');
    await tandemctl(pair, 'lease', 'list');
    await tandemctl(pair, 'usage', 'show', LICENCE);
    await tandemctl(pair, 'audit');
    await tandemctl(pair, 'verify');

    say('the workstations finish and release their seats');
    for (const [name, lease] of leases) {
      await lease.release();
      process.stdout.write(`${name}: released ${lease.lease.leaseId}\n`);
    }
  } finally {
    for (const client of workstations) client.close();
    say('stopping both nodes (SIGTERM)');
    await pair.stop();
    await removeDirectory(directory);
  }
  say('demo finished');
}

main().catch((error: Error) => {
  process.stderr.write(`demo failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
