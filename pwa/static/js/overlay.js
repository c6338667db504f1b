// Local progress: the server's task state plus the actions this device has made that the
// stored task list does not show yet (queued, or acknowledged since the last refresh). It is
// what keeps a pick line done on screen after the worker picked it offline.

import { unreflected } from './outbox.js';

export async function localProgress() {
  const events = await unreflected();
  const done = new Map(); // task_line_id -> quantity picked/put away
  const closed = new Set(); // task_line_id closed short
  const counted = new Set(); // count_line_id
  const received = new Map(); // purchase order line id -> quantity received
  const claimed = new Set(); // task_id
  for (const e of events) {
    if (e.type === 'pick_item' || e.type === 'put_away') {
      done.set(e.task_line_id, (done.get(e.task_line_id) || 0) + e.quantity);
      if (e.short) closed.add(e.task_line_id);
    } else if (e.type === 'record_count') {
      counted.add(e.count_line_id);
    } else if (e.type === 'receive_goods') {
      received.set(e.line_id, (received.get(e.line_id) || 0) + e.quantity + (e.damaged_quantity || 0));
    } else if (e.type === 'claim_task') {
      claimed.add(e.task_id);
    }
  }
  return {
    lineDone: (line) => line.done_quantity + (done.get(line.id) || 0),
    lineOpen: (line) => line.status === 'open' && !closed.has(line.id) && line.done_quantity + (done.get(line.id) || 0) < line.quantity,
    countLineOpen: (line) => line.status === 'open' && !counted.has(line.id),
    receivedOn: (lineId) => received.get(lineId) || 0,
    claimed: (taskId) => claimed.has(taskId),
    claimEvent: (taskId) => events.find((e) => e.type === 'claim_task' && e.task_id === taskId) || null,
  };
}
