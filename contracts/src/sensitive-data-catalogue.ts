/**
 * The one catalogue of secrets and personal data: kind names, patterns and literal gates, validators (Luhn,
 * IBAN mod-97, ABA, card issuers, entropy) and the context phrases personal data needs. The detectors find
 * with it (`findSecrets`, `findPersonalData`) and the agent SDK redacts with it, so what a detector calls a
 * secret is what the SDK masks on spans. Plain data and pure functions: no I/O, no dependencies.
 *
 * Kind names are the detectors' (`openai-key`, `card-number`, …): they are stored in findings' messages and
 * evidence notes. The SDK's masks keep their own labels (`[REDACTED:api_key]`), also stored (span content),
 * mapped per kind in {@link REDACTION_LABELS}.
 *
 * Patterns and values match vendor formats and generic credential phrasing, never specific values. The
 * global regexes are shared: use them with `matchAll` / `replace` (which start from index 0), never `exec`.
 */

/** Secret kinds, in the order the detectors scan them (the entropy scan last). */
export const SECRET_KINDS = [
  'private-key',
  'openai-key',
  'aws-access-key',
  'github-token',
  'slack-token',
  'google-api-key',
  'stripe-key',
  'jwt',
  'bearer',
  'credential',
  'one-time-code',
  'high-entropy',
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

/** Personal-data kinds. */
export const PERSONAL_DATA_KINDS = [
  'government-id',
  'passport',
  'card-number',
  'bank-account',
  'date-of-birth',
  'home-address',
  'phone',
] as const;
export type PersonalDataKind = (typeof PERSONAL_DATA_KINDS)[number];

export type SensitiveDataKind = SecretKind | PersonalDataKind;

/**
 * Label of each kind in the SDK's masks, `[REDACTED:<label>]`. The first SDK catalogue's labels are kept
 * (`api_key`, `password`, `card_number`, …): spans recorded with them are stored.
 */
export const REDACTION_LABELS: Readonly<Record<SensitiveDataKind, string>> = {
  'private-key': 'private_key',
  'openai-key': 'api_key',
  'aws-access-key': 'aws_access_key',
  'github-token': 'github_token',
  'slack-token': 'slack_token',
  'google-api-key': 'google_api_key',
  'stripe-key': 'stripe_key',
  jwt: 'jwt',
  bearer: 'bearer',
  credential: 'password',
  'one-time-code': 'one_time_code',
  'high-entropy': 'high_entropy',
  'government-id': 'government_id',
  passport: 'passport',
  'card-number': 'card_number',
  'bank-account': 'bank_account',
  'date-of-birth': 'date_of_birth',
  'home-address': 'home_address',
  phone: 'phone',
};

/** Label of a whole value masked because its field is named like a secret (`password`, `authorization`). */
export const SECRET_FIELD_LABEL = 'secret_field';

/**
 * The mask that replaces a value: `[REDACTED:<label>]`.
 *
 * @example
 * redactionMask('openai-key'); // '[REDACTED:api_key]'
 */
export function redactionMask(kind: SensitiveDataKind | typeof SECRET_FIELD_LABEL): string {
  return `[REDACTED:${kind === SECRET_FIELD_LABEL ? SECRET_FIELD_LABEL : REDACTION_LABELS[kind]}]`;
}

/** A mask in redacted text (group 1: the label): a value was a secret, even though it is gone. */
export const REDACTION_MASK = /\[REDACTED:([a-z_]+)\]/g;

/** One pattern-found kind. */
export interface SensitivePattern {
  readonly kind: SensitiveDataKind;
  /** Cheap literal test: a text it rejects cannot match `pattern`, so run it first. */
  readonly gate: RegExp;
  /** Global. */
  readonly pattern: RegExp;
  /**
   * Capture group holding the value (0: the whole match). Always the tail of the match, so what precedes it
   * (`password=`, `Bearer `) can be kept when the value is masked.
   */
  readonly valueGroup: number;
  /** Further test of the value (checksum, a digit); absent: every match counts. */
  readonly accepts?: (value: string) => boolean;
  /**
   * Shortest value that is a finding. Shorter ones are still masked, but a 2-character "secret" would match
   * everywhere as provenance.
   */
  readonly minFindingLength?: number;
}

/** The value of a match of `p` (its `valueGroup`, else the whole match). */
export function patternValue(p: SensitivePattern, match: RegExpMatchArray): string {
  return (p.valueGroup ? match[p.valueGroup] : match[0]) ?? match[0];
}

/** Key words of `password: x`-style assignments and sentences ("the api key is x"). */
const CREDENTIAL_WORDS =
  'passwords?|passwd|pwd|passphrase|api[_ -]?key|secret(?:[_ -]?key)?|access[_ -]?token|auth[_ -]?token|client[_ -]?secret|private[_ -]?key';

/**
 * Secrets by pattern, most specific first. Vendor formats, then `Bearer` tokens, credential assignments and
 * one-time codes. Long high-entropy tokens are found by {@link isHighEntropyToken} over token runs.
 */
export const SECRET_PATTERNS: readonly SensitivePattern[] = [
  {
    kind: 'private-key',
    gate: /PRIVATE KEY/,
    // To the END line, or to the end of the text: a key cut by a size cap is still a key.
    pattern:
      /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|$)/g,
    valueGroup: 0,
  },
  // `sk-…` keys of OpenAI (`sk-proj-…`), Anthropic (`sk-ant-…`) and compatible providers.
  { kind: 'openai-key', gate: /sk-/, pattern: /\bsk-[A-Za-z0-9_-]{20,}\b/g, valueGroup: 0 },
  { kind: 'aws-access-key', gate: /AKIA|ASIA/, pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, valueGroup: 0 },
  {
    kind: 'github-token',
    gate: /gh[pousr]_|github_pat_/,
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})\b/g,
    valueGroup: 0,
  },
  { kind: 'slack-token', gate: /xox/, pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g, valueGroup: 0 },
  { kind: 'google-api-key', gate: /AIza/, pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, valueGroup: 0 },
  {
    kind: 'stripe-key',
    gate: /_live_|_test_/,
    pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b/g,
    valueGroup: 0,
  },
  {
    kind: 'jwt',
    gate: /eyJ/,
    pattern: /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/g,
    valueGroup: 0,
  },
  {
    kind: 'bearer',
    gate: /bearer/i,
    pattern: /\bbearer\s+([A-Za-z0-9._~+/-]{8,}=*)/gi,
    valueGroup: 1,
    // A token, not a word: "Bearer authentication" is prose.
    accepts: (v) => v.length >= 16 || /[^A-Za-z]/.test(v),
  },
  {
    kind: 'credential',
    gate: /pass|pwd|key|secret|token/i,
    // "password: x", `"api_key": "x"`, "api_key=x", "the secret is x"; never re-masks a mask.
    pattern: new RegExp(
      String.raw`\b(?:${CREDENTIAL_WORDS})\b["'\x60]?\s*(?::|=|->|(?:is|was)(?=\s))\s*["'\x60]?(?!\[REDACTED:)([^\s"'\x60&,;}]+)`,
      'gi',
    ),
    valueGroup: 1,
    minFindingLength: 4,
  },
  {
    kind: 'one-time-code',
    gate: /code|pin|token/i,
    // "security code: 123456", "one-time code 4821", "your verification code is A7-22".
    pattern:
      /\b(?:security|verification|confirmation|login|one[- ]time|otp|2fa|mfa|auth(?:entication)?|access|reset|recovery)\s+(?:code|pin|passcode|token)\b[^0-9a-z]{0,20}(?:is\s+)?:?\s*([A-Za-z0-9-]{4,12})\b/gi,
    valueGroup: 1,
    accepts: (v) => /\d/.test(v),
  },
];

/** Shortest token run {@link isHighEntropyToken} considers. */
export const HIGH_ENTROPY_MIN_LENGTH = 24;

/** Characters of key- and token-like runs: `[A-Za-z0-9+/_=-]` (char codes, for one-pass scans). */
export function isTokenChar(c: number): boolean {
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

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * A whole run of token characters that is a key, not a word: at least 24 characters mixing lower case, upper
 * case and digits at 4+ bits per character, or at least 32 mixing letters and digits above 4.2 bits. Hex
 * (at most 4 bits per character), hex hashes of documents and UUIDs stay out.
 *
 * @example
 * isHighEntropyToken('Zx9Qm2Lk7Vb4Np1Rt8Ws3Yh6Jd5Fg0Ae2Cu'); // true
 * isHighEntropyToken('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'); // false
 */
export function isHighEntropyToken(run: string): boolean {
  if (run.length < HIGH_ENTROPY_MIN_LENGTH || !/\d/.test(run)) return false;
  const lower = /[a-z]/.test(run);
  const upper = /[A-Z]/.test(run);
  if (!lower && !upper) return false;
  if (lower && upper && entropy(run) >= 4) return true;
  return run.length >= 32 && entropy(run) > 4.2;
}

/** Object keys that name a secret: the whole value under them is one (`password`, `x-auth-token`, `apiKey`). */
export const SECRET_FIELD_NAME =
  /^(?:.*[_-])?(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|authorization|credentials?|private[_-]?key|cookie)$/i;

/**
 * True when an object key names a secret.
 *
 * @example
 * isSecretFieldName('x-auth-token'); // true
 * isSecretFieldName('max_tokens'); // false
 */
export function isSecretFieldName(key: string): boolean {
  return SECRET_FIELD_NAME.test(key);
}

// ---------------------------------------------------------------- personal data

/** Lower case, letters and digits only: `4111-1111 1111 1111` and `4111111111111111` agree. */
export function personalDataKey(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * Luhn checksum of a digit string.
 *
 * @example
 * luhnValid('4111111111111111'); // true
 */
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
export const CONTEXT_GAP = String.raw`(?:[\s"'\x60*_]*(?:[:=#]|-|is|was|are|no\.?|nr\.?|num(?:ber)?|on|at|of|reads|:)?[\s"'\x60*_]*){1,3}`;
/** A context phrase as a test of the text right before a value (see {@link personalDataContextWindow}). */
export const contextPhrase = (phrase: string): RegExp => new RegExp(`(?:${phrase})${CONTEXT_GAP}$`, 'i');

/** Context phrases per kind, matched (case-insensitively) against the text just before a candidate value. */
export const PERSONAL_DATA_CONTEXT: Readonly<Record<PersonalDataKind, RegExp>> = {
  'government-id': contextPhrase(
    String.raw`\b(?:national|citizen(?:ship)?|identity|identification|personal|government|state|tax(?:payer)?|social\s+security|social\s+insurance|driver'?s?|driving)\s*(?:id|identification|card|licen[cs]e|number|no|code)(?:\s*(?:number|no|card|code))?|\bid\s*(?:number|no|card|code)|\b(?:ssn|sin|nin|tin|nino|nhs\s*number|aadhaar|cpf|dni|nie|nif|pesel|bsn)|\blicen[cs]e\s*(?:number|no)`,
  ),
  passport: contextPhrase(String.raw`\bpassport(?:\s*(?:number|no|id|code|#))?`),
  'card-number': contextPhrase(
    String.raw`\b(?:credit|debit|payment|bank|visa|master\s*card|amex|american\s+express|discover)?\s*card(?:\s*(?:number|no|details|#|ending(?:\s+in)?))?|\b(?:cc|pan)(?:\s*(?:number|no))?|\b(?:visa|mastercard|amex)`,
  ),
  // A qualifier that makes the account a person's bank account; a bare "account" is in {@link BARE_PERSONAL_CONTEXT}.
  'bank-account': contextPhrase(
    String.raw`\b(?:bank(?:ing)?|checking|chequing|savings?|current|deposit|personal|private|joint|salary|my|your|his|her|their|customer'?s?|client'?s?|holder'?s?|owner'?s?|member'?s?|beneficiary'?s?|employee'?s?)\s+(?:bank\s+)?(?:account|acct|a\/c)(?:\s*(?:number|no|#))?|\biban|\bsort\s*code|\bbsb|\bbank\s*(?:number|no)`,
  ),
  'date-of-birth': contextPhrase(
    String.raw`\b(?:date\s*of\s*birth|birth\s*date|birthdate|birthday|dob|d\.o\.b\.?|born(?:\s+(?:on|in))?)`,
  ),
  'home-address': contextPhrase(
    String.raw`\b(?:home|residential|residence|personal|private|postal|mailing|billing|shipping|delivery|street)\s*(?:address|addr)?|\bmy\s+address|\b(?:lives?|living|resides?|residing)\s+(?:at|in)|\baddress\s+of\s+residence`,
  ),
  // A personal device or an owner; a bare "phone"/"tel" (a shop's line as often as a person's) is in {@link BARE_PERSONAL_CONTEXT}.
  phone: contextPhrase(
    String.raw`\b(?:my|your|his|her|their|home|personal|private|customer'?s?|client'?s?|user'?s?|owner'?s?|holder'?s?|member'?s?|patient'?s?|guest'?s?|employee'?s?|emergency(?:\s+contact)?|next\s+of\s+kin|spouse'?s?|parent'?s?)\s+(?:(?:mobile|cell(?:ular)?|tele)?\s*phone|mobile|cell|telephone|tel|whats\s*app|number)(?:\s*(?:number|no|#))?|\b(?:mobile|cell(?:ular)?)(?:\s*phone)?(?:\s*(?:number|no|#))?|\bwhats\s*app(?:\s*(?:number|no|#))?|\b(?:call|text|reach|ring)\s+me`,
  ),
};

/** The bare account and phone words: personal only inside a record whose fields name a person. */
export const BARE_PERSONAL_CONTEXT = {
  'bank-account': contextPhrase(String.raw`\b(?:account|acct|a\/c)(?:\s*(?:number|no|#))?`),
  phone: contextPhrase(String.raw`\b(?:(?:tele)?phone|tel)(?:\s*(?:number|no|#))?`),
} as const;

/** Accounts and lines that belong to a service or a business, whatever qualifier precedes them. */
export const NOT_PERSONAL_CONTEXT = {
  'bank-account': contextPhrase(
    String.raw`\b(?:aws|amazon|gcp|google|azure|cloud|service|iam|tenant|project|org|organi[sz]ation|subscription|workspace|merchant|business|company|corporate|developer|partner|api|app|billing|vendor|supplier|ads?|advertiser|stripe|github|user|admin|root|trial|demo|test)\s+(?:\w+\s+)?(?:account|acct)(?:\s*(?:number|no|#|id))?`,
  ),
  phone: contextPhrase(
    String.raw`\b(?:business|office|work|company|corporate|support|service|sales|fax|toll[\s-]?free|hotline|reception|front\s+desk|switchboard|main|store|shop|restaurant|hotel|clinic|booking|reservations?)\s+(?:\w+\s+)?(?:(?:tele)?phone|tel|line|number|mobile|cell)(?:\s*(?:number|no|#))?`,
  ),
} as const;

/** US routing numbers (nine digits, ABA checksum) after their own context word. */
export const ROUTING_NUMBER_CONTEXT = contextPhrase(
  String.raw`\b(?:routing|aba|rtn)(?:\s*(?:transit)?\s*(?:number|no|#))?`,
);

/** Field names of a person's record (`first_name:`, `'Date of Birth':`): the record is about a person. */
export const PERSON_RECORD_FIELD =
  /\b(?:(?:first|last|full|given|family|middle)\s*name|surname|date\s*of\s*birth|birth\s*date|dob|passport(?:\s*(?:number|no))?|account\s*holder(?:\s*name)?|card\s*holder(?:\s*name)?|cardholder|holder\s*name|customer\s*name|patient\s*name|ssn|social\s*security(?:\s*number)?|national\s*id(?:\s*number)?)['"\s]*[:=]/i;
/** How far either side of a value {@link personalDataRecordWindow} reads. */
export const PERSON_RECORD_CHARS = 300;

/**
 * The text a context phrase is tested against: up to 48 characters before `start` on the same line, field
 * names read as words (`passport_number`, `dateOfBirth`, `ID-number`).
 *
 * @example
 * PERSONAL_DATA_CONTEXT.passport.test(personalDataContextWindow('passport_number: X1', 17)); // true
 */
export function personalDataContextWindow(text: string, start: number): string {
  let a = Math.max(0, start - 48);
  // The context belongs to the same line (a key and its value, or one sentence).
  const nl = text.lastIndexOf('\n', start - 1);
  if (nl >= a) a = nl + 1;
  return text
    .slice(a, start)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ');
}

/** True when the text right before `start` names `kind` (`passport number:`, "born on"). */
export function hasPersonalDataContext(text: string, start: number, kind: PersonalDataKind): boolean {
  return PERSONAL_DATA_CONTEXT[kind].test(personalDataContextWindow(text, start));
}

/** The record around a value, field names read as words: up to {@link PERSON_RECORD_CHARS} either side. */
export function personalDataRecordWindow(text: string, start: number): string {
  return text
    .slice(Math.max(0, start - PERSON_RECORD_CHARS), start + PERSON_RECORD_CHARS)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ');
}

/**
 * An account or phone number is a person's when a qualifier names it so ("my mobile", `customer_phone`,
 * "savings account", "IBAN"), or when a bare "account"/"phone" sits in a record whose fields name a person;
 * never when it is a service's account or a business line.
 */
export function hasPersonalQualifier(text: string, start: number, kind: 'bank-account' | 'phone'): boolean {
  return qualifiedIn(personalDataContextWindow(text, start), text, start, kind);
}

/** {@link hasPersonalQualifier} over a context window already cut. */
function qualifiedIn(w: string, text: string, start: number, kind: 'bank-account' | 'phone'): boolean {
  if (NOT_PERSONAL_CONTEXT[kind].test(w)) return false;
  if (PERSONAL_DATA_CONTEXT[kind].test(w)) return true;
  return (
    BARE_PERSONAL_CONTEXT[kind].test(w) && PERSON_RECORD_FIELD.test(personalDataRecordWindow(text, start))
  );
}

/** Street words of addresses (lower and capitalised), as a regex alternation. */
export const STREET_SUFFIX = (
  'street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|parkway|pkwy|' +
  'highway|hwy|square|sq|close|crescent|alley|strasse|straße|str|weg|gasse|platz|rue|via|calle|avenida|laan|vej|gatan'
)
  .split('|')
  .flatMap((w) => [w, w[0]!.toUpperCase() + w.slice(1)])
  .join('|');
// Names are capitalised; the suffix may be glued to the name ("Hauptstraße 5") or follow it.
export const STREET_ADDRESS = new RegExp(
  String.raw`\b\d{1,5}[a-z]?\s+(?:[A-Z][\w'.-]*\s+){1,4}(?:${STREET_SUFFIX})\b\.?|\b(?:[A-Z][\w'.-]*\s+){0,3}[A-Z][\w'-]*(?:${STREET_SUFFIX})\.?\s+\d{1,5}[a-z]?\b|\b(?:[A-Z][\w'.-]*\s+){1,3}(?:${STREET_SUFFIX})\.?\s+\d{1,5}[a-z]?\b`,
  'g',
);
/** Calendar dates (ISO, numeric, "14 March 1985", "March 14, 1985"). Global. */
export const CALENDAR_DATE =
  /\b(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+\d{4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})\b/gi;
/** Digit runs with single separators (cards, accounts, phones, ids). Global. */
export const DIGIT_RUN = /(?<![\w-])\+?(?:\(\d{1,4}\)\s?)?\d(?:[ .-]?\d){5,22}(?![\w-])/g;

/** IBAN-shaped runs (country, check digits, groups of four). Global. */
export const IBAN_RUN = /(?<![\w])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?(?![\w])/g;
/** A dashed US social-security number (whole string): a government id by format alone. */
export const SSN_FORMAT = /^(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$/;

/** Cheap literal gate: texts without digits carry none of these kinds. */
export const HAS_DIGIT = /\d/;
/**
 * Literal gates for the context-only kinds: every {@link PERSONAL_DATA_CONTEXT} phrase of the kind contains one of these, and the
 * context window is a slice of the text (field names split into words, never joined), so a text without
 * any of them cannot label a date or an address and skips those scans.
 */
export const BIRTH_GATE = /birth|dob|d\.o\.b|born/i;
export const ADDRESS_GATE =
  /home|personal|private|postal|mailing|billing|shipping|delivery|street|address|liv|resid/i;

/**
 * Payment card candidates for redaction: 13–19 digits with single spaces or dashes. The SDK masks every
 * Luhn-valid one; a finding also needs a card network's prefix and length ({@link cardIssuerPlausible}) and
 * grouping or a context word.
 */
export const CARD_NUMBER_RUN = /\b\d(?:[ -]?\d){12,18}\b/g;

/**
 * Card numbers as the SDK masks them: every Luhn-valid run of 13–19 digits, a network's prefix or not (a
 * finding needs more, see {@link classifyDigitRun}).
 */
export const CARD_NUMBER_PATTERN: SensitivePattern = {
  kind: 'card-number',
  gate: HAS_DIGIT,
  pattern: CARD_NUMBER_RUN,
  valueGroup: 0,
  accepts: (v) => {
    const digits = v.replace(/[ -]/g, '');
    return digits.length >= 13 && digits.length <= 19 && luhnValid(digits);
  },
};

/** What a personal-data candidate is, and what made it so. */
export interface PersonalDataClass {
  kind: PersonalDataKind;
  basis: 'checksum' | 'format' | 'context';
}

const GROUPED_CARD = /^\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}$|^\d{4}([ -])\d{6}\2\d{5}$/;

/**
 * What a {@link DIGIT_RUN} match at `start` of `text` is, if personal data: a dashed SSN (format); a card
 * number (Luhn, a network's prefix and length, grouping or a card context word); an ABA routing number after
 * its context word; an account a personal qualifier names; a passport, government id or personal phone
 * after its context.
 *
 * @example
 * classifyDigitRun('passport no. 533380006', 13, '533380006'); // { kind: 'passport', basis: 'context' }
 */
export function classifyDigitRun(text: string, start: number, raw: string): PersonalDataClass | undefined {
  if (SSN_FORMAT.test(raw)) return { kind: 'government-id', basis: 'format' };
  const digits = raw.replace(/\D/g, '');
  const n = digits.length;
  // One context window for every kind tested below.
  let window: string | undefined;
  const w = () => {
    window ??= personalDataContextWindow(text, start);
    return window;
  };
  // A card number always checks (Luhn) and fits a network's prefix and length; context alone is not enough
  // ("gift card 6035 …", a "card" reference number).
  if (
    n >= 13 &&
    n <= 19 &&
    !raw.startsWith('+') &&
    luhnValid(digits) &&
    cardIssuerPlausible(digits) &&
    (GROUPED_CARD.test(raw) || PERSONAL_DATA_CONTEXT['card-number'].test(w()))
  )
    return { kind: 'card-number', basis: 'checksum' };
  if (n === 9 && abaRoutingValid(digits) && ROUTING_NUMBER_CONTEXT.test(w()))
    return { kind: 'bank-account', basis: 'checksum' };
  if (n >= 6 && n <= 18 && qualifiedIn(w(), text, start, 'bank-account'))
    return { kind: 'bank-account', basis: 'context' };
  if (n >= 6 && n <= 12 && PERSONAL_DATA_CONTEXT.passport.test(w()))
    return { kind: 'passport', basis: 'context' };
  if (n >= 5 && n <= 20 && PERSONAL_DATA_CONTEXT['government-id'].test(w()))
    return { kind: 'government-id', basis: 'context' };
  if (n >= 7 && n <= 15 && qualifiedIn(w(), text, start, 'phone')) return { kind: 'phone', basis: 'context' };
  return undefined;
}

/**
 * What an alphanumeric code (letters and digits, 5–20 characters: `HGK137803`, `D1234567`) at `start` is:
 * a passport or government id after its context. Digit-only runs are {@link classifyDigitRun}'s.
 */
export function classifyCode(text: string, start: number, code: string): PersonalDataClass | undefined {
  if (!/[a-z]/i.test(code)) return undefined;
  const w = personalDataContextWindow(text, start);
  if (PERSONAL_DATA_CONTEXT.passport.test(w)) return { kind: 'passport', basis: 'context' };
  if (PERSONAL_DATA_CONTEXT['government-id'].test(w)) return { kind: 'government-id', basis: 'context' };
  return undefined;
}

/** What an {@link IBAN_RUN} match is: an IBAN by checksum, else an account only a personal qualifier names. */
export function classifyIbanRun(text: string, start: number, raw: string): PersonalDataClass | undefined {
  const compact = raw.replace(/ /g, '');
  if (compact.length < 15 || compact.length > 34) return undefined;
  if (ibanValid(compact)) return { kind: 'bank-account', basis: 'checksum' };
  if (hasPersonalQualifier(text, start, 'bank-account')) return { kind: 'bank-account', basis: 'context' };
  return undefined;
}

const isAlnum = (c: number) => (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122);
const isCodeRunChar = (c: number) => isAlnum(c) || c === 95 || c === 45;

/**
 * Alphanumeric codes with at least one digit (passports, ids, licences), found in one pass: whole runs of
 * `[A-Za-z0-9_-]`, 5–20 long, starting with a letter or digit, with a digit, no `_` and no `-` that is not
 * followed by a letter or digit. (What `/(?<![\w-])(?=[A-Z0-9-]*\d)[A-Z0-9](?:[A-Z0-9]|-(?=[A-Z0-9])){4,19}(?![\w-])/gi`
 * matches, without its look-arounds at every position.)
 *
 * @example
 * forEachCodeRun('id D1234567', (a, b) => console.log('id D1234567'.slice(a, b))); // D1234567
 */
export function forEachCodeRun(
  s: string,
  visit: (start: number, end: number) => void,
  from = 0,
  to = s.length,
): void {
  for (let i = from; i < to; ) {
    if (!isCodeRunChar(s.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    let ok = isAlnum(s.charCodeAt(i));
    let digit = false;
    for (; i < to; i++) {
      const c = s.charCodeAt(i);
      if (!isCodeRunChar(c)) break;
      if (c >= 48 && c <= 57) digit = true;
      else if (c === 95 || (c === 45 && !isAlnum(s.charCodeAt(i + 1)))) ok = false;
    }
    const len = i - start;
    if (ok && digit && len >= 5 && len <= 20) visit(start, i);
  }
}

/**
 * Runs of at least {@link HIGH_ENTROPY_MIN_LENGTH} token characters ({@link isTokenChar}), found in one pass
 * (a `{24,}` regex re-tries from every position of every shorter word). `visit` returns false to stop.
 */
export function forEachTokenRun(s: string, visit: (start: number, end: number) => boolean | undefined): void {
  let start = -1;
  for (let i = 0; i <= s.length; i++) {
    if (i < s.length && isTokenChar(s.charCodeAt(i))) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0 && i - start >= HIGH_ENTROPY_MIN_LENGTH && visit(start, i) === false) return;
    start = -1;
  }
}
