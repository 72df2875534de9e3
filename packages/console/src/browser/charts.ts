// The console's two kinds of chart, on uPlot (bundled from npm): a line over time (the live seats in
// use sampled by the node, against the licence's seats) and a report's figure per period (peak seats
// as steps, usage units as bars) against a limit.
import uPlot from 'uplot';
import type { SeriesPoint } from './report-series.js';

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

/**
 * A report's figure per period: steps (peak seats, which hold for the whole period) or bars (units
 * used in the period), with a limit (the seats, or the quota when the periods are its periods) as a
 * dashed line. Times in ms.
 */
export function periodChart(
  container: HTMLElement,
  title: string,
  points: readonly SeriesPoint[],
  options: { style: 'steps' | 'bars'; label: string; limit: { label: string; value: number } | null },
): uPlot {
  const first = points[0];
  const last = points.at(-1);
  // Steps need the end of the last period as a point, so that the last period has its width.
  const withEnd =
    options.style === 'steps' && last !== undefined
      ? [...points, { startMs: last.endMs, endMs: last.endMs, value: last.value }]
      : [...points];
  const limit = options.limit;
  const data: uPlot.AlignedData = [
    withEnd.map((point) => point.startMs / 1000),
    withEnd.map((point) => point.value),
    withEnd.map(() => (limit === null ? null : limit.value)),
  ];
  // The axis is the periods, from the first one's start to the last one's end.
  const nowS = Date.now() / 1000;
  const xRange: uPlot.Range.MinMax = [
    first === undefined ? nowS - 86_400 : first.startMs / 1000,
    last === undefined ? nowS : last.endMs / 1000,
  ];
  const bars = uPlot.paths.bars?.({ size: [0.7, 60], align: 1 });
  const steps = uPlot.paths.stepped?.({ align: 1 });
  const paths = options.style === 'bars' ? bars : steps;
  return new uPlot(
    {
      title,
      width: width(container),
      height: CHART_HEIGHT,
      scales: {
        x: {
          time: true,
          range: (): uPlot.Range.MinMax => xRange,
        },
        y: {
          range: (_plot, _min, max) => [0, Math.max(1, (limit?.value ?? 0) * 1.1, max * 1.1)],
        },
      },
      series: [
        {},
        {
          label: options.label,
          stroke: COLOURS.used,
          width: options.style === 'bars' ? 1 : 2,
          fill: options.style === 'bars' ? 'rgba(47, 111, 223, 0.5)' : 'rgba(47, 111, 223, 0.12)',
          ...(paths === undefined ? {} : { paths }),
          points: { show: false },
        },
        {
          label: limit?.label ?? 'limit',
          stroke: COLOURS.limit,
          width: 1,
          dash: [6, 4],
          points: { show: false },
          show: limit !== null,
        },
      ],
    },
    data,
    container,
  );
}
