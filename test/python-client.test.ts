// The second client: the Python workstation client (clients/python) against a real secure pair. It
// acquires a lease with a workstation certificate, renews it from a background thread and reports
// usage; the test kill -9s main, and the lease must live through the failover (the renewals go on
// at the backup and no error reaches the script), then it reports again, releases, and the ledger
// (read with tandemctl) shows the lease gone and the usage counted exactly once. Python with grpc
// and protoc with its Python gRPC plugin must be installed (.ci/run installs them); without them
// the suite skips, or fails with CI=true. The client's unit tests (status mapping, hints, fencing,
// one request id on every attempt) run here too.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { AdminClient, resolveSettings } from '@tandem/client';
import {
  activateTestLicence,
  removeDirectory,
  repositoryRoot,
  TandemdPair,
  tandemctlJson,
  temporaryDirectory,
  waitForLeader,
} from '@tandem/testkit';
import { expect } from 'chai';

const LICENCE_ID = 'py-cad';
const WORKSTATION_ID = 'py-ws-1';
/** Renewals every second, so that several fall within the failover. */
const TTL_MS = 3000;
const FIRST_UNITS = 5;
const SECOND_UNITS = 7;

interface ScriptEvent {
  event: string;
  leaseId?: string;
  nodeId?: string;
  term?: number;
  used?: number;
  remaining?: number | null;
  error?: string;
  state?: string;
}

/** A Python 3 with grpc and protobuf: $TANDEM_PYTHON if set, else Debian's or the first on PATH. */
function findPython(): { python: string | null; tried: string[] } {
  const chosen = process.env.TANDEM_PYTHON;
  const candidates = chosen !== undefined && chosen !== '' ? [chosen] : ['/usr/bin/python3', 'python3'];
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-c', 'import grpc, google.protobuf'], { encoding: 'utf8' });
    if (probe.status === 0) return { python: candidate, tried: candidates };
  }
  return { python: null, tried: candidates };
}

/** Runs the hold-lease script and collects its JSON lines; waitFor resolves on a matching event. */
class HoldLeaseScript {
  readonly events: ScriptEvent[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiters: Array<() => void> = [];

  constructor(python: string, config: Record<string, unknown>) {
    const script = path.join(repositoryRoot(), 'test/python/hold_lease.py');
    this.#child = spawn(python, ['-u', script, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as ScriptEvent);
      } catch {
        this.events.push({ event: 'unparsed', error: line });
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.#child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    this.exited = new Promise((resolve) =>
      this.#child.on('exit', (code) => {
        resolve(code);
        for (const wake of this.#waiters.splice(0)) wake();
      }),
    );
  }

  send(command: string): void {
    this.#child.stdin.write(`${command}\n`);
  }

  /** Waits until `count` events match, failing with everything seen so far. */
  async waitFor(
    what: string,
    match: (event: ScriptEvent) => boolean,
    timeoutMs: number,
    count = 1,
  ): Promise<ScriptEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.filter(match);
      if (found.length >= count) return found;
      if (this.#child.exitCode !== null || Date.now() >= deadline) {
        throw new Error(
          `${what}: not seen (exit ${this.#child.exitCode}); events ${JSON.stringify(this.events)}; stderr ${this.stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  kill(): void {
    if (this.#child.exitCode === null) this.#child.kill('SIGKILL');
  }
}

describe('the Python client (clients/python) through a failover', function () {
  this.timeout(180_000);
  let python: string;
  let directory: string;
  let pair: TandemdPair;
  let script: HoldLeaseScript | null = null;

  before(async function () {
    const found = findPython();
    const generate = (candidate: string) =>
      spawnSync(candidate, [path.join(repositoryRoot(), 'clients/python/generate.py')], { encoding: 'utf8' });
    let missing: string | null = null;
    if (found.python === null) {
      missing = `no Python 3 with grpc and protobuf among ${found.tried.join(', ')} (Debian: python3-grpcio python3-protobuf)`;
    } else {
      const generated = generate(found.python);
      if (generated.status !== 0) missing = `clients/python/generate.py failed: ${generated.stderr.trim()}`;
      else python = found.python;
    }
    if (missing !== null) {
      if (process.env.CI === 'true') throw new Error(`CI=true: ${missing}`);
      console.log(`    skipped: ${missing}`);
      this.skip();
    }
    directory = await temporaryDirectory('tandem-python-');
    pair = await TandemdPair.start({ directory });
  });

  after(async () => {
    script?.kill();
    await pair?.stop();
    if (directory !== undefined) await removeDirectory(directory);
  });

  it("follows the protocol's rules without a server (clients/python/tests, unittest)", () => {
    const run = spawnSync(python, ['-m', 'unittest', 'discover', '-s', 'clients/python/tests'], {
      cwd: repositoryRoot(),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stderr).to.match(/^OK$/m);
  });

  it('holds a lease through kill -9 of main, then releases it; the ledger agrees', async () => {
    const leader = await waitForLeader(pair.access, pair.servers, 15_000);
    expect(leader.id).to.equal('main');
    const admin = new AdminClient(
      resolveSettings(await pair.settings('admin', 'admin', { maxAttempts: 30 })),
    );
    try {
      await activateTestLicence(admin, {
        licenceId: LICENCE_ID,
        product: 'CAD',
        seats: 2,
        quota: { units: 1000, period: 'day' },
        redundancy: true,
      });
    } finally {
      admin.close();
    }
    const files = await pair.requirePki().certificate('workstation', WORKSTATION_ID);
    script = new HoldLeaseScript(python, {
      servers: pair.servers,
      ca: files.ca,
      cert: files.cert,
      key: files.key,
      workstationId: WORKSTATION_ID,
      licenceId: LICENCE_ID,
      ttlMs: TTL_MS,
      units: FIRST_UNITS,
    });

    const [acquired] = await script.waitFor('acquired', (event) => event.event === 'acquired', 30_000);
    const leaseId = acquired?.leaseId ?? '';
    expect(acquired?.nodeId).to.equal('main');
    const [usage] = await script.waitFor('first usage report', (event) => event.event === 'usage', 10_000);
    expect(usage?.used).to.equal(FIRST_UNITS);
    expect(usage?.remaining).to.equal(1000 - FIRST_UNITS);
    const onMain = await script.waitFor(
      'two renewals at main',
      (event) => event.event === 'renewed' && event.nodeId === 'main',
      10_000,
      2,
    );
    const mainTerm = onMain[0]?.term ?? 0;

    await pair.kill('main');

    // Renewals every TTL/3 = 1 s; the failover takes about a second, then they go on at the backup.
    const onBackup = await script.waitFor(
      'three renewals at the backup',
      (event) => event.event === 'renewed' && event.nodeId === 'backup',
      30_000,
      3,
    );
    for (const renewal of onBackup) {
      expect(renewal.leaseId).to.equal(leaseId);
      expect(renewal.term, 'the backup leads in a later term').to.be.greaterThan(mainTerm);
    }
    script.send(`report ${SECOND_UNITS}`);
    const reports = await script.waitFor(
      'second usage report',
      (event) => event.event === 'usage',
      30_000,
      2,
    );
    expect(reports[1]?.used).to.equal(FIRST_UNITS + SECOND_UNITS);

    const servers = await pair.tandemctlArgs('admin');
    const held = await tandemctlJson<{ leases: Array<{ leaseId: string; workstationId: string }> }>([
      ...servers,
      'lease',
      'list',
      '--licence',
      LICENCE_ID,
    ]);
    expect(held.leases.map((lease) => [lease.leaseId, lease.workstationId])).to.deep.equal([
      [leaseId, WORKSTATION_ID],
    ]);

    script.send('release');
    await script.waitFor('released', (event) => event.event === 'released', 30_000);
    expect(await script.exited).to.equal(0);
    const surfaced = script.events.filter((event) =>
      ['renewal_failed', 'lost', 'error', 'unparsed'].includes(event.event),
    );
    expect(surfaced, 'no error reached the script').to.deep.equal([]);

    const after = await tandemctlJson<{ leases: unknown[] }>([
      ...servers,
      'lease',
      'list',
      '--licence',
      LICENCE_ID,
    ]);
    expect(after.leases).to.deep.equal([]);
    const recorded = await tandemctlJson<{ totalUsed: number }>([...servers, 'usage', 'show', LICENCE_ID]);
    expect(recorded.totalUsed, 'each report counted exactly once').to.equal(FIRST_UNITS + SECOND_UNITS);
  });
});
