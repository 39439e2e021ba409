import { isInvisibleCodePoint } from './hidden-text.js';
import { HOMOGLYPHS } from './homoglyphs.js';

const LATIN = /\p{Script=Latin}/u;

/**
 * The text the model effectively reads, normalised for matching: invisible characters removed, NFKC per
 * character (full-width letters, ligatures), look-alike letters inside Latin words mapped to Latin — with a
 * map back to offsets in the original string so evidence points at what the author wrote.
 *
 * @example
 * const v = new TextView('ig\u200bnore'); v.text; // 'ignore'; v.originalOffset(2) === 3
 */
export class TextView {
  readonly original: string;
  readonly text: string;
  private readonly map: number[];

  constructor(original: string) {
    this.original = original;
    const chars = [...original];
    const out: string[] = [];
    const map: number[] = [];
    let index = 0;
    chars.forEach((ch, k) => {
      const cp = ch.codePointAt(0) ?? 0;
      if (!isInvisibleCodePoint(cp) || cp === 0x09) {
        let norm = ch.normalize('NFKC');
        const mapped = HOMOGLYPHS.get(ch);
        if (mapped && !LATIN.test(ch) && (LATIN.test(chars[k - 1] ?? '') || LATIN.test(chars[k + 1] ?? '')))
          norm = mapped;
        for (const unit of norm) {
          out.push(unit);
          for (let u = 0; u < unit.length; u++) map.push(index);
        }
      }
      index += ch.length;
    });
    map.push(original.length);
    this.text = out.join('');
    this.map = map;
  }

  /** Offset in the original string of offset `i` in `text`. */
  originalOffset(i: number): number {
    return this.map[Math.max(0, Math.min(i, this.map.length - 1))] ?? this.original.length;
  }
}
