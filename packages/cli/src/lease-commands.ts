// lease list | revoke.
import type { Lease } from '@tandem/client';
import { ExitCode } from './exit-codes.js';
import type { Session } from './session.js';
import { formatTable } from './table.js';
import { isoTime } from './time-format.js';

export function leaseTable(leases: readonly Lease[]): string {
  return formatTable(
    ['LEASE', 'LICENCE', 'WORKSTATION', 'HOST', 'USER', 'GRANTED AT', 'EXPIRES AT', 'TTL MS'],
    leases.map((lease) => [
      lease.leaseId,
      lease.licenceId,
      lease.workstationId,
      lease.parameters.host,
      lease.parameters.user,
      isoTime(lease.grantedAtMs),
      isoTime(lease.expiresAtMs),
      lease.ttlMs,
    ]),
  );
}

export async function listLeases(session: Session, licenceId: string | undefined): Promise<number> {
  const leases = await session.admin().listLeases(licenceId);
  session.print({ leases }, () => leaseTable(leases));
  return ExitCode.ok;
}

export async function revokeLease(session: Session, leaseId: string, reason: string): Promise<number> {
  const lease = await session.admin().revokeLease(leaseId, reason);
  session.print(
    lease,
    () => `revoked ${lease.leaseId} (licence ${lease.licenceId}, workstation ${lease.workstationId})\n`,
  );
  return ExitCode.ok;
}
