import type { Authenticator } from '../authenticator.js';
import type { CollectorMetrics } from '../collector-metrics.js';
import type { CollectorConfig } from '../config.js';
import { decodeOtlpTraces } from '../otlp/decode-otlp-traces.js';
import type { PassthroughForwarder } from '../otlp/passthrough-forwarder.js';
import type { TraceIngest } from '../otlp/trace-ingest.js';
import { type CollectorReply, Reply } from './collector-reply.js';
import type { CollectorRequest } from './collector-request.js';
import { authHeaders, contentKind } from './request-body.js';
import { authenticate, retryAfterSeconds } from './route-support.js';

/** What `POST /v1/traces` needs: the ingest (decode, map, publish, apply) and the optional passthrough. */
export interface TracesRouteDeps {
  config: CollectorConfig;
  metrics: CollectorMetrics;
  auth: Authenticator;
  ingest: TraceIngest;
  /** Set when non-agent spans are forwarded (`nonAgentSpans: passthrough`). */
  passthrough?: PassthroughForwarder;
}

/**
 * The OTLP/HTTP receiver, `POST /v1/traces`: protobuf or JSON in, OTLP's own answers out (a partial success
 * names the rejected spans; a refusing bus answers 429/503 with Retry-After).
 *
 * @example
 * const reply = await tracesRoute(deps)(bufferedRequest({ method: 'POST', url: '/v1/traces',
 *   headers: { 'content-type': 'application/json' }, body: JSON.stringify(exportRequest) }));
 */
export function tracesRoute(deps: TracesRouteDeps): (req: CollectorRequest) => Promise<CollectorReply> {
  const { config, metrics, ingest, passthrough } = deps;
  return async function handleTraces(req) {
    const authed = await authenticate(deps.auth, metrics, req);
    if (!authed.ok) return authed.reply;
    const kind = contentKind(req.headers);
    if (!kind) {
      req.discardBody();
      const type = req.headers['content-type'] ?? '';
      const message = `Content-Type "${type}" is not supported: use application/x-protobuf or application/json`;
      return Reply.otlpStatus(415, message, 'json');
    }
    const body = await req.readBody(config);
    if (!body.ok) {
      // 408: the client stalled, close. 413: no close, the rest is drained so the client reads the answer.
      const close: Record<string, string> = body.status === 408 ? { connection: 'close' } : {};
      return Reply.otlpStatus(body.status, body.message, kind, close);
    }
    const step = await ingest.exclusive(async () => {
      const decoded = await decodeOtlpTraces(body.body, kind, { sliceMillis: config.ingestSliceMillis });
      if (!decoded.ok) return decoded;
      return {
        ok: true as const,
        decoded,
        mapped: await ingest.map(decoded.spans, authed.principal.tenantId),
      };
    });
    if (!step.ok) return Reply.otlpStatus(400, step.message, kind);
    const { decoded, mapped } = step;
    const out = await ingest.commit(mapped, authHeaders(req.headers));
    if (!out.ok) {
      metrics.dropped.inc({ reason: `spans_${out.refused.reason}` }, decoded.spans.length);
      const status = out.refused.reason === 'backpressure' ? 429 : 503;
      const message = `event bus refused the spans: ${out.refused.message}; retry later`;
      return Reply.otlpStatus(status, message, kind, {
        'retry-after': retryAfterSeconds(out.refused.retryAfterMillis),
      });
    }
    if (out.nonAgentSpans > 0) {
      if (passthrough) passthrough.forward(body.body, { 'content-type': req.headers['content-type'] });
      else metrics.dropped.inc({ reason: 'not_agent_span' }, out.nonAgentSpans);
    }
    const rejected = decoded.rejected + out.rejected;
    const errors = [...decoded.errors, ...out.errors];
    return Reply.otlpExport(
      kind,
      rejected,
      rejected > 0 ? `${rejected} span(s) rejected: ${errors.join('; ')}` : '',
    );
  };
}
