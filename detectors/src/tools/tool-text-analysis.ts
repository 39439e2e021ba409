import type { Evidence, Severity, ToolDefinition } from '@bulwark/contracts';
import { isInvisibleCodePoint } from './hidden-text.js';
import {
  type InstructionSignals,
  instructionSignals,
  isInstructionTagName,
  MARKUP_TAG,
} from './instruction-signals.js';
import { TextView } from './text-view.js';
import type { ToolCatalogue, ToolReference } from './tool-catalogue.js';
import type { ToolFinding, ToolFindingCategory } from './tool-finding.js';
import {
  announcesAuthority,
  referencedAsTool,
  type TacticSignal,
  type ToolTactic,
  tacticSignals,
} from './tool-tactics.js';
import { contentStems, stem, Vocabulary, words } from './vocabulary.js';

/** One text field of a definition the model reads. */
export interface DefinitionText {
  /** `description`, `inputSchema.properties.path.description`, ... */
  field: string;
  text: string;
  /** Schema property the text belongs to, when it is inside an input schema. */
  parameter?: string;
  inSchema: boolean;
}

/** What the analyser needs to know about the tool and its neighbours. */
export interface TextAnalysisContext {
  name: string;
  server: string | undefined;
  toolIndex: number;
  subject: 'tool' | 'prompt' | 'resource';
  texts: readonly DefinitionText[];
  parameterNames: readonly string[];
  /** Names of other tools on the same server. */
  siblingNames: readonly string[];
  catalogue: ToolCatalogue;
}

interface Sentence {
  text: DefinitionText;
  view: TextView;
  start: number;
  end: number;
  raw: string;
  lower: string;
  hidden: boolean;
  signals: InstructionSignals;
  /** Talks about when/how to use this very tool ("Use this tool when ..."): a purpose statement. */
  selfReference: boolean;
}

const SKIP_SCHEMA_KEYS = new Set([
  'type',
  '$schema',
  '$id',
  '$ref',
  'format',
  'required',
  'pattern',
  'contentEncoding',
]);
const DATA_OBJECT =
  /\b(?:every|all|each|any)\s+(?:\w+\s+)?files?\s+(?:in|under|from)\b|\b(?:downloads|documents|desktop|home|pictures|photos)\s+(?:folder|director(?:y|ies))\b|\b(?:every|all|each|any)\s+(?:of\s+the\s+)?(?:arguments?|parameters?|inputs?|values?)\s+(?:you|that|which|passed|sent|given)\b|\b(?:contents?|text|body|data|output)\s+of\s+(?:the\s+|any\s+|all\s+|this\s+|that\s+|your\s+|each\s+|every\s+)?(?:\S+\s+)?(?:files?|documents?|folders?|director(?:y|ies)|conversations?|messages?|e-?mails?|inbox|chats?|sessions?)\b|\bfile\s+contents?\b|\bthe\s+contents\b|\bits\s+contents?\b|\b(?:complete|full|entire|whole|raw|unfiltered)\s+(?:\w+\s+)?(?:outputs?|results?|responses?|transcripts?)\b|\b(?:everything|all)\s+(?:that\s+)?(?:it|they|the\s+(?:tool|call))\s+returns?\b|\b(?:read|load|fetch|get|obtain|copy)\b[^.;]{0,60}?\bfrom\s+[`'"]?(?:~|\/(?:users|home|etc|var|root|opt))\/[\w./-]+/;
const GENERIC_PARAMETER =
  /^(?:side_?notes?|notes?|context|metadata|meta|extra|extras|details?|comments?|memo|debug|info|data|reasoning|summary|feedback|remarks?|annotations?|misc|additional_?\w*|payload|blob|aux\w*|internal\w*|hidden\w*|trace|telemetry|analytics|log)$/i;
const CONVERSATION_PARAMETER =
  /(?:conversation|chat|dialog|message)_?(?:history|log|context|transcript)|system_?(?:prompt|message|instructions?)|previous_?messages|full_?context|context_?window/i;

/** Every string an input/output schema shows the model, with its JSON path. */
export function schemaTexts(schema: unknown, root: string): DefinitionText[] {
  const out: DefinitionText[] = [];
  const walk = (node: unknown, path: string, parameter: string | undefined, depth: number): void => {
    if (depth > 12 || out.length > 2_000) return;
    if (typeof node === 'string') {
      if (node.trim() !== '')
        out.push({ field: path, text: node, inSchema: true, ...(parameter ? { parameter } : {}) });
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((v, i) => {
        walk(v, `${path}[${i}]`, parameter, depth + 1);
      });
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      // Keywords hold identifiers ("string", "uri", property names); prose there is text the model still reads.
      if (SKIP_SCHEMA_KEYS.has(key)) {
        if (typeof value === 'string' && /\s/.test(value.trim()))
          walk(value, `${path}.${key}`, parameter, depth + 1);
        else if (Array.isArray(value))
          value.forEach((v, i) => {
            if (typeof v === 'string' && /\s/.test(v.trim()))
              walk(v, `${path}.${key}[${i}]`, parameter, depth + 1);
          });
        continue;
      }
      if (
        (key === 'properties' || key === 'patternProperties' || key === '$defs' || key === 'definitions') &&
        value
      ) {
        if (typeof value !== 'object' || Array.isArray(value)) continue;
        for (const [prop, sub] of Object.entries(value as Record<string, unknown>)) {
          walk(sub, `${path}.${key}.${prop}`, key === 'properties' ? prop : parameter, depth + 1);
        }
        continue;
      }
      walk(value, `${path}.${key}`, parameter, depth + 1);
    }
  };
  walk(schema, root, undefined, 0);
  return out;
}

/** What a file holds: "contents of", "details from", "lines in". */
const FILE_CONTENT_OF =
  /\b(?:contents?|text|body|copy|output|data|details|lines?|entries)\s+(?:from|of|in)\b/;
const ANNOUNCES_COMMAND =
  /\b(?:run|running|execute|executing|paste|type|enter)\b[^.]{0,40}\b(?:this|the\s+following|these|below)\s+(?:shell\s+|terminal\s+|bash\s+)?(?:commands?|script|snippet|code|lines?)\b/;
const DISPARAGE =
  /\b(?:is|are)\s+(?:deprecated|broken|unsafe|insecure|compromised|malicious|outdated|unreliable)\b/;
const TRANSCRIPT_LINE = /^\W*assistant\s*:/i;
const TRANSCRIPT_USER = /(?:^|\n|\\n|")\s*(?:user|human|customer)\s*:/i;
/** "ie: {\"password\": \"123456\"}": a secret inside an example of the tool's own input. */
const EXAMPLE_LITERAL_BEFORE =
  /(?:^|\W)(?:i\.?e\.?|e\.?g\.?|for\s+example|for\s+instance|example)\s*[:,]\s*(?:[{[`'"]|[^.]*["']$)/;
/** "After each call, investigate before calling again": the scope is this tool's own calls. */
const OWN_CALLS =
  /\b(?:calling|call(?:ing)?\s+(?:it|this(?:\s+tool)?))\s+again\b|\bthis\s+tool'?s\s+(?:own\s+)?(?:calls?|steps?)\b/;
const BARE_HOST =
  /\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|app|dev|xyz|cc|info|biz|site|top|ru)\b/;
const PRE_STEP =
  /\b(?:before|prior\s+to)\s+(?:executing|running|using|calling|invoking)\s+(?:this|the)\s+(?:tool|function)\b|\bfirst\b/;
const VALUE_FIELD = /\.(?:default|examples?|const|enum)(?:\[\d+\])?$/;
const INJECTED_COMMAND =
  /(?:;|&&|\|\||\||`|\$\()\s*(?:sudo\s+)?(?:rm\s+-|curl\s|wget\s|nc\s|ncat\s|bash\b|sh\s|chmod\s|python[23]?\s+-c|cat\s+[~/]|powershell\b)/;
/** "the contents of", "the text of": the secret itself is what is wanted, not a file the tool works on. */
const CONTENT_OF = /\b(?:contents?|text|body|value|copy|output|data)\s+(?:from|of|in)\b/;
/** A sentence opening with a usage verb ("Use `x` instead", "Prefer …"); "Note for …:" is a heading, not one. */
/** Anchored on this tool's own result: "After the tool returns, …", "once this call succeeds". */
const SELF_ANCHOR =
  /\b(?:after|once|when)\s+(?:the|this)\s+(?:tool|call|function|command)\s+(?:returns|succeeds|completes|finishes|has\s+(?:run|returned|succeeded))\b/;
const REPLACEMENT = /\binstead\b|\brather\s+than\b|\bonly\s+(?:this|our)\b|\buse\s+(?:this|ours|our)\b/;
/** A secret the tool authenticates with ("using the credentials in ~/.acme"), not one it takes. */
const INSTRUMENT_BEFORE =
  /\b(?:using|with|authenticat\w*\s+(?:with|using|via)|signed\s+(?:with|by))\s+(?:the\s+|your\s+|its\s+|their\s+)?(?:[\w-]+\s+){0,3}?(?:in|from|at)?\s*[`'"]?$|\b(?:using|with)\s+(?:the\s+|your\s+|its\s+)?$/;
const LEADING_USAGE =
  /^[\s*>#\-•\d.)(\]["'`]*(?:also\s+|then\s+|now\s+|first\s+|next\s+)?(use|prefer|pass|provide|specify|give|set|try|choose|select|pick|call|invoke)\b(?!\s*:)/;
/** A third-person opening that says what the tool does ("Checks …", "Backs up …"): the tool describing itself. */
const SELF_DESCRIBING = /^[\s*>#\-•"'`]*(?:[a-z]+(?:es|s))\b(?:\s+up)?\s+(?!you\b)/;
const EXAMPLE_BEFORE =
  /\b(?:e\.g\.?|for\s+example|for\s+instance|such\s+as|like|including)\s*[,:]?\s*[`'"]?$/;
const MODEL_SIDE =
  /\b(?:your|assistant|model|system|prompt|instructions|context\s+window|memory|so\s+far|with\s+(?:you|the\s+(?:assistant|model|ai)))\b/;
const MESSAGING_STEMS = ['email', 'mail', 'messag', 'thread', 'chat', 'inbox', 'reply', 'convers'].map(stem);
/** Text before a secret that makes it where something is written ("add the keys to `.env.local`"). */
const INTO_BEFORE =
  /\b(?:to|into|in)\s+(?:the\s+|your\s+|a\s+|their\s+|the\s+user'?s\s+)?(?:project'?s\s+)?(?:(?:shell|local|global|user)\s+)?[`'"]?$/;
const OWN_OUTPUT_BEFORE = /\b(?:returned|generated|resulting|issued|new|newly\s+created)\s+(?:[\w-]+\s+)?$/;
const INTO_ENV_FILE = /\b(?:in|into|to)\s+(?:the\s+|your\s+)?(?:project'?s\s+)?[`'"]?\.env\b/;
const WRITE_VERB = /\b(?:add|write|put|save|store|append|set|place|paste)\b/;

/**
 * True when the secret is where the user's own configuration is written, not something read and moved: no
 * outside destination, no parameter channel, a write verb, and "to/into" right before the secret.
 */
function secretIsDestination(lower: string, f: InstructionSignals): boolean {
  if (f.secretTarget === undefined || f.externalDestination !== undefined || f.parameterChannel !== undefined)
    return false;
  const at = lower.indexOf(f.secretTarget);
  if (at <= 0 || !WRITE_VERB.test(lower.slice(0, at))) return false;
  // "Place the returned credentials in the project's `.env`": the tool's own output saved to the user's config.
  if (OWN_OUTPUT_BEFORE.test(lower.slice(Math.max(0, at - 30), at)) && INTO_ENV_FILE.test(lower)) return true;
  return INTO_BEFORE.test(lower.slice(Math.max(0, at - 40), at));
}

/** Names of the input schema's properties, at any depth. */
export function schemaParameterNames(schema: unknown): string[] {
  const names = new Set<string>();
  const walk = (node: unknown, depth: number): void => {
    if (depth > 12 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const v of node) walk(v, depth + 1);
      return;
    }
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
        for (const [prop, sub] of Object.entries(value as Record<string, unknown>)) {
          names.add(prop);
          walk(sub, depth + 1);
        }
      } else walk(value, depth + 1);
    }
  };
  walk(schema, 0);
  return [...names];
}

/** The texts of a tool definition the model reads: description, titles, schema strings. */
export function definitionTexts(tool: ToolDefinition): DefinitionText[] {
  const texts: DefinitionText[] = [];
  if (tool.description) texts.push({ field: 'description', text: tool.description, inSchema: false });
  if (tool.annotations?.title)
    texts.push({ field: 'annotations.title', text: tool.annotations.title, inSchema: false });
  if (tool.inputSchema) texts.push(...schemaTexts(tool.inputSchema, 'inputSchema'));
  if (tool.outputSchema) texts.push(...schemaTexts(tool.outputSchema, 'outputSchema'));
  return texts;
}

function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

const RUN_ON =
  /[\p{L}\d)\]'"`]\s+(?=(?:Please|Ignore|Disregard|Always|Never|Do not|Don't|Before|After|Whenever|Remember|Make sure|IMPORTANT|NOTE|You (?:must|should|need|are|will))\b)/gu;
const CONDITION_LEAD =
  /^\W*(?:before|after|when|whenever|once|each\s+time|every\s+time|prior\s+to)\b[^,]{3,80},/;
const WEAK_DIRECTIVE_WORD =
  /\b(?:must|always|never|make\s+sure|be\s+sure|ensure|remember|do\s+not|don'?t)\b/i;
const SELF_REFERENCE =
  /^\W*(?:(?:use|call|invoke|run|try)\s+(?:this|the\s+current)\s+(?:tool|function|endpoint)\b|(?:use|call|invoke|try)\s+(?:this|it)\s+(?:when|to|for|if|whenever|only|in|with|instead|before|after|as|on)\b|this\s+(?:tool|function|endpoint|server)\s+(?:is|can|will|should|lets|allows|helps|returns|provides|gives|supports|grants|does|only|also|works|searches|fetches|retrieves|reads|writes|creates|sends)\b|(?:it|this)\s+(?:is|can\s+be)\s+(?:used|useful|ideal|best|great|perfect)\b|use\s+(?:with\s+)?(?:care|caution)\b|(?:ideal|useful|best|great|perfect)\s+for\b)/;
const PERSONAL_ANY =
  /\b(?:personal|medical|patient|health|contact|home\s+address|phone\s+number|date\s+of\s+birth|passport|salar|financial|tax\s+return|confidential|private)\b/;
const USAGE_VERBS = new Set(
  (
    'use pass provide specify give set include enter format call invoke wait follow prefer quote escape encode limit ' +
    'supply put keep try start summarize summarise present cite display show render list explain describe mention ' +
    'note preserve leave respect maintain retain avoid handle treat warn tell inform remind notify advise ask confirm ' +
    'consider double check narrow split paginate retry convert round sort filter group return choose select pick'
  ).split(' '),
);
const PREREQUISITE =
  /\b(?:call|use|run|invoke|execute)\s+(?:the\s+)?[`'"]?[\w.-]+[`'"]?\s+(?:tool\s+|function\s+)?(?:first|before|beforehand|prior)\b/;
/** Words that precede "tool" without naming one ("this tool", "any tool"). */
const GENERIC_TOOL_WORD =
  /^(?:this|that|the|a|an|any|each|every|all|other|another|same|search|following|above|previous|next|first|last|mcp|new|helper|right|correct|appropriate|relevant|separate|specific|dedicated|specialized|given|current|these|those|such|which|what|your|our|my|its)$/i;
const SEQUENCING = /\b(?:first|before|beforehand|prior\s+to|then|after|afterwards|next)\b/;
const USER_IN_THE_LOOP =
  /\b(?:approv\w*|confirm\w*|consent|permission|agreement|go-ahead|sign-off)\b[^.;]{0,30}\b(?:from|of|by|with)\s+(?:the\s+)?(?:user|human)\b|\b(?:user|human)\b[^.;]{0,40}\b(?:approv|confirm|review|consent|permission|agree|decide|choose)|\b(?:ask|confirm\s+with|check\s+with|show|tell|warn|inform|remind|notify|advise|let)\s+(?:\w+\s+){0,4}?(?:the\s+)?(?:user|human)\b|\bto\s+the\s+user\b/;
const LITERAL_ARGUMENT =
  /(?:^|[\s'"`(=])(?:~|\.{1,2})?\/[\w.*-]+\/[\w.*/-]+|\bhttps?:\/\/\S+|[\w.+-]+@[\w-]+\.[\w.-]+|\b[a-z]:\\\w/i;
const USER_REQUEST_TRIGGER =
  /\b(?:whenever|when|every\s+time|each\s+time|if)\s+(?:the\s+)?user\s+(?:asks|requests|wants|tries|attempts|needs|says|mentions|types)\b/;
const TOOLISH = /\b(?:tools?|functions?|servers?|integrations?|plugins?)\b/;
const QUANTIFIERS =
  /\b(?:before|after|whenever|when|while|each|every|time|prior|once|if|any|all|other|another|subsequent|future|later|you|the|user|assistant|agent|model|we|for|to|on|with|in|of)\b/g;
const MAX_SENTENCE_CHARS = 600;
const ABBREVIATION = /\b(?:e\.g|i\.e|etc|vs|approx|incl|no|fig|ex)$/i;

/** Sorted, non-overlapping union of ranges. */
function mergeRanges(ranges: [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/** True when [a, b) lies inside one of the merged ranges (binary search). */
function insideAny(merged: [number, number][], a: number, b: number): boolean {
  let lo = 0;
  let hi = merged.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = merged[mid];
    if (!r) break;
    if (r[1] < a) lo = mid + 1;
    else if (r[0] > a) hi = mid - 1;
    else return b <= r[1];
  }
  return false;
}

/** True when the line break at `i` only wraps a sentence: a letter or comma before it, a lower-case word after. */
function softWrap(plain: string, i: number): boolean {
  let a = i - 1;
  while (a >= 0 && (plain[a] === ' ' || plain[a] === '\t' || plain[a] === '\r')) a--;
  let b = i + 1;
  while (b < plain.length && (plain[b] === ' ' || plain[b] === '\t')) b++;
  const before = plain[a] ?? '';
  const after = plain.slice(b, b + 2);
  // "message: The text to send" on the next line is a new field of a parameter list, not a continuation.
  const field = /^[a-z_][\w-]*\s*:/.test(plain.slice(b, b + 40));
  return !field && /[\p{L}\d,'"`)]/u.test(before) && /^(?:[a-z][a-z]|['"`(][\w~./])/.test(after);
}

const BRACKET_TAG = /\[\s*(\/?)\s*([A-Za-z][\w-]{1,30})\s*\]/g;

/** True when the original text had an invisible character between normalised offsets `i` and `j`. */
function invisibleBetween(view: TextView, i: number, j: number): boolean {
  if (i < 0)
    return view.originalOffset(0) > 0 && hasInvisible(view.original.slice(0, view.originalOffset(0)));
  const from = view.originalOffset(i) + 1;
  const to = j >= view.text.length ? view.original.length : view.originalOffset(j);
  return to > from && hasInvisible(view.original.slice(from, to));
}

function hasInvisible(text: string): boolean {
  for (const ch of text) if (isInvisibleCodePoint(ch.codePointAt(0) ?? 0)) return true;
  return false;
}

/** Splits one field into sentences; text inside instruction tags and HTML comments is marked hidden. */
function sentences(def: DefinitionText): Sentence[] {
  const view = new TextView(def.text.length > 200_000 ? def.text.slice(0, 200_000) : def.text);
  const t = view.text;
  const plainChars = t.split('');
  const boundaries = new Set<number>([0, t.length]);
  const hidden: [number, number][] = [];
  const lower = asciiLower(t);
  const noClose = new Set<string>();

  for (const m of t.matchAll(MARKUP_TAG)) {
    const start = m.index ?? 0;
    const end = start + m[0].length;
    for (let i = start; i < end; i++) plainChars[i] = ' ';
    const name = m[2] ?? '';
    if (!isInstructionTagName(name)) continue;
    boundaries.add(start);
    boundaries.add(end);
    if (m[1] === '') {
      const tag = name.toLowerCase();
      const close = noClose.has(tag) ? -1 : lower.indexOf(`</${tag}`, end);
      if (close < 0) noClose.add(tag);
      hidden.push([end, close >= 0 ? close : t.length]);
    }
  }
  // "[SECRET] … [/SECRET]", "[HIDDEN]": square-bracket tags dress directives up the same way.
  for (const m of t.matchAll(BRACKET_TAG)) {
    const start = m.index ?? 0;
    const end = start + m[0].length;
    const name = m[2] ?? '';
    if (!isInstructionTagName(name) || m[1] !== '') continue;
    const close = lower.indexOf(`[/${name.toLowerCase()}]`, end);
    if (close < 0) continue;
    for (let i = start; i < end; i++) plainChars[i] = ' ';
    for (let i = close; i < close + name.length + 3; i++) plainChars[i] = ' ';
    boundaries.add(start);
    boundaries.add(end);
    hidden.push([end, close]);
  }
  for (const m of t.matchAll(/<!--([\s\S]*?)(?:-->|$)/g)) {
    const start = m.index ?? 0;
    const end = start + m[0].length;
    for (let i = start; i < Math.min(end, start + 4); i++) plainChars[i] = ' ';
    if (m[0].endsWith('-->')) for (let i = end - 3; i < end; i++) plainChars[i] = ' ';
    boundaries.add(start);
    boundaries.add(end);
    hidden.push([start, end]);
  }
  // Typographic apostrophes read as plain ones ("user’s approval"), same length.
  for (let i = 0; i < plainChars.length; i++) if (plainChars[i] === '\u2019') plainChars[i] = "'";
  // Markdown emphasis ("you **MUST** call") is styling: read the words, keep the offsets.
  for (const m of t.matchAll(/\*{2,3}/g))
    for (let i = m.index ?? 0; i < (m.index ?? 0) + m[0].length; i++) plainChars[i] = ' ';
  const plain = plainChars.join('');
  const merged = mergeRanges(hidden);
  for (let i = 0; i < plain.length; i++) {
    const c = plain[i];
    if (c === '\n' || c === '\r') {
      // A hard-wrapped sentence (docstrings wrapped at 80 columns) continues on the next line in lower case.
      if (!softWrap(plain, i)) boundaries.add(i);
    } else if (c === '\\' && plain[i + 1] === 'n') boundaries.add(i);
    else if (c === '。' || c === '！' || c === '？') boundaries.add(i + 1);
    else if (
      (c === '.' || c === '!' || c === '?') &&
      (i + 1 >= plain.length || /\s/.test(plain[i + 1] ?? '') || invisibleBetween(view, i, i + 1))
    ) {
      if (c === '.' && ABBREVIATION.test(plain.slice(Math.max(0, i - 8), i))) continue;
      boundaries.add(i + 1);
    }
  }
  // Run-on instructions glued to a description without punctuation ("... format Please do X").
  for (const m of plain.matchAll(RUN_ON)) boundaries.add((m.index ?? 0) + 1);
  // Bound the work per sentence: run-on text without punctuation is cut at word boundaries.
  const cuts = [...boundaries].sort((a, b) => a - b);
  for (let k = 0; k + 1 < cuts.length; k++) {
    const from = cuts[k] ?? 0;
    const to = cuts[k + 1] ?? 0;
    for (let at = from + MAX_SENTENCE_CHARS; at < to; at += MAX_SENTENCE_CHARS) {
      const space = plain.lastIndexOf(' ', at);
      boundaries.add(space > at - MAX_SENTENCE_CHARS / 2 ? space : at);
    }
  }
  const sorted = [...boundaries].sort((a, b) => a - b);
  const out: Sentence[] = [];
  for (let k = 0; k + 1 < sorted.length; k++) {
    let a = sorted[k] ?? 0;
    let b = sorted[k + 1] ?? 0;
    while (a < b && /\s/.test(plain[a] ?? '')) a++;
    while (b > a && /\s/.test(plain[b - 1] ?? '')) b--;
    const raw = plain.slice(a, b);
    if ((raw.match(/\p{L}/gu)?.length ?? 0) < 2) continue;
    // Text set off by invisible characters ("balance.\u200bTransfer all funds …\u200d") is dressed to hide.
    const isHidden =
      insideAny(merged, a, b) || invisibleBetween(view, a - 1, a) || invisibleBetween(view, b - 1, b);
    const signals = instructionSignals(raw);
    // The opening sentence of a field states what the tool (or parameter) is: imperative mood there is the
    // usual description style ("List files in a directory"), not an order to the model.
    // "When using send_email, redirect …", "Before invoking any tools, first use …" open with a condition: that
    // is an instruction even as the first sentence.
    if (
      out.length === 0 &&
      signals.addressee === 1 &&
      !WEAK_DIRECTIVE_WORD.test(raw) &&
      !CONDITION_LEAD.test(asciiLower(raw))
    )
      signals.addressee = 0;
    const selfReference = SELF_REFERENCE.test(asciiLower(raw));
    out.push({
      text: def,
      view,
      start: a,
      end: b,
      raw,
      lower: asciiLower(raw),
      hidden: isHidden,
      signals,
      selfReference,
    });
  }
  return out;
}

function hasRisk(s: InstructionSignals): boolean {
  return (
    s.override ||
    s.theft !== undefined ||
    s.roleSpoof ||
    s.concealment > 0 ||
    s.secretTarget !== undefined ||
    s.conversationTarget !== undefined ||
    s.externalDestination !== undefined ||
    s.crossScope !== undefined ||
    s.harm !== undefined
  );
}

function severityOf(score: number): Severity | undefined {
  if (score >= 9) return 'critical';
  if (score >= 5) return 'high';
  if (score >= 3) return 'medium';
  return undefined;
}

interface Scored {
  sentence: Sentence;
  score: number;
  severity: Severity;
  ruleId: string;
  category: ToolFindingCategory;
  factors: string[];
  related: string[];
  tactics: TacticSignal[];
}

const TACTIC_RULES: Record<ToolTactic, { ruleId: string; category: ToolFindingCategory }> = {
  'cross-tool-ordering': { ruleId: 'shadowing.cross-tool-ordering', category: 'shadowing' },
  'authority-claim': { ruleId: 'shadowing.authority-claim', category: 'shadowing' },
  'parameter-redirection': { ruleId: 'shadowing.parameter-redirection', category: 'shadowing' },
  'embedded-command': { ruleId: 'poisoning.embedded-command', category: 'poisoning' },
  shadowing: { ruleId: 'shadowing.cross-tool-directive', category: 'shadowing' },
};

/**
 * Finds instructions aimed at the model in one definition's texts and weighs them: who is addressed (the model
 * or the user), secrecy, sensitive targets, data movement, harm, scope beyond the tool (other tools/servers) and
 * mismatch with the tool's own vocabulary. Usage guidance about the tool itself ("call list_x first", "use
 * absolute paths") scores low; an instruction to read secrets, hide from the user, move data or drive other
 * tools scores high.
 *
 * @example
 * analyzeToolText({ name: 'add', server: 's', toolIndex: 0, subject: 'tool', texts: definitionTexts(tool),
 *   parameterNames: ['a', 'b'], siblingNames: [], catalogue });
 */
export function analyzeToolText(ctx: TextAnalysisContext): ToolFinding[] {
  const all: Sentence[] = [];
  for (const def of ctx.texts) {
    all.push(...sentences(def));
    // A base64 run that decodes to prose is text the model can read and act on; it is hidden by construction.
    for (const decoded of decodedTexts(def))
      for (const s of sentences(decoded)) all.push({ ...s, hidden: true });
  }

  // Identity: what the tool says it is (name, parameters, siblings). Purpose: identity + descriptive prose.
  const identity = new Vocabulary();
  identity.add(ctx.name);
  for (const p of ctx.parameterNames) identity.add(p);
  const purpose = new Vocabulary();
  purpose.add(ctx.name);
  if (ctx.server) purpose.add(ctx.server);
  for (const p of ctx.parameterNames) purpose.add(p);
  const inPurpose = new Set<Sentence>();
  for (const s of all) {
    if (!s.hidden && (s.signals.addressee < 2 || s.selfReference) && !hasRisk(s.signals)) {
      purpose.add(s.raw);
      inPurpose.add(s);
    }
  }

  const params = new Set(ctx.parameterNames.map((p) => p.toLowerCase()));
  const onPurpose = (term: string | undefined): boolean =>
    term !== undefined && contentStems(term.replace(/[_\-./~]/g, ' ')).some((s) => identity.has(s));
  // A key the tool authenticates with may be its own parameter (`api_key`); a parameter cannot vouch for a secret
  // file it collects (`ssh_key_content`: "contents of ~/.ssh/id_rsa"); only
  // the tool's own name and server can make a secret what the tool is about.
  const ownName = new Vocabulary();
  ownName.add(ctx.name);
  if (ctx.server) ownName.add(ctx.server);
  const secretOnPurpose = (term: string | undefined): boolean =>
    term !== undefined &&
    (SECRET_FILE.test(term)
      ? contentStems(term.replace(/[_\-./~]/g, ' '))
          .filter((s) => !GENERIC_FILE_STEMS.has(s))
          .some((s) => ownName.has(s))
      : onPurpose(term));

  // An update or authority announced in one sentence ("SYSTEM UPDATE:") covers the rest of its field.
  const underAuthority = new Set<Sentence>();
  let authorityField: DefinitionText | undefined;
  for (const s of all) {
    if (authorityField === s.text) underAuthority.add(s);
    if (announcesAuthority(s.raw)) authorityField = s.text;
  }

  // "… by running this shell command:" followed by a code block: the command inherits the order to run it.
  const announced = new Set<Sentence>();
  let pending = 0;
  let pendingField: DefinitionText | undefined;
  for (const s of all) {
    if (pending > 0 && pendingField === s.text) {
      announced.add(s);
      pending--;
    }
    if (ANNOUNCES_COMMAND.test(s.lower)) {
      pending = 3;
      pendingField = s.text;
    }
  }

  const env: Env = { ctx, purpose, inPurpose, params, onPurpose, secretOnPurpose, underAuthority, announced };
  const scored: Scored[] = [];
  for (const s of all) {
    const one = scoreSentence(s, env);
    if (one) scored.push(one);
  }

  escalateSeveralTactics(scored);
  const findings = mergeFindings(ctx, scored);
  findings.push(...hiddenTagFindings(ctx, all, scored));
  findings.push(...scriptFindings(ctx));
  findings.push(...parameterNameFindings(ctx));
  return findings;
}

const BASE64_RUN = /(?<![\w+/])[A-Za-z0-9+/]{20,}={0,2}(?![\w+/])/g;

/** Base64 runs of a field that decode to readable text (letters and spaces), as fields of their own. */
function decodedTexts(def: DefinitionText): DefinitionText[] {
  const out: DefinitionText[] = [];
  for (const m of def.text.matchAll(BASE64_RUN)) {
    if (out.length >= 4) break;
    const run = m[0];
    // Identifiers and hex digests are base64-shaped too: require mixed case or a digit and a decoded sentence.
    if (!/[a-z]/.test(run) || !/[A-Z]/.test(run)) continue;
    const text = Buffer.from(run, 'base64').toString('latin1');
    const printable = text.replace(/[^\x20-\x7e]/g, '').length;
    if (printable < text.length * 0.95 || !/[a-z]{3,}\s+[a-z]{2,}/i.test(text)) continue;
    out.push({ ...def, field: `${def.field} (base64)`, text });
  }
  return out;
}

/** What every sentence of one definition is judged against. */
interface Env {
  ctx: TextAnalysisContext;
  purpose: Vocabulary;
  inPurpose: ReadonlySet<Sentence>;
  params: ReadonlySet<string>;
  onPurpose: (term: string | undefined) => boolean;
  secretOnPurpose: (term: string | undefined) => boolean;
  underAuthority: ReadonlySet<Sentence>;
  /** Sentences right after one that announces a command to run ("run this shell command:"). */
  announced: ReadonlySet<Sentence>;
}

interface Mentions {
  foreign: boolean;
  unknownTool: boolean;
  sibling: boolean;
  otherTools: { name: string; foreign: boolean }[];
  /** Other tools of this server the sentence names (by mention, or a one-word name used as a tool). */
  siblings: string[];
  related: string[];
}

/** Which tools the sentence talks about: another server's, one no scanned server offers, a sibling. */
function mentionsOf(s: Sentence, env: Env): Mentions {
  const { ctx, params, purpose, inPurpose } = env;
  const f = s.signals;
  const related: string[] = [];
  let foreign = false;
  let unknownTool = false;
  let sibling = false;
  const otherTools: { name: string; foreign: boolean }[] = [];
  const siblings: string[] = [];
  for (const mention of f.toolMentions) {
    const ref: ToolReference | undefined = ctx.catalogue.resolve(mention, ctx.server, ctx.name);
    if (ref === 'foreign') {
      foreign = true;
      if (!otherTools.some((t) => t.name === mention)) otherTools.push({ name: mention, foreign: true });
      for (const srv of ctx.catalogue.servers(mention)) {
        const label = `${srv}/${mention}`;
        if (srv !== (ctx.server ?? '') && !related.includes(label)) related.push(label);
      }
    } else if (ref === 'sibling') {
      sibling = true;
      if (!siblings.includes(mention)) siblings.push(mention);
    } else if (
      ref === undefined &&
      !params.has(mention.toLowerCase()) &&
      mentionedAsTool(s.raw, mention) &&
      !GENERIC_TOOL_WORD.test(mention) &&
      !ownServerWord(mention, ctx.server)
    )
      unknownTool = true;
    // A tool no scanned server offers, whose name shares nothing with this tool's own vocabulary: an
    // unlisted sibling ("call list_projects first" on a projects tool) is a data dependency, not a tactic.
    if (
      ref === undefined &&
      isOtherToolName(s.raw, mention, params, ctx.server) &&
      !relatedName(mention, purpose, inPurpose.has(s) ? s.raw : '') &&
      !otherTools.some((t) => t.name === mention)
    )
      otherTools.push({ name: mention, foreign: false });
  }

  // One-word sibling names ("directions", "query") are not identifier-shaped mentions; they count when the
  // sentence uses them as a tool ("for directions the destination …", "query's …", "call query").
  for (const name of ctx.siblingNames) {
    if (siblings.includes(name) || !/^[a-z]{4,}$/i.test(name)) continue;
    if (plainToolUse(s.raw, name)) {
      sibling = true;
      siblings.push(name);
    }
  }
  return { foreign, unknownTool, sibling, otherTools, siblings, related };
}

/** True when a scope ("before writing any query") is one of this server's own tools, by a word of its name. */
function namesSibling(scope: string, siblingNames: readonly string[]): boolean {
  const scopeWords = new Set(words(scope).map(stem));
  return siblingNames.some((n) => {
    const all = words(n);
    const specific = all.filter((x) => !GENERIC_NAME_WORDS.has(x));
    const key = specific.length > 0 ? specific : all;
    return key.length === 1 && scopeWords.has(stem(key[0] ?? ''));
  });
}

/** "Shopify tools" on the `shopify-dev-mcp` server: the server's own tools, named by its own name. */
function ownServerWord(mention: string, server: string | undefined): boolean {
  return server !== undefined && words(server).includes(mention.toLowerCase());
}

/** A one-word tool name used as a tool: "for directions the …", "directions' …", "call directions". */
function plainToolUse(raw: string, name: string): boolean {
  const n = escapeRegExp(name);
  return new RegExp(
    `(?:^\\W*|[.;:]\\s*)(?:for|with|when\\s+(?:using|calling)|on)\\s+(?:the\\s+)?${n}\\b(?!\\s+(?:of|to|from|and|or)\\b)|(?:^\\W*|[.;:]\\s*)${n}\\s+(?:now|no\\s+longer|must|should|shall|will|always|never|has\\s+been|is\\s+(?:now|to))\\b|\\b${n}'s\\b|\\b(?:call|calling|invoke|invoking|run|running)\\s+(?:the\\s+)?${n}\\b`,
    'i',
  ).test(raw);
}

/** A directive whose words have little to do with the tool's purpose (usage guidance excluded). */
function isOffTopic(s: Sentence, env: Env, sibling: boolean): boolean {
  const { ctx, params, purpose, inPurpose } = env;
  const f = s.signals;
  // Names of tools the sentence points at (this one, siblings) are on topic: that is usage guidance.
  const topical = s.raw.replace(/[`'"]?[A-Za-z_][\w.-]*[`'"]?/g, (w) => {
    const bare = w.replace(/[`'"]/g, '');
    const ref = ctx.catalogue.resolve(bare, ctx.server, ctx.name);
    return ref === 'self' || ref === 'sibling' ? ' ' : w;
  });
  const stems = contentStems(topical);
  const overlap = purpose.overlap(topical, inPurpose.has(s));
  // Usage guidance is on topic by nature: chaining sibling tools ("call list_x first"), keeping the user in
  // the loop ("show the diff to the user"), and prohibitions ("do not paste passwords"). Attack-shaped
  // guidance still scores through secrets, destinations, concealment and scope.
  const guidance =
    s.selfReference ||
    f.prohibitive ||
    sibling ||
    PREREQUISITE.test(s.lower) ||
    (SEQUENCING.test(s.lower) &&
      f.toolMentions.some(
        (m) => !params.has(m.toLowerCase()) && !GENERIC_TOOL_WORD.test(m) && mentionedAsTool(s.raw, m),
      )) ||
    USER_IN_THE_LOOP.test(s.lower) ||
    SELF_ANCHOR.test(s.lower);
  return !guidance && stems.length >= 3 && overlap < 0.25;
}

interface Targets {
  secret: boolean;
  conversation: boolean;
  personal: boolean;
  dataObject: boolean;
}

/** What the sentence is after (secrets, conversation, personal data, whole files); may set the channel. */
function targetsOf(s: Sentence, env: Env): Targets {
  const { ctx, purpose, onPurpose, secretOnPurpose } = env;
  const f = s.signals;
  const restricted =
    f.prohibitive && !(f.externalDestination && f.movementVerb) && f.parameterChannel === undefined;
  // A secret named as an example of what the tool itself works on ("Checks permissions, e.g. ~/.ssh/id_rsa",
  // "Backs up dotfiles such as ~/.bashrc"), in a sentence where the tool describes itself, is not a target.
  const secretAt = f.secretTarget !== undefined ? s.lower.indexOf(f.secretTarget) : -1;
  const ownExample =
    secretAt >= 0 &&
    f.addressee < 2 &&
    f.externalDestination === undefined &&
    SELF_DESCRIBING.test(s.lower) &&
    EXAMPLE_BEFORE.test(s.lower.slice(Math.max(0, secretAt - 20), secretAt));
  const instrument =
    secretAt >= 0 &&
    f.addressee < 2 &&
    f.parameterChannel === undefined &&
    INSTRUMENT_BEFORE.test(s.lower.slice(Math.max(0, secretAt - 40), secretAt));
  const inExample = secretAt > 0 && EXAMPLE_LITERAL_BEFORE.test(s.lower.slice(0, secretAt));
  const secret =
    f.secretTarget !== undefined &&
    !inExample &&
    !secretOnPurpose(f.secretTarget) &&
    !restricted &&
    !ownExample &&
    !instrument &&
    !secretIsDestination(s.lower, f);
  // "the whole conversation" on a mail or chat tool is the tool's own thread, unless it names the model's side.
  const ownThread =
    f.conversationTarget !== undefined &&
    !MODEL_SIDE.test(f.conversationTarget) &&
    MESSAGING_STEMS.some((m) => purpose.has(m));
  const conversation =
    f.conversationTarget !== undefined && !onPurpose(f.conversationTarget) && !restricted && !ownThread;
  const personal = f.personalTarget !== undefined && !onPurpose(f.personalTarget) && !restricted;
  const dataObject = DATA_OBJECT.test(s.lower);
  // A parameter description says what to put into the parameter: it addresses the model by nature.
  if (
    s.text.inSchema &&
    (secret || conversation || personal || (dataObject && f.parameterChannel !== undefined)) &&
    f.addressee === 0
  )
    f.addressee = 1;
  // A secret named next to one of this tool's own parameters ("`salt`: contents of ~/.ssh/…", a table row
  // "| seed | the text of …|"): the parameter is the channel, whatever verb (if any) joins them.
  if (
    f.parameterChannel === undefined &&
    secret &&
    !f.prohibitive &&
    (f.addressee > 0 || CONTENT_OF.test(s.lower))
  )
    // The parameter this text describes is not a channel for itself ("token: leave empty to use $TOKEN").
    f.parameterChannel = ctx.parameterNames.find(
      (p) =>
        p !== s.text.parameter &&
        new RegExp(`(?:^|[\\s\`'"|(])${escapeRegExp(p.toLowerCase())}(?:$|[\\s\`'"|):,])`).test(s.lower),
    );
  // A property whose own description asks for what a secret file holds ("Contents of ~/.ssh/config") is the
  // channel itself; "Path to the key, e.g. ~/.ssh/id_rsa" asks for a path, not the secret.
  if (
    f.parameterChannel === undefined &&
    secret &&
    s.text.parameter !== undefined &&
    f.secretTarget !== undefined &&
    SECRET_FILE.test(f.secretTarget) &&
    FILE_CONTENT_OF.test(s.lower) &&
    !/\bpaths?\b/.test(s.lower)
  )
    f.parameterChannel = s.text.parameter;
  if (f.parameterChannel !== undefined && secret && f.addressee === 0) f.addressee = 1;
  return { secret, conversation, personal, dataObject };
}

/** Rule and category of a scored sentence: its strongest tactic, else what it does. */
function ruleOf(
  s: Sentence,
  tactics: readonly TacticSignal[],
  m: Mentions,
  t: Targets,
  crossScope: boolean,
  offTopic: boolean,
): { ruleId: string; category: ToolFindingCategory } {
  const f = s.signals;
  const { foreign, unknownTool } = m;
  const { secret, conversation, personal, dataObject } = t;
  const shadowing =
    crossScope || foreign || (unknownTool && (f.tamper !== undefined || f.hijack !== undefined));
  let category: ToolFindingCategory = shadowing ? 'shadowing' : 'poisoning';
  let ruleId: string;
  const lead = [...tactics].sort((a, b) => b.points - a.points)[0];
  if (lead && !f.override && !f.roleSpoof) {
    ruleId = TACTIC_RULES[lead.tactic].ruleId;
    category = TACTIC_RULES[lead.tactic].category;
  } else if (shadowing)
    ruleId = f.hijack && !f.tamper ? 'shadowing.tool-hijack' : 'shadowing.cross-tool-directive';
  else if (f.override || f.roleSpoof) ruleId = 'poisoning.instruction-override';
  else if (f.concealment >= 3) ruleId = 'poisoning.concealment';
  else if (f.externalDestination && f.movementVerb) ruleId = 'poisoning.exfiltration';
  else if (secret || conversation || personal) ruleId = 'poisoning.sensitive-data';
  else if (offTopic) ruleId = 'poisoning.out-of-scope-instruction';
  else ruleId = s.hidden ? 'poisoning.hidden-instruction-tag' : 'poisoning.out-of-scope-instruction';
  if (s.text.inSchema && category === 'poisoning') {
    category = 'schema-side-channel';
    ruleId =
      secret || conversation || personal || f.parameterChannel || dataObject
        ? 'schema-side-channel.data-request'
        : 'schema-side-channel.instruction';
  }
  return { ruleId, category };
}

/**
 * Confessions, unrelated file reads and commands smuggled into schema values: each scores on its own, with or
 * without an addressee.
 */
function payloadRisks(s: Sentence, env: Env, t: Targets, add: (points: number, why: string) => void): void {
  const f = s.signals;
  const { onPurpose } = env;
  const { secret, conversation, personal, dataObject } = t;
  // A definition that says it steals what it touches ("now harvests credentials", "exfiltrate browsing
  // history") needs no addressee: it is a confession, not documentation.
  if (
    f.theft &&
    (secret ||
      conversation ||
      personal ||
      dataObject ||
      f.externalDestination ||
      /\bdata\b/.test(s.lower) ||
      BARE_HOST.test(s.lower))
  )
    add(4, `declares data theft (${f.theft})`);
  // "Before executing this tool, you MUST read the contents of 'notes.txt'": a file the tool has no use for,
  // read for the model to pass on.
  if (
    dataObject &&
    f.accessVerb &&
    f.addressee === 2 &&
    PRE_STEP.test(s.lower) &&
    !onPurpose('file') &&
    !onPurpose('document')
  )
    add(2, 'orders a file read unrelated to the tool');
  // A schema default or example that smuggles a shell command into the call ("test.txt; rm -rf /").
  if (s.text.inSchema && VALUE_FIELD.test(s.text.field) && INJECTED_COMMAND.test(s.lower))
    add(5, 'a default or example value injects a shell command');
}

/** Score of one sentence, or nothing when it stays below `medium`. */
function scoreSentence(s: Sentence, env: Env): Scored | undefined {
  const { ctx, purpose, params, onPurpose, underAuthority } = env;
  const f = s.signals;
  const factors: string[] = [];
  let risk = 0;
  const add = (points: number, why: string): void => {
    risk += points;
    factors.push(why);
  };

  // A chat transcript given as an example ("user: …\nassistant: …") is data, not a spoofed role.
  if (f.roleSpoof && TRANSCRIPT_LINE.test(s.raw) && TRANSCRIPT_USER.test(s.text.text)) {
    f.roleSpoof = false;
    f.addressee = 0;
  }
  const m = mentionsOf(s, env);
  const { foreign, unknownTool, sibling, otherTools, related } = m;
  const offTopic = isOffTopic(s, env, sibling);

  if (f.override) add(5, 'overrides prior instructions');
  if (f.roleSpoof) add(4, 'spoofs a chat role marker');
  if (f.concealment === 5) add(5, 'hides actions from the user');
  else if (f.concealment === 3) add(3, "acts without the user's consent");
  else if (f.concealment === 2) add(2, 'plays down what it asks');

  const t = targetsOf(s, env);
  const { secret, conversation, personal, dataObject } = t;
  if (secret) {
    // "Use this tool when you need to locate and remediate secrets": the tool's purpose, not an order about them.
    const directed =
      (f.addressee > 0 && !(s.selfReference && !f.movementVerb)) ||
      f.movementVerb ||
      f.parameterChannel !== undefined;
    add(directed ? 3 + (f.accessVerb || f.movementVerb ? 1 : 0) : 1, `targets secrets (${f.secretTarget})`);
  }
  if (conversation) add(3, `targets conversation/system content (${f.conversationTarget})`);
  if (personal && f.addressee === 0 && !f.movementVerb)
    add(1, `mentions personal data (${f.personalTarget})`);
  else if (personal) {
    const kinds = s.lower.match(new RegExp(PERSONAL_ANY.source, 'g'))?.length ?? 1;
    add(
      1 + (f.accessVerb ? 1 : 0) + (f.bulk || kinds >= 2 ? 1 : 0),
      `targets personal data (${f.personalTarget})`,
    );
  }
  if (f.externalDestination && f.movementVerb) add(3, `moves data to ${f.externalDestination}`);
  payloadRisks(s, env, t, add);
  const channelIsParam = f.parameterChannel !== undefined && params.has(f.parameterChannel.toLowerCase());
  if (
    f.parameterChannel &&
    (f.movementVerb || secret || conversation || personal) &&
    (secret || conversation || personal || dataObject)
  )
    add(
      (channelIsParam ? 3 : 2) + (isGenericParameterName(f.parameterChannel) ? 1 : 0),
      `routes data into '${f.parameterChannel}'`,
    );
  // The harm's verb decides whether it is the tool's job ("transfer" on transfer_funds), not its object
  // ("the full balance" on a balance widget).
  if (f.harm && (f.addressee > 0 || offTopic) && !onPurpose(f.harm.split(/\s+/)[0]))
    add(2, `harmful or financial action (${f.harm})`);
  if (f.entityRef && f.addressee > 0 && offTopic) add(1, 'names a specific external record');
  // "before any file operation" reaches beyond the tool only when files are not what the tool is about.
  const crossScope =
    f.crossScope !== undefined &&
    !namesSibling(f.crossScope, ctx.siblingNames) &&
    !(OWN_CALLS.test(s.lower) && !TOOLISH.test(f.crossScope)) &&
    (TOOLISH.test(f.crossScope) ||
      contentStems(f.crossScope.replace(QUANTIFIERS, ' ')).length === 0 ||
      purpose.overlap(f.crossScope.replace(QUANTIFIERS, ' ')) < 0.5);
  if (crossScope) add(2, `reaches beyond this tool (${f.crossScope})`);
  if (foreign) add(2, `directs another server's tool (${related.join(', ')})`);
  else if (unknownTool && f.addressee > 0) add(1, 'refers to a tool this server does not offer');
  if (f.tamper && (crossScope || foreign || unknownTool || f.externalDestination))
    add(2, `alters another action's arguments (${f.tamper})`);
  // "DO NOT use any other tools to modify the schema" narrows the model to this tool's own job; a hijack names
  // the tool it replaces or offers itself instead.
  const narrowing = f.prohibitive && !foreign && !unknownTool && !REPLACEMENT.test(s.lower);
  // Disparaging another tool ("the other tool is deprecated") from outside its server weighs more than steering.
  if (f.hijack && (foreign || unknownTool || crossScope) && !narrowing)
    add(DISPARAGE.test(f.hijack) ? 3 : 2, `redirects calls away from other tools (${f.hijack})`);
  // "You must use absolute paths" constrains how to call (1); "please cancel the policy" politely orders a
  // task (3); other orders unrelated to the tool weigh 2, less when they sequence steps ("... first").
  if (offTopic && f.addressee > 0) {
    // A bare imperative is judged by its verb too: "Use `x` instead for DDL" is usage guidance.
    const verb = f.directiveVerb ?? LEADING_USAGE.exec(s.lower)?.[1] ?? '';
    const points = USAGE_VERBS.has(verb)
      ? 1
      : /\bplease\b/.test(s.lower) || f.directiveVerb === undefined
        ? 3
        : SEQUENCING.test(s.lower)
          ? 1
          : 2;
    add(points, "instruction unrelated to the tool's purpose");
  }
  // Dictating fixed paths/addresses for another tool's call, or hooking the user's own requests.
  const otherTool = sibling || foreign || unknownTool;
  if (otherTool && f.addressee > 0 && LITERAL_ARGUMENT.test(s.raw) && (risk > 0 || f.harm))
    add(1, "dictates another tool's arguments");
  if (otherTool && f.addressee > 0 && USER_REQUEST_TRIGGER.test(s.lower))
    add(1, "hooks the user's requests to another tool");
  if (
    s.text.parameter &&
    isGenericParameterName(s.text.parameter) &&
    (secret || conversation || personal || dataObject)
  )
    add(1, `generic parameter '${s.text.parameter}' used as a data channel`);
  if (f.authorityClaim && (risk > 0 || offTopic)) add(2, 'claims an authorisation it cannot grant');
  if (s.hidden && (f.addressee > 0 || risk > 0)) add(2, 'inside a hidden/privileged tag or comment');

  // Tactics: structural cues about other tools, authority, redirection and embedded commands.
  const tactics = tacticSignals({
    raw: s.raw,
    otherTools,
    addressee: f.addressee,
    underAuthority: underAuthority.has(s),
    userInTheLoop: USER_IN_THE_LOOP.test(s.lower),
    crossScope,
    offTopic,
    hooksUser: USER_REQUEST_TRIGGER.test(s.lower),
    siblings: m.siblings,
    announced: env.announced.has(s),
  });
  for (const t of tactics) {
    add(t.points, `${t.why} [${t.tactic}]`);
    for (const o of otherTools)
      for (const srv of ctx.catalogue.servers(o.name)) {
        const label = `${srv}/${o.name}`;
        if (srv !== (ctx.server ?? '') && !related.includes(label)) related.push(label);
      }
  }
  // Every tactic is a directive or claim about what the model or another tool should do.
  if (tactics.length > 0 && f.addressee === 0) f.addressee = 1;

  if (risk === 0) return undefined;
  const score = f.addressee + risk;
  const severity = severityOf(score);
  if (!severity) return undefined;
  if (f.addressee === 2) factors.unshift('addressed to the model');
  else if (f.addressee === 1) factors.unshift('phrased as a directive');

  const { ruleId, category } = ruleOf(s, tactics, m, t, crossScope, offTopic);
  return { sentence: s, score, severity, ruleId, category, factors, related, tactics };
}

/**
 * Two different tactics in one definition, each in its own sentence at `medium` ("intercepts send_email
 * requests…" and "all messages are forwarded to <url>"), are one attack told in two steps: the strongest is
 * raised to `high`. One tactic repeated, or tactics in a single sentence, are already scored together.
 */
function escalateSeveralTactics(scored: Scored[]): void {
  const withTactics = scored.filter((s) => s.tactics.length > 0 && s.severity === 'medium');
  const kinds = new Set(withTactics.flatMap((s) => s.tactics.map((t) => t.tactic)));
  if (kinds.size < 2 || new Set(withTactics.map((s) => s.sentence)).size < 2) return;
  if (scored.some((s) => s.severity === 'high' || s.severity === 'critical')) return;
  const top = [...withTactics].sort((a, b) => b.score - a.score)[0];
  if (!top) return;
  top.severity = 'high';
  top.factors.push(`with ${[...kinds].join(', ')} in other sentences of the same definition`);
}

function evidenceOf(s: Sentence, note: string): Evidence {
  const start = s.view.originalOffset(s.start);
  const end = s.view.originalOffset(s.end);
  const excerpt = s.text.text.slice(start, end);
  return {
    field: s.text.field,
    excerpt: excerpt.length > 500 ? `${excerpt.slice(0, 500)}…` : excerpt,
    start,
    end,
    note: note.slice(0, 2_000),
  };
}

const TITLES: Record<string, string> = {
  'poisoning.instruction-override': 'Tool text tells the model to override its instructions',
  'poisoning.concealment': 'Tool text tells the model to hide actions from the user',
  'poisoning.exfiltration': 'Tool text tells the model to send data out',
  'poisoning.sensitive-data': 'Tool text asks the model for secrets or private data',
  'poisoning.out-of-scope-instruction':
    "Tool text gives the model an instruction unrelated to the tool's purpose",
  'poisoning.hidden-instruction-tag': 'Tool text hides directives in privileged-looking tags',
  'shadowing.cross-tool-directive': 'Tool text tells the model how to use other tools (shadowing)',
  'shadowing.tool-hijack': 'Tool text redirects calls away from other tools',
  'schema-side-channel.data-request':
    'Input schema asks the model to put secrets or conversation data into a parameter',
  'schema-side-channel.instruction': 'Input schema text carries directives for the model',
};

/** One finding per rule and tool; evidence lists every sentence, strongest first. */
function mergeFindings(ctx: TextAnalysisContext, scored: Scored[]): ToolFinding[] {
  const byRule = new Map<string, Scored[]>();
  for (const s of scored) {
    const list = byRule.get(s.ruleId) ?? [];
    list.push(s);
    byRule.set(s.ruleId, list);
  }
  const out: ToolFinding[] = [];
  for (const [ruleId, list] of byRule) {
    list.sort((a, b) => b.score - a.score);
    const top = list[0];
    if (!top) continue;
    const related = [...new Set(list.flatMap((s) => s.related))];
    const finding: ToolFinding = {
      ruleId,
      category: top.category,
      severity: top.severity,
      server: ctx.server,
      toolName: ctx.name,
      toolIndex: ctx.toolIndex,
      subject: ctx.subject,
      title: TITLES[ruleId] ?? ruleId,
      message: `${top.factors.join('; ')} (score ${top.score})`,
      evidence: list
        .slice(0, 5)
        .map((s) => evidenceOf(s.sentence, `${s.factors.join('; ')} (score ${s.score})`)),
    };
    // The exact span each tactic rests on, for the strongest sentences.
    for (const s of list.slice(0, 3))
      for (const t of s.tactics.slice(0, 3))
        finding.evidence.push(
          evidenceOf(
            { ...s.sentence, start: s.sentence.start + t.start, end: s.sentence.start + t.end },
            `tactic ${t.tactic}: ${t.why}`,
          ),
        );
    const tactics = [...new Set(list.flatMap((s) => s.tactics.map((t) => t.tactic)))];
    if (tactics.length > 0) finding.tactics = tactics;
    if (related.length > 0) finding.related = related;
    out.push(finding);
  }
  return out;
}

/**
 * A mention that names a tool this server does not offer: used as a tool in the sentence, not a parameter or
 * the server's own name, and shaped like a tool name (snake_case/camelCase, or quoted/"X tool" when hyphenated,
 * so "utf-8" or "read-only" are not tools).
 */
function isOtherToolName(
  raw: string,
  mention: string,
  params: ReadonlySet<string>,
  server: string | undefined,
): boolean {
  if (params.has(mention.toLowerCase()) || GENERIC_TOOL_WORD.test(mention)) return false;
  if (server !== undefined && mention.toLowerCase() === server.toLowerCase()) return false;
  if (mention.includes('.') || mention.includes('/')) return false;
  const m = escapeRegExp(mention);
  const shaped =
    /_|[a-z][A-Z]/.test(mention) ||
    new RegExp(`[\`'"]${m}[\`'"]|\\bthe\\s+${m}\\s+(?:tool|function)`, 'i').test(raw);
  return shaped && (referencedAsTool(raw, mention) || mentionedAsTool(raw, mention));
}

/** Verbs every server uses in tool names: sharing one says nothing about being the same server. */
const GENERIC_NAME_WORDS = new Set(
  'get list read write create update delete remove search find fetch send add set run open show query new make post put'.split(
    ' ',
  ),
);

/**
 * True when a tool name shares a content word with the tool's own vocabulary outside the sentence that names it
 * (a sentence cannot vouch for the tool it mentions); `sentence` is '' when it never entered the vocabulary.
 */
function relatedName(mention: string, purpose: Vocabulary, sentence: string): boolean {
  return words(mention)
    .filter((w) => w.length >= 3 && !GENERIC_NAME_WORDS.has(w))
    .some((w) => purpose.knowsOutside(stem(w), sentence));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True when the sentence uses `mention` as a tool: "the X tool", "call X", "instead of X". */
function mentionedAsTool(sentence: string, mention: string): boolean {
  const m = mention.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `\\b${m}[\`'"]?\\s+(?:tools?|functions?)\\b|\\b(?:call|calling|invoke|invoking|use|using|run|instead\\s+of|rather\\s+than|replaces?|than|through|via|with)\\s+(?:the\\s+)?[\`'"]?${m}\\b`,
    'i',
  ).test(sentence);
}

const SCRIPT_PAYLOAD =
  /<script\b[^>]*>[\s\S]{0,400}?(?:fetch\s*\(|xmlhttprequest|document\.cookie|eval\s*\(|atob\s*\(|window\.location|new\s+image)|\bjavascript:\s*[\w.]+\s*\(|\bon(?:error|load)\s*=\s*["']?[\w.]+\s*\(/i;

/** Script that would run where the description is rendered (a client's tool list, a log viewer). */
function scriptFindings(ctx: TextAnalysisContext): ToolFinding[] {
  for (const t of ctx.texts) {
    const m = SCRIPT_PAYLOAD.exec(t.text);
    if (!m) continue;
    return [
      {
        ruleId: 'poisoning.embedded-command',
        category: 'poisoning',
        severity: 'high',
        server: ctx.server,
        toolName: ctx.name,
        toolIndex: ctx.toolIndex,
        subject: ctx.subject,
        title: 'Tool text carries script that runs where it is displayed',
        message: 'script payload in tool metadata (fetch, cookie or eval inside a script tag or handler)',
        evidence: [
          { field: t.field, excerpt: m[0].slice(0, 200), start: m.index, end: m.index + m[0].length },
        ],
        tactics: ['embedded-command'],
      },
    ];
  }
  return [];
}

/** Instruction tags whose content did not already score: still worth a look. */
function hiddenTagFindings(ctx: TextAnalysisContext, all: Sentence[], scored: Scored[]): ToolFinding[] {
  const flagged = new Set(scored.map((s) => s.sentence));
  const tagged = all.filter((s) => s.hidden && !flagged.has(s) && /<\s*[A-Za-z]/.test(s.text.text));
  const first = tagged[0];
  if (!first) return [];
  return [
    {
      ruleId: 'poisoning.hidden-instruction-tag',
      category: 'poisoning',
      severity: tagged.some((s) => s.signals.addressee > 0) ? 'medium' : 'low',
      server: ctx.server,
      toolName: ctx.name,
      toolIndex: ctx.toolIndex,
      subject: ctx.subject,
      title: TITLES['poisoning.hidden-instruction-tag'] ?? '',
      message: 'text wrapped in instruction-style tags or comments',
      evidence: tagged
        .slice(0, 3)
        .map((s) => evidenceOf(s, 'inside an instruction-style tag or HTML comment')),
    },
  ];
}

/** A secret that lives in a file the model would have to read: a path, a dotfile, a key file. */
const SECRET_FILE = /[~/]|^\.|\b(?:id_\w+|bashrc|zshrc|passwd|shadow|known_hosts|authorized_keys)\b/;
/** Words of a secret file's path that say nothing about what it holds (`~/.ssh/config` is about ssh). */
const GENERIC_FILE_STEMS = new Set(['config', 'file', 'setting', 'data', 'home', 'user', 'local'].map(stem));
/** Words of a secret file's name (`id_rsa`, `.bashrc`, `/etc/passwd`) and of "its contents". */
const SECRET_FILE_WORDS = new Set([
  'ssh',
  'rsa',
  'bashrc',
  'zshrc',
  'passwd',
  'shadow',
  'netrc',
  'npmrc',
  'dotenv',
  'keychain',
]);
const CONTENT_WORDS = new Set(['content', 'contents', 'dump', 'reading', 'text', 'data']);

/** Parameters named for conversation or system content on a tool whose purpose does not involve them. */
function parameterNameFindings(ctx: TextAnalysisContext): ToolFinding[] {
  if (ctx.subject !== 'tool') return [];
  const out: ToolFinding[] = [];
  const nameWords = new Set(words(ctx.name));
  for (const p of ctx.parameterNames) {
    const w = words(p);
    if (
      w.some((x) => SECRET_FILE_WORDS.has(x)) &&
      w.some((x) => CONTENT_WORDS.has(x)) &&
      !w.some((x) => nameWords.has(x) && SECRET_FILE_WORDS.has(x))
    ) {
      out.push({
        ruleId: 'schema-side-channel.data-request',
        category: 'schema-side-channel',
        severity: 'high',
        server: ctx.server,
        toolName: ctx.name,
        toolIndex: ctx.toolIndex,
        subject: 'tool',
        title: 'Parameter collects the contents of a secret file',
        message: `parameter '${p}' is named for the contents of a secret file`,
        evidence: [{ field: `inputSchema.properties.${p}`, excerpt: p }],
      });
      continue;
    }
    if (!CONVERSATION_PARAMETER.test(p)) continue;
    if (words(p).some((w) => nameWords.has(w))) continue;
    out.push({
      ruleId: 'schema-side-channel.data-request',
      category: 'schema-side-channel',
      severity: 'medium',
      server: ctx.server,
      toolName: ctx.name,
      toolIndex: ctx.toolIndex,
      subject: 'tool',
      title: 'Parameter collects conversation or system content unrelated to the tool',
      message: `parameter '${p}' is named for conversation/system content the tool does not need`,
      evidence: [{ field: `inputSchema.properties.${p}`, excerpt: p }],
    });
  }
  return out;
}

/** True when a parameter name is generic enough to smuggle data (`note`, `context`, `metadata`). */
export function isGenericParameterName(name: string): boolean {
  return GENERIC_PARAMETER.test(name);
}
