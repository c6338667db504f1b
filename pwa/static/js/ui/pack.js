// Pack and ship at the packing station. The list: orders picked (or partly picked) and
// waiting. One order: what is picked and not yet packed, by item and lot; scans fill the
// package being packed (a case barcode counts its quantity); closing it queues a pack_items
// command and the server gives the package its SSCC; scanning an open package's label adds to
// it, scanning closed packages' labels chooses what ships. Packing and shipping go through
// the outbox like every other action, and each order's view is kept on the device, so a
// dropped connection stops nothing.

import { h, replace } from '../dom.js';
import { t, tn, formatDateTime, formatNumber } from '../i18n.js';
import { api, NetworkError } from '../api.js';
import { get, put, del, getAll } from '../db.js';
import { signal } from '../feedback.js';
import { onOutboxChange, unreflected, rejectedList, dismiss, retry } from '../outbox.js';
import { localView, afterDraft, addToDraft, commandLines } from '../packing.js';
import { isOnline, syncNow } from '../sync.js';
import { act, messageArea, errorText, reasonText, loading, empty, statusBadge, loadDraft, saveDraft, dropDraft } from './common.js';
import { scanBar } from './scanbar.js';

const LIST_KEY = 'pack:orders';
const orderKey = (id) => `pack:order:${id}`;
// Views of the first orders on the list are kept for packing them offline.
const PREFETCH = 20;

// An SSCC from its GS1 label (AI 00), or the 18 digits typed.
const ssccOf = (res) => res.sscc || (/^\d{18}$/.test(res.code) ? res.code : null);
const units = (lines) => lines.reduce((n, l) => n + l.quantity, 0);

export function render(context) {
  return context.params.id ? orderScreen(context) : listScreen(context);
}

async function cacheOrder(id) {
  const view = await api(`/api/packing/orders/${id}`);
  await put('docs', { key: orderKey(id), value: view, at: Date.now() });
  return view;
}

// Views of orders no longer waiting are not needed offline any more.
async function forgetOthers(orders) {
  const keep = new Set(orders.map((o) => orderKey(o.id)));
  for (const doc of await getAll('docs')) {
    if (doc.key.startsWith('pack:order:') && !keep.has(doc.key)) await del('docs', doc.key);
  }
}

async function listScreen({ navigate }) {
  const message = messageArea();
  const bar = scanBar({ placeholder: t('pack.scan_order') });
  const body = h('div', {}, loading());
  let orders = [];

  async function fill() {
    let offlineSince = null;
    try {
      if (!isOnline()) throw new NetworkError();
      const page = await api('/api/packing/orders?limit=100');
      orders = page.items;
      await put('docs', { key: LIST_KEY, value: orders, at: Date.now() });
      Promise.allSettled(orders.slice(0, PREFETCH).map((o) => cacheOrder(o.id)));
      forgetOthers(orders);
    } catch (error) {
      const cached = await get('docs', LIST_KEY);
      if (!(error instanceof NetworkError) || !cached) {
        replace(body, h('div', { class: 'msg warn', 'data-testid': 'pack-unavailable' },
          error instanceof NetworkError ? t('pack.list_needs_network') : errorText(error)));
        return;
      }
      orders = cached.value;
      offlineSince = cached.at;
    }
    replace(body,
      offlineSince ? h('p', { class: 'msg warn' }, t('pack.list_offline', { when: formatDateTime(offlineSince) })) : null,
      orders.length ? h('ul', { class: 'list', 'data-testid': 'pack-orders' }, orders.map(row)) : empty(t('pack.none')),
      h('button', { type: 'button', class: 'wide', onclick: () => fill() }, t('tasks.refresh')));
  }

  const row = (o) => h('li', {}, h('a', { class: 'task', href: `#/pack/${o.id}`, 'data-order-id': String(o.id) },
    h('span', { class: 'badge', 'aria-hidden': 'true' }, '▣'),
    h('span', { class: 'grow' },
      h('div', { class: 'title' }, h('span', { class: 'code' }, o.number), ' · ', h('span', { translate: 'no' }, o.customer_name)),
      h('div', { class: 'sub' }, t('pack.order_units', { to_pack: o.units_to_pack, packed: o.units_packed }),
        o.open_packages + o.closed_packages ? ` · ${tn('pack.packages_n', o.open_packages + o.closed_packages)}` : '')),
    statusBadge(o.status)));

  async function onScan(res) {
    const hit = orders.find((o) => o.number.toUpperCase() === res.code.toUpperCase());
    if (hit) { navigate(`/pack/${hit.id}`); return 'ok'; }
    const sscc = ssccOf(res);
    for (const o of sscc ? orders : []) {
      const view = (await get('docs', orderKey(o.id)))?.value;
      if (view?.packages.some((p) => p.sscc === sscc)) { navigate(`/pack/${o.id}`); return 'ok'; }
    }
    message.show('error', t('pack.not_listed', { code: res.code }));
    return 'error';
  }

  fill();
  const el = h('div', {}, h('h2', {}, t('pack.title')), message, bar, body);
  return { el, title: t('pack.title'), back: '/tasks', onScan, cleanup: bar.cleanup };
}

async function orderScreen({ params }) {
  const id = Number(params.id);
  const draftKey = `pack:${id}`;
  const fresh = () => ({ sscc: null, lines: [], ship: [] });
  const message = messageArea();
  const bar = scanBar();
  const body = h('div', {}, loading());
  const heading = h('h2', {}, t('pack.title'));
  let view = null; // the server's view of the order, as last read
  let viewAt = null;
  let offline = false; // the last read failed for want of a network: the view may be old
  let failure = null; // the server refused to show the order
  let local = null;
  let draft = (await loadDraft(draftKey)) || fresh();
  let serialFor = null; // a serial-numbered item scanned: its serial number comes next
  let lastPack = null; // the package this screen queued last, to show its SSCC once sent
  let justPacked = null;
  const refusalsSeen = new Set();
  let firstDraw = true;

  const save = () => saveDraft(draftKey, draft);

  async function load() {
    try {
      if (!isOnline()) throw new NetworkError();
      view = await cacheOrder(id);
      viewAt = Date.now();
      offline = false;
      failure = null;
    } catch (error) {
      if (error instanceof NetworkError) offline = true;
      else failure = error;
      if (!view) {
        const cached = await get('docs', orderKey(id));
        if (cached) { view = cached.value; viewAt = cached.at; }
      }
    }
    if (lastPack) {
      const outcome = (await get('sent', lastPack))?.outcome;
      const result = outcome?.result || outcome?.first_outcome?.result;
      if (result?.sscc) {
        justPacked = result;
        lastPack = null;
        message.hide();
      }
    }
  }

  async function draw() {
    if (!view) {
      replace(body, h('div', { class: 'msg warn', 'data-testid': 'pack-unavailable' },
        failure ? errorText(failure) : t('pack.order_needs_network')));
      return;
    }
    const events = await unreflected();
    local = localView(view, events);
    const refused = (await rejectedList()).filter((r) => r.event.order_id === id && ['pack_items', 'ship_order'].includes(r.event.type));
    for (const r of refused) {
      if (refusalsSeen.has(r.event_id)) continue;
      refusalsSeen.add(r.event_id);
      if (!firstDraw) {
        message.show('error', refusalText(r));
        signal('error');
      }
    }
    firstDraw = false;
    const fits = afterDraft(local.rows, draft.lines);
    const left = fits || local.rows;
    const shipped = view.status === 'shipped';
    replace(heading, t('pack.title'), ' · ', h('span', { class: 'code' }, view.number));
    replace(body,
      h('div', { class: 'row customer' },
        h('span', { class: 'grow muted', translate: 'no' }, `${view.customer_code} · ${view.customer_name}`),
        local.shipping ? statusBadge('queued') : statusBadge(view.status)),
      offline ? h('p', { class: 'msg warn', 'data-testid': 'pack-offline-copy' }, t('pack.offline_copy', { when: formatDateTime(viewAt) })) : null,
      failure ? h('p', { class: 'msg error' }, errorText(failure)) : null,
      refused.length ? h('ul', { class: 'list', 'data-testid': 'pack-refused' }, refused.map(refusalCard)) : null,
      justPacked ? justPackedCard() : null,
      fits ? null : h('p', { class: 'msg warn', 'data-testid': 'pack-overfull' }, t('pack.overfull')),
      shipped ? h('div', { class: 'msg ok', 'data-testid': 'pack-shipped' },
        t('pack.shipped', { numbers: view.shipments.map((s) => s.number).join(', ') })) : null,
      shipped || local.shipping ? null : currentCard(),
      shipped ? null : rowsCard(left),
      packagesCard(),
      shipped ? null : shipCard());
  }

  function refusalText(r) {
    // The server's generic setup_required is about the GS1 prefix when a package is made.
    if (r.code === 'setup_required' && r.event.type === 'pack_items') return t('pack.needs_gs1');
    return reasonText(r.code, r.message);
  }

  function refusalCard(r) {
    const what = r.event.type === 'ship_order' ? t('pack.refused_ship') : t('pack.refused_pack', { n: units(r.event.lines) });
    return h('li', { class: 'card', 'data-code': r.code },
      h('div', { class: 'row' }, h('strong', { class: 'grow' }, what), h('span', { class: 'status rejected' }, t('status.rejected'))),
      h('div', { class: 'msg error', 'data-testid': 'refusal-reason' }, refusalText(r)),
      h('details', {}, h('summary', {}, t('outbox.details')), h('p', { class: 'muted', translate: 'no' }, `${r.code}: ${r.message}`)),
      h('div', { class: 'actions' },
        h('button', { type: 'button', 'data-testid': 'refusal-retry', onclick: async () => { await retry(r.event_id); syncNow(); } }, t('outbox.retry')),
        h('button', { type: 'button', class: 'danger', onclick: () => dismiss(r.event_id) }, t('outbox.dismiss'))));
  }

  function justPackedCard() {
    const pkg = view.packages.find((p) => p.sscc === justPacked.sscc);
    return h('div', { class: 'card', 'data-testid': 'pack-last' },
      h('div', {}, t(justPacked.package_status === 'open' ? 'pack.left_open_sscc' : 'pack.closed_sscc')),
      h('div', { class: 'big code' }, justPacked.sscc),
      pkg ? h('button', { type: 'button', class: 'primary wide', onclick: () => printLabel(pkg) }, t('pack.print_label')) : null);
  }

  function currentCard() {
    const lines = draft.lines.map((line) => h('li', { class: 'row', 'data-testid': 'pack-line', 'data-sku': line.sku },
      h('span', { class: 'grow' }, h('span', { class: 'big' }, formatNumber(line.quantity)), ' × ', h('span', { class: 'code' }, line.sku),
        line.lot_number ? [' · ', t('common.lot'), ' ', h('span', { class: 'code' }, line.lot_number)] : null,
        line.serials.length ? h('div', { class: 'code muted' }, line.serials.join(' ')) : null),
      h('button', { type: 'button', 'aria-label': t('pack.take_out', { sku: line.sku }), onclick: () => takeOut(line) }, '−')));
    return h('section', { class: 'card stack', 'data-testid': 'pack-current' },
      h('h3', {}, draft.sscc ? t('pack.adding_to') : t('pack.new_package')),
      draft.sscc ? h('div', { class: 'code' }, draft.sscc) : null,
      lines.length ? h('ul', { class: 'list' }, lines) : h('p', { class: 'muted' }, t('pack.scan_items')),
      lines.length ? h('p', { class: 'muted' }, tn('pack.units_in_package', units(draft.lines))) : null,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', 'data-testid': 'pack-close', disabled: !lines.length, onclick: () => pack(true) }, t('pack.close')),
        h('button', { type: 'button', 'data-testid': 'pack-keep-open', disabled: !lines.length, onclick: () => pack(false) }, t('pack.keep_open')),
        lines.length || draft.sscc
          ? h('button', { type: 'button', class: 'danger', 'data-testid': 'pack-clear', onclick: clearDraft }, t('pack.start_over'))
          : null));
  }

  function rowsCard(left) {
    const packedOf = (row) => local.rows.find((r) => r.item_id === row.item_id && r.lot_id === row.lot_id)?.packed || 0;
    const notPicked = view.units_ordered - view.units_picked;
    return h('section', { class: 'card' },
      h('h3', {}, t('pack.to_pack')),
      left.length ? h('table', { class: 'data', 'data-testid': 'pack-rows' },
        h('thead', {}, h('tr', {}, h('th', {}, t('common.item')), h('th', { class: 'num' }, t('pack.left')), h('th', { class: 'num' }, t('pack.packed')))),
        h('tbody', {}, left.map((r) => h('tr', { 'data-testid': 'pack-row', 'data-sku': r.sku, 'data-lot': r.lot_number || '', class: r.to_pack ? '' : 'muted' },
          h('td', {}, h('span', { class: 'code' }, r.sku), r.lot_number ? [' · ', h('span', { class: 'code' }, r.lot_number)] : null,
            h('div', { class: 'muted', translate: 'no' }, r.item_name)),
          h('td', { class: 'num big', 'data-testid': 'row-left' }, r.to_pack ? formatNumber(r.to_pack) : '✓'),
          h('td', { class: 'num' }, formatNumber(packedOf(r))))))) : empty(t('pack.nothing_picked')),
      local.toPack === 0 && left.length ? h('p', { class: 'msg ok', 'data-testid': 'pack-all-packed' }, t('pack.all_packed')) : null,
      notPicked > 0 && view.status === 'picking' ? h('p', { class: 'muted' }, t('pack.still_picking', { n: notPicked })) : null);
  }

  function packagesCard() {
    const packages = [...local.packages].reverse();
    return h('section', { class: 'card' },
      h('h3', {}, t('pack.packages')),
      packages.length ? h('ul', { class: 'list', 'data-testid': 'packages' }, packages.map((p) => {
        const scanned = p.sscc && draft.ship.includes(p.sscc);
        return h('li', { class: 'card', 'data-testid': 'package', 'data-sscc': p.sscc || '', 'data-status': p.status, 'data-pending': p.pending ? 'true' : 'false' },
          h('div', { class: 'row' },
            p.sscc ? h('span', { class: 'grow code' }, p.sscc) : h('span', { class: 'grow muted' }, t('pack.sscc_when_sent')),
            scanned ? h('span', { class: 'check', 'data-testid': 'package-scanned' }, `✓ ${t('pack.scanned')}`) : null,
            statusBadge(p.pending || p.shipping ? 'queued' : p.status)),
          h('div', { class: 'muted' }, p.lines.map((l, i) => [i ? ' · ' : '', `${formatNumber(l.quantity)} × `, h('span', { class: 'code' }, l.sku),
            l.lot_number ? [' ', h('span', { class: 'code' }, l.lot_number)] : null, l.serial ? [' ', h('span', { class: 'code' }, l.serial)] : null])),
          h('div', { class: 'actions' },
            p.id ? h('button', { type: 'button', 'data-testid': 'package-label', onclick: () => printLabel(p) }, t('pack.label')) : null,
            p.status === 'open' && p.sscc && !p.pending && !p.shipping && draft.sscc !== p.sscc
              ? h('button', { type: 'button', 'data-testid': 'package-add', onclick: () => addTo(p.sscc) }, t('pack.add_to_it'))
              : null));
      })) : empty(t('pack.no_packages')));
  }

  function shipCard() {
    if (local.shipping) return h('div', { class: 'msg info', 'data-testid': 'pack-ship-queued' }, t('pack.ship_queued'));
    const open = local.packages.filter((p) => p.status !== 'shipped');
    return h('section', { class: 'card stack' },
      h('h3', {}, t('pack.ship')),
      h('p', { class: 'muted' }, t('pack.ship_hint')),
      h('div', { class: 'actions' },
        draft.ship.length
          ? h('button', { type: 'button', class: 'primary', 'data-testid': 'ship-scanned', onclick: () => ship(true) }, tn('pack.ship_scanned', draft.ship.length))
          : null,
        h('button', { type: 'button', class: draft.ship.length ? '' : 'primary', 'data-testid': 'ship-all', disabled: !open.length, onclick: () => ship(false) }, t('pack.ship_all'))));
  }

  async function printLabel(p) {
    try {
      const blob = await api(`/api/packages/${p.id}/label`, { blob: true });
      const url = URL.createObjectURL(blob);
      // The browser's PDF viewer prints; where a new window is not allowed, it downloads.
      if (!window.open(url, '_blank')) {
        const link = h('a', { href: url, download: `sscc-${p.sscc}.pdf` });
        document.body.append(link);
        link.click();
        link.remove();
      }
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (error) {
      message.show('error', errorText(error));
    }
  }

  async function pack(close) {
    const lines = commandLines(draft.lines).map((l) => ({
      item_id: l.item_id, quantity: l.quantity,
      ...(l.lot_number ? { lot_number: l.lot_number } : {}), ...(l.serials.length ? { serials: l.serials } : {}),
    }));
    const n = units(lines);
    const event = await act('pack_items', { order_id: id, lines, ...(draft.sscc ? { sscc: draft.sscc } : {}), close },
      { label: { key: close ? 'label.pack' : 'label.pack_open', vars: { n, order: view.number } } });
    lastPack = event.event_id;
    justPacked = null;
    draft = { ...fresh(), ship: draft.ship };
    await save();
    message.show('ok', t(close ? 'pack.closed_queued' : 'pack.open_queued', { n }));
    signal('ok');
    await draw();
  }

  async function ship(scannedOnly) {
    if (draft.lines.length) { message.show('warn', t('pack.close_first')); signal('warn'); return; }
    const waiting = local.packages.filter((p) => p.status !== 'shipped');
    let ssccs = null;
    if (scannedOnly) ssccs = [...draft.ship];
    else if (local.toPack > 0) {
      // Units are left unpacked: only the closed packages go, named by their SSCCs.
      if (waiting.some((p) => !p.sscc)) { message.show('warn', t('pack.wait_for_sscc')); signal('warn'); return; }
      ssccs = waiting.filter((p) => p.status === 'closed').map((p) => p.sscc);
      if (!ssccs.length) { message.show('warn', t('pack.nothing_closed')); signal('warn'); return; }
    }
    // Everything picked is packed: the order ships whole, after the packing this device still
    // has to send (if that is refused, so is the shipment).
    const dependsOn = ssccs ? [] : local.pending.filter((e) => e.type === 'pack_items').map((e) => e.event_id);
    await act('ship_order', { order_id: id, ...(ssccs ? { package_ssccs: ssccs } : {}) }, {
      dependsOn,
      label: ssccs
        ? { key: 'label.ship_packages', vars: { n: ssccs.length, order: view.number } }
        : { key: 'label.ship', vars: { order: view.number } },
    });
    draft = fresh();
    await dropDraft(draftKey);
    message.show('ok', t('pack.ship_queued'));
    signal('ok');
    await draw();
  }

  async function takeOut(line) {
    draft.lines = draft.lines
      .map((l) => (l !== line ? l : l.serials.length
        ? { ...l, serials: l.serials.slice(0, -1), quantity: l.quantity - 1 }
        : { ...l, quantity: l.quantity - 1 }))
      .filter((l) => l.quantity > 0);
    await save();
    await draw();
  }

  async function clearDraft() {
    draft = { ...fresh(), ship: draft.ship };
    serialFor = null;
    await save();
    message.hide();
    await draw();
  }

  async function addTo(sscc) {
    if (draft.lines.length && draft.sscc !== sscc) { message.show('warn', t('pack.close_first')); return 'warn'; }
    draft.sscc = sscc;
    await save();
    await draw();
    message.show('ok', t('pack.adding_to_sscc', { sscc }));
    return 'ok';
  }

  async function scanPackage(sscc) {
    const p = local.packages.find((x) => x.sscc === sscc);
    if (!p) { message.show('error', t('pack.not_this_order', { sscc })); return 'error'; }
    if (p.status === 'shipped' || p.shipping) { message.show('warn', t('pack.package_shipped', { sscc })); return 'warn'; }
    if (p.status === 'open') return addTo(sscc);
    if (draft.ship.includes(sscc)) { message.show('warn', t('pack.scanned_twice')); return 'warn'; }
    draft.ship.push(sscc);
    await save();
    await draw();
    const closed = local.packages.filter((x) => x.status === 'closed' && !x.shipping).length;
    message.show('ok', t('pack.ready_to_ship', { n: draft.ship.length, total: closed }));
    return 'ok';
  }

  async function scanItem(res) {
    const { item } = res;
    const rows = local.rows.filter((r) => r.item_id === item.id);
    if (!rows.length) { message.show('error', t('pack.not_on_order', { sku: item.sku })); return 'error'; }
    let lines;
    let n = res.quantity || 1;
    if (rows[0].tracking === 'serial') {
      if (!res.serial) {
        serialFor = item;
        message.show('info', t('pack.scan_serial', { sku: item.sku }));
        return 'ok';
      }
      // The same label scanned again is a slip, not a serial missing from the order: say which.
      if (draft.lines.some((l) => l.serials.includes(res.serial))) {
        message.show('warn', t('pack.serial_twice', { serial: res.serial }));
        return 'warn';
      }
      n = 1;
      lines = addToDraft(draft.lines, { item, quantity: 1, serial: res.serial });
    } else {
      const lot = res.lot_number || null;
      if (lot && !rows.some((r) => r.lot_number === lot)) { message.show('error', t('pack.wrong_lot', { lot, sku: item.sku })); return 'error'; }
      lines = addToDraft(draft.lines, { item, quantity: n, lot_number: lot });
    }
    if (!afterDraft(local.rows, lines)) {
      const left = (afterDraft(local.rows, draft.lines) || local.rows).filter((r) => r.item_id === item.id && (!res.lot_number || r.lot_number === res.lot_number));
      const available = res.serial ? 0 : left.reduce((sum, r) => sum + r.to_pack, 0);
      message.show('error', res.serial ? t('pack.serial_not_picked', { serial: res.serial }) : t('pack.too_many', { n: available, sku: item.sku }));
      return 'error';
    }
    draft.lines = lines;
    serialFor = null;
    justPacked = null;
    await save();
    await draw();
    message.show('ok', t('pack.added', { n, sku: item.sku, total: units(lines) }));
    return 'ok';
  }

  async function onScan(res) {
    if (!local) return 'error';
    if (view.status === 'shipped' || local.shipping) { message.show('warn', t('pack.already_shipping')); return 'warn'; }
    const sscc = ssccOf(res);
    if (sscc) return scanPackage(sscc);
    if (res.kind === 'item') return scanItem(res);
    if (serialFor && res.kind === 'unknown' && !res.gs1Error) return scanItem({ item: serialFor, serial: res.code, quantity: 1 });
    if (res.kind === 'location') { message.show('warn', t('pack.not_item')); return 'warn'; }
    message.show('error', res.gs1Error ? t('scan.gs1_invalid', { ai: res.gs1Ai || '?' }) : t('scan.unknown', { code: res.code }));
    return 'error';
  }

  const reload = async () => { await load(); await draw(); };
  const off = onOutboxChange((reason) => (reason === 'settled' ? reload() : draw()));
  window.addEventListener('online', reload);
  window.addEventListener('stockhand:refreshed', reload);
  await reload();
  const el = h('div', {}, heading, message, bar, body);
  return {
    el, title: t('pack.title'), back: '/pack', onScan,
    cleanup: () => { bar.cleanup(); off(); window.removeEventListener('online', reload); window.removeEventListener('stockhand:refreshed', reload); },
  };
}
