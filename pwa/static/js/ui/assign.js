// Supervisors hand out work: the unfinished tasks of a warehouse, each assignable or
// reassignable to one of its people, who are listed with the tasks they already hold, least
// first, so work goes to whoever has least. Assigning is a request the server answers at
// once (it moves no stock and is not queued), so this screen needs the network and says so.

import { h, replace } from '../dom.js';
import { t, tn, formatDateTime } from '../i18n.js';
import { api, allPages, NetworkError } from '../api.js';
import * as md from '../masterdata.js';
import { signal } from '../feedback.js';
import { TASK_ICONS, messageArea, errorText, loading, empty, statusBadge } from './common.js';

const ACTIVE = ['open', 'assigned', 'in_progress'];
const KEY = 'stockhand.assign';
const nameOf = (person) => person.display_name || person.username;

// Least loaded first; on a tie workers before supervisors, then by name.
export function byLoad(people) {
  return [...people].sort((a, b) => a.open_tasks - b.open_tasks
    || (a.role === 'worker' ? 0 : 1) - (b.role === 'worker' ? 0 : 1)
    || nameOf(a).localeCompare(nameOf(b)));
}

export async function render() {
  const message = messageArea();
  const list = h('div', {}, loading());
  const warehouses = await md.warehouses();
  const remembered = Number(localStorage.getItem(KEY));
  const warehouse = h('select', { id: 'as-warehouse', onchange: () => { localStorage.setItem(KEY, warehouse.value); fill(); } },
    warehouses.map((w) => h('option', { value: String(w.id), selected: w.id === remembered }, `${w.code} · ${w.name}`)));
  let only = 'unassigned';
  const filters = [['unassigned', t('assign.unassigned')], ['all', t('assign.all_open')]].map(([value, label]) => h('button', {
    type: 'button', 'data-filter': value, 'aria-pressed': String(value === only),
    onclick: () => { only = value; fill(); },
  }, label));
  let people = [];
  let tasks = [];
  let openTask = null; // the task whose list of people is showing
  let generation = 0;

  function offline() {
    replace(list, h('div', { class: 'msg warn', role: 'status', 'data-testid': 'assign-offline' },
      h('p', {}, t('assign.needs_connection')),
      h('button', { type: 'button', onclick: () => fill() }, t('outbox.retry'))));
  }

  async function fill() {
    const mine = ++generation;
    filters.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.filter === only)));
    if (!navigator.onLine) { offline(); return; }
    replace(list, loading());
    const wid = warehouse.value;
    try {
      const [found, ...pages] = await Promise.all([
        api(`/api/workers?warehouse_id=${encodeURIComponent(wid)}`),
        ...ACTIVE.map((s) => allPages(`/api/tasks?warehouse_id=${encodeURIComponent(wid)}&status=${s}`, { max: 300, limit: 100 })),
      ]);
      if (mine !== generation) return;
      people = found;
      tasks = pages.flat().sort((a, b) => (a.assignee_id !== null) - (b.assignee_id !== null) || b.priority - a.priority || a.id - b.id);
    } catch (error) {
      if (mine !== generation) return;
      if (error instanceof NetworkError) offline();
      else replace(list, h('div', { class: 'msg error' }, errorText(error)));
      return;
    }
    draw();
  }

  function draw() {
    const shown = only === 'all' ? tasks : tasks.filter((task) => task.assignee_id === null);
    replace(list, shown.length
      ? h('ul', { class: 'list', 'data-testid': 'assign-tasks' }, shown.map(card))
      : empty(only === 'all' ? t('assign.none') : t('assign.none_unassigned')));
  }

  function card(task) {
    const holder = people.find((p) => p.id === task.assignee_id);
    const lines = task.lines.length;
    return h('li', { class: 'card', 'data-testid': 'assign-task', 'data-task-id': String(task.id) },
      h('div', { class: 'row' },
        h('span', { class: 'badge', 'aria-hidden': 'true' }, TASK_ICONS[task.type] || '•'),
        h('span', { class: 'grow' },
          h('div', { class: 'title' }, `${t(`task.${task.type}`)} · `, h('span', { class: 'code' }, task.number)),
          h('div', { class: 'muted' }, task.assignee_id === null ? t('assign.nobody')
            : [t('assign.held_by'), ' ', h('span', { translate: 'no' }, holder ? nameOf(holder) : `#${task.assignee_id}`)],
          lines ? ` · ${tn('assign.lines', lines)}` : '',
          task.due_at ? ` · ${t('assign.due', { when: formatDateTime(task.due_at) })}` : '')),
        statusBadge(task.status)),
      h('button', {
        type: 'button', class: `wide${task.assignee_id === null ? ' primary' : ''}`, 'data-testid': 'assign-open',
        'aria-expanded': String(openTask === task.id),
        onclick: () => {
          openTask = openTask === task.id ? null : task.id;
          draw();
          list.querySelector('[data-testid="assign-people"]')?.scrollIntoView({ block: 'nearest' });
        },
      }, task.assignee_id === null ? t('assign.assign') : t('assign.reassign')),
      openTask === task.id ? picker(task) : null);
  }

  function picker(task) {
    return h('div', {}, people.length ? chooser(task) : h('p', { class: 'msg warn' }, t('assign.no_people')), canceller(task));
  }

  // Cancelling asks why, as the task's history keeps it. A count's task is ended with its
  // count (the server refuses it here and says so).
  function canceller(task) {
    const reason = h('input', { type: 'text', maxlength: '500', 'data-testid': 'cancel-reason', placeholder: t('assign.cancel_reason') });
    const confirm = h('button', { type: 'button', class: 'danger wide', 'data-testid': 'cancel-confirm', onclick: () => cancel(task, reason) }, t('assign.cancel_confirm'));
    const form = h('div', { class: 'stack', hidden: true }, h('label', {}, t('assign.cancel_why'), reason), confirm);
    const open = h('button', {
      type: 'button', class: 'wide', 'data-testid': 'cancel-open',
      onclick: () => { form.hidden = false; open.hidden = true; reason.focus(); },
    }, t('assign.cancel'));
    return h('div', { class: 'cancel-task' }, open, form);
  }

  async function cancel(task, reason) {
    const why = reason.value.trim();
    if (!why) { message.show('warn', t('assign.cancel_why')); reason.focus(); return; }
    try {
      await api(`/api/tasks/${task.id}/cancel`, { method: 'POST', body: { reason: why } });
    } catch (error) {
      if (error instanceof NetworkError) message.show('warn', t('assign.needs_connection'));
      else message.show('error', error.code === 'cancel_the_document' ? t('assign.cancel_count') : errorText(error));
      signal('error');
      return;
    }
    openTask = null;
    message.show('ok', t('assign.cancelled', { task: task.number }));
    signal('ok');
    await fill();
  }

  function chooser(task) {
    const sorted = byLoad(people);
    // The recommendation: the worker holding fewest tasks (a supervisor only when no worker).
    const fewest = sorted.find((p) => p.role === 'worker') || sorted[0];
    return h('ul', { class: 'list people', 'data-testid': 'assign-people' }, sorted.map((p) => {
      const holds = p.id === task.assignee_id;
      return h('li', {}, h('button', {
        type: 'button', class: `person${p === fewest && !holds ? ' primary' : ''}`, disabled: holds,
        'data-testid': 'assign-to', 'data-user-id': String(p.id), 'data-open-tasks': String(p.open_tasks),
        onclick: () => assign(task, p),
      },
      h('span', { class: 'grow', translate: 'no' }, nameOf(p)),
      h('span', {}, tn('assign.open_tasks', p.open_tasks)),
      holds ? h('span', { class: 'status' }, t('assign.has_it'))
        : p === fewest ? h('span', { class: 'status fewest', 'data-testid': 'fewest' }, t('assign.fewest')) : null));
    }));
  }

  async function assign(task, person) {
    try {
      await api(`/api/tasks/${task.id}/assign`, { method: 'POST', body: { user_id: person.id } });
    } catch (error) {
      if (error instanceof NetworkError) message.show('warn', t('assign.needs_connection'));
      else message.show('error', errorText(error));
      signal('error');
      return;
    }
    openTask = null;
    message.show('ok', t('assign.done', { task: task.number, name: nameOf(person) }));
    signal('ok');
    await fill();
  }

  const retry = () => fill();
  window.addEventListener('online', retry);
  window.addEventListener('offline', retry);
  fill();
  const el = h('div', {},
    h('h2', {}, t('assign.title')),
    message,
    warehouses.length > 1 ? h('div', { class: 'field' }, h('label', { for: 'as-warehouse' }, t('common.warehouse')), warehouse) : null,
    h('div', { class: 'seg', role: 'group', 'aria-label': t('assign.show') }, filters),
    list);
  return { el, title: t('assign.title'), back: '/tasks', cleanup: () => { window.removeEventListener('online', retry); window.removeEventListener('offline', retry); generation += 1; } };
}
