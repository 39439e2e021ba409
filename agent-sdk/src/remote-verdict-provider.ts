import { performance } from 'node:perf_hooks';
import {
  type FallbackKind,
  formatZodIssues,
  type Verdict,
  type VerdictProvider,
  type VerdictRequest,
  VerdictSchema,
} from '@bulwark/contracts';
import { diag } from '@opentelemetry/api';
import { Pool } from 'undici';
import { collectorEndpoint, DEFAULT_COLLECTOR_URL } from './collector-url.js';
import { fallbackVerdict } from './fallback-verdict.js';
import { OptionChecker, warnUnknownOptions } from './session-options.js';

/** Default verdict endpoint: the Bulwark collector on this host. */
export const DEFAULT_VERDICT_URL = 'http://127.0.0.1:4318/v1/verdicts';

/** Options of {@link RemoteVerdictProvider}. Code options win over `BULWARK_*` environment variables. */
export interface RemoteVerdictProviderOptions {
  /**
   * The collector's base URL; `/v1/verdicts` is appended (a full `…/v1/verdicts` or `…/v1/traces` URL is
   * accepted too). Env `BULWARK_VERDICT_URL`. Default `http://127.0.0.1:4318`.
   */
  url?: string;
  /** Deadline for the whole request, ms. Env `BULWARK_VERDICT_TIMEOUT_MILLIS`. Default 250. */
  timeoutMillis?: number;
  /** Extra headers (API key, bearer token). Env `BULWARK_API_KEY` adds `authorization: Bearer <key>`. */
  headers?: Record<string, string>;
  /** Decision when no valid verdict arrives in time. Env `BULWARK_ON_VERDICT_UNAVAILABLE`. Default `'block'`. */
  onVerdictUnavailable?: 'allow' | 'block';
  /** Keep-alive connections to the collector. Default 4. */
  connections?: number;
  /** Largest accepted response body. Default 1 MiB. */
  maxResponseBytes?: number;
}

const OPTION_KEYS = {
  url: true,
  timeoutMillis: true,
  headers: true,
  onVerdictUnavailable: true,
  connections: true,
  maxResponseBytes: true,
} as const satisfies Record<keyof RemoteVerdictProviderOptions, true>;

class UnusableAnswerError extends Error {}

/** undici's own deadline errors: the collector did not answer in time. */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * Asks the collector's `POST /v1/verdicts` before each tool call, over a keep-alive undici pool. Never
 * rejects: a timeout, connection error, non-200 answer or invalid body yields a `source: 'fallback'`
 * verdict with the `onVerdictUnavailable` decision.
 *
 * @example
 * const provider = new RemoteVerdictProvider({ url: 'http://127.0.0.1:4318', headers: { authorization: 'Bearer key' } });
 * instrumentMcpClient(client, { verdictProvider: provider });
 */
export class RemoteVerdictProvider implements VerdictProvider {
  readonly url: URL;
  readonly timeoutMillis: number;
  readonly onVerdictUnavailable: 'allow' | 'block';
  private readonly headers: Record<string, string>;
  private readonly maxResponseBytes: number;
  private readonly pool: Pool;
  private closed = false;

  constructor(
    options: RemoteVerdictProviderOptions = {},
    env: Record<string, string | undefined> = process.env,
  ) {
    warnUnknownOptions('RemoteVerdictProvider', options, OPTION_KEYS);
    const c = new OptionChecker('RemoteVerdictProvider options', env);
    const url = collectorEndpoint(
      c.url('url', options.url, 'BULWARK_VERDICT_URL') ?? new URL(DEFAULT_COLLECTOR_URL),
      '/v1/verdicts',
    );
    this.url = url;
    this.timeoutMillis = c.int(
      'timeoutMillis',
      options.timeoutMillis,
      'BULWARK_VERDICT_TIMEOUT_MILLIS',
      1,
      600_000,
      250,
    );
    this.onVerdictUnavailable = c.oneOf(
      'onVerdictUnavailable',
      options.onVerdictUnavailable,
      'BULWARK_ON_VERDICT_UNAVAILABLE',
      ['allow', 'block'],
      'block',
    );
    const connections = c.int('connections', options.connections, undefined, 1, 1024, 4);
    this.maxResponseBytes = c.int(
      'maxResponseBytes',
      options.maxResponseBytes,
      undefined,
      1024,
      64 * 1024 * 1024,
      1 << 20,
    );
    if (
      options.headers !== undefined &&
      (typeof options.headers !== 'object' ||
        options.headers === null ||
        Object.values(options.headers).some((v) => typeof v !== 'string'))
    )
      c.issues.push('headers: must be an object of string values');
    c.throwIfInvalid();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
    const apiKey = env.BULWARK_API_KEY;
    if (apiKey && headers.authorization === undefined) headers.authorization = `Bearer ${apiKey}`;
    headers['content-type'] = 'application/json';
    headers.accept = 'application/json';
    this.headers = headers;
    this.pool = new Pool(url.origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connectTimeout: this.timeoutMillis,
      headersTimeout: this.timeoutMillis,
      bodyTimeout: this.timeoutMillis,
    });
  }

  async decide(request: VerdictRequest): Promise<Verdict> {
    const started = performance.now();
    const fallback = (why: string, kind: FallbackKind) => {
      diag.warn(`@bulwark/agent-sdk: verdict from ${this.url.href} unavailable: ${why}`);
      return fallbackVerdict(
        request,
        this.onVerdictUnavailable,
        why,
        (performance.now() - started) * 1000,
        kind,
      );
    };
    if (this.closed) return fallback('provider is shut down', 'unavailable');
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.timeoutMillis);
    timer.unref?.();
    try {
      const res = await this.pool.request({
        path: this.url.pathname + this.url.search,
        method: 'POST',
        headers: this.headers,
        body: JSON.stringify(request),
        signal: abort.signal,
      });
      const text = await this.readBody(res.body);
      if (res.statusCode !== 200)
        return fallback(
          `HTTP ${res.statusCode}: ${text.slice(0, 200)}`,
          // 503 is the collector saying it cannot decide now (starting, overloaded); others are answers.
          res.statusCode === 503 ? 'unavailable' : 'error',
        );
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return fallback('response body is not JSON', 'error');
      }
      const parsed = VerdictSchema.safeParse(json);
      if (!parsed.success)
        return fallback(`invalid verdict: ${formatZodIssues(parsed.error).join('; ')}`, 'error');
      if (parsed.data.toolCallId !== request.toolCall.toolCallId)
        return fallback(
          `verdict is for tool call ${parsed.data.toolCallId}, not ${request.toolCall.toolCallId}`,
          'error',
        );
      return { ...parsed.data, source: 'remote' };
    } catch (err) {
      if (abort.signal.aborted || TIMEOUT_CODES.has((err as { code?: string })?.code ?? ''))
        return fallback(`no answer within ${this.timeoutMillis} ms`, 'timeout');
      if (err instanceof UnusableAnswerError) return fallback(err.message, 'error');
      return fallback(`request failed: ${err instanceof Error ? err.message : String(err)}`, 'unavailable');
    } finally {
      clearTimeout(timer);
    }
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.pool.close();
    } catch (err) {
      diag.warn('@bulwark/agent-sdk: closing the verdict connection pool failed', err);
    }
  }

  private async readBody(body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown }): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.length;
      if (size > this.maxResponseBytes) {
        body.destroy();
        throw new UnusableAnswerError(`response body larger than ${this.maxResponseBytes} bytes`);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}
