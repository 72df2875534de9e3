// A short run of the benchmark's workload so that it cannot rot; it checks behaviour (every seat
// comes back, nothing fails), never speed.
import { AdminClient, resolveSettings } from '@tandem/client';
import { removeDirectory, TandemdProcess, temporaryDirectory } from '@tandem/testkit';
import { expect } from 'chai';
import { runWorkstationLoop } from '../src/workstation-loop.js';

describe('bench smoke run', function () {
  this.timeout(60_000);

  it('runs the acquire+release loop and returns every seat', async () => {
    const directory = await temporaryDirectory('tandem-bench-smoke-');
    const node = await TandemdProcess.start({ dataDir: directory });
    const admin = new AdminClient(resolveSettings({ servers: [node.address] }));
    try {
      await admin.activateLicence({ licenceId: 'smoke', product: 'Bench', seats: 2 });
      const result = await runWorkstationLoop({
        servers: [node.address],
        licenceIds: ['smoke'],
        workstations: 4,
        durationMs: 1000,
        runName: 'smoke',
      });
      expect(result.errors).to.equal(0);
      expect(result.acquired).to.be.greaterThan(0);
      expect(result.ops).to.equal(result.latency.count);
      expect(await admin.listLeases()).to.deep.equal([]);
    } finally {
      admin.close();
      await node.stop();
      await removeDirectory(directory);
    }
  });
});
