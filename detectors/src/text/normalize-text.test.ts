import { describe, expect, it } from 'vitest';
import { BloomFilter } from './bloom-filter.js';
import {
  fingerprintContentWords,
  forEachContentWord,
  STOPWORD_SLOTS_USED,
  STOPWORDS,
} from './normalize-text.js';

describe('fingerprintContentWords', () => {
  it('tells every stop word apart by its hash', () => {
    expect(STOPWORD_SLOTS_USED).toBe(STOPWORDS.size);
  });

  it('sets the same bits as adding each content word', () => {
    const text = 'The invoice for Bob was paid: see INV-2024-17 and bob@x.com, then ask them about it.';
    const a = new BloomFilter(2048);
    const b = new BloomFilter(2048);
    const n = fingerprintContentWords(text, a);
    expect(forEachContentWord(text, (w) => b.add(w))).toBe(n);
    expect(Array.from(a.bits)).toEqual(Array.from(b.bits));
  });
});
