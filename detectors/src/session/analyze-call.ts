import type { PendingToolCall } from '@bulwark/contracts';
import type { ToolProfile } from '../engine/tool-profile.js';
import type { SecretMatch } from '../text/find-secrets.js';
import { analyzeValue, type ValueAnalysis } from '../text/value-analysis.js';
import {
  type Confidentiality,
  type GraphNode,
  joinConfidentiality,
  type SessionGraph,
} from './session-graph.js';

/** Where one argument's value came from: the data-flow edges of one argument node. */
export interface ArgumentFlow {
  /** `to`, `recipients[0]`, `options.url` */
  path: string;
  /** The value as text (capped at 2 KiB). */
  value: string;
  /** Keys looked up in the value index. */
  keys: string[];
  /** Every node that contains one of the keys, earliest first. */
  sources: GraphNode[];
  /** Untrusted nodes among the sources, or whose words the value copies. */
  untrustedSources: GraphNode[];
  /** Keys (or the whole value) that trusted prompts mention. */
  trustedKeys: Set<string>;
  /** The whole value is given by the user/system prompt. */
  trustedBacked: boolean;
  secrets: SecretMatch[];
  confidentiality: Confidentiality;
}

export interface CallAnalysis {
  call: PendingToolCall;
  profile: ToolProfile;
  args: ArgumentFlow[];
}

const MAX_LEAVES = 64;
const OVERLAP_RATIO = 0.6;
const MIN_OVERLAP_WORDS = 6;

function leaves(value: unknown, path: string, out: Array<[string, string]>, depth = 0): void {
  if (out.length >= MAX_LEAVES || value === null || value === undefined) return;
  if (typeof value === 'string') out.push([path, value.length > 2048 ? value.slice(0, 2048) : value]);
  else if (typeof value === 'number' || typeof value === 'bigint') out.push([path, String(value)]);
  else if (Array.isArray(value)) {
    if (depth < 4) for (const [i, v] of value.entries()) leaves(v, `${path}[${i}]`, out, depth + 1);
  } else if (typeof value === 'object' && depth < 4) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      leaves(v, path ? `${path}.${k}` : k, out, depth + 1);
  }
}

/**
 * Traces every argument of a pending call back to the nodes that contain its values (exact and normalized
 * matches, identifiers inside longer strings, and word overlap for copied text), and labels it.
 */
export function analyzeCall(
  session: SessionGraph,
  call: PendingToolCall,
  profile: ToolProfile,
  /** Derives the session-free parts of one value; the engine passes its cache. */
  analyze: (value: string) => ValueAnalysis = analyzeValue,
): CallAnalysis {
  const flat: Array<[string, string]> = [];
  leaves(call.arguments, '', flat);
  const args: ArgumentFlow[] = [];
  for (const [path, value] of flat) {
    const va = analyze(value);
    const keys = [...va.keys];
    const sourceSet = new Map<number, GraphNode>();
    const trustedKeys = new Set<string>();
    for (const k of keys) {
      for (const n of session.sourcesOf(k)) sourceSet.set(n.idx, n);
      if (session.trustedMentions(k)) trustedKeys.add(k);
    }
    const whole = va.whole;
    const trustedBacked =
      whole.length >= 2 &&
      (session.trustedMentions(whole) || (keys.length > 0 && keys.every((k) => trustedKeys.has(k))));
    const untrusted = new Map<number, GraphNode>();
    for (const n of sourceSet.values())
      if (n.integrity === 'untrusted' && n.kind !== 'llm_output' && n.kind !== 'tool_call')
        untrusted.set(n.idx, n);
    // Copied text: most content words of a long value present in one untrusted node.
    const words = va.wordHashes;
    if (words && words.length >= MIN_OVERLAP_WORDS) {
      let checked = 0;
      for (let i = session.nodes.length - 1; i >= 0 && checked < 32; i--) {
        const n = session.nodes[i]!;
        if (!n.words || n.kind === 'llm_output' || n.integrity !== 'untrusted') continue;
        checked++;
        let hit = 0;
        for (const [h1, h2] of words) if (n.words.hasHashes(h1, h2)) hit++;
        if (hit / words.length >= OVERLAP_RATIO) untrusted.set(n.idx, n);
      }
    }
    let confidentiality: Confidentiality = 'public';
    for (const n of untrusted.values())
      confidentiality = joinConfidentiality(confidentiality, n.confidentiality);
    const secrets = [...va.secrets];
    if (secrets.length > 0) confidentiality = 'secret';
    else {
      // A value equal to a secret seen in a result is secret even when it has no secret-like shape.
      for (const k of keys) {
        for (const n of sourceSet.values()) if (n.secrets?.has(k)) confidentiality = 'secret';
      }
    }
    args.push({
      path,
      value,
      keys,
      sources: [...sourceSet.values()].sort((a, b) => a.idx - b.idx),
      untrustedSources: [...untrusted.values()].sort((a, b) => a.idx - b.idx),
      trustedKeys,
      trustedBacked,
      secrets,
      confidentiality,
    });
  }
  return { call, profile, args };
}
