// audit: the ledger's audit trail, who did what to which licence or lease and with what outcome.
import type { AuditRecord } from '@tandem/client';
import { ExitCode } from './exit-codes.js';
import type { Session } from './session.js';
import { formatTable } from './table.js';

export interface AuditOptions {
  since?: number;
  licence?: string;
  limit?: number;
}

/** The actor as one cell: name (role, via, from). */
function actorText(record: AuditRecord): string {
  const { actor } = record;
  return `${actor.name} (${actor.role} via ${actor.via} from ${actor.from || '?'})`;
}

/** What the operation was about, and, for a merged one, the backup entry it came from. */
function subjectText(record: AuditRecord): string | null {
  const parts = [record.licenceId, record.leaseId].filter((part): part is string => part !== null);
  return parts.length === 0 ? null : parts.join(' ');
}

export function auditTable(records: readonly AuditRecord[]): string {
  return formatTable(
    ['TIME', 'INDEX', 'ACTION', 'ACTOR', 'SUBJECT', 'OUTCOME', 'DETAIL'],
    records.map((record) => [
      new Date(record.atMs).toISOString(),
      record.index,
      record.action,
      actorText(record),
      subjectText(record),
      record.outcome,
      record.origin === null
        ? record.detail
        : `${record.detail}${record.detail === '' ? '' : ' '}(merged from ${record.origin.nodeId} entry ${record.origin.index})`,
    ]),
  );
}

export async function listAudit(session: Session, options: AuditOptions): Promise<number> {
  const page = await session.admin().listAudit({
    ...(options.since === undefined ? {} : { sinceMs: options.since }),
    ...(options.licence === undefined ? {} : { licenceId: options.licence }),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
  });
  session.print(page, () => {
    if (page.records.length === 0) return 'no audit records\n';
    const more = page.truncated
      ? `(older records left out: narrow with --since or --licence, or raise --limit)\n`
      : '';
    return `${auditTable(page.records)}${more}`;
  });
  return ExitCode.ok;
}
