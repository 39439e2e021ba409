/**
 * Text normalization shared by the detectors: Unicode NFKC, invisible characters removed, case folded,
 * whitespace collapsed. Attackers hide instructions behind look-alike and zero-width characters; matching
 * on the normalized form sees through that.
 */

// Zero-width, bidi controls, word joiner, BOM, soft hyphen, Unicode tag characters (U+E0000–E007F).
const INVISIBLE =
  /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]|\udb40[\udc00-\udc7f]/g;
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;
const TAGS = /\udb40[\udc00-\udc7f]/;
const ZERO_WIDTH = /[\u200b-\u200d\u2060\ufeff]/;

/** Lower-cased NFKC text without invisible characters and with single spaces. */
// Anything but printable ASCII and common white space: only such text needs NFKC (which is costly).
const NON_ASCII = /[^\t\n\r\x20-\x7e]/;

export function normalizeText(s: string): string {
  return (NON_ASCII.test(s) ? s.normalize('NFKC') : s)
    .replace(INVISIBLE, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Which kinds of invisible characters a text carries (used as evidence by the poisoning detectors). */
export function invisibleCharacters(s: string): { zeroWidth: boolean; bidi: boolean; tags: boolean } {
  return { zeroWidth: ZERO_WIDTH.test(s), bidi: BIDI.test(s), tags: TAGS.test(s) };
}

/** A normalized form for comparing one argument value with text: also strips URL scheme and `www.`. */
export function normalizeValue(s: string): string {
  let v = normalizeText(s);
  v = v.replace(/^https?:\/\//, '').replace(/^www\./, '');
  if (v.endsWith('/')) v = v.slice(0, -1);
  return v;
}

/** 32-bit FNV-1a hash: cheap, deterministic token hashing for the per-node Bloom filters. */
export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export const STOPWORDS: ReadonlySet<string> = new Set(
  'the a an and or of to in on at for from by with is are was were be been it this that these those you your i me my we our he she they them his her their as not no do does did have has had will would can could should shall may might must please if then than so but into about over after before up out all any some just also only very more most such there here what which who whom when where why how'.split(
    ' ',
  ),
);

/** Longest stop word: longer words skip the lookup. */
const STOPWORD_MAX = Math.max(...[...STOPWORDS].map((w) => w.length));

/**
 * Stop words by `fnv1a`, in a table indexed by the hash's low bits: a word is a stop word only if its hash is
 * in its slot and the slot's word is spelled there. The 90 words take distinct slots (`normalize-text.test.ts`
 * checks it: a shared slot would leave one word out).
 */
const STOP_SLOTS = 4096;
const STOP_HASH = new Uint32Array(STOP_SLOTS);
const STOP_WORD: string[] = new Array(STOP_SLOTS).fill('');
for (const w of STOPWORDS) {
  const h = fnv1a(w);
  STOP_HASH[h & (STOP_SLOTS - 1)] = h;
  STOP_WORD[h & (STOP_SLOTS - 1)] = w;
}
/** How many stop words have their own slot (for the test). */
export const STOPWORD_SLOTS_USED = STOP_WORD.filter((w) => w !== '').length;

const isAlnum = (c: number) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
/** Lower-case ASCII word characters: 1 a letter or digit, 2 `@`, 3 `. _ ' -` (trimmed from a word's end). */
const WORD_CHAR = new Uint8Array(128);
for (let c = 97; c <= 122; c++) WORD_CHAR[c] = 1;
for (let c = 48; c <= 57; c++) WORD_CHAR[c] = 1;
WORD_CHAR[64] = 2;
for (const c of [46, 95, 39, 45]) WORD_CHAR[c] = 3;

/**
 * Adds the content words of `text` to `bloom` and returns how many there were: the same words and bits as
 * `forEachContentWord(text, (w) => bloom.add(w))`, but ASCII text is read by character code and each word is
 * hashed in place (no string per word except to rule out a stop word).
 */
export function fingerprintContentWords(
  text: string,
  bloom: { add(word: string): void; addHashes(h1: number, h2: number): void },
  lowered?: string,
): number {
  if (NON_ASCII.test(text)) return forEachContentWord(text, (w) => bloom.add(w));
  const s = lowered ?? text.toLowerCase();
  const n = s.length;
  let count = 0;
  for (let i = 0; i < n; ) {
    if (!isAlnum(s.charCodeAt(i))) {
      i++;
      continue;
    }
    // One forward pass scans and hashes the word (FNV-1a twice, the seeds `BloomFilter` uses); the hash and
    // end are committed at each letter, digit or `@`, so a trailing run of `. _ ' -` is left out.
    const start = i;
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    let k1 = 0;
    let k2 = 0;
    let end = start;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      const kind = c < 128 ? WORD_CHAR[c]! : 0;
      if (kind === 0) break;
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x01000193);
      if (kind !== 3) {
        k1 = h1;
        k2 = h2;
        end = i + 1;
      }
    }
    const len = end - start;
    if (len < 2) continue;
    h1 = k1 >>> 0;
    h2 = k2;
    if (len <= STOPWORD_MAX) {
      // A stop word by its hash, confirmed in place (no string per short word).
      const slot = h1 & (STOP_SLOTS - 1);
      if (STOP_HASH[slot] === h1) {
        const w = STOP_WORD[slot]!;
        if (w.length === len && s.startsWith(w, start)) continue;
      }
    }
    bloom.addHashes(h1, (h2 >>> 0) | 1);
    count++;
  }
  return count;
}

/** Words of a normalized text worth indexing (no stop words, at least 2 characters). */
export function contentWords(normalized: string): string[] {
  const out: string[] = [];
  for (const w of normalized.split(/[^\p{L}\p{N}@._'-]+/u)) {
    const t = w.replace(/^[._'-]+|[._'-]+$/g, '');
    if (t.length >= 2 && !STOPWORDS.has(t)) out.push(t);
  }
  return out;
}

const WORD_RE = /[\p{L}\p{N}][\p{L}\p{N}@._'-]*/gu;
// ASCII text (most tool results) takes the cheaper non-Unicode pattern.
const ASCII_WORD_RE = /[a-z0-9][a-z0-9@._'-]*/g;

/**
 * Calls `visit` for each content word of `text` (lower case, no stop words) without building arrays:
 * the session fingerprints large results on ingest, so this path avoids garbage.
 */
export function forEachContentWord(text: string, visit: (word: string) => void, lowered?: string): number {
  const unicode = NON_ASCII.test(text);
  // `lowered` (`text.toLowerCase()`), when the caller has it, saves a copy for ASCII text.
  const s = unicode
    ? text.normalize('NFKC').replace(INVISIBLE, '').toLowerCase()
    : (lowered ?? text.toLowerCase());
  const re = unicode ? WORD_RE : ASCII_WORD_RE;
  let n = 0;
  re.lastIndex = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    let w = m[0];
    const last = w.charCodeAt(w.length - 1);
    if (last === 46 || last === 95 || last === 39 || last === 45) w = w.replace(/[._'-]+$/, '');
    if (w.length < 2 || STOPWORDS.has(w)) continue;
    visit(w);
    n++;
  }
  return n;
}
