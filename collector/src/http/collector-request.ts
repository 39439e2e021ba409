import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { type BodyLimits, type BodyResult, discardRest, readBody } from './read-body.js';

/**
 * One request as the routes see it: no socket. The body stays unread until a route asks for it, so a route
 * refuses bad credentials or a bad media type before reading (and then drops) a large body.
 */
export interface CollectorRequest {
  method: string;
  /** Path and query as sent, e.g. `/v1/hooks/claude-code?event=pre`. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The peer's address, for the IP filter. */
  remoteAddress: string;
  /** Reads (and decompresses) the body within `limits`; never throws. Call at most once. */
  readBody(limits: BodyLimits): Promise<BodyResult>;
  /** Drops what is left of the body after an early answer, so the client reads the answer. */
  discardBody(): void;
}

/** The path of `req.url`, without the query string. */
export function pathOf(req: Pick<CollectorRequest, 'url'>): string {
  return req.url.split('?')[0]!;
}

/** The query string of `req.url`. */
export function queryOf(req: Pick<CollectorRequest, 'url'>): URLSearchParams {
  return new URL(req.url, 'http://localhost').searchParams;
}

/**
 * The node:http request behind a {@link CollectorRequest}.
 *
 * @example
 * const reply = await routes.handle(nodeRequest(req));
 */
export function nodeRequest(req: IncomingMessage): CollectorRequest {
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: req.headers,
    remoteAddress: req.socket.remoteAddress ?? '',
    readBody: (limits) => readBody(req, limits),
    discardBody: () => discardRest(req),
  };
}

/**
 * A request whose body is already in memory: for tests and in-process callers. A body larger than
 * `maxBodyBytes` reads as 413, as on a socket; Content-Encoding is not undone.
 *
 * @example
 * const reply = await verdictRoute(deps)(bufferedRequest({ method: 'POST', url: '/v1/verdicts',
 *   headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) }));
 */
export function bufferedRequest(init: {
  method: string;
  url: string;
  headers?: IncomingHttpHeaders;
  body?: string | Buffer;
  remoteAddress?: string;
}): CollectorRequest {
  const body = typeof init.body === 'string' ? Buffer.from(init.body) : (init.body ?? Buffer.alloc(0));
  return {
    method: init.method,
    url: init.url,
    headers: init.headers ?? {},
    remoteAddress: init.remoteAddress ?? '127.0.0.1',
    readBody: async (limits) =>
      body.length > limits.maxBodyBytes
        ? {
            ok: false,
            status: 413,
            message: `body exceeds maxBodyBytes=${limits.maxBodyBytes}: send smaller batches`,
          }
        : { ok: true, body },
    discardBody: () => {},
  };
}
