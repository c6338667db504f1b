// The outbox as the worker sees it: what is waiting to be sent, what the server refused and
// why (to try again or dismiss), and what went through recently.

import { h, replace } from '../dom.js';
import { t, tn, formatDateTime } from '../i18n.js';
import { getAll } from '../db.js';
import { pending, rejectedList, dismiss, retry, onOutboxChange } from '../outbox.js';
import { syncNow, state, isOnline } from '../sync.js';
import { needsSignIn } from '../session.js';
import { empty, reasonText } from './common.js';

const labelText = (label, event) => (label?.key ? t(label.key, label.vars || {}) : t(`command.${event.type}`));

export async function render({ navigate }) {
  const body = h('div', {});

  async function fill() {
    const [waiting, rejected, sent] = await Promise.all([pending(), rejectedList(), getAll('sent')]);
    replace(body,
      h('div', { class: 'card' },
        h('p', { class: 'big', 'data-testid': 'outbox-count' }, tn('status.waiting', waiting.length)),
        h('p', { class: 'muted' }, !isOnline() ? t('outbox.offline') : needsSignIn() ? t('outbox.signin') : state.lastSync ? t('outbox.last_sync', { when: formatDateTime(state.lastSync) }) : ''),
        needsSignIn() ? h('button', { type: 'button', class: 'primary wide', onclick: () => navigate('/login') }, t('status.signin'))
          : h('button', { type: 'button', class: 'primary wide', 'data-testid': 'sync-now', disabled: !waiting.length, onclick: () => syncNow() }, t('outbox.send_now'))),
      h('h3', {}, t('outbox.rejected')),
      rejected.length ? h('ul', { class: 'list', 'data-testid': 'rejected-list' }, rejected.map((r) => h('li', { class: 'card' },
        h('div', { class: 'row' }, h('span', { class: 'grow', translate: 'no' }, labelText(r.label, r.event)), h('span', { class: 'status rejected' }, t('status.rejected_one'))),
        h('div', { class: 'msg error' }, reasonText(r.code, r.message)),
        h('details', {}, h('summary', {}, t('outbox.details')), h('p', { class: 'muted', translate: 'no' }, `${r.code}: ${r.message}`)),
        h('div', { class: 'actions' },
          h('button', { type: 'button', onclick: async () => { await retry(r.event_id); syncNow(); } }, t('outbox.retry')),
          h('button', { type: 'button', class: 'danger', onclick: () => dismiss(r.event_id) }, t('outbox.dismiss')))))) : empty(t('outbox.none_rejected')),
      h('h3', {}, t('outbox.waiting')),
      waiting.length ? h('ul', { class: 'list', 'data-testid': 'waiting-list' }, waiting.map((r) => h('li', { class: 'card' },
        h('div', { translate: 'no' }, labelText(r.label, r.event)),
        h('div', { class: 'muted' }, formatDateTime(r.queued_at), r.attempts ? ` · ${tn('outbox.attempts', r.attempts)}` : '')))) : empty(t('outbox.none_waiting')),
      h('h3', {}, t('outbox.sent')),
      sent.length ? h('ul', { class: 'list' }, sent.sort((a, b) => b.acked_at - a.acked_at).slice(0, 20).map((r) => h('li', { class: 'card' },
        h('div', { translate: 'no' }, labelText(r.label, r.event)),
        h('div', { class: 'muted' }, formatDateTime(r.acked_at))))) : empty(t('outbox.none_sent')));
  }

  await fill();
  const off = onOutboxChange(() => fill());
  const onState = () => fill();
  window.addEventListener('stockhand:refreshed', onState);
  return { el: h('div', {}, h('h2', {}, t('outbox.title')), body), title: t('outbox.title'), back: '/tasks', cleanup: () => { off(); window.removeEventListener('stockhand:refreshed', onState); } };
}
