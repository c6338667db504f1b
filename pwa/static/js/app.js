// Boot: translations, the session from IndexedDB, the service worker, the scan inputs, the
// sync loop and the router. Everything here works with no network after the first visit.

import { openDb } from './db.js';
import { pickLocale, setLocale, onLocaleChange, t } from './i18n.js';
import { loadSession, session, onSessionChange } from './session.js';
import { startSync, onSyncState } from './sync.js';
import { installWedge } from './wedge.js';
import { submitScan, setScanHandler } from './scanqueue.js';
import { parse, navigate } from './router.js';
import * as md from './masterdata.js';
import { renderHeader, showBanner, hideBanner, toast } from './ui/shell.js';
import { h, replace } from './dom.js';

const screenEl = document.getElementById('screen');
let current = null; // { route, view }
let rendering = 0;

async function boot() {
  await setLocale(pickLocale(), { remember: false });
  document.querySelector('.skip').textContent = t('app.skip');
  await openDb();
  await loadSession();
  installWedge((code) => submitScan(code, 'wedge'));
  registerServiceWorker();
  onSyncState(() => renderHeader(headerModel()));
  onSessionChange(() => { renderHeader(headerModel()); if (!session()) navigate('/login', { replace: true }); });
  onLocaleChange(() => { document.querySelector('.skip').textContent = t('app.skip'); show(); });
  window.addEventListener('hashchange', show);
  window.addEventListener('popstate', show);
  window.addEventListener('online', () => renderHeader(headerModel()));
  window.addEventListener('offline', () => renderHeader(headerModel()));
  await show();
  // Syncing starts with the first signed-in session and then follows session changes itself.
  let started = false;
  const ensureSync = () => { if (!started && session()) { started = true; startSync(); } };
  onSessionChange(ensureSync);
  ensureSync();
  document.body.dataset.ready = 'true';
}

function headerModel() {
  return { title: current?.view?.title || t('app.name'), back: current?.view?.back, route: current?.route };
}

// Render the screen the hash names. A newer navigation wins over a slow older one.
async function show() {
  const token = ++rendering;
  let route = parse();
  if (!session() && route.screen !== 'login') route = { path: '/login', screen: 'login', params: {} };
  let name = route.screen;
  let extra = {};
  if (name === 'task') {
    const task = await md.task(Number(route.params.id));
    extra = { task };
    name = task ? ({ receive: 'receive', putaway: 'putaway', pick: 'pick', count: 'count' }[task.type] || 'tasks') : 'tasks';
    if (!task) route = { path: '/tasks', screen: 'tasks', params: {} };
  }
  try {
    const module = await import(`./ui/${name}.js`);
    if (token !== rendering) return;
    current?.view?.cleanup?.();
    setScanHandler(null);
    const view = await module.render({ params: route.params, ...extra, navigate, toast });
    if (token !== rendering) { view.cleanup?.(); return; }
    current = { route, view };
    replace(screenEl, view.el);
    setScanHandler(view.onScan || defaultScan);
    document.title = `${view.title || t('app.name')} · ${t('app.name')}`;
    document.body.dataset.screen = name;
  } catch (error) {
    console.error(error);
    replace(screenEl, h('div', { class: 'msg error' }, t('error.screen')));
  }
  renderHeader(headerModel());
}

// On screens that do not take scans, a scan is a lookup: the worker sees what it is.
async function defaultScan(resolution) {
  if (resolution.kind === 'unknown') { toast(t('scan.unknown', { code: resolution.code })); return 'error'; }
  sessionStorage.setItem('stockhand.lookup', resolution.code);
  navigate('/lookup');
  return 'ok';
}

function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  const hadController = !!navigator.serviceWorker.controller;
  navigator.serviceWorker.register('sw.js', { scope: './' }).then((registration) => {
    const offerUpdate = (worker) => {
      showBanner('update', 'info', t('update.ready'), t('update.reload'), () => {
        worker.postMessage({ type: 'skip-waiting' });
      });
    };
    if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration.waiting);
    registration.addEventListener('updatefound', () => {
      const worker = registration.installing;
      worker?.addEventListener('statechange', () => {
        // "installed" with a controller in place = a new version waits for its turn.
        if (worker.state === 'installed' && navigator.serviceWorker.controller) offerUpdate(worker);
      });
    });
    // Look for a new version when the app comes back to the foreground.
    document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') registration.update().catch(() => {}); });
  }).catch((error) => console.warn('service worker not registered', error));
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // The first install takes control without a reload; a switch to a new version reloads
    // once so page and cache are of the same version.
    if (!hadController || reloading) return;
    reloading = true;
    hideBanner('update');
    location.reload();
  });
}

boot();
