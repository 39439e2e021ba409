import type { PendingToolCall } from '@bulwark/contracts';
import type { Detector, DetectorContext, DetectorOutcome } from '../../engine/detector.js';
import { type Policy, resolvePolicy } from '../../engine/policy.js';

function valueAt(args: Record<string, unknown>, path: string): unknown {
  let cur: unknown = args;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * `policy.rule`: the rules a policy file adds, and per-tool forced decisions from `overrides[].decision`
 * (e.g. every payment needs approval). Each finding names the rule id.
 */
export class PolicyRuleDetector implements Detector {
  readonly id = 'policy.rule';
  readonly description = 'Rules and per-tool decisions from the policy file';
  readonly defaultSeverity = 'medium' as const;
  private readonly policy: () => Policy;
  private readonly patterns = new Map<string, RegExp>();

  constructor(policy: () => Policy) {
    this.policy = policy;
  }

  onToolCall(call: PendingToolCall, ctx: DetectorContext): readonly DetectorOutcome[] {
    const policy = this.policy();
    // The engine's view when it was resolved from this detector's policy; otherwise resolve here.
    const resolved =
      ctx.resolvedPolicy?.policy === policy
        ? ctx.resolvedPolicy
        : resolvePolicy(policy, ctx.tenantId, call.server, call.toolName);
    const out: DetectorOutcome[] = [];
    for (const o of resolved.overrides) {
      if (!o.decision) continue;
      out.push({
        severity: o.decision === 'block' ? 'high' : 'medium',
        decision: o.decision,
        title: `Policy: ${call.toolName} is ${o.decision}`,
        message: `policy override for ${o.tool ?? '*'}${o.server ? ` on ${o.server}` : ''}${o.tenant ? ` (tenant ${o.tenant})` : ''} sets ${o.decision}`,
        evidence: [{ field: 'toolName', excerpt: call.toolName, note: 'policy override' }],
      });
    }
    for (const r of resolved.rules) {
      const w = r.when;
      if (w.sideEffecting !== undefined && (ctx.call?.profile.sideEffecting ?? false) !== w.sideEffecting)
        continue;
      if (w.afterInjection && !(ctx.session?.injectedNodes().length ?? 0)) continue;
      if (
        w.untrustedArgument &&
        !ctx.call?.args.some((a) => !a.trustedBacked && a.untrustedSources.length > 0)
      )
        continue;
      if (w.argument) {
        let re = this.patterns.get(w.argument.matches);
        if (!re) {
          re = new RegExp(w.argument.matches, 'i');
          this.patterns.set(w.argument.matches, re);
        }
        const v = valueAt(call.arguments, w.argument.path);
        if (v === undefined || !re.test(typeof v === 'string' ? v : JSON.stringify(v))) continue;
      }
      out.push({
        severity: r.severity,
        decision: r.decision,
        title: `Policy rule ${r.id}`,
        message: r.message || r.description || `rule ${r.id} matched ${call.toolName}`,
        evidence: [{ field: w.argument ? `arguments.${w.argument.path}` : 'toolName', note: `rule ${r.id}` }],
      });
    }
    return out;
  }
}
