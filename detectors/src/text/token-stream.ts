/**
 * One walk over a text that the value, secret and personal-data scans share. A token is a maximal run of
 * characters that are not value separators (white space as `\s` has it, brackets, straight and curly quotes,
 * `|`). None of the characters of a secret run (`[A-Za-z0-9+/_=-]`), a personal-data code run
 * (`[A-Za-z0-9_-]`) or a `\w` run is a separator, so each such run lies inside one token; a scan for runs that
 * need a digit only has to look inside the tokens that carry one, which are few in prose.
 */

/** The token has an ASCII digit. */
export const TOKEN_DIGIT = 1;
/** The token has a character that is not an ASCII letter. */
export const TOKEN_NON_LETTER = 2;

export interface TokenStream {
  /** The text the offsets refer to. */
  readonly text: string;
  readonly count: number;
  /** `[start, end)` of token `k` at `2k`, `2k + 1` (end before any trailing punctuation is trimmed). */
  readonly bounds: Int32Array;
  /** `TOKEN_*` bits of token `k`. */
  readonly flags: Uint8Array;
}

/** ASCII character classes: 1 separator, 2 letter, 4 digit. */
const CLASS = new Uint8Array(128);
for (const c of [32, 9, 10, 11, 12, 13, 40, 41, 60, 62, 34, 39, 96, 91, 93, 123, 125, 124]) CLASS[c] = 1;
for (let c = 65; c <= 90; c++) {
  CLASS[c] = 2;
  CLASS[c + 32] = 2;
}
for (let c = 48; c <= 57; c++) CLASS[c] = 4;

/** The separators above U+007F: the rest of `\s`, and curly quotes. */
function isWideSeparator(c: number): boolean {
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff ||
    c === 0x2018 ||
    c === 0x2019 ||
    c === 0x201c ||
    c === 0x201d
  );
}

/** Whether character code `c` separates value tokens. */
export function isValueSeparator(c: number): boolean {
  return c < 128 ? CLASS[c] === 1 : isWideSeparator(c);
}

/** Texts up to this long may use the shared buffer (`tokenize(text, true)`). */
const SCRATCH_CHARS = 16_384;
const SCRATCH_BOUNDS = new Int32Array(SCRATCH_CHARS + 2);
const SCRATCH_FLAGS = new Uint8Array((SCRATCH_CHARS >>> 1) + 1);

/**
 * The tokens of `text`, left to right. With `scratch`, a text of up to 16,384 characters is tokenized into
 * one buffer shared by every such call: the stream is valid only until the next `tokenize(…, true)`, for
 * callers that consume it at once and keep none of it (`analyzeText`).
 *
 * @example
 * const t = tokenize('pay 42 EUR'); t.count; // 3
 * t.flags[1] & TOKEN_DIGIT; // 1
 */
export function tokenize(text: string, scratch = false): TokenStream {
  const n = text.length;
  // At most one token per two characters: sized once, no growth. A typed array per text costs about as
  // much as the walk, so a caller that reads the stream at once and drops it may take the shared buffer.
  const shared = scratch && n <= SCRATCH_CHARS;
  const bounds = shared ? SCRATCH_BOUNDS : new Int32Array(n + 2);
  const flags = shared ? SCRATCH_FLAGS : new Uint8Array((n >>> 1) + 1);
  let count = 0;
  for (let i = 0; i < n; ) {
    let c = text.charCodeAt(i);
    if (c < 128 ? CLASS[c] === 1 : isWideSeparator(c)) {
      i++;
      continue;
    }
    const start = i;
    let f = 0;
    for (;;) {
      if (c < 128) {
        const k = CLASS[c]!;
        if (k === 1) break;
        if (k !== 2) f |= k === 4 ? TOKEN_DIGIT | TOKEN_NON_LETTER : TOKEN_NON_LETTER;
      } else if (isWideSeparator(c)) break;
      else f |= TOKEN_NON_LETTER;
      if (++i >= n) break;
      c = text.charCodeAt(i);
    }
    bounds[2 * count] = start;
    bounds[2 * count + 1] = i;
    flags[count] = f;
    count++;
  }
  return { text, count, bounds, flags };
}
