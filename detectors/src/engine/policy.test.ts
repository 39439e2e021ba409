import { describe, expect, it } from 'vitest';
import { DetectionEngine } from './detection-engine.js';
import { DEFAULT_POLICY, parsePolicy, resolvePolicy } from './policy.js';

const POLICY = parsePolicy(`
overrides:
  - tool: "send_*"
    disable: [args.risky]
  - tool: pay
    server: bank
    decision: require_approval
rules:
  - id: custom.no-delete
    when: { tool: "delete_*" }
    decision: block
  - id: custom.tenant-b
    when: { tenant: b }
    decision: alert
`);

describe('resolvePolicy', () => {
  it('resolves overrides, disabled detectors and matching rules for one target', () => {
    const send = resolvePolicy(POLICY, 'a', undefined, 'send_email');
    expect([...send.disabled]).toEqual(['args.risky']);
    expect(send.rules).toEqual([]);
    expect(resolvePolicy(POLICY, 'a', undefined, 'pay').overrides).toEqual([]);
    expect(resolvePolicy(POLICY, 'a', 'bank', 'pay').overrides).toHaveLength(1);
    expect(resolvePolicy(POLICY, 'b', undefined, 'delete_file').rules.map((r) => r.id)).toEqual([
      'custom.no-delete',
      'custom.tenant-b',
    ]);
    expect(resolvePolicy(DEFAULT_POLICY, 'a', undefined, 'x').sections).toBe(DEFAULT_POLICY);
  });

  it('the engine decides from the resolved view, and re-resolves after a policy reload', () => {
    const engine = new DetectionEngine({ policy: POLICY });
    const decide = (toolName: string, server?: string) =>
      engine.decide({
        tenantId: 'a',
        sessionId: `s-${toolName}-${server ?? ''}`,
        toolCall: { toolCallId: 'c1', toolName, arguments: {}, ...(server ? { server } : {}) },
        events: [],
        timestampMillis: 1,
      }).verdict.decision;
    expect(decide('pay', 'bank')).toBe('require_approval');
    expect(decide('pay')).toBe('allow');
    expect(decide('delete_file')).toBe('block');
    engine.setPolicy(DEFAULT_POLICY);
    expect(decide('delete_file', 'x')).toBe('allow');
  });
});
