import type { AgentEvent, Verdict, VerdictRequest } from '@bulwark/contracts';
import { z } from 'zod';
import { claudeCodeHook } from './claude-code-hook.js';
import { cursorHook } from './cursor-hook.js';
import type { HookAdapter, HookAllowMode, HookParseResult } from './hook-adapter.js';

/** Why the backend could not decide or record: the route answers this HTTP status with Retry-After. */
export interface HookRefusal {
  ok: false;
  status: 429 | 500 | 503;
  code: string;
  message: string;
  retryAfterMillis?: number;
}

/** Where hook steps go: the collector's verdict service and event ingest (a fake in tests). */
export interface HookBackend {
  /** Decides a tool call in the session state (its events applied first). */
  decide(request: VerdictRequest): Promise<{ ok: true; verdict: Verdict } | HookRefusal>;
  /** Records events (published and applied to the session state) so later calls see them. */
  record(
    events: AgentEvent[],
    forwardHeaders?: Record<string, string | undefined>,
  ): Promise<{ ok: true } | HookRefusal>;
}

/** One hook request, as the HTTP layer hands it over (already authenticated and parsed). */
export interface HookRequest {
  /** `<agent>` of `/v1/hooks/<agent>`. */
  agent: string;
  body: unknown;
  tenantId: string;
  /** `x-bulwark-session-id`: put the hook's calls into this session (e.g. the one `bulwark proxy` records). */
  sessionId?: string;
  query: URLSearchParams;
  /** The caller's credentials, for forwarding events to the instance owning the session. */
  forwardHeaders?: Record<string, string | undefined>;
}

/** The answer: a status and a JSON body (the agent's own format on 200). */
export interface HookReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface HookRouteOptions {
  backend: HookBackend;
  /** Agent formats served. Default: Claude Code and Cursor. */
  adapters?: readonly HookAdapter[];
  /** Epoch ms clock for recorded events. Default `Date.now`. */
  nowMillis?: () => number;
}

const SessionHeaderSchema = z
  .string()
  .min(1)
  .max(512)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  .regex(/^[^\u0000-\u001F\u007F]+$/);

function error(status: number, code: string, message: string, headers?: Record<string, string>): HookReply {
  return { status, body: { error: { code, message } }, ...(headers ? { headers } : {}) };
}

function refusal(r: HookRefusal): HookReply {
  const headers =
    r.retryAfterMillis !== undefined
      ? { 'retry-after': String(Math.max(1, Math.ceil(r.retryAfterMillis / 1000))) }
      : undefined;
  return error(r.status, r.code, r.message, headers);
}

/**
 * `POST /v1/hooks/<agent>`: coding agents' pre-tool hooks ask for a verdict here and get it back in their own
 * format; their post-tool (and prompt) hooks record what happened, so a later call is decided on the
 * provenance of what the agent read. Decisions come from the same session state as `/v1/verdicts`.
 * The query `allow=defer` answers allowed calls with the agent's neutral answer instead of an explicit
 * allow, so the agent's own permission prompts still apply.
 *
 * @example
 * const route = new HookRoute({ backend });
 * const reply = await route.handle({ agent: 'claude-code', body: payload, tenantId: 'default', query: new URLSearchParams() });
 */
export class HookRoute {
  static readonly PREFIX = '/v1/hooks/';
  private readonly adapters: ReadonlyMap<string, HookAdapter>;
  private readonly backend: HookBackend;
  private readonly nowMillis: () => number;

  constructor(options: HookRouteOptions) {
    this.backend = options.backend;
    this.nowMillis = options.nowMillis ?? Date.now;
    this.adapters = new Map((options.adapters ?? [claudeCodeHook, cursorHook]).map((a) => [a.agent, a]));
  }

  /** True for `/v1/hooks/<agent>` paths (any agent: an unknown one is answered 404 with the known ones). */
  static matches(path: string): boolean {
    return path.startsWith(HookRoute.PREFIX) && path.length > HookRoute.PREFIX.length;
  }

  /** The agent segment of a hook path. */
  static agentOf(path: string): string {
    return decodeURIComponent(path.slice(HookRoute.PREFIX.length).replace(/\/+$/, ''));
  }

  /** Agents served, for errors and docs. */
  get agents(): string[] {
    return [...this.adapters.keys()];
  }

  async handle(req: HookRequest): Promise<HookReply> {
    const adapter = this.adapters.get(req.agent);
    if (!adapter)
      return error(
        404,
        'unknown_agent',
        `no hook format "${req.agent}": use /v1/hooks/${this.agents.join(' or /v1/hooks/')}`,
      );
    const allowParam = req.query.get('allow') ?? 'allow';
    if (allowParam !== 'allow' && allowParam !== 'defer')
      return error(400, 'invalid_query', `allow=${allowParam}: use allow=allow (default) or allow=defer`);
    const allow: HookAllowMode = allowParam;
    if (req.sessionId !== undefined && !SessionHeaderSchema.safeParse(req.sessionId).success)
      return error(
        400,
        'invalid_session',
        'x-bulwark-session-id must be 1-512 characters without control characters',
      );
    let parsed: HookParseResult;
    try {
      parsed = adapter.parse(req.body, {
        tenantId: req.tenantId,
        ...(req.sessionId ? { sessionId: req.sessionId } : {}),
        receivedAtMillis: this.nowMillis(),
      });
    } catch (err) {
      // Schema refusals (an id too long, text with no UTF-8 form) are the caller's input, not a crash.
      const detail =
        err instanceof z.ZodError
          ? err.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; ')
          : (err as Error).message;
      return error(400, 'invalid_hook_payload', `${adapter.agent} hook payload is invalid: ${detail}`);
    }
    if (!parsed.ok)
      return error(
        400,
        'invalid_hook_payload',
        `${adapter.agent} hook payload is invalid: ${parsed.message}`,
      );
    const step = parsed.step;
    if (step.kind === 'ignore') return { status: 200, body: adapter.answerNeutral(step) };
    if (step.kind === 'record') {
      const out = await this.backend.record(step.events, req.forwardHeaders);
      return out.ok ? { status: 200, body: adapter.answerNeutral(step) } : refusal(out);
    }
    const out = await this.backend.decide({
      tenantId: req.tenantId,
      sessionId: step.sessionId,
      agentId: adapter.agent,
      toolCall: step.toolCall,
      events: step.events,
      timestampMillis: this.nowMillis(),
    });
    if (!out.ok) return refusal(out);
    return { status: 200, body: adapter.answerVerdict(step, out.verdict, allow) };
  }
}
