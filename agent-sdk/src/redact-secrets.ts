import {
  HIGH_ENTROPY_MIN_LENGTH,
  isHighEntropyToken,
  isSecretFieldName,
  redactionMask,
  SECRET_PATTERNS,
  SELF_EVIDENT_PERSONAL_PATTERNS,
  type SensitivePattern,
} from '@bulwark/contracts';

/** Result of masking secrets in a text. */
export interface RedactResult {
  text: string;
  /** True when at least one secret was masked. */
  redacted: boolean;
}

// Secrets first so they keep their kind, then personal data that proves itself (card, IBAN, SSN); the
// entropy scan last, where a mask (`[REDACTED:api_key]`: '[' and ':' end a token run) is never re-masked.
const PATTERNS: readonly SensitivePattern[] = [...SECRET_PATTERNS, ...SELF_EVIDENT_PERSONAL_PATTERNS];
const TOKEN_RUN = new RegExp(`[A-Za-z0-9+/_=-]{${HIGH_ENTROPY_MIN_LENGTH},}`, 'g');
const HIGH_ENTROPY_MASK = redactionMask('high-entropy');

/**
 * Masks secrets and self-evident personal data in free text, by the shared catalogue of `@bulwark/contracts`
 * (the one the detectors find with): vendor keys (`sk-…`, `AKIA…`, `ghp_…`, `xoxb-…`, `AIza…`, `sk_live_…`),
 * JWTs, PEM private keys, `Bearer` tokens, `password=…`-style assignments, one-time codes, Luhn-valid card
 * numbers, IBANs, dashed social-security numbers and long high-entropy tokens. Only the value is masked
 * (`password=[REDACTED:password]`). Pattern-based, so best effort: a safety net for telemetry, not a
 * data-loss-prevention system.
 *
 * @example
 * redactSecrets('key sk-abcdefghijklmnopqrstuvwx').text; // 'key [REDACTED:api_key]'
 */
export function redactSecrets(text: string): RedactResult {
  let out = text;
  let redacted = false;
  for (const p of PATTERNS) {
    if (!p.gate.test(out)) continue;
    const mask = redactionMask(p.kind);
    out = out.replace(p.pattern, (match: string, ...groups: unknown[]) => {
      const group = p.valueGroup > 0 ? groups[p.valueGroup - 1] : match;
      const value = typeof group === 'string' ? group : match;
      if (p.accepts && !p.accepts(value)) return match;
      redacted = true;
      // The value is the match's tail: keep what names it (`password=`, `Bearer `).
      return match.slice(0, match.length - value.length) + mask;
    });
  }
  out = out.replace(TOKEN_RUN, (run) => {
    if (!isHighEntropyToken(run)) return run;
    redacted = true;
    return HIGH_ENTROPY_MASK;
  });
  return { text: out, redacted };
}

/** True when an object key names a secret (`password`, `api_key`, `authorization`, `x-auth-token`, ...). */
export function isSecretKey(key: string): boolean {
  return isSecretFieldName(key);
}
