// The console's two kinds of chart, on uPlot (bundled from npm): a line over time (seats in use
// against the licence's seats) and bars per period (usage against its quota).
import uPlot from 'uplot';

const CHART_HEIGHT = 240;
const COLOURS = { used: '#2f6fdf', limit: '#d2452f' };

function width(container: HTMLElement): number {
  return Math.max(320, Math.min(1000, container.clientWidth || 800));
}

/** The x range of the data, with pad seconds on each side (a single sample must not be a point). */
function span(seconds: number[], padS: number): uPlot.Range.MinMax {
  const now = Date.now() / 1000;
  const low = seconds.length === 0 ? now - 3600 : Math.min(...seconds);
  const high = seconds.length === 0 ? now : Math.max(...seconds);
  return [low - padS, high + padS];
}

/** A line chart of `used` and `limit` over time (timestamps in ms). */
export function lineChart(
  container: HTMLElement,
  title: string,
  points: { atMs: number; used: number; limit: number }[],
  labels: { used: string; limit: string },
): uPlot {
  const data: uPlot.AlignedData = [
    points.map((point) => point.atMs / 1000),
    points.map((point) => point.used),
    points.map((point) => point.limit),
  ];
  return new uPlot(
    {
      title,
      width: width(container),
      height: CHART_HEIGHT,
      scales: {
        // A single sample would make an empty axis: give it a minute on each side.
        x: {
          time: true,
          range: (): uPlot.Range.MinMax =>
            span(
              points.map((point) => point.atMs / 1000),
              60,
            ),
        },
        y: { range: (_plot, _min, max) => [0, Math.max(1, max * 1.1)] },
      },
      series: [
        {},
        {
          label: labels.used,
          stroke: COLOURS.used,
          width: 2,
          fill: 'rgba(47, 111, 223, 0.12)',
          // Steps: seats change at a moment and hold until the next sample.
          paths: uPlot.paths.stepped?.({ align: 1 }),
          points: { show: true, size: 5 },
        },
        { label: labels.limit, stroke: COLOURS.limit, width: 1, dash: [6, 4] },
      ],
    },
    data,
    container,
  );
}

/** Bars of `used` per period with the quota as a line (period starts in ms). */
export function barChart(
  container: HTMLElement,
  title: string,
  periods: { startMs: number; endMs: number; used: number; quota: number }[],
): uPlot {
  // A period's width on each side, so that one period is a bar and not the whole axis.
  const first = periods[0];
  const padS = first === undefined ? 86_400 : (first.endMs - first.startMs) / 1000;
  const data: uPlot.AlignedData = [
    periods.map((period) => period.startMs / 1000),
    periods.map((period) => period.used),
    periods.map((period) => period.quota),
  ];
  const bars = uPlot.paths.bars?.({ size: [0.6, 60] });
  return new uPlot(
    {
      title,
      width: width(container),
      height: CHART_HEIGHT,
      scales: {
        x: {
          time: true,
          range: (): uPlot.Range.MinMax =>
            span(
              periods.map((period) => period.startMs / 1000),
              padS,
            ),
        },
        y: { range: (_plot, _min, max) => [0, Math.max(1, max * 1.1)] },
      },
      series: [
        {},
        {
          label: 'used',
          stroke: COLOURS.used,
          fill: 'rgba(47, 111, 223, 0.5)',
          ...(bars === undefined ? {} : { paths: bars }),
        },
        { label: 'quota', stroke: COLOURS.limit, width: 1, dash: [6, 4] },
      ],
    },
    data,
    container,
  );
}
