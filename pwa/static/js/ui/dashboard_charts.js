// Time-series charts of the dashboard, drawn by the vendored uPlot on a canvas: sized to their
// container, redrawn when it changes width (a phone turned sideways), labelled in the
// worker's language.

import uPlot from '../../vendor/uplot/uPlot.esm.js';
import { getLocale } from '../i18n.js';

const HEIGHT = 190;
export const COLORS = { value: '#0d468c', turnover: '#2a7ab8', stockout: '#c0392b', accuracy: '#14a044', target: '#7b8494' };

// Buckets start at UTC midnight: their days are UTC calendar days, whatever the phone's zone.
export function bucketLabel(seconds, bucket, { long = false } = {}) {
  const options = bucket === 'month'
    ? { year: 'numeric', month: long ? 'long' : 'short' }
    : { month: 'short', day: 'numeric', ...(long ? { year: 'numeric' } : {}) };
  return new Intl.DateTimeFormat(getLocale(), { ...options, timeZone: 'UTC' }).format(new Date(seconds * 1000));
}

// `series`: [{ label, values, color, bars, dash, fill }], one value (or null) per x.
export function timeChart(container, { xs, bucket, series, format, range, dateTitle }) {
  const step = xs.length > 1 ? xs[1] - xs[0] : 86400;
  const opts = {
    width: Math.max(200, container.clientWidth),
    height: HEIGHT,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    cursor: { drag: { x: false, y: false } },
    // The legend starts on the latest bucket; a finger on the chart moves it.
    hooks: { ready: [(u) => u.setLegend({ idx: xs.length - 1 })] },
    scales: {
      // Half a bucket either side, so the first and last bars are whole.
      x: { time: true, range: (u, min, max) => [min - step / 2, max + step / 2] },
      y: range ? { range } : {},
    },
    axes: [
      { values: (u, splits) => splits.map((s) => bucketLabel(s, bucket)), space: 64, gap: 4, size: 36 },
      { values: (u, splits) => splits.map((v) => format(v, { compact: true })), size: 56, gap: 4 },
    ],
    series: [
      { label: dateTitle, value: (u, ts) => (ts == null ? '—' : bucketLabel(ts, bucket, { long: true })) },
      ...series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: s.bars ? 0 : 2,
        dash: s.dash,
        fill: s.bars ? s.color : s.fill,
        spanGaps: !!s.dash,
        points: { show: !s.bars && !s.dash, size: 5 },
        paths: s.bars ? uPlot.paths.bars({ size: [0.7, 48] }) : undefined,
        value: (u, v) => (v == null ? '—' : format(v)),
      })),
    ],
  };
  const plot = new uPlot(opts, [xs, ...series.map((s) => s.values)], container);
  // Tests and people reading the page both learn how many buckets had a value.
  container.dataset.points = String(series[0].values.filter((v) => v != null).length);
  let width = container.clientWidth;
  const observer = new ResizeObserver(() => {
    if (container.clientWidth && container.clientWidth !== width) {
      width = container.clientWidth;
      plot.setSize({ width: Math.max(200, width), height: HEIGHT });
    }
  });
  observer.observe(container);
  return { destroy: () => { observer.disconnect(); plot.destroy(); } };
}
