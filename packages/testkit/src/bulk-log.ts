// Builds a main's data directory with many acknowledged entries, in-process and fast, so that the
// catch-up and memory benchmarks start from a realistic log without minutes of RPC traffic.
import { mkdir } from 'node:fs/promises';
import type { Command } from '@tandem/ledger';
import { createLogger, parseConfig, Replica } from '@tandem/server';
import { LevelStorage } from '@tandem/storage';
import { signTestLicence } from './test-vendor.js';

/** The bulk log's cluster: its licence files are issued for it. */
const BULK_CLUSTER_ID = 'bulk-log';

import { removeDirectory, temporaryDirectory } from './temporary-directory.js';
import { TestPki } from './test-pki.js';

/** The licences a bulk log activates: `meter` (its usage reports) and `seats` (its live leases). */
export const BULK_LOG_LICENCES: readonly string[] = ['meter', 'seats'];

export interface BulkLogOptions {
  dataDir: string;
  /** Operations to write; each is one log entry. */
  operations: number;
  /** Leases left live at the end (acquired and never released), taken from the operations. */
  liveLeases: number;
  snapshotEveryEntries: number;
  onProgress?: (written: number) => void;
}

export async function buildBulkLog(options: BulkLogOptions): Promise<void> {
  await mkdir(options.dataDir, { recursive: true });
  // The replica runs in-process and opens no port, but a configuration is secure or says it is
  // not: it gets a node certificate of a throwaway PKI, which the data directory does not keep.
  const pkiDirectory = await temporaryDirectory('tandem-bulk-log-pki-');
  const pki = await TestPki.create(pkiDirectory);
  const config = parseConfig({
    node: { id: 'main', role: 'main', listen: '127.0.0.1:0', dataDir: options.dataDir },
    cluster: { id: BULK_CLUSTER_ID },
    snapshot: { everyEntries: options.snapshotEveryEntries },
    limits: { maxPendingOperations: 100_000, operationTimeoutMs: 600_000 },
    tls: await pki.serverTls('node', 'main'),
  });
  await removeDirectory(pkiDirectory);
  const storage = await LevelStorage.open(options.dataDir);
  const replica = await Replica.open({
    config,
    storage,
    logger: createLogger('error', 'main'),
    clock: () => Date.now(),
  });
  replica.start();
  await replica.waitForLeadership(5000);
  // Proposed as the edge would, once it has checked the signature.
  const licence = (licenceId: string, seats: number): Command => ({
    type: 'activate_licence',
    requestId: `activate-${licenceId}`,
    licenceFile: signTestLicence({ licenceId, product: 'Bench', seats, redundancy: true }, BULK_CLUSTER_ID),
    actor: { name: 'bulk-log', role: 'admin', via: 'insecure', from: 'in-process' },
  });
  await replica.submit(licence('meter', 1));
  await replica.submit(licence('seats', Math.max(1, options.liveLeases)));
  const batch = 4000;
  for (let start = 0; start < options.operations; start += batch) {
    const count = Math.min(batch, options.operations - start);
    await Promise.all(
      Array.from({ length: count }, (_, offset) => {
        const position = start + offset;
        const command: Command =
          position < options.liveLeases
            ? {
                type: 'acquire_lease',
                requestId: `lease-${position}`,
                licenceId: 'seats',
                workstationId: `ws-${position}`,
                parameters: { host: `host-${position}`, user: 'bench', cores: 8, productVersion: '1.0' },
                ttlMs: config.ledger.maxTtlMs,
                nonce: position.toString(16).padStart(16, '0'),
              }
            : {
                type: 'report_usage',
                requestId: `usage-${position}`,
                licenceId: 'meter',
                workstationId: 'bulk',
                units: 1,
              };
        return replica.submit(command);
      }),
    );
    options.onProgress?.(start + count);
  }
  await replica.stop();
  await storage.close();
}
