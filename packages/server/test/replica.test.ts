import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Snapshot } from '@tandem/consensus';
import type { Command } from '@tandem/ledger';
import { clusterIdOfCa } from '@tandem/pki';
import type { NodeStorage, PersistUpdate } from '@tandem/storage';
import { LevelStorage } from '@tandem/storage';
import { expect } from 'chai';
import { parseConfig, type TandemConfig } from '../src/config.js';
import { OperationalError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';
import { Replica } from '../src/replica.js';
import { signedLicenceFile } from './licence-files.js';
import { ServerTestPki, type TlsPaths } from './test-pki.js';

/** Real LevelDB storage that counts and can hold back its durable writes. */
class ObservedStorage {
  persistCalls = 0;
  entriesPersisted = 0;
  gate: Promise<void> | null = null;
  constructor(readonly inner: LevelStorage) {}
  asNodeStorage(): NodeStorage {
    const observed = this;
    return new Proxy(this.inner, {
      get(target, property, receiver) {
        if (property === 'persist') {
          return async (update: PersistUpdate) => {
            observed.persistCalls += 1;
            observed.entriesPersisted += update.entries?.length ?? 0;
            if (observed.gate !== null) await observed.gate;
            return target.persist(update);
          };
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }
}

describe('replica (single node, real LevelDB)', function () {
  this.timeout(30_000);
  let directory: string;
  let config: TandemConfig;
  const logger = createLogger('error', 'test');

  let pkiDirectory: string;
  let tls: TlsPaths;
  let pki: ServerTestPki;

  before(async () => {
    pkiDirectory = await mkdtemp(path.join(os.tmpdir(), 'tandem-replica-pki-'));
    pki = await ServerTestPki.create(pkiDirectory);
    tls = await pki.tls('node', 'main');
  });

  after(async () => {
    await rm(pkiDirectory, { recursive: true, force: true });
  });

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'tandem-replica-'));
    config = parseConfig({
      node: { id: 'main', listen: '127.0.0.1:0', dataDir: directory },
      cluster: { id: 'replica-test' },
      snapshot: { everyEntries: 50 },
      tls,
    });
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function openReplica() {
    const storage = new ObservedStorage(await LevelStorage.open(directory));
    const replica = await Replica.open({
      config,
      storage: storage.asNodeStorage(),
      logger,
      clock: () => Date.now(),
    });
    return { replica, storage };
  }

  async function startLeader() {
    const opened = await openReplica();
    opened.replica.start();
    await opened.replica.waitForLeadership(5000);
    expect(opened.replica.isLeader()).to.equal(true);
    return opened;
  }

  async function close(opened: { replica: Replica; storage: ObservedStorage }) {
    await opened.replica.stop();
    await opened.storage.inner.close();
  }

  // The replica takes commands as the edge proposes them; the edge has checked the signature.
  const activate: Command = {
    type: 'activate_licence',
    requestId: 'activate',
    licenceFile: signedLicenceFile({ licenceId: 'meter', product: 'P', seats: 5 }, 'replica-test'),
    actor: { name: 'tester', role: 'admin', via: 'insecure', from: 'test' },
  };
  const usage = (n: number): Command => ({
    type: 'report_usage',
    requestId: `usage-${n}`,
    licenceId: 'meter',
    workstationId: 'ws',
    units: 1,
  });

  it('records the configured cluster id when it first leads, once', async () => {
    const opened = await startLeader();
    await opened.replica.submit(activate);
    expect(opened.replica.ledger.clusterId).to.equal('replica-test');
    await close(opened);
    const again = await startLeader();
    await again.replica.submit(usage(1));
    expect(again.replica.ledger.clusterId).to.equal('replica-test');
    await close(again);
  });

  it("records the cluster CA's cluster id when cluster.id is not set", async () => {
    config = parseConfig({ node: { id: 'main', listen: '127.0.0.1:0', dataDir: directory }, tls });
    const opened = await startLeader();
    await opened.replica.submit(usage(1));
    expect(opened.replica.ledger.clusterId).to.equal(clusterIdOfCa(readFileSync(pki.caFile, 'utf8')));
    expect(opened.replica.ledger.clusterId).to.not.equal(null);
    await close(opened);
  });

  it('records a random cluster id when none is configured and the CA carries none', async () => {
    config = parseConfig({ node: { id: 'main', listen: '127.0.0.1:0', dataDir: directory }, insecure: true });
    const opened = await startLeader();
    await opened.replica.submit(usage(1));
    expect(opened.replica.ledger.clusterId).to.match(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    await close(opened);
  });

  it('refuses operations before it leads', async () => {
    const opened = await openReplica();
    expect(() => opened.replica.assertLeader()).to.throw(OperationalError, /not the leader/);
    await close(opened);
  });

  it('group-commits concurrent operations: far fewer fsyncs than operations', async () => {
    const opened = await startLeader();
    await opened.replica.submit(activate);
    const before = opened.storage.persistCalls;
    const results = await Promise.all(Array.from({ length: 500 }, (_, n) => opened.replica.submit(usage(n))));
    expect(results.every((applied) => applied.result.ok)).to.equal(true);
    const writes = opened.storage.persistCalls - before;
    expect(writes).to.be.greaterThan(0);
    expect(writes, `${writes} writes for 500 operations`).to.be.lessThan(50);
    expect(opened.replica.ledger.usage('meter')[0]?.used).to.equal(500);
    await close(opened);
  });

  it('answers only after the entry is durable', async () => {
    const opened = await startLeader();
    await opened.replica.submit(activate);
    let release: () => void = () => {};
    opened.storage.gate = new Promise((resolve) => {
      release = resolve;
    });
    let answered = false;
    const pending = opened.replica.submit(usage(1)).then((applied) => {
      answered = true;
      return applied;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(answered, 'answered before the write was durable').to.equal(false);
    opened.storage.gate = null;
    release();
    const applied = await pending;
    expect(applied.result.ok).to.equal(true);
    await close(opened);
  });

  it('comes back after a restart with the same ledger, through snapshots and the log tail', async () => {
    const first = await startLeader();
    await first.replica.submit(activate);
    for (let batch = 0; batch < 4; batch += 1) {
      await Promise.all(Array.from({ length: 40 }, (_, n) => first.replica.submit(usage(batch * 100 + n))));
    }
    const hash = first.replica.ledger.stateHash();
    const status = first.replica.status();
    expect(status.snapshotIndex, 'a snapshot was taken').to.be.greaterThan(0);
    await close(first);

    const second = await startLeader();
    await second.replica.waitForApplied(status.appliedIndex, 5000);
    expect(second.replica.ledger.stateHash()).to.equal(hash);
    expect(second.replica.ledger.usage('meter')[0]?.used).to.equal(160);
    expect(second.replica.status().term).to.be.greaterThan(status.term);
    // A retry of an operation from before the restart returns the first result and counts nothing.
    const retried = await second.replica.submit(usage(0));
    expect(retried.result.ok).to.equal(true);
    expect(second.replica.ledger.usage('meter')[0]?.used).to.equal(160);
    await close(second);
  });

  it('has the report index write what it folded before each compaction deletes the log under it', async () => {
    const inner = await LevelStorage.open(directory);
    const area = inner.area('reports');
    const compactions: Array<{ snapshotIndex: number; indexedThrough: number }> = [];
    const storage = new Proxy(inner, {
      get(target, property, receiver) {
        if (property === 'compact') {
          return async (snapshot: Snapshot) => {
            const header = await area.get('h');
            compactions.push({
              snapshotIndex: snapshot.metadata.index,
              indexedThrough:
                header === undefined ? 0 : (JSON.parse(header) as { indexedThrough: number }).indexedThrough,
            });
            return target.compact(snapshot);
          };
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const replica = await Replica.open({
      config,
      storage,
      logger,
      clock: () => Date.now(),
      reportArea: area,
    });
    try {
      replica.start();
      await replica.waitForLeadership(5000);
      await replica.submit(activate);
      // The index writes once a second at most: without the flush, every compaction here would find
      // its header behind the snapshot, and a restart would report those entries as a gap.
      for (let batch = 0; batch < 4; batch += 1) {
        await Promise.all(Array.from({ length: 40 }, (_, n) => replica.submit(usage(batch * 100 + n))));
      }
      expect(compactions.length, 'the log was compacted').to.be.greaterThan(0);
      for (const { snapshotIndex, indexedThrough } of compactions) {
        expect(indexedThrough).to.be.at.least(snapshotIndex);
      }
    } finally {
      await replica.stop();
      await inner.close();
    }
  });

  it('writes the commit index it skipped an fsync for, with the next batch or at shutdown', async () => {
    const opened = await startLeader();
    await opened.replica.submit(activate);
    await Promise.all(Array.from({ length: 20 }, (_, n) => opened.replica.submit(usage(n))));
    const appliedIndex = opened.replica.status().appliedIndex;
    await opened.replica.stop();
    const hardState = await opened.storage.inner.loadHardState();
    await opened.storage.inner.close();
    expect(hardState?.commitIndex).to.equal(appliedIndex);
  });

  it('refuses more pending operations than its limit, as retryable', async () => {
    config = { ...config, limits: { ...config.limits, maxPendingOperations: 10 } };
    const opened = await startLeader();
    await opened.replica.submit(activate);
    const attempts = Array.from({ length: 30 }, (_, n) =>
      opened.replica.submit(usage(n)).then(
        () => 'ok',
        (error: OperationalError) => error.code,
      ),
    );
    const outcomes = await Promise.all(attempts);
    expect(outcomes.filter((outcome) => outcome === 'ok').length).to.equal(10);
    expect(outcomes.filter((outcome) => outcome === 'overloaded').length).to.equal(20);
    await close(opened);
  });
});
