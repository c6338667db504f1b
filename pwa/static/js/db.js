// IndexedDB, opened once, behind a few promise helpers.
//
// Why no library: the app needs get/put/delete/getAll over a handful of stores and one
// multi-store transaction helper; that is less code than the glue around a dependency.
//
// Upgrades only ever add stores or indexes. A store that may hold unsent work (outbox,
// rejected, drafts) is never deleted or cleared by a migration: the worker's scans are the
// one thing the device must not lose.

const NAME = 'stockhand';
const VERSION = 1;

const STORES = {
  meta: { keyPath: 'key' },
  warehouses: { keyPath: 'id' },
  items: { keyPath: 'id', indexes: { sku: 'sku' } },
  barcodes: { keyPath: 'code', indexes: { item_id: 'item_id' } },
  locations: { keyPath: 'id', indexes: { barcode: 'barcode', code: 'code' } },
  lots: { keyPath: 'id', indexes: { item_id: 'item_id' } },
  tasks: { keyPath: 'id' },
  // Documents fetched while online for offline work: a purchase order, a count's lines.
  docs: { keyPath: 'key' },
  // Commands waiting for the server's acknowledgement, in the order they were made.
  outbox: { keyPath: 'seq', autoIncrement: true, indexes: { event_id: { path: 'event.event_id', unique: true } } },
  // Commands the server refused, kept for the worker to fix or dismiss.
  rejected: { keyPath: 'event_id' },
  // Commands acknowledged since the task list was last refreshed: until the refreshed list
  // shows their effect, the screens still count them as done.
  sent: { keyPath: 'event_id' },
  // Work in progress on a screen (a bin half counted), so a reload resumes it.
  drafts: { keyPath: 'key' },
};

let opening = null;

export function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = () => upgrade(request.result, request.transaction);
      request.onsuccess = () => {
        const db = request.result;
        // Another tab with a newer version asks us to let go; reloading picks up the new code.
        db.onversionchange = () => { db.close(); location.reload(); };
        resolve(db);
      };
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error('database upgrade blocked by another tab'));
    });
  }
  return opening;
}

function upgrade(db, transaction) {
  for (const [name, spec] of Object.entries(STORES)) {
    const store = db.objectStoreNames.contains(name)
      ? transaction.objectStore(name)
      : db.createObjectStore(name, { keyPath: spec.keyPath, autoIncrement: !!spec.autoIncrement });
    for (const [index, def] of Object.entries(spec.indexes || {})) {
      if (store.indexNames.contains(index)) continue;
      const path = typeof def === 'string' ? def : def.path;
      store.createIndex(index, path, { unique: typeof def === 'object' && !!def.unique });
    }
  }
}

const done = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

// Run `work(stores)` in one transaction over `names`; resolves with work's result once the
// transaction has committed. `durable` asks the browser to flush to disk before reporting
// completion (Chromium otherwise relaxes durability), for writes a crash must not undo.
export async function transact(names, mode, work, { durable = false } = {}) {
  const db = await openDb();
  const list = Array.isArray(names) ? names : [names];
  const options = durable ? { durability: 'strict' } : undefined;
  const tx = db.transaction(list, mode, options);
  const stores = Object.fromEntries(list.map((n) => [n, tx.objectStore(n)]));
  const finished = new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
    tx.onerror = () => reject(tx.error);
  });
  let result;
  try {
    result = await work(stores, done);
  } catch (error) {
    try { tx.abort(); } catch { /* already finished */ }
    throw error;
  }
  await finished;
  return result;
}

export const get = (store, key) => transact(store, 'readonly', (s) => done(s[store].get(key)));
export const getAll = (store) => transact(store, 'readonly', (s) => done(s[store].getAll()));
export const count = (store) => transact(store, 'readonly', (s) => done(s[store].count()));
export const put = (store, value, opts) =>
  transact(store, 'readwrite', (s) => done(s[store].put(value)), opts);
export const del = (store, key, opts) =>
  transact(store, 'readwrite', (s) => done(s[store].delete(key)), opts);

export const byIndex = (store, index, value) =>
  transact(store, 'readonly', (s) => done(s[store].index(index).getAll(value)));
export const firstByIndex = (store, index, value) =>
  transact(store, 'readonly', (s) => done(s[store].index(index).get(value)));

export async function getMeta(key, fallback = undefined) {
  const row = await get('meta', key);
  return row === undefined ? fallback : row.value;
}

export const setMeta = (key, value) => put('meta', { key, value }, { durable: true });
