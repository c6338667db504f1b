// Supervisors' dashboard, one warehouse at a time: stock value, turnover, stockouts and count
// accuracy over the last 30, 90 or 365 days, and what needs them now (items below their
// reorder minimum, lots near expiry, work waiting). The figures are computed by the server
// (/api/insight/trends), so this screen needs the network: offline it says so and loads as
// soon as the connection is back.

import { h, svg, replace } from '../dom.js';
import { t, getLocale, formatNumber, formatPercent } from '../i18n.js';
import { api, NetworkError } from '../api.js';
import * as md from '../masterdata.js';
import { errorText, loading, empty, section } from './common.js';
import { timeChart, COLORS } from './dashboard_charts.js';

// Days shown and the bucket that keeps each chart readable on a phone.
const PERIODS = [[30, 'day'], [90, 'week'], [365, 'week']];
const KEY = 'stockhand.dashboard';
const TARGET = 98;

// Horizontal bars: one row per label, the value at the end of the bar.
export function barChart(rows, { format = formatNumber, max = null, classOf = () => 'bar', title = '' } = {}) {
  const width = 360;
  const rowH = 28;
  const labelW = 92;
  const top = Math.max(max ?? 0, ...rows.map((r) => r.value), 1);
  const height = rows.length * rowH + 8;
  return svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title },
    rows.map((r, i) => {
      const y = 4 + i * rowH;
      const w = Math.max(2, ((width - labelW - 70) * r.value) / top);
      return svg('g', {},
        svg('text', { x: labelW - 6, y: y + 18, 'text-anchor': 'end' }, r.label),
        svg('rect', { x: labelW, y: y + 4, width: w, height: rowH - 8, rx: 4, class: classOf(r) }),
        svg('text', { x: labelW + w + 6, y: y + 18 }, format(r.value)));
    }));
}

const number = (v, { compact = false } = {}) => formatNumber(v, compact ? { notation: 'compact', maximumFractionDigits: 1 } : { maximumFractionDigits: 0 });
const ratio = (v) => formatNumber(v, { maximumFractionDigits: 3 });
const percent = (v) => formatPercent(v);
const dayLabel = (date) => new Intl.DateTimeFormat(getLocale(), { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));
const fraction = (text) => (text == null ? null : Number(text));
const asPercent = (text) => (text == null ? null : Number(text) * 100);

function remembered() {
  try { return JSON.parse(localStorage.getItem(KEY) || '{}'); } catch { return {}; }
}

export async function render() {
  const warehouses = await md.warehouses();
  const saved = remembered();
  let days = PERIODS.some(([d]) => d === saved.days) ? saved.days : 90;
  const warehouse = h('select', { id: 'db-warehouse', onchange: () => fill() },
    warehouses.map((w) => h('option', { value: String(w.id), selected: w.id === saved.warehouse }, `${w.code} · ${w.name}`)));
  const periods = PERIODS.map(([d]) => h('button', {
    type: 'button', 'data-days': String(d), 'aria-pressed': String(d === days),
    onclick: () => { days = d; fill(); },
  }, t('dashboard.days', { n: d })));
  const attention = h('div', { class: 'tiles', 'data-testid': 'dashboard-tiles' });
  const work = h('div', { class: 'tiles' });
  const charts = h('div', { 'data-testid': 'dashboard-charts' });
  let drawn = [];
  let generation = 0;

  const dropCharts = () => { drawn.forEach((c) => c.destroy()); drawn = []; };

  function offline() {
    dropCharts();
    replace(attention);
    replace(work);
    replace(charts, h('div', { class: 'msg warn', role: 'status', 'data-testid': 'dashboard-offline' },
      h('p', {}, t('dashboard.needs_connection')),
      h('button', { type: 'button', onclick: () => fill() }, t('outbox.retry'))));
  }

  async function fill() {
    const mine = ++generation;
    const wid = Number(warehouse.value);
    const bucket = PERIODS.find(([d]) => d === days)[1];
    localStorage.setItem(KEY, JSON.stringify({ days, warehouse: wid }));
    periods.forEach((b) => b.setAttribute('aria-pressed', String(Number(b.dataset.days) === days)));
    if (!navigator.onLine) { offline(); return; }
    fillWork(wid, mine);
    dropCharts();
    replace(charts, loading());
    let report;
    try {
      report = await api(`/api/insight/trends?warehouse_id=${wid}&days=${days}&bucket=${bucket}`);
    } catch (error) {
      if (mine !== generation) return;
      if (error instanceof NetworkError) { offline(); return; }
      replace(attention);
      replace(charts, h('div', { class: 'msg warn' }, errorText(error)));
      return;
    }
    if (mine !== generation) return;
    replace(attention, ...attentionTiles(report));
    draw(report);
  }

  function fillWork(wid, mine) {
    const kpi = (label, value) => h('div', { class: 'tile' }, h('span', { class: 'big' }, value), label);
    const total = (path) => api(path).then((p) => String(p.total)).catch(() => '—');
    Promise.all([
      total(`/api/tasks?warehouse_id=${wid}&status=open&limit=1`),
      total(`/api/adjustment-requests?warehouse_id=${wid}&status=pending&limit=1`),
      total(`/api/counts?warehouse_id=${wid}&status=review&limit=1`),
      total(`/api/counts?warehouse_id=${wid}&status=counting&limit=1`),
    ]).then(([open, adjustments, review, counting]) => {
      if (mine !== generation) return;
      replace(work,
        kpi(t('dashboard.open_tasks'), open), kpi(t('dashboard.pending_adjustments'), adjustments),
        kpi(t('dashboard.counts_review'), review), kpi(t('dashboard.counts_running'), counting));
    });
  }

  function draw(report) {
    const points = report.points;
    const xs = points.map((p) => Date.parse(p.start) / 1000);
    const dateTitle = t(`dashboard.bucket_${report.bucket}`);
    const chart = (testid, options) => {
      const box = h('div', { class: 'chart', 'data-testid': testid });
      const mine = generation;
      // Drawn once the box is on the page, so uPlot can take its width.
      queueMicrotask(() => {
        if (mine === generation) drawn.push(timeChart(box, { xs, bucket: report.bucket, dateTitle, ...options }));
      });
      return box;
    };
    const values = points.map((p) => Number(p.stock_value));
    const stockouts = points.map((p) => asPercent(p.stockout_rate));
    const accuracy = points.map((p) => asPercent(p.inventory_record_accuracy));
    const lowest = Math.min(TARGET, ...accuracy.filter((v) => v != null));
    replace(charts,
      section(t('dashboard.stock_value'),
        h('p', { class: 'big', 'data-testid': 'stock-value-now' }, number(values[values.length - 1])),
        h('p', { class: 'muted' }, t('dashboard.stock_value_note')),
        chart('chart-stock-value', {
          series: [{ label: t('dashboard.stock_value'), values, color: COLORS.value, fill: 'rgba(13, 70, 140, .12)' }],
          format: number,
        })),
      section(t('dashboard.turnover'),
        h('p', { class: 'muted' }, t('dashboard.turnover_note')),
        chart('chart-turnover', {
          series: [{ label: t('dashboard.turnover'), values: points.map((p) => fraction(p.inventory_turnover)), color: COLORS.turnover, bars: true }],
          format: ratio,
          range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1],
        })),
      section(t('dashboard.stockout_rate'),
        h('p', { class: 'muted' }, t('dashboard.stockout_note')),
        stockouts.some((v) => v != null)
          ? chart('chart-stockouts', {
            series: [{ label: t('dashboard.stockout_rate'), values: stockouts, color: COLORS.stockout }],
            format: percent,
            range: (u, min, max) => [0, Math.max(5, Math.ceil((max ?? 0) * 1.1))],
          })
          : empty(t('dashboard.no_orders'))),
      section(t('dashboard.accuracy'),
        h('p', { class: 'muted' }, t('dashboard.accuracy_note'), ' ', t('dashboard.accuracy_target')),
        accuracy.some((v) => v != null)
          ? chart('chart-accuracy', {
            series: [
              { label: t('dashboard.accuracy'), values: accuracy, color: COLORS.accuracy },
              { label: t('dashboard.target'), values: points.map(() => TARGET), color: COLORS.target, dash: [6, 4] },
            ],
            // A little room above 100 % keeps a perfect count's dot whole; no tick there.
            format: (v) => (v > 100 ? '' : percent(v)),
            range: () => [Math.max(0, Math.floor(lowest) - 2), 101],
          })
          : empty(t('dashboard.accuracy_none_period'))),
      expiryByWeek(report.near_expiry));
  }

  function attentionTiles(report) {
    const soon = report.near_expiry;
    return [
      h('a', { class: 'tile', href: `#/sup/lowstock?warehouse=${report.warehouse_id}`, 'data-testid': 'tile-lowstock' },
        h('span', { class: 'big', 'data-count': String(report.low_stock_items) }, formatNumber(report.low_stock_items)),
        t('dashboard.low_stock')),
      h('a', { class: 'tile', href: `#/sup/expiry?warehouse=${report.warehouse_id}`, 'data-testid': 'tile-expiry' },
        h('span', { class: 'big', 'data-count': String(soon.lots) }, formatNumber(soon.lots)),
        t('dashboard.near_expiry', { n: soon.days }),
        soon.expired ? h('span', { class: 'muted' }, t('dashboard.expired', { n: soon.expired })) : null),
    ];
  }

  function expiryByWeek(soon) {
    const rows = [
      ...(soon.expired ? [{ label: t('expiry.expired'), value: soon.expired, expired: true }] : []),
      ...soon.by_week.map((w) => ({ label: dayLabel(w.starts), value: w.lots })),
    ];
    return section(t('dashboard.expiry_by_week'),
      soon.lots ? barChart(rows, { title: t('dashboard.expiry_by_week'), classOf: (r) => (r.expired ? 'bar bad' : 'bar') }) : empty(t('expiry.none')));
  }

  const retry = () => fill();
  window.addEventListener('online', retry);
  fill();
  const el = h('div', {}, h('h2', {}, t('dashboard.title')),
    warehouses.length > 1
      ? h('div', { class: 'field' }, h('label', { for: 'db-warehouse' }, t('common.warehouse')), warehouse)
      : null,
    h('div', { class: 'seg', role: 'group', 'aria-label': t('dashboard.period') }, periods),
    attention,
    work,
    charts);
  return {
    el,
    title: t('dashboard.title'),
    back: '/tasks',
    cleanup: () => { window.removeEventListener('online', retry); generation += 1; dropCharts(); },
  };
}
