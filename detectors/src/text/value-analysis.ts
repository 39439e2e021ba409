import { bloomHashes } from './bloom-filter.js';
import { extractValues, normalizeNumber } from './extract-values.js';
import { findSecrets, type SecretMatch } from './find-secrets.js';
import { contentWords, normalizeText, normalizeValue } from './normalize-text.js';

/**
 * What `analyzeCall` derives from one argument value alone (no session data), so that it can be cached and
 * shared like the analysis of a text: the keys to look up in the value index, the normalized whole value,
 * secrets by pattern, and the word hashes used to find copied text.
 */
export interface ValueAnalysis {
  /** Keys looked up in the session's value index. */
  readonly keys: readonly string[];
  /** `normalizeValue(value)`. */
  readonly whole: string;
  readonly secrets: readonly SecretMatch[];
  /** Bloom hashes of up to 200 distinct content words, for values longer than 60 characters. */
  readonly wordHashes: ReadonlyArray<readonly [number, number]> | undefined;
}

function keysOf(raw: string): string[] {
  const keys = new Set<string>();
  const trimmed = raw.trim();
  if (trimmed.length <= 120) {
    const n = /^-?[\d,]+(?:\.\d+)?$/.test(trimmed) ? normalizeNumber(trimmed) : undefined;
    if (n !== undefined) keys.add(n);
    else if (trimmed.length >= 2) {
      const v = normalizeValue(trimmed);
      keys.add(v);
      if (/^[a-z]{2}\d{2}[a-z0-9 ]{10,}$/i.test(trimmed)) keys.add(trimmed.replace(/ /g, '').toLowerCase());
    }
  }
  for (const v of extractValues(raw, 64)) keys.add(v.key);
  return [...keys];
}

/**
 * Analyses one argument value (uncached; the engine goes through `AnalysisCache.analyzeValue`).
 *
 * @example
 * analyzeValue('https://www.example.com/').whole; // 'example.com'
 */
export function analyzeValue(value: string): ValueAnalysis {
  const wordHashes =
    value.length > 60
      ? [...new Set(contentWords(normalizeText(value)))]
          .slice(0, 200)
          .map((w) => Object.freeze(bloomHashes(w)) as readonly [number, number])
      : undefined;
  return Object.freeze({
    keys: Object.freeze(keysOf(value)),
    whole: normalizeValue(value),
    secrets: Object.freeze(findSecrets(value).map((s) => Object.freeze(s))),
    wordHashes: wordHashes ? Object.freeze(wordHashes) : undefined,
  });
}

/** Approximate heap bytes a value analysis holds. */
export function valueAnalysisBytes(a: ValueAnalysis): number {
  let n = 120 + 2 * a.whole.length;
  for (const k of a.keys) n += 2 * k.length + 48;
  for (const s of a.secrets) n += 2 * s.value.length + 80;
  if (a.wordHashes) n += 40 * a.wordHashes.length;
  return n;
}
