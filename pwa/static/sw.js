// The service worker: keeps the app shell in a versioned cache so the app starts with no
// network, and relays Background Sync to the page, which owns the outbox.
//
// VERSION is a digest of the shell's files (scripts/pwa_shell_version.py writes it; a test
// fails when it is stale), so every deploy that changes a file changes the cache name, the
// browser installs the new worker, and the page offers to switch to it.

const VERSION = '22a54789dc07';
const CACHE = `stockhand-shell-${VERSION}`;

const SHELL = [
  './',
  'index.html',
  'manifest.webmanifest',
  'css/app.css',
  'i18n/en.json',
  'i18n/zh-CN.json',
  'icons/icon-192.png',
  'icons/icon-512.png',
  'icons/maskable-192.png',
  'icons/maskable-512.png',
  'icons/apple-touch-icon.png',
  'js/api.js',
  'js/app.js',
  'js/db.js',
  'js/dom.js',
  'js/feedback.js',
  'js/gs1.js',
  'js/i18n.js',
  'js/ids.js',
  'js/masterdata.js',
  'js/outbox.js',
  'js/overlay.js',
  'js/packing.js',
  'js/push.js',
  'js/resolve.js',
  'js/router.js',
  'js/scan.js',
  'js/scanqueue.js',
  'js/session.js',
  'js/sync.js',
  'js/wedge.js',
  'js/ui/approvals.js',
  'js/ui/assign.js',
  'js/ui/common.js',
  'js/ui/count.js',
  'js/ui/counts-admin.js',
  'js/ui/dashboard.js',
  'js/ui/dashboard_charts.js',
  'js/ui/expiry.js',
  'js/ui/login.js',
  'js/ui/lookup.js',
  'js/ui/lowstock.js',
  'js/ui/move.js',
  'js/ui/outbox.js',
  'js/ui/pack.js',
  'js/ui/pick.js',
  'js/ui/putaway.js',
  'js/ui/receive.js',
  'js/ui/scanbar.js',
  'js/ui/settings.js',
  'js/ui/shell.js',
  'js/ui/tasks.js',
  'js/ui/transfer.js',
  'vendor/uplot/LICENSE',
  'vendor/uplot/README.md',
  'vendor/uplot/uPlot.esm.js',
  'vendor/uplot/uPlot.min.css',
];

self.addEventListener('install', (event) => {
  // cache: 'reload' skips the HTTP cache, so the new version never caches an old file.
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: 'reload' })))));
  // No skipWaiting here: a worker in the middle of a pick switches when they say so.
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith('stockhand-shell-') && n !== CACHE).map((n) => caches.delete(n)));
    // The first install takes the open page at once, so it works offline from the start.
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'skip-waiting') self.skipWaiting();
  if (event.data?.type === 'version') event.source?.postMessage({ type: 'version', version: VERSION });
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  // The API always goes to the network: the page keeps what it needs in IndexedDB.
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')
      || url.pathname.startsWith('/schema') || url.pathname === '/health') return;
  if (request.mode === 'navigate') {
    // Any page of the app is the shell; routes live in the URL's hash.
    event.respondWith(caches.match('index.html', { cacheName: CACHE }).then((hit) => hit || fetch(request)));
    return;
  }
  event.respondWith(caches.match(request, { cacheName: CACHE, ignoreSearch: true }).then((hit) => hit || fetch(request)));
});

// Background Sync: the page registered tag "outbox" when it queued an action offline. The
// page owns the outbox and the token, so the worker wakes it up to flush.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'outbox') return;
  event.waitUntil((async () => {
    const pages = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const page of pages) page.postMessage({ type: 'flush' });
  })());
});

// Web push: the server sends what the notification shows (title, body, url, tag), so it
// appears even with the app closed and no network for the page.
self.addEventListener('push', (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = { body: event.data?.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || 'Stockhand', {
    body: data.body || '',
    tag: data.tag,
    data: { url: data.url || '/' },
    icon: 'icons/icon-192.png',
    badge: 'icons/maskable-192.png',
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url || '/', self.location.origin);
  event.waitUntil((async () => {
    const pages = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = pages.find((p) => new URL(p.url).origin === target.origin);
    if (open) {
      await open.focus();
      return open.navigate ? open.navigate(target.href) : null;
    }
    return self.clients.openWindow(target.href);
  })());
});
