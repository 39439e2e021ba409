import type { AgentEvent } from '@bulwark/contracts';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../src/index.js';
import { http, metricValue, recordingBus, startTestCollector, waitFor } from './helpers.js';

/** Spans as an instrumented agent makes them: a chat turn, an MCP tool call, and an unrelated HTTP span. */
function makeSpans(session: string): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'exporter-test-agent' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('bulwark-collector-test');
  const chat = tracer.startSpan('chat gpt-test', {
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.conversation.id': session,
      'gen_ai.request.model': 'gpt-test',
      'gen_ai.input.messages': JSON.stringify([
        { role: 'user', parts: [{ type: 'text', content: 'summarise my inbox' }] },
      ]),
      'gen_ai.output.messages': JSON.stringify([
        {
          role: 'assistant',
          parts: [{ type: 'tool_call', id: 'call-1', name: 'read_inbox', arguments: { limit: 5 } }],
        },
      ]),
    },
  });
  chat.end();
  const tool = tracer.startSpan('tools/call read_inbox', {
    attributes: {
      'gen_ai.operation.name': 'execute_tool',
      'mcp.method.name': 'tools/call',
      'gen_ai.conversation.id': session,
      'gen_ai.tool.name': 'read_inbox',
      'gen_ai.tool.call.id': 'call-1',
      'gen_ai.tool.call.arguments': JSON.stringify({ limit: 5 }),
      'gen_ai.tool.call.result': 'three new messages',
    },
  });
  tool.end();
  const other = tracer.startSpan('GET /index.html', { attributes: { 'http.request.method': 'GET' } });
  other.end();
  return memory.getFinishedSpans();
}

function exportWith(exporter: { export: OtlpProtoExporter['export'] }, spans: ReadableSpan[]) {
  return new Promise<{ code: ExportResultCode; error?: Error }>((resolve) => exporter.export(spans, resolve));
}

describe('official OpenTelemetry OTLP exporters', () => {
  let collector: RunningCollector;
  let recorded: Awaited<ReturnType<typeof recordingBus>>;

  beforeAll(async () => {
    recorded = await recordingBus('events');
    collector = await startTestCollector({ eventBus: recorded.bus });
  });
  afterAll(async () => {
    await collector.close();
    await recorded.bus.shutdown();
  });

  const cases = [
    {
      name: '@opentelemetry/exporter-trace-otlp-proto',
      make: (url: string) => new OtlpProtoExporter({ url }),
    },
    {
      name: '@opentelemetry/exporter-trace-otlp-proto with gzip',
      make: (url: string) => new OtlpProtoExporter({ url, compression: 'gzip' as never }),
    },
    {
      name: '@opentelemetry/exporter-trace-otlp-http (JSON)',
      make: (url: string) => new OtlpHttpJsonExporter({ url }),
    },
    {
      name: '@opentelemetry/exporter-trace-otlp-http (JSON) with gzip',
      make: (url: string) => new OtlpHttpJsonExporter({ url, compression: 'gzip' as never }),
    },
  ];

  for (const c of cases) {
    it(`accepts and maps spans from ${c.name}`, async () => {
      const session = `sess-${Math.random().toString(36).slice(2)}`;
      const exporter = c.make(`${collector.url}/v1/traces`);
      const before = metricValue(
        await (await http(`${collector.url}/metrics`)).text,
        'bulwark_collector_dropped_total',
        {
          reason: 'not_agent_span',
        },
      );
      const result = await exportWith(exporter, makeSpans(session));
      await exporter.shutdown();
      expect(result.error).toBeUndefined();
      expect(result.code).toBe(ExportResultCode.SUCCESS);

      const mine = () =>
        recorded.records.map((r) => r.value as AgentEvent).filter((e) => e.sessionId === session);
      await waitFor(() => mine().length >= 4, 5_000, 'mapped events on the bus');
      const kinds = mine()
        .map((e) => e.kind)
        .sort();
      expect(kinds).toEqual(['completion', 'prompt', 'tool_call', 'tool_result']);
      const call = mine().find((e) => e.kind === 'tool_call');
      expect(call).toMatchObject({
        toolName: 'read_inbox',
        toolCallId: 'call-1',
        arguments: { limit: 5 },
        tenantId: 'default',
      });
      expect(call?.agentId).toBe('exporter-test-agent');
      expect(call?.traceId).toMatch(/^[0-9a-f]{32}$/);
      const key = recorded.records.find((r) => (r.value as AgentEvent).sessionId === session)?.key;
      expect(key).toBe(`default\u0000${session}`);

      // The HTTP span is not an agent span: dropped, and counted.
      const after = metricValue(
        await (await http(`${collector.url}/metrics`)).text,
        'bulwark_collector_dropped_total',
        {
          reason: 'not_agent_span',
        },
      );
      expect(after - before).toBe(1);
    });
  }
});
