// One queue for every scan, whatever read it (camera, wedge scanner, typed): scans are
// resolved and handed to the current screen one at a time, in order, so a fast burst from
// a wedge scanner is never interleaved or lost while an earlier scan is still being looked
// up in IndexedDB.

import { resolve } from './resolve.js';
import { signal } from './feedback.js';

const queue = [];
let running = false;
let handler = null;
export const scanLog = []; // the last scans with their outcome, for the screens and tests

// The screen that owns scans now; `fn(resolution)` returns 'ok' | 'warn' | 'error' (or a
// promise of one) and does its own on-screen messaging.
export function setScanHandler(fn) { handler = fn; }

export function submitScan(text, source = 'manual') {
  const code = String(text || '').trim();
  if (!code) return;
  queue.push({ code, source, at: Date.now() });
  if (!running) drain();
}

async function drain() {
  running = true;
  while (queue.length) {
    const scan = queue.shift();
    let outcome = 'error';
    try {
      const resolution = await resolve(scan.code);
      resolution.source = scan.source;
      outcome = handler ? (await handler(resolution)) || 'ok' : 'warn';
    } catch (error) {
      console.error(error);
    }
    signal(outcome);
    scanLog.push({ ...scan, outcome });
    if (scanLog.length > 200) scanLog.shift();
    window.dispatchEvent(new CustomEvent('stockhand:scan', { detail: { ...scan, outcome } }));
  }
  running = false;
}
