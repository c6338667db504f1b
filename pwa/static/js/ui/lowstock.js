// Supervisors: items below the minimum of their reorder rule (what the dashboard counts),
// then items whose available stock is at or below a number of the supervisor's own (kept on
// this device), which also catches items no rule covers.

import { h, replace } from '../dom.js';
import { t, formatNumber } from '../i18n.js';
import { api, allPages } from '../api.js';
import { getAll } from '../db.js';
import * as md from '../masterdata.js';
import { errorText, loading, empty } from './common.js';

const KEY = 'stockhand.lowstock';

export async function render() {
  const warehouses = await md.warehouses();
  const list = h('div', {}, loading());
  const ruled = h('div', {}, loading());
  // The dashboard's tile says which warehouse it counted: #/sup/lowstock?warehouse=ID.
  const wanted = new URLSearchParams(location.hash.split('?')[1] || '').get('warehouse');
  const warehouse = h('select', { id: 'ls-warehouse', onchange: fill }, warehouses.map((w) => h('option', { value: String(w.id), selected: String(w.id) === wanted }, `${w.code} · ${w.name}`)));
  const threshold = h('input', { id: 'ls-threshold', type: 'number', inputmode: 'numeric', min: '0', value: localStorage.getItem(KEY) || '10', onchange: () => { localStorage.setItem(KEY, threshold.value); fill(); } });

  async function fillRuled() {
    replace(ruled, loading());
    try {
      const page = await api(`/api/reorder-rules?warehouse_id=${warehouse.value}&status=below&limit=500`);
      replace(ruled, page.items.length ? h('table', { class: 'data', 'data-testid': 'reorder-below-table' },
        h('thead', {}, h('tr', {}, h('th', {}, t('common.item')), h('th', { class: 'num' }, t('lookup.available')), h('th', { class: 'num' }, t('lowstock.minimum')), h('th', { class: 'num' }, t('lowstock.suggested')))),
        h('tbody', {}, page.items.map((r) => h('tr', {},
          h('td', {}, h('span', { class: 'code' }, r.sku), h('div', { class: 'muted', translate: 'no' }, r.item_name)),
          h('td', { class: 'num' }, formatNumber(r.available)),
          h('td', { class: 'num' }, formatNumber(r.minimum)),
          h('td', { class: 'num' }, formatNumber(r.suggested_order)))))) : empty(t('lowstock.none_below')));
    } catch (error) {
      replace(ruled, h('div', { class: 'msg warn' }, errorText(error)));
    }
  }

  async function fill() {
    fillRuled();
    replace(list, loading());
    try {
      const rows = await allPages(`/api/stock?warehouse_id=${warehouse.value}`, { max: 5000 });
      const byItem = new Map();
      for (const r of rows) {
        const entry = byItem.get(r.item_id) || { sku: r.sku, name: r.item_name, unit: r.unit, available: 0, on_hand: 0 };
        entry.available += r.available;
        entry.on_hand += r.on_hand;
        byItem.set(r.item_id, entry);
      }
      // Items with no stock row at all are out of stock too.
      for (const item of await getAll('items')) {
        if (item.active && !byItem.has(item.id)) byItem.set(item.id, { sku: item.sku, name: item.name, unit: item.unit, available: 0, on_hand: 0 });
      }
      const limit = Number(threshold.value) || 0;
      const low = [...byItem.values()].filter((e) => e.available <= limit).sort((a, b) => a.available - b.available || a.sku.localeCompare(b.sku));
      replace(list, low.length ? h('table', { class: 'data', 'data-testid': 'lowstock-table' },
        h('thead', {}, h('tr', {}, h('th', {}, t('common.item')), h('th', { class: 'num' }, t('lookup.available')), h('th', { class: 'num' }, t('lookup.on_hand_col')))),
        h('tbody', {}, low.slice(0, 200).map((e) => h('tr', {},
          h('td', {}, h('span', { class: 'code' }, e.sku), h('div', { class: 'muted', translate: 'no' }, e.name)),
          h('td', { class: 'num' }, formatNumber(e.available)),
          h('td', { class: 'num' }, formatNumber(e.on_hand)))))) : empty(t('lowstock.none')));
    } catch (error) {
      replace(list, h('div', { class: 'msg warn' }, errorText(error)));
    }
  }

  fill();
  const el = h('div', {}, h('h2', {}, t('lowstock.title')),
    h('div', { class: 'field' }, h('label', { for: 'ls-warehouse' }, t('common.warehouse')), warehouse),
    h('h3', {}, t('lowstock.below_minimum')),
    ruled,
    h('h3', {}, t('lowstock.by_threshold')),
    h('p', { class: 'muted' }, t('lowstock.note')),
    h('div', { class: 'field' }, h('label', { for: 'ls-threshold' }, t('lowstock.threshold')), threshold),
    list);
  return { el, title: t('lowstock.title'), back: '/tasks' };
}
