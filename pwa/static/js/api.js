// fetch with the bearer token and errors the screens can act on.
//
// Errors are classified, not just thrown: a network failure means "keep it and try later",
// a 401 means "the token is gone: park and ask to sign in", other 4xx mean "the server
// refused this", 5xx mean "try later".

let token = null;
const authListeners = new Set();

export function setToken(value) { token = value; }
export function onAuthExpired(fn) { authListeners.add(fn); return () => authListeners.delete(fn); }

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code || `http_${status}`;
    this.details = body?.details || {};
  }
  get retryable() { return this.status >= 500 || this.status === 429; }
}

export class AuthExpired extends ApiError {}

export class NetworkError extends Error {
  constructor(cause) { super('network unreachable'); this.cause = cause; }
}

// `blob: true` answers a successful response's body as a Blob (a label PDF), not JSON.
export async function api(path, { method = 'GET', body, raw, contentType, signal, auth = true, blob = false } = {}) {
  const headers = { accept: blob ? '*/*' : 'application/json' };
  if (auth && token) headers.authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) {
    payload = raw;
    if (contentType) headers['content-type'] = contentType;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  let response;
  try {
    // no-store: answers about stock must never come from an HTTP cache.
    response = await fetch(path, { method, headers, body: payload, signal, cache: 'no-store' });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new NetworkError(error);
  }
  if (blob && response.ok) return response.blob();
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { message: text.slice(0, 200) }; }
  if (response.status === 401 && auth) {
    const error = new AuthExpired(401, data);
    for (const fn of authListeners) fn(error);
    throw error;
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// All pages of a paginated list endpoint, up to `max` rows.
export async function allPages(path, { max = 2000, limit = 500 } = {}) {
  const rows = [];
  const sep = path.includes('?') ? '&' : '?';
  for (let offset = 0; offset < max; offset += limit) {
    const page = await api(`${path}${sep}limit=${limit}&offset=${offset}`);
    rows.push(...page.items);
    if (rows.length >= page.total || page.items.length < limit) break;
  }
  return rows;
}
