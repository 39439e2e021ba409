import { type ApprovalStatus, approvalId } from '@bulwark/contracts';
import { diag } from '@opentelemetry/api';
import { Pool } from 'undici';
import { collectorEndpoint, DEFAULT_COLLECTOR_URL } from './collector-url.js';
import {
  type ApprovalHandler,
  type ApprovalRequest,
  OptionChecker,
  warnUnknownOptions,
} from './session-options.js';

/** Options of {@link CollectorApprovals}. */
export interface CollectorApprovalsOptions {
  /**
   * The collector's base URL, as for `RemoteVerdictProvider` (`/v1/approvals/wait` is appended). Env
   * `BULWARK_VERDICT_URL`. Default `http://127.0.0.1:4318`.
   */
  url?: string;
  /** How long a call waits for a human before it is refused, ms. Default 300 000 (the worker's default). */
  timeoutMillis?: number;
  /** Extra headers (API key). Env `BULWARK_API_KEY` adds `authorization: Bearer <key>`. */
  headers?: Record<string, string>;
}

const OPTION_KEYS = { url: true, timeoutMillis: true, headers: true } as const satisfies Record<
  keyof CollectorApprovalsOptions,
  true
>;

const POLL_MILLIS = 25_000;
const RETRY_MILLIS = 1_000;

/**
 * Waits for an approver's answer to a `require_approval` verdict through the collector: the worker sends the
 * request to the approver channel, the approver posts `{approvalId, decision}` to `POST /v1/approvals`, and this
 * handler long-polls `POST /v1/approvals/wait` until the answer comes or `timeoutMillis` passes. Fails closed:
 * no answer, an unreachable collector or a shut-down handler refuse the call. Never throws.
 *
 * @example
 * const approvals = new CollectorApprovals({ url: 'http://127.0.0.1:4318', timeoutMillis: 120_000 });
 * instrumentMcpClient(client, { verdictProvider, onApprovalRequired: approvals.handler });
 */
export class CollectorApprovals {
  readonly origin: string;
  private readonly waitPath: string;
  readonly timeoutMillis: number;
  private readonly headers: Record<string, string>;
  private readonly pool: Pool;
  private closed = false;
  private readonly polls = new Set<AbortController>();

  constructor(
    options: CollectorApprovalsOptions = {},
    env: Record<string, string | undefined> = process.env,
  ) {
    warnUnknownOptions('CollectorApprovals', options, OPTION_KEYS);
    const c = new OptionChecker('CollectorApprovals options', env);
    const url = collectorEndpoint(
      c.url('url', options.url, 'BULWARK_VERDICT_URL') ?? new URL(DEFAULT_COLLECTOR_URL),
      '/v1/approvals/wait',
    );
    this.waitPath = url.pathname + url.search;
    this.timeoutMillis = c.int('timeoutMillis', options.timeoutMillis, undefined, 1, 86_400_000, 300_000);
    c.throwIfInvalid();
    this.origin = url.origin;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
    if (env.BULWARK_API_KEY && headers.authorization === undefined)
      headers.authorization = `Bearer ${env.BULWARK_API_KEY}`;
    headers['content-type'] = 'application/json';
    this.headers = headers;
    // One connection per concurrently waiting call, up to 16.
    this.pool = new Pool(url.origin, {
      connections: 16,
      keepAliveTimeout: 30_000,
      bodyTimeout: POLL_MILLIS + 10_000,
    });
  }

  /** The `onApprovalRequired` handler. */
  readonly handler: ApprovalHandler = async (request: ApprovalRequest) => {
    // Exactly the verdict's fields, as the worker computes it; the guard already refuses changed arguments.
    const id = approvalId(request.verdict);
    const deadline = Date.now() + this.timeoutMillis;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const status = await this.ask(id, Math.min(POLL_MILLIS, left));
      if (status?.status === 'decided') return status.decision === 'allow';
      if (status === undefined)
        await new Promise((r) => setTimeout(r, Math.min(RETRY_MILLIS, Math.max(0, left))));
    }
    diag.warn(`@bulwark/agent-sdk: no approval for tool call ${request.toolCallId} in time; refused`);
    return false;
  };

  private async ask(id: string, waitMillis: number): Promise<ApprovalStatus | undefined> {
    const abort = new AbortController();
    this.polls.add(abort);
    try {
      const res = await this.pool.request({
        path: this.waitPath,
        method: 'POST',
        headers: this.headers,
        body: JSON.stringify({ approvalId: id, waitMillis }),
        headersTimeout: waitMillis + 10_000,
        signal: abort.signal,
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) {
        diag.warn(`@bulwark/agent-sdk: approval wait answered ${res.statusCode}: ${text.slice(0, 200)}`);
        return undefined;
      }
      const body = JSON.parse(text) as ApprovalStatus;
      return body.status === 'decided' || body.status === 'pending' ? body : undefined;
    } catch (err) {
      if (!this.closed) diag.warn(`@bulwark/agent-sdk: approval wait failed: ${(err as Error).message}`);
      return undefined;
    } finally {
      this.polls.delete(abort);
    }
  }

  /** Refuses every waiting and later call, and closes the connections. */
  async shutdown(): Promise<void> {
    this.closed = true;
    // Waiting calls are refused now, not after their long-poll ends.
    for (const p of this.polls) p.abort();
    await this.pool.destroy().catch(() => {});
  }

  async forceFlush(): Promise<void> {}
}
