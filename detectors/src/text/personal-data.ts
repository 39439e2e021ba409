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

import { TOKEN_DIGIT, type TokenStream } from './token-stream.js';

export type PersonalDataKind =
  | 'government-id'
  | 'passport'
  | 'card-number'
  | 'bank-account'
  | 'date-of-birth'
  | 'home-address'
  | 'phone';

export interface PersonalDataMatch {
  kind: PersonalDataKind;
  /** Compact key: lower case, letters and digits only (see `personalDataKey`). */
  key: string;
  start: number;
  end: number;
  /** What made the match: `checksum`, `format` or `context`. */
  basis: 'checksum' | 'format' | 'context';
}

/** Lower case, letters and digits only: `4111-1111 1111 1111` and `4111111111111111` agree. */
export function personalDataKey(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Luhn checksum of a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** ISO 13616 IBAN check: move the first four characters to the end, letters to numbers, mod 97 = 1. */
export function ibanValid(iban: string): boolean {
  const s = iban.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) return false;
  const r = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of r) {
    const c = ch.charCodeAt(0);
    const v = c >= 65 ? String(c - 55) : ch;
    for (const dch of v) rem = (rem * 10 + (dch.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

/** ABA routing number check (US): weights 3, 7, 1 over the nine digits, sum divisible by 10. */
export function abaRoutingValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (digits.charCodeAt(i) - 48) * [3, 7, 1][i % 3]!;
  return sum % 10 === 0 && !/^0{9}$/.test(digits);
}

/**
 * Issuer prefixes and lengths of the card networks (Visa, Mastercard, Amex, Discover, Diners, JCB,
 * UnionPay, Maestro): a Luhn-valid digit run outside them (a gift or loyalty card, an order number that
 * happens to check) is not a payment card.
 */
export function cardIssuerPlausible(digits: string): boolean {
  const n = digits.length;
  const p = (k: number) => Number(digits.slice(0, k));
  if (digits[0] === '4') return n === 13 || n === 16 || n === 19;
  if ((p(2) >= 51 && p(2) <= 55) || (p(4) >= 2221 && p(4) <= 2720)) return n === 16;
  if (p(2) === 34 || p(2) === 37) return n === 15;
  const long = n >= 16 && n <= 19;
  if (p(4) === 6011 || (p(3) >= 644 && p(3) <= 649) || p(2) === 65 || p(2) === 62 || p(2) === 81) return long;
  if (p(4) >= 3528 && p(4) <= 3589) return long;
  if ((p(3) >= 300 && p(3) <= 305) || p(4) === 3095 || p(2) === 36 || p(2) === 38 || p(2) === 39)
    return n >= 14 && n <= 19;
  if ([5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763].includes(p(4))) return n >= 13 && n <= 19;
  return false;
}

// Context right before a value: the phrase, then at most a few separators and filler words.
const GAP = String.raw`(?:[\s"'\x60*_]*(?:[:=#]|-|is|was|are|no\.?|nr\.?|num(?:ber)?|on|at|of|reads|:)?[\s"'\x60*_]*){1,3}`;
const ctx = (phrase: string) => new RegExp(`(?:${phrase})${GAP}$`, 'i');

/** Context phrases per kind, matched (case-insensitively) against the text just before a candidate value. */
const CONTEXT: Readonly<Record<PersonalDataKind, RegExp>> = {
  'government-id': ctx(
    String.raw`\b(?:national|citizen(?:ship)?|identity|identification|personal|government|state|tax(?:payer)?|social\s+security|social\s+insurance|driver'?s?|driving)\s*(?:id|identification|card|licen[cs]e|number|no|code)(?:\s*(?:number|no|card|code))?|\bid\s*(?:number|no|card|code)|\b(?:ssn|sin|nin|tin|nino|nhs\s*number|aadhaar|cpf|dni|nie|nif|pesel|bsn)|\blicen[cs]e\s*(?:number|no)`,
  ),
  passport: ctx(String.raw`\bpassport(?:\s*(?:number|no|id|code|#))?`),
  'card-number': ctx(
    String.raw`\b(?:credit|debit|payment|bank|visa|master\s*card|amex|american\s+express|discover)?\s*card(?:\s*(?:number|no|details|#|ending(?:\s+in)?))?|\b(?:cc|pan)(?:\s*(?:number|no))?|\b(?:visa|mastercard|amex)`,
  ),
  // A qualifier that makes the account a person's bank account; a bare "account" is in `BARE_CONTEXT`.
  'bank-account': ctx(
    String.raw`\b(?:bank(?:ing)?|checking|chequing|savings?|current|deposit|personal|private|joint|salary|my|your|his|her|their|customer'?s?|client'?s?|holder'?s?|owner'?s?|member'?s?|beneficiary'?s?|employee'?s?)\s+(?:bank\s+)?(?:account|acct|a\/c)(?:\s*(?:number|no|#))?|\biban|\bsort\s*code|\bbsb|\bbank\s*(?:number|no)`,
  ),
  'date-of-birth': ctx(
    String.raw`\b(?:date\s*of\s*birth|birth\s*date|birthdate|birthday|dob|d\.o\.b\.?|born(?:\s+(?:on|in))?)`,
  ),
  'home-address': ctx(
    String.raw`\b(?:home|residential|residence|personal|private|postal|mailing|billing|shipping|delivery|street)\s*(?:address|addr)?|\bmy\s+address|\b(?:lives?|living|resides?|residing)\s+(?:at|in)|\baddress\s+of\s+residence`,
  ),
  // A personal device or an owner; a bare "phone"/"tel" (a shop's line as often as a person's) is in `BARE_CONTEXT`.
  phone: ctx(
    String.raw`\b(?:my|your|his|her|their|home|personal|private|customer'?s?|client'?s?|user'?s?|owner'?s?|holder'?s?|member'?s?|patient'?s?|guest'?s?|employee'?s?|emergency(?:\s+contact)?|next\s+of\s+kin|spouse'?s?|parent'?s?)\s+(?:(?:mobile|cell(?:ular)?|tele)?\s*phone|mobile|cell|telephone|tel|whats\s*app|number)(?:\s*(?:number|no|#))?|\b(?:mobile|cell(?:ular)?)(?:\s*phone)?(?:\s*(?:number|no|#))?|\bwhats\s*app(?:\s*(?:number|no|#))?|\b(?:call|text|reach|ring)\s+me`,
  ),
};

/** The bare account and phone words: personal only inside a record whose fields name a person. */
const BARE_CONTEXT = {
  'bank-account': ctx(String.raw`\b(?:account|acct|a\/c)(?:\s*(?:number|no|#))?`),
  phone: ctx(String.raw`\b(?:(?:tele)?phone|tel)(?:\s*(?:number|no|#))?`),
} as const;

/** Accounts and lines that belong to a service or a business, whatever qualifier precedes them. */
const NOT_PERSONAL = {
  'bank-account': ctx(
    String.raw`\b(?:aws|amazon|gcp|google|azure|cloud|service|iam|tenant|project|org|organi[sz]ation|subscription|workspace|merchant|business|company|corporate|developer|partner|api|app|billing|vendor|supplier|ads?|advertiser|stripe|github|user|admin|root|trial|demo|test)\s+(?:\w+\s+)?(?:account|acct)(?:\s*(?:number|no|#|id))?`,
  ),
  phone: ctx(
    String.raw`\b(?:business|office|work|company|corporate|support|service|sales|fax|toll[\s-]?free|hotline|reception|front\s+desk|switchboard|main|store|shop|restaurant|hotel|clinic|booking|reservations?)\s+(?:\w+\s+)?(?:(?:tele)?phone|tel|line|number|mobile|cell)(?:\s*(?:number|no|#))?`,
  ),
} as const;

/** US routing numbers (nine digits, ABA checksum) after their own context word. */
const ROUTING_CONTEXT = ctx(String.raw`\b(?:routing|aba|rtn)(?:\s*(?:transit)?\s*(?:number|no|#))?`);

/** Field names of a person's record (`first_name:`, `'Date of Birth':`): the record is about a person. */
const PERSON_RECORD =
  /\b(?:(?:first|last|full|given|family|middle)\s*name|surname|date\s*of\s*birth|birth\s*date|dob|passport(?:\s*(?:number|no))?|account\s*holder(?:\s*name)?|card\s*holder(?:\s*name)?|cardholder|holder\s*name|customer\s*name|patient\s*name|ssn|social\s*security(?:\s*number)?|national\s*id(?:\s*number)?)['"\s]*[:=]/i;
const RECORD_CHARS = 300;

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

function readContextWindow(text: string, start: number): string {
  let a = Math.max(0, start - 48);
  // The context belongs to the same line (a key and its value, or one sentence).
  const nl = text.lastIndexOf('\n', start - 1);
  if (nl >= a) a = nl + 1;
  return text
    .slice(a, start)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ');
}

function hasContext(text: string, start: number, kind: PersonalDataKind): boolean {
  return CONTEXT[kind].test(contextWindow(text, start));
}

/** The record around a value, field names read as words: up to `RECORD_CHARS` either side. */
function recordWindow(text: string, start: number): string {
  return text
    .slice(Math.max(0, start - RECORD_CHARS), start + RECORD_CHARS)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ');
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

const STREET_SUFFIX = (
  'street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|parkway|pkwy|' +
  'highway|hwy|square|sq|close|crescent|alley|strasse|straße|str|weg|gasse|platz|rue|via|calle|avenida|laan|vej|gatan'
)
  .split('|')
  .flatMap((w) => [w, w[0]!.toUpperCase() + w.slice(1)])
  .join('|');
// Names are capitalised; the suffix may be glued to the name ("Hauptstraße 5") or follow it.
const ADDRESS = new RegExp(
  String.raw`\b\d{1,5}[a-z]?\s+(?:[A-Z][\w'.-]*\s+){1,4}(?:${STREET_SUFFIX})\b\.?|\b(?:[A-Z][\w'.-]*\s+){0,3}[A-Z][\w'-]*(?:${STREET_SUFFIX})\.?\s+\d{1,5}[a-z]?\b|\b(?:[A-Z][\w'.-]*\s+){1,3}(?:${STREET_SUFFIX})\.?\s+\d{1,5}[a-z]?\b`,
  'g',
);
const DATE =
  /\b(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+\d{4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})\b/gi;
/** Digit runs with single separators (cards, accounts, phones, ids). */
const DIGIT_RUN = /(?<![\w-])\+?(?:\(\d{1,4}\)\s?)?\d(?:[ .-]?\d){5,22}(?![\w-])/g;
/**
 * Alphanumeric codes with at least one digit (passports, ids, licences): what
 * `/(?<![\w-])(?=[A-Z0-9-]*\d)[A-Z0-9](?:[A-Z0-9]|-(?=[A-Z0-9])){4,19}(?![\w-])/gi` matches, found in one
 * pass. Both look-arounds exclude `[\w-]`, so a match is a whole run of `[A-Za-z0-9_-]` (5–20 long) that
 * starts with a letter or digit, has a digit, no `_`, and no `-` that is not followed by a letter or digit.
 */
function forEachCode(s: string, from: number, to: number, visit: (start: number, end: number) => void): void {
  const n = to;
  for (let i = from; i < n; ) {
    if (!isCodeRunChar(s.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    let ok = isAlnum(s.charCodeAt(i));
    let digit = false;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (!isCodeRunChar(c)) break;
      if (c >= 48 && c <= 57) digit = true;
      else if (c === 95 || (c === 45 && !isAlnum(s.charCodeAt(i + 1)))) ok = false;
    }
    const len = i - start;
    if (ok && digit && len >= 5 && len <= 20) visit(start, i);
  }
}
const isAlnum = (c: number) => (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122);
const isCodeRunChar = (c: number) => isAlnum(c) || c === 95 || c === 45;
const IBAN_RUN = /(?<![\w])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?(?![\w])/g;
const SSN = /^(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$/;

/** Cheap literal gate: texts without digits carry none of these kinds. */
const HAS_DIGIT = /\d/;
/**
 * Literal gates for the context-only kinds: every `CONTEXT` phrase of the kind contains one of these, and the
 * context window is a slice of the text (field names split into words, never joined), so a text without
 * any of them cannot label a date or an address and skips those scans.
 */
const BIRTH_GATE = /birth|dob|d\.o\.b|born/i;
const ADDRESS_GATE =
  /home|personal|private|postal|mailing|billing|shipping|delivery|street|address|liv|resid/i;

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
  if (t === undefined) forEachCode(s, 0, s.length, visit);
  else {
    // A code run has a digit and no separator: it lies in one token, one with a digit.
    const { bounds, flags } = t;
    for (let k = 0; k < t.count; k++)
      if ((flags[k]! & TOKEN_DIGIT) !== 0) forEachCode(s, bounds[2 * k]!, bounds[2 * k + 1]!, visit);
  }
  // The window cache keeps no text past the call.
  lastWindowText = '';
  lastWindowStart = -1;
  return out;
}
