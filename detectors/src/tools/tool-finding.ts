import { type Evidence, SEVERITY_RANK, type Severity } from '@bulwark/contracts';
import type { ToolTactic } from './tool-tactics.js';

/** What kind of problem a tool-scan finding reports. */
export type ToolFindingCategory =
  | 'poisoning'
  | 'hidden-text'
  | 'schema-side-channel'
  | 'shadowing'
  | 'name-collision'
  | 'risky-capability'
  | 'rug-pull';

/** Categories that mean "this definition attacks the model" (counted as positives); the rest are for review. */
export const ATTACK_CATEGORIES: ReadonlySet<ToolFindingCategory> = new Set([
  'poisoning',
  'hidden-text',
  'schema-side-channel',
  'shadowing',
  'name-collision',
]);

/** One scan rule: stable id, for reports (SARIF `tool.driver.rules`). */
export interface ToolScanRule {
  id: string;
  category: ToolFindingCategory;
  name: string;
  description: string;
  defaultSeverity: Severity;
}

/**
 * One problem with one tool (or prompt/resource) definition.
 *
 * @example
 * const f: ToolFinding = { ruleId: 'poisoning.concealment', category: 'poisoning', severity: 'high', server: 's',
 *   toolName: 'add', toolIndex: 0, title: 'Hides actions from the user', message: '...', evidence: [] };
 */
export interface ToolFinding {
  ruleId: string;
  category: ToolFindingCategory;
  severity: Severity;
  /** Server of the tool, when known. */
  server: string | undefined;
  toolName: string;
  /** Index into the scanned `tools` array; -1 for prompts, resources and server-level findings. */
  toolIndex: number;
  /** `tool` (default), `prompt`, `resource` or `server`. */
  subject?: 'tool' | 'prompt' | 'resource' | 'server';
  title: string;
  message: string;
  /** Field path (`description`, `inputSchema.properties.note.description`), excerpt and offsets in that field. */
  evidence: Evidence[];
  /** Other tools this finding involves (`server/tool`), for collisions and shadowing. */
  related?: string[];
  /** Attack tactics the evidence shows (cross-tool ordering, authority claim, redirection, command, shadowing). */
  tactics?: ToolTactic[];
}

const r = (
  id: string,
  category: ToolFindingCategory,
  defaultSeverity: Severity,
  name: string,
  description: string,
): ToolScanRule => ({ id, category, defaultSeverity, name, description });

/** Every rule the scanner and the `scan` command can report. */
export const TOOL_SCAN_RULES: readonly ToolScanRule[] = [
  r(
    'poisoning.instruction-override',
    'poisoning',
    'critical',
    'InstructionOverride',
    'The definition tells the model to ignore or replace its previous instructions.',
  ),
  r(
    'poisoning.concealment',
    'poisoning',
    'high',
    'Concealment',
    'The definition tells the model to hide what it does from the user, or to act without their knowledge or consent.',
  ),
  r(
    'poisoning.sensitive-data',
    'poisoning',
    'high',
    'SensitiveDataRequest',
    'The definition asks the model to read or reveal secrets, credentials, configuration, personal data or conversation content unrelated to the tool.',
  ),
  r(
    'poisoning.exfiltration',
    'poisoning',
    'high',
    'Exfiltration',
    'The definition asks the model to move data to an address, URL or parameter.',
  ),
  r(
    'poisoning.out-of-scope-instruction',
    'poisoning',
    'high',
    'OutOfScopeInstruction',
    "An instruction addressed to the model that has nothing to do with the tool's declared purpose.",
  ),
  r(
    'poisoning.hidden-instruction-tag',
    'poisoning',
    'medium',
    'HiddenInstructionTag',
    'Markup-style tags (<IMPORTANT>, <SYSTEM>, ...) that wrap directives for the model.',
  ),
  r(
    'shadowing.cross-tool-directive',
    'shadowing',
    'high',
    'CrossToolDirective',
    'The definition tells the model how to use another tool or server, or any tool (tool shadowing).',
  ),
  r(
    'shadowing.cross-tool-ordering',
    'shadowing',
    'high',
    'CrossToolOrdering',
    'The definition orders the model to call a tool this server does not offer first, or makes this tool depend on one.',
  ),
  r(
    'shadowing.authority-claim',
    'shadowing',
    'high',
    'AuthorityClaim',
    "The definition claims a system/security update or authority that changes other tools' behaviour or lifts the user's safeguards.",
  ),
  r(
    'shadowing.parameter-redirection',
    'shadowing',
    'high',
    'ParameterRedirection',
    "The definition silently redirects another tool's parameters or destination, or overrides the user's choice.",
  ),
  r(
    'poisoning.embedded-command',
    'poisoning',
    'high',
    'EmbeddedCommand',
    'The definition tells the model to run an embedded shell command, or fetch a URL and follow or run what it returns.',
  ),
  r(
    'shadowing.tool-hijack',
    'shadowing',
    'high',
    'ToolHijack',
    'The definition disparages or replaces another tool so calls are redirected to it.',
  ),
  r(
    'hidden-text.invisible-unicode',
    'hidden-text',
    'medium',
    'InvisibleUnicode',
    'Zero-width or other invisible characters that hide or split text.',
  ),
  r(
    'hidden-text.bidi-control',
    'hidden-text',
    'high',
    'BidiControl',
    'Bidirectional override/isolate characters that make displayed text differ from what the model reads.',
  ),
  r(
    'hidden-text.tag-characters',
    'hidden-text',
    'critical',
    'UnicodeTagCharacters',
    'Unicode tag characters (U+E0000 block) that carry invisible ASCII text.',
  ),
  r(
    'hidden-text.variation-selectors',
    'hidden-text',
    'high',
    'VariationSelectorSmuggling',
    'Runs of variation selectors that can encode invisible data.',
  ),
  r(
    'hidden-text.html-comment',
    'hidden-text',
    'medium',
    'HtmlComment',
    'HTML comments, which user interfaces hide but the model reads.',
  ),
  r(
    'hidden-text.hidden-markup',
    'hidden-text',
    'high',
    'HiddenMarkup',
    'Markup styled to be invisible (display:none, hidden, zero font size).',
  ),
  r(
    'hidden-text.control-characters',
    'hidden-text',
    'high',
    'ControlCharacters',
    'Terminal escape sequences or control characters that can hide or rewrite displayed text.',
  ),
  r(
    'hidden-text.padding',
    'hidden-text',
    'medium',
    'WhitespacePadding',
    'Long runs of whitespace that push text out of view.',
  ),
  r(
    'schema-side-channel.data-request',
    'schema-side-channel',
    'high',
    'SchemaSideChannel',
    'An input parameter whose description asks the model to put secrets, files or conversation content into it.',
  ),
  r(
    'schema-side-channel.instruction',
    'schema-side-channel',
    'high',
    'SchemaInstruction',
    'Directives for the model hidden in input-schema text (parameter descriptions, titles, defaults).',
  ),
  r(
    'name-collision.duplicate',
    'name-collision',
    'medium',
    'DuplicateToolName',
    'The same tool name (after case/separator folding) is offered by more than one server or twice by one server.',
  ),
  r(
    'name-collision.confusable',
    'name-collision',
    'high',
    'ConfusableToolName',
    'A tool name that looks like another tool name (homoglyphs, compatibility characters) but is not equal to it.',
  ),
  r('risky-capability.exec', 'risky-capability', 'low', 'ShellExecution', 'The tool runs commands or code.'),
  r(
    'risky-capability.filesystem',
    'risky-capability',
    'low',
    'FileSystemAccess',
    'The tool reads or writes files.',
  ),
  r(
    'risky-capability.network',
    'risky-capability',
    'low',
    'NetworkEgress',
    'The tool sends data to, or fetches from, arbitrary network destinations.',
  ),
  r(
    'risky-capability.credentials',
    'risky-capability',
    'low',
    'CredentialHandling',
    'The tool takes or handles credentials.',
  ),
  r(
    'risky-capability.destructive',
    'risky-capability',
    'info',
    'Destructive',
    'The tool declares itself destructive (annotations.destructiveHint).',
  ),
  r(
    'risky-capability.unauthenticated-remote',
    'risky-capability',
    'medium',
    'UnauthenticatedRemoteServer',
    'A remote (HTTP) MCP server answered without authentication.',
  ),
  r(
    'rug-pull.changed',
    'rug-pull',
    'high',
    'DefinitionChanged',
    'A tool definition differs from its pinned or first-seen version (rug pull).',
  ),
  r(
    'rug-pull.unpinned',
    'rug-pull',
    'medium',
    'UnpinnedTool',
    'A tool (or server) that is not in the lock file appeared.',
  ),
  r('rug-pull.removed', 'rug-pull', 'low', 'ToolRemoved', 'A pinned tool is no longer offered.'),
];

const RULES_BY_ID = new Map(TOOL_SCAN_RULES.map((rule) => [rule.id, rule]));

/** The rule with this id, if any. */
export function toolScanRule(id: string): ToolScanRule | undefined {
  return RULES_BY_ID.get(id);
}

/** True when `severity` is at or above `threshold`. */
export function atLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold];
}

/** The more severe of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}
