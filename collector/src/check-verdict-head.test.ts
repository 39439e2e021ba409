import {
  EnforcedDecisionSchema,
  MAX_TIMESTAMP_MILLIS,
  PendingToolCallSchema,
  VerdictRequestSchema,
} from '@bulwark/contracts';
import { describe, expect, it } from 'vitest';
import { ENFORCED_KEYS, HEAD_KEYS, isCheckedVerdictHead, TOOL_CALL_KEYS } from './check-verdict-head.js';

const enforced = {
  toolCallId: 'c0',
  toolName: 'read',
  decision: 'block',
  source: 'fallback_timeout',
  verdictDecision: 'allow',
  reason: 'no answer in time',
  timestampMillis: 1_700_000_000_000,
};
const valid: Record<string, unknown>[] = [
  { sessionId: 's1', toolCall: { toolCallId: 'c1', toolName: 'send', arguments: {} }, events: [] },
  {
    tenantId: 't1',
    sessionId: 's1',
    agentId: 'agent',
    toolCall: {
      toolCallId: 'c1',
      toolName: 'send',
      arguments: { to: 'a@b.c', n: [1, { k: 'v' }], pair: 'x \uD83D\uDE00' },
      server: 'srv',
    },
    events: [],
    timestampMillis: 1_700_000_000_000,
    enforced: [enforced, { ...enforced, verdictDecision: undefined, reason: undefined, source: 'verdict' }],
  },
];

// Boundary values: lengths at and past each limit, control characters, lone and paired surrogates, bad
// numbers, wrong types, objects that zod would copy differently.
const TRICKY: unknown[] = [
  undefined,
  null,
  '',
  'a',
  'a'.repeat(512),
  'a'.repeat(513),
  'a'.repeat(2_000),
  'a'.repeat(2_001),
  'a\u0000b',
  'tab\there',
  'del\u007F',
  'c1\u0085',
  'lone\uD800',
  '\uDC00lone',
  'pair \uD83D\uDE00',
  0,
  -1,
  -0,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  MAX_TIMESTAMP_MILLIS,
  MAX_TIMESTAMP_MILLIS + 1,
  true,
  {},
  [],
  { k: 'v' },
  { k: 'lone\uD800' },
  { 'k\uDC00': 1 },
  { deep: [{ k: 'lone\uD800' }] },
  JSON.parse('{"__proto__": {"x": 1}}'),
  Object.create(null),
  [enforced],
  [{ ...enforced, extra: 1 }],
  [{ ...enforced, timestampMillis: undefined }],
  [{ ...enforced, reason: 'x\uD800' }],
  [null],
  Array.from({ length: 10_001 }, () => enforced),
  'allow',
  'block',
  'nope',
  'verdict',
  'fallback_error',
];

/** Zod's verdict on the head (events as given, they are checked elsewhere), next to the fast path's. */
function zodHead(candidate: Record<string, unknown>) {
  return VerdictRequestSchema.safeParse({ ...candidate, events: [] });
}

describe('isCheckedVerdictHead', () => {
  it("lists exactly the schemas' keys (a new key must get its own check here)", () => {
    expect(new Set(Object.keys(VerdictRequestSchema.shape))).toEqual(HEAD_KEYS);
    expect(new Set(Object.keys(PendingToolCallSchema.shape))).toEqual(TOOL_CALL_KEYS);
    expect(new Set(Object.keys(EnforcedDecisionSchema.shape))).toEqual(ENFORCED_KEYS);
  });

  it('accepts valid heads, and zod returns them unchanged', () => {
    for (const head of valid) {
      expect(isCheckedVerdictHead(head)).toBe(true);
      expect(zodHead(head).data).toEqual(head);
    }
  });

  it('never accepts what zod refuses or would change (every field × boundary values)', () => {
    let accepted = 0;
    let tried = 0;
    const variants: [string, Record<string, unknown>][] = [];
    for (const head of valid) {
      const call = head.toolCall as Record<string, unknown>;
      for (const value of TRICKY) {
        for (const field of [...HEAD_KEYS, 'unknownField'])
          if (field !== 'events') variants.push([field, { ...head, [field]: value }]);
        for (const field of [...TOOL_CALL_KEYS, 'unknownField'])
          variants.push([`toolCall.${field}`, { ...head, toolCall: { ...call, [field]: value } }]);
        for (const field of [...ENFORCED_KEYS, 'unknownField'])
          variants.push([`enforced[0].${field}`, { ...head, enforced: [{ ...enforced, [field]: value }] }]);
      }
    }
    for (const [field, candidate] of variants) {
      tried += 1;
      if (!isCheckedVerdictHead(candidate)) continue;
      accepted += 1;
      const parsed = zodHead(candidate);
      const label = `${field} = ${JSON.stringify(candidate).slice(0, 200)}`;
      expect(parsed.success, label).toBe(true);
      expect(parsed.data, label).toEqual({ ...candidate, events: [] });
    }
    // The fast path is really taken for the harmless substitutions.
    expect(accepted).toBeGreaterThan(100);
    expect(tried).toBeGreaterThan(1_000);
  });

  it('leaves defaults, unknown keys and copies zod would make to zod', () => {
    const head = valid[0]!;
    const call = head.toolCall as Record<string, unknown>;
    const { arguments: _, ...noArguments } = call;
    expect(isCheckedVerdictHead({ ...head, toolCall: noArguments })).toBe(false);
    expect(isCheckedVerdictHead({ ...head, extra: 1 })).toBe(false);
    expect(isCheckedVerdictHead(JSON.parse('{"__proto__": 1, "sessionId": "s"}'))).toBe(false);
    expect(isCheckedVerdictHead({ ...head, toolCall: [call] })).toBe(false);
  });
});
