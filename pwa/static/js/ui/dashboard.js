// Supervisors' dashboard: stock by zone, count accuracy, and what waits for them. Bars are
// drawn as SVG here: two bar charts do not justify a chart library.

import { h, svg, replace } from '../dom.js';
import { t, formatNumber, formatPercent } from '../i18n.js';
import { api, allPages } from '../api.js';
import * as md from '../masterdata.js';
import { errorText, loading, empty, section } from './common.js';

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

export async function render() {
  const warehouses = await md.warehouses();
  const warehouse = h('select', { id: 'db-warehouse', onchange: fill }, warehouses.map((w) => h('option', { value: String(w.id) }, `${w.code} · ${w.name}`)));
  const kpis = h('div', { class: 'tiles' });
  const zones = h('div', { class: 'chart', 'data-testid': 'chart-zones' }, loading());
  const accuracy = h('div', { class: 'chart', 'data-testid': 'chart-accuracy' }, loading());

  async function fill() {
    const wid = warehouse.value;
    const kpi = (label, value) => h('div', { class: 'tile' }, h('span', { class: 'big' }, value), label);
    Promise.all([
      api(`/api/tasks?warehouse_id=${wid}&status=open&limit=1`).then((p) => p.total).catch(() => '—'),
      api(`/api/adjustment-requests?warehouse_id=${wid}&status=pending&limit=1`).then((p) => p.total).catch(() => '—'),
      api(`/api/counts?warehouse_id=${wid}&status=review&limit=1`).then((p) => p.total).catch(() => '—'),
      api(`/api/counts?warehouse_id=${wid}&status=counting&limit=1`).then((p) => p.total).catch(() => '—'),
    ]).then(([open, adjustments, review, counting]) => replace(kpis,
      kpi(t('dashboard.open_tasks'), String(open)), kpi(t('dashboard.pending_adjustments'), String(adjustments)),
      kpi(t('dashboard.counts_review'), String(review)), kpi(t('dashboard.counts_running'), String(counting))));

    try {
      const [locations, stock] = await Promise.all([
        allPages(`/api/locations?warehouse_id=${wid}`, { max: 5000 }),
        allPages(`/api/stock?warehouse_id=${wid}`, { max: 5000 }),
      ]);
      const byId = new Map(locations.map((l) => [l.id, l]));
      const totals = new Map();
      for (const row of stock) {
        const loc = byId.get(row.location_id);
        const zone = loc?.parent_id ? byId.get(loc.parent_id) : null;
        const label = zone ? zone.code : loc?.kind === 'dock' ? t('dashboard.docks') : t('dashboard.no_zone');
        totals.set(label, (totals.get(label) || 0) + row.on_hand);
      }
      const rows = [...totals].map(([label, value]) => ({ label, value })).sort((a, b) => a.label.localeCompare(b.label));
      replace(zones, rows.length ? barChart(rows, { title: t('dashboard.stock_by_zone') }) : empty(t('lookup.no_stock')));
    } catch (error) {
      replace(zones, h('div', { class: 'msg warn' }, errorText(error)));
    }

    try {
      const report = await api(`/api/counts/accuracy?warehouse_id=${wid}`);
      const rows = report.counts.filter((c) => c.accuracy != null).slice(-8).map((c) => ({ label: c.number, value: Number(c.accuracy) }));
      replace(accuracy,
        h('p', { class: 'big' }, report.accuracy != null ? t('dashboard.accuracy_overall', { pct: formatPercent(Number(report.accuracy)) }) : t('dashboard.accuracy_none')),
        rows.length ? barChart(rows, { max: 100, format: formatPercent, classOf: (r) => (r.value >= 98 ? 'bar good' : 'bar bad'), title: t('dashboard.accuracy') }) : null,
        h('p', { class: 'muted' }, t('dashboard.accuracy_target')));
    } catch (error) {
      replace(accuracy, h('div', { class: 'msg warn' }, errorText(error)));
    }
  }

  fill();
  const el = h('div', {}, h('h2', {}, t('dashboard.title')),
    h('div', { class: 'field' }, h('label', { for: 'db-warehouse' }, t('common.warehouse')), warehouse),
    kpis,
    section(t('dashboard.stock_by_zone'), zones),
    section(t('dashboard.accuracy'), accuracy));
  return { el, title: t('dashboard.title'), back: '/tasks' };
}
