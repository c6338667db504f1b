// Web push: subscribe this device with the server's VAPID public key, and choose which
// alert kinds are pushed. Everything here needs the network and a server with push set up;
// `status()` says which of those is missing so the settings screen can explain it.

import { api, ApiError } from './api.js';
import { getDeviceId } from './ids.js';

export const KINDS = ['low_stock', 'near_expiry', 'expired', 'count_variance', 'sensor'];

// 'ready' | 'no-api' (this server has no /api/push) | 'off' (push not configured there) |
// 'unsupported' (this browser has no Push API) | 'offline'.
export async function status() {
  if (!('PushManager' in window) || !navigator.serviceWorker) return { state: 'unsupported' };
  try {
    const { public_key: key } = await api('/api/push/key');
    return { state: 'ready', key };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { state: 'no-api' };
    if (error instanceof ApiError) return { state: 'off' };
    return { state: 'offline' };
  }
}

function keyBytes(base64url) {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(base64url.length / 4) * 4, '=');
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

export async function currentSubscription() {
  const registration = await navigator.serviceWorker.ready;
  return registration.pushManager.getSubscription();
}

export async function subscribe(key) {
  if (Notification.permission !== 'granted' && (await Notification.requestPermission()) !== 'granted') {
    throw new Error('permission');
  }
  const registration = await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  const json = subscription.toJSON();
  await api('/api/push/subscriptions', {
    method: 'POST',
    body: { endpoint: json.endpoint, keys: json.keys, expirationTime: json.expirationTime ?? null, device_id: await getDeviceId(), user_agent: navigator.userAgent.slice(0, 300) },
  });
  return subscription;
}

export async function unsubscribe() {
  const subscription = await currentSubscription();
  if (!subscription) return;
  await api(`/api/push/subscriptions?endpoint=${encodeURIComponent(subscription.endpoint)}`, { method: 'DELETE' });
  await subscription.unsubscribe();
}

export const preferences = () => api('/api/push/preferences');
export const setPreference = (warehouseId, kinds) => api('/api/push/preferences', { method: 'PUT', body: { warehouse_id: warehouseId, kinds } });
