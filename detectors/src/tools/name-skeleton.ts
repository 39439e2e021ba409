import { isInvisibleCodePoint } from './hidden-text.js';
import { HOMOGLYPHS } from './homoglyphs.js';

function stripInvisible(text: string): string {
  let out = '';
  for (const ch of text) if (!isInvisibleCodePoint(ch.codePointAt(0) ?? 0)) out += ch;
  return out;
}

/**
 * Case- and separator-folded name: `Read_File`, `read-file` and `readFile` all give `readfile`.
 *
 * @example
 * foldName('Send-Email'); // 'sendemail'
 */
export function foldName(name: string): string {
  return stripInvisible(name.normalize('NFKC'))
    .toLowerCase()
    .replace(/[\s_\-.:/]+/g, '');
}

/**
 * Confusable skeleton of a tool name: NFKC, invisible characters removed, look-alike letters from other scripts
 * mapped to Latin, `I`/`1`/`|` → `l`, `0` → `o`, `rn` → `m`, `vv` → `w`, then case and separators folded. Two
 * different names with one skeleton look the same to a person.
 *
 * @example
 * nameSkeleton('reаd_file') === nameSkeleton('read_file'); // true (Cyrillic а)
 */
export function nameSkeleton(name: string): string {
  let out = '';
  for (const ch of stripInvisible(name.normalize('NFKC'))) {
    const mapped = HOMOGLYPHS.get(ch);
    if (mapped) out += mapped;
    else if (ch === 'I' || ch === '1' || ch === '|') out += 'l';
    else if (ch === '0') out += 'o';
    else out += ch;
  }
  return out
    .toLowerCase()
    .replace(/[\s_\-.:/]+/g, '')
    .replace(/rn/g, 'm')
    .replace(/vv/g, 'w');
}

/** True when a name contains characters outside printable ASCII (after NFKC), i.e. it can impersonate. */
export function hasNonAsciiName(name: string): boolean {
  return (
    name !== stripInvisible(name) ||
    /[^\x20-\x7e]/.test(name.normalize('NFKC')) ||
    name.normalize('NFKC') !== name
  );
}
