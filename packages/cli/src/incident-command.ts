// incidents: the overdraft incidents a pair-mode merge recorded.
import type { Incident } from '@tandem/client';
import { ExitCode } from './exit-codes.js';
import type { Session } from './session.js';
import { formatTable } from './table.js';

/** The main's term of the merge, then the backup's terms whose entries it re-applied. */
export function incidentTerms(incident: Incident): string {
  return `main ${incident.mainTerm} / ${incident.sourceNodeId} ${incident.backupTerms.join(',')}`;
}

/** How long a seats over-grant lasted: its span, "ongoing" while it lasts, "-" when unknown. */
export function incidentLasted(incident: Incident): string {
  if (incident.kind !== 'seats' || incident.startedAtMs === null) return '-';
  if (incident.endedAtMs === null) return 'ongoing';
  return `${((incident.endedAtMs - incident.startedAtMs) / 1000).toFixed(3)} s`;
}

export function incidentTable(incidents: readonly Incident[]): string {
  return formatTable(
    [
      'ID',
      'LICENCE',
      'KIND',
      'LIMIT',
      'OBSERVED',
      'EXCESS',
      'STARTED',
      'LASTED',
      'GRANTED IN TERMS',
      'TERMS',
      'OPENED',
      'RESOLVED',
    ],
    incidents.map((incident) => [
      incident.incidentId,
      incident.licenceId,
      incident.kind,
      incident.limit,
      incident.observed,
      incident.excess,
      incident.startedAtMs === null ? '-' : new Date(incident.startedAtMs).toISOString(),
      incidentLasted(incident),
      incident.grantTerms.length === 0 ? '-' : incident.grantTerms.join(','),
      incidentTerms(incident),
      new Date(incident.openedAtMs).toISOString(),
      incident.resolvedAtMs === null ? 'open' : new Date(incident.resolvedAtMs).toISOString(),
    ]),
  );
}

export async function listIncidents(session: Session, openOnly: boolean): Promise<number> {
  const incidents = await session.admin().listIncidents({ openOnly });
  session.print({ incidents }, () =>
    incidents.length === 0 ? `no ${openOnly ? 'open ' : ''}incidents\n` : incidentTable(incidents),
  );
  return ExitCode.ok;
}
