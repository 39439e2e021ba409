import { describe, expect, it } from 'vitest';
import { AgentSdkError } from './errors.js';
import { resolveSessionOptions } from './session-options.js';

describe('resolveSessionOptions', () => {
  it('applies defaults', () => {
    const o = resolveSessionOptions({}, {});
    expect(o).toMatchObject({
      tenantId: 'default',
      capture: 'redacted',
      maxAttributeBytes: 8192,
      verdictContent: 'full',
      maxVerdictFieldBytes: 262144,
      onVerdictUnavailable: 'block',
      onBlock: 'result',
      maxQueuedEvents: 1000,
      verdictProvider: undefined,
      verdictUrl: undefined,
    });
    expect(o.sessionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('code options win over BULWARK_* variables, which win over defaults', () => {
    const env = {
      BULWARK_TENANT_ID: 'env-tenant',
      BULWARK_CAPTURE: 'full',
      BULWARK_VERDICT_URL: 'http://127.0.0.1:9/',
    };
    expect(resolveSessionOptions({}, env)).toMatchObject({
      tenantId: 'env-tenant',
      capture: 'full',
      verdictUrl: 'http://127.0.0.1:9/',
    });
    expect(resolveSessionOptions({ tenantId: 'code', capture: 'none' }, env)).toMatchObject({
      tenantId: 'code',
      capture: 'none',
    });
  });

  it('lists every bad key in one error', () => {
    let err: unknown;
    try {
      resolveSessionOptions(
        { capture: 'everything' as never, maxQueuedEvents: 0, onApprovalRequired: 'yes' as never },
        { BULWARK_ON_VERDICT_UNAVAILABLE: 'maybe', BULWARK_VERDICT_URL: 'not a url' },
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AgentSdkError);
    const e = err as AgentSdkError;
    expect(e.code).toBe('agent-sdk.invalid_options');
    for (const key of [
      'capture',
      'maxQueuedEvents',
      'onApprovalRequired',
      'BULWARK_ON_VERDICT_UNAVAILABLE',
      'BULWARK_VERDICT_URL',
    ])
      expect(e.message).toContain(`${key}:`);
  });
});
