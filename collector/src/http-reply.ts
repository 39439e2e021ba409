import type { ServerResponse } from 'node:http';
import type protobuf from 'protobufjs';
import { OtlpProto } from './otlp-proto.js';

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

/**
 * Response writers of the collector's HTTP API: JSON for the Bulwark endpoints, and OTLP's own encodings
 * (protobuf or JSON `ExportTraceServiceResponse`, `google.rpc.Status` for errors) on `/v1/traces`.
 *
 * @example
 * HttpReply.json(res, 400, { error: { code: 'invalid_request', message: 'sessionId: required' } });
 */
export const HttpReply = {
  json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  },

  /** `{ error: { code, message, ...extra } }`, the error shape of every Bulwark endpoint. */
  error(
    res: ServerResponse,
    status: number,
    code: string,
    message: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): void {
    HttpReply.json(res, status, { error: { code, message, ...extra } }, headers);
  },

  proto(
    res: ServerResponse,
    status: number,
    type: protobuf.Type,
    value: object,
    headers: Record<string, string> = {},
  ): void {
    if (res.headersSent) return;
    const bytes = type.encode(type.fromObject(value)).finish();
    res.writeHead(status, {
      'content-type': 'application/x-protobuf',
      'content-length': bytes.length,
      ...headers,
    });
    res.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  },

  /** An OTLP error answer: a google.rpc.Status in the request's encoding. */
  otlpStatus(
    res: ServerResponse,
    status: number,
    message: string,
    encoding: 'protobuf' | 'json',
    headers: Record<string, string> = {},
  ): void {
    const body = { code: GRPC_CODE[status] ?? 2, message };
    if (encoding === 'protobuf') HttpReply.proto(res, status, OtlpProto.Status, body, headers);
    else HttpReply.json(res, status, body, headers);
  },

  /** A successful export: `partialSuccess` only when something was rejected, as OTLP asks. */
  otlpExport(
    res: ServerResponse,
    encoding: 'protobuf' | 'json',
    rejectedSpans: number,
    errorMessage: string,
  ): void {
    const body = rejectedSpans > 0 ? { partialSuccess: { rejectedSpans, errorMessage } } : {};
    if (encoding === 'protobuf') HttpReply.proto(res, 200, OtlpProto.ExportTraceServiceResponse, body);
    else HttpReply.json(res, 200, body);
  },
};
