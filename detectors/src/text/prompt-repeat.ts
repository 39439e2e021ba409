/**
 * Repeated user turns. Pipelines that defend against injection repeat the user's request after every tool
 * result (the "sandwich" / repeat-prompt defence), as a new user turn or appended to the result. A restated
 * task carries no new intent: it must not add delegation or action classes, and its echo inside a tool
 * result is the pipeline's, not an injected directive ("Remember, your original task is: …" reads like a
 * hijack to the injection scorer).
 */
import { extractValues } from './extract-values.js';
import { contentWords, normalizeText } from './normalize-text.js';

/** Content words a restatement may add to the task ("remember", "original", "task", "reminder"). */
const MAX_NEW_WORDS = 6;
/** Share of the earlier prompt's content words a restatement keeps. */
const MIN_KEPT = 0.85;

/** Addresses, numbers, URLs and codes (quoted spans are not: apostrophes make spurious ones). */
function identifying(text: string): string[] {
  return extractValues(text, 64)
    .filter((v) => v.kind !== 'quoted')
    .map((v) => v.key);
}

/**
 * Whether `prompt` restates one of `earlier` (identical, or near-identical: nearly all of its words, at most
 * a few template words more, and no value — address, number, URL — the earlier one lacks).
 *
 * @example
 * isRepeatedPrompt('Remember, your task is: pay the bill.', ['Pay the bill.']); // true
 * isRepeatedPrompt('Pay the bill, then e-mail bob@x.com.', ['Pay the bill.']); // false
 */
export function isRepeatedPrompt(prompt: string, earlier: readonly string[]): boolean {
  if (earlier.length === 0) return false;
  const norm = normalizeText(prompt);
  if (norm.length === 0) return false;
  const words = new Set(contentWords(norm));
  const values = identifying(prompt);
  for (const e of earlier) {
    const en = normalizeText(e);
    if (en === norm) return true;
    const ew = new Set(contentWords(en));
    if (ew.size < 3) continue;
    let kept = 0;
    for (const w of ew) if (words.has(w)) kept++;
    let added = 0;
    for (const w of words) if (!ew.has(w)) added++;
    if (kept / ew.size < MIN_KEPT || added > MAX_NEW_WORDS) continue;
    const ev = new Set(identifying(e));
    if (values.every((v) => ev.has(v))) return true;
  }
  return false;
}

const escapeRegExp = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The pattern that finds a restatement of `prompt` in other text (case-insensitive; between words any white
 * space or datamarking character), or undefined for a prompt too short to recognise reliably (under 24
 * characters or 4 words).
 */
export function echoPattern(prompt: string): RegExp | undefined {
  const t = prompt.trim();
  const words = t.split(/\s+/);
  if (t.length < 24 || words.length < 4 || words.length > 400) return undefined;
  return new RegExp(words.map(escapeRegExp).join('[\\s^~|\u00a6\u00a7]+'), 'gi');
}

/**
 * Blanks (same length) the lines of `text` that restate one of the user's prompts (`echoPattern`), so a
 * pipeline's reminder is not scored as an injected directive. Text on other lines is kept.
 *
 * @example
 * maskPromptEchoes('42 EUR\nRemember, your task is: Pay the bill in bill.txt', [echoPattern('Pay the bill in bill.txt')!]);
 */
export function maskPromptEchoes(text: string, patterns: readonly RegExp[]): string {
  let s = text;
  for (const re of patterns) {
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) {
      // The whole lines the echo is on: the reminder's lead-in ("Remember, your task is:") goes with it.
      const a = s.lastIndexOf('\n', m.index) + 1;
      let b = s.indexOf('\n', m.index + m[0].length);
      if (b < 0) b = s.length;
      s = s.slice(0, a) + s.slice(a, b).replace(/[^\n]/g, ' ') + s.slice(b);
    }
  }
  return s;
}
