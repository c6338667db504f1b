// Identifiers and timestamps the server's command envelope asks for.

import { getMeta, setMeta } from './db.js';

// crypto.randomUUID exists only in secure contexts (https, localhost); a handheld opened
// over plain http on the LAN still needs version-4 UUIDs, so build one from random bytes.
export function uuid() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ISO 8601 in the device's local time with its offset ("2026-11-27T14:02:03.120+08:00"):
// the server judges an offline count as of this moment, and people read it in local time.
export function isoWithOffset(date = new Date()) {
  const pad = (n, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
    + `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
    + `.${pad(date.getMilliseconds(), 3)}${sign}${pad(Math.trunc(minutes / 60))}:${pad(minutes % 60)}`;
}

let deviceId = null;

// One id per installation, kept in IndexedDB with the outbox it labels.
export async function getDeviceId() {
  if (deviceId) return deviceId;
  deviceId = await getMeta('device_id');
  if (!deviceId) {
    deviceId = `pwa-${uuid()}`;
    await setMeta('device_id', deviceId);
  }
  return deviceId;
}
