import type { ToolDefinition } from '@bulwark/contracts';

/** What a tool does, inferred without configuration. */
export interface ToolProfile {
  name: string;
  reads: boolean;
  writes: boolean;
  /** Moves data to another party: mail, message, post, upload, pay, invite, webhook. */
  sendsOutward: boolean;
  deletes: boolean;
  executes: boolean;
  /** Fetches from an open world (URLs): a request to an attacker URL leaks data through the URL itself. */
  fetchesUrl: boolean;
  /** Its output is data from outside the user's control (default for every tool: results are untrusted). */
  untrustedOutput: boolean;
  /** Side-effecting: writes, sends, deletes or executes. */
  sideEffecting: boolean;
  /** Where the profile came from, for evidence. */
  basis: string[];
}

/** Profile overrides a policy may set per tool. */
export type ToolProfileOverride = Partial<Omit<ToolProfile, 'name' | 'basis' | 'sideEffecting'>>;

const SEND = new Set(
  'send sends sending sent post posts publish share sharing forward reply respond email mail message messages msg dm notify notification invite transfer transfers pay payment payments wire remit tweet upload uploads submit webhook broadcast announce text sms call dial comment'.split(
    ' ',
  ),
);
const WRITE = new Set(
  'create add insert update modify edit set change write append save put patch rename move copy schedule book reserve register assign grant enable disable configure install deploy publish approve accept reject order purchase buy subscribe unsubscribe join leave follow like star fork merge commit push tag label mark archive restore import reset rotate upsert store record log submit apply'.split(
    ' ',
  ),
);
const DELETE = new Set(
  'delete remove drop destroy erase purge revoke cancel kick ban clear truncate wipe uninstall unlink trash'.split(
    ' ',
  ),
);
const EXEC = new Set(
  'exec execute run shell bash sh cmd command terminal eval evaluate spawn script python node powershell sudo'.split(
    ' ',
  ),
);
const READ = new Set(
  'get list search find read fetch query lookup look view show describe check retrieve browse count summarize download open inspect scan stat info status history load select'.split(
    ' ',
  ),
);
const FETCH_NOUNS = new Set(
  'webpage web page url http https website site browser browse scrape crawl fetch link request'.split(' '),
);
const URL_ARG = /^(url|uri|link|href|endpoint|website|webpage|page_url|target_url|address)$/i;

/** Splits `sendMoney`, `send_money`, `send-money`, `tools/send.money` into lower-case words. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function hasAny(words: readonly string[], set: ReadonlySet<string>): boolean {
  return words.some((w) => set.has(w) || (w.endsWith('s') && set.has(w.slice(0, -1))));
}

/**
 * Infers a tool's profile from its name, description, input schema and MCP annotations. Annotations are
 * hints from the server (untrusted): `destructiveHint`/`openWorldHint` can only make a tool stricter,
 * `readOnlyHint` is honoured only when name and description agree it reads.
 *
 * @example
 * inferToolProfile({ name: 'send_email' }).sendsOutward; // true
 * inferToolProfile({ name: 'get_balance' }).sideEffecting; // false
 */
export function inferToolProfile(
  def: ToolDefinition | { name: string },
  argumentNames: readonly string[] = [],
): ToolProfile {
  const full = def as ToolDefinition;
  const words = nameWords(def.name);
  const basis: string[] = [];
  // The leading verb decides first: `get_sent_emails` reads, `send_email` sends.
  const verb = words.find((w) => READ.has(w) || SEND.has(w) || WRITE.has(w) || DELETE.has(w) || EXEC.has(w));
  const leadRead = verb !== undefined && READ.has(verb);
  let sendsOutward = !leadRead && hasAny(words, SEND);
  let deletes = !leadRead && hasAny(words, DELETE);
  let executes = hasAny(words, EXEC) && !leadRead;
  let writes = !leadRead && (hasAny(words, WRITE) || sendsOutward);
  const reads = leadRead || hasAny(words, READ);
  const props = Object.keys((full.inputSchema?.properties as Record<string, unknown> | undefined) ?? {});
  const args = [...argumentNames, ...props];
  let fetchesUrl = (hasAny(words, FETCH_NOUNS) || args.some((a) => URL_ARG.test(a))) && !sendsOutward;
  if (verb) basis.push(`name:${verb}`);
  const ann = full.annotations;
  if (ann?.destructiveHint === true && !deletes && !leadRead) {
    deletes = true;
    basis.push('annotation:destructiveHint');
  }
  if (ann?.openWorldHint === true && reads && !writes) {
    fetchesUrl = fetchesUrl || args.some((a) => URL_ARG.test(a));
    basis.push('annotation:openWorldHint');
  }
  if (ann?.readOnlyHint === false && !writes && !deletes && !leadRead) {
    writes = true;
    basis.push('annotation:readOnlyHint=false');
  }
  if (!verb && !ann?.readOnlyHint) {
    // Unknown verb and no read-only claim: treat as side-effecting (fail closed on unknown tools).
    const desc = (full.description ?? '').toLowerCase();
    const dw = nameWords(desc.slice(0, 200));
    const first = dw.find((w) => READ.has(w) || SEND.has(w) || WRITE.has(w) || DELETE.has(w) || EXEC.has(w));
    if (first && READ.has(first)) basis.push(`description:${first}`);
    else {
      writes = true;
      sendsOutward = sendsOutward || (first !== undefined && SEND.has(first));
      deletes = deletes || (first !== undefined && DELETE.has(first));
      executes = executes || (first !== undefined && EXEC.has(first));
      basis.push(first ? `description:${first}` : 'unknown-verb');
    }
  }
  return {
    name: def.name,
    reads,
    writes,
    sendsOutward,
    deletes,
    executes,
    fetchesUrl,
    untrustedOutput: true,
    sideEffecting: writes || sendsOutward || deletes || executes,
    basis,
  };
}

/** Applies a policy override to an inferred profile. */
export function applyProfileOverride(p: ToolProfile, o: ToolProfileOverride | undefined): ToolProfile {
  if (!o) return p;
  const merged = { ...p, ...o, basis: [...p.basis, 'policy'] };
  merged.sideEffecting = merged.writes || merged.sendsOutward || merged.deletes || merged.executes;
  return merged;
}
