/**
 * Identifying values in text: the things an argument can be traced back to. An IBAN, e-mail address, URL,
 * number or quoted string that reaches a tool argument came from somewhere; the provenance graph indexes
 * these per node.
 */

export type ValueKind = 'email' | 'url' | 'iban' | 'number' | 'quoted' | 'token' | 'ip' | 'phone';

export interface ExtractedValue {
  kind: ValueKind;
  /** Normalized form used as the index key. */
  key: string;
  start: number;
  end: number;
}

const EMAIL_LOCAL = /[a-z0-9._%+-]/i;
const EMAIL_DOMAIN = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/i;

/** E-mail addresses, found from each `@` outwards (a left-anchored regex is quadratic on long texts). */
function emails(s: string): Array<{ 0: string; index: number }> {
  const out: Array<{ 0: string; index: number }> = [];
  let at = s.indexOf('@');
  while (at >= 0 && out.length < 500) {
    let a = at;
    while (a > 0 && at - a < 64 && EMAIL_LOCAL.test(s[a - 1] ?? '')) a--;
    const dom = EMAIL_DOMAIN.exec(s.slice(at + 1, at + 256));
    if (a < at && dom) out.push({ 0: s.slice(a, at + 1 + dom[0].length), index: a });
    at = s.indexOf('@', at + 1);
  }
  return out;
}
const URL_RE = /\b(?:(?:https?|ftp|file|gopher|wss?):\/\/[^\s<>"'`)\]]+|www\.[^\s<>"'`)\]]+)/gi;
// Bare domains: label(s) + a TLD from the common generic and country sets (no suite-specific names).
const DOMAIN =
  /\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:com|org|net|io|ai|co|dev|app|info|biz|xyz|me|us|uk|de|fr|ch|eu|ru|cn|in|jp|br|it|nl|es|se|no|pl|cz|at|be|ca|au|site|online|top|cloud|tech|link|page|sh)(?:\/[^\s<>"'`)\]]*)?\b/gi;
const TLD_GATE =
  /\.(?:com|org|net|io|ai|co|dev|app|info|biz|xyz|me|us|uk|de|fr|ch|eu|ru|cn|in|jp|br|it|nl|es|se|no|pl|cz|at|be|ca|au|site|online|top|cloud|tech|link|page|sh)\b/i;
const IBAN = /\b[a-z]{2}\d{2}(?:[ ]?[a-z0-9]{4}){2,7}(?:[ ]?[a-z0-9]{1,4})?\b/gi;
const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
const PHONE = /\+?\d[\d ()-]{7,}\d/g;
const NUMBER = /(?<![\w.])-?\d+(?:[.,]\d+)?(?![\w])/g;
const QUOTED = /(["'`\u2018\u2019\u201c\u201d])([^"'`\u2018\u2019\u201c\u201d\n]{2,120})\1/g;
// Identifier-like tokens: letters and digits mixed, or dashed codes, 6+ characters.
const TOKEN = /\b[a-z0-9][a-z0-9_-]{5,}\b/gi;
const HAS_DIGIT = /\d/;
const HAS_LETTER = /[a-z]/i;

function push(
  out: ExtractedValue[],
  seen: Set<string>,
  kind: ValueKind,
  key: string,
  start: number,
  end: number,
) {
  if (key.length < 2) return;
  const k = `${kind}:${key}`;
  if (seen.has(k)) return;
  seen.add(k);
  out.push({ kind, key, start, end });
}

/** Canonical key of a URL or domain: no scheme, no `www.`, no trailing slash or punctuation, lower case. */
export function urlKey(u: string): string {
  return u
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/^www\./, '')
    .replace(/[.,;:!?]+$/, '')
    .replace(/\/$/, '');
}

/** Host part of a URL key. */
export function hostOf(key: string): string {
  return key.split(/[/?#]/)[0]?.split('@').pop()?.split(':')[0] ?? key;
}

/**
 * Extracts identifying values from `text` (any case). Offsets refer to `text`.
 *
 * @example
 * extractValues('pay DE89 3704 0044 0532 0130 00 to bob@x.com').map((v) => v.kind); // ['email', 'iban']
 */
export function extractValues(text: string, limit = 2_000): ExtractedValue[] {
  const out: ExtractedValue[] = [];
  const seen = new Set<string>();
  const s = text.length > 200_000 ? text.slice(0, 200_000) : text;
  for (const m of emails(s)) {
    push(out, seen, 'email', m[0].toLowerCase(), m.index, m.index + m[0].length);
    push(out, seen, 'url', urlKey(m[0].split('@')[1] ?? ''), m.index, m.index + m[0].length);
  }
  if (s.includes('://') || /www\./i.test(s))
    for (const m of s.matchAll(URL_RE)) {
      const key = urlKey(m[0]);
      push(out, seen, 'url', key, m.index, m.index + m[0].length);
      const host = hostOf(key);
      if (host !== key) push(out, seen, 'url', host, m.index, m.index + m[0].length);
    }
  if (TLD_GATE.test(s))
    for (const m of s.matchAll(DOMAIN)) {
      if (s[m.index - 1] === '@') continue;
      const key = urlKey(m[0]);
      push(out, seen, 'url', key, m.index, m.index + m[0].length);
      const host = hostOf(key);
      if (host !== key) push(out, seen, 'url', host, m.index, m.index + m[0].length);
    }
  for (const m of s.matchAll(IBAN)) {
    const key = m[0].replace(/ /g, '').toLowerCase();
    if (key.length >= 15 && /\d{6}/.test(key)) push(out, seen, 'iban', key, m.index, m.index + m[0].length);
  }
  for (const m of s.matchAll(IPV4)) push(out, seen, 'ip', m[0], m.index, m.index + m[0].length);
  for (const m of s.matchAll(PHONE)) {
    const digits = m[0].replace(/\D/g, '');
    if (digits.length >= 9 && digits.length <= 15)
      push(out, seen, 'phone', digits, m.index, m.index + m[0].length);
  }
  for (const m of s.matchAll(NUMBER)) {
    const key = normalizeNumber(m[0]);
    if (key !== undefined) push(out, seen, 'number', key, m.index, m.index + m[0].length);
  }
  for (const m of s.matchAll(QUOTED)) {
    const inner = m[2] ?? '';
    push(out, seen, 'quoted', inner.toLowerCase().trim(), m.index + 1, m.index + 1 + inner.length);
  }
  for (const m of s.matchAll(TOKEN)) {
    if (HAS_DIGIT.test(m[0]) && HAS_LETTER.test(m[0]))
      push(out, seen, 'token', m[0].toLowerCase(), m.index, m.index + m[0].length);
  }
  return out.length > limit ? out.slice(0, limit) : out;
}

/** Canonical number key: `1,000.50` and `1000.5` agree; tiny integers (0–9) are too common to trace. */
export function normalizeNumber(s: string): string | undefined {
  const cleaned = s.replace(/,(?=\d{3}\b)/g, '').replace(',', '.');
  const n = Number(cleaned);
  if (!Number.isFinite(n)) return undefined;
  if (Number.isInteger(n) && Math.abs(n) < 10) return undefined;
  return String(n);
}
