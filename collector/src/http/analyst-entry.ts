import type { Authenticator, AuthResult } from '../authenticator.js';
import type { CollectorMetrics } from '../collector-metrics.js';
import type { CollectorConfig } from '../config.js';
import { configAuthenticator } from '../config-authenticator.js';
import type { AnalystRoutes } from './analyst-routes.js';
import type { CollectorReply } from './collector-reply.js';
import { type CollectorRequest, pathOf, queryOf } from './collector-request.js';
import { readJson } from './request-body.js';

export interface AnalystEntryDeps {
  config: CollectorConfig;
  metrics: CollectorMetrics;
  /** The agents' authenticator: with it and analyst keys both off (loopback), the view is open like the API. */
  auth: Authenticator;
  analyst: AnalystRoutes;
}

/**
 * The analyst view's door (`GET /`, `/api/*`): analyst credentials only, since an injected agent with a shell
 * and its own BULWARK_API_KEY must not read other sessions' captured content. Pages answer a sign-in page
 * instead of a JSON 401 ({@link AnalystRoutes} decides from the auth result).
 *
 * @example
 * const reply = await analystEntry(deps)(bufferedRequest({ method: 'GET', url: '/api/report' }));
 */
export function analystEntry(deps: AnalystEntryDeps): (req: CollectorRequest) => Promise<CollectorReply> {
  const { config, metrics, auth, analyst } = deps;
  const analystAuth = configAuthenticator(config, config.analystKeys, {
    name: config.jwtAnalystClaim,
    value: 'analyst',
  });
  const hint = `use an analyst key (BULWARK_ANALYST_KEYS) or a token whose "${config.jwtAnalystClaim}" claim is "analyst"`;

  /** Agent credentials get 403 saying which to use. */
  async function authenticateAnalyst(req: CollectorRequest): Promise<AuthResult> {
    if (!auth.enabled && !analystAuth.enabled) return auth.authenticate(req.headers);
    const result = analystAuth.enabled
      ? await analystAuth.authenticate(req.headers)
      : ({
          ok: false,
          status: 403,
          code: 'analyst_view_disabled',
          message: `no analyst credentials are configured: set BULWARK_ANALYST_KEYS (or issue tokens whose "${config.jwtAnalystClaim}" claim is "analyst")`,
        } as const);
    if (result.ok) return result;
    if (auth.enabled && (await auth.authenticate(req.headers)).ok)
      return {
        ok: false,
        status: 403,
        code: 'analyst_credentials_required',
        message: `agent credentials cannot read the analyst view: ${hint}`,
      };
    return result;
  }

  return async function handleAnalyst(req) {
    const result = await authenticateAnalyst(req);
    if (!result.ok) metrics.authFailures.inc({ code: result.code });
    let body: unknown;
    if (req.method === 'POST' && result.ok) {
      const json = await readJson(req, config);
      if (!json.ok) return json.reply;
      body = json.value;
    } else req.discardBody();
    const out = await analyst.handle({
      method: req.method,
      path: pathOf(req),
      query: queryOf(req),
      auth: result,
      body,
    });
    return {
      status: out.status,
      headers: { ...out.headers, 'content-length': Buffer.byteLength(out.body) },
      body: out.body,
    };
  };
}
