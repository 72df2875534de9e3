// The Quick start demo: a real tandemd with its data in a temporary directory, a licence activated
// with tandemctl, workstations that lease, renew and report usage through the client library, then
// the operator's view, and a clean stop.
import { connect, type LeaseHandle, RejectedError, type WorkstationClient } from '@tandem/client';
import { runTandemctl } from './tandemctl.js';
import { TandemdProcess } from './tandemd-process.js';
import { removeDirectory, temporaryDirectory } from './temporary-directory.js';

const LICENCE = 'cad-suite';
const say = (text: string) => process.stdout.write(`\n== ${text}\n`);
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

async function tandemctl(servers: string, ...args: string[]): Promise<void> {
  process.stdout.write(`$ tandemctl ${args.join(' ')}\n`);
  const result = await runTandemctl(['--servers', servers, ...args]);
  process.stdout.write(result.stdout);
  if (result.stderr !== '') process.stdout.write(result.stderr);
  if (result.code !== 0) throw new Error(`tandemctl ${args.join(' ')} exited ${result.code}`);
}

async function main(): Promise<void> {
  const directory = await temporaryDirectory('tandem-demo-');
  say(`starting tandemd (single node) with its data in ${directory}`);
  const node = await TandemdProcess.start({ id: 'main', dataDir: directory });
  process.stdout.write(`tandemd is serving on ${node.address} (pid ${node.pid})\n`);
  const servers = node.address;
  const workstations: WorkstationClient[] = [];
  try {
    say('activating a licence: 3 seats, 500 pages a day');
    await tandemctl(
      servers,
      'licence',
      'activate',
      LICENCE,
      '--product',
      'CAD Suite',
      '--seats',
      '3',
      '--quota',
      '500',
      '--period',
      'day',
      '--feature',
      'edition=pro',
    );

    say('four workstations ask for a seat (leases of 3 s, renewed in the background every second)');
    const leases = new Map<string, LeaseHandle>();
    const renewals = new Map<string, number>();
    for (let number = 1; number <= 4; number += 1) {
      const client = await connect({ servers: [servers], workstationId: `ws-${number}` });
      workstations.push(client);
      client.on('renewed', () => {
        renewals.set(`ws-${number}`, (renewals.get(`ws-${number}`) ?? 0) + 1);
      });
      try {
        const lease = await client.acquire(LICENCE, { ttlMs: 3000 });
        leases.set(`ws-${number}`, lease);
        process.stdout.write(`ws-${number}: got ${lease.lease.leaseId}\n`);
      } catch (error) {
        if (!(error instanceof RejectedError)) throw error;
        process.stdout.write(`ws-${number}: refused (${error.reason}): all seats are taken\n`);
      }
    }

    say('the workstations with a seat render pages and report usage');
    let reported = 0;
    for (const [name, _lease] of leases) {
      const client = workstations[Number(name.slice(3)) - 1] as WorkstationClient;
      for (let batch = 0; batch < 3; batch += 1) {
        const pages = 10 + batch * 5;
        const receipt = await client.reportUsage(LICENCE, pages);
        reported += pages;
        process.stdout.write(`${name}: reported ${pages} pages, ${receipt.remaining} left today\n`);
      }
    }
    process.stdout.write(`(${reported} pages reported in all)\n`);

    say('working for a while: the leases outlive their 3 s TTL because they renew themselves');
    await sleep(3500);
    for (const [name, count] of renewals) process.stdout.write(`${name}: renewed its lease ${count} times\n`);

    say('ws-1 releases its seat, and ws-4 gets one');
    await leases.get('ws-1')?.release();
    const late = await (workstations[3] as WorkstationClient).acquire(LICENCE, { ttlMs: 3000 });
    leases.set('ws-4', late);
    process.stdout.write(`ws-4: got ${late.lease.leaseId}\n`);

    say("the operator's view");
    await tandemctl(servers, 'status');
    await tandemctl(servers, 'lease', 'list');
    await tandemctl(servers, 'usage', 'show', LICENCE);
    await tandemctl(servers, 'verify');

    say('the workstations finish and release their seats');
    for (const [name, lease] of leases) {
      if (name === 'ws-1') continue;
      await lease.release();
      process.stdout.write(`${name}: released ${lease.lease.leaseId}\n`);
    }
    await tandemctl(servers, 'licence', 'show', LICENCE);
  } finally {
    for (const client of workstations) client.close();
    say('stopping tandemd (SIGTERM)');
    const code = await node.stop();
    process.stdout.write(`tandemd exited with code ${code}\n`);
    await removeDirectory(directory);
  }
  say('demo finished');
}

main().catch((error: Error) => {
  process.stderr.write(`demo failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
