import {
  ADDRESS_GATE,
  BIRTH_GATE,
  CALENDAR_DATE,
  CARD_NUMBER_PATTERN,
  classifyCode,
  classifyDigitRun,
  classifyIbanRun,
  DIGIT_RUN,
  forEachCodeRun,
  forEachTokenRun,
  HAS_DIGIT,
  hasPersonalDataContext,
  IBAN_RUN,
  isHighEntropyToken,
  isSecretFieldName,
  type PersonalDataClass,
  redactionMask,
  SECRET_PATTERNS,
  type SensitivePattern,
  STREET_ADDRESS,
} from '@bulwark/contracts';

/** Result of masking secrets in a text. */
export interface RedactResult {
  text: string;
  /** True when at least one secret was masked. */
  redacted: boolean;
}

type Classify = (text: string, start: number, raw: string) => PersonalDataClass | undefined;
const dateOfBirth: Classify = (t, at) =>
  hasPersonalDataContext(t, at, 'date-of-birth') ? { kind: 'date-of-birth', basis: 'context' } : undefined;
const homeAddress: Classify = (t, at) =>
  hasPersonalDataContext(t, at, 'home-address') ? { kind: 'home-address', basis: 'context' } : undefined;

/** Personal-data candidate shapes and how the catalogue classifies them, in the detectors' order. */
const PERSONAL_SCANS: readonly (readonly [gate: RegExp, shape: RegExp, classify: Classify])[] = [
  [HAS_DIGIT, IBAN_RUN, classifyIbanRun],
  [BIRTH_GATE, CALENDAR_DATE, dateOfBirth],
  [ADDRESS_GATE, STREET_ADDRESS, homeAddress],
  [HAS_DIGIT, DIGIT_RUN, classifyDigitRun],
];
const HIGH_ENTROPY_MASK = redactionMask('high-entropy');

/** Masks the matches `p` accepts, keeping what precedes the value (`password=`, `Bearer `). */
function maskPattern(text: string, p: SensitivePattern): string {
  if (!p.gate.test(text)) return text;
  const mask = redactionMask(p.kind);
  return text.replace(p.pattern, (match: string, ...groups: unknown[]) => {
    const group = p.valueGroup > 0 ? groups[p.valueGroup - 1] : match;
    const value = typeof group === 'string' ? group : match;
    if (p.accepts && !p.accepts(value)) return match;
    // The value is the match's tail.
    return match.slice(0, match.length - value.length) + mask;
  });
}

/** Replaces the `[start, end)` spans `find` reports (in order, not overlapping) with their masks. */
function maskSpans(
  text: string,
  find: (add: (start: number, end: number, mask: string) => void) => void,
): string {
  let out = '';
  let last = 0;
  find((start, end, mask) => {
    out += text.slice(last, start) + mask;
    last = end;
  });
  return last === 0 ? text : out + text.slice(last);
}

/** Personal data a context names (a passport number after "passport no.", a date after "born"). */
function maskPersonalData(text: string): string {
  if (!HAS_DIGIT.test(text)) return text;
  let out = text;
  for (const [gate, shape, classify] of PERSONAL_SCANS) {
    if (!gate.test(out)) continue;
    const s = out;
    out = maskSpans(s, (add) => {
      for (const m of s.matchAll(shape)) {
        const c = classify(s, m.index, m[0]);
        if (c) add(m.index, m.index + m[0].length, redactionMask(c.kind));
      }
    });
  }
  const s = out;
  return maskSpans(s, (add) =>
    forEachCodeRun(s, (start, end) => {
      const c = classifyCode(s, start, s.slice(start, end));
      if (c) add(start, end, redactionMask(c.kind));
    }),
  );
}

/**
 * Masks secrets and personal data in free text, by the catalogue of `@bulwark/contracts` the detectors find
 * with: vendor keys (`sk-…`, `AKIA…`, `ghp_…`, `xoxb-…`, `AIza…`, `sk_live_…`), JWTs, PEM private keys,
 * `Bearer` tokens, `password=…`-style assignments, one-time codes, IBANs, dashed social-security numbers,
 * personal data its context names (passport and id numbers, dates of birth, home addresses, personal phones
 * and accounts), Luhn-valid card numbers and long high-entropy tokens. Only the value is masked
 * (`password=[REDACTED:password]`). Pattern-based, so best effort: a safety net for telemetry, not a
 * data-loss-prevention system.
 *
 * @example
 * redactSecrets('key sk-abcdefghijklmnopqrstuvwx').text; // 'key [REDACTED:api_key]'
 */
export function redactSecrets(text: string): RedactResult {
  let out = text;
  // Secrets first so they keep their kind; the entropy scan last, where a mask (`[REDACTED:api_key]`: '['
  // and ':' end a token run) is never masked again.
  for (const p of SECRET_PATTERNS) out = maskPattern(out, p);
  out = maskPersonalData(out);
  out = maskPattern(out, CARD_NUMBER_PATTERN);
  const s = out;
  out = maskSpans(s, (add) =>
    forEachTokenRun(s, (start, end) => {
      if (isHighEntropyToken(s.slice(start, end))) add(start, end, HIGH_ENTROPY_MASK);
      return true;
    }),
  );
  return { text: out, redacted: out !== text };
}

/** True when an object key names a secret (`password`, `api_key`, `authorization`, `x-auth-token`, ...). */
export function isSecretKey(key: string): boolean {
  return isSecretFieldName(key);
}
