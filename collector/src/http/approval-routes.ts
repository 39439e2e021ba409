import { ApprovalAnswerSchema, ApprovalWaitSchema } from '@bulwark/contracts';
import type { Logger } from 'pino';
import type { ApprovalDesk } from '../approval-desk.js';
import { Authenticator } from '../authenticator.js';
import type { CollectorMetrics } from '../collector-metrics.js';
import type { CollectorConfig } from '../config.js';
import { type CollectorReply, Reply } from './collector-reply.js';
import type { CollectorRequest } from './collector-request.js';
import { issuesText, readJson } from './request-body.js';
import { authenticate } from './route-support.js';

export interface ApprovalRoutesDeps {
  config: CollectorConfig;
  metrics: CollectorMetrics;
  log: Logger;
  /** The agents' authenticator: waiting agents use their own credentials. */
  auth: Authenticator;
  desk: ApprovalDesk;
  /** True once the collector shuts down: a wait then answers at once. */
  isClosing: () => boolean;
}

type Handler = (req: CollectorRequest) => Promise<CollectorReply>;

/**
 * `POST /v1/approvals` (an approver answers a require_approval verdict, with approver keys only: agent
 * credentials never approve, an injected agent could) and `POST /v1/approvals/wait` (the agent long-polls).
 *
 * @example
 * const { answer, wait } = approvalRoutes(deps);
 * const reply = await wait(bufferedRequest({ method: 'POST', url: '/v1/approvals/wait', headers, body }));
 */
export function approvalRoutes(deps: ApprovalRoutesDeps): { answer: Handler; wait: Handler } {
  const { config, metrics, log, desk } = deps;
  const approverAuth = new Authenticator({
    apiKeys: config.approverKeys,
    tenantId: config.tenantId,
    jwtTenantClaim: config.jwtTenantClaim,
  });

  async function answer(req: CollectorRequest): Promise<CollectorReply> {
    if (config.approverKeys.length === 0) {
      req.discardBody();
      return Reply.error(
        403,
        'approvals_disabled',
        'no approver credentials are configured: set BULWARK_APPROVER_KEYS and give one to the approvers',
      );
    }
    const approver = await approverAuth.authenticate(req.headers);
    if (!approver.ok) {
      metrics.authFailures.inc({ code: approver.code });
      req.discardBody();
      return Reply.error(
        approver.status,
        approver.code,
        `approver credentials required: ${approver.message}`,
      );
    }
    const json = await readJson(req, config);
    if (!json.ok) return json.reply;
    const parsed = ApprovalAnswerSchema.safeParse(json.value);
    if (!parsed.success)
      return Reply.error(400, 'invalid_request', `approval answer is invalid: ${issuesText(parsed.error)}`);
    // Approver keys are the operator's: the answer names the tenant of the request it answers (a JWT tenant's
    // agent waits under its own tenant, not BULWARK_TENANT_ID).
    const { tenantId: answeredTenant, ...rest } = parsed.data;
    const tenantId = answeredTenant ?? approver.principal.tenantId ?? config.tenantId;
    const outcome = desk.record(tenantId, rest);
    if (!outcome.ok) {
      if (outcome.code !== 'desk_full') return Reply.error(409, outcome.code, outcome.message);
      const retry = { 'retry-after': String(outcome.retryAfterSeconds) };
      return Reply.error(503, outcome.code, outcome.message, {}, retry);
    }
    const { approvalId, decision, approver: who } = parsed.data;
    log.info({ tenantId, approvalId, decision, approver: who }, 'approval answered');
    return Reply.json(200, { status: outcome.status, waitersReleased: outcome.waitersReleased });
  }

  async function wait(req: CollectorRequest): Promise<CollectorReply> {
    const authed = await authenticate(deps.auth, metrics, req);
    if (!authed.ok) return authed.reply;
    const json = await readJson(req, config);
    if (!json.ok) return json.reply;
    const parsed = ApprovalWaitSchema.safeParse(json.value);
    if (!parsed.success)
      return Reply.error(400, 'invalid_request', `approval wait is invalid: ${issuesText(parsed.error)}`);
    const tenantId = authed.principal.tenantId ?? config.tenantId;
    const millis = deps.isClosing() ? 0 : parsed.data.waitMillis;
    const waiting = desk.wait(tenantId, parsed.data.approvalId, millis);
    if (!waiting.ok) {
      const retry = { 'retry-after': String(waiting.retryAfterSeconds) };
      return Reply.error(429, waiting.code, waiting.message, {}, retry);
    }
    return Reply.json(200, await waiting.status);
  }

  return { answer, wait };
}
