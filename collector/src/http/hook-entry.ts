import type { Logger } from 'pino';
import type { Authenticator } from '../authenticator.js';
import type { CollectorMetrics } from '../collector-metrics.js';
import type { CollectorConfig } from '../config.js';
import { HookRoute } from '../hooks/hook-route.js';
import { type CollectorReply, Reply } from './collector-reply.js';
import { type CollectorRequest, pathOf, queryOf } from './collector-request.js';
import { authHeaders, bodyErrorCode, contentKind } from './request-body.js';

export interface HookEntryDeps {
  config: CollectorConfig;
  metrics: CollectorMetrics;
  log: Logger;
  auth: Authenticator;
  hooks: HookRoute;
}

type Problem = { status: number; code: string; message: string };

/** A hook's JSON body, or the problem (status, code, message) for the route to answer in-format. */
async function readHookBody(
  req: CollectorRequest,
  config: CollectorConfig,
): Promise<{ ok: true; value: unknown } | { ok: false; problem: Problem }> {
  if (contentKind(req.headers) !== 'json') {
    req.discardBody();
    const message = 'send the body as Content-Type: application/json';
    return { ok: false, problem: { status: 415, code: 'unsupported_media_type', message } };
  }
  const body = await req.readBody(config);
  if (!body.ok)
    return {
      ok: false,
      problem: { status: body.status, code: bodyErrorCode(body.status), message: body.message },
    };
  try {
    return { ok: true, value: JSON.parse(body.body.toString('utf8')) };
  } catch (err) {
    const message = `body is not valid JSON: ${(err as Error).message}`;
    return { ok: false, problem: { status: 400, code: 'invalid_json', message } };
  }
}

/**
 * `POST /v1/hooks/<agent>`: a coding agent's hook payload in, its own answer format out. No early HTTP
 * error past the method: the agents run the tool on a non-2xx answer, so {@link HookRoute} answers every
 * problem of a pre-tool hook (credentials, body, depth) with a refusal in the agent's own format.
 *
 * @example
 * const reply = await hookEntry(deps)(bufferedRequest({ method: 'POST', url: '/v1/hooks/claude-code', headers, body }));
 */
export function hookEntry(deps: HookEntryDeps): (req: CollectorRequest) => Promise<CollectorReply> {
  const { config, metrics, log, auth, hooks } = deps;
  return async function handleHook(req) {
    const path = pathOf(req);
    if (req.method !== 'POST') {
      req.discardBody();
      return Reply.error(405, 'method_not_allowed', `${path} accepts POST only`, {}, { allow: 'POST' });
    }
    const authed = await auth.authenticate(req.headers);
    if (!authed.ok) metrics.authFailures.inc({ code: authed.code });
    const read = await readHookBody(req, config);
    const session = req.headers['x-bulwark-session-id'];
    const out = await hooks.handle({
      agent: HookRoute.agentOf(path),
      body: read.ok ? read.value : undefined,
      ...(read.ok ? {} : { unreadable: read.problem }),
      ...(authed.ok
        ? {}
        : {
            authFailure: {
              status: authed.status,
              code: authed.code,
              message: authed.message,
              ...(authed.status === 401 ? { headers: { 'www-authenticate': 'Bearer' } } : {}),
            },
          }),
      tenantId: (authed.ok ? authed.principal.tenantId : undefined) ?? config.tenantId,
      ...(typeof session === 'string' ? { sessionId: session } : {}),
      query: queryOf(req),
      forwardHeaders: authHeaders(req.headers),
    });
    if (out.undecided)
      log.warn({ path, code: out.undecided }, 'pre-tool hook answered without a verdict (refused)');
    const close: Record<string, string> =
      !read.ok && read.problem.status === 408 ? { connection: 'close' } : {};
    return Reply.json(out.status, out.body, { ...(out.headers ?? {}), ...close });
  };
}
