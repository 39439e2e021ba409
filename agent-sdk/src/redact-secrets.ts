/** Result of masking secrets in a text. */
export interface RedactResult {
  text: string;
  /** True when at least one secret was masked. */
  redacted: boolean;
}

interface Rule {
  kind: string;
  pattern: RegExp;
  /** Replacement for the whole match; defaults to `[REDACTED:<kind>]`. */
  replace?: (match: string, ...groups: string[]) => string | undefined;
}

const mask = (kind: string) => `[REDACTED:${kind}]`;

function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Shannon entropy in bits per character. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

// Order matters: specific formats first so they keep their kind; the generic entropy rule runs last and
// never re-masks an earlier mask (masks contain ':' and '[' which the token class excludes).
const RULES: readonly Rule[] = [
  {
    kind: 'private_key',
    pattern:
      /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|$)/g,
  },
  { kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/g },
  { kind: 'api_key', pattern: /\bsk-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_-]{16,}/g },
  { kind: 'aws_access_key', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: 'github_token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/g },
  { kind: 'slack_token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  {
    kind: 'bearer',
    pattern: /\b(Bearer)(\s+)[A-Za-z0-9\-._~+/]{8,}=*/gi,
    replace: (_m, word, space) => `${word}${space}${mask('bearer')}`,
  },
  {
    kind: 'password',
    // `password=x`, `"api_key": "x"`, `secret: x` — keep the key so the text stays readable.
    pattern:
      /\b(passwords?|passwd|pwd|secret|client[_-]?secret|api[_-]?key|access[_-]?token|auth[_-]?token)(["']?\s*[=:]\s*)(["']?)([^\s"'&,;}]+)/gi,
    replace: (_m, key, sep, quote) => `${key}${sep}${quote}${mask('password')}`,
  },
  {
    kind: 'card_number',
    pattern: /\b\d(?:[ -]?\d){12,18}\b/g,
    replace: (m) => {
      const digits = m.replace(/[ -]/g, '');
      return digits.length >= 13 && digits.length <= 19 && luhnValid(digits)
        ? mask('card_number')
        : undefined;
    },
  },
  {
    kind: 'high_entropy',
    // Long opaque tokens: mixed letters and digits with high entropy. Hex (max 4 bits/char) stays visible,
    // so hashes and trace ids are not masked.
    pattern: /[A-Za-z0-9+/_=-]{32,}/g,
    replace: (m) =>
      /[A-Za-z]/.test(m) && /\d/.test(m) && entropy(m) > 4.2 ? mask('high_entropy') : undefined,
  },
];

/**
 * Masks secrets in free text: API keys (`sk-…`, `AKIA…`, `ghp_…`, `xoxb-…`), JWTs, PEM private keys,
 * `password=…`-style assignments, bearer tokens, Luhn-valid card numbers and long high-entropy tokens.
 * Pattern-based, so best effort: it is a safety net for telemetry, not a data-loss-prevention system.
 *
 * @example
 * redactSecrets('key sk-abcdefghijklmnopqrstuvwx').text; // 'key [REDACTED:api_key]'
 */
export function redactSecrets(text: string): RedactResult {
  let out = text;
  let redacted = false;
  for (const rule of RULES) {
    rule.pattern.lastIndex = 0;
    out = out.replace(rule.pattern, (match: string, ...rest: unknown[]) => {
      const groups = rest.filter((g): g is string => typeof g === 'string');
      const replacement = rule.replace ? rule.replace(match, ...groups) : mask(rule.kind);
      if (replacement === undefined) return match;
      redacted = true;
      return replacement;
    });
  }
  return { text: out, redacted };
}

const SECRET_KEY =
  /^(?:.*[_-])?(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|authorization|credentials?|private[_-]?key|cookie)$/i;

/** True when an object key names a secret (`password`, `api_key`, `authorization`, `x-auth-token`, ...). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}
