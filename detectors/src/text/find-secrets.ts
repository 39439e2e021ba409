/**
 * Secrets by pattern and by entropy. Used to label tool results `secret` and to catch secrets in outbound
 * arguments. Patterns are vendor key formats and generic credential phrasing, never specific values.
 */

import { entropy, HIGH_ENTROPY_MIN_LENGTH, isTokenChar, type SecretKind } from '@bulwark/contracts';
import { TOKEN_DIGIT, TOKEN_NON_LETTER, type TokenStream } from './token-stream.js';

// Kind names, the entropy measure and the token alphabet come from the one catalogue in contracts, which
// the agent SDK's redaction uses too. The patterns here are the engine's subset of the catalogue's, kept as
// a sticky, prefix-anchored table for speed (see PREFIXES).

export interface SecretMatch {
  kind: SecretKind;
  /** The secret value itself (normalized lower case), the key used for provenance. */
  value: string;
  start: number;
  end: number;
}

/** Literal gates: a pattern runs only when its gate is in the text. */
const GATE: Readonly<Record<string, RegExp>> = {
  'private-key': /PRIVATE KEY/,
  'openai-key': /sk-/,
  'aws-access-key': /AKIA|ASIA/,
  'github-token': /gh[pousr]_/,
  'slack-token': /xox/,
  'google-api-key': /AIza/,
  'stripe-key': /_live_|_test_/,
  jwt: /eyJ/,
  bearer: /bearer/i,
  credential: /pass|pwd|key|secret|token/i,
  'one-time-code': /code|pin|token/i,
};

const PATTERNS: ReadonlyArray<readonly [SecretKind, RegExp, number]> = [
  ['private-key', /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]{0,4000}?-----END [A-Z ]*PRIVATE KEY-----/g, 0],
  ['openai-key', /\bsk-(?:proj-|live-|test-)?[A-Za-z0-9_-]{20,}\b/g, 0],
  ['aws-access-key', /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, 0],
  ['github-token', /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, 0],
  ['slack-token', /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g, 0],
  ['google-api-key', /\bAIza[0-9A-Za-z_-]{35}\b/g, 0],
  ['stripe-key', /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b/g, 0],
  ['jwt', /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, 0],
  ['bearer', /\bbearer\s+([A-Za-z0-9._~+/-]{16,}=*)/gi, 1],
  // "password: x", "api_key=x", "secret is x", "security code: 123456", "one-time code 4821".
  [
    'credential',
    /\b(?:password|passwd|pwd|passphrase|api[_ -]?key|secret(?:[_ -]?key)?|access[_ -]?token|auth[_ -]?token|client[_ -]?secret|private[_ -]?key)\b\s*(?:is|:|=|was|->)\s*['"`]?([^\s'"`,;]{4,128})/gi,
    1,
  ],
  [
    'one-time-code',
    /\b(?:security|verification|confirmation|login|one[- ]time|otp|2fa|mfa|auth(?:entication)?|access|reset|recovery)\s+(?:code|pin|passcode|token)\b[^0-9a-z]{0,20}(?:is\s+)?:?\s*([A-Za-z0-9-]{4,12})\b/gi,
    1,
  ],
];

/**
 * Runs of at least 24 token characters in `[from, to)`, found in one pass (a `{24,}` regex re-tries from every
 * position of every shorter word, which showed up in profiles of large tool results). `from` and `to` are
 * run boundaries; false when `visit` stopped the scan.
 */
function forEachTokenRun(
  s: string,
  from: number,
  to: number,
  visit: (start: number, end: number) => boolean,
): boolean {
  let start = -1;
  for (let i = from; i <= to; i++) {
    if (i < to && isTokenChar(s.charCodeAt(i))) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0 && i - start >= HIGH_ENTROPY_MIN_LENGTH && !visit(start, i)) return false;
    start = -1;
  }
  return true;
}

/** Three character codes at `p` as one number, ASCII letters folded to lower case (nothing else is). */
function prefixKey(s: string, p: number): number {
  const fold = (c: number) => (c >= 65 && c <= 90 ? c | 32 : c);
  return (fold(s.charCodeAt(p)) << 16) | (fold(s.charCodeAt(p + 1)) << 8) | fold(s.charCodeAt(p + 2));
}

/**
 * How each pattern but the private key can start: every one opens with `\b` and a word character, so a
 * match starts a `\w` run, and its first three characters (none a value separator) are one of these. Case is
 * folded for all (without `u`, the `i` flag folds no non-ASCII character to an ASCII one); the sticky
 * pattern decides. A match contains its pattern's gate literal, so the anchored patterns need no gate.
 */
const PREFIXES: Readonly<Record<string, readonly string[]>> = {
  'openai-key': ['sk-'],
  'aws-access-key': ['aki', 'asi'],
  'github-token': ['ghp', 'gho', 'ghu', 'ghs', 'ghr'],
  'slack-token': ['xox'],
  'google-api-key': ['aiz'],
  'stripe-key': ['sk_', 'rk_'],
  jwt: ['eyj'],
  bearer: ['bea'],
  credential: ['pas', 'pwd', 'api', 'sec', 'acc', 'aut', 'cli', 'pri'],
  'one-time-code': ['sec', 'ver', 'con', 'log', 'one', 'otp', '2fa', 'mfa', 'aut', 'acc', 'res', 'rec'],
};
/** Sticky copies of the anchored patterns, by index in `PATTERNS`. */
const STICKY = PATTERNS.map(([kind, re]) =>
  PREFIXES[kind] ? new RegExp(re.source, re.flags.replace('g', '') + 'y') : undefined,
);
/** Prefix key → bit mask of the `PATTERNS` indices that can start with it. */
const PREFIX_MASK = new Map<number, number>();
PATTERNS.forEach(([kind], i) => {
  for (const w of PREFIXES[kind] ?? []) {
    const k = prefixKey(w, 0);
    PREFIX_MASK.set(k, (PREFIX_MASK.get(k) ?? 0) | (1 << i));
  }
});

const isWordCode = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;

/**
 * Starts of the `\w` runs whose first three characters some anchored pattern can start with, and that mask
 * (no separator is `\w`, so runs lie inside tokens), left to right.
 */
function anchorStarts(t: TokenStream): { at: number[]; mask: number[] } {
  const { text: s, bounds, flags } = t;
  const at: number[] = [];
  const mask: number[] = [];
  const visit = (p: number) => {
    const m = PREFIX_MASK.get(prefixKey(s, p));
    if (m !== undefined) {
      at.push(p);
      mask.push(m);
    }
  };
  for (let k = 0; k < t.count; k++) {
    const a = bounds[2 * k]!;
    const b = bounds[2 * k + 1]!;
    if (b - a < 3) continue;
    if ((flags[k]! & TOKEN_NON_LETTER) === 0) {
      visit(a);
      continue;
    }
    for (let i = a; i < b - 2; i++) {
      if (!isWordCode(s.charCodeAt(i))) continue;
      visit(i);
      while (i < b && isWordCode(s.charCodeAt(i))) i++;
    }
  }
  return { at, mask };
}

/**
 * Finds secrets in `text`. `tokens`, when the caller has them, is `tokenize(text)` (texts up to `maxChars`).
 *
 * @example
 * findSecrets('my password is hunter2!!').map((s) => s.kind); // ['credential']
 */
export function findSecrets(text: string, maxChars = 100_000, tokens?: TokenStream): SecretMatch[] {
  const s = text.length > maxChars ? text.slice(0, maxChars) : text;
  const t = tokens !== undefined && tokens.text === s ? tokens : undefined;
  const out: SecretMatch[] = [];
  let starts: { at: number[]; mask: number[] } | undefined;
  for (let pi = 0; pi < PATTERNS.length; pi++) {
    const [kind, re, group] = PATTERNS[pi]!;
    const sticky = t !== undefined ? STICKY[pi] : undefined;
    if (sticky !== undefined) {
      // Tried only where a match can start, in order, each after the last match (as `matchAll` goes).
      starts ??= anchorStarts(t!);
      const bit = 1 << pi;
      let from = 0;
      for (let j = 0; j < starts.at.length; j++) {
        const p = starts.at[j]!;
        if ((starts.mask[j]! & bit) === 0 || p < from) continue;
        sticky.lastIndex = p;
        const m = sticky.exec(s);
        if (m === null) continue;
        from = p + m[0].length;
        const v = (group ? m[group] : m[0]) ?? m[0];
        if (kind === 'one-time-code' && !/\d/.test(v)) continue;
        out.push({ kind, value: v.toLowerCase(), start: p, end: from });
        if (out.length > 32) return out;
      }
      continue;
    }
    if (!GATE[kind]?.test(s)) continue;
    re.lastIndex = 0;
    for (const m of s.matchAll(re)) {
      const v = (group ? m[group] : m[0]) ?? m[0];
      if (kind === 'one-time-code' && !/\d/.test(v)) continue;
      out.push({ kind, value: v.toLowerCase(), start: m.index, end: m.index + m[0].length });
      if (out.length > 32) return out;
    }
  }
  const visit = (start: number, end: number): boolean => {
    const v = s.slice(start, end);
    // Mixed classes and high entropy: keys and tokens, not words, hex hashes of documents or UUIDs.
    if (!/[a-z]/.test(v) || !/[A-Z]/.test(v) || !/\d/.test(v)) return true;
    if (entropy(v) < 4) return true;
    if (out.some((o) => o.start <= start && o.end >= end)) return true;
    out.push({ kind: 'high-entropy', value: v.toLowerCase(), start, end });
    return out.length <= 32;
  };
  if (t === undefined) forEachTokenRun(s, 0, s.length, visit);
  else {
    // A run the visit keeps has a digit, so it lies in a token with a digit, at least 24 long.
    const { bounds, flags } = t;
    for (let k = 0; k < t.count; k++) {
      const a = bounds[2 * k]!;
      const b = bounds[2 * k + 1]!;
      if (
        (flags[k]! & TOKEN_DIGIT) !== 0 &&
        b - a >= HIGH_ENTROPY_MIN_LENGTH &&
        !forEachTokenRun(s, a, b, visit)
      )
        break;
    }
  }
  return out;
}
