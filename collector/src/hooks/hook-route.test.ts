import { readFileSync } from 'node:fs';
import type { AgentEvent } from '@bulwark/contracts';
import { DetectionEngine } from '@bulwark/detectors';
import { describe, expect, it } from 'vitest';
import { type HookBackend, HookRoute } from './hook-route.js';

const fixture = (agent: string, name: string): unknown =>
  JSON.parse(
    readFileSync(new URL(`../../test/fixtures/hooks/${agent}/${name}.json`, import.meta.url), 'utf8'),
  );

/** The engine itself as the backend: what the collector does, without bus or socket. */
function engineBackend(): HookBackend & { recorded: AgentEvent[] } {
  const engine = new DetectionEngine();
  const recorded: AgentEvent[] = [];
  return {
    recorded,
    async decide(request) {
      return { ok: true, verdict: engine.decide(request).verdict };
    },
    async record(events) {
      for (const e of events) {
        recorded.push(e);
        engine.ingest(e);
      }
      return { ok: true };
    },
  };
}

const q = (s = '') => new URLSearchParams(s);

describe('HookRoute', () => {
  it('claude-code: benign call allowed; injected result then exfiltrating call denied with a reason', async () => {
    const backend = engineBackend();
    const route = new HookRoute({ backend, nowMillis: () => 1_700_000_000_000 });
    const ask = (name: string) =>
      route.handle({
        agent: 'claude-code',
        body: fixture('claude-code', name),
        tenantId: 'default',
        query: q(),
      });

    expect(await ask('1-user-prompt-submit')).toEqual({ status: 200, body: {} });
    const benign = await ask('2-pre-tool-use-benign');
    expect(benign.status).toBe(200);
    expect(benign.body).toMatchObject({
      hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'allow' },
    });
    expect(await ask('3-post-tool-use-injected')).toEqual({ status: 200, body: {} });
    // The result is recorded on the call that produced it (same tool_use_id), so provenance links up.
    expect(backend.recorded.map((e) => e.kind)).toEqual(['prompt', 'tool_call', 'tool_result']);
    const result = backend.recorded.find((e) => e.kind === 'tool_result');
    expect(result).toMatchObject({ toolCallId: 'toolu_01FetchMigrationGuide', toolName: 'WebFetch' });
    const exfil = await ask('4-pre-tool-use-exfiltrating');
    expect(exfil.status).toBe(200);
    const out = (exfil.body as { hookSpecificOutput: Record<string, string> }).hookSpecificOutput;
    expect(out.hookEventName).toBe('PreToolUse');
    expect(out.permissionDecision).toBe('deny');
    // Denied for where the command came from (the fetched page), not only for what it looks like.
    expect(out.permissionDecisionReason).toMatch(
      /^Bulwark blocked Bash: .*tool_result of WebFetch \[injection\.chain\]$/,
    );
    // Control: without the recorded result, the same call is refused on its arguments alone, not provenance.
    const fresh = new HookRoute({ backend: engineBackend() });
    for (const name of ['1-user-prompt-submit', '2-pre-tool-use-benign'])
      await fresh.handle({
        agent: 'claude-code',
        body: fixture('claude-code', name),
        tenantId: 'default',
        query: q(),
      });
    const control = await fresh.handle({
      agent: 'claude-code',
      body: fixture('claude-code', '4-pre-tool-use-exfiltrating'),
      tenantId: 'default',
      query: q(),
    });
    expect(JSON.stringify(control.body)).not.toContain('injection.chain');
  });

  it('cursor: benign MCP call allowed; injected MCP result then exfiltrating shell command denied', async () => {
    const backend = engineBackend();
    const route = new HookRoute({ backend, nowMillis: () => 1_700_000_000_000 });
    const ask = (name: string) =>
      route.handle({ agent: 'cursor', body: fixture('cursor', name), tenantId: 'default', query: q() });

    expect(await ask('1-before-submit-prompt')).toEqual({ status: 200, body: { continue: true } });
    const benign = await ask('2-before-mcp-execution-benign');
    expect(benign.body).toMatchObject({ permission: 'allow' });
    expect(await ask('3-after-mcp-execution-injected')).toEqual({ status: 200, body: {} });
    const result = backend.recorded.find((e) => e.kind === 'tool_result');
    // result_json's text parts are the content, not the JSON envelope.
    expect(result && 'content' in result ? result.content : '').toMatch(/^Issue #42/);
    const exfil = await ask('4-before-shell-execution-exfiltrating');
    const body = exfil.body as { permission: string; user_message: string; agent_message: string };
    expect(body.permission).toBe('deny');
    expect(body.agent_message).toMatch(
      /^Bulwark blocked run_shell_command: .*tool_result of get_issue \[injection\.chain\]$/,
    );
    expect(body.user_message).toBe(body.agent_message);
  });

  it('allow=defer answers an allowed call with the neutral answer (the agent asks as it would)', async () => {
    const route = new HookRoute({ backend: engineBackend() });
    const body = fixture('claude-code', '2-pre-tool-use-benign');
    const out = await route.handle({ agent: 'claude-code', body, tenantId: 't', query: q('allow=defer') });
    expect(out).toEqual({ status: 200, body: {} });
    const bad = await route.handle({ agent: 'claude-code', body, tenantId: 't', query: q('allow=maybe') });
    expect(bad.status).toBe(400);
  });

  it('x-bulwark-session-id puts the call in that session', async () => {
    const backend = engineBackend();
    const seen: string[] = [];
    const route = new HookRoute({
      backend: {
        ...backend,
        decide: async (r) => {
          seen.push(r.sessionId);
          return backend.decide(r);
        },
      },
    });
    await route.handle({
      agent: 'cursor',
      body: fixture('cursor', '2-before-mcp-execution-benign'),
      tenantId: 't',
      sessionId: 'host-123',
      query: q(),
    });
    expect(seen).toEqual(['host-123']);
  });

  it('bad input gets a clear 400/404, never a crash', async () => {
    const route = new HookRoute({ backend: engineBackend() });
    const call = (agent: string, body: unknown) => route.handle({ agent, body, tenantId: 't', query: q() });
    const unknown = await call('windsurf', {});
    expect(unknown.status).toBe(404);
    expect(JSON.stringify(unknown.body)).toContain('/v1/hooks/claude-code');
    for (const body of [null, [], { hook_event_name: 'PreToolUse' }, { session_id: 's' }]) {
      const out = await call('claude-code', body);
      expect(out.status).toBe(400);
      expect(out.body).toMatchObject({ error: { code: 'invalid_hook_payload' } });
    }
    const noTool = await call('claude-code', { session_id: 's', hook_event_name: 'PreToolUse' });
    expect(JSON.stringify(noTool.body)).toContain('tool_name');
    const surrogate = await call('claude-code', {
      session_id: 's',
      hook_event_name: 'PostToolUse',
      tool_name: 'Read',
      tool_input: {},
      tool_response: 'a\uD800',
    });
    expect(surrogate.status).toBe(400);
    // Events Bulwark does not use are answered neutrally.
    expect(await call('claude-code', { session_id: 's', hook_event_name: 'Stop' })).toEqual({
      status: 200,
      body: {},
    });
  });

  it('a backend refusal is answered with its status and Retry-After', async () => {
    const route = new HookRoute({
      backend: {
        decide: async () => ({
          ok: false,
          status: 429,
          code: 'tenant_busy',
          message: 'busy',
          retryAfterMillis: 1500,
        }),
        record: async () => ({ ok: true }),
      },
    });
    const out = await route.handle({
      agent: 'claude-code',
      body: fixture('claude-code', '2-pre-tool-use-benign'),
      tenantId: 't',
      query: q(),
    });
    expect(out).toMatchObject({
      status: 429,
      headers: { 'retry-after': '2' },
      body: { error: { code: 'tenant_busy' } },
    });
  });
});
