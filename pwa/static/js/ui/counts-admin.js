// Supervisors: create a cycle count (a range of bins or an ABC class), assign it, and follow
// the counts in progress. Creating needs the network (the server picks the lines).

import { h, replace } from '../dom.js';
import { t, formatDateTime, formatPercent } from '../i18n.js';
import { api } from '../api.js';
import * as md from '../masterdata.js';
import { messageArea, errorText, loading, statusBadge, empty } from './common.js';

export async function render({ navigate }) {
  const message = messageArea();
  const list = h('div', {}, loading());
  const warehouses = await md.warehouses();
  const bins = (await md.locations()).filter((l) => l.kind === 'bin').sort((a, b) => a.code.localeCompare(b.code));
  const warehouse = h('select', { id: 'cc-warehouse', onchange: () => loadWorkers() }, warehouses.map((w) => h('option', { value: String(w.id) }, `${w.code} · ${w.name}`)));
  const scope = h('select', { id: 'cc-scope', onchange: () => drawScope() },
    h('option', { value: 'range' }, t('counts.scope_range')), h('option', { value: 'abc' }, t('counts.scope_abc')));
  const from = h('input', { id: 'cc-from', list: 'cc-bins', placeholder: bins[0]?.code || '' });
  const to = h('input', { id: 'cc-to', list: 'cc-bins', placeholder: bins[bins.length - 1]?.code || '' });
  const abc = h('select', { id: 'cc-abc' }, ['A', 'B', 'C'].map((c) => h('option', { value: c }, t('counts.class', { c }))));
  const scopeFields = h('div', {});
  const assignee = h('select', { id: 'cc-assignee' }, h('option', { value: '' }, t('counts.anyone')));
  const assigneeHint = h('p', { class: 'muted' });

  // The warehouse's people with the tasks they already hold, so the count goes to whoever has
  // least; without the network the count is left open for any worker to take.
  async function loadWorkers() {
    replace(assignee, h('option', { value: '' }, t('counts.anyone')));
    assigneeHint.textContent = '';
    if (!warehouse.value) return;
    try {
      const people = await api(`/api/workers?warehouse_id=${encodeURIComponent(warehouse.value)}`);
      for (const p of people.filter((w) => w.role === 'worker')) {
        assignee.append(h('option', { value: String(p.id) }, t('counts.worker_load', { name: p.display_name || p.username, n: p.open_tasks })));
      }
    } catch {
      assigneeHint.textContent = t('counts.assignee_hint');
    }
  }

  function drawScope() {
    replace(scopeFields, scope.value === 'range'
      ? h('div', { class: 'grid2' },
        h('div', { class: 'field' }, h('label', { for: 'cc-from' }, t('counts.from_bin')), from),
        h('div', { class: 'field' }, h('label', { for: 'cc-to' }, t('counts.to_bin')), to),
        h('datalist', { id: 'cc-bins' }, bins.map((b) => h('option', { value: b.code }))))
      : h('div', { class: 'field' }, h('label', { for: 'cc-abc' }, t('counts.abc')), abc));
  }

  async function create(event) {
    event.preventDefault();
    const body = { warehouse_id: Number(warehouse.value), blind: true };
    if (scope.value === 'range') Object.assign(body, { from_code: from.value.trim(), to_code: to.value.trim() });
    else body.abc_class = abc.value;
    if (assignee.value) body.assignee_id = Number(assignee.value);
    try {
      const count = await api('/api/counts', { method: 'POST', body });
      message.show('ok', t('counts.created', { number: count.number, n: count.lines_total }));
      fill();
    } catch (error) {
      message.show('error', errorText(error));
    }
  }

  async function fill() {
    try {
      const page = await api('/api/counts?limit=30');
      replace(list, page.items.length ? h('ul', { class: 'list' }, page.items.map((c) => h('li', { class: 'card' },
        h('div', { class: 'row' }, h('strong', { class: 'grow code' }, c.number), statusBadge(c.status)),
        h('div', { class: 'muted' }, t('counts.progress', { done: c.lines_counted, total: c.lines_total }), ' · ', formatDateTime(c.created_at)),
        c.pending_variances ? h('a', { class: 'button wide', href: '#/sup/approvals' }, t('counts.review', { n: c.pending_variances })) : null,
        c.accuracy != null ? h('div', {}, t('counts.accuracy', { pct: formatPercent(Number(c.accuracy)) })) : null))) : empty(t('counts.none')));
    } catch (error) {
      replace(list, h('div', { class: 'msg warn' }, errorText(error)));
    }
  }

  drawScope();
  fill();
  loadWorkers();
  const el = h('div', {},
    h('h2', {}, t('counts.title')),
    message,
    h('form', { class: 'card stack', onsubmit: create },
      h('h3', {}, t('counts.new')),
      h('div', { class: 'field' }, h('label', { for: 'cc-warehouse' }, t('common.warehouse')), warehouse),
      h('div', { class: 'field' }, h('label', { for: 'cc-scope' }, t('counts.scope')), scope),
      scopeFields,
      h('div', { class: 'field' }, h('label', { for: 'cc-assignee' }, t('counts.assignee')), assignee, assigneeHint),
      h('button', { type: 'submit', class: 'primary wide' }, t('counts.create'))),
    h('h3', {}, t('counts.recent')),
    list);
  return { el, title: t('counts.title'), back: '/tasks' };
}
