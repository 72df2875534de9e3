// Where the cluster id comes from: `cluster.id` when the configuration sets it, else the one the
// cluster CA carries (`tandem://cluster/<id>`, made by `tandemctl pki init`), else a random UUID.
// The first leader of a fresh ledger proposes a set_cluster_id entry with it; the ledger records the first one and refuses any other
// later, so every node agrees on the id even when it was chosen at random. Licence files are issued
// for the id the ledger recorded (tandemctl status shows it).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { LedgerOptions } from '@tandem/ledger';
import { clusterIdOfCa } from '@tandem/pki';
import type { TandemConfig } from './config.js';

/** The id a leader proposes for a ledger that has none: cluster.id, the CA's, or a new random UUID. */
export function clusterIdToPropose(config: TandemConfig): string {
  return config.cluster.id ?? clusterIdOfConfiguredCa(config) ?? randomUUID();
}

/** The cluster id the cluster CA carries (the first certificate of the bundle that has one). */
export function clusterIdOfConfiguredCa(config: TandemConfig): string | null {
  const caFile = config.security.peer?.ca ?? config.security.client?.ca;
  if (caFile === undefined) return null;
  let bundle: string;
  try {
    bundle = readFileSync(caFile, 'utf8');
  } catch {
    return null;
  }
  for (const block of bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
    const clusterId = clusterIdOfCa(block);
    if (clusterId !== null) return clusterId;
  }
  return null;
}

/** The ledger's options from the configuration; every node of a cluster must run with the same. */
export function ledgerOptionsOf(config: TandemConfig): Partial<LedgerOptions> {
  const { ledger } = config;
  return {
    idempotencyWindowMs: ledger.idempotencyWindowMs,
    idempotencyMaxEntries: ledger.idempotencyMaxEntries,
    idempotencyMaxBytes: ledger.idempotencyMaxBytes,
    maxTtlMs: ledger.maxTtlMs,
    auditMaxEntries: ledger.auditMaxEntries,
    auditRetentionMs: ledger.auditRetentionMs,
    seatHistoryMaxEntries: ledger.seatHistoryMaxEntries,
    seatHistoryRetentionMs: ledger.seatHistoryRetentionMs,
  };
}
