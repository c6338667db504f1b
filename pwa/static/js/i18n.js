// Translations (i18n/<locale>.json) and locale-aware numbers and dates.
//
// The language comes from the browser's list the first time, then from the worker's choice,
// kept in localStorage because it is needed synchronously before the first paint.

export const LOCALES = ['en', 'zh-CN'];
const KEY = 'stockhand.locale';
let locale = 'en';
let strings = {};
let fallback = {};
const listeners = new Set();

export function pickLocale(preferred = navigator.languages || [navigator.language]) {
  const saved = localStorage.getItem(KEY);
  if (LOCALES.includes(saved)) return saved;
  for (const tag of preferred) {
    const lower = String(tag).toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

async function load(tag) {
  const response = await fetch(`./i18n/${tag}.json`);
  if (!response.ok) throw new Error(`no translations for ${tag}`);
  return response.json();
}

export async function setLocale(tag, { remember = true } = {}) {
  if (!LOCALES.includes(tag)) tag = 'en';
  const [loaded, english] = await Promise.all([load(tag), tag === 'en' ? null : load('en')]);
  strings = loaded;
  fallback = english || loaded;
  locale = tag;
  if (remember) localStorage.setItem(KEY, tag);
  document.documentElement.lang = tag;
  listeners.forEach((fn) => fn(tag));
}

export const getLocale = () => locale;
export const onLocaleChange = (fn) => { listeners.add(fn); return () => listeners.delete(fn); };

// t('pick.left', {n: 3}) -> "3 left"; a key missing in one language falls back to English
// (the key check in the tests keeps that from happening in a release).
export function t(key, vars = {}) {
  let text = strings[key] ?? fallback[key] ?? key;
  for (const [name, value] of Object.entries(vars)) {
    text = text.replaceAll(`{${name}}`, typeof value === 'number' ? formatNumber(value) : String(value));
  }
  return text;
}

// Plural forms are keys with the CLDR category as suffix: "lines_one", "lines_other".
export function tn(key, n, vars = {}) {
  const category = new Intl.PluralRules(locale).select(n);
  const chosen = strings[`${key}_${category}`] !== undefined ? `${key}_${category}` : `${key}_other`;
  return t(chosen, { n, ...vars });
}

export const formatNumber = (n, options) => new Intl.NumberFormat(locale, options).format(n);
export const formatPercent = (n) => new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(n) + '%';

export function formatDate(value) {
  if (!value) return '';
  // A bare date is a calendar day, not midnight UTC: build it in local time.
  const d = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00`) : new Date(value);
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(d);
}

export function formatDateTime(value) {
  if (!value) return '';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short' }).format(new Date(value));
}

export function formatTime(value) {
  return new Intl.DateTimeFormat(locale, { timeStyle: 'short' }).format(new Date(value));
}
