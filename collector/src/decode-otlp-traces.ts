import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Attributes, OtlpJsonSpan, OtlpKeyValue } from '@bulwark/contracts';
import { otlpAttributes } from '@bulwark/contracts';
import protobuf from 'protobufjs';
import { OtlpProto } from './otlp-proto.js';

/** One span of an export request, in OTLP/JSON shape, with its resource's attributes. */
export interface DecodedSpan {
  span: OtlpJsonSpan;
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

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Decodes an OTLP/HTTP `ExportTraceServiceRequest` body (protobuf via protobufjs, or OTLP/JSON) into spans the
 * contracts span mapper reads. Never rejects: malformed bodies come back as `{ ok: false, message }`,
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

interface PbAnyValue {
  value?: string;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | { toString(): string };
  doubleValue?: number;
  arrayValue?: { values?: PbAnyValue[] };
  kvlistValue?: { values?: PbKeyValue[] };
  bytesValue?: Uint8Array;
}
interface PbKeyValue {
  key: string;
  value?: PbAnyValue | null;
}
interface PbSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId: Uint8Array;
  name: string;
  startTimeUnixNano: number | { toString(): string };
  endTimeUnixNano: number | { toString(): string };
  attributes: PbKeyValue[];
}

const toHex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** protobufjs message (oneof read through its virtual `value` getter) to the OTLP/JSON AnyValue shape. */
function pbAnyValue(v: PbAnyValue): OtlpKeyValue['value'] {
  switch (v.value) {
    case 'stringValue':
      return { stringValue: v.stringValue ?? '' };
    case 'boolValue':
      return { boolValue: v.boolValue ?? false };
    case 'intValue':
      return { intValue: String(v.intValue ?? 0) };
    case 'doubleValue':
      return { doubleValue: v.doubleValue ?? 0 };
    case 'arrayValue':
      return { arrayValue: { values: (v.arrayValue?.values ?? []).map((x) => pbAnyValue(x) ?? {}) } };
    case 'kvlistValue':
      return { kvlistValue: { values: pbKeyValues(v.kvlistValue?.values ?? []) } };
    case 'bytesValue':
      return { bytesValue: Buffer.from(v.bytesValue ?? new Uint8Array()).toString('base64') };
    default:
      return undefined;
  }
}

function pbKeyValues(list: readonly PbKeyValue[]): OtlpKeyValue[] {
  return list.map((kv) => {
    const value = kv.value ? pbAnyValue(kv.value) : undefined;
    return value ? { key: kv.key, value } : { key: kv.key };
  });
}

function pbSpan(s: PbSpan): OtlpJsonSpan {
  const span: OtlpJsonSpan = {
    traceId: toHex(s.traceId),
    spanId: toHex(s.spanId),
    name: s.name,
    startTimeUnixNano: String(s.startTimeUnixNano),
    endTimeUnixNano: String(s.endTimeUnixNano),
    attributes: pbKeyValues(s.attributes),
  };
  if (s.parentSpanId.length > 0) span.parentSpanId = toHex(s.parentSpanId);
  return span;
}

/**
 * Walks the two container levels (ResourceSpans, ScopeSpans) with protobufjs's Reader and lets protobufjs
 * decode each Resource and Span message, so a large export can be decoded in slices.
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
      const resource: Attributes = {};
      const mine: DecodedSpan[] = [];
      while (reader.pos < rsEnd) {
        const t = reader.uint32();
        const field = t >>> 3;
        if (field === 1 && (t & 7) === 2) {
          const r = OtlpProto.Resource.decode(reader, reader.uint32()) as unknown as {
            attributes: PbKeyValue[];
          };
          Object.assign(resource, otlpAttributes(pbKeyValues(r.attributes)));
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
            const decoded = OtlpProto.Span.decode(reader, reader.uint32()) as unknown as PbSpan;
            const checked = checkSpan(pbSpan(decoded));
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
      // The resource may come after the spans on the wire; every span of this ResourceSpans shares it.
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
      const kvs = checkKeyValues(resAttrs, 0);
      if (kvs === undefined) {
        reject(countSpans(scopeSpans), `resourceSpans[${ri}].resource.attributes are malformed`);
        continue;
      }
      resource = otlpAttributes(kvs);
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
        const checked = checkSpan(s);
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

/** A well-formed span, or why not. */
function checkSpan(s: unknown): OtlpJsonSpan | string {
  if (!isObj(s)) return 'span must be an object';
  const traceId = idToHex(s.traceId);
  if (!traceId || !HEX_TRACE_ID.test(traceId) || /^0+$/.test(traceId))
    return 'traceId must be 16 non-zero bytes (32 hex digits)';
  const spanId = idToHex(s.spanId);
  if (!spanId || !HEX_SPAN_ID.test(spanId) || /^0+$/.test(spanId))
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
  let attributes: OtlpKeyValue[] = [];
  if (s.attributes !== undefined) {
    const kvs = checkKeyValues(s.attributes, 0);
    if (kvs === undefined) return 'attributes must be a list of {key, value} with OTLP AnyValue values';
    attributes = kvs;
  }
  const span: OtlpJsonSpan = {
    traceId: traceId.toLowerCase(),
    spanId: spanId.toLowerCase(),
    name: s.name ?? '',
    attributes,
  };
  if (parentSpanId) span.parentSpanId = parentSpanId.toLowerCase();
  if (start !== undefined) span.startTimeUnixNano = start;
  if (end !== undefined) span.endTimeUnixNano = end;
  return span;
}

function checkKeyValues(v: unknown, depth: number): OtlpKeyValue[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: OtlpKeyValue[] = [];
  for (const kv of v) {
    if (!isObj(kv) || typeof kv.key !== 'string') return undefined;
    if (kv.value === undefined || kv.value === null) {
      out.push({ key: kv.key });
      continue;
    }
    if (!checkAnyValue(kv.value, depth + 1)) return undefined;
    out.push({ key: kv.key, value: kv.value as OtlpKeyValue['value'] });
  }
  return out;
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
        if (x.values !== undefined && checkKeyValues(x.values, depth + 1) === undefined) return false;
        break;
      }
      default:
        // Unknown fields are ignored, as OTLP/JSON asks of receivers.
        break;
    }
  }
  return true;
}
