/** Function words and tool-usage words: they say nothing about what a tool is for. */
const STOP = new Set(
  (
    'a an the and or but nor so yet if then else than that this these those there here where when whence while ' +
    'of in on at by for from to into onto with within without about above below over under after before between ' +
    'through during across along around against among upon via per as is are was were be been being am do does did ' +
    "doing done have has had having it its it's itself they them their theirs we us our you your yours he him his she " +
    'her i me my mine not no yes all any some each every both either neither other another such same own more most ' +
    'less least many much few several only just also too very can could may might must shall should will would ' +
    'please kindly ensure make sure need needs needed want wants always never now then first next last again once ' +
    'tool tools function functions call calls calling use used uses using parameter parameters param params argument ' +
    'arguments arg args value values result results return returns returned provide provided provides input output ' +
    'option optional required default e.g i.e etc eg ie one two three new get gets well way thing things something ' +
    'anything everything everyone anyone someone important note notes instead even still however therefore thus ' +
    "what which who whom whose why how whether because since until unless although though cannot can't don't " +
    "doesn't won't isn't aren't according like also pass passes passed include includes including included " +
    'full entire complete given give gives specify specified supply enter put see check try each per here'
  ).split(' '),
);

/** Light stemmer: strips common English suffixes and keeps a prefix, enough to match word families. */
export function stem(word: string): string {
  let w = word.toLowerCase();
  if (w.length > 5 && w.endsWith('ing')) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && w.endsWith('ed')) w = w.slice(0, -2);
  else if (w.length > 4 && /(?:sh|ch|x|ss)es$/.test(w)) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
  return w.slice(0, 6);
}

/** Splits identifiers and prose into lower-case words: `getUserName` / `get_user-name` → get, user, name. */
export function words(text: string): string[] {
  const spaced = text.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2');
  return spaced.toLowerCase().match(/[a-z][a-z0-9']*/g) ?? [];
}

/** Content stems of a text: words of 3+ letters that are not function or tool-usage words. */
export function contentStems(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text)) {
    if (w.length < 3 || STOP.has(w)) continue;
    out.push(stem(w));
  }
  return out;
}

/**
 * The words a tool uses to describe itself (name, parameters, descriptive sentences): the yardstick for
 * "is this instruction about the tool at all?".
 *
 * @example
 * const v = new Vocabulary(); v.add('read_file path'); v.overlap('Please read the file'); // 1 (both stems known)
 */
export class Vocabulary {
  private readonly stems = new Map<string, number>();

  add(text: string): void {
    for (const s of contentStems(text)) this.stems.set(s, (this.stems.get(s) ?? 0) + 1);
  }

  has(stemmed: string): boolean {
    return (this.stems.get(stemmed) ?? 0) > 0;
  }

  /**
   * Share of the text's content stems the vocabulary knows (1 when the text has no content words). With
   * `excludeSelf`, the text's own contribution is discounted: a sentence cannot vouch for itself.
   */
  overlap(text: string, excludeSelf = false): number {
    const stems = contentStems(text);
    if (stems.length === 0) return 1;
    const own = new Map<string, number>();
    if (excludeSelf) for (const s of stems) own.set(s, (own.get(s) ?? 0) + 1);
    let known = 0;
    for (const s of stems) if ((this.stems.get(s) ?? 0) - (own.get(s) ?? 0) > 0) known++;
    return known / stems.length;
  }

  /** True when the stem is known from texts other than `exclude` (a sentence cannot vouch for itself). */
  knowsOutside(stemmed: string, exclude: string): boolean {
    const own = contentStems(exclude).filter((x) => x === stemmed).length;
    return (this.stems.get(stemmed) ?? 0) - own > 0;
  }

  get size(): number {
    return this.stems.size;
  }
}
