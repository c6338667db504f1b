// The outbox: every action the worker takes, kept on the device until the server has
// acknowledged that exact event_id.
//
// Rules (the reason this module exists):
// - write before send: an action is durable in IndexedDB before anything is sent, so a
//   reload, a crash or a closed app loses nothing;
// - delete only on the server's answer for that event_id: `applied` or `duplicate` removes
//   it (a duplicate means an earlier send got through); `rejected` moves it to the rejected
//   list with the server's reason, for the worker to fix or dismiss;
// - order is kept (auto-increment key), because the server applies a batch in order and a
//   pick may depend on the claim queued before it.

import { transact, getAll, count } from './db.js';
import { uuid, isoWithOffset, getDeviceId } from './ids.js';

const listeners = new Set();

export function onOutboxChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// `reason` is 'queued' (something new to send), 'settled' or 'dismissed'.
function changed(reason) {
  for (const fn of listeners) {
    try { fn(reason); } catch (error) { console.error(error); }
  }
}

// Queue a command. `fields` are the command's own fields; `label` is what the outbox screen
// shows (kept apart so the command sent is exactly what the server's schema takes).
export async function enqueue(type, fields, { dependsOn = [], occurredAt = new Date(), label = {}, userId } = {}) {
  const event = {
    type,
    event_id: uuid(),
    device_id: await getDeviceId(),
    occurred_at: isoWithOffset(occurredAt),
    ...(dependsOn.length ? { depends_on: dependsOn } : {}),
    ...fields,
  };
  const record = { event, user_id: userId, queued_at: Date.now(), attempts: 0, label };
  await transact('outbox', 'readwrite', (s, done) => done(s.outbox.add(record)), { durable: true });
  changed('queued');
  requestBackgroundSync();
  return event;
}

// Ask the service worker for a Background Sync where the browser has it: the SW wakes when
// connectivity returns, even with the page in the background, and tells the page to flush.
async function requestBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker?.ready;
    await registration?.sync?.register('outbox');
  } catch {
    // Not supported or not allowed: the online event and the timer cover it.
  }
}

export async function pending(userId) {
  const all = await getAll('outbox');
  return all.filter((r) => userId === undefined || r.user_id === userId).sort((a, b) => a.seq - b.seq);
}

export const waitingCount = () => count('outbox');
export const rejectedList = async () => (await getAll('rejected')).sort((a, b) => a.rejected_at - b.rejected_at);
export const rejectedCount = () => count('rejected');

// Apply the server's outcomes: one transaction, so a crash between two outcomes never leaves
// an event both acknowledged and still queued.
export async function settle(outcomes) {
  const now = Date.now();
  await transact(['outbox', 'rejected', 'sent'], 'readwrite', async (s, done) => {
    for (let outcome of outcomes) {
      const record = await done(s.outbox.index('event_id').get(outcome.event_id));
      if (!record) continue;
      await done(s.outbox.delete(record.seq));
      // A duplicate repeats the first outcome: if an earlier send was refused and its answer
      // got lost, the event is still a rejection the worker must see.
      const first = outcome.status === 'duplicate' ? outcome.first_outcome || {} : null;
      if (first && first.status === 'rejected') outcome = { ...first, event_id: outcome.event_id };
      if (outcome.status === 'applied' || outcome.status === 'duplicate') {
        await done(s.sent.put({ event_id: outcome.event_id, event: record.event, label: record.label, outcome, acked_at: now }));
      } else {
        await done(s.rejected.put({
          event_id: outcome.event_id, event: record.event, label: record.label, user_id: record.user_id,
          code: outcome.code || 'rejected', message: outcome.message || '', details: outcome.details || {},
          rejected_at: now,
        }));
      }
    }
  }, { durable: true });
  changed('settled');
}

export async function noteAttempt(seqs, error) {
  await transact('outbox', 'readwrite', async (s, done) => {
    for (const seq of seqs) {
      const record = await done(s.outbox.get(seq));
      if (!record) continue;
      record.attempts += 1;
      record.last_error = String(error || '');
      await done(s.outbox.put(record));
    }
  });
}

export async function dismiss(eventId) {
  await transact('rejected', 'readwrite', (s, done) => done(s.rejected.delete(eventId)), { durable: true });
  changed('dismissed');
}

// Try a rejected action again, as a new event: the server keeps the first outcome of an
// event_id for ever, so resending the old id would only answer "duplicate: rejected".
export async function retry(eventId, changes = {}) {
  const rows = await getAll('rejected');
  const row = rows.find((r) => r.event_id === eventId);
  if (!row) return null;
  const { type, event_id: _old, device_id: _d, occurred_at: occurred, depends_on: _deps, ...fields } = row.event;
  await dismiss(eventId);
  return enqueue(type, { ...fields, ...changes }, { occurredAt: new Date(occurred), label: row.label, userId: row.user_id });
}

// Acknowledged events the refreshed task list already reflects are no longer needed.
export async function pruneSent(before) {
  await transact('sent', 'readwrite', async (s, done) => {
    for (const row of await done(s.sent.getAll())) {
      if (row.acked_at < before) await done(s.sent.delete(row.event_id));
    }
  });
}

// Events whose effect the local task list may not show yet: queued ones and acknowledged
// ones since the last refresh. Screens add these to the server's progress.
export async function unreflected() {
  const [queued, sent] = await Promise.all([getAll('outbox'), getAll('sent')]);
  return [...queued.map((r) => r.event), ...sent.map((r) => r.event)];
}
