import type { ServerResponse } from 'node:http';
import type protobuf from 'protobufjs';
import { OtlpProto } from '../otlp/otlp-proto.js';

/** gRPC status codes used in OTLP error bodies (google.rpc.Status.code). */
const GRPC_CODE: Record<number, number> = {
  400: 3, // INVALID_ARGUMENT
  401: 16, // UNAUTHENTICATED
  403: 7, // PERMISSION_DENIED
  404: 5, // NOT_FOUND
  405: 12, // UNIMPLEMENTED
  413: 8, // RESOURCE_EXHAUSTED
  408: 4, // DEADLINE_EXCEEDED
  415: 3,
  429: 8,
  500: 13, // INTERNAL
  503: 14, // UNAVAILABLE
};

/** What a route answers: written by {@link writeReply}, or read directly by a test. */
export interface CollectorReply {
  status: number;
  headers: Record<string, string | number>;
  body: string | Buffer;
}

/**
 * Reply values of the collector's HTTP API: JSON for the Bulwark endpoints, and OTLP's own encodings
 * (protobuf or JSON `ExportTraceServiceResponse`, `google.rpc.Status` for errors) on `/v1/traces`.
 *
 * @example
 * const reply = Reply.error(400, 'invalid_request', 'sessionId: required');
 * writeReply(res, reply);
 */
export const Reply = {
  json(status: number, body: unknown, headers: Record<string, string> = {}): CollectorReply {
    const text = JSON.stringify(body);
    return {
      status,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
        ...headers,
      },
      body: text,
    };
  },

  /** `{ error: { code, message, ...extra } }`, the error shape of every Bulwark endpoint. */
  error(
    status: number,
    code: string,
    message: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): CollectorReply {
    return Reply.json(status, { error: { code, message, ...extra } }, headers);
  },

  proto(
    status: number,
    type: protobuf.Type,
    value: object,
    headers: Record<string, string> = {},
  ): CollectorReply {
    const bytes = type.encode(type.fromObject(value)).finish();
    return {
      status,
      headers: { 'content-type': 'application/x-protobuf', 'content-length': bytes.length, ...headers },
      body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length),
    };
  },

  /** An OTLP error answer: a google.rpc.Status in the request's encoding. */
  otlpStatus(
    status: number,
    message: string,
    encoding: 'protobuf' | 'json',
    headers: Record<string, string> = {},
  ): CollectorReply {
    const body = { code: GRPC_CODE[status] ?? 2, message };
    if (encoding === 'protobuf') return Reply.proto(status, OtlpProto.Status, body, headers);
    return Reply.json(status, body, headers);
  },

  /** A successful export: `partialSuccess` only when something was rejected, as OTLP asks. */
  otlpExport(encoding: 'protobuf' | 'json', rejectedSpans: number, errorMessage: string): CollectorReply {
    const body = rejectedSpans > 0 ? { partialSuccess: { rejectedSpans, errorMessage } } : {};
    if (encoding === 'protobuf') return Reply.proto(200, OtlpProto.ExportTraceServiceResponse, body);
    return Reply.json(200, body);
  },
};

/**
 * Writes a reply unless one was written already; `head` leaves the body out (a HEAD request).
 *
 * @example
 * writeReply(res, Reply.json(200, { status: 'ok' }));
 */
export function writeReply(res: ServerResponse, reply: CollectorReply, head = false): void {
  if (res.headersSent) return;
  res.writeHead(reply.status, reply.headers);
  res.end(head ? undefined : reply.body);
}
