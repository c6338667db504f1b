// Supervisors: lots with stock that expire soon (or have), soonest first.

import { h, replace } from '../dom.js';
import { t, formatDate, formatNumber } from '../i18n.js';
import { api } from '../api.js';
import * as md from '../masterdata.js';
import { errorText, loading, empty } from './common.js';

export async function render() {
  const warehouses = await md.warehouses();
  const list = h('div', {}, loading());
  // The dashboard's tile says which warehouse it counted: #/sup/expiry?warehouse=ID.
  const wanted = new URLSearchParams(location.hash.split('?')[1] || '').get('warehouse');
  const warehouse = h('select', { id: 'ex-warehouse', onchange: fill }, warehouses.map((w) => h('option', { value: String(w.id), selected: String(w.id) === wanted }, `${w.code} · ${w.name}`)));
  const days = h('select', { id: 'ex-days', onchange: fill }, [7, 14, 30, 60].map((d) => h('option', { value: String(d), selected: d === 30 }, t('expiry.days', { n: d }))));

  async function fill() {
    replace(list, loading());
    try {
      const report = await api(`/api/lots/near-expiry?warehouse_id=${warehouse.value}&days=${days.value}`);
      replace(list, report.lots.length ? h('table', { class: 'data', 'data-testid': 'expiry-table' },
        h('thead', {}, h('tr', {}, h('th', {}, t('common.item')), h('th', {}, t('common.lot')), h('th', {}, t('expiry.expires')), h('th', { class: 'num' }, t('lookup.on_hand_col')))),
        h('tbody', {}, report.lots.map((l) => h('tr', {},
          h('td', {}, h('span', { class: 'code' }, l.sku), h('div', { class: 'muted', translate: 'no' }, l.item_name)),
          h('td', { class: 'code' }, l.lot_number),
          h('td', {}, formatDate(l.expiry_date), h('div', { class: l.expired ? 'status rejected' : 'status pending' }, l.expired ? t('expiry.expired') : t('expiry.days_left', { n: l.days_left }))),
          h('td', { class: 'num' }, formatNumber(l.on_hand)))))) : empty(t('expiry.none')));
    } catch (error) {
      replace(list, h('div', { class: 'msg warn' }, errorText(error)));
    }
  }

  fill();
  const el = h('div', {}, h('h2', {}, t('expiry.title')),
    h('div', { class: 'grid2' }, h('div', { class: 'field' }, h('label', { for: 'ex-warehouse' }, t('common.warehouse')), warehouse),
      h('div', { class: 'field' }, h('label', { for: 'ex-days' }, t('expiry.within')), days)),
    list);
  return { el, title: t('expiry.title'), back: '/tasks' };
}
