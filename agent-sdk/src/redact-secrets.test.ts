import { PERSONAL_DATA_KINDS, redactionMask, SECRET_KINDS, type SensitiveDataKind } from '@bulwark/contracts';
import { describe, expect, it } from 'vitest';
import { isSecretKey, redactSecrets } from './redact-secrets.js';

describe('redactSecrets', () => {
  const cases: [string, string, string][] = [
    ['OpenAI key', 'key: sk-proj-abcDEF1234567890abcdef1234', '[REDACTED:api_key]'],
    ['Anthropic key', 'sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv', '[REDACTED:api_key]'],
    ['AWS access key', 'aws AKIAIOSFODNN7EXAMPLE here', 'aws [REDACTED:aws_access_key] here'],
    ['GitHub token', 'ghp_0123456789abcdefghijABCDEFGHIJ012345', '[REDACTED:github_token]'],
    ['Slack token', 'xoxb-123456789012-abcdefghijkl', '[REDACTED:slack_token]'],
    [
      'JWT',
      'Authorization eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      '[REDACTED:jwt]',
    ],
    ['bearer', 'Authorization: Bearer abc.def-ghi_jkl', 'Authorization: Bearer [REDACTED:bearer]'],
    ['password=', 'login?user=bob&password=hunter2&x=1', 'password=[REDACTED:password]&x=1'],
    ['JSON password', '{"password": "hunter2", "user": "bob"}', '"password": "[REDACTED:password]"'],
    ['card number', 'card 4111 1111 1111 1111 exp', 'card [REDACTED:card_number] exp'],
    ['high entropy', 'token Zx9Qm2Lk7Vb4Np1Rt8Ws3Yh6Jd5Fg0Ae2Cu', 'token [REDACTED:high_entropy]'],
  ];
  for (const [what, input, expected] of cases) {
    it(`masks ${what}`, () => {
      const r = redactSecrets(input);
      expect(r.redacted).toBe(true);
      expect(r.text).toContain(expected);
    });
  }

  it('masks a PEM private key block', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----';
    expect(redactSecrets(`key:\n${pem}\nend`).text).toBe('key:\n[REDACTED:private_key]\nend');
  });

  it('leaves ordinary text, hex hashes, UUIDs and non-Luhn numbers alone', () => {
    const text =
      'Meeting at 10:30 in room 4. sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 ' +
      'id 123e4567-e89b-12d3-a456-426614174000 order 1234 5678 9012 3456 task-manager-service';
    const r = redactSecrets(text);
    expect(r.redacted).toBe(false);
    expect(r.text).toBe(text);
  });

  it('recognises secret-looking keys', () => {
    for (const k of ['password', 'api_key', 'apiKey', 'Authorization', 'x-auth-token', 'client_secret'])
      expect(isSecretKey(k), k).toBe(true);
    for (const k of ['max_tokens', 'to', 'body', 'tokenizer']) expect(isSecretKey(k), k).toBe(false);
  });
});

/**
 * One text per kind the detectors call a secret (`findSecrets`) or personal data (`findPersonalData`): the SDK
 * masks each with the kind's label. A kind added to the catalogue fails here until it has a case.
 */
const DETECTOR_KINDS: Record<string, string> = {
  'private-key': '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----',
  'openai-key': 'OPENAI_API_KEY sk-proj-abcDEF1234567890abcdef1234',
  'aws-access-key': 'id ASIAIOSFODNN7EXAMPLE',
  'github-token': 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz',
  'slack-token': 'xoxp-123456789012-abcdefghijkl',
  'google-api-key': 'maps key AIzaSyA1234567890abcdefghijklmnopqrstuv',
  'stripe-key': 'stripe sk_live_abcdefghijklmnop1234',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.dozjgNryP4J3jVmN',
  bearer: 'Authorization: Bearer 0123456789abcdefghij',
  credential: 'my password is hunter2!!',
  'one-time-code': 'Your verification code is 482913.',
  'high-entropy': 'token Zx9Qm2Lk7Vb4Np1Rt8Ws3Yh6Jd5Fg0Ae2Cu',
  'bank-account': 'IBAN GB29 NWBK 6016 1331 9268 19',
  'government-id': 'SSN 219-09-9999',
  'card-number': 'Card: 4111-1111-1111-1111',
  passport: 'my passport number is X1234567',
  'date-of-birth': 'She was born on 14 March 1985.',
  'home-address': 'Home address: Dalton Street 123, New York',
  phone: 'customer_phone: (555) 010-4477',
};

describe('redactSecrets covers the catalogue the detectors find with', () => {
  const kinds: SensitiveDataKind[] = [...SECRET_KINDS, ...PERSONAL_DATA_KINDS];
  for (const kind of kinds) {
    it(`masks ${kind} as ${redactionMask(kind)}`, () => {
      const text = DETECTOR_KINDS[kind];
      expect(text, `no case for ${kind}`).toBeDefined();
      const r = redactSecrets(text ?? '');
      expect(r.redacted).toBe(true);
      expect(r.text).toContain(redactionMask(kind));
    });
  }
});

describe('redactSecrets masks personal data its context names, as the detectors find it', () => {
  const cases: [string, string][] = [
    ['passport_number: HGK137803', 'passport_number: [REDACTED:passport]'],
    ['Passport No. 533380006', 'Passport No. [REDACTED:passport]'],
    ["driver's license number D1234567", "driver's license number [REDACTED:government_id]"],
    ['date_of_birth: 1985-03-14', 'date_of_birth: [REDACTED:date_of_birth]'],
    ['He lives at 221 Baker Street, London', 'He lives at [REDACTED:home_address], London'],
    ['mobile: +44 7700 900123', 'mobile: [REDACTED:phone]'],
    ['my account number is 12345678', 'my account number is [REDACTED:bank_account]'],
    ['routing number: 021000021', 'routing number: [REDACTED:bank_account]'],
  ];
  for (const [input, expected] of cases) {
    it(input, () => {
      const r = redactSecrets(input);
      expect(r.text).toBe(expected);
      expect(r.redacted).toBe(true);
    });
  }

  it('leaves business lines, service accounts, order numbers and dates without a birth context alone', () => {
    const text =
      'Restaurant phone: 415-555-0134. AWS account 123456789012. Order 4471-9921 ships 2024-05-01. ' +
      'Office at 12 Main Street.';
    expect(redactSecrets(text)).toEqual({ text, redacted: false });
  });
});
