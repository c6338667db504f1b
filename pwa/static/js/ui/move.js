// Bin to bin: scan the bin to take from, the item (each scan adds; a GS1 label names the
// lot), then the bin to put into — that last scan asks to confirm the move.

import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { byIndex } from '../db.js';
import { act, messageArea, stepper, loadDraft, saveDraft, dropDraft } from './common.js';
import { scanBar } from './scanbar.js';

const KEY = 'move';

export async function render() {
  const message = messageArea();
  const body = h('div', {});
  const bar = scanBar();
  let draft = (await loadDraft(KEY)) || fresh();

  function fresh() { return { from: null, item: null, lot: null, quantity: 0, to: null, serials: [] }; }
  const save = () => saveDraft(KEY, draft);

  async function draw() {
    const step = !draft.from ? 'from' : !draft.item ? 'item' : !draft.to ? 'to' : 'confirm';
    const lots = draft.item?.tracking === 'lot' ? await byIndex('lots', 'item_id', draft.item.id) : [];
    replace(body,
      h('div', { class: 'card stack' },
        h('div', {}, h('span', { class: 'step' }, t('move.from')), ' ', draft.from ? h('span', { class: 'code big' }, draft.from.code) : h('span', { class: 'muted' }, t('move.scan_from'))),
        h('div', {}, h('span', { class: 'step' }, t('move.item')), ' ',
          draft.item ? [h('span', { class: 'code' }, draft.item.sku), ' · ', h('span', { translate: 'no' }, draft.item.name)] : h('span', { class: 'muted' }, step === 'item' ? t('move.scan_item') : '—')),
        draft.item ? h('div', { class: 'row' }, h('span', { class: 'grow' }, t('common.quantity')),
          stepper(draft.quantity, (n) => { draft.quantity = n; save(); }, { min: 1, testid: 'move-qty' })) : null,
        draft.item?.tracking === 'lot' ? h('div', { class: 'field' }, h('label', {}, t('common.lot')),
          h('input', { list: 'move-lots', value: draft.lot || '', onchange: (e) => { draft.lot = e.target.value.trim() || null; save(); } }),
          h('datalist', { id: 'move-lots' }, lots.map((l) => h('option', { value: l.lot_number })))) : null,
        h('div', {}, h('span', { class: 'step' }, t('move.to')), ' ', draft.to ? h('span', { class: 'code big' }, draft.to.code) : h('span', { class: 'muted' }, step === 'to' ? t('move.scan_to') : '—'))),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', disabled: step !== 'confirm', onclick: confirm }, t('move.confirm')),
        h('button', { type: 'button', onclick: async () => { draft = fresh(); await dropDraft(KEY); draw(); } }, t('move.start_over'))));
  }

  async function confirm() {
    if (draft.item.tracking === 'lot' && !draft.lot) { message.show('warn', t('count.lot_needed')); return; }
    if (draft.from.id === draft.to.id) { message.show('error', t('move.same_bin')); return; }
    await act('move_stock', {
      item_id: draft.item.id, from_location_id: draft.from.id, to_location_id: draft.to.id, quantity: draft.quantity,
      ...(draft.lot ? { lot_number: draft.lot } : {}), ...(draft.serials.length ? { serials: draft.serials } : {}),
    }, { label: { key: 'label.move', vars: { n: draft.quantity, sku: draft.item.sku, from: draft.from.code, to: draft.to.code } } });
    message.show('ok', t('move.done', { n: draft.quantity, sku: draft.item.sku, to: draft.to.code }));
    draft = fresh();
    await dropDraft(KEY);
    draw();
  }

  async function onScan(res) {
    if (res.kind === 'location') {
      if (!['bin', 'dock'].includes(res.location.kind)) { message.show('error', t('putaway.not_a_bin')); return 'error'; }
      if (!draft.from) draft.from = res.location;
      else if (!draft.item) { message.show('warn', t('move.scan_item')); return 'warn'; } else draft.to = res.location;
      await save();
      await draw();
      return 'ok';
    }
    if (res.kind === 'item') {
      if (!draft.from) { message.show('warn', t('move.scan_from')); return 'warn'; }
      if (draft.item && draft.item.id !== res.item.id) { message.show('error', t('move.one_item')); return 'error'; }
      draft.item = res.item;
      draft.quantity += res.quantity || 1;
      if (res.lot_number) draft.lot = res.lot_number;
      if (res.serial) draft.serials.push(res.serial);
      await save();
      await draw();
      message.show('ok', t('count.added', { n: res.quantity || 1, sku: res.item.sku, total: draft.quantity }));
      return 'ok';
    }
    if (draft.item?.tracking === 'serial' && !res.gs1Error) {
      draft.serials.push(res.code);
      draft.quantity = draft.serials.length;
      await save();
      await draw();
      return 'ok';
    }
    message.show('error', t('scan.unknown', { code: res.code }));
    return 'error';
  }

  await draw();
  return { el: h('div', {}, h('h2', {}, t('move.title')), message, bar, body), title: t('move.title'), back: '/tasks', onScan, cleanup: bar.cleanup };
}
