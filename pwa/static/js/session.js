// Who is signed in, kept in IndexedDB so the app starts signed in with no network.
//
// An expired token does not sign the worker out: the outbox stays, sending is parked, and
// the header asks to sign in again; the same user signing in resumes sending.

import { api, setToken, onAuthExpired } from './api.js';
import { getMeta, setMeta } from './db.js';

let current = null; // { token, user, expires_at }
let parked = false;
const listeners = new Set();

export const onSessionChange = (fn) => { listeners.add(fn); return () => listeners.delete(fn); };
const changed = () => listeners.forEach((fn) => fn(current));

export async function loadSession() {
  current = (await getMeta('session')) || null;
  parked = !!(current && (await getMeta('auth_parked')));
  setToken(current?.token || null);
  return current;
}

export const session = () => current;
export const user = () => current?.user || null;
export const isSupervisor = () => ['supervisor', 'admin'].includes(current?.user?.role);
export const needsSignIn = () => parked || (current && current.expires_at < Date.now());

onAuthExpired(async () => {
  if (parked) return;
  parked = true;
  await setMeta('auth_parked', true);
  changed();
});

export async function signIn(username, password) {
  const answer = await api('/api/auth/login', { method: 'POST', body: { username, password }, auth: false });
  const previous = current?.user;
  current = {
    token: answer.access_token,
    user: answer.user,
    // A minute early, so a request is not sent with a token about to lapse on the way.
    expires_at: Date.now() + (answer.expires_in - 60) * 1000,
  };
  parked = false;
  setToken(current.token);
  await setMeta('session', current);
  await setMeta('auth_parked', false);
  changed();
  return { user: current.user, switched: !!previous && previous.id !== current.user.id };
}

// Signing out keeps the outbox: its events belong to the user who made them and are sent
// when that user signs in again.
export async function signOut() {
  current = null;
  parked = false;
  setToken(null);
  await setMeta('session', null);
  await setMeta('auth_parked', false);
  changed();
}
