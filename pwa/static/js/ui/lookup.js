// What is this? Scan an item or a bin: what the device knows offline (name, barcodes, lots)
// and, online, the stock by bin and lot.

import { h, replace } from '../dom.js';
import { t, formatDate, formatNumber } from '../i18n.js';
import { allPages } from '../api.js';
import * as md from '../masterdata.js';
import { resolve } from '../resolve.js';
import { isOnline } from '../sync.js';
import { messageArea, errorText, keyValue } from './common.js';
import { scanBar } from './scanbar.js';

export async function render({ params = {} } = {}) {
  const message = messageArea();
  const body = h('div', { 'data-testid': 'lookup-result' }, h('p', { class: 'muted' }, t('lookup.hint')));
  const bar = scanBar();

  async function stockTable(query, by) {
    if (!isOnline()) return h('div', { class: 'msg warn' }, t('lookup.needs_network'));
    try {
      const rows = await allPages(`/api/stock?${query}`, { max: 1000 });
      if (!rows.length) return h('p', { class: 'muted' }, t('lookup.no_stock'));
      const total = rows.reduce((n, r) => n + r.on_hand, 0);
      return h('div', {},
        h('p', { class: 'big' }, t('lookup.on_hand', { n: formatNumber(total) })),
        h('table', { class: 'data', 'data-testid': 'stock-table' },
          h('thead', {}, h('tr', {}, h('th', {}, by === 'item' ? t('common.bin') : t('common.item')), h('th', {}, t('common.lot')), h('th', { class: 'num' }, t('lookup.on_hand_col')), h('th', { class: 'num' }, t('lookup.available')))),
          h('tbody', {}, rows.map((r) => h('tr', {},
            h('td', { class: 'code' }, by === 'item' ? r.location_code : r.sku),
            h('td', {}, r.lot_number ? [h('span', { class: 'code' }, r.lot_number), r.expiry_date ? h('div', { class: 'muted' }, formatDate(r.expiry_date)) : null] : '—'),
            h('td', { class: 'num' }, formatNumber(r.on_hand)),
            h('td', { class: 'num' }, formatNumber(r.available)))))));
    } catch (error) {
      return h('div', { class: 'msg error' }, errorText(error));
    }
  }

  async function show(res) {
    if (res.kind === 'item') {
      const [barcodes, lots] = await Promise.all([md.barcodesOf(res.item.id), md.lotsOf(res.item.id)]);
      replace(body,
        h('div', { class: 'card' },
          h('div', { class: 'big', translate: 'no' }, res.item.name),
          keyValue([
            [t('common.sku'), h('span', { class: 'code', 'data-testid': 'lookup-sku' }, res.item.sku)],
            [t('lookup.tracking'), t(`tracking.${res.item.tracking}`)],
            [t('lookup.barcodes'), barcodes.map((b) => h('div', {}, h('span', { class: 'code' }, b.code), b.quantity > 1 ? ` (${t('lookup.pack', { n: b.quantity })})` : ''))],
            lots.length ? [t('lookup.lots'), lots.slice(0, 8).map((l) => h('div', {}, h('span', { class: 'code' }, l.lot_number), l.expiry_date ? ` · ${formatDate(l.expiry_date)}` : ''))] : null,
          ])),
        h('h3', {}, t('lookup.stock')),
        await stockTable(`item_id=${res.item.id}`, 'item'));
      return 'ok';
    }
    if (res.kind === 'location') {
      replace(body,
        h('div', { class: 'card' }, h('div', { class: 'big code', 'data-testid': 'lookup-location' }, res.location.code), h('div', { class: 'muted', translate: 'no' }, res.location.name)),
        h('h3', {}, t('lookup.stock')),
        await stockTable(`location_id=${res.location.id}`, 'location'));
      return 'ok';
    }
    message.show('error', res.gs1Error ? t('scan.gs1_invalid', { ai: res.gs1Ai || '?' }) : t('scan.unknown', { code: res.code }));
    return 'error';
  }

  const pendingCode = sessionStorage.getItem('stockhand.lookup');
  if (params.item) {
    const item = await md.item(Number(params.item));
    if (item) show({ kind: 'item', item });
  } else if (params.location) {
    const location = await md.location(Number(params.location));
    if (location) show({ kind: 'location', location });
  } else if (pendingCode) {
    sessionStorage.removeItem('stockhand.lookup');
    show(await resolve(pendingCode));
  }
  return { el: h('div', {}, h('h2', {}, t('lookup.title')), message, bar, body), title: t('lookup.title'), back: '/tasks', onScan: show, cleanup: bar.cleanup };
}
