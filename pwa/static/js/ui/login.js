// Sign in. Also the way back after a token lapsed: the outbox waits, and signing in again as
// the same user sends it.

import { h } from '../dom.js';
import { t, tn, getLocale, setLocale, LOCALES } from '../i18n.js';
import { signIn, session, needsSignIn } from '../session.js';
import { waitingCount } from '../outbox.js';
import { messageArea, errorText } from './common.js';

export async function render({ navigate }) {
  const previous = session();
  const waiting = await waitingCount();
  const message = messageArea();
  const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', autocapitalize: 'off', required: true, value: previous?.user?.username || '' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'primary wide' }, t('login.submit'));

  async function onSubmit(event) {
    event.preventDefault();
    submit.disabled = true;
    try {
      const { switched } = await signIn(username.value.trim(), password.value);
      if (switched && waiting) message.show('warn', t('login.other_user_waiting'));
      // The session change starts a sync by itself.
      navigate('/tasks', { replace: true });
    } catch (error) {
      message.show('error', error.status === 401 ? t('login.wrong') : errorText(error));
    } finally {
      submit.disabled = false;
    }
  }

  const el = h('div', { class: 'stack' },
    h('h2', {}, t('login.title')),
    previous && needsSignIn() ? h('div', { class: 'msg warn' }, t('login.expired'), waiting ? ` ${tn('login.waiting', waiting)}` : '') : null,
    message,
    h('form', { class: 'card stack', onsubmit: onSubmit },
      h('div', { class: 'field' }, h('label', { for: 'username' }, t('login.username')), username),
      h('div', { class: 'field' }, h('label', { for: 'password' }, t('login.password')), password),
      submit),
    h('div', { class: 'seg', role: 'group', 'aria-label': t('settings.language') },
      LOCALES.map((tag) => h('button', {
        type: 'button', 'aria-pressed': String(getLocale() === tag), lang: tag,
        onclick: () => setLocale(tag),
      }, t(`lang.${tag}`)))));
  setTimeout(() => (username.value ? password : username).focus(), 0);
  return { el, title: t('login.title') };
}
