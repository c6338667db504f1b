// Moving data between the device and the server: sending the outbox through /api/sync and
// refreshing master data and tasks from /api/sync/snapshot (a delta after the first time).
//
// When: on page load, when the browser says it is back online, every 30 seconds, when the
// app comes back to the foreground, after every new action, and when the service worker
// relays a Background Sync. One run at a time; a trigger during a run asks for one more.

import { api, allPages, ApiError, AuthExpired, NetworkError } from './api.js';
import { put } from './db.js';
import { applySnapshot, snapshotState } from './masterdata.js';
import { pending, settle, noteAttempt, pruneSent, onOutboxChange, waitingCount, rejectedCount } from './outbox.js';
import { user, needsSignIn, onSessionChange } from './session.js';

const BATCH = 100;
const PERIOD_MS = 30000;

export const state = {
  reachable: true, // the last request got an answer
  syncing: false,
  waiting: 0,
  rejected: 0,
  lastSync: null, // when the outbox was last emptied or the snapshot last refreshed
  lastError: null,
};
const listeners = new Set();
export const onSyncState = (fn) => { listeners.add(fn); return () => listeners.delete(fn); };
const emit = () => listeners.forEach((fn) => fn(state));

export const isOnline = () => navigator.onLine && state.reachable;

let running = null;
let again = false;

export function syncNow() {
  if (running) { again = true; return running; }
  running = (async () => {
    state.syncing = true;
    emit();
    try {
      do {
        again = false;
        await flush();
        if (isOnline() && user() && !needsSignIn()) await refresh();
      } while (again);
    } finally {
      state.syncing = false;
      running = null;
      await counts();
    }
  })();
  return running;
}

async function counts() {
  state.waiting = await waitingCount();
  state.rejected = await rejectedCount();
  emit();
}

function reached(ok, error = null) {
  state.reachable = ok;
  if (ok) state.lastError = null;
  else if (error) state.lastError = String(error.message || error);
}

// Send the signed-in user's queued events in order, 100 at a time. Only the user who made
// an event sends it: events queued before someone else signed in on this device wait.
export async function flush() {
  const me = user();
  if (!me || needsSignIn()) return;
  for (;;) {
    const batch = (await pending(me.id)).slice(0, BATCH);
    if (!batch.length) { state.lastSync = Date.now(); break; }
    try {
      const answer = await api('/api/sync', { method: 'POST', body: { events: batch.map((r) => r.event) } });
      reached(true);
      await settle(answer.outcomes);
    } catch (error) {
      if (error instanceof AuthExpired) return; // session.js parks sending and asks to sign in
      if (error instanceof NetworkError) { reached(false, error); return; }
      reached(true, error);
      if (error instanceof ApiError && (error.status === 400 || error.status === 422)) {
        // The batch as a whole did not validate: one event is malformed. Send them one by one
        // so the bad one is rejected with the reason and the others go through.
        if (!(await isolate(batch))) return;
        continue;
      }
      state.lastError = error.message;
      await noteAttempt(batch.map((r) => r.seq), error.message);
      return; // 5xx: try again at the next trigger
    }
  }
}

async function isolate(batch) {
  for (const record of batch) {
    try {
      const answer = await api('/api/sync', { method: 'POST', body: { events: [record.event] } });
      await settle(answer.outcomes);
    } catch (error) {
      if (error instanceof ApiError && !(error instanceof AuthExpired) && (error.status === 400 || error.status === 422)) {
        const detail = error.details?.errors?.map((e) => `${e.key}: ${e.message}`).join('; ');
        await settle([{ event_id: record.event.event_id, status: 'rejected', code: 'invalid_event', message: detail || error.message }]);
        continue;
      }
      if (error instanceof NetworkError) reached(false, error);
      return false;
    }
  }
  return true;
}

// Master data and tasks: a delta since the stored cursor (a full snapshot the first time, or
// when another user signed in on this device), then the documents the queued tasks need
// offline: a purchase order to receive against, a count's lines.
export async function refresh() {
  const me = user();
  const started = Date.now();
  const previous = await snapshotState();
  const since = previous && previous.user_id === me.id ? previous.cursor : null;
  try {
    const snapshot = await api(`/api/sync/snapshot${since ? `?since=${encodeURIComponent(since)}` : ''}`);
    reached(true);
    await applySnapshot(snapshot, me.id);
    await prefetch(snapshot.tasks);
    // Events acknowledged before this refresh are now part of the tasks' own progress.
    await pruneSent(started);
    state.lastSync = Date.now();
    document.body.dataset.synced = String(state.lastSync); // lets tests wait for it
    window.dispatchEvent(new CustomEvent('stockhand:refreshed'));
  } catch (error) {
    if (error instanceof NetworkError) reached(false, error);
    else if (!(error instanceof AuthExpired)) state.lastError = error.message;
  }
}

async function prefetch(tasks) {
  const jobs = tasks.map(async (task) => {
    if (task.type === 'receive' && task.document_type === 'purchase_order') {
      const order = await api(`/api/purchase-orders/${task.document_id}`);
      await put('docs', { key: `po:${task.document_id}`, value: order, at: Date.now() });
    } else if (task.type === 'count' && task.document_type === 'count') {
      const count = await api(`/api/counts/${task.document_id}?task_id=${task.id}`);
      await put('docs', { key: `count-task:${task.id}`, value: count, at: Date.now() });
    }
  });
  jobs.push((async () => {
    const transfers = await allPages('/api/transfers?status=open', { max: 100, limit: 100 });
    const moving = await allPages('/api/transfers?status=in_transit', { max: 100, limit: 100 });
    const partial = await allPages('/api/transfers?status=partially_received', { max: 100, limit: 100 });
    await put('docs', { key: 'transfers', value: [...transfers, ...moving, ...partial], at: Date.now() });
  })());
  await Promise.allSettled(jobs);
}

let timer = null;

export function startSync() {
  window.addEventListener('online', () => { state.reachable = true; emit(); syncNow(); });
  window.addEventListener('offline', () => emit());
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') syncNow(); });
  navigator.serviceWorker?.addEventListener('message', (event) => {
    if (event.data?.type === 'flush') syncNow();
  });
  onOutboxChange((reason) => { counts(); if (reason === 'queued' && isOnline()) syncNow(); });
  onSessionChange(() => { counts(); syncNow(); });
  clearInterval(timer);
  // The timer also finds the network again when no online event came (a Wi-Fi that was up
  // but reached nothing).
  timer = setInterval(() => { if (navigator.onLine) syncNow(); }, PERIOD_MS);
  counts();
  return syncNow();
}
