/**
 * Secrets by pattern and by entropy. Used to label tool results `secret` and to catch secrets in outbound
 * arguments. Patterns are vendor key formats and generic credential phrasing, never specific values.
 */

export interface SecretMatch {
  kind: string;
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

const PATTERNS: ReadonlyArray<readonly [string, RegExp, number]> = [
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

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Characters of key- and token-like runs: `[A-Za-z0-9+/_=-]`. */
function isTokenChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 43 ||
    c === 47 ||
    c === 95 ||
    c === 61 ||
    c === 45
  );
}

/**
 * Runs of at least 24 token characters, found in one pass (a `{24,}` regex re-tries from every position of
 * every shorter word, which showed up in profiles of large tool results).
 */
function forEachTokenRun(s: string, visit: (start: number, end: number) => boolean): void {
  let start = -1;
  for (let i = 0; i <= s.length; i++) {
    if (i < s.length && isTokenChar(s.charCodeAt(i))) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0 && i - start >= 24 && !visit(start, i)) return;
    start = -1;
  }
}

/**
 * Finds secrets in `text`.
 *
 * @example
 * findSecrets('my password is hunter2!!').map((s) => s.kind); // ['credential']
 */
export function findSecrets(text: string, maxChars = 100_000): SecretMatch[] {
  const s = text.length > maxChars ? text.slice(0, maxChars) : text;
  const out: SecretMatch[] = [];
  for (const [kind, re, group] of PATTERNS) {
    if (!GATE[kind]?.test(s)) continue;
    re.lastIndex = 0;
    for (const m of s.matchAll(re)) {
      const v = (group ? m[group] : m[0]) ?? m[0];
      if (kind === 'one-time-code' && !/\d/.test(v)) continue;
      out.push({ kind, value: v.toLowerCase(), start: m.index, end: m.index + m[0].length });
      if (out.length > 32) return out;
    }
  }
  forEachTokenRun(s, (start, end) => {
    const v = s.slice(start, end);
    // Mixed classes and high entropy: keys and tokens, not words, hex hashes of documents or UUIDs.
    if (!/[a-z]/.test(v) || !/[A-Z]/.test(v) || !/\d/.test(v)) return true;
    if (entropy(v) < 4) return true;
    if (out.some((o) => o.start <= start && o.end >= end)) return true;
    out.push({ kind: 'high-entropy', value: v.toLowerCase(), start, end });
    return out.length <= 32;
  });
  return out;
}
