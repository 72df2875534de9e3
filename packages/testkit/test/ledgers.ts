// Ledgers and commands for the checker tests, which build ledgers by hand.
import {
  type Command,
  encodeLicenceFile,
  encodeLicencePayload,
  Ledger,
  type LicenceSpec,
} from '@tandem/ledger';

export const CHECKED_CLUSTER_ID = 'checked-cluster';

/**
 * An empty ledger that has recorded CHECKED_CLUSTER_ID, at applied index 0 (a snapshot of a ledger
 * that has only that), so that hand-made logs can start their licences at index 1.
 */
export function clusteredLedger(): Ledger {
  const header = {
    format: 'tandem-ledger-snapshot',
    v: 4,
    appliedIndex: 0,
    clockMs: 0,
    licences: 0,
    leases: 0,
    usage: 0,
    requests: 0,
    incidents: 0,
    audit: 0,
    clusterId: CHECKED_CLUSTER_ID,
  };
  return Ledger.restore(new TextEncoder().encode(`${JSON.stringify(header)}\n`));
}

/** An activation as the edge proposes it (the ledger reads the file, the edge checked its signature). */
export function activateCommand(requestId: string, spec: LicenceSpec): Command {
  const payload = encodeLicencePayload({
    ...spec,
    serial: 1,
    vendor: 'Checked Vendor',
    issuedAtMs: 0,
    clusterId: CHECKED_CLUSTER_ID,
  });
  return {
    type: 'activate_licence',
    requestId,
    licenceFile: encodeLicenceFile({ keyId: 'checked', payload, signature: new Uint8Array(64) }),
    actor: { name: 'operator', role: 'admin', via: 'insecure', from: 'test' },
  };
}
