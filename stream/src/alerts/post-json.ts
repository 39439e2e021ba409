import { errorMessage } from '../logger.js';

/** What one HTTP POST gave, as a value: never throws. */
export type PostOutcome =
  | { ok: true; status: number; body: string }
  | {
      ok: false;
      /** HTTP status, or 0 when there was no answer (network error, timeout). */
      status: number;
      body: string;
      /** Worth trying again: no answer, 408, 425, 429 or 5xx. */
      retriable: boolean;
      /** From `Retry-After` when the server sent one. */
      retryAfterMillis: number | undefined;
      message: string;
    };

export interface PostJsonOptions {
  headers?: Record<string, string>;
  timeoutMillis: number;
  /** Statuses that mean success. Default: any 2xx. */
  okStatuses?: readonly number[];
  /** Clock for `Retry-After` dates. */
  now?: () => number;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, nowMillis: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - nowMillis) : undefined;
}

const MAX_BODY_CHARS = 4096;

/**
 * POSTs a body (already serialized JSON) with a timeout, via Node's fetch (undici). Classifies the outcome
 * for retries. The response body is read and capped so a chatty error page cannot fill memory.
 *
 * @example
 * const res = await postJson('https://hooks.slack.com/services/T/B/X', JSON.stringify(msg), { timeoutMillis: 5000 });
 * if (!res.ok && res.retriable) retryLater(res.retryAfterMillis);
 */
export async function postJson(url: string, body: string, options: PostJsonOptions): Promise<PostOutcome> {
  const now = options.now ?? Date.now;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'bulwark-alerts', ...options.headers },
      body,
      signal: AbortSignal.timeout(options.timeoutMillis),
      redirect: 'error',
    });
  } catch (err) {
    const timedOut = (err as { name?: string })?.name === 'TimeoutError';
    return {
      ok: false,
      status: 0,
      body: '',
      retriable: true,
      retryAfterMillis: undefined,
      message: timedOut
        ? `no answer within ${options.timeoutMillis} ms`
        : `request failed: ${errorMessage(err)}`,
    };
  }
  let text = '';
  try {
    text = (await res.text()).slice(0, MAX_BODY_CHARS);
  } catch {
    // The status is what matters; a broken body stream is not worth failing the delivery over.
  }
  const ok = options.okStatuses
    ? options.okStatuses.includes(res.status)
    : res.status >= 200 && res.status < 300;
  if (ok) return { ok: true, status: res.status, body: text };
  const retriable = res.status === 408 || res.status === 425 || res.status === 429 || res.status >= 500;
  return {
    ok: false,
    status: res.status,
    body: text,
    retriable,
    retryAfterMillis: parseRetryAfter(res.headers.get('retry-after'), now()),
    message: `HTTP ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}`,
  };
}
