// Small pieces the screens share: messages in plain words, the quantity stepper, task
// badges, error wording, drafts.

import { h, replace } from '../dom.js';
import { t, formatNumber } from '../i18n.js';
import { get, put, del } from '../db.js';
import { ApiError, NetworkError, AuthExpired } from '../api.js';
import { enqueue } from '../outbox.js';
import { user } from '../session.js';

// Every action goes through the outbox, online or not, as the signed-in user's.
export const act = (type, fields, { label, dependsOn, occurredAt } = {}) =>
  enqueue(type, fields, { label, dependsOn, occurredAt, userId: user()?.id });

// The code that confirms an item to the server: the barcode scanned (a GTIN inside GS1
// data), never a SKU typed in (the server checks item codes against barcodes only).
export const itemCodeOf = (resolution) => resolution.barcode || undefined;

// Plain symbols that every system font has (no emoji font on many handhelds).
export const TASK_ICONS = { receive: '↓', putaway: '↑', pick: '✓', count: '#', transfer: '⇄' };

// A message area a screen updates after each scan: text and kind (ok, warn, error, info).
export function messageArea() {
  const el = h('div', { class: 'msg info', role: 'status', 'aria-live': 'polite', 'data-testid': 'message', hidden: true });
  el.show = (kind, text) => { el.hidden = false; el.className = `msg ${kind}`; el.textContent = text; };
  el.hide = () => { el.hidden = true; };
  return el;
}

// The server's refusal in words a worker can act on: the code's translation when we have
// one, the server's own sentence otherwise.
export function reasonText(code, message) {
  const key = `reason.${code}`;
  const text = t(key);
  return text === key ? (message || t('reason.unknown')) : text;
}

export function errorText(error) {
  if (error instanceof NetworkError) return t('error.offline');
  if (error instanceof AuthExpired) return t('error.signin');
  if (error instanceof ApiError) return reasonText(error.code, error.message);
  return t('error.unexpected');
}

// − [ n ] + ; calls onChange(n) with a whole number ≥ min.
export function stepper(value, onChange, { min = 0, label = t('common.quantity'), testid = 'qty' } = {}) {
  const input = h('input', {
    type: 'number', inputmode: 'numeric', min: String(min), step: '1', value: String(value),
    'aria-label': label, 'data-testid': testid,
  });
  const set = (n) => {
    const v = Math.max(min, Number.isFinite(n) ? Math.trunc(n) : min);
    input.value = String(v);
    onChange(v);
  };
  input.addEventListener('change', () => set(Number(input.value)));
  const el = h('div', { class: 'qty' },
    h('button', { type: 'button', 'aria-label': t('common.less'), onclick: () => set(Number(input.value) - 1) }, '−'),
    input,
    h('button', { type: 'button', 'aria-label': t('common.more'), onclick: () => set(Number(input.value) + 1) }, '+'));
  el.setValue = (v) => { input.value = String(v); };
  return el;
}

export const qtyText = (n, unit) => `${formatNumber(n)}${unit ? ` ${unit}` : ''}`;

export function statusBadge(status) {
  return h('span', { class: `status ${status}` }, t(`status.${status}`));
}

export function empty(text) { return h('p', { class: 'muted' }, text); }

export function loading() { return h('p', { class: 'muted', 'aria-busy': 'true' }, t('common.loading')); }

// Work in progress on a screen, kept across reloads until it is queued or dropped.
export const loadDraft = async (key) => (await get('drafts', key))?.value;
export const saveDraft = (key, value) => put('drafts', { key, value, at: Date.now() });
export const dropDraft = (key) => del('drafts', key);

export function section(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h3', {}, title) : null, ...children);
}

export function keyValue(rows) {
  return h('table', { class: 'data' }, h('tbody', {}, rows.filter(Boolean).map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))));
}

export function mount(el, ...children) { return replace(el, ...children); }
