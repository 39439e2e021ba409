import { randomBytes } from 'node:crypto';
import {
  type Attributes,
  type AttributeValue,
  type Context,
  diag,
  isSpanContextValid,
  type Span,
  type SpanOptions,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/**
 * Runs telemetry work so that it can never fail the host: errors go to OpenTelemetry `diag`, and the
 * fallback value is returned instead.
 *
 * @example
 * const id = safely('read span id', () => span.spanContext().spanId, 'unknown');
 */
export function safely<T>(what: string, fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch (err) {
    diag.warn(`@bulwark/agent-sdk: ${what} failed`, err);
    return fallback;
  }
}

const INVALID_SPAN = trace.wrapSpanContext({
  traceId: '0'.repeat(32),
  spanId: '0'.repeat(16),
  traceFlags: 0,
});

/** `tracer.startSpan` that returns a non-recording span instead of throwing. */
export function startSpanSafely(tracer: Tracer, name: string, options: SpanOptions, ctx: Context): Span {
  return safely('start span', () => tracer.startSpan(name, options, ctx), INVALID_SPAN);
}

/**
 * Sets attributes, skipping `undefined` values; never throws. Accepts the contracts' `Attributes` shape too
 * (its arrays are `readonly`).
 */
export function setAttributesSafely(
  span: Span,
  attributes: Attributes | Readonly<Record<string, unknown>>,
): void {
  safely(
    'set span attributes',
    () => {
      for (const [k, v] of Object.entries(attributes))
        if (v !== undefined) span.setAttribute(k, v as AttributeValue);
    },
    undefined,
  );
}

/** Marks a span failed with the error's type and message; never throws. */
export function recordErrorSafely(span: Span, err: unknown, errorType?: string): void {
  safely(
    'record span error',
    () => {
      const type = errorType ?? (err instanceof Error ? err.name || 'Error' : '_OTHER');
      span.setAttribute('error.type', type);
      if (err instanceof Error) span.recordException(err);
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: err instanceof Error ? err.message : String(err),
      });
    },
    undefined,
  );
}

/** Ends a span; a throwing span processor or exporter is reported to `diag`, never to the host. */
export function endSpanSafely(span: Span, endTime?: number): void {
  safely('end span', () => span.end(endTime), undefined);
}

/**
 * The id an event recorded by `span` carries: the span id, so the collector's span mapper derives the same
 * id later. A span that is not recorded (no SDK, sampled out, broken tracer) is never exported, so a random
 * id is used instead of a placeholder (the no-op tracer returns the parent's or an all-zero id).
 */
export function spanEventId(span: Span): string {
  return safely(
    'read span id',
    () => {
      const ctx = span.spanContext();
      if (span.isRecording() && isSpanContextValid(ctx)) return ctx.spanId;
      return randomBytes(8).toString('hex');
    },
    randomBytes(8).toString('hex'),
  );
}

/** Trace and span ids of a recording span, for the event's `traceId`/`spanId` fields. */
export function spanIds(span: Span): { traceId?: string; spanId?: string } {
  return safely(
    'read span ids',
    () => {
      const ctx = span.spanContext();
      if (!span.isRecording() || !isSpanContextValid(ctx)) return {};
      return { traceId: ctx.traceId, spanId: ctx.spanId };
    },
    {},
  );
}
