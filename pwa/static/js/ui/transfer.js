// Warehouse transfers: the source ships lines from the bins scanned into transit, the
// destination receives what arrived (damaged apart). The open transfers were fetched while
// online; shipping and receiving are queued like every other action.

import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { get, put } from '../db.js';
import { allPages } from '../api.js';
import { user } from '../session.js';
import { isOnline } from '../sync.js';
import { act, messageArea, stepper, empty, statusBadge } from './common.js';
import { scanBar } from './scanbar.js';

async function transfers() {
  if (isOnline()) {
    try {
      const lists = await Promise.all(['open', 'in_transit', 'partially_received'].map((s) => allPages(`/api/transfers?status=${s}`, { max: 100, limit: 100 })));
      const all = lists.flat();
      await put('docs', { key: 'transfers', value: all, at: Date.now() });
      return all;
    } catch { /* fall back to what we have */ }
  }
  return (await get('docs', 'transfers'))?.value || [];
}

export async function render({ params, navigate }) {
  const list = await transfers();
  const me = user();
  const mine = (id) => me.role === 'admin' || me.warehouse_ids.includes(id);
  if (!params.id) {
    const rows = list.map((tr) => h('li', {}, h('a', { class: 'task', href: `#/transfer/${tr.id}` },
      h('span', { class: 'badge', 'aria-hidden': 'true' }, '⇄'),
      h('span', { class: 'grow' }, h('div', { class: 'title' }, tr.number), h('div', { class: 'sub', translate: 'no' }, `${tr.from_warehouse} → ${tr.to_warehouse}`)),
      statusBadge(tr.status))));
    return { el: h('div', {}, h('h2', {}, t('transfer.title')), rows.length ? h('ul', { class: 'list' }, rows) : empty(t('transfer.none'))), title: t('transfer.title'), back: '/tasks' };
  }
  const tr = list.find((x) => String(x.id) === params.id);
  if (!tr) return { el: h('div', { class: 'msg error' }, t('transfer.not_loaded')), title: t('transfer.title'), back: '/transfers' };
  const shipping = tr.status === 'open' && mine(tr.from_warehouse_id);
  const receiving = ['in_transit', 'partially_received'].includes(tr.status) && mine(tr.to_warehouse_id);
  const message = messageArea();
  const bar = scanBar();
  const body = h('div', {});
  const amounts = new Map(tr.lines.map((l) => [l.id, { quantity: shipping ? l.remaining_to_ship : l.in_transit, damaged: 0, from: l.from_location_id, fromCode: l.from_location }]));

  function draw() {
    replace(body, h('ul', { class: 'list' }, tr.lines.map((l) => {
      const a = amounts.get(l.id);
      const open = shipping ? l.remaining_to_ship : l.in_transit;
      return h('li', { class: 'card', 'data-line-id': String(l.id) },
        h('div', {}, h('span', { class: 'code' }, l.sku), l.lot_number ? ` · ${t('common.lot')} ${l.lot_number}` : ''),
        h('div', { class: 'muted' }, shipping ? t('transfer.to_ship', { n: open }) : t('transfer.in_transit', { n: open })),
        shipping ? h('div', { class: 'muted' }, t('transfer.from_bin', { bin: a.fromCode || t('transfer.scan_bin') })) : null,
        h('div', { class: 'row' }, h('span', { class: 'grow' }, shipping ? t('transfer.ship_qty') : t('receive.good')), stepper(a.quantity, (n) => { a.quantity = n; })),
        receiving ? h('div', { class: 'row' }, h('span', { class: 'grow' }, t('receive.damaged')), stepper(a.damaged, (n) => { a.damaged = n; })) : null);
    })),
    h('button', { type: 'button', class: 'primary wide', disabled: !(shipping || receiving), onclick: confirm }, shipping ? t('transfer.ship') : t('transfer.receive')));
  }

  async function confirm() {
    if (shipping) {
      const lines = tr.lines.map((l) => ({ l, a: amounts.get(l.id) })).filter(({ a }) => a.quantity > 0);
      if (lines.some(({ a }) => !a.from)) { message.show('warn', t('transfer.scan_bin')); return; }
      await act('ship_transfer', { transfer_id: tr.id, lines: lines.map(({ l, a }) => ({ line_id: l.id, quantity: a.quantity, from_location_id: a.from, ...(l.lot_number ? { lot_number: l.lot_number } : {}) })) },
        { label: { key: 'label.ship_transfer', vars: { transfer: tr.number } } });
    } else {
      const lines = tr.lines.map((l) => ({ l, a: amounts.get(l.id) })).filter(({ a }) => a.quantity + a.damaged > 0);
      await act('receive_transfer', { transfer_id: tr.id, lines: lines.map(({ l, a }) => ({ line_id: l.id, quantity: a.quantity, damaged_quantity: a.damaged })) },
        { label: { key: 'label.receive_transfer', vars: { transfer: tr.number } } });
    }
    message.show('ok', t('transfer.queued', { transfer: tr.number }));
    navigate('/transfers');
  }

  async function onScan(res) {
    if (shipping && res.kind === 'location') {
      // A bin scanned fills every line still without a bin: most transfers leave from one bin.
      for (const a of amounts.values()) if (!a.from) { a.from = res.location.id; a.fromCode = res.location.code; }
      draw();
      return 'ok';
    }
    if (res.kind === 'item') {
      const line = tr.lines.find((l) => l.item_id === res.item.id);
      if (!line) { message.show('error', t('transfer.not_on_transfer', { sku: res.item.sku })); return 'error'; }
      body.querySelector(`[data-line-id="${line.id}"]`)?.scrollIntoView({ block: 'center' });
      return 'ok';
    }
    message.show('error', t('scan.unknown', { code: res.code }));
    return 'error';
  }

  draw();
  return {
    el: h('div', {}, h('h2', { translate: 'no' }, `${tr.number} · ${tr.from_warehouse} → ${tr.to_warehouse}`), statusBadge(tr.status), message, bar, body),
    title: t('transfer.title'), back: '/transfers', onScan, cleanup: bar.cleanup,
  };
}
