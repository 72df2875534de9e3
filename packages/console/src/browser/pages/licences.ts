// Licences: seats in use against each licence's seats as a bar, and the chosen licence's utilisation
// over time: its peak seats per hour (or day) from the usage-report index (GET /api/report, the
// figures `tandemctl report leases` prints), against its seats; and below it the last hour as this
// node sampled it every 10 s, which the hourly peaks cannot show (how seats moved within the hour,
// and what is held right now), labelled as live samples kept in the node's memory.
import type uPlot from 'uplot';
import type { ReportJson, UtilisationResponse } from '../../api-types.js';
import { reportIso } from '../../report-rows.js';
import { apiGet } from '../api.js';
import { lineChart, periodChart } from '../charts.js';
import { h, replace, table } from '../dom.js';
import { enumWord, time } from '../format.js';
import type { PageDefinition } from '../page.js';
import {
  gapNote,
  licenceSeries,
  RANGES,
  rangeOf,
  reportPath,
  reportQuery,
  tandemctlCommand,
} from '../report-series.js';

export interface LicenceJson {
  spec: {
    licenceId: string;
    product: string;
    seats: number;
    validUntilMs: number;
    quota?: { units: number; period: string } | null;
  };
  status: string;
  seatsInUse: number;
  usageThisPeriod: number;
}

/** How often the report chart is read again while nothing about it changed. */
export const REPORT_REFRESH_MS = 30_000;

export const licencesPage: PageDefinition = {
  id: 'licences',
  title: 'Licences',
  create() {
    const element = h('section', { class: 'page', 'data-page': 'licences' });
    const list = h('div');
    const rangeSelect = h(
      'select',
      { 'data-testid': 'utilisation-range' },
      ...RANGES.map((range) => h('option', { value: range.id }, range.label)),
    );
    const chartBox = h('div', { class: 'chart', 'data-testid': 'utilisation-chart' });
    const reportNotes = h('div');
    const liveBox = h('div', { class: 'chart', 'data-testid': 'utilisation-live-chart' });
    const liveNote = h('p', { class: 'muted' });
    let chosen: string | null = null;
    /** The licences as last read: the seats, and the live line ends with the seats in use now. */
    let current: LicenceJson[] = [];
    let chart: uPlot | null = null;
    let liveChart: uPlot | null = null;
    /** Draws overlap (a refresh and the timer): only the latest one's answers are drawn. */
    let drawing = 0;
    /** What the report chart shows and when it was read: it is read again only when stale. */
    let reportShown: { key: string; atMs: number } | null = null;
    replace(
      element,
      list,
      h('h2', {}, 'Utilisation over time ', rangeSelect),
      chartBox,
      reportNotes,
      h('h3', {}, 'Live: the last hour on this node'),
      liveBox,
      liveNote,
    );

    const drawReport = async (licenceId: string, seats: number | null, turn: number) => {
      const range = rangeOf(rangeSelect.value);
      const key = `${licenceId} ${range.id} ${seats}`;
      // Every ledger change refreshes the page; hourly figures need not be read that often.
      if (reportShown?.key === key && Date.now() - reportShown.atMs < REPORT_REFRESH_MS) return;
      const query = reportQuery('leases', range, licenceId, Date.now());
      const report = await apiGet<ReportJson>(reportPath(query));
      if (turn !== drawing) return;
      reportShown = { key, atMs: Date.now() };
      const points = licenceSeries(report, licenceId, 'peakSeats');
      chart?.destroy();
      replace(chartBox);
      chartBox.dataset.fromMs = String(report.fromMs);
      chartBox.dataset.toMs = String(report.toMs);
      chartBox.dataset.by = report.by;
      chartBox.dataset.licenceId = licenceId;
      chart = periodChart(chartBox, `${licenceId}: peak seats per ${report.by}`, points, {
        style: 'steps',
        label: `peak seats in the ${report.by}`,
        limit: seats === null ? null : { label: 'seats (the licence now)', value: seats },
      });
      const gaps = gapNote(report.incomplete);
      replace(
        reportNotes,
        h(
          'p',
          { class: 'muted', 'data-testid': 'utilisation-source' },
          `From the usage-report index of node ${report.nodeId} (as of log index ${report.asOfIndex}, ${time(report.asOfMs)}): the most seats held at once in each ${report.by}, the figures of `,
          h('code', {}, tandemctlCommand(query, 'json')),
          '.',
        ),
        gaps === null ? null : h('p', { class: 'warning', 'data-testid': 'utilisation-incomplete' }, gaps),
        report.truncated
          ? h('p', { class: 'warning' }, 'More rows than the node answers at once: some were left out.')
          : null,
        h(
          'details',
          {},
          h('summary', {}, 'Figures'),
          table(
            ['Period from (UTC)', 'Peak seats'],
            points.map((point) => [reportIso(point.startMs), point.value]),
            { 'data-testid': 'utilisation-figures' },
          ),
        ),
      );
    };

    const drawLive = async (licenceId: string, turn: number) => {
      const utilisation = await apiGet<UtilisationResponse>(
        `/api/licences/${encodeURIComponent(licenceId)}/utilisation`,
      );
      if (turn !== drawing) return;
      liveChart?.destroy();
      replace(liveBox);
      const points = utilisation.samples.map((sample) => ({
        atMs: sample.atMs,
        used: sample.seatsInUse,
        limit: sample.seats,
      }));
      // The line ends with the seats in use now, as the licence list says.
      const now = current.find((licence) => licence.spec.licenceId === licenceId);
      if (now !== undefined) points.push({ atMs: Date.now(), used: now.seatsInUse, limit: now.spec.seats });
      liveChart = lineChart(liveBox, `${licenceId}: seats in use, live`, points, {
        used: 'seats in use (sampled)',
        limit: 'seats',
      });
      liveNote.textContent = `Live samples: seats in use as this node saw them every ${utilisation.intervalMs / 1000} s, kept in its memory for the last hour only (lost on restart, each node its own); not report figures.`;
    };

    const drawChart = async () => {
      if (chosen === null) return;
      drawing += 1;
      const turn = drawing;
      const licence = current.find((candidate) => candidate.spec.licenceId === chosen);
      await Promise.all([drawReport(chosen, licence?.spec.seats ?? null, turn), drawLive(chosen, turn)]);
    };
    rangeSelect.addEventListener('change', () => void drawChart());
    const timer = setInterval(() => void drawChart().catch(() => {}), 10_000);

    return {
      element,
      async refresh() {
        const { licences } = await apiGet<{ licences: LicenceJson[] }>('/api/licences');
        current = licences;
        if (chosen === null || !licences.some((licence) => licence.spec.licenceId === chosen)) {
          chosen = licences[0]?.spec.licenceId ?? null;
        }
        replace(
          list,
          licences.length === 0
            ? h('p', { class: 'muted' }, 'No licence is active.')
            : table(
                ['Licence', 'Product', 'Status', 'Seats used', '', 'Valid until', ''],
                licences.map((licence) => {
                  const { seats } = licence.spec;
                  const share = seats === 0 ? 0 : Math.min(1, licence.seatsInUse / seats);
                  const fill = h('div', {
                    class: `fill ${share >= 1 ? 'full' : share >= 0.8 ? 'high' : ''}`,
                  });
                  fill.style.width = `${(share * 100).toFixed(1)}%`;
                  const id = licence.spec.licenceId;
                  return [
                    h('code', {}, id),
                    licence.spec.product,
                    enumWord(licence.status),
                    h('span', { 'data-testid': `seats-${id}` }, `${licence.seatsInUse} / ${seats}`),
                    h('div', { class: 'bar', title: `${licence.seatsInUse} of ${seats} seats` }, fill),
                    time(licence.spec.validUntilMs),
                    h(
                      'button',
                      {
                        class: id === chosen ? 'link chosen' : 'link',
                        onclick: () => {
                          chosen = id;
                          void drawChart();
                        },
                      },
                      'chart',
                    ),
                  ];
                }),
                { 'data-testid': 'licences' },
              ),
        );
        await drawChart();
      },
      dispose() {
        clearInterval(timer);
        chart?.destroy();
        liveChart?.destroy();
      },
    };
  },
};
