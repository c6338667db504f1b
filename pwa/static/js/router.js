// Hash routes ("#/task/12"): the shell is one page, so any route works offline and a reload
// comes back to the same screen.

const ROUTES = [
  ['/login', 'login'],
  ['/tasks', 'tasks'],
  ['/task/:id', 'task'],
  ['/move', 'move'],
  ['/transfers', 'transfer'],
  ['/transfer/:id', 'transfer'],
  ['/lookup', 'lookup'],
  ['/pack', 'pack'],
  ['/pack/:id', 'pack'],
  // Links the server puts in alerts and push notifications.
  ['/items/:item', 'lookup'],
  ['/locations/:location', 'lookup'],
  ['/counts/:count', 'approvals'],
  ['/outbox', 'outbox'],
  ['/settings', 'settings'],
  ['/sup/counts', 'counts-admin'],
  ['/sup/approvals', 'approvals'],
  ['/sup/expiry', 'expiry'],
  ['/sup/lowstock', 'lowstock'],
  ['/sup/dashboard', 'dashboard'],
  ['/sup/tasks', 'assign'],
];

export function parse(hash = location.hash) {
  const path = (hash.replace(/^#/, '') || '/tasks').split('?')[0];
  for (const [pattern, screen] of ROUTES) {
    const names = [];
    const re = new RegExp(`^${pattern.replace(/:(\w+)/g, (_, n) => { names.push(n); return '([^/]+)'; })}$`);
    const m = re.exec(path);
    if (m) return { path, screen, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])])) };
  }
  return { path: '/tasks', screen: 'tasks', params: {} };
}

export function navigate(path, { replace = false } = {}) {
  const hash = `#${path}`;
  if (replace) history.replaceState(null, '', hash);
  else if (location.hash !== hash) history.pushState(null, '', hash);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}
