// Receiving against a purchase order: scan an item of the order (its GS1 label brings lot
// and expiry), each scan adds its quantity (a case its packaging quantity), note damaged
// units, confirm. The order was fetched while online, so this works at a dock with no Wi-Fi.

import { h, replace } from '../dom.js';
import { t, formatDate } from '../i18n.js';
import { get, put } from '../db.js';
import { api } from '../api.js';
import * as md from '../masterdata.js';
import { localProgress } from '../overlay.js';
import { act, messageArea, stepper, loadDraft, saveDraft, dropDraft, errorText } from './common.js';
import { scanBar } from './scanbar.js';

async function orderDoc(id) {
  const cached = await get('docs', `po:${id}`);
  if (cached) return cached.value;
  const order = await api(`/api/purchase-orders/${id}`);
  await put('docs', { key: `po:${id}`, value: order, at: Date.now() });
  return order;
}

export async function render({ task }) {
  const message = messageArea();
  const body = h('div', {});
  const bar = scanBar();
  let order;
  try {
    order = await orderDoc(task.document_id);
  } catch (error) {
    return { el: h('div', { class: 'msg error' }, t('receive.not_loaded'), ' ', errorText(error)), title: t('task.receive'), back: '/tasks' };
  }
  const draftKey = `receive:${order.id}`;
  let draft = (await loadDraft(draftKey)) || null; // { line_id, item_id, quantity, damaged, lot, expiry, serials, barcode }
  let progress = await localProgress();

  const left = (line) => Math.max(0, line.remaining - progress.receivedOn(line.id));
  const save = () => (draft ? saveDraft(draftKey, draft) : dropDraft(draftKey));

  async function draw() {
    progress = await localProgress();
    const lineRows = order.lines.map((line) => h('tr', { class: draft?.line_id === line.id ? 'current' : '' },
      h('td', { class: 'code' }, line.sku), h('td', { class: 'num' }, String(left(line))), h('td', { class: 'num' }, String(line.quantity))));
    const table = h('table', { class: 'data' },
      h('thead', {}, h('tr', {}, h('th', {}, t('common.sku')), h('th', { class: 'num' }, t('receive.open')), h('th', { class: 'num' }, t('receive.ordered')))),
      h('tbody', {}, lineRows));
    if (!draft) {
      replace(body, h('p', { class: 'msg info' }, t('receive.scan_item')), table);
      return;
    }
    const item = await md.item(draft.item_id);
    const line = order.lines.find((l) => l.id === draft.line_id);
    const q = stepper(draft.quantity, (n) => { draft.quantity = n; save(); }, { testid: 'receive-qty' });
    const damaged = stepper(draft.damaged, (n) => { draft.damaged = n; save(); }, { testid: 'receive-damaged', label: t('receive.damaged') });
    const lotInput = h('input', { value: draft.lot || '', onchange: (e) => { draft.lot = e.target.value.trim() || null; save(); } });
    const expiryInput = h('input', { type: 'date', value: draft.expiry || '', onchange: (e) => { draft.expiry = e.target.value || null; save(); } });
    replace(body,
      h('div', { class: 'card' },
        h('div', { class: 'big' }, h('span', { class: 'code' }, item?.sku || line.sku), ' · ', h('span', { translate: 'no' }, item?.name || '')),
        h('div', { class: 'muted' }, t('receive.still_open', { n: left(line) })),
        h('div', { class: 'row' }, h('span', { class: 'grow' }, t('receive.good')), q),
        h('div', { class: 'row' }, h('span', { class: 'grow' }, t('receive.damaged')), damaged),
        item?.tracking === 'lot' ? [
          h('div', { class: 'field' }, h('label', {}, t('common.lot')), lotInput),
          h('div', { class: 'field' }, h('label', {}, t('common.expiry')), expiryInput,
            draft.expiry ? h('div', { class: 'muted' }, formatDate(draft.expiry)) : null),
        ] : null,
        item?.tracking === 'serial' ? h('div', { class: 'muted' }, t('receive.serials', { n: draft.serials.length })) : null),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', 'data-testid': 'receive-confirm', onclick: confirm }, t('receive.confirm')),
        h('button', { type: 'button', onclick: async () => { draft = null; await save(); draw(); } }, t('common.cancel'))),
      table);
  }

  async function confirm() {
    const item = await md.item(draft.item_id);
    const line = order.lines.find((l) => l.id === draft.line_id);
    if (draft.quantity + draft.damaged <= 0) { message.show('warn', t('receive.nothing')); return; }
    if (item?.tracking === 'lot' && !draft.lot) { message.show('warn', t('receive.lot_needed')); return; }
    if (item?.tracking === 'serial' && draft.serials.length !== draft.quantity + draft.damaged) { message.show('warn', t('receive.serials_needed')); return; }
    if (draft.quantity + draft.damaged > left(line)) message.show('warn', t('receive.over', { n: left(line) }));
    await act('receive_goods', {
      order_id: order.id, line_id: line.id, quantity: draft.quantity, damaged_quantity: draft.damaged,
      ...(draft.lot ? { lot_number: draft.lot } : {}), ...(draft.expiry ? { expiry_date: draft.expiry } : {}),
      ...(draft.serials.length ? { serials: draft.serials } : {}), ...(draft.barcode ? { barcode: draft.barcode } : {}),
    }, { label: { key: 'label.receive', vars: { n: draft.quantity, sku: line.sku, order: order.number } } });
    message.show('ok', t('receive.done', { n: draft.quantity, sku: line.sku }));
    draft = null;
    await save();
    await draw();
  }

  async function onScan(res) {
    if (res.kind === 'item') {
      const candidates = order.lines.filter((l) => l.item_id === res.item.id);
      if (!candidates.length) { message.show('error', t('receive.not_on_order', { sku: res.item.sku })); return 'error'; }
      if (draft && draft.item_id !== res.item.id) { message.show('warn', t('receive.finish_first')); return 'warn'; }
      const line = candidates.find((l) => left(l) > 0) || candidates[0];
      draft = draft || { line_id: line.id, item_id: res.item.id, quantity: 0, damaged: 0, lot: null, expiry: null, serials: [], barcode: res.barcode || null };
      if (res.lot_number) draft.lot = res.lot_number;
      if (res.expiry_date) draft.expiry = res.expiry_date;
      if (res.serial) draft.serials.push(res.serial);
      draft.quantity += res.quantity || 1;
      await save();
      await draw();
      message.show('ok', t('receive.added', { n: res.quantity || 1, sku: res.item.sku, total: draft.quantity }));
      return left(line) < draft.quantity ? 'warn' : 'ok';
    }
    if (draft && !res.gs1Error && res.kind === 'unknown' && (await md.item(draft.item_id))?.tracking === 'serial') {
      draft.serials.push(res.code);
      await save();
      await draw();
      return 'ok';
    }
    message.show('error', res.gs1Error ? t('scan.gs1_invalid', { ai: res.gs1Ai || '?' }) : t('scan.not_item', { code: res.code }));
    return 'error';
  }

  await draw();
  const el = h('div', {},
    h('h2', {}, `${t('task.receive')} · ${order.number}`),
    h('p', { class: 'muted' }, h('span', { class: 'code' }, order.supplier_code), order.expected_date ? ` · ${formatDate(order.expected_date)}` : ''),
    message, bar, body);
  return { el, title: t('task.receive'), back: '/tasks', onScan, cleanup: bar.cleanup };
}
