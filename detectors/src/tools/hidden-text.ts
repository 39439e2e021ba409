import type { Severity } from '@bulwark/contracts';
import { HOMOGLYPHS } from './homoglyphs.js';

/** One piece of text a human would not see (or would see differently) but the model reads. */
export interface HiddenTextHit {
  ruleId: string;
  severity: Severity;
  /** UTF-16 offsets in the scanned string. */
  start: number;
  end: number;
  note: string;
  /** Text the hidden characters carry, when they encode any (Unicode tag characters). */
  decoded?: string;
}

const ZERO_WIDTH = new Set([
  0x200b, 0x200c, 0x200d, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xfeff, 0x180e, 0x034f, 0x115f, 0x1160,
  0x3164, 0xffa0, 0x17b4, 0x17b5, 0x2800,
]);
const BIDI_OVERRIDE = new Set([0x202d, 0x202e]);
const BIDI_OTHER = new Set([0x202a, 0x202b, 0x202c, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c]);
const RTL_LETTER = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;
const EMOJI = /\p{Extended_Pictographic}/u;
const JOINING_SCRIPT = /[^\p{Script=Latin}\p{Script=Common}\p{Script=Inherited}]/u;
const LATIN_LETTER = /\p{Script=Latin}/u;
const ASCII_LETTER = /[A-Za-z]/;

/** Characters removed before text analysis because they render as nothing. */
export function isInvisibleCodePoint(cp: number): boolean {
  return (
    ZERO_WIDTH.has(cp) ||
    BIDI_OVERRIDE.has(cp) ||
    BIDI_OTHER.has(cp) ||
    (cp >= 0xe0000 && cp <= 0xe007f) ||
    (cp >= 0xe0100 && cp <= 0xe01ef) ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    (cp < 0x20 && cp !== 0x09 && cp !== 0x0a && cp !== 0x0d) ||
    (cp >= 0x7f && cp <= 0x9f)
  );
}

interface CodePointAt {
  cp: number;
  index: number;
  ch: string;
}

function codePoints(text: string): CodePointAt[] {
  const out: CodePointAt[] = [];
  let index = 0;
  for (const ch of text) {
    out.push({ cp: ch.codePointAt(0) ?? 0, index, ch });
    index += ch.length;
  }
  return out;
}

/** For each position, the nearest visible character before and after it (one pass each way: linear time). */
class Neighbours {
  private readonly prev: string[];
  private readonly next: string[];

  constructor(cps: readonly CodePointAt[]) {
    this.prev = new Array<string>(cps.length);
    this.next = new Array<string>(cps.length);
    let last = '';
    for (let i = 0; i < cps.length; i++) {
      this.prev[i] = last;
      const c = cps[i];
      if (c && !isInvisibleCodePoint(c.cp)) last = c.ch;
    }
    last = '';
    for (let i = cps.length - 1; i >= 0; i--) {
      this.next[i] = last;
      const c = cps[i];
      if (c && !isInvisibleCodePoint(c.cp)) last = c.ch;
    }
  }

  before(i: number): string {
    return this.prev[i] ?? '';
  }

  after(i: number): string {
    return this.next[i] ?? '';
  }
}

/** Zero-width joiners between emoji or inside joining scripts (Arabic, Indic, ...) are ordinary text. */
function legitimateZeroWidth(cps: CodePointAt[], around: Neighbours, i: number): boolean {
  const c = cps[i];
  if (!c) return false;
  if (c.cp === 0xfeff && i === 0) return true;
  const prev = around.before(i);
  const next = around.after(i);
  if (c.cp === 0x200d && (EMOJI.test(prev) || EMOJI.test(next))) return true;
  if (
    (c.cp === 0x200c || c.cp === 0x200d || c.cp === 0x200b) &&
    (JOINING_SCRIPT.test(prev) || JOINING_SCRIPT.test(next))
  )
    return !ASCII_LETTER.test(prev) || !ASCII_LETTER.test(next);
  return false;
}

function excerptAround(text: string, start: number, end: number): string {
  return text.slice(Math.max(0, start - 30), Math.min(text.length, end + 30));
}

/**
 * Finds text a person reviewing a tool would not see: invisible and bidirectional control characters, Unicode
 * tag characters (decoded), variation-selector runs, control/escape characters, HTML comments, markup styled
 * invisible, and whitespace padding. Ordinary uses (emoji joiners, RTL marks in RTL text, a leading BOM, emoji
 * variation selectors) are not reported.
 *
 * @example
 * findHiddenText('Adds numbers\u200b\u200b\u200b\u200b'); // [{ ruleId: 'hidden-text.invisible-unicode', severity: 'high', ... }]
 */
export function findHiddenText(text: string): HiddenTextHit[] {
  const cps = codePoints(text);
  const hits: HiddenTextHit[] = [
    ...tagCharacterHits(cps),
    ...invisibleHits(cps),
    ...bidiHits(cps, RTL_LETTER.test(text)),
    ...selectorHits(cps),
    ...controlHits(cps),
    ...markupHits(text),
    ...homoglyphHits(text),
  ];
  for (const h of hits) if (h.end <= h.start) h.end = Math.min(text.length, h.start + 1);
  return hits;
}

/** Unicode tag characters (decoded); emoji subdivision flags excepted. */
function tagCharacterHits(cps: CodePointAt[]): HiddenTextHit[] {
  const hits: HiddenTextHit[] = [];
  // Unicode tag characters: invisible ASCII. Flag emoji subdivision flags (black flag + tag letters) are fine.
  let i = 0;
  while (i < cps.length) {
    const c = cps[i];
    if (!c || c.cp < 0xe0000 || c.cp > 0xe007f) {
      i++;
      continue;
    }
    let j = i;
    let decoded = '';
    while (j < cps.length && (cps[j]?.cp ?? 0) >= 0xe0000 && (cps[j]?.cp ?? 0) <= 0xe007f) {
      const v = (cps[j]?.cp ?? 0) - 0xe0000;
      if (v >= 0x20 && v < 0x7f) decoded += String.fromCharCode(v);
      j++;
    }
    const isFlag =
      cps[i - 1]?.cp === 0x1f3f4 && cps[j - 1]?.cp === 0xe007f && /^[a-z0-9]{2,7}$/.test(decoded);
    if (!isFlag) {
      const start = c.index;
      const last = cps[j - 1];
      const end = last ? last.index + last.ch.length : start;
      hits.push({
        ruleId: 'hidden-text.tag-characters',
        severity: 'critical',
        start,
        end,
        note: `${j - i} invisible Unicode tag character(s) encoding: ${JSON.stringify(decoded.slice(0, 200))}`,
        decoded,
      });
    }
    i = j;
  }

  return hits;
}

/** Zero-width and invisible fillers outside their ordinary uses. */
function invisibleHits(cps: CodePointAt[]): HiddenTextHit[] {
  const hits: HiddenTextHit[] = [];
  // Zero-width and invisible fillers.
  const invisible: CodePointAt[] = [];
  let splitsWord = false;
  const around = new Neighbours(cps);
  cps.forEach((c, k) => {
    if (!ZERO_WIDTH.has(c.cp) || legitimateZeroWidth(cps, around, k)) return;
    invisible.push(c);
    if (ASCII_LETTER.test(around.before(k)) && ASCII_LETTER.test(around.after(k))) splitsWord = true;
  });
  const firstInvisible = invisible[0];
  const lastInvisible = invisible[invisible.length - 1];
  if (firstInvisible && lastInvisible) {
    const codes = [...new Set(invisible.map((c) => `U+${c.cp.toString(16).toUpperCase().padStart(4, '0')}`))];
    hits.push({
      ruleId: 'hidden-text.invisible-unicode',
      severity: splitsWord || invisible.length >= 4 ? 'high' : 'medium',
      start: firstInvisible.index,
      end: lastInvisible.index + lastInvisible.ch.length,
      note: `${invisible.length} invisible character(s) (${codes.join(', ')})${splitsWord ? ' inside words' : ''}`,
    });
  }

  return hits;
}

/** Bidirectional controls: overrides always; other controls only outside right-to-left text. */
function bidiHits(cps: CodePointAt[], hasRtl: boolean): HiddenTextHit[] {
  const hits: HiddenTextHit[] = [];
  // Bidirectional controls: overrides always matter; other controls only outside right-to-left text.
  const bidi = cps.filter((c) => BIDI_OVERRIDE.has(c.cp) || (BIDI_OTHER.has(c.cp) && !hasRtl));
  const firstBidi = bidi[0];
  const lastBidi = bidi[bidi.length - 1];
  if (firstBidi && lastBidi) {
    const override = bidi.some((c) => BIDI_OVERRIDE.has(c.cp));
    hits.push({
      ruleId: 'hidden-text.bidi-control',
      severity: override && hasRtl ? 'medium' : 'high',
      start: firstBidi.index,
      end: lastBidi.index + lastBidi.ch.length,
      note: `${bidi.length} bidirectional control character(s)${override ? ' including an override (U+202D/U+202E)' : ''}`,
    });
  }

  return hits;
}

/** Variation selectors not attached to an emoji or ideograph. */
function selectorHits(cps: CodePointAt[]): HiddenTextHit[] {
  const hits: HiddenTextHit[] = [];
  // Variation selectors outside emoji/ideograph use: runs of them, or after plain letters, can smuggle bytes.
  let suspiciousSelectors = 0;
  let vsStart = -1;
  let vsEnd = -1;
  cps.forEach((c, k) => {
    const isVs = (c.cp >= 0xfe00 && c.cp <= 0xfe0f) || (c.cp >= 0xe0100 && c.cp <= 0xe01ef);
    if (!isVs) return;
    const prev = cps[k - 1];
    const prevIsVs =
      prev !== undefined &&
      ((prev.cp >= 0xfe00 && prev.cp <= 0xfe0f) || (prev.cp >= 0xe0100 && prev.cp <= 0xe01ef));
    const base = prev?.ch ?? '';
    const ordinary =
      !prevIsVs && (EMOJI.test(base) || /[\p{Script=Han}\p{S}\p{N}]/u.test(base) || base === '');
    if (ordinary) return;
    suspiciousSelectors++;
    if (vsStart < 0) vsStart = c.index;
    vsEnd = c.index + c.ch.length;
  });
  if (suspiciousSelectors > 0) {
    hits.push({
      ruleId: 'hidden-text.variation-selectors',
      severity: suspiciousSelectors >= 3 ? 'high' : 'medium',
      start: vsStart,
      end: vsEnd,
      note: `${suspiciousSelectors} variation selector(s) not attached to an emoji or ideograph`,
    });
  }

  return hits;
}

/** Control characters and private-use runs. */
function controlHits(cps: CodePointAt[]): HiddenTextHit[] {
  const hits: HiddenTextHit[] = [];
  // Control characters: ESC starts terminal sequences (conceal, cursor moves); others have no business here.
  const controls = cps.filter(
    (c) => (c.cp < 0x20 && c.cp !== 0x09 && c.cp !== 0x0a && c.cp !== 0x0d) || (c.cp >= 0x7f && c.cp <= 0x9f),
  );
  const firstControl = controls[0];
  const lastControl = controls[controls.length - 1];
  if (firstControl && lastControl) {
    const esc = controls.some((c) => c.cp === 0x1b || c.cp === 0x9b);
    hits.push({
      ruleId: 'hidden-text.control-characters',
      severity: esc ? 'high' : 'medium',
      start: firstControl.index,
      end: lastControl.index + lastControl.ch.length,
      note: `${controls.length} control character(s)${esc ? ' including terminal escape sequences' : ''}`,
    });
  }

  // Private-use characters render as boxes or icons; several in a row can carry data.
  const privateUse = cps.filter((c) => (c.cp >= 0xe000 && c.cp <= 0xf8ff) || c.cp >= 0xf0000);
  const firstPua = privateUse[0];
  if (firstPua && privateUse.length >= 3) {
    hits.push({
      ruleId: 'hidden-text.invisible-unicode',
      severity: 'medium',
      start: firstPua.index,
      end: firstPua.index + firstPua.ch.length,
      note: `${privateUse.length} private-use character(s)`,
    });
  }

  return hits;
}

/** HTML comments, markup styled invisible, whitespace padding. */
function markupHits(text: string): HiddenTextHit[] {
  const hits: HiddenTextHit[] = [];
  // HTML comments: not rendered by markdown/HTML views, read by the model.
  for (const m of text.matchAll(/<!--([\s\S]*?)(?:-->|$)/g)) {
    if ((m[1] ?? '').trim() === '') continue;
    const start = m.index ?? 0;
    hits.push({
      ruleId: 'hidden-text.html-comment',
      severity: 'medium',
      start,
      end: start + m[0].length,
      note: 'HTML comment (hidden when rendered)',
    });
  }

  // Markup styled to be invisible.
  const hiddenMarkup =
    /<([a-z][\w-]*)\b[^>]*?(?:style\s*=\s*["'][^"']*(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])|opacity\s*:\s*0(?![.\d]*[1-9])|color\s*:\s*(?:white|#fff(?:fff)?\b|transparent))|\shidden(?:\s|>|=)|aria-hidden\s*=\s*["']?true)[^>]*>/gi;
  for (const m of text.matchAll(hiddenMarkup)) {
    const start = m.index ?? 0;
    const close = text.toLowerCase().indexOf(`</${(m[1] ?? '').toLowerCase()}`, start + m[0].length);
    const end = close > 0 ? close : start + m[0].length;
    hits.push({
      ruleId: 'hidden-text.hidden-markup',
      severity: 'high',
      start,
      end,
      note: `<${m[1]}> styled invisible`,
    });
  }

  // Whitespace padding that pushes text out of view in a narrow UI.
  for (const m of text.matchAll(/(?:[ \t\u00a0\u3000]{80,}|(?:[ \t]*\r?\n){20,})(?=\S)/g)) {
    const start = m.index ?? 0;
    hits.push({
      ruleId: 'hidden-text.padding',
      severity: 'medium',
      start,
      end: start + m[0].length,
      note: `${m[0].length} whitespace characters before more text`,
    });
  }

  return hits;
}

/** Words mixing Latin with look-alike letters of another script. */
function homoglyphHits(text: string): HiddenTextHit[] {
  const hits: HiddenTextHit[] = [];
  // Words that mix Latin with look-alike letters from other scripts ("ignоre" with a Cyrillic o).
  for (const m of text.matchAll(/[\p{L}\p{M}]+/gu)) {
    const word = m[0];
    if (!LATIN_LETTER.test(word)) continue;
    let mixed = false;
    for (const ch of word) if (HOMOGLYPHS.has(ch) && !LATIN_LETTER.test(ch)) mixed = true;
    if (!mixed) continue;
    const start = m.index ?? 0;
    hits.push({
      ruleId: 'hidden-text.invisible-unicode',
      severity: 'medium',
      start,
      end: start + word.length,
      note: `word mixes Latin with look-alike letters from another script: ${JSON.stringify(word)}`,
    });
  }

  return hits;
}

/** A short excerpt around a hit with invisible characters shown as `<U+XXXX>`. */
export function visibleExcerpt(text: string, start: number, end: number): string {
  const raw = excerptAround(text, start, end);
  let out = '';
  for (const ch of raw) {
    const cp = ch.codePointAt(0) ?? 0;
    out +=
      isInvisibleCodePoint(cp) || ZERO_WIDTH.has(cp)
        ? `<U+${cp.toString(16).toUpperCase().padStart(4, '0')}>`
        : ch;
  }
  return out.length > 400 ? `${out.slice(0, 400)}…` : out;
}
