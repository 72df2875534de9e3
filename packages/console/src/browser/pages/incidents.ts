// Incidents (seats or usage over the limit after a merge) and the audit trail (every admin and
// operator operation the ledger recorded, the most recent first).
import { apiGet } from '../api.js';
import { h, replace, table } from '../dom.js';
import { enumWord, time } from '../format.js';
import type { PageDefinition } from '../page.js';

interface IncidentJson {
  incidentId: string;
  licenceId: string;
  kind: string;
  limit: number;
  observed: number;
  excess: number;
  openedAtMs: number;
  resolvedAtMs?: number | null;
}

interface AuditRecordJson {
  index: number;
  atMs: number;
  action: string;
  actor?: { name: string; role: string; via: string; from: string } | null;
  licenceId: string;
  leaseId: string;
  outcome: string;
  detail: string;
}

const AUDIT_PAGE = 500;

export const incidentsPage: PageDefinition = {
  id: 'incidents',
  title: 'Incidents & audit',
  create() {
    const incidents = h('div');
    const audit = h('div');
    const filter = h('input', {
      type: 'search',
      placeholder: 'Filter the trail: action, actor, licence, lease',
      'data-testid': 'audit-filter',
    });
    let records: AuditRecordJson[] = [];
    const drawAudit = () => {
      const text = filter.value.trim().toLowerCase();
      const shown = records.filter(
        (record) =>
          text === '' ||
          [
            record.action,
            record.actor?.name ?? '',
            record.licenceId,
            record.leaseId,
            record.outcome,
            record.detail,
          ].some((value) => value.toLowerCase().includes(text)),
      );
      replace(
        audit,
        table(
          ['When', 'Action', 'Actor', 'Licence', 'Lease', 'Outcome', 'Detail'],
          shown.map((record) => [
            time(record.atMs),
            record.action,
            record.actor === null || record.actor === undefined
              ? '—'
              : `${record.actor.name} (${record.actor.role} via ${record.actor.via})`,
            record.licenceId,
            record.leaseId,
            record.outcome,
            record.detail,
          ]),
          { 'data-testid': 'audit' },
        ),
      );
    };
    filter.addEventListener('input', drawAudit);
    return {
      element: h(
        'section',
        { class: 'page', 'data-page': 'incidents' },
        h('h2', {}, 'Incidents'),
        incidents,
        h('h2', {}, 'Audit trail'),
        h('div', { class: 'toolbar' }, filter),
        audit,
      ),
      async refresh() {
        const [incidentList, trail] = await Promise.all([
          apiGet<{ incidents: IncidentJson[] }>('/api/incidents'),
          apiGet<{ records: AuditRecordJson[]; truncated: boolean }>(`/api/audit?limit=${AUDIT_PAGE}`),
        ]);
        replace(
          incidents,
          incidentList.incidents.length === 0
            ? h('p', { class: 'muted', 'data-testid': 'incidents' }, 'No incidents.')
            : table(
                ['Incident', 'Licence', 'Kind', 'Limit', 'Observed', 'Excess', 'Opened', 'Resolved'],
                incidentList.incidents.map((incident) => [
                  incident.incidentId,
                  incident.licenceId,
                  enumWord(incident.kind),
                  incident.limit,
                  incident.observed,
                  incident.excess,
                  time(incident.openedAtMs),
                  incident.resolvedAtMs === null || incident.resolvedAtMs === undefined
                    ? h('strong', { class: 'down' }, 'open')
                    : time(incident.resolvedAtMs),
                ]),
                { 'data-testid': 'incidents' },
              ),
        );
        records = [...trail.records].reverse();
        drawAudit();
      },
    };
  },
};
