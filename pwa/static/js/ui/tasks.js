// Home: my tasks (mine first, then open ones I may take) and the other jobs of the floor.

import { h, replace } from '../dom.js';
import { t, tn, formatDateTime } from '../i18n.js';
import * as md from '../masterdata.js';
import { localProgress } from '../overlay.js';
import { isSupervisor, user } from '../session.js';
import { syncNow, state } from '../sync.js';
import { TASK_ICONS, empty, statusBadge } from './common.js';

export async function render({ navigate }) {
  const list = h('ul', { class: 'list', 'data-testid': 'task-list' });
  const when = h('p', { class: 'muted' });

  async function fill() {
    const [tasks, progress, snap] = await Promise.all([md.tasks(), localProgress(), md.snapshotState()]);
    const me = user();
    tasks.sort((a, b) => (b.assignee_id === me?.id) - (a.assignee_id === me?.id) || b.priority - a.priority || a.id - b.id);
    replace(list, tasks.length ? tasks.map((task) => item(task, progress, me)) : h('li', {}, empty(t('tasks.none'))));
    when.textContent = snap ? t('tasks.updated', { when: formatDateTime(snap.at) }) : t('tasks.never');
  }

  function item(task, progress, me) {
    let sub;
    if (task.type === 'count' || task.type === 'receive') {
      sub = task.note || '';
    } else {
      const open = task.lines.filter((l) => progress.lineOpen(l)).length;
      sub = tn('tasks.lines_open', open, { total: task.lines.length });
    }
    const mine = task.assignee_id === me?.id || progress.claimed(task.id);
    return h('li', {}, h('a', { class: 'task', href: `#/task/${task.id}`, 'data-task-type': task.type, 'data-task-id': String(task.id) },
      h('span', { class: 'badge', 'aria-hidden': 'true' }, TASK_ICONS[task.type] || '•'),
      h('span', { class: 'grow' },
        h('div', { class: 'title' }, `${t(`task.${task.type}`)} · ${task.number}`),
        h('div', { class: 'sub', translate: task.type === 'count' || task.type === 'receive' ? 'no' : undefined }, sub)),
      mine ? statusBadge(task.status === 'open' ? 'assigned' : task.status) : h('span', { class: 'status' }, t('tasks.open_to_take'))));
  }

  const tiles = [
    ['/pack', '▣', t('nav.pack')],
    ['/move', '↔', t('nav.move')],
    ['/transfers', '⇄', t('nav.transfers')],
    ['/lookup', '?', t('nav.lookup')],
    ['/outbox', '⇅', t('nav.outbox')],
  ];
  const supTiles = [
    ['/sup/tasks', '⇢', t('nav.assign')],
    ['/sup/dashboard', '▤', t('nav.dashboard')],
    ['/sup/counts', '#', t('nav.counts')],
    ['/sup/approvals', '✓', t('nav.approvals')],
    ['/sup/expiry', '⌛', t('nav.expiry')],
    ['/sup/lowstock', '↘', t('nav.lowstock')],
  ];
  const tile = ([path, icon, label]) => h('a', { class: 'tile', href: `#${path}` }, h('span', { class: 'icon', 'aria-hidden': 'true' }, icon), label);

  const el = h('div', {},
    h('h2', {}, t('tasks.title')),
    list,
    h('div', { class: 'row' }, when, h('button', { type: 'button', class: 'grow', onclick: () => syncNow() }, t('tasks.refresh'))),
    h('h3', {}, t('tasks.other_jobs')),
    h('div', { class: 'tiles' }, tiles.map(tile)),
    isSupervisor() ? [h('h3', {}, t('tasks.supervisor')), h('div', { class: 'tiles' }, supTiles.map(tile))] : null);

  await fill();
  const refill = () => fill();
  window.addEventListener('stockhand:refreshed', refill);
  return { el, title: t('tasks.title'), cleanup: () => window.removeEventListener('stockhand:refreshed', refill), onScan: undefined };
}
