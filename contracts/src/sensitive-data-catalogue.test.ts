import { describe, expect, it } from 'vitest';
import {
  CARD_NUMBER_PATTERN,
  cardIssuerPlausible,
  classifyCode,
  classifyDigitRun,
  classifyIbanRun,
  forEachCodeRun,
  hasPersonalDataContext,
  hasPersonalQualifier,
  ibanValid,
  isHighEntropyToken,
  isSecretFieldName,
  luhnValid,
  PERSONAL_DATA_KINDS,
  patternValue,
  REDACTION_LABELS,
  REDACTION_MASK,
  redactionMask,
  SECRET_KINDS,
  SECRET_PATTERNS,
  type SensitivePattern,
} from './sensitive-data-catalogue.js';

/** One text per pattern kind and the value it yields. */
const EXAMPLES: Record<string, [string, string]> = {
  'private-key': ['-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----', '-----BEGIN RSA'],
  'openai-key': ['key sk-proj-abcDEF1234567890abcdef1234', 'sk-proj-abcDEF1234567890abcdef1234'],
  'aws-access-key': ['aws AKIAIOSFODNN7EXAMPLE here', 'AKIAIOSFODNN7EXAMPLE'],
  'github-token': ['ghp_0123456789abcdefghijABCDEFGHIJ012345', 'ghp_0123456789abcdefghijABCDEFGHIJ012345'],
  'slack-token': ['xoxb-123456789012-abcdefghijkl', 'xoxb-123456789012-abcdefghijkl'],
  'google-api-key': ['AIzaSyA1234567890abcdefghijklmnopqrstuv', 'AIzaSyA1234567890abcdefghijklmnopqrstuv'],
  'stripe-key': ['sk_live_abcdefghijklmnop1234', 'sk_live_abcdefghijklmnop1234'],
  jwt: [
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.dozjgNryP4J3jVmN',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.dozjgNryP4J3jVmN',
  ],
  bearer: ['Authorization: Bearer abc.def-ghi_jkl', 'abc.def-ghi_jkl'],
  credential: ['{"password": "hunter2"}', 'hunter2'],
  'one-time-code': ['Your verification code is 482913', '482913'],
  'bank-account': ['pay to DE89 3704 0044 0532 0130 00 today', 'DE89 3704 0044 0532 0130 00'],
  'government-id': ['SSN 219-09-9999', '219-09-9999'],
  'card-number': ['card 4111 1111 1111 1111 exp', '4111 1111 1111 1111'],
};

function firstValue(p: SensitivePattern, text: string): string | undefined {
  if (!p.gate.test(text)) return undefined;
  for (const m of text.matchAll(p.pattern)) {
    const v = patternValue(p, m);
    if (!p.accepts || p.accepts(v)) return v;
  }
  return undefined;
}

describe('sensitive-data catalogue', () => {
  it("documents the kind names: the detectors' names, stored in findings (renaming breaks stored data)", () => {
    expect(SECRET_KINDS).toEqual([
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
    ]);
    expect(PERSONAL_DATA_KINDS).toEqual([
      'government-id',
      'passport',
      'card-number',
      'bank-account',
      'date-of-birth',
      'home-address',
      'phone',
    ]);
  });

  it("documents the SDK's mask labels per kind (stored in span content: the first SDK catalogue's names stay)", () => {
    expect(REDACTION_LABELS).toEqual({
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
    });
    expect(redactionMask('credential')).toBe('[REDACTED:password]');
    expect(redactionMask('secret_field')).toBe('[REDACTED:secret_field]');
    expect([...'a [REDACTED:api_key] b'.matchAll(REDACTION_MASK)].map((m) => m[1])).toEqual(['api_key']);
  });

  it('every secret kind but the entropy scan has one pattern, in the documented order', () => {
    expect(SECRET_PATTERNS.map((p) => p.kind)).toEqual(SECRET_KINDS.filter((k) => k !== 'high-entropy'));
  });

  for (const p of [...SECRET_PATTERNS, CARD_NUMBER_PATTERN]) {
    it(`${p.kind}: gate, pattern and value group find the example; the value is the match's tail`, () => {
      const [text, value] = EXAMPLES[p.kind] ?? ['', ''];
      expect(p.pattern.global).toBe(true);
      const found = firstValue(p, text);
      expect(found?.startsWith(value), `${p.kind} in ${JSON.stringify(text)}`).toBe(true);
      for (const m of text.matchAll(p.pattern)) expect(m[0].endsWith(patternValue(p, m))).toBe(true);
    });
  }

  it('leaves prose and look-alikes alone', () => {
    const byKind = (k: string) => SECRET_PATTERNS.find((p) => p.kind === k)!;
    expect(firstValue(byKind('bearer'), 'we use Bearer authentication')).toBeUndefined();
    expect(firstValue(byKind('one-time-code'), 'the access code is shown')).toBeUndefined();
    expect(firstValue(byKind('credential'), 'password: [REDACTED:password]')).toBeUndefined();
    expect(firstValue(CARD_NUMBER_PATTERN, 'order 1234 5678 9012 3456')).toBeUndefined();
  });

  it('high-entropy tokens: mixed classes and entropy, never hex hashes or UUIDs', () => {
    expect(isHighEntropyToken('Zx9Qm2Lk7Vb4Np1Rt8Ws3Yh6Jd5Fg0Ae2Cu')).toBe(true);
    expect(isHighEntropyToken('abcdefghijklmnopqrstuvwxyz0123456789abcd')).toBe(true);
    expect(isHighEntropyToken('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08')).toBe(
      false,
    );
    expect(isHighEntropyToken('123e4567-e89b-12d3-a456-426614174000')).toBe(false);
    expect(isHighEntropyToken('task-manager-service-deployment-config')).toBe(false);
  });

  it('validators and context', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(cardIssuerPlausible('6035718212345675')).toBe(false);
    expect(ibanValid('GB29NWBK60161331926819')).toBe(true);
    expect(hasPersonalDataContext('passport_number: HGK137803', 17, 'passport')).toBe(true);
    expect(hasPersonalDataContext('order_number: HGK137803', 14, 'passport')).toBe(false);
    expect(hasPersonalQualifier('my account number is 12345678', 21, 'bank-account')).toBe(true);
    expect(hasPersonalQualifier('aws account number is 12345678', 22, 'bank-account')).toBe(false);
    for (const k of ['password', 'api_key', 'apiKey', 'Authorization', 'x-auth-token', 'client_secret'])
      expect(isSecretFieldName(k), k).toBe(true);
    for (const k of ['max_tokens', 'to', 'body', 'tokenizer']) expect(isSecretFieldName(k), k).toBe(false);
  });

  it('classifies personal-data candidates as the detectors do (kind and basis)', () => {
    expect(classifyDigitRun('SSN 219-09-9999', 4, '219-09-9999')).toEqual({
      kind: 'government-id',
      basis: 'format',
    });
    expect(classifyDigitRun('4111 1111 1111 1111', 0, '4111 1111 1111 1111')?.kind).toBe('card-number');
    expect(classifyDigitRun('gift card 6035718212345675', 10, '6035718212345675')).toBeUndefined();
    expect(classifyDigitRun('routing number: 021000021', 16, '021000021')?.basis).toBe('checksum');
    expect(classifyDigitRun('mobile: +44 7700 900123', 8, '+44 7700 900123')?.kind).toBe('phone');
    expect(classifyDigitRun('Restaurant phone: 415-555-0134', 18, '415-555-0134')).toBeUndefined();
    expect(classifyCode('passport_number: HGK137803', 17, 'HGK137803')?.kind).toBe('passport');
    expect(classifyCode('passport_number: 137803', 17, '137803')).toBeUndefined();
    expect(classifyIbanRun('GB29NWBK60161331926819', 0, 'GB29NWBK60161331926819')?.basis).toBe('checksum');
    const codes: string[] = [];
    const text = 'id D1234567, X-1, ab_12345 and 12-AB-34';
    forEachCodeRun(text, (a, b) => codes.push(text.slice(a, b)));
    expect(codes).toEqual(['D1234567', '12-AB-34']);
  });
});
