// Where the cluster id comes from: the one place to change when another source takes over (the
// cluster CA's `tandem://cluster/<id>` once the PKI lands). The first leader of a fresh ledger
// proposes a set_cluster_id entry with it; the ledger records the first one and refuses any other
// later, so every node agrees on the id even when it was chosen at random. Licence files are issued
// for the id the ledger recorded (tandemctl status shows it).
import { randomUUID } from 'node:crypto';
import type { LedgerOptions } from '@tandem/ledger';
import type { TandemConfig } from './config.js';

/** The id a leader proposes for a ledger that has none: cluster.id, or a new random UUID. */
export function clusterIdToPropose(config: TandemConfig): string {
  return config.cluster.id ?? randomUUID();
}

/** The ledger's options from the configuration; every node of a cluster must run with the same. */
export function ledgerOptionsOf(config: TandemConfig): Partial<LedgerOptions> {
  const { ledger } = config;
  return {
    idempotencyWindowMs: ledger.idempotencyWindowMs,
    idempotencyMaxEntries: ledger.idempotencyMaxEntries,
    maxTtlMs: ledger.maxTtlMs,
    auditMaxEntries: ledger.auditMaxEntries,
    auditRetentionMs: ledger.auditRetentionMs,
  };
}
