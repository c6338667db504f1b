// Master data from /api/sync/snapshot, kept in IndexedDB for offline scan resolution.
//
// The snapshot comes as tables of column names plus rows; rows are turned into objects and
// upserted by id, since a delta may repeat rows. A delta's barcodes replace the whole list of
// each item it names (a removed barcode must stop resolving).

import { transact, get, getAll, byIndex, firstByIndex } from './db.js';

const TABLES = ['warehouses', 'items', 'locations', 'lots'];

const rowsOf = (table) => table.rows.map((row) => Object.fromEntries(table.columns.map((c, i) => [c, row[i]])));

export async function applySnapshot(snapshot, userId) {
  await transact(['warehouses', 'items', 'barcodes', 'locations', 'lots', 'tasks', 'meta'], 'readwrite', async (s, done) => {
    if (snapshot.full) {
      for (const name of [...TABLES, 'barcodes']) await done(s[name].clear());
    }
    for (const name of TABLES) {
      for (const row of rowsOf(snapshot[name])) await done(s[name].put(row));
    }
    const barcodes = rowsOf(snapshot.barcodes);
    if (snapshot.barcodes.replaces_items) {
      const items = new Set(rowsOf(snapshot.items).map((i) => i.id));
      for (const itemId of items) {
        for (const old of await done(s.barcodes.index('item_id').getAll(itemId))) {
          await done(s.barcodes.delete(old.code));
        }
      }
    }
    for (const row of barcodes) await done(s.barcodes.put(row));
    // The task list is always the user's whole queue.
    await done(s.tasks.clear());
    for (const task of snapshot.tasks) await done(s.tasks.put(task));
    // The cursor is saved in the same transaction as the rows it covers.
    await done(s.meta.put({ key: 'snapshot', value: { cursor: snapshot.cursor, user_id: userId, taken_at: snapshot.taken_at, at: Date.now() } }));
  });
}

export const snapshotState = async () => (await get('meta', 'snapshot'))?.value || null;

// A GTIN as it may be stored: as scanned, as GTIN-14 with leading zeros, and without them
// down to 8 digits (an EAN-13 scanned from a UPC-A label, a GTIN-14 carried in GS1 data).
export function gtinForms(code) {
  if (!/^\d+$/.test(code) || ![8, 12, 13, 14].includes(code.length)) return [code];
  const forms = new Set([code, code.padStart(14, '0')]);
  let stripped = code.padStart(14, '0');
  while (stripped.startsWith('0') && stripped.length > 8) {
    stripped = stripped.slice(1);
    forms.add(stripped);
  }
  return [...forms];
}

export async function barcodeOf(code) {
  for (const form of gtinForms(code)) {
    const row = await get('barcodes', form);
    if (row && row.active !== false) return row;
  }
  return null;
}

export const item = (id) => get('items', id);
export const itemBySku = (sku) => firstByIndex('items', 'sku', sku);
export const location = (id) => get('locations', id);
export const locationByBarcode = (code) => firstByIndex('locations', 'barcode', code);
export const locationByCode = (code) => firstByIndex('locations', 'code', code);
export const lotsOf = (itemId) => byIndex('lots', 'item_id', itemId);
export const barcodesOf = (itemId) => byIndex('barcodes', 'item_id', itemId);
export const warehouses = () => getAll('warehouses');
export const locations = () => getAll('locations');
export const tasks = () => getAll('tasks');
export const task = (id) => get('tasks', id);

export async function caseBarcode(itemId) {
  return (await barcodesOf(itemId)).find((b) => b.quantity > 1 && b.active !== false) || null;
}
