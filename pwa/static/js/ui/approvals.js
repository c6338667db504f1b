// Supervisors approve or reject: count variances and adjustments (commands, through the
// outbox like every other action) and purchase orders (a plain request: it moves no stock).

import { h, replace } from '../dom.js';
import { t, formatNumber } from '../i18n.js';
import { api, allPages } from '../api.js';
import { act, messageArea, errorText, loading, empty, section } from './common.js';

const money = (v) => formatNumber(Number(v), { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export async function render() {
  const message = messageArea();
  const counts = h('div', {}, loading());
  const adjustments = h('div', {}, loading());
  const orders = h('div', {}, loading());

  const decided = new Set(); // decisions queued on this screen, hidden until the list refreshes

  async function fillCounts() {
    try {
      const review = await allPages('/api/counts?status=review', { max: 100, limit: 100 });
      const details = await Promise.all(review.map((c) => api(`/api/counts/${c.id}`)));
      const rows = details.filter((c) => !decided.has(`count:${c.id}`)).map((c) => {
        const entries = c.lines.flatMap((l) => (l.entries || []).filter((e) => e.status === 'pending').map((e) => ({ ...e, bin: l.location_code })));
        return h('div', { class: 'card' },
          h('div', { class: 'row' }, h('strong', { class: 'grow code' }, c.number), h('span', {}, t('approvals.pending_value', { value: money(c.pending_value || 0) }))),
          h('table', { class: 'data' },
            h('thead', {}, h('tr', {}, h('th', {}, t('common.bin')), h('th', {}, t('common.sku')), h('th', { class: 'num' }, t('approvals.counted')), h('th', { class: 'num' }, t('approvals.book')), h('th', { class: 'num' }, t('approvals.variance')))),
            h('tbody', {}, entries.map((e) => h('tr', {}, h('td', { class: 'code' }, e.bin), h('td', { class: 'code' }, e.sku, e.lot_number ? ` ${e.lot_number}` : ''),
              h('td', { class: 'num' }, formatNumber(e.quantity)), h('td', { class: 'num' }, formatNumber(e.book_quantity)),
              h('td', { class: 'num' }, formatNumber(e.variance)))))),
          h('div', { class: 'actions' },
            h('button', { type: 'button', class: 'primary', onclick: () => decideCount(c, 'approve') }, t('approvals.approve')),
            h('button', { type: 'button', class: 'danger', onclick: () => decideCount(c, 'reject') }, t('approvals.reject'))));
      });
      replace(counts, rows.length ? rows : empty(t('approvals.no_counts')));
    } catch (error) {
      replace(counts, h('div', { class: 'msg warn' }, errorText(error)));
    }
  }

  async function decideCount(count, decision) {
    await act('decide_count', { count_id: count.id, decision }, { label: { key: `label.count_${decision}`, vars: { count: count.number } } });
    decided.add(`count:${count.id}`);
    message.show('ok', t('approvals.queued'));
    fillCounts();
  }

  async function fillAdjustments() {
    try {
      const pending = (await allPages('/api/adjustment-requests?status=pending', { max: 200, limit: 100 })).filter((r) => !decided.has(`adj:${r.id}`));
      replace(adjustments, pending.length ? pending.map((r) => h('div', { class: 'card' },
        h('div', { class: 'row' }, h('strong', { class: 'grow code' }, r.number), h('span', {}, money(r.value))),
        h('div', {}, h('span', { class: 'code' }, r.sku), ' · ', h('span', { class: 'code' }, r.location_code), ' · ', formatNumber(r.quantity), ' · ', t(`adjust.${r.reason}`)),
        h('div', { class: 'muted', translate: 'no' }, r.requested_by_username, r.comment ? ` · ${r.comment}` : ''),
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'primary', onclick: () => decideAdjustment(r, 'approve') }, t('approvals.approve')),
          h('button', { type: 'button', class: 'danger', onclick: () => decideAdjustment(r, 'reject') }, t('approvals.reject'))))) : empty(t('approvals.no_adjustments')));
    } catch (error) {
      replace(adjustments, h('div', { class: 'msg warn' }, errorText(error)));
    }
  }

  async function decideAdjustment(request, decision) {
    await act('decide_adjustment', { request_id: request.id, decision }, { label: { key: `label.adjustment_${decision}`, vars: { number: request.number } } });
    decided.add(`adj:${request.id}`);
    message.show('ok', t('approvals.queued'));
    fillAdjustments();
  }

  async function fillOrders() {
    try {
      const pending = await allPages('/api/purchase-orders?status=pending_approval', { max: 200, limit: 100 });
      replace(orders, pending.length ? pending.map((o) => h('div', { class: 'card' },
        h('div', { class: 'row' }, h('strong', { class: 'grow code' }, o.number), h('span', {}, money(o.total_value))),
        h('div', { class: 'muted' }, h('span', { class: 'code' }, o.supplier_code), ' · ', t('approvals.needs', { role: t(`role.${o.approval_role}`) }), ' · ', t('approvals.lines', { n: o.lines.length })),
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'primary', onclick: () => decideOrder(o, true) }, t('approvals.approve')),
          h('button', { type: 'button', class: 'danger', onclick: () => decideOrder(o, false) }, t('approvals.reject'))))) : empty(t('approvals.no_orders')));
    } catch (error) {
      replace(orders, h('div', { class: 'msg warn' }, errorText(error)));
    }
  }

  async function decideOrder(order, approve) {
    try {
      await api(`/api/purchase-orders/${order.id}/decision`, { method: 'POST', body: { approve } });
      message.show('ok', approve ? t('approvals.order_approved', { number: order.number }) : t('approvals.order_rejected', { number: order.number }));
    } catch (error) {
      message.show('error', errorText(error));
    }
    fillOrders();
  }

  fillCounts();
  fillAdjustments();
  fillOrders();
  const el = h('div', {}, h('h2', {}, t('approvals.title')), message,
    section(t('approvals.counts'), counts), section(t('approvals.adjustments'), adjustments), section(t('approvals.orders'), orders));
  return { el, title: t('approvals.title'), back: '/tasks' };
}
