/**
 * Personal data by shape, checksum and context: government ids, passport numbers, payment card numbers
 * (Luhn and a known issuer prefix and length), bank accounts (IBAN mod-97, ABA routing checksum, or an
 * account number a personal qualifier names), dates of birth, home addresses and phone numbers. Used to
 * label values read from tool results `personal` and to recognise them again in outbound arguments.
 *
 * Shapes alone are ambiguous (a 9-digit number, a date, a street), so every kind except a checksummed IBAN
 * or card, or a dashed social-security number, needs a context word right before the value: a field name
 * (`passport_number:`, `dateOfBirth=`) or a phrase ("my passport number is", "born on"). "Account" and
 * "phone" name a cloud account, a customer id or a shop's line as often as a person's, so those two kinds
 * need a personal qualifier (`my`, `home`, `mobile`, `bank`/`savings` account, `customer_phone`,
 * `account_holder`, IBAN, sort code) or a record whose fields name a person (`first_name:`,
 * `date_of_birth:`); cloud/service accounts and business lines stay unlabelled even then. Card numbers
 * always need the Luhn checksum. Public places' addresses and phone numbers ("address: 12 Main Street",
 * "Phone: 415-555-0134" of a restaurant) carry no personal context and stay unlabelled.
 */

import {
  STREET_ADDRESS as ADDRESS,
  ADDRESS_GATE,
  abaRoutingValid,
  BARE_PERSONAL_CONTEXT as BARE_CONTEXT,
  BIRTH_GATE,
  PERSONAL_DATA_CONTEXT as CONTEXT,
  cardIssuerPlausible,
  CALENDAR_DATE as DATE,
  DIGIT_RUN,
  forEachCodeRun,
  HAS_DIGIT,
  IBAN_RUN,
  ibanValid,
  luhnValid,
  NOT_PERSONAL_CONTEXT as NOT_PERSONAL,
  PERSON_RECORD_FIELD as PERSON_RECORD,
  type PersonalDataKind,
  personalDataKey,
  ROUTING_NUMBER_CONTEXT as ROUTING_CONTEXT,
  personalDataContextWindow as readContextWindow,
  personalDataRecordWindow as recordWindow,
  SSN_FORMAT as SSN,
} from '@bulwark/contracts';
import { TOKEN_DIGIT, type TokenStream } from './token-stream.js';

// The kinds, validators, context phrases and shapes are the one catalogue in contracts, which the agent SDK's
// redaction uses too: what the engine calls personal data is what the SDK masks. The scan stays here.
export type { PersonalDataKind };
export { abaRoutingValid, cardIssuerPlausible, ibanValid, luhnValid, personalDataKey };

export interface PersonalDataMatch {
  kind: PersonalDataKind;
  /** Compact key: lower case, letters and digits only (see `personalDataKey`). */
  key: string;
  start: number;
  end: number;
  /** What made the match: `checksum`, `format` or `context`. */
  basis: 'checksum' | 'format' | 'context';
}

/** Field names are written `passport_number`, `dateOfBirth`, `ID-number`: read them as words. */
function contextWindow(text: string, start: number): string {
  // Each candidate asks for its window once per kind tried: the last one is kept.
  if (start === lastWindowStart && text === lastWindowText) return lastWindow;
  lastWindow = readContextWindow(text, start);
  lastWindowText = text;
  lastWindowStart = start;
  return lastWindow;
}
let lastWindowText = '';
let lastWindowStart = -1;
let lastWindow = '';

function hasContext(text: string, start: number, kind: PersonalDataKind): boolean {
  return CONTEXT[kind].test(contextWindow(text, start));
}

/**
 * An account or phone number is personal when a qualifier names it so ("my mobile", `customer_phone`,
 * "savings account", "IBAN"), or when a bare "account"/"phone" sits in a record whose fields name a person;
 * never when it is a service's account or a business line.
 */
function personalContext(text: string, start: number, kind: 'bank-account' | 'phone'): boolean {
  const w = contextWindow(text, start);
  if (NOT_PERSONAL[kind].test(w)) return false;
  if (CONTEXT[kind].test(w)) return true;
  return BARE_CONTEXT[kind].test(w) && PERSON_RECORD.test(recordWindow(text, start));
}

/**
 * Finds personal data in `text` (at most `limit` matches, first `maxChars` characters). `tokens`, when the
 * caller has them, is `tokenize(text)` (texts up to `maxChars`).
 *
 * @example
 * findPersonalData('passport_number: HGK137803').map((m) => m.kind); // ['passport']
 * findPersonalData('Card: 4111 1111 1111 1111').map((m) => m.basis); // ['checksum']
 */
export function findPersonalData(
  text: string,
  limit = 64,
  maxChars = 100_000,
  tokens?: TokenStream,
): PersonalDataMatch[] {
  const s = text.length > maxChars ? text.slice(0, maxChars) : text;
  if (!HAS_DIGIT.test(s)) return [];
  const out: PersonalDataMatch[] = [];
  const taken: Array<[number, number]> = [];
  const overlaps = (a: number, b: number) => taken.some(([x, y]) => a < y && b > x);
  const push = (kind: PersonalDataKind, raw: string, start: number, basis: PersonalDataMatch['basis']) => {
    const end = start + raw.length;
    const key = personalDataKey(raw);
    if (out.length >= limit || key.length < 5 || overlaps(start, end)) return;
    taken.push([start, end]);
    out.push({ kind, key, start, end, basis });
  };

  // `exec` loops, not `matchAll` (which copies the pattern per call): none of these matches is empty.
  IBAN_RUN.lastIndex = 0;
  for (let m = IBAN_RUN.exec(s); m !== null; m = IBAN_RUN.exec(s)) {
    const compact = m[0].replace(/ /g, '');
    if (compact.length < 15 || compact.length > 34) continue;
    if (ibanValid(compact)) push('bank-account', m[0], m.index, 'checksum');
    else if (personalContext(s, m.index, 'bank-account')) push('bank-account', m[0], m.index, 'context');
  }

  if (BIRTH_GATE.test(s)) {
    DATE.lastIndex = 0;
    for (let m = DATE.exec(s); m !== null; m = DATE.exec(s)) {
      if (hasContext(s, m.index, 'date-of-birth')) push('date-of-birth', m[0], m.index, 'context');
    }
  }

  if (ADDRESS_GATE.test(s)) {
    ADDRESS.lastIndex = 0;
    for (let m = ADDRESS.exec(s); m !== null; m = ADDRESS.exec(s)) {
      if (hasContext(s, m.index, 'home-address')) push('home-address', m[0], m.index, 'context');
    }
  }

  DIGIT_RUN.lastIndex = 0;
  for (let m = DIGIT_RUN.exec(s); m !== null; m = DIGIT_RUN.exec(s)) {
    const raw = m[0];
    const digits = raw.replace(/\D/g, '');
    const at = m.index;
    if (SSN.test(raw)) {
      push('government-id', raw, at, 'format');
      continue;
    }
    // A card number always checks (Luhn) and fits a network's prefix and length; context alone is not enough
    // ("gift card 6035 …", a "card" reference number).
    if (digits.length >= 13 && digits.length <= 19 && !raw.startsWith('+')) {
      const grouped = /^\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}$|^\d{4}([ -])\d{6}\2\d{5}$/.test(raw);
      if (luhnValid(digits) && cardIssuerPlausible(digits) && (grouped || hasContext(s, at, 'card-number'))) {
        push('card-number', raw, at, 'checksum');
        continue;
      }
    }
    if (digits.length === 9 && abaRoutingValid(digits) && ROUTING_CONTEXT.test(contextWindow(s, at))) {
      push('bank-account', raw, at, 'checksum');
      continue;
    }
    if (digits.length >= 6 && digits.length <= 18 && personalContext(s, at, 'bank-account')) {
      push('bank-account', raw, at, 'context');
      continue;
    }
    if (hasContext(s, at, 'passport') && digits.length >= 6 && digits.length <= 12) {
      push('passport', raw, at, 'context');
      continue;
    }
    if (hasContext(s, at, 'government-id') && digits.length >= 5 && digits.length <= 20) {
      push('government-id', raw, at, 'context');
      continue;
    }
    if (digits.length >= 7 && digits.length <= 15 && personalContext(s, at, 'phone')) {
      push('phone', raw, at, 'context');
    }
  }

  const visit = (start: number, end: number) => {
    const code = s.slice(start, end);
    // Mixed letters and digits: passports and ids written as codes (digit-only runs were handled above).
    if (!/[a-z]/i.test(code)) return;
    if (hasContext(s, start, 'passport')) push('passport', code, start, 'context');
    else if (hasContext(s, start, 'government-id')) push('government-id', code, start, 'context');
  };
  const t = tokens !== undefined && tokens.text === s ? tokens : undefined;
  if (t === undefined) forEachCodeRun(s, visit);
  else {
    // A code run has a digit and no separator: it lies in one token, one with a digit.
    const { bounds, flags } = t;
    for (let k = 0; k < t.count; k++)
      if ((flags[k]! & TOKEN_DIGIT) !== 0) forEachCodeRun(s, visit, bounds[2 * k]!, bounds[2 * k + 1]!);
  }
  // The window cache keeps no text past the call.
  lastWindowText = '';
  lastWindowStart = -1;
  return out;
}
