// Putaway from the dock with a suggested bin: take the line's units, go to the bin shown,
// scan it. Scanning the suggested bin confirms at once; another bin is allowed (the server
// records it) but asks the worker to confirm on purpose.

import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import * as md from '../masterdata.js';
import { localProgress } from '../overlay.js';
import { act, itemCodeOf, messageArea, stepper, empty } from './common.js';
import { scanBar } from './scanbar.js';

export async function render({ task }) {
  const lines = [...task.lines].sort((a, b) => a.seq - b.seq);
  const message = messageArea();
  const body = h('div', {});
  const bar = scanBar();
  let line = null;
  let item = null;
  let progress = null;
  let state = null; // { quantity, bin: location|null, itemCode, serials }

  async function next() {
    progress = await localProgress();
    line = lines.find((l) => progress.lineOpen(l)) || null;
    if (!line) {
      replace(body, h('div', { class: 'msg ok', 'data-testid': 'task-complete' }, t('putaway.all_done')),
        h('a', { class: 'button primary wide', href: '#/tasks' }, t('nav.tasks')));
      return;
    }
    item = await md.item(line.item_id);
    state = { quantity: line.quantity - progress.lineDone(line), bin: null, itemCode: null, serials: [] };
    draw();
  }

  function draw() {
    const q = stepper(state.quantity, (n) => { state.quantity = n; }, { min: 1, testid: 'putaway-qty' });
    const other = state.bin && state.bin.id !== line.to_location_id;
    replace(body,
      h('div', { class: 'card' },
        h('div', {}, h('span', { class: 'code' }, line.sku), ' · ', h('span', { translate: 'no' }, line.item_name)),
        line.lot_number ? h('div', {}, t('common.lot'), ': ', h('span', { class: 'code' }, line.lot_number)) : null,
        h('div', { class: 'muted' }, t('putaway.from', { bin: line.from_location || '—' })),
        h('div', { class: 'muted' }, t('putaway.suggested')),
        h('div', { class: 'target code' }, line.to_location || t('putaway.any_bin')),
        state.bin ? h('div', { class: other ? 'msg warn' : 'msg ok' }, other ? t('putaway.other_bin', { bin: state.bin.code }) : t('putaway.bin_ok', { bin: state.bin.code })) : null,
        item?.tracking === 'serial' ? h('div', { class: 'muted' }, t('pick.serials', { n: state.serials.length })) : null),
      h('div', { class: 'row' }, h('span', { class: 'grow' }, t('common.quantity')), q),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', disabled: !state.bin, onclick: confirm }, other ? t('putaway.confirm_other') : t('putaway.confirm'))));
  }

  async function confirm() {
    if (!state.bin) { message.show('warn', t('putaway.scan_bin')); return 'warn'; }
    await act('put_away', {
      task_line_id: line.id, to_location_id: state.bin.id, quantity: state.quantity,
      ...(line.from_location_id ? { from_location_id: line.from_location_id } : {}),
      ...(state.itemCode ? { item_code: state.itemCode } : {}),
      ...(line.lot_number ? { lot_number: line.lot_number } : {}),
      ...(state.serials.length ? { serials: state.serials } : {}),
    }, { label: { key: 'label.putaway', vars: { n: state.quantity, sku: line.sku, bin: state.bin.code } } });
    message.show('ok', t('putaway.done', { n: state.quantity, sku: line.sku, bin: state.bin.code }));
    await next();
    return 'ok';
  }

  async function onScan(res) {
    if (!line) return 'warn';
    if (res.kind === 'item') {
      if (res.item.id !== line.item_id) { message.show('error', t('pick.wrong_item', { scanned: res.item.sku, sku: line.sku })); return 'error'; }
      state.itemCode = itemCodeOf(res) || state.itemCode;
      if (res.serial) state.serials.push(res.serial);
      draw();
      message.show('ok', t('putaway.item_ok'));
      return 'ok';
    }
    if (res.kind === 'location') {
      if (!['bin', 'dock'].includes(res.location.kind)) { message.show('error', t('putaway.not_a_bin')); return 'error'; }
      state.bin = res.location;
      if (res.location.id === line.to_location_id && (item?.tracking !== 'serial' || state.serials.length === state.quantity)) return confirm();
      draw();
      return res.location.id === line.to_location_id ? 'ok' : 'warn';
    }
    if (item?.tracking === 'serial' && !res.gs1Error) {
      state.serials.push(res.serial || res.code);
      draw();
      return 'ok';
    }
    message.show('error', t('scan.unknown', { code: res.code }));
    return 'error';
  }

  await next();
  const el = h('div', {}, h('h2', {}, `${t('task.putaway')} · ${task.number}`), message, bar, body,
    lines.length ? null : empty(t('tasks.none')));
  return { el, title: t('task.putaway'), back: '/tasks', onScan, cleanup: bar.cleanup };
}
