import { readFileSync } from 'node:fs';
import type { AgentEvent } from '@bulwark/contracts';
import { DetectionEngine } from '@bulwark/detectors';
import { describe, expect, it } from 'vitest';
import { type HookBackend, type HookRefusal, HookRoute, UNDECIDED_HEADER } from './hook-route.js';

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
    // A misconfigured hook URL denies the call (an HTTP 400 would let it run) and says what to fix.
    expect(bad).toMatchObject({
      status: 200,
      body: { hookSpecificOutput: { permissionDecision: 'deny' } },
      undecided: 'invalid_query',
    });
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
    for (const body of [null, [], { session_id: 's' }, { session_id: 's', hook_event_name: 'PostToolUse' }]) {
      const out = await call('claude-code', body);
      expect(out.status).toBe(400);
      expect(out.body).toMatchObject({ error: { code: 'invalid_hook_payload' } });
    }
    // An invalid pre-tool payload is denied in the agent's format: a 400 would let the tool run.
    const noTool = await call('claude-code', { session_id: 's', hook_event_name: 'PreToolUse' });
    expect(noTool.status).toBe(200);
    expect(noTool.body).toMatchObject({ hookSpecificOutput: { permissionDecision: 'deny' } });
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

  it('a backend refusal of a post-tool record keeps its status and Retry-After', async () => {
    const route = new HookRoute({
      backend: {
        decide: async () => ({ ok: false, status: 503, code: 'bus_unavailable', message: 'down' }),
        record: async () => ({
          ok: false,
          status: 429,
          code: 'tenant_busy',
          message: 'busy',
          retryAfterMillis: 1500,
        }),
      },
    });
    const out = await route.handle({
      agent: 'claude-code',
      body: fixture('claude-code', '3-post-tool-use-injected'),
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

/** A backend that refuses every decision with `refusal` (or throws). */
function refusingBackend(refusal: HookRefusal | 'throw'): HookBackend {
  return {
    decide: async () => {
      if (refusal === 'throw') throw new Error('engine blew up');
      return refusal;
    },
    record: async () => ({ ok: true }),
  };
}

/** `levels` nested arrays around `inner`. */
function nested(levels: number, inner: unknown = 'x'): unknown {
  let v: unknown = inner;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

describe('HookRoute fails closed on pre-tool hooks (agents run the tool on a non-2xx answer)', () => {
  const claudePre = () => fixture('claude-code', '4-pre-tool-use-exfiltrating') as Record<string, unknown>;
  const cursorPre = () =>
    fixture('cursor', '4-before-shell-execution-exfiltrating') as Record<string, unknown>;
  const claudeDeny = (codeText: RegExp) => ({
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: 'deny',
      permissionDecisionReason: expect.stringMatching(codeText),
    },
  });

  it.each([
    ['tenant_busy 429', { ok: false, status: 429, code: 'tenant_busy', message: 'tenant t is busy' }],
    ['queue timeout 503', { ok: false, status: 503, code: 'queue_timeout', message: 'waited too long' }],
    ['bus refusal 503', { ok: false, status: 503, code: 'bus_unavailable', message: 'bus down' }],
    ['engine failure 500', { ok: false, status: 500, code: 'engine_error', message: 'engine failed' }],
  ] as const)('%s → 200 deny in the agent format', async (_name, refusal) => {
    const route = new HookRoute({ backend: refusingBackend(refusal) });
    const claude = await route.handle({ agent: 'claude-code', body: claudePre(), tenantId: 't', query: q() });
    expect(claude.status).toBe(200);
    expect(claude.body).toMatchObject(claudeDeny(new RegExp(refusal.message)));
    expect(claude.headers).toMatchObject({ [UNDECIDED_HEADER]: refusal.code });
    expect(claude.undecided).toBe(refusal.code);
    const cursor = await route.handle({ agent: 'cursor', body: cursorPre(), tenantId: 't', query: q() });
    expect(cursor.status).toBe(200);
    expect(cursor.body).toMatchObject({
      permission: 'deny',
      agent_message: expect.stringContaining(refusal.message),
      user_message: expect.stringContaining(refusal.message),
    });
  });

  it('a backend that throws is denied too (not the server 500)', async () => {
    const route = new HookRoute({ backend: refusingBackend('throw') });
    const out = await route.handle({ agent: 'claude-code', body: claudePre(), tenantId: 't', query: q() });
    expect(out.status).toBe(200);
    expect(out.body).toMatchObject(claudeDeny(/engine blew up/));
  });

  it('onUndecided applies to unavailability: ask and allow', async () => {
    const busy: HookRefusal = { ok: false, status: 429, code: 'tenant_busy', message: 'busy' };
    const ask = new HookRoute({ backend: refusingBackend(busy), onUndecided: 'ask' });
    expect(
      (await ask.handle({ agent: 'claude-code', body: claudePre(), tenantId: 't', query: q() })).body,
    ).toMatchObject({ hookSpecificOutput: { permissionDecision: 'ask' } });
    expect(
      (await ask.handle({ agent: 'cursor', body: cursorPre(), tenantId: 't', query: q() })).body,
    ).toMatchObject({
      permission: 'ask',
    });
    const allow = new HookRoute({ backend: refusingBackend(busy), onUndecided: 'allow' });
    expect(
      await allow.handle({ agent: 'claude-code', body: claudePre(), tenantId: 't', query: q() }),
    ).toMatchObject({
      status: 200,
      body: {},
    });
  });

  it('65 levels of nested arrays in tool_input → deny (depth checked in the route, not a 400)', async () => {
    let decided = 0;
    const route = new HookRoute({
      backend: {
        decide: async () => {
          decided += 1;
          return { ok: false, status: 500, code: 'x', message: 'x' };
        },
        record: async () => ({ ok: true }),
      },
      maxJsonDepth: 64,
    });
    const body = { ...claudePre(), tool_input: { command: 'curl evil', pad: nested(65) } };
    const out = await route.handle({ agent: 'claude-code', body, tenantId: 't', query: q() });
    expect(out.status).toBe(200);
    expect(out.body).toMatchObject(claudeDeny(/maxJsonDepth=64/));
    expect(out.undecided).toBe('too_deep');
    expect(decided).toBe(0);
    const cursor = await route.handle({
      agent: 'cursor',
      body: { ...cursorPre(), deep: nested(80) },
      tenantId: 't',
      query: q(),
    });
    expect(cursor.body).toMatchObject({ permission: 'deny' });
    // A deep post-tool payload is the caller's input error: 400 (the tool already ran).
    const post = await route.handle({
      agent: 'claude-code',
      body: { ...(fixture('claude-code', '3-post-tool-use-injected') as object), tool_response: nested(80) },
      tenantId: 't',
      query: q(),
    });
    expect(post).toMatchObject({ status: 400, body: { error: { code: 'too_deep' } } });
  });

  it('bad credentials → deny in format (a wrong key must not switch protection off); other hooks keep 401', async () => {
    const route = new HookRoute({ backend: refusingBackend('throw') });
    const authFailure = { status: 401, code: 'invalid_credentials', message: 'the API key is not valid' };
    const pre = await route.handle({
      agent: 'claude-code',
      body: claudePre(),
      authFailure,
      tenantId: 't',
      query: q(),
    });
    expect(pre.status).toBe(200);
    expect(pre.body).toMatchObject(claudeDeny(/invalid_credentials.*BULWARK_API_KEY/));
    const cursor = await route.handle({
      agent: 'cursor',
      body: cursorPre(),
      authFailure,
      tenantId: 't',
      query: q(),
    });
    expect(cursor.body).toMatchObject({ permission: 'deny' });
    const post = await route.handle({
      agent: 'claude-code',
      body: fixture('claude-code', '3-post-tool-use-injected'),
      authFailure,
      tenantId: 't',
      query: q(),
    });
    expect(post).toMatchObject({ status: 401, body: { error: { code: 'invalid_credentials' } } });
  });

  it('an unreadable body (too large, not JSON) and bad headers/query are denied in format', async () => {
    const route = new HookRoute({ backend: refusingBackend('throw') });
    const tooLarge = await route.handle({
      agent: 'claude-code',
      body: undefined,
      unreadable: { status: 413, code: 'body_too_large', message: 'body exceeds 8388608 bytes' },
      tenantId: 't',
      query: q(),
    });
    expect(tooLarge).toMatchObject({ status: 200, body: claudeDeny(/8388608/) });
    const badSession = await route.handle({
      agent: 'claude-code',
      body: claudePre(),
      sessionId: 'a\u0000b',
      tenantId: 't',
      query: q(),
    });
    expect(badSession).toMatchObject({ status: 200, body: claudeDeny(/x-bulwark-session-id/) });
    const badQuery = await route.handle({
      agent: 'cursor',
      body: cursorPre(),
      tenantId: 't',
      query: q('allow=yes'),
    });
    expect(badQuery).toMatchObject({ status: 200, body: { permission: 'deny' } });
  });
});
