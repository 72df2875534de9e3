// Leases: every lease, filtered by text and licence, sorted by any column, and (for an operator or
// an admin) revoked after a confirmation. A viewer gets no revoke button; the server refuses a
// viewer's revoke all the same (403).
import { ApiError, apiGet, apiPost } from '../api.js';
import { h, replace } from '../dom.js';
import { duration, time } from '../format.js';
import type { PageDefinition } from '../page.js';

interface LeaseJson {
  leaseId: string;
  licenceId: string;
  workstationId: string;
  parameters?: { host: string; user: string } | null;
  grantedAtMs: number;
  expiresAtMs: number;
  ttlMs: number;
}

type Column = 'leaseId' | 'licenceId' | 'workstationId' | 'host' | 'user' | 'grantedAtMs' | 'expiresAtMs';
const COLUMNS: { key: Column; title: string }[] = [
  { key: 'leaseId', title: 'Lease' },
  { key: 'licenceId', title: 'Licence' },
  { key: 'workstationId', title: 'Workstation' },
  { key: 'host', title: 'Host' },
  { key: 'user', title: 'User' },
  { key: 'grantedAtMs', title: 'Granted' },
  { key: 'expiresAtMs', title: 'Expires' },
];

function cellValue(lease: LeaseJson, column: Column): string | number {
  if (column === 'host') return lease.parameters?.host ?? '';
  if (column === 'user') return lease.parameters?.user ?? '';
  return lease[column];
}

export const leasesPage: PageDefinition = {
  id: 'leases',
  title: 'Leases',
  create(context) {
    const canRevoke = context.session.canRevoke;
    let leases: LeaseJson[] = [];
    let sort: { column: Column; ascending: boolean } = { column: 'grantedAtMs', ascending: false };
    const filter = h('input', {
      type: 'search',
      placeholder: 'Filter: lease, workstation, host, user',
      'data-testid': 'lease-filter',
    });
    const licenceFilter = h('select', { 'data-testid': 'licence-filter' });
    const body = h('div');
    const reason = h('input', {
      type: 'text',
      maxlength: 200,
      placeholder: 'Reason (recorded in the audit trail)',
      'data-testid': 'revoke-reason',
    });
    const question = h('p');
    const confirm = h(
      'button',
      { class: 'danger', value: 'revoke', 'data-testid': 'confirm-revoke' },
      'Revoke',
    );
    const dialog = h(
      'dialog',
      { 'data-testid': 'revoke-dialog' },
      h(
        'form',
        { method: 'dialog' },
        h('h3', {}, 'Revoke lease?'),
        question,
        reason,
        h('div', { class: 'actions' }, h('button', { value: 'cancel' }, 'Cancel'), confirm),
      ),
    );
    let pending: LeaseJson | null = null;
    dialog.addEventListener('close', () => {
      const lease = pending;
      pending = null;
      if (dialog.returnValue !== 'revoke' || lease === null) return;
      void revoke(lease, reason.value);
    });

    const revoke = async (lease: LeaseJson, why: string) => {
      try {
        await apiPost(`/api/leases/${encodeURIComponent(lease.leaseId)}/revoke`, {
          requestId: crypto.randomUUID(),
          reason: why,
        });
        context.notify(`Lease ${lease.leaseId} of ${lease.workstationId} revoked.`);
        leases = leases.filter((each) => each.leaseId !== lease.leaseId);
        draw();
      } catch (error) {
        const message =
          error instanceof ApiError && error.body.leaderId !== undefined
            ? `${error.message} (revoke on the leader's console: ${error.body.leaderId})`
            : (error as Error).message;
        context.notify(`Revoke failed: ${message}`, 'error');
      }
    };

    const draw = () => {
      const text = filter.value.trim().toLowerCase();
      const licence = licenceFilter.value;
      const shown = leases
        .filter((lease) => licence === '' || lease.licenceId === licence)
        .filter(
          (lease) =>
            text === '' ||
            COLUMNS.some((column) => String(cellValue(lease, column.key)).toLowerCase().includes(text)),
        )
        .sort((a, b) => {
          const [x, y] = [cellValue(a, sort.column), cellValue(b, sort.column)];
          const order = x < y ? -1 : x > y ? 1 : 0;
          return sort.ascending ? order : -order;
        });
      const header = h(
        'tr',
        {},
        ...COLUMNS.map((column) =>
          h(
            'th',
            {
              class: 'sortable',
              'data-sort': column.key,
              onclick: () => {
                sort = { column: column.key, ascending: sort.column === column.key ? !sort.ascending : true };
                draw();
              },
            },
            column.title,
            sort.column === column.key ? (sort.ascending ? ' ▲' : ' ▼') : '',
          ),
        ),
        h('th', {}, 'TTL'),
        canRevoke ? h('th', {}, '') : null,
      );
      const rows = shown.map((lease) =>
        h(
          'tr',
          { 'data-lease': lease.leaseId },
          ...COLUMNS.map((column) => {
            const value = cellValue(lease, column.key);
            return h('td', {}, column.key.endsWith('Ms') ? time(value as number) : value);
          }),
          h('td', {}, duration(lease.ttlMs)),
          canRevoke
            ? h(
                'td',
                {},
                h(
                  'button',
                  {
                    class: 'danger small revoke',
                    'data-testid': `revoke-${lease.leaseId}`,
                    onclick: () => {
                      pending = lease;
                      replace(
                        question,
                        `Revoke lease ${lease.leaseId} of workstation ${lease.workstationId} (licence ${lease.licenceId})? The workstation loses its seat now.`,
                      );
                      reason.value = 'revoked from the web console';
                      dialog.showModal();
                    },
                  },
                  'Revoke',
                ),
              )
            : null,
        ),
      );
      replace(
        body,
        h(
          'p',
          { class: 'muted', 'data-testid': 'lease-count' },
          `${shown.length} of ${leases.length} leases`,
        ),
        h('table', { 'data-testid': 'leases' }, h('thead', {}, header), h('tbody', {}, ...rows)),
      );
    };
    filter.addEventListener('input', draw);
    licenceFilter.addEventListener('change', draw);

    const element = h(
      'section',
      { class: 'page', 'data-page': 'leases' },
      h(
        'div',
        { class: 'toolbar' },
        filter,
        licenceFilter,
        canRevoke
          ? null
          : h(
              'span',
              { class: 'muted' },
              `Read only: revoking needs the operator role (you are ${context.session.role}).`,
            ),
      ),
      body,
      canRevoke ? dialog : null,
    );
    return {
      element,
      async refresh() {
        ({ leases } = await apiGet<{ leases: LeaseJson[] }>('/api/leases'));
        const licences = [...new Set(leases.map((lease) => lease.licenceId))].sort();
        const chosen = licenceFilter.value;
        replace(
          licenceFilter,
          h('option', { value: '' }, 'every licence'),
          ...licences.map((id) => h('option', { value: id, selected: id === chosen }, id)),
        );
        draw();
      },
    };
  },
};
