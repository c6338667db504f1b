// Blind cycle count, one bin (count line) per screen: scan the bin, scan everything in it
// (each scan adds to that item's line, a case adds its packaging quantity), correct with the
// stepper, then "Done with this bin" — or "Bin is empty". The book quantity is never shown:
// the server does not send it to a worker counting blind, and the screen has no place for it.

import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { get, put, byIndex } from '../db.js';
import { api } from '../api.js';
import * as md from '../masterdata.js';
import { localProgress } from '../overlay.js';
import { act, messageArea, stepper, loadDraft, saveDraft, dropDraft, errorText } from './common.js';
import { scanBar } from './scanbar.js';

async function countDoc(task) {
  const key = `count-task:${task.id}`;
  const cached = await get('docs', key);
  if (cached) return cached.value;
  // Not prefetched yet (the task arrived a moment ago): fetch it now if we can.
  const count = await api(`/api/counts/${task.document_id}?task_id=${task.id}`);
  await put('docs', { key, value: count, at: Date.now() });
  return count;
}

export async function render({ task }) {
  const message = messageArea();
  const body = h('div', {});
  const bar = scanBar();
  let count;
  try {
    count = await countDoc(task);
  } catch (error) {
    return { el: h('div', { class: 'msg error' }, t('count.not_loaded'), ' ', errorText(error)), title: t('task.count'), back: '/tasks' };
  }
  const lines = [...count.lines].sort((a, b) => a.seq - b.seq);
  let line = null;
  let draft = null;
  const draftKey = () => `count:${line.id}`;
  const save = () => saveDraft(draftKey(), draft);
  const entryKey = (itemId, lot) => `${itemId}|${lot || ''}`;

  async function next() {
    const progress = await localProgress();
    line = lines.find((l) => progress.countLineOpen(l)) || null;
    if (!line) {
      replace(body, h('div', { class: 'msg ok', 'data-testid': 'task-complete' }, t('count.all_done')),
        h('a', { class: 'button primary wide', href: '#/tasks' }, t('nav.tasks')));
      return;
    }
    draft = (await loadDraft(draftKey())) || { bin: false, entries: [] };
    await draw();
  }

  async function draw() {
    const position = lines.indexOf(line) + 1;
    const rows = await Promise.all(draft.entries.map(async (entry) => {
      const item = await md.item(entry.item_id);
      const lots = item?.tracking === 'lot' ? await byIndex('lots', 'item_id', entry.item_id) : [];
      const q = stepper(entry.quantity, (n) => { entry.quantity = n; save(); }, { testid: 'count-qty' });
      const lotField = item?.tracking === 'lot'
        ? h('div', { class: 'field' }, h('label', {}, t('common.lot')),
          h('input', {
            list: `lots-${entry.item_id}`, value: entry.lot_number || '', 'aria-label': t('common.lot'),
            onchange: (e) => { entry.lot_number = e.target.value.trim() || null; save(); drawButtons(); },
          }),
          h('datalist', { id: `lots-${entry.item_id}` }, lots.map((l) => h('option', { value: l.lot_number }))))
        : null;
      return h('li', { class: 'card', 'data-testid': 'count-entry', 'data-sku': item?.sku || '' },
        h('div', { class: 'row' },
          h('span', { class: 'grow' }, h('span', { class: 'code' }, item?.sku || `#${entry.item_id}`), ' · ', h('span', { translate: 'no' }, item?.name || ''),
            entry.lot_number && item?.tracking !== 'lot' ? ` · ${entry.lot_number}` : ''),
          h('button', { type: 'button', class: 'danger', 'aria-label': t('count.remove'), onclick: async () => {
            draft.entries = draft.entries.filter((e) => e !== entry); await save(); draw();
          } }, '✕')),
        lotField, q);
    }));
    replace(body,
      h('p', { class: 'step' }, t('count.line_of', { n: position, total: lines.length })),
      h('div', { class: 'card', 'data-testid': 'count-line', 'data-line-id': String(line.id) },
        h('div', { class: 'muted' }, draft.bin ? t('count.counting_in') : t('count.scan_bin')),
        h('div', { class: 'target code' }, line.location_code, h('span', { class: 'check', hidden: !draft.bin }, ' ✓')),
        line.sku ? h('div', {}, t('count.only_item', { sku: line.sku })) : null),
      h('ul', { class: 'list' }, rows),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', 'data-testid': 'count-done', onclick: () => finish(false) }, t('count.done')),
        h('button', { type: 'button', 'data-testid': 'count-empty', onclick: () => finish(true) }, t('count.empty'))));
    drawButtons();
  }

  function drawButtons() {
    const done = body.querySelector('[data-testid="count-done"]');
    const emptyButton = body.querySelector('[data-testid="count-empty"]');
    if (!done) return;
    done.disabled = !draft.bin || !draft.entries.length;
    emptyButton.disabled = !draft.bin || draft.entries.length > 0;
  }

  async function finish(empty) {
    if (!draft.bin) { message.show('warn', t('count.scan_bin_first')); return; }
    const lotMissing = await Promise.all(draft.entries.map(async (e) => (await md.item(e.item_id))?.tracking === 'lot' && !e.lot_number));
    if (lotMissing.some(Boolean)) { message.show('warn', t('count.lot_needed')); return; }
    // One total per item and lot, as the server asks.
    const totals = new Map();
    for (const e of draft.entries) {
      const key = entryKey(e.item_id, e.lot_number);
      totals.set(key, { item_id: e.item_id, quantity: (totals.get(key)?.quantity || 0) + e.quantity, ...(e.lot_number ? { lot_number: e.lot_number } : {}) });
    }
    await act('record_count', { count_line_id: line.id, entries: empty ? [] : [...totals.values()], ...(empty ? { empty: true } : {}) }, {
      label: { key: empty ? 'label.count_empty' : 'label.count', vars: { bin: line.location_code, count: count.number, n: draft.entries.length } },
    });
    await dropDraft(draftKey());
    message.show('ok', t('count.bin_done', { bin: line.location_code }));
    await next();
  }

  async function onScan(res) {
    if (!line) return 'warn';
    if (res.kind === 'location') {
      if (res.location.id !== line.location_id) {
        message.show('error', t('count.wrong_bin', { scanned: res.location.code, bin: line.location_code }));
        return 'error';
      }
      draft.bin = true;
      await save();
      await draw();
      message.show('ok', t('count.bin_ok', { bin: line.location_code }));
      return 'ok';
    }
    if (!draft.bin) { message.show('warn', t('count.scan_bin_first')); return 'warn'; }
    if (res.kind !== 'item') {
      message.show('error', res.gs1Error ? t('scan.gs1_invalid', { ai: res.gs1Ai || '?' }) : t('scan.unknown', { code: res.code }));
      return 'error';
    }
    if (line.item_id && res.item.id !== line.item_id) {
      message.show('error', t('count.other_item', { sku: line.sku }));
      return 'error';
    }
    const lot = res.item.tracking === 'lot' ? res.lot_number || null : null;
    // The same item (and lot) again adds to its line instead of making a second one.
    let entry = draft.entries.find((e) => e.item_id === res.item.id && (e.lot_number || null) === lot)
      || (lot ? draft.entries.find((e) => e.item_id === res.item.id && !e.lot_number) : null);
    if (!entry) {
      entry = { item_id: res.item.id, lot_number: lot, quantity: 0 };
      draft.entries.push(entry);
    }
    if (lot && !entry.lot_number) entry.lot_number = lot;
    entry.quantity += res.quantity || 1;
    await save();
    await draw();
    const added = res.quantity || 1;
    message.show('ok', t('count.added', { n: added, sku: res.item.sku, total: entry.quantity }));
    if (res.item.tracking === 'lot' && !entry.lot_number) { message.show('warn', t('count.lot_needed')); return 'warn'; }
    return 'ok';
  }

  await next();
  const el = h('div', {},
    h('h2', {}, `${t('task.count')} · ${count.number}`),
    count.blind ? h('p', { class: 'muted' }, t('count.blind_note')) : null,
    message, bar, body);
  return { el, title: t('task.count'), back: '/tasks', onScan, cleanup: bar.cleanup };
}
