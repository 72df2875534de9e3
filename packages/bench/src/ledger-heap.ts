// The heap a ledger holds in the catch-up benchmark's state, measured in-process in seconds instead
// of the minutes the full benchmark takes: live leases, then usage reports until the request book
// is full, every command encoded and decoded as the log does (so that its strings are separate, as
// in a node), and then the same ledger restored from its snapshot (as the backup holds it).
// Run: node --expose-gc --import tsx packages/bench/src/ledger-heap.ts [leases] [reports] [remembered]
// With HEAP_SNAPSHOT_PREFIX set, it also writes <prefix>-applied.heapsnapshot and -restored.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { type Command, decodeEntryData, encodeEntryData, Ledger } from '@tandem/ledger';

const DAY_MS = 24 * 60 * 60 * 1000;
const START_MS = 1_780_000_000_000;

function collectedMemoryMb(): number {
  const collect = (globalThis as { gc?: () => void }).gc;
  assert.ok(collect !== undefined, 'run with node --expose-gc');
  collect();
  collect();
  // The request book keeps its numbers in typed arrays, outside the V8 heap.
  const usage = process.memoryUsage();
  return (usage.heapUsed + usage.arrayBuffers) / 1024 / 1024;
}

function viaLog(
  index: number,
  command: Command,
): { index: number; term: number; timestampMs: number; command: Command } {
  const data = decodeEntryData(encodeEntryData({ timestampMs: START_MS + index, command }));
  return { index, term: 1, timestampMs: data.timestampMs, command: data.command };
}

function main(): void {
  const [leases = 100_000, reports = 900_000, remembered = 200_000] = process.argv.slice(2).map(Number);
  const options = { idempotencyMaxEntries: remembered, maxTtlMs: DAY_MS };
  const empty = collectedMemoryMb();
  let ledger: Ledger | null = new Ledger(options);
  let index = 0;
  for (const [licenceId, seats] of [
    ['meter', 1],
    ['seats', leases],
  ] as const) {
    index += 1;
    const licence = {
      licenceId,
      product: 'Bench',
      seats,
      quota: null,
      validFromMs: 0,
      validUntilMs: 0,
      redundancy: true,
      features: {},
    };
    const result = ledger.apply({
      index,
      term: 1,
      timestampMs: START_MS,
      command: { type: 'legacy_activate_licence', requestId: `activate-${licenceId}`, licence },
    });
    assert.ok(result.ok);
  }
  const started = performance.now();
  for (let position = 0; position < leases; position += 1) {
    index += 1;
    const result = ledger.apply(
      viaLog(index, {
        type: 'acquire_lease',
        requestId: `lease-${position}`,
        licenceId: 'seats',
        workstationId: `ws-${position}`,
        parameters: { host: `host-${position}`, user: 'bench', cores: 8, productVersion: '1.0' },
        ttlMs: DAY_MS,
        nonce: position.toString(16).padStart(16, '0'),
      }),
    );
    assert.ok(result.ok);
  }
  const withLeases = collectedMemoryMb();
  for (let position = leases; position < leases + reports; position += 1) {
    index += 1;
    ledger.apply(
      viaLog(index, {
        type: 'report_usage',
        requestId: `usage-${position}`,
        licenceId: 'meter',
        workstationId: 'bulk',
        units: 1,
      }),
    );
  }
  const applyMs = performance.now() - started;
  const full = collectedMemoryMb();
  const heapSnapshotPrefix = process.env.HEAP_SNAPSHOT_PREFIX;
  if (heapSnapshotPrefix !== undefined) v8.writeHeapSnapshot(`${heapSnapshotPrefix}-applied.heapsnapshot`);
  const snapshotStarted = performance.now();
  const snapshot = ledger.snapshot();
  const snapshotMs = performance.now() - snapshotStarted;
  const hash = ledger.stateHash();
  ledger = null;
  const restoreStarted = performance.now();
  const restored = Ledger.restore(snapshot, options);
  const restoreMs = performance.now() - restoreStarted;
  assert.equal(restored.stateHash(), hash);
  const restoredHeap = collectedMemoryMb() - snapshot.length / 1024 / 1024;
  if (heapSnapshotPrefix !== undefined) v8.writeHeapSnapshot(`${heapSnapshotPrefix}-restored.heapsnapshot`);
  const mb = (value: number): string => `${value.toFixed(1)} MB`;
  console.log(
    [
      `${leases} leases, ${reports} usage reports, ${restored.rememberedRequestCount()} remembered requests`,
      `leases and their acquisitions: ${mb(withLeases - empty)}`,
      `whole ledger (applied): ${mb(full - empty)} (remembered usage reports: ${mb(full - withLeases)})`,
      `whole ledger (restored): ${mb(restoredHeap - empty)}`,
      `snapshot ${mb(snapshot.length / 1024 / 1024)}; apply ${(applyMs / 1000).toFixed(1)} s, snapshot ${(snapshotMs / 1000).toFixed(2)} s, restore ${(restoreMs / 1000).toFixed(2)} s`,
      `after restore: heap ${mb(process.memoryUsage().heapUsed / 1024 / 1024)}, array buffers ${mb(process.memoryUsage().arrayBuffers / 1024 / 1024)} (the snapshot's included)`,
      `state hash ${hash}`,
    ].join('\n'),
  );
}

main();
