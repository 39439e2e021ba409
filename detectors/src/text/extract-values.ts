/**
 * Identifying values in text: the things an argument can be traced back to. An IBAN, e-mail address, URL,
 * number or quoted string that reaches a tool argument came from somewhere; the provenance graph indexes
 * these per node. One pass over the text's tokens with cheap checks per token (a regex per kind over the
 * whole text costs several times more on large tool results).
 */

import { TOKEN_NON_LETTER, type TokenStream, tokenize } from './token-stream.js';

export type ValueKind = 'email' | 'url' | 'iban' | 'number' | 'quoted' | 'token' | 'ip' | 'phone';

export interface ExtractedValue {
  kind: ValueKind;
  /** Normalized form used as the index key. */
  key: string;
  start: number;
  end: number;
}

const EMAIL = /^[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$/i;
const TLDS =
  'com|org|net|io|ai|co|dev|app|info|biz|xyz|me|us|uk|de|fr|ch|eu|ru|cn|in|jp|br|it|nl|es|se|no|pl|cz|at|be|ca|au|site|online|top|cloud|tech|link|page|sh';
// Bare domains: label(s) + a TLD from the common generic and country sets (no suite-specific names).
const DOMAIN = new RegExp(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+(?:${TLDS})(?:[/?#:].*)?$`, 'i');
const IBAN = /^[a-z]{2}\d{2}[a-z0-9]{10,30}$/i;
// Groups of a spaced IBAN are upper-case letters and digits ("3704 0044 0532 0130 00"): see `isIbanGroup`.
const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;
const NUMBER = /^[-+]?\d[\d,]*(?:\.\d+)?$/;
const DIGITS = /\d/;
const LETTERS = /[a-z]/i;
const IDENT = /^[a-z0-9][a-z0-9_-]{5,}$/i;
const QUOTED = /(["'`\u2018\u2019\u201c\u201d])([^"'`\u2018\u2019\u201c\u201d\n]{2,120})\1/g;

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

/** Canonical number key: `1,000.50` and `1000.5` agree; tiny integers (0–9) are too common to trace. */
export function normalizeNumber(s: string): string | undefined {
  const cleaned = s.replace(/,(?=\d{3}\b)/g, '').replace(',', '.');
  const n = Number(cleaned);
  if (!Number.isFinite(n)) return undefined;
  if (Number.isInteger(n) && Math.abs(n) < 10) return undefined;
  return String(n);
}

class Collector {
  readonly out: ExtractedValue[] = [];
  private readonly seen = new Set<string>();
  constructor(private readonly limit: number) {}
  push(kind: ValueKind, key: string, start: number, end: number): void {
    if (key.length < 2 || this.out.length >= this.limit || this.seen.has(key)) return;
    this.seen.add(key);
    this.out.push({ kind, key, start, end });
  }
}

function classify(c: Collector, tok: string, start: number): void {
  const end = start + tok.length;
  const first = tok.charCodeAt(0);
  if (tok.includes('@')) {
    if (EMAIL.test(tok)) {
      const lower = tok.toLowerCase();
      c.push('email', lower, start, end);
      c.push('url', urlKey(lower.slice(lower.indexOf('@') + 1)), start, end);
    }
    return;
  }
  if (tok.includes('://') || (tok.length > 4 && (first === 119 || first === 87) && /^www\./i.test(tok))) {
    const key = urlKey(tok);
    c.push('url', key, start, end);
    const host = hostOf(key);
    if (host !== key) c.push('url', host, start, end);
    return;
  }
  const isDigit = first >= 48 && first <= 57;
  if (isDigit || first === 45 || first === 43) {
    if (NUMBER.test(tok)) {
      const digits = tok.replace(/\D/g, '');
      if (digits.length >= 9 && digits.length <= 15 && !tok.includes('.'))
        c.push('phone', digits, start, end);
      const key = normalizeNumber(tok);
      if (key !== undefined) c.push('number', key, start, end);
      return;
    }
    if (IPV4.test(tok)) {
      c.push('ip', tok, start, end);
      return;
    }
  }
  if (tok.includes('.') && DOMAIN.test(tok)) {
    const key = urlKey(tok);
    c.push('url', key, start, end);
    const host = hostOf(key);
    if (host !== key) c.push('url', host, start, end);
    return;
  }
  if (tok.length >= 15 && IBAN.test(tok)) {
    c.push('iban', tok.toLowerCase(), start, end);
    return;
  }
  if (tok.length >= 6 && DIGITS.test(tok) && IDENT.test(tok) && LETTERS.test(tok))
    c.push('token', tok.toLowerCase(), start, end);
}

function lettersOnly(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i) | 32;
    if (c < 97 || c > 122) return false;
  }
  return true;
}

/** `. , ; : ! ?` */
const isTrailingPunctuation = (c: number) =>
  c === 46 || c === 44 || c === 59 || c === 58 || c === 33 || c === 63;
const isDigitCode = (c: number) => c >= 48 && c <= 57;

/** `GROUP`: 1–4 upper-case letters or digits. */
function isIbanGroup(s: string, start: number, end: number): boolean {
  if (end - start > 4) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!(isDigitCode(c) || (c >= 65 && c <= 90))) return false;
  }
  return true;
}

/** `IBAN_HEAD` on the 4 characters at `start`: two letters (any case), two digits. */
function isIbanHead(s: string, start: number): boolean {
  const a = s.charCodeAt(start) | 32;
  const b = s.charCodeAt(start + 1) | 32;
  return (
    a >= 97 &&
    a <= 122 &&
    b >= 97 &&
    b <= 122 &&
    isDigitCode(s.charCodeAt(start + 2)) &&
    isDigitCode(s.charCodeAt(start + 3))
  );
}

/**
 * Extracts identifying values from `text` (any case). Offsets refer to `text`. `tokens`, when the caller
 * has them, is `tokenize` of the text (its first 200,000 characters): the stream is shared with other scans.
 *
 * @example
 * extractValues('pay DE89 3704 0044 0532 0130 00 to bob@x.com').map((v) => v.kind); // ['iban', 'email', 'url']
 */
export function extractValues(text: string, limit = 2_000, tokens?: TokenStream): ExtractedValue[] {
  const s = text.length > 200_000 ? text.slice(0, 200_000) : text;
  const c = new Collector(limit);
  // An IBAN written in groups ("DE89 3704 0044 …") spans several tokens: join them when the head fits.
  let ibanStart = -1;
  let iban = '';
  let ibanEnd = 0;
  const flushIban = () => {
    if (ibanStart >= 0 && iban.length >= 15 && iban.length <= 34)
      c.push('iban', iban.toLowerCase(), ibanStart, ibanEnd);
    ibanStart = -1;
    iban = '';
  };
  // Tokens as `TOKEN_RE` finds them (the shared stream): a string only for tokens that can be a value.
  const t = tokens !== undefined && tokens.text === s ? tokens : tokenize(s);
  const { bounds, flags } = t;
  for (let k = 0; k < t.count; k++) {
    const start = bounds[2 * k]!;
    let end = bounds[2 * k + 1]!;
    // Trailing sentence punctuation is not part of a value.
    while (end - start > 1 && isTrailingPunctuation(s.charCodeAt(end - 1))) end--;
    const len = end - start;
    if (ibanStart >= 0 && start - ibanEnd <= 1 && isIbanGroup(s, start, end)) {
      iban += s.slice(start, end);
      ibanEnd = end;
      continue;
    }
    flushIban();
    if (len === 4 && isIbanHead(s, start)) {
      ibanStart = start;
      iban = s.slice(start, end);
      ibanEnd = start + 4;
      continue;
    }
    // Words of letters only are never a value (every kind needs a digit, `@`, `.` or `://`): most tokens.
    if (len >= 2 && (flags[k]! & TOKEN_NON_LETTER) !== 0 && !lettersOnly(s, start, end))
      classify(c, s.slice(start, end), start);
  }
  flushIban();
  if (s.includes('"') || s.includes("'") || s.includes('`') || s.includes('\u201c') || s.includes('\u2018')) {
    QUOTED.lastIndex = 0;
    for (let m = QUOTED.exec(s); m !== null; m = QUOTED.exec(s)) {
      const inner = m[2] ?? '';
      c.push('quoted', inner.toLowerCase().trim(), m.index + 1, m.index + 1 + inner.length);
    }
  }
  return c.out;
}
