// Usage: a licence's metered use per period (GetUsage) as bars against its quota, as a table, and as
// CSV to download.
import type uPlot from 'uplot';
import { apiGet } from '../api.js';
import { barChart } from '../charts.js';
import { download, toCsv } from '../csv.js';
import { h, replace, table } from '../dom.js';
import { time } from '../format.js';
import type { PageDefinition } from '../page.js';
import type { LicenceJson } from './licences.js';

interface UsagePeriodJson {
  periodStartMs: number;
  periodEndMs: number;
  used: number;
  quota: number;
  reports: number;
}

export const usagePage: PageDefinition = {
  id: 'usage',
  title: 'Usage',
  create() {
    const select = h('select', { 'data-testid': 'usage-licence' });
    const exportButton = h('button', { 'data-testid': 'usage-csv' }, 'Export CSV');
    const chartBox = h('div', { class: 'chart', 'data-testid': 'usage-chart' });
    const rows = h('div');
    let periods: UsagePeriodJson[] = [];
    let chart: uPlot | null = null;

    const load = async () => {
      const licenceId = select.value;
      chart?.destroy();
      chart = null;
      if (licenceId === '') {
        replace(chartBox, h('p', { class: 'muted' }, 'No licence is active.'));
        replace(rows);
        return;
      }
      ({ periods } = await apiGet<{ periods: UsagePeriodJson[] }>(
        `/api/licences/${encodeURIComponent(licenceId)}/usage`,
      ));
      replace(chartBox);
      if (periods.length === 0) {
        chartBox.append(
          h('p', { class: 'muted' }, 'No usage reported for this licence yet (or it has no quota).'),
        );
      } else {
        chart = barChart(
          chartBox,
          `${licenceId}: use per period`,
          periods.map((period) => ({
            startMs: period.periodStartMs,
            endMs: period.periodEndMs,
            used: period.used,
            quota: period.quota,
          })),
        );
      }
      replace(
        rows,
        table(
          ['Period from', 'to', 'Used', 'Quota', 'Reports'],
          periods.map((period) => [
            time(period.periodStartMs),
            time(period.periodEndMs),
            period.used,
            period.quota,
            period.reports,
          ]),
          { 'data-testid': 'usage-table' },
        ),
      );
    };
    select.addEventListener('change', () => void load());
    exportButton.addEventListener('click', () => {
      const header = ['licence_id', 'period_start', 'period_end', 'used', 'quota', 'reports'];
      const lines = periods.map((period) => [
        select.value,
        new Date(period.periodStartMs).toISOString(),
        new Date(period.periodEndMs).toISOString(),
        period.used,
        period.quota,
        period.reports,
      ]);
      download(`usage-${select.value}.csv`, toCsv(header, lines));
    });

    return {
      element: h(
        'section',
        { class: 'page', 'data-page': 'usage' },
        h('div', { class: 'toolbar' }, select, exportButton),
        chartBox,
        rows,
      ),
      async refresh() {
        const { licences } = await apiGet<{ licences: LicenceJson[] }>('/api/licences');
        const chosen = select.value;
        replace(
          select,
          ...licences.map((licence) =>
            h(
              'option',
              { value: licence.spec.licenceId, selected: licence.spec.licenceId === chosen },
              licence.spec.licenceId,
            ),
          ),
        );
        await load();
      },
      dispose() {
        chart?.destroy();
      },
    };
  },
};
