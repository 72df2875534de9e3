// pnpm bench: starts its own tandemd (sync writes, default settings), runs the workstation loop at
// several concurrencies, prints a table and writes bench-results.json. Figures are printed, never
// asserted: tests assert behaviour, benchmarks measure it.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { AdminClient, resolveSettings } from '@tandem/client';
import { removeDirectory, TandemdProcess, temporaryDirectory } from '@tandem/testkit';
import { type LoopResult, runWorkstationLoop } from './workstation-loop.js';

const { values } = parseArgs({
  options: {
    'duration-ms': { type: 'string', default: '10000' },
    workstations: { type: 'string', default: '1,16,64,256' },
    licences: { type: 'string', default: '64' },
    seats: { type: 'string', default: '16' },
    output: { type: 'string', default: 'bench-results.json' },
  },
});
const durationMs = Number(values['duration-ms']);
const concurrencies = String(values.workstations).split(',').map(Number);
const licenceCount = Number(values.licences);
const seats = Number(values.seats);

const directory = await temporaryDirectory('tandem-bench-');
const node = await TandemdProcess.start({ dataDir: directory, overrides: { log: { level: 'info' } } });
const admin = new AdminClient(resolveSettings({ servers: [node.address] }));
const results: Array<LoopResult & { workload: string }> = [];
try {
  const licenceIds = Array.from({ length: licenceCount }, (_, position) => `bench-${position}`);
  for (const licenceId of licenceIds) {
    await admin.activateLicence({ licenceId, product: 'Bench', seats });
  }
  process.stdout.write(
    `tandemd single node, sync writes; ${licenceCount} licences x ${seats} seats; ${durationMs} ms per run\n`,
  );
  for (const workstations of concurrencies) {
    process.stdout.write(`  acquire+release with ${workstations} workstations ... `);
    const result = await runWorkstationLoop({
      servers: [node.address],
      licenceIds,
      workstations,
      durationMs,
      runName: `w${workstations}`,
    });
    results.push({ workload: 'acquire-release', ...result });
    process.stdout.write(`${result.opsPerSecond} ops/s\n`);
  }
  const leftover = (await admin.listLeases()).length;
  process.stdout.write('\n');
  console.table(
    results.map((result) => ({
      workload: result.workload,
      workstations: result.workstations,
      'ops/s': result.opsPerSecond,
      'p50 ms': result.latency.p50Ms,
      'p99 ms': result.latency.p99Ms,
      'max ms': result.latency.maxMs,
      acquired: result.acquired,
      denied: result.denied,
      errors: result.errors,
    })),
  );
  process.stdout.write(`seats still leased after the runs: ${leftover} (expected 0)\n`);
  await writeFile(
    String(values.output),
    `${JSON.stringify({ node: 'single', durationMs, licenceCount, seats, results, leftoverLeases: leftover }, null, 2)}\n`,
  );
  process.stdout.write(`wrote ${values.output}\n`);
} finally {
  admin.close();
  await node.stop();
  await removeDirectory(directory);
}
