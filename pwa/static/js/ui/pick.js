// Picking in walking order, one line per screen: go to the bin, scan it, scan the item until
// the quantity is reached (a case barcode counts its packaging quantity), then the line is
// queued by itself. Less on the shelf: "Short pick" records what was there.
//
// A task nobody has yet is claimed first; the pick names the claim in depends_on, so if the
// claim is refused (someone else took the task) the pick is refused with it.

import { h, replace } from '../dom.js';
import { t, formatNumber } from '../i18n.js';
import * as md from '../masterdata.js';
import { localProgress } from '../overlay.js';
import { user } from '../session.js';
import { act, itemCodeOf, messageArea, stepper, loadDraft, saveDraft, dropDraft, empty } from './common.js';
import { scanBar } from './scanbar.js';

export async function render({ task, navigate }) {
  const me = user();
  const lines = [...task.lines].sort((a, b) => a.seq - b.seq);
  const message = messageArea();
  const body = h('div', {});
  const bar = scanBar();
  let line = null;
  let item = null;
  let draft = null;
  let progress = null;
  let qty = null;

  const remaining = () => line.quantity - progress.lineDone(line);
  const needsLot = () => !!line.lot_number;
  const draftKey = () => `pick:${line.id}`;
  const save = () => saveDraft(draftKey(), draft);

  async function next() {
    progress = await localProgress();
    line = lines.find((l) => progress.lineOpen(l)) || null;
    if (!line) {
      replace(body, h('div', { class: 'msg ok', 'data-testid': 'task-complete' }, t('pick.all_done')),
        h('a', { class: 'button primary wide', href: '#/tasks' }, t('nav.tasks')));
      return;
    }
    item = await md.item(line.item_id);
    draft = (await loadDraft(draftKey())) || { bin: false, picked: 0, lot: null, itemCode: null, serials: [] };
    draw();
  }

  function draw() {
    const left = remaining();
    const position = lines.indexOf(line) + 1;
    qty = stepper(draft.picked, (n) => { draft.picked = Math.min(n, left); qty.setValue(draft.picked); save(); drawState(); }, { testid: 'pick-qty' });
    replace(body,
      h('p', { class: 'step' }, t('pick.line_of', { n: position, total: lines.length })),
      h('div', { class: 'card', 'data-testid': 'pick-line', 'data-line-id': String(line.id) },
        h('div', { class: 'muted' }, t('pick.go_to')),
        h('div', { class: 'target code', 'data-testid': 'pick-bin' }, line.from_location || '—', h('span', { class: 'check', 'data-testid': 'bin-ok', hidden: !draft.bin }, ' ✓')),
        h('div', { class: 'big' }, t('pick.take', { n: left })),
        h('div', {}, h('span', { class: 'code' }, line.sku), ' · ', h('span', { translate: 'no' }, line.item_name)),
        needsLot() ? h('div', {}, t('common.lot'), ': ', h('span', { class: 'code' }, line.lot_number), h('span', { class: 'check', hidden: !draft.lot }, ' ✓')) : null,
        item?.tracking === 'serial' ? h('div', { class: 'muted' }, t('pick.serials', { n: draft.serials.length })) : null),
      h('div', { class: 'row' }, h('span', { class: 'grow' }, t('pick.picked')), qty),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', 'data-testid': 'pick-confirm', onclick: () => confirm(false), disabled: !ready(false) }, t('pick.confirm', { n: draft.picked })),
        h('button', { type: 'button', class: 'danger', 'data-testid': 'pick-short', onclick: () => confirm(true), disabled: !draft.bin }, t('pick.short'))));
  }

  function drawState() {
    body.querySelector('[data-testid="pick-confirm"]').disabled = !ready(false);
    body.querySelector('[data-testid="pick-confirm"]').textContent = t('pick.confirm', { n: draft.picked });
  }

  const ready = () => draft.bin && draft.picked > 0 && (!needsLot() || draft.lot)
    && (item?.tracking !== 'serial' || draft.serials.length === draft.picked);

  async function confirm(short) {
    if (!draft.bin) { message.show('warn', t('pick.scan_bin_first')); return 'warn'; }
    if (!short && !ready()) return 'warn';
    const dependsOn = [];
    if (task.assignee_id == null) {
      // Take the task first; queued once, named by every pick of it.
      const claim = progress.claimEvent(task.id) || await act('claim_task', { task_id: task.id }, { label: { key: 'label.claim', vars: { task: task.number } } });
      dependsOn.push(claim.event_id);
    }
    const picked = draft.picked;
    await act('pick_item', {
      task_line_id: line.id,
      quantity: picked,
      location_id: line.from_location_id,
      ...(draft.itemCode ? { item_code: draft.itemCode } : {}),
      ...(draft.lot ? { lot_number: draft.lot } : {}),
      ...(draft.serials.length ? { serials: draft.serials } : {}),
      ...(short ? { short: true } : {}),
    }, {
      dependsOn,
      label: { key: short ? 'label.pick_short' : 'label.pick', vars: { n: picked, sku: line.sku, bin: line.from_location, task: task.number } },
    });
    await dropDraft(draftKey());
    message.show(short ? 'warn' : 'ok', short ? t('pick.short_done', { n: picked, sku: line.sku }) : t('pick.done', { n: picked, sku: line.sku }));
    await next();
    return short ? 'warn' : 'ok';
  }

  async function onScan(res) {
    if (!line) return 'warn';
    if (res.kind === 'location') {
      if (res.location.id !== line.from_location_id) {
        message.show('error', t('pick.wrong_bin', { scanned: res.location.code, bin: line.from_location }));
        return 'error';
      }
      draft.bin = true;
      await save();
      draw();
      message.show('ok', t('pick.bin_ok', { bin: line.from_location }));
      return 'ok';
    }
    if (!draft.bin) { message.show('warn', t('pick.scan_bin_first')); return 'warn'; }
    if (res.kind === 'item') {
      if (res.item.id !== line.item_id) {
        message.show('error', t('pick.wrong_item', { scanned: res.item.sku, sku: line.sku }));
        return 'error';
      }
      if (res.lot_number) {
        if (needsLot() && res.lot_number !== line.lot_number) {
          message.show('error', t('pick.wrong_lot', { scanned: res.lot_number, lot: line.lot_number }));
          return 'error';
        }
        draft.lot = res.lot_number;
      }
      if (item?.tracking === 'serial') {
        if (res.serial) return addSerial(res.serial);
        draft.itemCode = itemCodeOf(res) || draft.itemCode;
        await save();
        message.show('info', t('pick.scan_serial'));
        return 'ok';
      }
      const after = draft.picked + (res.quantity || 1);
      if (after > remaining()) {
        message.show('error', t('pick.too_many', { n: remaining() }));
        return 'error';
      }
      draft.picked = after;
      draft.itemCode = itemCodeOf(res) || draft.itemCode;
      await save();
      return afterCount();
    }
    // Not an item or a bin: the lot number typed or scanned alone, or a serial number.
    if (needsLot() && res.code === line.lot_number) {
      draft.lot = res.code;
      await save();
      return afterCount();
    }
    if (item?.tracking === 'serial' && !res.gs1Error) return addSerial(res.serial || res.code);
    message.show('error', res.gs1Error ? t('scan.gs1_invalid', { ai: res.gs1Ai || '?' }) : t('scan.unknown', { code: res.code }));
    return 'error';
  }

  async function addSerial(serial) {
    if (draft.serials.includes(serial)) { message.show('warn', t('pick.serial_twice', { serial })); return 'warn'; }
    if (draft.serials.length >= remaining()) { message.show('error', t('pick.too_many', { n: remaining() })); return 'error'; }
    draft.serials.push(serial);
    draft.picked = draft.serials.length;
    await save();
    return afterCount();
  }

  // The line queues itself once everything it needs is scanned and the quantity is complete.
  async function afterCount() {
    if (draft.picked === remaining() && ready()) return confirm(false);
    draw();
    message.show('ok', t('pick.count_so_far', { n: formatNumber(draft.picked), total: remaining() }));
    return 'ok';
  }

  await next();
  const el = h('div', {}, h('h2', {}, `${t('task.pick')} · ${task.number}`), message, bar, body,
    lines.length ? null : empty(t('tasks.none')));
  return { el, title: t('task.pick'), back: '/tasks', onScan, cleanup: bar.cleanup };
}
