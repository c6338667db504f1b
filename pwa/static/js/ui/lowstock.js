// Supervisors: items whose available stock in a warehouse is at or below a threshold.
//
// The API has no reorder rules yet, so the threshold is the supervisor's (kept on this
// device); when rules arrive this list should use each item's minimum instead.

import { h, replace } from '../dom.js';
import { t, formatNumber } from '../i18n.js';
import { allPages } from '../api.js';
import { getAll } from '../db.js';
import * as md from '../masterdata.js';
import { errorText, loading, empty } from './common.js';

const KEY = 'stockhand.lowstock';

export async function render() {
  const warehouses = await md.warehouses();
  const list = h('div', {}, loading());
  const warehouse = h('select', { id: 'ls-warehouse', onchange: fill }, warehouses.map((w) => h('option', { value: String(w.id) }, `${w.code} · ${w.name}`)));
  const threshold = h('input', { id: 'ls-threshold', type: 'number', inputmode: 'numeric', min: '0', value: localStorage.getItem(KEY) || '10', onchange: () => { localStorage.setItem(KEY, threshold.value); fill(); } });

  async function fill() {
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
    h('p', { class: 'muted' }, t('lowstock.note')),
    h('div', { class: 'grid2' }, h('div', { class: 'field' }, h('label', { for: 'ls-warehouse' }, t('common.warehouse')), warehouse),
      h('div', { class: 'field' }, h('label', { for: 'ls-threshold' }, t('lowstock.threshold')), threshold)),
    list);
  return { el, title: t('lowstock.title'), back: '/tasks' };
}
