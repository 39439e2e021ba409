import {
  type AgentEvent,
  DECISION_RANK,
  type Evidence,
  type PendingToolCall,
  SEVERITY_RANK,
} from '@bulwark/contracts';
import type { Detector, DetectorContext, DetectorOutcome } from '../../engine/detector.js';
import { DEFAULT_POLICY } from '../../engine/policy.js';
import type { ToolProfile } from '../../engine/tool-profile.js';
import type { ArgumentFlow } from '../../session/analyze-call.js';
import type { GraphNode } from '../../session/session-graph.js';
import type { ActionClass } from '../../text/user-intent.js';

/**
 * Signals that make a weak directive a planted one: addressed to whoever processes the text (a to-do marker,
 * directive markup, hidden characters, an order that speaks of "the user" in the third person).
 */
const STRUCTURAL = new Set(['task-marker', 'markup', 'invisible', 'principal']);
/** Keys that identify a party or place: e-mail, URL/domain, IBAN-like or mixed-character codes. */
/** Argument paths of free text (a message's body, a file's content), as opposed to a party or place. */
const FREE_TEXT =
  /(?:^|[._])(?:body|content|text|message|subject|description|summary|notes?|title|comment)s?(?:$|[.[_])/i;
/** A URL or bare domain (no `@`). */
const LINK = /^(?![^@]*@)(?:https?:\/\/|www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:[/?#]\S*)?$/;
const IDENTIFIER = /@|\.[a-z]{2,}|^[a-z]{2}\d{2}[a-z0-9]{10,}$|^(?=.*\d)(?=.*[a-z])[a-z0-9_-]{6,}$/;

function excerpt(n: GraphNode): string {
  return (n.excerpts?.[0] ?? '').slice(0, 300);
}

function sourceEvidence(n: GraphNode): Evidence {
  return {
    eventId: n.eventId,
    field: 'content',
    excerpt: excerpt(n),
    note: `${n.kind}${n.toolName ? ` of ${n.toolName}` : ''}: ${n.injection?.level} injected instructions (${[
      ...new Set(n.injection?.signals.map((s) => s.family)),
    ].join(', ')})`,
  };
}

function classesOf(p: ToolProfile): ActionClass[] {
  const out: ActionClass[] = [];
  if (p.sendsOutward) out.push('send', 'pay');
  if (p.writes) out.push('write');
  if (p.deletes) out.push('delete');
  if (p.executes) out.push('execute');
  if (p.fetchesUrl) out.push('browse');
  return out;
}

/**
 * A string argument the directive's own text spells out ("new_password", "Riverside View Hotel"): values
 * that are not identifiers in the value index (no digit, no address shape) but are too specific to be a
 * coincidence — a token with a separator or digit, or several words. Matched on word boundaries.
 */
function inDirectiveText(value: string, node: GraphNode): boolean {
  const v = value.trim().toLowerCase();
  if (v.length < 6 || v.length > 120) return false;
  if (!/[\d_@./-]|\s\S/.test(v)) return false;
  for (const ex of node.excerpts ?? []) {
    const at = ex.toLowerCase().indexOf(v);
    if (at < 0) continue;
    const before = ex.charCodeAt(at - 1);
    const after = ex.charCodeAt(at + v.length);
    const word = (c: number) =>
      (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
    if (!word(before) && !word(after)) return true;
  }
  return false;
}

/** An argument value that appears inside the injected directive and that the user did not supply. */
function chainHits(
  args: readonly ArgumentFlow[],
  node: GraphNode,
): Array<{ arg: ArgumentFlow; key: string }> {
  const hits: Array<{ arg: ArgumentFlow; key: string }> = [];
  for (const arg of args) {
    if (arg.trustedBacked) continue;
    for (const key of arg.keys) {
      if (arg.trustedKeys.has(key) || key.length < 3) continue;
      const inRegion = node.regionValues?.has(key) === true;
      // Strong directives: any identifying value of the injected text counts, not only those in its sentences.
      const inStrongNode =
        node.injection?.level === 'strong' && node.values.has(key) && !/^\d+(\.\d+)?$/.test(key);
      if (inRegion || inStrongNode) {
        hits.push({ arg, key });
        break;
      }
    }
    if (!hits.some((h) => h.arg === arg) && inDirectiveText(arg.value, node)) {
      hits.push({ arg, key: arg.value.trim().toLowerCase().slice(0, 60) });
      continue;
    }
    if (
      !hits.some((h) => h.arg === arg) &&
      arg.untrustedSources.includes(node) &&
      arg.value.length > 60 &&
      node.injection?.level === 'strong'
    ) {
      hits.push({ arg, key: '(copied text)' });
    }
  }
  return hits;
}

type Session = NonNullable<DetectorContext['session']>;

/**
 * Delegation covers the content the user pointed at, not everything read on the way: a result counts as
 * delegated when the user delegated and the call that produced it took an argument from the user's own
 * words (the file name, URL, sender or subject they gave). A planted order in another result — a channel
 * list, a file the delegated e-mail mentions — is judged as if nothing had been delegated. When no result
 * was fetched with the user's words ("do the tasks in my latest e-mail"), their word covers everything read.
 * Returns the judgement for one call (one pass over the session's nodes, built on first use).
 */
function delegationOf(session: Session): (node: GraphNode) => boolean {
  if (!session.intent.delegated) return () => false;
  let pointed: ((node: GraphNode) => boolean | undefined) | undefined;
  let anyPointed = false;
  return (node) => {
    if (!pointed) {
      const trusted = new Set<number>();
      const calls = new Map<string, GraphNode>();
      for (const n of session.nodes) {
        if (n.integrity === 'trusted') trusted.add(n.idx);
        if (n.kind === 'tool_call' && n.toolCallId) calls.set(n.toolCallId, n);
      }
      // Whether the call behind a result took an argument from the trusted prompts; undefined when unknown.
      pointed = (r) => {
        const call = r.toolCallId ? calls.get(r.toolCallId) : undefined;
        if (!call?.argumentSources) return undefined;
        for (const idxs of call.argumentSources.values())
          for (const i of idxs) if (trusted.has(i)) return true;
        return false;
      };
      const p = pointed;
      anyPointed = session.nodes.some((n) => n.kind === 'tool_result' && p(n) === true);
    }
    return pointed(node) !== false || !anyPointed;
  };
}

/**
 * A new kind of action: the untrusted text orders a side effect of a kind the user never asked for, and this
 * call is one, whatever its arguments (the order may name no value the call repeats: "delete the file with
 * ID 13", "change the password"). Delegated content may order actions: not judged here. Strong directives
 * are quarantined anyway.
 */
function newActionOutcome(
  toolName: string,
  profile: ToolProfile,
  session: Session,
  injected: readonly GraphNode[],
  decision: DetectorOutcome['decision'],
): DetectorOutcome | undefined {
  const kinds = classesOf(profile);
  if (!profile.sideEffecting || kinds.length === 0) return undefined;
  // Under delegation the content's tasks are the user's: which action a delegated text orders is not read
  // reliably enough ("suggest two activities and add them") to tell its actions from a planted one's.
  if (session.intent.delegated || kinds.some((c) => session.intent.classes.has(c))) return undefined;
  for (const n of injected) {
    if (n.injection?.level !== 'weak') continue;
    const kind = n.injection.actions.find((a) => kinds.includes(a));
    if (!kind) continue;
    return {
      severity: 'high',
      decision,
      title: 'Untrusted instructions start an action the user did not ask for',
      message: `${toolName} is a ${kind} action; the user asked for none, and imperative text in ${n.kind}${n.toolName ? ` of ${n.toolName}` : ''} orders one`,
      evidence: [sourceEvidence(n)],
    };
  }
  return undefined;
}

/** The strictest outcome (decision, then severity; the first of equals), as a one-element list. */
function strictest(outcomes: readonly DetectorOutcome[]): DetectorOutcome[] {
  let best: DetectorOutcome | undefined;
  for (const o of outcomes) {
    if (
      !best ||
      DECISION_RANK[o.decision] > DECISION_RANK[best.decision] ||
      (DECISION_RANK[o.decision] === DECISION_RANK[best.decision] &&
        SEVERITY_RANK[o.severity] > SEVERITY_RANK[best.severity])
    )
      best = o;
  }
  return best ? [best] : [];
}

/**
 * `injection.chain`: untrusted content carrying instructions addressed to the agent, followed by a side
 * effect whose arguments (or very occurrence) derive from that content rather than from the user's request.
 *
 * - chain: a side-effecting or URL-fetching call uses a value from the injected directive that the user did
 *   not supply → `injection.chain` decision (block), with the evidence chain (result, text span, argument).
 * - weak chain: same with weak instructions (imperative text, no agent-directed language) → block only when
 *   the user neither asked for this kind of action nor delegated to the content.
 * - quarantine: any side effect after strong injected instructions → `injection.quarantine` decision (block).
 * - on ingest, injected instructions in a result raise an alert (high when strong).
 *
 * "The user asked me to read this file and act on it": delegation authorizes the task content of the file
 * (a bill's IBAN, a to-do list's steps), so weak instructions there do not block. It does not authorize text
 * that speaks to the agent as a model, claims the user's or the system's authority, or redirects the task:
 * strong directives block even under delegation, because a legitimate document has no reason to do that.
 */
export class InjectionChainDetector implements Detector {
  readonly id = 'injection.chain';
  readonly description = 'Instructions injected through untrusted content driving a side-effecting call';
  readonly defaultSeverity = 'critical' as const;

  onEvent(_event: AgentEvent, ctx: DetectorContext): readonly DetectorOutcome[] {
    const n = ctx.node;
    if (!n?.injection || n.injection.level === 'none') return [];
    const strong = n.injection.level === 'strong';
    return [
      {
        severity: strong ? 'high' : 'low',
        decision: 'alert',
        title: strong
          ? 'Instructions addressed to the agent in untrusted content'
          : 'Imperative text in untrusted content',
        message: `${n.kind}${n.toolName ? ` of ${n.toolName}` : ''} carries ${n.injection.level} injected instructions (score ${n.injection.score.toFixed(1)})`,
        evidence: [sourceEvidence(n)],
      },
    ];
  }

  onToolCall(call: PendingToolCall, ctx: DetectorContext): readonly DetectorOutcome[] {
    const session = ctx.session;
    const analysis = ctx.call;
    if (!session || !analysis) return [];
    const profile = analysis.profile;
    const injected = session.injectedNodes();
    if (injected.length === 0) return [];
    const policy = ctx.policy?.injection ?? DEFAULT_POLICY.injection;
    const actsOutward = profile.sideEffecting || profile.fetchesUrl;
    if (!actsOutward) return [];
    const delegatedTo = delegationOf(session);

    // Every injected node is judged and the strictest outcome wins: a later, weaker directive (or a result
    // that merely looks imperative) must not wash out an earlier strong one.
    const outcomes: DetectorOutcome[] = [];
    for (const node of [...injected].reverse()) {
      const hits = chainHits(analysis.args, node);
      if (hits.length === 0) continue;
      // A URL fetch only counts when the URL itself comes from the directive.
      if (
        !profile.sideEffecting &&
        !hits.some((h) => /url|link|uri|href|site|page|address/i.test(h.arg.path) || h.key.includes('.'))
      )
        continue;
      const strong = node.injection?.level === 'strong';
      // A weak directive with structure (a TODO: marker, directive markup, hidden characters) is addressed to
      // whoever processes the text: for chains it counts like a strong one.
      const structured = node.injection?.signals.some((s) => STRUCTURAL.has(s.family)) ?? false;
      const identifierHit = hits.some((h) => IDENTIFIER.test(h.key));
      // A party or place the call acts on (not a value quoted inside its free text: a body may relay an
      // address the user asked to pass on).
      // A link inside a message is a place too: the recipient is meant to follow it.
      const destinationHit = hits.some(
        (h) => IDENTIFIER.test(h.key) && (!FREE_TEXT.test(h.arg.path) || LINK.test(h.key)),
      );
      const evidence: Evidence[] = [
        sourceEvidence(node),
        ...hits.map((h) => ({
          field: `arguments.${h.arg.path}`,
          excerpt: h.arg.value.slice(0, 200),
          note: `value ${h.key} comes from the injected text of event ${node.eventId}, not from the user's request`,
        })),
      ];
      const delegated = delegatedTo(node);
      if (delegated && !strong && (structured || identifierHit)) {
        outcomes.push({
          severity: 'high',
          decision: policy.delegatedChain,
          title: 'Delegated content introduces a new destination',
          message: `${call.toolName} uses ${hits.map((h) => `${h.arg.path}=${h.key}`).join(', ')} taken from instructions in ${node.kind}${node.toolName ? ` of ${node.toolName}` : ''}; the user delegated to that content, so a human confirms`,
          evidence,
        });
        continue;
      }
      if (strong || structured) {
        outcomes.push({
          severity: 'critical',
          decision: policy.chain,
          title: 'Injected instructions drive this tool call',
          message: `${call.toolName} uses ${hits.map((h) => `${h.arg.path}=${h.key}`).join(', ')} from instructions injected in ${node.kind}${node.toolName ? ` of ${node.toolName}` : ''}`,
          evidence,
        });
        continue;
      }
      const asked = classesOf(profile).some((c) => session.intent.classes.has(c));
      // The user asked for this kind of action, but the party or place comes from the imperative text: a
      // new recipient, account or URL the user never named. As under delegation, a human confirms.
      if (!delegated && asked && destinationHit) {
        outcomes.push({
          severity: 'high',
          decision: policy.delegatedChain,
          title: 'Untrusted instructions introduce a new destination',
          message: `${call.toolName} uses ${hits.map((h) => `${h.arg.path}=${h.key}`).join(', ')} from imperative text in ${node.kind}${node.toolName ? ` of ${node.toolName}` : ''}; the user asked for this kind of action but never named that destination, so a human confirms`,
          evidence,
        });
        continue;
      }
      if (delegated || asked) {
        outcomes.push({
          severity: 'medium',
          decision: 'alert',
          title: 'Call uses values from imperative untrusted text the user delegated to',
          message: `${call.toolName} uses values from imperative text in ${node.kind}; allowed because the user ${delegated ? 'delegated to the content' : 'asked for this kind of action'}`,
          evidence,
        });
        continue;
      }
      outcomes.push({
        severity: 'high',
        decision: policy.weakChain,
        title: 'Untrusted instructions drive an action the user did not ask for',
        message: `${call.toolName} uses ${hits.map((h) => `${h.arg.path}=${h.key}`).join(', ')} from imperative text in ${node.kind}${node.toolName ? ` of ${node.toolName}` : ''}; the user asked for no such action`,
        evidence,
      });
    }

    const newAction = newActionOutcome(call.toolName, profile, session, injected, policy.weakChain);
    if (newAction) outcomes.push(newAction);

    const strongNodes = injected.filter((n) => n.injection?.level === 'strong');
    // In a compromised session a fetch of a URL the user never gave is an egress channel too.
    const untrustedFetch =
      profile.fetchesUrl &&
      analysis.args.some((a) => !a.trustedBacked && /url|link|uri|href|site|page|address/i.test(a.path));
    const structuredNodes = injected.filter(
      (n) =>
        n.injection?.level === 'weak' &&
        n.injection.plantedTarget &&
        n.injection.signals.some((s) => STRUCTURAL.has(s.family)) &&
        // Only calls of the kind the planted order asks for: "send X to Y" puts sending under a human's
        // eye, not the calendar entry the user asked for.
        n.injection.plantedActions.some((a) => classesOf(profile).includes(a)) &&
        !delegatedTo(n),
    );
    if (strongNodes.length === 0 && structuredNodes.length > 0 && profile.sideEffecting) {
      const first = structuredNodes[0]!;
      outcomes.push({
        severity: 'high',
        decision: policy.quarantineStructured,
        title: 'Side effect after a directive planted in untrusted content',
        message: `${call.toolName} would run after a directive with a target (${[...new Set(first.injection?.signals.map((s) => s.family))].join(', ')}) was planted in ${first.kind}${first.toolName ? ` of ${first.toolName}` : ''}; a human confirms`,
        evidence: structuredNodes.slice(0, 3).map(sourceEvidence),
      });
    }
    if (strongNodes.length > 0 && (profile.sideEffecting || untrustedFetch)) {
      const first = strongNodes[0]!;
      outcomes.push({
        severity: 'high',
        decision: policy.quarantine,
        title: 'Side effect in a session compromised by injected instructions',
        message: `${call.toolName} would run after instructions addressed to the agent were injected through ${first.kind}${first.toolName ? ` of ${first.toolName}` : ''}; the session's control flow can no longer be trusted`,
        evidence: strongNodes.slice(0, 3).map(sourceEvidence),
      });
    }
    return strictest(outcomes);
  }
}
