import type { Severity, ToolDefinition } from '@bulwark/contracts';
import type { ToolFinding } from './tool-finding.js';
import { schemaParameterNames } from './tool-text-analysis.js';
import { words } from './vocabulary.js';

interface Capability {
  ruleId: string;
  title: string;
  severity: Severity;
  /** Words of the tool name or parameter names. */
  nameWords: RegExp;
  /** Phrases in the description. */
  phrase: RegExp;
}

const CAPABILITIES: readonly Capability[] = [
  {
    ruleId: 'risky-capability.exec',
    title: 'Runs commands or code',
    severity: 'low',
    nameWords:
      /^(?:exec|execute|shell|bash|sh|zsh|powershell|cmd|terminal|command|commands|spawn|subprocess|eval|evaluate|script|repl|sudo)$/,
    phrase:
      /\b(?:execut\w*|run(?:s|ning)?)\s+(?:a\s+|an\s+|the\s+|arbitrary\s+|any\s+|shell\s+|system\s+|terminal\s+)*(?:commands?|scripts?|code|programs?|processes|javascript|python|shell)\b|\bshell\b|\bterminal\s+commands?\b/i,
  },
  {
    ruleId: 'risky-capability.filesystem',
    title: 'Reads or writes files',
    severity: 'low',
    nameWords: /^(?:file|files|filesystem|fs|directory|directories|dir|folder|path|filename|filepath)$/,
    phrase:
      /\b(?:read|write|writes|reads|create|delete|move|rename|edit|modify|list)s?\s+(?:\w+\s+){0,2}(?:files?|director(?:y|ies)|folders?)\b|\bfile\s?system\b/i,
  },
  {
    ruleId: 'risky-capability.network',
    title: 'Sends or fetches data over the network',
    severity: 'low',
    nameWords:
      /^(?:url|uri|http|https|fetch|request|webhook|upload|endpoint|post|email|mail|smtp|send|navigate|browser|download)$/,
    phrase:
      /\b(?:https?\s+requests?|fetch(?:es)?\s+(?:a\s+|the\s+|any\s+)?(?:url|web\s?page)|send(?:s)?\s+(?:an?\s+)?(?:e-?mail|message|request|webhook)|upload|navigate\s+to|arbitrary\s+urls?)\b/i,
  },
  {
    ruleId: 'risky-capability.credentials',
    title: 'Takes or handles credentials',
    severity: 'low',
    nameWords:
      /^(?:password|passwd|token|apikey|secret|credential|credentials|auth|oauth|cookie|cookies|passphrase|privatekey)$/,
    phrase:
      /\b(?:api[\s_-]?keys?|access\s+tokens?|passwords?|credentials?|private\s+keys?|secrets?\s+manager|oauth)\b/i,
  },
];

/**
 * Capabilities worth a reviewer's look (shell/exec, file system, network egress, credentials, declared destructive),
 * from the name, parameters, description and annotations. Severity `low`/`info`: a capability is not an attack.
 *
 * @example
 * riskyCapabilities({ name: 'run_command', description: 'Execute a shell command' }, 0); // [{ ruleId: 'risky-capability.exec', ... }]
 */
export function riskyCapabilities(tool: ToolDefinition, toolIndex: number): ToolFinding[] {
  const out: ToolFinding[] = [];
  const params = schemaParameterNames(tool.inputSchema);
  const nameWords = [
    ...words(tool.name),
    ...params.flatMap((p) => [...words(p), p.toLowerCase().replace(/[_-]/g, '')]),
  ];
  const description = tool.description ?? '';
  for (const cap of CAPABILITIES) {
    const word = nameWords.find((w) => cap.nameWords.test(w));
    const phrase = cap.phrase.exec(description);
    if (!word && !phrase) continue;
    out.push({
      ruleId: cap.ruleId,
      category: 'risky-capability',
      severity: cap.severity,
      server: tool.server,
      toolName: tool.name,
      toolIndex,
      subject: 'tool',
      title: cap.title,
      message: phrase ? `description: "${phrase[0]}"` : `name or parameter mentions '${word ?? ''}'`,
      evidence: phrase
        ? [
            {
              field: 'description',
              excerpt: phrase[0],
              start: phrase.index,
              end: phrase.index + phrase[0].length,
            },
          ]
        : [{ field: 'name', excerpt: word ?? '' }],
    });
  }
  if (tool.annotations?.destructiveHint === true) {
    out.push({
      ruleId: 'risky-capability.destructive',
      category: 'risky-capability',
      severity: 'info',
      server: tool.server,
      toolName: tool.name,
      toolIndex,
      subject: 'tool',
      title: 'Declares itself destructive',
      message: 'annotations.destructiveHint is true',
      evidence: [{ field: 'annotations.destructiveHint', excerpt: 'true' }],
    });
  }
  return out;
}
