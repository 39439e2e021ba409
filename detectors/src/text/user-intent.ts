/**
 * What the trusted prompts (system, developer, user) ask for, as action classes. Used to decide whether a
 * side effect that uses values from untrusted content was something the user asked for.
 */

export type ActionClass = 'send' | 'pay' | 'write' | 'delete' | 'execute' | 'browse';

export interface UserIntent {
  classes: Set<ActionClass>;
  /** The user delegated to content: "follow the instructions in the file", "do the tasks on my list". */
  delegated: boolean;
}

const CLASS_PATTERNS: ReadonlyArray<readonly [ActionClass, RegExp]> = [
  [
    'pay',
    /\b(?:pay|paid|payment|transfer|refund|transaction|wire|remit|money|standing order|rent|invoice|bill)\w*/i,
  ],
  [
    'send',
    /\b(?:send|e-?mail|mail|reply|respond|forward|message|dm|write to|tell|notify|post|share|invite|contact|publish|announce|let \w+ know)\w*/i,
  ],
  [
    'write',
    /\b(?:create|add|update|change|modify|edit|set|schedule|reschedule|book|reserve|rename|move|adjust|append|write|save|invite|register|make|organi[sz]e|put|fill|enter|correct|fix)\w*/i,
  ],
  ['delete', /\b(?:delete|remove|cancel|clear|erase|drop|revoke|unsubscribe|kick)\w*/i],
  ['execute', /\b(?:run|execute|install|deploy|launch|start)\w*/i],
  [
    'browse',
    /\b(?:visit|browse|open|fetch|read|check|look at|go to|download|website|webpage|web page|url|link)\w*/i,
  ],
];

const DELEGATION =
  /\b(?:follow|do|complete|execute|carry out|perform|handle|act on|take care of|apply|implement|work through|go through|resolve)\b[^.!?\n]{0,60}\b(?:instructions?|tasks?|steps|todos?|to-dos?|to do list|requests?|actions?|items?|what (?:it|they|the \w+) (?:says?|asks?))\b|\baccordingly\b|\bas (?:described|instructed|specified|requested|listed|explained|outlined|stated) (?:in|by|on)\b/gi;
/**
 * "Perform the following tasks: 1. … 2. …" hands over tasks the prompt itself lists, not content: the
 * delegation wording names them as "the following", "these" or "below" and no source comes after it.
 */
const LISTED_HERE =
  /\b(?:following|these|below|above)\b(?![^.!?\n]{0,40}\b(?:in|from|on|at)\s+(?:the|this|that|my|her|his|their)\s+(?!order\b|same\b|way\b))/i;

/** Reads action classes and delegation from the trusted prompt text. */
export function analyzeIntent(trustedText: string): UserIntent {
  const classes = new Set<ActionClass>();
  for (const [cls, re] of CLASS_PATTERNS) if (re.test(trustedText)) classes.add(cls);
  let delegated = false;
  for (const m of trustedText.matchAll(DELEGATION)) {
    const after = trustedText.slice(m.index, m.index + m[0].length + 60);
    if (!LISTED_HERE.test(after)) {
      delegated = true;
      break;
    }
  }
  return { classes, delegated };
}
