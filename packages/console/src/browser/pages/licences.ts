// Licences: seats in use against each licence's seats as a bar, and the utilisation of the chosen
// licence over time as a chart (seats in use as sampled by the node, against its seats).
import type uPlot from 'uplot';
import type { UtilisationResponse } from '../../api-types.js';
import { apiGet } from '../api.js';
import { lineChart } from '../charts.js';
import { h, replace, table } from '../dom.js';
import { enumWord, time } from '../format.js';
import type { PageDefinition } from '../page.js';

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

export const licencesPage: PageDefinition = {
  id: 'licences',
  title: 'Licences',
  create() {
    const element = h('section', { class: 'page', 'data-page': 'licences' });
    const list = h('div');
    const chartBox = h('div', { class: 'chart', 'data-testid': 'utilisation-chart' });
    let chosen: string | null = null;
    /** The licences as last read: the chart ends with the seats in use now. */
    let current: LicenceJson[] = [];
    let chart: uPlot | null = null;
    replace(element, list, h('h2', {}, 'Utilisation over time'), chartBox);

    const drawChart = async () => {
      if (chosen === null) return;
      const utilisation = await apiGet<UtilisationResponse>(
        `/api/licences/${encodeURIComponent(chosen)}/utilisation`,
      );
      chart?.destroy();
      replace(chartBox);
      const points = utilisation.samples.map((sample) => ({
        atMs: sample.atMs,
        used: sample.seatsInUse,
        limit: sample.seats,
      }));
      // The line ends with the seats in use now, as the licence list says.
      const now = current.find((licence) => licence.spec.licenceId === chosen);
      if (now !== undefined) points.push({ atMs: Date.now(), used: now.seatsInUse, limit: now.spec.seats });
      chart = lineChart(chartBox, `${chosen}: seats in use`, points, {
        used: 'seats in use',
        limit: 'seats',
      });
      chartBox.append(
        h(
          'p',
          { class: 'muted' },
          `Sampled by this node every ${utilisation.intervalMs / 1000} s and kept in its memory (the last hour).`,
        ),
      );
    };
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
      },
    };
  },
};
