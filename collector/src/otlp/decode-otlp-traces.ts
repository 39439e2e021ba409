import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Attributes, AttributeValue, OtlpKeyValue, SpanLike } from '@bulwark/contracts';
import { otlpAttributes } from '@bulwark/contracts';
import protobuf from 'protobufjs';

/**
 * One span of an export request in the shape the contracts span mapper reads (hex ids, epoch milliseconds,
 * an attribute map; `span.resource` is `resource`), decoded straight from protobuf or OTLP/JSON.
 */
export interface DecodedSpan {
  span: SpanLike;
  resource: Attributes;
}

/**
 * A decoded export request: its well-formed spans, and how many spans were rejected (with why) — the
 * numbers behind OTLP's `partialSuccess`. `ok: false` means the whole body is unusable (HTTP 400).
 */
export type DecodeResult =
  | { ok: true; spans: DecodedSpan[]; rejected: number; errors: string[] }
  | { ok: false; message: string };

export interface DecodeOptions {
  /**
   * Give the event loop back after this much decoding, so verdict requests are answered between slices of a
   * large export. Default 0.25 ms; `Infinity` decodes in one go.
   */
  sliceMillis?: number;
}

const MAX_ANY_VALUE_DEPTH = 16;
const MAX_ERRORS_KEPT = 5;
const HEX_TRACE_ID = /^[0-9a-fA-F]{32}$/;
const HEX_SPAN_ID = /^[0-9a-fA-F]{16}$/;
const ZERO_ID = /^0+$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Decodes an OTLP/HTTP `ExportTraceServiceRequest` body (protobuf, read field by field with protobufjs's
 * Reader, or OTLP/JSON) into spans the contracts span mapper reads. Never rejects: malformed bodies come back as `{ ok: false, message }`,
 * malformed spans are counted as rejected. Protobuf is decoded span by span, yielding to the event loop
 * every `sliceMillis`.
 *
 * @example
 * const res = await decodeOtlpTraces(body, 'protobuf');
 * if (!res.ok) return reply(400, res.message);
 */
export async function decodeOtlpTraces(
  body: Buffer,
  encoding: 'protobuf' | 'json',
  options: DecodeOptions = {},
): Promise<DecodeResult> {
  if (encoding === 'protobuf') return decodeProtobuf(body, options.sliceMillis ?? 0.25);
  let request: unknown;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return { ok: false, message: `body is not valid JSON: ${(err as Error).message}` };
  }
  return collectSpans(request);
}

// ---------------------------------------------------------------- protobuf

type Reader = protobuf.Reader;
type Int64 = number | { toNumber(): number };
const int64ToNumber = (v: Int64) => (typeof v === 'number' ? v : v.toNumber());

/** End of a length-delimited field that starts here, refused when it would run past its container. */
function fieldEnd(reader: Reader, containerEnd: number, what: string): number {
  const end = reader.uint32() + reader.pos;
  if (end > containerEnd) throw new Error(`${what} length beyond its container`);
  return end;
}

/** A hex id straight from the body's bytes (no intermediate Uint8Array). */
function readHex(reader: Reader, containerEnd: number): string {
  const end = fieldEnd(reader, containerEnd, 'id');
  const hex = (reader.buf as Buffer).toString('hex', reader.pos, end);
  reader.pos = end;
  return hex;
}

/**
 * An `AnyValue` as the attribute value the mapper reads, the same as contracts' `otlpAttributes` makes of
 * its OTLP/JSON form: ints as numbers, bytes as base64, arrays of scalars (anything else in them null),
 * kvlists as JSON text.
 */
function readAnyValue(reader: Reader, end: number, depth: number): AttributeValue | undefined {
  if (depth > MAX_ANY_VALUE_DEPTH) throw new DepthError();
  let out: AttributeValue | undefined;
  while (reader.pos < end) {
    const tag = reader.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        if (wire !== 2) break;
        out = reader.string();
        continue;
      case 2:
        if (wire !== 0) break;
        out = reader.bool();
        continue;
      case 3:
        if (wire !== 0) break;
        out = int64ToNumber(reader.int64() as unknown as Int64);
        continue;
      case 4:
        if (wire !== 1) break;
        out = reader.double();
        continue;
      case 5: {
        if (wire !== 2) break;
        const arrEnd = fieldEnd(reader, end, 'ArrayValue');
        const values: (string | number | boolean | null)[] = [];
        while (reader.pos < arrEnd) {
          const t = reader.uint32();
          if (t >>> 3 !== 1 || (t & 7) !== 2) {
            reader.skipType(t & 7);
            continue;
          }
          const v = readAnyValue(reader, fieldEnd(reader, arrEnd, 'AnyValue'), depth + 1);
          values.push(typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null);
        }
        out = values;
        continue;
      }
      case 6: {
        if (wire !== 2) break;
        const o: Record<string, unknown> = {};
        readKeyValues(reader, fieldEnd(reader, end, 'KeyValueList'), depth + 1, o);
        out = JSON.stringify(o);
        continue;
      }
      case 7: {
        if (wire !== 2) break;
        const bytesEnd = fieldEnd(reader, end, 'bytes');
        out = (reader.buf as Buffer).toString('base64', reader.pos, bytesEnd);
        reader.pos = bytesEnd;
        continue;
      }
    }
    reader.skipType(wire);
  }
  return out;
}

/** `repeated KeyValue` (field 1 of a KeyValueList, or attributes read by the caller) into `into`. */
function readKeyValues(reader: Reader, end: number, depth: number, into: Record<string, unknown>): void {
  while (reader.pos < end) {
    const t = reader.uint32();
    if (t >>> 3 !== 1 || (t & 7) !== 2) {
      reader.skipType(t & 7);
      continue;
    }
    readKeyValue(reader, fieldEnd(reader, end, 'KeyValue'), depth, into);
  }
}

/** One `KeyValue` message (key 1, value 2) into `into`; a later duplicate key wins, as in otlpAttributes. */
function readKeyValue(reader: Reader, end: number, depth: number, into: Record<string, unknown>): void {
  let key = '';
  let value: AttributeValue | undefined;
  while (reader.pos < end) {
    const t = reader.uint32();
    if (t >>> 3 === 1 && (t & 7) === 2) key = reader.string();
    else if (t >>> 3 === 2 && (t & 7) === 2)
      value = readAnyValue(reader, fieldEnd(reader, end, 'AnyValue'), depth + 1);
    else reader.skipType(t & 7);
  }
  into[key] = value;
}

/** An attribute nested deeper than {@link MAX_ANY_VALUE_DEPTH}: the span is rejected, not the body. */
class DepthError extends Error {
  constructor() {
    super(`attribute values nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
  }
}

/** `Resource` message: its attributes (field 1) into `into`. */
function readResource(reader: Reader, end: number, into: Attributes): void {
  while (reader.pos < end) {
    const t = reader.uint32();
    if (t >>> 3 === 1 && (t & 7) === 2)
      readKeyValue(reader, fieldEnd(reader, end, 'KeyValue'), 0, into as Record<string, unknown>);
    else reader.skipType(t & 7);
  }
}

const fixed64Millis = (reader: Reader) => {
  // Two 32-bit halves summed in one double: one rounding, as Number() of the decimal string.
  const lo = reader.fixed32();
  const hi = reader.fixed32();
  return (hi * 2 ** 32 + lo) / 1e6;
};

/**
 * One `Span` message straight into the mapper's span shape (hex ids, epoch ms, attribute map), or why it
 * is malformed. Unknown fields (events, links, status, newer fields) are skipped.
 */
function readSpan(reader: Reader, end: number, resource: Attributes): SpanLike | string {
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  let name = '';
  let startTimeMillis = 0;
  let endTimeMillis = 0;
  const attributes: Attributes = {};
  let tooDeep = false;
  while (reader.pos < end) {
    const t = reader.uint32();
    const wire = t & 7;
    switch (t >>> 3) {
      case 1:
        if (wire !== 2) break;
        traceId = readHex(reader, end);
        continue;
      case 2:
        if (wire !== 2) break;
        spanId = readHex(reader, end);
        continue;
      case 4:
        if (wire !== 2) break;
        parentSpanId = readHex(reader, end);
        continue;
      case 5:
        if (wire !== 2) break;
        name = reader.string();
        continue;
      case 7:
        if (wire !== 1) break;
        startTimeMillis = fixed64Millis(reader);
        continue;
      case 8:
        if (wire !== 1) break;
        endTimeMillis = fixed64Millis(reader);
        continue;
      case 9: {
        if (wire !== 2) break;
        const kvEnd = fieldEnd(reader, end, 'KeyValue');
        try {
          readKeyValue(reader, kvEnd, 0, attributes as Record<string, unknown>);
        } catch (err) {
          if (!(err instanceof DepthError)) throw err;
          tooDeep = true;
          reader.pos = kvEnd;
        }
        continue;
      }
    }
    reader.skipType(wire);
  }
  if (traceId.length !== 32 || ZERO_ID.test(traceId))
    return 'traceId must be 16 non-zero bytes (32 hex digits)';
  if (spanId.length !== 16 || ZERO_ID.test(spanId)) return 'spanId must be 8 non-zero bytes (16 hex digits)';
  if (parentSpanId !== '' && parentSpanId.length !== 16)
    return 'parentSpanId must be 8 bytes (16 hex digits)';
  if (tooDeep) return new DepthError().message;
  const span: SpanLike = { traceId, spanId, name, startTimeMillis, endTimeMillis, attributes, resource };
  if (parentSpanId !== '') span.parentSpanId = parentSpanId;
  return span;
}

/**
 * Walks an `ExportTraceServiceRequest` with protobufjs's Reader straight into the mapper's span shape (no
 * protobufjs message objects, no OTLP/JSON form in between), so a large export can be decoded in slices.
 */
async function decodeProtobuf(body: Buffer, sliceMillis: number): Promise<DecodeResult> {
  const spans: DecodedSpan[] = [];
  const errors: string[] = [];
  let rejected = 0;
  let sliceStart = performance.now();
  try {
    const reader = protobuf.Reader.create(body);
    let ri = -1;
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag >>> 3 !== 1 || (tag & 7) !== 2) {
        reader.skipType(tag & 7);
        continue;
      }
      ri += 1;
      let si = -1;
      const rsEnd = reader.uint32() + reader.pos;
      if (rsEnd > reader.len) throw new Error('ResourceSpans length beyond the end of the body');
      // The resource may come after the spans on the wire; every span of this ResourceSpans shares it.
      const resource: Attributes = {};
      const mine: DecodedSpan[] = [];
      while (reader.pos < rsEnd) {
        const t = reader.uint32();
        const field = t >>> 3;
        if (field === 1 && (t & 7) === 2) {
          readResource(reader, fieldEnd(reader, rsEnd, 'Resource'), resource);
        } else if (field === 2 && (t & 7) === 2) {
          const ssEnd = reader.uint32() + reader.pos;
          if (ssEnd > rsEnd) throw new Error('ScopeSpans length beyond its ResourceSpans');
          si += 1;
          let i = -1;
          while (reader.pos < ssEnd) {
            const t2 = reader.uint32();
            if (t2 >>> 3 !== 2 || (t2 & 7) !== 2) {
              reader.skipType(t2 & 7);
              continue;
            }
            i += 1;
            const checked = readSpan(reader, fieldEnd(reader, ssEnd, 'Span'), resource);
            if (typeof checked === 'string') {
              rejected += 1;
              if (errors.length < MAX_ERRORS_KEPT)
                errors.push(`resourceSpans[${ri}].scopeSpans[${si}].spans[${i}]: ${checked}`);
            } else mine.push({ span: checked, resource });
            if (performance.now() - sliceStart >= sliceMillis) {
              await yieldToEventLoop();
              sliceStart = performance.now();
            }
          }
        } else reader.skipType(t & 7);
      }
      for (const d of mine) spans.push(d);
    }
  } catch (err) {
    return {
      ok: false,
      message: `body is not a valid protobuf ExportTraceServiceRequest: ${(err as Error).message}`,
    };
  }
  return { ok: true, spans, rejected, errors };
}

// ---------------------------------------------------------------- JSON

function collectSpans(request: unknown): DecodeResult {
  if (!isObj(request)) return { ok: false, message: 'ExportTraceServiceRequest must be an object' };
  const resourceSpans = request.resourceSpans ?? [];
  if (!Array.isArray(resourceSpans)) return { ok: false, message: 'resourceSpans must be an array' };
  const spans: DecodedSpan[] = [];
  const errors: string[] = [];
  let rejected = 0;
  const reject = (n: number, why: string) => {
    rejected += n;
    if (errors.length < MAX_ERRORS_KEPT) errors.push(why);
  };
  for (const [ri, rs] of resourceSpans.entries()) {
    if (!isObj(rs)) return { ok: false, message: `resourceSpans[${ri}] must be an object` };
    const scopeSpans = rs.scopeSpans ?? [];
    if (!Array.isArray(scopeSpans))
      return { ok: false, message: `resourceSpans[${ri}].scopeSpans must be an array` };
    let resource: Attributes = {};
    const resAttrs = isObj(rs.resource) ? rs.resource.attributes : undefined;
    if (resAttrs !== undefined) {
      if (!checkKeyValues(resAttrs, 0)) {
        reject(countSpans(scopeSpans), `resourceSpans[${ri}].resource.attributes are malformed`);
        continue;
      }
      resource = otlpAttributes(resAttrs as OtlpKeyValue[]);
    }
    for (const [si, ss] of scopeSpans.entries()) {
      if (!isObj(ss))
        return { ok: false, message: `resourceSpans[${ri}].scopeSpans[${si}] must be an object` };
      const list = ss.spans ?? [];
      if (!Array.isArray(list)) {
        return { ok: false, message: `resourceSpans[${ri}].scopeSpans[${si}].spans must be an array` };
      }
      for (const [i, s] of list.entries()) {
        const where = `resourceSpans[${ri}].scopeSpans[${si}].spans[${i}]`;
        const checked = checkSpan(s, resource);
        if (typeof checked === 'string') reject(1, `${where}: ${checked}`);
        else spans.push({ span: checked, resource });
      }
    }
  }
  return { ok: true, spans, rejected, errors };
}

function countSpans(scopeSpans: unknown[]): number {
  let n = 0;
  for (const ss of scopeSpans) if (isObj(ss) && Array.isArray(ss.spans)) n += ss.spans.length;
  return n;
}

/** OTLP/JSON carries ids as hex strings. */
function idToHex(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

const MAX_UINT64 = 18446744073709551615n;

/** OTLP times are fixed64 nanoseconds: anything else (1e300, fractions, negatives, 21 digits) is refused. */
function checkTime(v: unknown): string | number | undefined | false {
  if (v === undefined) return undefined;
  // Numbers this large are doubles (nanosecond precision already lost), but still a time.
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= Number(MAX_UINT64)) return v;
  if (typeof v === 'string' && /^\d{1,20}$/.test(v) && BigInt(v) <= MAX_UINT64) return v;
  return false;
}

/** Epoch ms of a checked OTLP/JSON time, as contracts' `fromOtlpJsonSpan` computes it. */
const nanosToMillis = (n: string | number | undefined): number => {
  if (n === undefined) return 0;
  const v = typeof n === 'number' ? n : Number(n);
  return Number.isFinite(v) ? v / 1e6 : 0;
};

/** A well-formed span in the mapper's shape (no OTLP/JSON copy in between), or why not. */
function checkSpan(s: unknown, resource: Attributes): SpanLike | string {
  if (!isObj(s)) return 'span must be an object';
  const traceId = idToHex(s.traceId);
  if (!traceId || !HEX_TRACE_ID.test(traceId) || ZERO_ID.test(traceId))
    return 'traceId must be 16 non-zero bytes (32 hex digits)';
  const spanId = idToHex(s.spanId);
  if (!spanId || !HEX_SPAN_ID.test(spanId) || ZERO_ID.test(spanId))
    return 'spanId must be 8 non-zero bytes (16 hex digits)';
  let parentSpanId: string | undefined;
  if (s.parentSpanId !== undefined && s.parentSpanId !== '') {
    parentSpanId = idToHex(s.parentSpanId);
    if (parentSpanId === '') parentSpanId = undefined;
    else if (!parentSpanId || !HEX_SPAN_ID.test(parentSpanId))
      return 'parentSpanId must be 8 bytes (16 hex digits)';
  }
  if (s.name !== undefined && typeof s.name !== 'string') return 'name must be a string';
  const start = checkTime(s.startTimeUnixNano);
  const end = checkTime(s.endTimeUnixNano);
  if (start === false || end === false)
    return 'startTimeUnixNano/endTimeUnixNano must be unsigned 64-bit integers (nanoseconds since the epoch)';
  let attributes: Attributes = {};
  if (s.attributes !== undefined) {
    if (!checkKeyValues(s.attributes, 0))
      return 'attributes must be a list of {key, value} with OTLP AnyValue values';
    attributes = otlpAttributes(s.attributes as OtlpKeyValue[]);
  }
  const span: SpanLike = {
    traceId: traceId.toLowerCase(),
    spanId: spanId.toLowerCase(),
    name: (s.name as string | undefined) ?? '',
    startTimeMillis: nanosToMillis(start),
    endTimeMillis: nanosToMillis(end),
    attributes,
    resource,
  };
  if (parentSpanId) span.parentSpanId = parentSpanId.toLowerCase();
  return span;
}

/** True when `v` is a list of OTLP/JSON `KeyValue`s contracts' `otlpAttributes` can read safely (no copy). */
function checkKeyValues(v: unknown, depth: number): boolean {
  if (!Array.isArray(v)) return false;
  for (const kv of v) {
    if (!isObj(kv) || typeof kv.key !== 'string') return false;
    if (kv.value === undefined || kv.value === null) continue;
    if (!checkAnyValue(kv.value, depth + 1)) return false;
  }
  return true;
}

/** True when `v` is an OTLP AnyValue the contracts mapper can read safely (bounded depth, right types). */
function checkAnyValue(v: unknown, depth: number): boolean {
  if (depth > MAX_ANY_VALUE_DEPTH || !isObj(v)) return false;
  for (const [k, x] of Object.entries(v)) {
    switch (k) {
      case 'stringValue':
      case 'bytesValue':
        if (typeof x !== 'string') return false;
        break;
      case 'boolValue':
        if (typeof x !== 'boolean') return false;
        break;
      case 'intValue':
        if (
          !(typeof x === 'string' && /^-?\d{1,20}$/.test(x)) &&
          !(typeof x === 'number' && Number.isInteger(x))
        ) {
          return false;
        }
        break;
      case 'doubleValue':
        if (typeof x !== 'number' && !(typeof x === 'string' && ['NaN', 'Infinity', '-Infinity'].includes(x)))
          return false;
        break;
      case 'arrayValue': {
        if (!isObj(x)) return false;
        if (x.values !== undefined) {
          if (!Array.isArray(x.values)) return false;
          for (const e of x.values) if (!checkAnyValue(e, depth + 1)) return false;
        }
        break;
      }
      case 'kvlistValue': {
        if (!isObj(x)) return false;
        if (x.values !== undefined && !checkKeyValues(x.values, depth + 1)) return false;
        break;
      }
      default:
        // Unknown fields are ignored, as OTLP/JSON asks of receivers.
        break;
    }
  }
  return true;
}
