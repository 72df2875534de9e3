// A short run of the benchmark's loop so that it cannot rot; it checks behaviour (every op is
// measured, nothing fails, every seat comes back), never speed; secure as the bench runs by
// default, and in plaintext as `--insecure` runs it.
import { removeDirectory, TandemdProcess, temporaryDirectory } from '@tandem/testkit';
import { expect } from 'chai';
import { runCapacity } from '../src/capacity.js';
import { TandemBackend } from '../src/tandem-backend.js';
import { planRun } from '../src/workloads.js';
import { runWorkstationLoop } from '../src/workstation-loop.js';

describe('bench smoke run', function () {
  this.timeout(60_000);

  /** A short denials loop on one node; every op is measured, nothing fails, every seat comes back. */
  async function smokeRun(insecure: boolean): Promise<void> {
    const directory = await temporaryDirectory('tandem-bench-smoke-');
    let node: TandemdProcess | null = null;
    let backend: TandemBackend | null = null;
    try {
      node = await TandemdProcess.start({ dataDir: directory, insecure });
      backend = new TandemBackend([node.address], node.pki);
      const plan = planRun('denials', 4);
      await backend.activate(plan.licences);
      const result = await runWorkstationLoop({
        backend,
        kind: plan.kind,
        licenceFor: plan.licenceFor,
        workstations: 4,
        durationMs: 1000,
        runName: plan.runName,
      });
      expect(result.errors, result.errorSamples.join('; ')).to.equal(0);
      expect(result.acquired).to.be.greaterThan(0);
      expect(result.released).to.equal(result.acquired);
      expect(result.ops).to.equal(result.acquired + result.released + result.denied);
      expect(result.ops).to.equal(result.latency.count);
      expect(await backend.seatsInUse()).to.deep.equal({ seatsInUse: 0, holders: 0 });
    } finally {
      backend?.close();
      await node?.stop();
      await removeDirectory(directory);
    }
  }

  it('runs the acquire+release loop with denials and returns every seat, each workstation with its certificate', async () => {
    await smokeRun(false);
  });

  it('runs the same loop in plaintext against an insecure node (bench --insecure)', async () => {
    await smokeRun(true);
  });

  it('runs a small capacity step: every renewal due in the window is answered, none lost, every lease given back', async function () {
    // One renewal period of warm-up (10 s) comes before the window.
    this.timeout(120_000);
    const directory = await temporaryDirectory('tandem-bench-smoke-');
    let node: TandemdProcess | null = null;
    let backend: TandemBackend | null = null;
    try {
      node = await TandemdProcess.start({ dataDir: directory });
      backend = new TandemBackend([node.address], node.pki);
      const admin = backend;
      const result = await runCapacity({
        servers: [node.address],
        pki: node.pki,
        activate: (licences) => admin.activate(licences),
        steps: [40],
        measuredMs: 2000,
        clients: 4,
        nodePids: { main: node.pid },
        say: () => {},
      });
      expect(result.steps).to.have.length(1);
      const [step] = result.steps;
      expect(step?.licences).to.equal(10);
      expect(step?.errors, step?.errorSamples.join('; ')).to.equal(0);
      expect(step?.lostLeases).to.equal(0);
      expect(step?.renewalsDue).to.be.greaterThan(0);
      expect(step?.renewals).to.equal(step?.renewalsDue);
      expect(step?.latency.count).to.equal(step?.renewals);
      expect(result).to.include({ released: 40, releaseErrors: 0 });
      expect(await backend.seatsInUse()).to.deep.equal({ seatsInUse: 0, holders: 0 });
    } finally {
      backend?.close();
      await node?.stop();
      await removeDirectory(directory);
    }
  });
});
