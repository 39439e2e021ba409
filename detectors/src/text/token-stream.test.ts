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
});
