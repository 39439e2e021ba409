import { fromOtlpJsonSpan, type OtlpJsonSpan, otlpAttributes } from '@bulwark/contracts';
import { describe, expect, it } from 'vitest';
import { decodeOtlpTraces } from './decode-otlp-traces.js';
import { OtlpProto } from './otlp-proto.js';

const traceHex = '0af7651916cd43dd8448eb211c80319c';
const spanHex = 'b7ad6b7169203331';

function protoBody(): Buffer {
  const T = OtlpProto.ExportTraceServiceRequest;
  const msg = T.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'agent' } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: Buffer.from(traceHex, 'hex'),
                spanId: Buffer.from(spanHex, 'hex'),
                name: 'tools/call x',
                startTimeUnixNano: '1700000000000000000',
                attributes: [
                  { key: 'gen_ai.tool.name', value: { stringValue: 'x' } },
                  { key: 'n', value: { intValue: 42 } },
                  {
                    key: 'arr',
                    value: { arrayValue: { values: [{ boolValue: true }, { doubleValue: 1.5 }] } },
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  });
  return Buffer.from(T.encode(msg).finish());
}

describe('decodeOtlpTraces', () => {
  it('decodes protobuf straight into the mapper span shape with hex ids', async () => {
    const res = await decodeOtlpTraces(protoBody(), 'protobuf');
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.rejected).toBe(0);
    const [d] = res.spans;
    expect(d?.span).toMatchObject({
      traceId: traceHex,
      spanId: spanHex,
      name: 'tools/call x',
      startTimeMillis: 1_700_000_000_000,
    });
    expect(d?.resource).toEqual({ 'service.name': 'agent' });
    expect(d?.span.resource).toBe(d?.resource);
    expect(d?.span.attributes).toMatchObject({ 'gen_ai.tool.name': 'x', n: 42, arr: [true, 1.5] });
  });

  it('refuses bodies that are not an export request', async () => {
    expect((await decodeOtlpTraces(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]), 'protobuf')).ok).toBe(false);
    expect((await decodeOtlpTraces(Buffer.from('{'), 'json')).ok).toBe(false);
    expect((await decodeOtlpTraces(Buffer.from('[]'), 'json')).ok).toBe(false);
    expect((await decodeOtlpTraces(Buffer.from('{"resourceSpans":{}}'), 'json')).ok).toBe(false);
    expect(await decodeOtlpTraces(Buffer.from('{}'), 'json')).toEqual({
      ok: true,
      spans: [],
      rejected: 0,
      errors: [],
    });
  });

  it('rejects malformed spans one by one and keeps the rest', async () => {
    const good = {
      traceId: traceHex,
      spanId: spanHex,
      name: 'ok',
      attributes: [{ key: 'a', value: { stringValue: 'b' } }],
    };
    const body = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                good,
                { ...good, traceId: '00000000000000000000000000000000' },
                { ...good, spanId: 'xyz' },
                { ...good, attributes: [{ key: 'a', value: { arrayValue: { values: 'nope' } } }] },
                { ...good, startTimeUnixNano: -5 },
                'not a span',
              ],
            },
          ],
        },
      ],
    };
    const res = await decodeOtlpTraces(Buffer.from(JSON.stringify(body)), 'json');
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.spans).toHaveLength(1);
    expect(res.rejected).toBe(5);
    expect(res.errors.join('\n')).toMatch(/traceId/);
  });

  it('bounds the nesting depth of attribute values', async () => {
    let v: unknown = { stringValue: 'deep' };
    for (let i = 0; i < 40; i += 1) v = { arrayValue: { values: [v] } };
    const body = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { traceId: traceHex, spanId: spanHex, name: 'n', attributes: [{ key: 'k', value: v }] },
              ],
            },
          ],
        },
      ],
    };
    const res = await decodeOtlpTraces(Buffer.from(JSON.stringify(body)), 'json');
    expect(res.ok && res.rejected).toBe(1);
  });
});

describe('decodeOtlpTraces on protobuf containers', () => {
  it('keeps the resource even when it follows the spans, and rejects bad spans with their path', async () => {
    const T = OtlpProto.ExportTraceServiceRequest;
    const good = { traceId: Buffer.from(traceHex, 'hex'), spanId: Buffer.from(spanHex, 'hex'), name: 'a' };
    const bad = { traceId: Buffer.alloc(16), spanId: Buffer.from(spanHex, 'hex'), name: 'b' };
    // Field order on the wire: scope_spans (2) first, then resource (1).
    const scopeSpans = Buffer.from(
      OtlpProto.ScopeSpans.encode(OtlpProto.ScopeSpans.fromObject({ spans: [good, bad] })).finish(),
    );
    const resource = Buffer.from(
      OtlpProto.Resource.encode(
        OtlpProto.Resource.fromObject({
          attributes: [{ key: 'service.name', value: { stringValue: 'late' } }],
        }),
      ).finish(),
    );
    const rs = Buffer.concat([
      Buffer.from([0x12, scopeSpans.length]),
      scopeSpans,
      Buffer.from([0x0a, resource.length]),
      resource,
    ]);
    const body = Buffer.concat([Buffer.from([0x0a, rs.length]), rs]);
    expect(T.decode(body)).toBeDefined();
    const res = await decodeOtlpTraces(body, 'protobuf', { sliceMillis: 0 });
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.spans).toHaveLength(1);
    expect(res.spans[0]?.resource).toEqual({ 'service.name': 'late' });
    expect(res.rejected).toBe(1);
    expect(res.errors[0]).toMatch(/resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\]: traceId/);
  });
});

describe('decodeOtlpTraces: protobuf, OTLP/JSON and the contracts adapter agree', () => {
  // Every AnyValue kind, nesting, an empty value, a duplicate key, a parent id, odd times.
  const attributes = [
    { key: 's', value: { stringValue: 'text \u00e9 \uD83D\uDE00' } },
    { key: 'b', value: { boolValue: true } },
    { key: 'i', value: { intValue: '-9007199254740993' } },
    { key: 'big', value: { intValue: '1234567890123456789' } },
    { key: 'd', value: { doubleValue: 2.5 } },
    { key: 'bytes', value: { bytesValue: Buffer.from([0, 1, 2, 250]).toString('base64') } },
    {
      key: 'arr',
      value: {
        arrayValue: {
          values: [
            { stringValue: 'a' },
            { intValue: '7' },
            { kvlistValue: { values: [] } },
            {},
            { arrayValue: { values: [] } },
          ],
        },
      },
    },
    {
      key: 'kv',
      value: {
        kvlistValue: {
          values: [
            { key: 'x', value: { intValue: '1' } },
            { key: 'y', value: { arrayValue: { values: [{ boolValue: false }] } } },
            { key: 'z', value: { kvlistValue: { values: [{ key: 'q', value: { stringValue: 'r' } }] } } },
            { key: 'none' },
          ],
        },
      },
    },
    { key: 'empty' },
    { key: 'dup', value: { stringValue: 'first' } },
    { key: 'dup', value: { stringValue: 'second' } },
  ];
  const jsonSpan: OtlpJsonSpan = {
    traceId: traceHex,
    spanId: spanHex,
    parentSpanId: 'c7ad6b7169203331',
    name: 'chat',
    startTimeUnixNano: '1700000000123456789',
    endTimeUnixNano: '18446744073709551615',
    attributes: attributes as OtlpJsonSpan['attributes'],
  };
  const resourceAttrs = [{ key: 'service.name', value: { stringValue: 'svc' } }];

  it('gives the same span as fromOtlpJsonSpan for both encodings', async () => {
    const json = await decodeOtlpTraces(
      Buffer.from(
        JSON.stringify({
          resourceSpans: [{ resource: { attributes: resourceAttrs }, scopeSpans: [{ spans: [jsonSpan] }] }],
        }),
      ),
      'json',
    );
    const T = OtlpProto.ExportTraceServiceRequest;
    const pb = await decodeOtlpTraces(
      Buffer.from(
        T.encode(
          T.fromObject({
            resourceSpans: [
              {
                resource: { attributes: resourceAttrs },
                scopeSpans: [
                  {
                    spans: [
                      {
                        ...jsonSpan,
                        traceId: Buffer.from(traceHex, 'hex'),
                        spanId: Buffer.from(spanHex, 'hex'),
                        parentSpanId: Buffer.from('c7ad6b7169203331', 'hex'),
                        attributes: attributes.map((kv) =>
                          kv.key === 'bytes'
                            ? { key: 'bytes', value: { bytesValue: Buffer.from([0, 1, 2, 250]) } }
                            : kv,
                        ),
                      },
                    ],
                  },
                ],
              },
            ],
          }),
        ).finish(),
      ),
      'protobuf',
    );
    const expected = fromOtlpJsonSpan(jsonSpan, otlpAttributes(resourceAttrs));
    expect(json.ok && json.spans[0]?.span).toEqual(expected);
    expect(pb.ok && pb.spans[0]?.span).toEqual(expected);
  });

  it('rejects a too deeply nested protobuf attribute as one span, not the body', async () => {
    let v: Record<string, unknown> = { stringValue: 'deep' };
    for (let i = 0; i < 40; i += 1) v = { arrayValue: { values: [v] } };
    const T = OtlpProto.ExportTraceServiceRequest;
    const good = { traceId: Buffer.from(traceHex, 'hex'), spanId: Buffer.from(spanHex, 'hex'), name: 'ok' };
    const body = Buffer.from(
      T.encode(
        T.fromObject({
          resourceSpans: [
            { scopeSpans: [{ spans: [good, { ...good, attributes: [{ key: 'k', value: v }] }] }] },
          ],
        }),
      ).finish(),
    );
    const res = await decodeOtlpTraces(body, 'protobuf');
    expect(res.ok && [res.spans.length, res.rejected]).toEqual([1, 1]);
    expect(res.ok && res.errors[0]).toMatch(/spans\[1\]: attribute values nested deeper than 16/);
  });
});
