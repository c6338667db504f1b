// GS1 element strings on the device, so a scan of a GS1-128 / DataMatrix label resolves to
// item, lot, expiry and count without the network.
//
// The same rules as the server's parser (scanner/gs1.py): bracketed "(01)…(10)…" or raw data
// with GS (\x1d) separators, optionally led by a symbology identifier; check digits of keys;
// YYMMDD dates within -49..+50 years of today, DD=00 meaning the month's last day. A test
// (tests/pwa/test_units.py) runs both parsers over the server's examples and over random
// input and compares the answers, and compares this table with the server's.
//
// Values: text as text, counts as numbers, dates as "YYYY-MM-DD", date-times as
// "YYYY-MM-DDTHH:MM:00", decimals as exact decimal strings ("0.189").

export const GS = '\x1d';

export class GS1Error extends Error {
  constructor(message, ai = null) {
    super(ai ? `AI (${ai}): ${message}` : message);
    this.ai = ai;
  }
}

// [AI, format, kind, [check-digit slice start, end]] — format parts joined by "+":
// "N14" exactly 14 digits, "X..20" 1 to 20 of character set 82, "N6..12" 6 to 12 digits.
const SIMPLE = [
  ['00', 'N18', 'str', [0, 18]], ['01', 'N14', 'str', [0, 14]], ['02', 'N14', 'str', [0, 14]],
  ['03', 'N14', 'str', [0, 14]], ['10', 'X..20', 'str'], ['11', 'N6', 'date00'], ['12', 'N6', 'date00'],
  ['13', 'N6', 'date00'], ['15', 'N6', 'date00'], ['16', 'N6', 'date00'], ['17', 'N6', 'date00'],
  ['20', 'N2', 'str'], ['21', 'X..20', 'str'], ['22', 'X..20', 'str'], ['235', 'X..28', 'str'],
  ['240', 'X..30', 'str'], ['241', 'X..30', 'str'], ['242', 'N..6', 'str'], ['243', 'X..20', 'str'],
  ['250', 'X..30', 'str'], ['251', 'X..30', 'str'], ['253', 'N13+X..17', 'str', [0, 13]],
  ['254', 'X..20', 'str'], ['255', 'N13+N..12', 'str', [0, 13]], ['30', 'N..8', 'int'], ['37', 'N..8', 'int'],
  ['400', 'X..30', 'str'], ['401', 'X..30', 'str'], ['402', 'N17', 'str', [0, 17]], ['403', 'X..30', 'str'],
  ['410', 'N13', 'str', [0, 13]], ['411', 'N13', 'str', [0, 13]], ['412', 'N13', 'str', [0, 13]],
  ['413', 'N13', 'str', [0, 13]], ['414', 'N13', 'str', [0, 13]], ['415', 'N13', 'str', [0, 13]],
  ['416', 'N13', 'str', [0, 13]], ['417', 'N13', 'str', [0, 13]], ['420', 'X..20', 'str'],
  ['421', 'N3+X..9', 'str'], ['422', 'N3', 'str'], ['423', 'N3+N..12', 'str'], ['424', 'N3', 'str'],
  ['425', 'N3+N..12', 'str'], ['426', 'N3', 'str'], ['427', 'X..3', 'str'], ['7001', 'N13', 'str'],
  ['7002', 'X..30', 'str'], ['7003', 'N10', 'datetime'], ['7004', 'N..4', 'int'], ['7005', 'X..12', 'str'],
  ['7006', 'N6', 'date'], ['7007', 'N6..12', 'str'], ['7008', 'X..3', 'str'], ['7009', 'X..10', 'str'],
  ['7010', 'X..2', 'str'], ['7020', 'X..20', 'str'], ['7021', 'X..20', 'str'], ['7022', 'X..20', 'str'],
  ['7023', 'X..30', 'str'], ['8001', 'N14', 'str'], ['8002', 'X..20', 'str'], ['8003', 'N14+X..16', 'str', [1, 14]],
  ['8004', 'X..30', 'str'], ['8005', 'N6', 'str'], ['8006', 'N14+N2+N2', 'str', [0, 14]], ['8007', 'X..34', 'str'],
  ['8008', 'N8+N..4', 'str'], ['8010', 'Y..30', 'str'], ['8011', 'N..12', 'str'], ['8012', 'X..20', 'str'],
  ['8013', 'X..25', 'str'], ['8017', 'N18', 'str', [0, 18]], ['8018', 'N18', 'str', [0, 18]],
  ['8019', 'N..10', 'str'], ['8020', 'X..25', 'str'], ['8200', 'X..70', 'str'], ['90', 'X..30', 'str'],
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => [`9${i}`, 'X..90', 'str']),
];

// Trade measures 310n-369n (n = decimals 0-5) and amounts 390n-395n.
const MEASURE_PREFIXES = [
  ...range(310, 316), ...range(320, 337), ...range(340, 357), ...range(360, 369),
];
const AMOUNTS = [['390', 'N..15', 9, 'decimal'], ['391', 'N3+N..15', 9, 'str'], ['392', 'N..15', 9, 'decimal'],
  ['393', 'N3+N..15', 9, 'str'], ['394', 'N4', 3, 'decimal'], ['395', 'N6', 5, 'decimal']];

function range(a, b) { const out = []; for (let i = a; i <= b; i += 1) out.push(i); return out; }

// Element strings starting with these two digits have a predefined length (no FNC1 after).
const PREDEFINED = new Set(['00', '01', '02', '03', '04', '11', '12', '13', '14', '15', '16', '17', '18', '19',
  '20', '31', '32', '33', '34', '35', '36', '41']);

function parts(format) {
  return format.split('+').map((piece) => {
    const m = /^([NXY])(\.\.)?(\d+)(?:\.\.(\d+))?$/.exec(piece);
    const [, charset, dots, first, second] = m;
    if (dots) return { charset, min: 1, max: Number(first) };
    if (second) return { charset, min: Number(first), max: Number(second) };
    return { charset, min: Number(first), max: Number(first) };
  });
}

function spec(ai, format, kind, check = null, decimals = 0) {
  const p = parts(format);
  return {
    ai, format, kind, check, decimals, parts: p,
    fixed: p.every((x) => x.min === x.max),
    maxLen: p.reduce((n, x) => n + x.max, 0),
    predefined: PREDEFINED.has(ai.slice(0, 2)),
  };
}

export const AI_TABLE = (() => {
  const table = new Map();
  for (const [ai, format, kind, check] of SIMPLE) table.set(ai, spec(ai, format, kind, check || null));
  for (const prefix of MEASURE_PREFIXES) {
    for (let n = 0; n <= 5; n += 1) table.set(`${prefix}${n}`, spec(`${prefix}${n}`, 'N6', 'decimal', null, n));
  }
  for (const [prefix, format, top, kind] of AMOUNTS) {
    for (let n = 0; n <= top; n += 1) table.set(`${prefix}${n}`, spec(`${prefix}${n}`, format, kind, null, n));
  }
  return table;
})();

const CHARSETS = {
  N: /^[0-9]*$/,
  X: /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*$/,
  Y: /^[#\-/0-9A-Z]*$/,
};

const SYMBOLOGY_IDS = new Set([']C1', ']d2', ']Q3', ']e0', ']J1', ']z1', ']z2', ']z3']);

export function checkDigit(body) {
  let total = 0;
  for (let i = 0; i < body.length; i += 1) {
    const digit = Number(body[body.length - 1 - i]);
    total += digit * (i % 2 === 0 ? 3 : 1);
  }
  return (10 - (total % 10)) % 10;
}

// Does this text announce GS1 data (rather than a plain code that happens to be digits)?
export function looksLikeGs1(text) {
  return text.startsWith('(') || text.startsWith(']') || text.includes(GS);
}

export function parse(text, { today = new Date() } = {}) {
  if (typeof text !== 'string') throw new GS1Error('expected text');
  let data = text;
  if (data.startsWith(']')) {
    const symId = data.slice(0, 3);
    if (!SYMBOLOGY_IDS.has(symId)) throw new GS1Error(`symbology identifier '${symId}' does not announce GS1 data`);
    data = data.slice(3);
  }
  if (!data) throw new GS1Error('no element strings');
  const pairs = data.startsWith('(') ? splitBracketed(data) : splitRaw(data);
  if (!pairs.length) throw new GS1Error('no element strings');
  const elements = pairs.map(([s, raw]) => element(s, raw, today));
  const seen = new Map();
  for (const e of elements) {
    if (seen.has(e.ai) && seen.get(e.ai) !== e.raw) {
      throw new GS1Error(`repeated with different values '${seen.get(e.ai)}' and '${e.raw}'`, e.ai);
    }
    seen.set(e.ai, e.raw);
  }
  return elements;
}

function lookup(ai) {
  const s = AI_TABLE.get(ai);
  if (!s) throw new GS1Error('unknown application identifier', ai);
  return s;
}

function splitBracketed(data) {
  const re = /\(([0-9]{2,4})\)/g;
  const matches = [...data.matchAll(re)];
  if (!matches.length || matches[0].index !== 0) throw new GS1Error('bracketed data must start with an (AI)');
  return matches.map((m, i) => {
    const s = lookup(m[1]);
    const end = i + 1 < matches.length ? matches[i + 1].index : data.length;
    return [s, data.slice(m.index + m[0].length, end)];
  });
}

function splitRaw(data) {
  let pos = data.startsWith(GS) ? 1 : 0; // a leading FNC1 only says "this is GS1"
  const pairs = [];
  while (pos < data.length) {
    const s = matchAi(data, pos);
    pos += s.ai.length;
    let raw;
    if (s.fixed) {
      raw = data.slice(pos, pos + s.maxLen);
      if (raw.includes(GS) || raw.length < s.maxLen) {
        throw new GS1Error(`needs ${s.maxLen} characters, got ${raw.split(GS)[0].length}`, s.ai);
      }
      pos += s.maxLen;
      if (data.startsWith(GS, pos)) pos += 1;
    } else {
      let end = data.indexOf(GS, pos);
      if (end < 0) end = data.length;
      raw = data.slice(pos, end);
      pos = end + 1;
    }
    pairs.push([s, raw]);
  }
  return pairs;
}

function matchAi(data, pos) {
  for (const n of [2, 3, 4]) {
    const s = AI_TABLE.get(data.slice(pos, pos + n));
    if (s) return s;
  }
  const head = data.slice(pos, pos + 4);
  if (!/^\d{1,2}$/.test(head.slice(0, 2))) throw new GS1Error(`expected an application identifier at offset ${pos}, found '${head}'`);
  throw new GS1Error('unknown application identifier', head.replace(/\D/g, ''));
}

function element(s, raw, today) {
  checkSyntax(s, raw);
  if (s.check) {
    const key = raw.slice(s.check[0], s.check[1]);
    const expected = checkDigit(key.slice(0, -1));
    if (expected !== Number(key.slice(-1))) throw new GS1Error(`check digit of ${key} is wrong (expected ${expected})`, s.ai);
  }
  return { ai: s.ai, raw, value: typed(s, raw, today) };
}

function checkSyntax(s, raw) {
  if (!raw) throw new GS1Error('empty value', s.ai);
  if (raw.length > s.maxLen) throw new GS1Error(`value of ${raw.length} characters is longer than ${s.maxLen}`, s.ai);
  let pos = 0;
  s.parts.forEach((part, i) => {
    const last = i === s.parts.length - 1;
    const chunk = last ? raw.slice(pos) : raw.slice(pos, pos + part.max);
    if (chunk.length < part.min || chunk.length > part.max) {
      const want = part.min === part.max ? `${part.max}` : `${part.min} to ${part.max}`;
      const where = s.parts.length > 1 ? ` in part ${i + 1}` : '';
      throw new GS1Error(`needs ${want} characters${where}, got ${chunk.length}`, s.ai);
    }
    if (!CHARSETS[part.charset].test(chunk)) {
      const bad = [...chunk].find((c) => !CHARSETS[part.charset].test(c));
      throw new GS1Error(`character '${bad}' not allowed`, s.ai);
    }
    pos += chunk.length;
  });
}

function typed(s, raw, today) {
  if (s.kind === 'int') return Number(raw);
  if (s.kind === 'decimal') return decimal(raw, s.decimals);
  if (s.kind === 'date' || s.kind === 'date00') return date(s, raw, today, s.kind === 'date00');
  if (s.kind === 'datetime') {
    const day = date(s, raw.slice(0, 6), today, false);
    const hour = Number(raw.slice(6, 8));
    const minute = Number(raw.slice(8, 10));
    if (hour > 23 || minute > 59) throw new GS1Error(`time ${raw.slice(6, 8)}:${raw.slice(8, 10)} is not a time of day`, s.ai);
    return `${day}T${raw.slice(6, 8)}:${raw.slice(8, 10)}:00`;
  }
  return raw;
}

// "000189" with 3 decimals -> "0.189": exact, as the digits say (no floating point).
function decimal(raw, decimals) {
  const whole = raw.slice(0, raw.length - decimals).replace(/^0+/, '') || '0';
  return decimals ? `${whole}.${raw.slice(raw.length - decimals)}` : whole;
}

export function centuryYear(yy, today) {
  const diff = yy - (today.getFullYear() % 100);
  let century = Math.floor(today.getFullYear() / 100);
  if (diff >= 51 && diff <= 99) century -= 1;
  else if (diff >= -99 && diff <= -50) century += 1;
  return century * 100 + yy;
}

function date(s, raw, today, dayZero) {
  const year = centuryYear(Number(raw.slice(0, 2)), today);
  const month = Number(raw.slice(2, 4));
  let day = Number(raw.slice(4, 6));
  if (month < 1 || month > 12) throw new GS1Error(`month ${raw.slice(2, 4)} of date ${raw} is not 01-12`, s.ai);
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day === 0 && dayZero) day = last;
  if (day < 1 || day > last) throw new GS1Error(`day ${raw.slice(4, 6)} of date ${raw} does not exist`, s.ai);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export const asMap = (elements) => Object.fromEntries(elements.map((e) => [e.ai, e]));
