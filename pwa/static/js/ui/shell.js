// The header (title, back, online/offline, actions waiting, sign-in prompt), banners and the
// toast. The header is redrawn whenever sync state, session or screen changes.

import { h, replace } from '../dom.js';
import { t, tn } from '../i18n.js';
import { state, isOnline } from '../sync.js';
import { needsSignIn, session } from '../session.js';
import { navigate } from '../router.js';

const top = document.getElementById('top');
const banners = document.getElementById('banners');
const toastEl = document.getElementById('toast');

export function renderHeader({ title, back, route }) {
  const online = isOnline();
  const signedIn = !!session();
  const waiting = state.waiting;
  replace(top,
    back
      ? h('button', { class: 'back', type: 'button', 'aria-label': t('nav.back'), onclick: () => navigate(back) }, '‹')
      : h('span', { class: 'back', 'aria-hidden': 'true' }, ''),
    h('h1', {}, title),
    h('span', { class: `pill ${online ? 'online' : 'offline'}`, 'data-testid': 'connectivity' },
      online ? t('status.online') : t('status.offline')),
    signedIn ? h('a', {
      class: `pill waiting${waiting ? '' : ' zero'}`, href: '#/outbox', 'data-testid': 'waiting',
      'data-count': String(waiting), 'aria-label': tn('status.waiting', waiting),
    }, state.syncing && waiting ? '⟳ ' : '', tn('status.waiting', waiting),
    state.rejected ? ` · ${tn('status.rejected', state.rejected)}` : '') : null,
    signedIn && needsSignIn()
      ? h('button', { class: 'pill signin', type: 'button', onclick: () => navigate('/login') }, t('status.signin'))
      : null,
    signedIn && route?.screen !== 'settings'
      ? h('button', { class: 'menu', type: 'button', 'aria-label': t('nav.settings'), onclick: () => navigate('/settings') }, '⚙')
      : null,
  );
}

export function showBanner(id, kind, text, actionText, action) {
  hideBanner(id);
  banners.append(h('div', { class: `banner ${kind}`, 'data-banner': id, role: 'status' },
    h('span', {}, text),
    actionText ? h('button', { type: 'button', class: 'primary', onclick: action }, actionText) : null));
}

export function hideBanner(id) {
  banners.querySelector(`[data-banner="${id}"]`)?.remove();
}

let toastTimer = null;
export function toast(text, ms = 2600) {
  toastEl.textContent = text;
  toastEl.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => toastEl.classList.remove('show'), ms);
}
