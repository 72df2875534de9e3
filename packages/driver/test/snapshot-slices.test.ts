// Snapshots off the hot path (issue 13): the driver begins a snapshot as a frozen view of the
// ledger and writes it a slice at a time in later turns, while it goes on taking Readies. Client
// operations are answered between two slices; the snapshot it stores is exactly the state at its
// index; it is due by bytes of log as well as by entries; and a stop while it is written writes
// nothing. One node of its own (a cluster of one) over the real core and ledger, with storage that
// is durable at once and a scheduler whose later() actions (the slices) the test runs one by one.
import type { Snapshot } from '@tandem/consensus';
import {
  type Command,
  encodeLicenceFile,
  encodeLicencePayload,
  Ledger,
  type LedgerStateMachine,
  ledgerStateMachines,
} from '@tandem/ledger';
import { expect } from 'chai';
import { type Applied, Driver } from '../src/driver.js';
import type { DriverLimits } from '../src/environment.js';
import { DriverRefusal } from '../src/errors.js';
import { decodeNodeSnapshot } from '../src/log-hash.js';
import { LOG_ENTRY_OVERHEAD_BYTES } from '../src/snapshot-job.js';
import { SOLO_LIMITS, SOLO_RAFT } from './solo-node.js';

const CLUSTER_ID = 'slice-cluster';
const START_MS = Date.UTC(2026, 0, 5, 12);
/** Bounds every loop below, so that a livelock fails the test instead of hanging it. */
const MAX_ROUNDS = 10_000;

function licenceFile(licenceId: string, seats: number): string {
  return encodeLicenceFile({
    keyId: 'test-key',
    payload: encodeLicencePayload({
      licenceId,
      product: 'CAD',
      seats,
      quota: null,
      validFromMs: 0,
      validUntilMs: 0,
      redundancy: false,
      features: {},
      serial: 1,
      vendor: 'Test Vendor',
      issuedAtMs: START_MS,
      clusterId: CLUSTER_ID,
    }),
    signature: new Uint8Array(64),
  });
}

class SoloNode {
  nowMs = START_MS;
  readonly driver: Driver<LedgerStateMachine>;
  /** Pumps deferred by the driver, run by settle(). */
  private deferred: Array<() => void> = [];
  /** Snapshot slices the driver asked to run later, run one at a time by runSlice(). */
  readonly slices: Array<() => void> = [];
  /** What storage keeps: the latest compaction. */
  compacted: Snapshot | null = null;
  /** The state hash after every applied index. */
  readonly hashes = new Map<number, string>();
  /** Bytes of log applied, as the driver counts them, after every applied index. */
  readonly logBytes = new Map<number, number>();
  private appliedBytes = 0;
  private requestNumber = 0;

  constructor(limits: Partial<DriverLimits>) {
    this.driver = new Driver<LedgerStateMachine>({
      raft: SOLO_RAFT,
      initial: {
        hardState: null,
        snapshot: null,
        entries: [],
        configuration: { voters: ['solo'], inSync: ['solo'] },
      },
      snapshotData: null,
      stateMachines: ledgerStateMachines(),
      storage: {
        persist: (_update, done) => done(null),
        compact: (snapshot, done) => {
          this.compacted = snapshot;
          done(null);
        },
      },
      transport: { send: () => {} },
      clock: () => this.nowMs,
      scheduler: {
        defer: (action) => this.deferred.push(action),
        later: (action) => this.slices.push(action),
      },
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      limits: {
        ...SOLO_LIMITS,
        ...limits,
      },
      clusterIdToPropose: CLUSTER_ID,
      configuredClusterId: CLUSTER_ID,
      campaignAtStart: true,
      events: {
        entryApplied: (entry) => {
          this.appliedBytes += entry.data.byteLength + LOG_ENTRY_OVERHEAD_BYTES;
          this.logBytes.set(entry.index, this.appliedBytes);
          this.hashes.set(entry.index, this.driver.stateMachine.ledger.stateHash());
        },
      },
    });
    this.driver.start();
    this.settle();
    // The first tick records the cluster id.
    this.driver.tick();
    this.settle();
    expect(this.driver.stateMachine.clusterId).to.equal(CLUSTER_ID);
  }

  settle(): void {
    for (let round = 0; this.deferred.length > 0; round += 1) {
      expect(round, 'the driver keeps deferring').to.be.below(MAX_ROUNDS);
      for (const action of this.deferred.splice(0)) action();
    }
  }

  runSlice(): void {
    const slice = this.slices.shift();
    expect(slice, 'a slice is waiting').to.not.equal(undefined);
    slice?.();
    this.settle();
  }

  /** Submits a command and settles; returns the outcome (null: not answered yet). */
  run(command: Command): Applied | DriverRefusal | null {
    let outcome: Applied | DriverRefusal | null = null;
    this.nowMs += 10;
    this.driver.submit(command, (result) => {
      outcome = result;
    });
    this.settle();
    return outcome;
  }

  requestId(): string {
    this.requestNumber += 1;
    return `request-${this.requestNumber}`;
  }

  acquire(workstationId: string): string {
    const outcome = this.run({
      type: 'acquire_lease',
      requestId: this.requestId(),
      licenceId: 'cad',
      workstationId,
      parameters: { host: 'h', user: 'u', cores: 4, productVersion: '1' },
      ttlMs: 3_600_000,
      nonce: '',
    });
    expect(outcome).to.not.be.instanceOf(DriverRefusal);
    const result = (outcome as unknown as Applied).result;
    if (!result.ok || result.outcome.kind !== 'lease') throw new Error('expected a lease');
    return result.outcome.lease.leaseId;
  }

  /** A licence and `leases` leases. */
  populate(leases: number): string[] {
    this.run({
      type: 'activate_licence',
      requestId: this.requestId(),
      licenceFile: licenceFile('cad', 500),
      actor: null,
    });
    const ids: string[] = [];
    for (let number = 0; number < leases; number++) ids.push(this.acquire(`ws-${number}`));
    return ids;
  }
}

describe('driver snapshots written in slices', () => {
  it('answers operations between slices, and stores exactly the state at the snapshot index', () => {
    const node = new SoloNode({ snapshotSliceRecords: 2 });
    const leaseIds = node.populate(12);
    let taken: Snapshot | Error | null = null;
    node.driver.takeSnapshot((outcome) => {
      taken = outcome;
    });
    node.settle();
    const snapshotIndex = node.driver.stateMachine.appliedIndex;
    let answeredDuringSnapshot = 0;
    for (let round = 0; taken === null; round += 1) {
      expect(round).to.be.below(MAX_ROUNDS);
      // Change what the slices have not written yet: the newest leases are written last.
      const leaseId = leaseIds.pop();
      const command: Command =
        leaseId === undefined
          ? {
              type: 'report_usage',
              requestId: node.requestId(),
              licenceId: 'cad',
              workstationId: 'ws-0',
              units: 1,
            }
          : { type: 'release_lease', requestId: node.requestId(), leaseId };
      const outcome = node.run(command);
      expect(outcome, 'an operation during a snapshot is answered at once').to.not.equal(null);
      expect(outcome).to.not.be.instanceOf(DriverRefusal);
      if (taken === null) answeredDuringSnapshot += 1;
      node.runSlice();
    }
    expect(answeredDuringSnapshot).to.be.greaterThan(5);
    const snapshot = taken as unknown as Snapshot;
    expect(snapshot).to.not.be.instanceOf(Error);
    expect(snapshot.metadata.index).to.equal(snapshotIndex);
    expect(node.compacted).to.equal(snapshot);
    expect(node.driver.currentSnapshotIndex).to.equal(snapshotIndex);
    expect(node.driver.stateMachine.appliedIndex).to.be.greaterThan(snapshotIndex + 5);
    const restored = Ledger.restore(decodeNodeSnapshot(snapshot.data, snapshotIndex).ledger);
    expect(restored.appliedIndex).to.equal(snapshotIndex);
    expect(restored.stateHash()).to.equal(node.hashes.get(snapshotIndex));
    expect(restored.stateHash()).to.not.equal(node.driver.stateMachine.ledger.stateHash());
    expect(node.driver.statistics.snapshotsTaken).to.equal(1);
    expect(node.slices).to.deep.equal([]);
  });

  it('takes a snapshot once the log since the last one reaches snapshotEveryBytes', () => {
    const everyBytes = 3000;
    const node = new SoloNode({ snapshotEveryBytes: everyBytes, snapshotSliceRecords: 1_000 });
    node.populate(0);
    const begunAt: number[] = [];
    for (let number = 0; node.driver.statistics.snapshotsTaken < 2; number += 1) {
      expect(number).to.be.below(MAX_ROUNDS);
      node.acquire(`ws-${number}`);
      if (node.slices.length > 0) {
        begunAt.push(node.driver.stateMachine.appliedIndex);
        while (node.slices.length > 0) node.runSlice();
      }
    }
    expect(begunAt).to.have.length(2);
    // Each snapshot begins at the first index where the log since the previous one reached the bound.
    const [first, second] = begunAt as [number, number];
    const bytesAt = (index: number) => node.logBytes.get(index) ?? 0;
    expect(bytesAt(first)).to.be.at.least(everyBytes);
    expect(bytesAt(first - 1)).to.be.below(everyBytes);
    expect(bytesAt(second) - bytesAt(first)).to.be.at.least(everyBytes);
    expect(bytesAt(second - 1) - bytesAt(first)).to.be.below(everyBytes);
  });

  it('still takes one every snapshotEveryEntries when that is set', () => {
    const node = new SoloNode({ snapshotEveryEntries: 10, snapshotSliceRecords: 1_000 });
    node.populate(0);
    let begunAt = 0;
    for (let number = 0; begunAt === 0; number += 1) {
      expect(number).to.be.below(MAX_ROUNDS);
      node.acquire(`ws-${number}`);
      if (node.slices.length > 0) begunAt = node.driver.stateMachine.appliedIndex;
    }
    expect(begunAt).to.equal(10);
  });

  it('writes nothing when it stops while a snapshot is being written, and refuses the request', () => {
    const node = new SoloNode({ snapshotSliceRecords: 1 });
    node.populate(4);
    let taken: Snapshot | Error | null = null;
    node.driver.takeSnapshot((outcome) => {
      taken = outcome;
    });
    node.settle();
    node.runSlice();
    let stopped = false;
    node.driver.stop(() => {
      stopped = true;
    });
    node.settle();
    expect(stopped).to.equal(true);
    expect(taken).to.be.instanceOf(DriverRefusal);
    // The slices left do nothing.
    while (node.slices.length > 0) node.runSlice();
    expect(node.compacted).to.equal(null);
    expect(node.driver.statistics.snapshotsTaken).to.equal(0);
  });
});
