// Usage: a licence's usage units per hour or day from the usage-report index (GET /api/report, the
// figures `tandemctl report usage` prints) as bars, against its quota when the bars are its quota
// periods; the report's rows (per workstation, user, host and period); the usage and lease reports
// as CSV, byte for byte what `tandemctl report ... --format csv` writes for the same query; and the
// use per quota period as the ledger enforces it (GetUsage), with its own CSV.
import type uPlot from 'uplot';
import type { ReportJson, ReportKindJson } from '../../api-types.js';
import { reportCsv, reportIso } from '../../report-rows.js';
import { apiGet } from '../api.js';
import { periodChart } from '../charts.js';
import { download, toCsv } from '../csv.js';
import { h, replace, table } from '../dom.js';
import { enumWord, time } from '../format.js';
import type { PageDefinition } from '../page.js';
import {
  gapNote,
  licenceSeries,
  RANGES,
  type ReportQueryJson,
  rangeOf,
  reportPath,
  reportQuery,
  tandemctlCommand,
} from '../report-series.js';
import { type LicenceJson, REPORT_REFRESH_MS } from './licences.js';

interface UsagePeriodJson {
  periodStartMs: number;
  periodEndMs: number;
  used: number;
  quota: number;
  reports: number;
}

/** Report rows shown in the page at most; the CSV has them all. */
const ROWS_SHOWN_MAX = 500;

export const usagePage: PageDefinition = {
  id: 'usage',
  title: 'Usage',
  create(context) {
    const select = h('select', { 'data-testid': 'usage-licence' });
    const rangeSelect = h(
      'select',
      { 'data-testid': 'usage-range' },
      // Units per day by default; hours for a closer look.
      ...RANGES.map((range) => h('option', { value: range.id, selected: range.id === '30d' }, range.label)),
    );
    const reportButton = h('button', { 'data-testid': 'report-csv' }, 'Usage report CSV');
    const leasesButton = h('button', { 'data-testid': 'report-leases-csv' }, 'Lease report CSV');
    const exportButton = h('button', { 'data-testid': 'usage-csv' }, 'Quota periods CSV');
    const chartBox = h('div', { class: 'chart', 'data-testid': 'usage-chart' });
    const notes = h('div');
    const reportRows = h('div');
    const rows = h('div');
    let licences: LicenceJson[] = [];
    let periods: UsagePeriodJson[] = [];
    /** The query the chart and the report rows show: the CSV exports ask the same. */
    let shown: ReportQueryJson | null = null;
    let chart: uPlot | null = null;
    let loading = 0;
    /** What the report parts show and when they were read. */
    let reportShown: { key: string; atMs: number } | null = null;

    const drawReport = (report: ReportJson, query: ReportQueryJson) => {
      const { licenceId } = query;
      chart?.destroy();
      replace(chartBox);
      chartBox.dataset.fromMs = String(report.fromMs);
      chartBox.dataset.toMs = String(report.toMs);
      chartBox.dataset.by = report.by;
      chartBox.dataset.licenceId = licenceId;
      const points = licenceSeries(report, licenceId, 'usageUnits');
      const quota = licences.find((licence) => licence.spec.licenceId === licenceId)?.spec.quota ?? null;
      // The quota is per quota period: a line only where the bars are those periods.
      const limit =
        quota !== null && quota !== undefined && enumWord(quota.period) === report.by
          ? { label: `quota per ${report.by}`, value: quota.units }
          : null;
      chart = periodChart(chartBox, `${licenceId}: usage units per ${report.by}`, points, {
        style: 'bars',
        label: `units in the ${report.by}`,
        limit,
      });
      const gaps = gapNote(report.incomplete);
      replace(
        notes,
        h(
          'p',
          { class: 'muted', 'data-testid': 'usage-source' },
          `From the usage-report index of node ${report.nodeId} (as of log index ${report.asOfIndex}, ${time(report.asOfMs)}). The CSV exports are what `,
          h('code', { 'data-testid': 'report-command' }, tandemctlCommand(query, 'csv')),
          ' writes (and the same for report leases).',
        ),
        gaps === null ? null : h('p', { class: 'warning', 'data-testid': 'usage-incomplete' }, gaps),
        report.truncated
          ? h('p', { class: 'warning' }, 'More rows than the node answers at once: some were left out.')
          : null,
        h(
          'details',
          {},
          h('summary', {}, 'Figures'),
          table(
            ['Period from (UTC)', 'Units'],
            points.map((point) => [reportIso(point.startMs), point.value]),
            { 'data-testid': 'usage-figures' },
          ),
        ),
      );
      replace(
        reportRows,
        h('h3', {}, 'Report rows: per workstation, user and host'),
        report.rows.length === 0
          ? h('p', { class: 'muted' }, 'No usage reported in this range.')
          : table(
              ['Period from (UTC)', 'Workstation', 'User', 'Host', 'Units', 'Reports', 'Denials'],
              report.rows.slice(0, ROWS_SHOWN_MAX).map((row) => [
                time(row.periodStartMs),
                row.workstationId,
                row.user,
                row.host,
                row.usageUnits,
                row.usageReports,
                Object.entries(row.denials)
                  .map(([reason, count]) => `${reason} ${count}`)
                  .join(', '),
              ]),
              { 'data-testid': 'report-table' },
            ),
        report.rows.length > ROWS_SHOWN_MAX
          ? h(
              'p',
              { class: 'muted' },
              `The first ${ROWS_SHOWN_MAX} rows; the CSV has all ${report.rows.length}.`,
            )
          : null,
      );
    };

    const load = async () => {
      const licenceId = select.value;
      loading += 1;
      const turn = loading;
      if (licenceId === '') {
        chart?.destroy();
        chart = null;
        shown = null;
        reportShown = null;
        replace(chartBox, h('p', { class: 'muted' }, 'No licence is active.'));
        replace(notes);
        replace(reportRows);
        replace(rows);
        return;
      }
      const query = reportQuery('usage', rangeOf(rangeSelect.value), licenceId, Date.now());
      const key = `${licenceId} ${query.fromMs} ${query.toMs} ${query.by}`;
      // Every ledger change refreshes the page; the report is read again only when stale.
      const stale = reportShown?.key !== key || Date.now() - reportShown.atMs >= REPORT_REFRESH_MS;
      const [report, usage] = await Promise.all([
        stale ? apiGet<ReportJson>(reportPath(query)) : Promise.resolve(null),
        apiGet<{ periods: UsagePeriodJson[] }>(`/api/licences/${encodeURIComponent(licenceId)}/usage`),
      ]);
      if (turn !== loading) return;
      periods = usage.periods;
      if (report !== null) {
        reportShown = { key, atMs: Date.now() };
        shown = query;
        drawReport(report, query);
      }
      replace(
        rows,
        h('h3', {}, 'Against the quota: use per quota period, as the ledger enforces it'),
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
    rangeSelect.addEventListener('change', () => void load());

    /** The report of the shown query, asked again now, as tandemctl's CSV. */
    const exportReport = async (kind: ReportKindJson) => {
      if (shown === null) return;
      const query = { ...shown, kind };
      const report = await apiGet<ReportJson>(reportPath(query));
      download(`report-${kind}-${query.licenceId}.csv`, reportCsv(report));
    };
    const exportFailed = (error: unknown) =>
      context.notify(`The report could not be exported: ${(error as Error).message}`, 'error');
    reportButton.addEventListener('click', () => void exportReport('usage').catch(exportFailed));
    leasesButton.addEventListener('click', () => void exportReport('leases').catch(exportFailed));
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
        h('div', { class: 'toolbar' }, select, rangeSelect, reportButton, leasesButton, exportButton),
        chartBox,
        notes,
        reportRows,
        rows,
      ),
      async refresh() {
        ({ licences } = await apiGet<{ licences: LicenceJson[] }>('/api/licences'));
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
