import type { IncomingHttpHeaders } from 'node:http';
import { formatZodIssues } from '@bulwark/contracts';
import type { z } from 'zod';
import type { CollectorConfig } from '../config.js';
import { jsonDepthOver } from '../verdict-limits.js';
import { type CollectorReply, Reply } from './collector-reply.js';
import type { CollectorRequest } from './collector-request.js';

/** A step that either yields a value or ends the request with a reply. */
export type Step<T> = ({ ok: true } & T) | { ok: false; reply: CollectorReply };

type BodyConfig = Pick<
  CollectorConfig,
  'maxBodyBytes' | 'maxDecompressedBytes' | 'bodyIdleTimeoutMillis' | 'requestTimeoutMillis' | 'maxJsonDepth'
>;

/** The request's body encoding from its Content-Type, or undefined when the collector does not read it. */
export function contentKind(headers: IncomingHttpHeaders): 'protobuf' | 'json' | undefined {
  const ct = String(headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (ct === 'application/x-protobuf' || ct === 'application/protobuf') return 'protobuf';
  if (ct === 'application/json') return 'json';
  return undefined;
}

/** The caller's credentials, to forward with its request to a peer. */
export function authHeaders(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const a = headers.authorization;
  const k = headers['x-api-key'];
  return {
    authorization: typeof a === 'string' ? a : undefined,
    'x-api-key': typeof k === 'string' ? k : undefined,
  };
}

/** The error code of a body that could not be read. */
export function bodyErrorCode(status: number): string {
  return status === 413 ? 'body_too_large' : status === 408 ? 'body_timeout' : 'invalid_body';
}

/** The first ten issues of a zod error, as one line. */
export function issuesText(error: z.ZodError): string {
  return formatZodIssues(error, { root: '(body)', limit: 10 }).join('; ');
}

/** The JSON body's bytes (not parsed: parsing is CPU work, done in the caller's turn). */
export async function readJsonBody(
  req: CollectorRequest,
  config: BodyConfig,
): Promise<Step<{ raw: Buffer }>> {
  if (contentKind(req.headers) !== 'json') {
    req.discardBody();
    return {
      ok: false,
      reply: Reply.error(415, 'unsupported_media_type', 'send the body as Content-Type: application/json'),
    };
  }
  const body = await req.readBody(config);
  if (!body.ok) {
    // 408: the client stalled, close. 413: no close, the rest is drained so the client reads the answer.
    const close: Record<string, string> = body.status === 408 ? { connection: 'close' } : {};
    return {
      ok: false,
      reply: Reply.error(body.status, bodyErrorCode(body.status), body.message, {}, close),
    };
  }
  return { ok: true, raw: body.body };
}

/** The parsed JSON, or a 400 `invalid_json`. */
export function parseJson(raw: Buffer): Step<{ value: unknown }> {
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) };
  } catch (err) {
    return {
      ok: false,
      reply: Reply.error(400, 'invalid_json', `body is not valid JSON: ${(err as Error).message}`),
    };
  }
}

/** 400 `too_deep` for a body nested past maxJsonDepth (it would overflow recursive hashing later). */
export function checkDepth(value: unknown, maxJsonDepth: number): CollectorReply | undefined {
  const deep = jsonDepthOver(value, maxJsonDepth);
  if (!deep) return undefined;
  return Reply.error(
    400,
    'too_deep',
    `body is nested deeper than maxJsonDepth=${maxJsonDepth} levels (at ${deep.path}): flatten it or send deep structures as a JSON string`,
  );
}

/** Reads, parses and depth-checks a JSON body. */
export async function readJson(
  req: CollectorRequest,
  config: BodyConfig,
): Promise<Step<{ value: unknown; raw: Buffer }>> {
  const body = await readJsonBody(req, config);
  if (!body.ok) return body;
  const json = parseJson(body.raw);
  if (!json.ok) return json;
  const deep = checkDepth(json.value, config.maxJsonDepth);
  if (deep) return { ok: false, reply: deep };
  return { ok: true, value: json.value, raw: body.raw };
}
