// Settings: language, who is signed in, notifications, this device.

import { h, replace } from '../dom.js';
import { t, tn, getLocale, setLocale, LOCALES } from '../i18n.js';
import { user, signOut } from '../session.js';
import { getDeviceId } from '../ids.js';
import { waitingCount } from '../outbox.js';
import * as push from '../push.js';
import { errorText } from './common.js';
import { keyValue, section } from './common.js';

export async function render({ navigate }) {
  const me = user();
  const [device, waiting, pushState] = await Promise.all([getDeviceId(), waitingCount(), push.status()]);
  const version = h('span', { class: 'code' }, '…');
  navigator.serviceWorker?.controller?.postMessage({ type: 'version' });
  const onMessage = (e) => { if (e.data?.type === 'version') version.textContent = e.data.version; };
  navigator.serviceWorker?.addEventListener('message', onMessage);

  const notifications = h('div', {});
  await drawNotifications();

  // Push needs this server to offer it (an /api/push endpoint with a VAPID key) and this
  // browser to support it; otherwise the button stays disabled and says which is missing.
  async function drawNotifications() {
    if (pushState.state !== 'ready') {
      replace(notifications,
        h('button', { type: 'button', class: 'wide', disabled: true, 'data-testid': 'push-subscribe' }, t('settings.push_enable')),
        h('p', { class: 'muted', 'data-testid': 'push-unavailable' }, t(`settings.push_${pushState.state.replace('-', '_')}`)));
      return;
    }
    const subscribed = !!(await push.currentSubscription().catch(() => null));
    const message = h('p', { class: 'muted' });
    const toggle = h('button', { type: 'button', class: subscribed ? 'wide' : 'primary wide', 'data-testid': 'push-subscribe', onclick: async () => {
      toggle.disabled = true;
      try {
        if (subscribed) await push.unsubscribe(); else await push.subscribe(pushState.key);
        await drawNotifications();
      } catch (error) {
        toggle.disabled = false;
        message.textContent = error.message === 'permission' ? t('settings.push_denied') : errorText(error);
      }
    } }, subscribed ? t('settings.push_disable') : t('settings.push_enable'));
    let prefs = [];
    try { prefs = await push.preferences(); } catch { /* shown without preferences */ }
    replace(notifications, toggle, message,
      prefs.length ? h('p', {}, t('settings.alerts_intro')) : null,
      prefs.map((p) => h('fieldset', { class: 'card' }, h('legend', { class: 'code' }, p.warehouse_code),
        push.KINDS.map((kind) => h('label', { class: 'row' },
          h('input', { type: 'checkbox', checked: p.kinds.includes(kind), style: { width: '28px', minHeight: '28px' }, onchange: async (e) => {
            const kinds = push.KINDS.filter((k) => (k === kind ? e.target.checked : p.kinds.includes(k)));
            try { Object.assign(p, await push.setPreference(p.warehouse_id, kinds)); } catch (error) { message.textContent = errorText(error); }
          } }), h('span', { class: 'grow' }, t(`settings.alert_${kind}`)))))));
  }

  const el = h('div', {},
    h('h2', {}, t('settings.title')),
    section(t('settings.language'), h('div', { class: 'seg', role: 'group' }, LOCALES.map((tag) => h('button', {
      type: 'button', lang: tag, 'aria-pressed': String(getLocale() === tag), 'data-locale': tag, onclick: () => setLocale(tag),
    }, t(`lang.${tag}`))))),
    section(t('settings.account'),
      keyValue([[t('settings.user'), h('span', { translate: 'no' }, `${me.display_name || me.username} (${me.username})`)], [t('settings.role'), t(`role.${me.role}`)]]),
      h('button', { type: 'button', class: 'danger wide', onclick: async () => {
        if (waiting && !window.confirm(tn('settings.signout_waiting', waiting))) return;
        await signOut();
        navigate('/login');
      } }, t('settings.signout'))),
    section(t('settings.notifications'), notifications),
    section(t('settings.device'), keyValue([[t('settings.device_id'), h('span', { class: 'code' }, device)], [t('settings.version'), version]])));
  return { el, title: t('settings.title'), back: '/tasks', cleanup: () => navigator.serviceWorker?.removeEventListener('message', onMessage) };
}
