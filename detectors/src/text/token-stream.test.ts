import { describe, expect, it } from 'vitest';
import { TOKEN_DIGIT, TOKEN_NON_LETTER, tokenize } from './token-stream.js';

describe('tokenize', () => {
  it('splits at white space, brackets, quotes and pipes and flags digits and non-letters', () => {
    const t = tokenize('pay "DE89" (now)|x\u00a0a.b');
    const tokens = Array.from({ length: t.count }, (_, k) => [
      t.text.slice(t.bounds[2 * k], t.bounds[2 * k + 1]),
      t.flags[k],
    ]);
    expect(tokens).toEqual([
      ['pay', 0],
      ['DE89', TOKEN_DIGIT | TOKEN_NON_LETTER],
      ['now', 0],
      ['x', 0],
      ['a.b', TOKEN_NON_LETTER],
    ]);
  });

  it('holds the most tokens a text can have (one per two characters)', () => {
    expect(tokenize('a '.repeat(5000)).count).toBe(5000);
    expect(tokenize(' a'.repeat(5000)).count).toBe(5000);
    expect(tokenize('a b').count).toBe(2);
  });

  it('gives the same tokens from the shared buffer, valid until the next shared call', () => {
    const text = 'send 42 EUR to DE89 3704 (now)';
    const own = tokenize(text);
    const shared = tokenize(text, true);
    expect(shared.count).toBe(own.count);
    expect(Array.from(shared.bounds.subarray(0, 2 * own.count))).toEqual(
      Array.from(own.bounds.subarray(0, 2 * own.count)),
    );
    expect(Array.from(shared.flags.subarray(0, own.count))).toEqual(
      Array.from(own.flags.subarray(0, own.count)),
    );
    expect(tokenize('x'.repeat(20_000), true).bounds).not.toBe(shared.bounds);
  });
});
