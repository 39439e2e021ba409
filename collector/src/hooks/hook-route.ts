import type { AgentEvent, Verdict, VerdictRequest } from '@bulwark/contracts';
import { formatZodIssues } from '@bulwark/contracts';
import { z } from 'zod';
import { jsonDepthOver } from '../verdict-limits.js';
import { claudeCodeHook } from './claude-code-hook.js';
import { cursorHook } from './cursor-hook.js';
import type { HookAdapter, HookAllowMode, HookFallbackDecision, HookParseResult } from './hook-adapter.js';

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

/** Why the HTTP layer could not authenticate or read a hook request (the route answers it in-format). */
export interface HookRequestProblem {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

/** One hook request, as the HTTP layer hands it over (parsed JSON, or why there is none). */
export interface HookRequest {
  /** `<agent>` of `/v1/hooks/<agent>`. */
  agent: string;
  body: unknown;
  /** The credentials were refused (401/403): a pre-tool hook is denied in the agent's format. */
  authFailure?: HookRequestProblem;
  /** The body could not be read or parsed (413, 408, invalid JSON): `body` is unset. */
  unreadable?: HookRequestProblem;
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
  /** Set when a pre-tool hook was answered without a verdict (the problem's code), for logs and metrics. */
  undecided?: string;
}

export interface HookRouteOptions {
  backend: HookBackend;
  /** Agent formats served. Default: Claude Code and Cursor. */
  adapters?: readonly HookAdapter[];
  /** Epoch ms clock for recorded events. Default `Date.now`. */
  nowMillis?: () => number;
  /** Deepest nesting (levels) of a hook payload; deeper pre-tool payloads are denied. Default 64. */
  maxJsonDepth?: number;
  /**
   * The answer to a pre-tool hook when the collector cannot decide (busy, bus refusing records, engine
   * failure). Default `deny`. Bad credentials and bad payloads are always denied: an injected model controls
   * the payload, so letting them through would be the bypass.
   */
  onUndecided?: HookFallbackDecision;
}

/** Response header naming why a pre-tool hook was answered without a verdict. */
export const UNDECIDED_HEADER = 'x-bulwark-undecided';

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
  private readonly maxJsonDepth: number;
  private readonly onUndecided: HookFallbackDecision;

  constructor(options: HookRouteOptions) {
    this.backend = options.backend;
    this.nowMillis = options.nowMillis ?? Date.now;
    this.maxJsonDepth = options.maxJsonDepth ?? 64;
    this.onUndecided = options.onUndecided ?? 'deny';
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

  /**
   * Answers one hook. Every problem with a pre-tool hook (or a payload that cannot be read, which may be one)
   * is answered 200 in the agent's format with a refusal and the reason: Claude Code and Cursor treat a
   * non-2xx answer from an HTTP hook as a non-blocking error and run the tool, so an HTTP error would fail
   * open. Other hooks keep the HTTP status (401, 400, 429, 503) for their callers.
   */
  async handle(req: HookRequest): Promise<HookReply> {
    const adapter = this.adapters.get(req.agent);
    if (!adapter)
      return error(
        404,
        'unknown_agent',
        `no hook format "${req.agent}": use /v1/hooks/${this.agents.join(' or /v1/hooks/')}`,
      );
    // An unreadable body may be a pre-tool hook (an 8 MiB tool input is one): refused as if it were.
    const preTool = req.unreadable !== undefined || adapter.isPreTool(req.body);
    const undecided = (problem: HookRequestProblem, decision: HookFallbackDecision = 'deny'): HookReply => {
      if (!preTool) return error(problem.status, problem.code, problem.message, problem.headers);
      return {
        status: 200,
        body: adapter.answerUndecided(
          decision,
          `Bulwark could not decide this tool call: ${problem.message}`,
        ),
        headers: { [UNDECIDED_HEADER]: problem.code },
        undecided: problem.code,
      };
    };
    if (req.authFailure)
      return undecided({
        ...req.authFailure,
        message: `the collector refused the hook's credentials (${req.authFailure.code}): ${req.authFailure.message}; check BULWARK_API_KEY`,
      });
    if (req.unreadable) return undecided(req.unreadable);
    const deep = jsonDepthOver(req.body, this.maxJsonDepth);
    if (deep)
      return undecided({
        status: 400,
        code: 'too_deep',
        message: `the hook payload is nested deeper than maxJsonDepth=${this.maxJsonDepth} levels (at ${deep.path})`,
      });
    const allowParam = req.query.get('allow') ?? 'allow';
    if (allowParam !== 'allow' && allowParam !== 'defer')
      return undecided({
        status: 400,
        code: 'invalid_query',
        message: `allow=${allowParam}: use allow=allow (default) or allow=defer`,
      });
    const allow: HookAllowMode = allowParam;
    if (req.sessionId !== undefined && !SessionHeaderSchema.safeParse(req.sessionId).success)
      return undecided({
        status: 400,
        code: 'invalid_session',
        message: 'x-bulwark-session-id must be 1-512 characters without control characters',
      });
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
          ? formatZodIssues(err, { root: '(event)' }).join('; ')
          : (err as Error).message;
      return undecided({
        status: 400,
        code: 'invalid_hook_payload',
        message: `${adapter.agent} hook payload is invalid: ${detail}`,
      });
    }
    if (!parsed.ok)
      return undecided({
        status: 400,
        code: 'invalid_hook_payload',
        message: `${adapter.agent} hook payload is invalid: ${parsed.message}`,
      });
    const step = parsed.step;
    if (step.kind === 'ignore') return { status: 200, body: adapter.answerNeutral(step) };
    if (step.kind === 'record') {
      const out = await this.backend.record(step.events, req.forwardHeaders);
      return out.ok ? { status: 200, body: adapter.answerNeutral(step) } : refusal(out);
    }
    let out: Awaited<ReturnType<HookBackend['decide']>>;
    try {
      out = await this.backend.decide({
        tenantId: req.tenantId,
        sessionId: step.sessionId,
        agentId: adapter.agent,
        toolCall: step.toolCall,
        events: step.events,
        timestampMillis: this.nowMillis(),
      });
    } catch (err) {
      // A throw here would become the server's 500, which the agent reads as "run the tool".
      out = {
        ok: false,
        status: 500,
        code: 'engine_error',
        message: `deciding failed: ${(err as Error).message}`,
      };
    }
    if (!out.ok) return undecided(out, this.onUndecided);
    return { status: 200, body: adapter.answerVerdict(step, out.verdict, allow) };
  }
}
