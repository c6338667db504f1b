// The packing station's arithmetic, apart from the screen: the server's view of an order plus
// this device's packing and shipping it does not include yet, and taking scanned units from
// what is picked the way the server's packing does (the serials named, else the lot named,
// else the lots in the order the view lists them), so the device never offers what the
// server would refuse.

const copyRows = (rows) => rows.map((r) => ({ ...r, serials: [...r.serials] }));

// The units a pack line would take, as [{ row, quantity, serials }], or null when the rows
// do not hold that many.
export function take(rows, { item_id: itemId, quantity, lot_number: lot = null, serials = [] }) {
  const mine = rows.filter((r) => r.item_id === itemId);
  if (serials.length) {
    const taken = [];
    for (const serial of serials) {
      const row = mine.find((r) => r.serials.includes(serial) && !taken.some((x) => x.serials[0] === serial));
      if (!row) return null;
      taken.push({ row, quantity: 1, serials: [serial] });
    }
    return taken;
  }
  let need = quantity;
  const taken = [];
  for (const row of mine.filter((r) => lot === null || r.lot_number === lot)) {
    const n = Math.min(need, row.to_pack);
    if (n > 0) {
      taken.push({ row, quantity: n, serials: [] });
      need -= n;
    }
    if (!need) break;
  }
  return need ? null : taken;
}

function apply(taken) {
  for (const { row, quantity, serials } of taken) {
    row.to_pack -= quantity;
    row.packed += quantity;
    row.serials = row.serials.filter((s) => !serials.includes(s));
  }
}

// Lines naming a lot go first: a line without one takes the first lots, which a later line
// may have named.
export const commandLines = (lines) => [...lines].sort((a, b) => !!b.lot_number - !!a.lot_number);

function packageLines(taken) {
  return taken.flatMap(({ row, quantity, serials }) => (serials.length
    ? serials.map((serial) => ({ item_id: row.item_id, sku: row.sku, lot_number: row.lot_number, serial, quantity: 1 }))
    : [{ item_id: row.item_id, sku: row.sku, lot_number: row.lot_number, serial: null, quantity }]));
}

// `events` are the device's queued and recently acknowledged commands; those the view lists
// in applied_event_ids are in it already.
export function localView(view, events) {
  const applied = new Set(view.applied_event_ids);
  const pending = events.filter((e) => (e.type === 'pack_items' || e.type === 'ship_order')
    && e.order_id === view.id && !applied.has(e.event_id));
  const rows = copyRows(view.rows);
  const packages = view.packages.map((p) => ({ ...p, lines: [...p.lines] }));
  let shipping = null;
  for (const event of pending) {
    if (event.type === 'ship_order') {
      shipping = event;
      const named = new Set(event.package_ssccs || []);
      for (const p of packages) {
        if (p.status !== 'shipped' && (!named.size || named.has(p.sscc))) p.shipping = true;
      }
      continue;
    }
    const taken = commandLines(event.lines).flatMap((line) => {
      const units = take(rows, line) || [];
      apply(units);
      return units;
    });
    const status = event.close ? 'closed' : 'open';
    const target = event.sscc ? packages.find((p) => p.sscc === event.sscc) : null;
    if (target) {
      target.lines.push(...packageLines(taken));
      target.status = status;
      target.pending = true;
    } else {
      packages.push({ id: null, sscc: event.sscc || null, status, lines: packageLines(taken), pending: true, event_id: event.event_id });
    }
  }
  const toPack = rows.reduce((n, r) => n + r.to_pack, 0);
  return { ...view, rows, packages, pending, shipping, toPack };
}

// The rows left to pack once the package being packed is counted too; null when the draft
// asks for more than is there.
export function afterDraft(rows, draftLines) {
  const left = copyRows(rows);
  for (const line of commandLines(draftLines)) {
    const taken = take(left, line);
    if (!taken) return null;
    apply(taken);
  }
  return left;
}

// A scanned unit (or case) added to the package being packed: the same item and lot add up,
// a serial is its own unit.
export function addToDraft(lines, { item, quantity, lot_number: lot = null, serial = null }) {
  const next = lines.map((l) => ({ ...l, serials: [...l.serials] }));
  let line = next.find((l) => l.item_id === item.id && l.lot_number === lot);
  if (!line) {
    line = { item_id: item.id, sku: item.sku, lot_number: lot, quantity: 0, serials: [] };
    next.push(line);
  }
  if (serial) {
    line.serials.push(serial);
    line.quantity = line.serials.length;
  } else {
    line.quantity += quantity;
  }
  return next;
}
