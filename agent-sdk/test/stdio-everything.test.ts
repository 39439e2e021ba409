import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { instrumentMcpClient } from '@bulwark/agent-sdk';
import { semconv as sc, spanToAgentEvents } from '@bulwark/contracts';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingVerdictProvider } from './fixtures/recording-provider.js';
import { setupTracing, spanLike } from './fixtures/tracing.js';

// The reference "everything" server, as its own process over stdio (its first argument selects the transport).
const bin = fileURLToPath(new URL('../../node_modules/.bin/mcp-server-everything', import.meta.url));

describe('instrumentMcpClient against @modelcontextprotocol/server-everything over stdio', () => {
  const tracing = setupTracing();
  const provider = new RecordingVerdictProvider((r) =>
    r.toolCall.toolName === 'get-env' ? 'block' : 'allow',
  );
  let client: Client;

  beforeAll(async () => {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm install at the repository root`);
    client = instrumentMcpClient(new Client({ name: 'stdio-agent', version: '1.0.0' }), {
      tracer: tracing.tracer,
      sessionId: 'stdio-session',
      verdictProvider: provider,
    });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: [bin, 'stdio'], stderr: 'ignore' }),
    );
  });

  afterAll(async () => {
    await client?.close();
    await tracing.shutdown();
  });

  it('lists tools and calls echo, with spans and events', async () => {
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('echo');
    const result = await client.callTool({ name: 'echo', arguments: { message: 'hello from bulwark' } });
    const text = (result.content as { type: string; text: string }[])[0]!.text;
    expect(text).toContain('hello from bulwark');

    const spans = tracing.spans();
    const list = spans.find((s) => s.name === 'tools/list')!;
    expect(list.attributes[sc.ATTR_BULWARK_SERVER_NAME]).toBeTruthy();
    expect(list.attributes[sc.ATTR_MCP_PROTOCOL_VERSION]).toBeTruthy();
    const mapped = spanToAgentEvents(spanLike(list));
    expect(mapped.ok && mapped.events[0]?.kind === 'tool_definitions' && mapped.events[0].tools.length).toBe(
      tools.tools.length,
    );
    const call = spans.find((s) => s.name === 'tools/call echo')!;
    expect(call.kind).toBe(SpanKind.CLIENT);
    expect(call.attributes[sc.ATTR_GEN_AI_TOOL_NAME]).toBe('echo');
    expect(String(call.attributes[sc.ATTR_GEN_AI_TOOL_CALL_RESULT])).toContain('hello from bulwark');
    expect(call.attributes[sc.ATTR_BULWARK_VERDICT_DECISION]).toBe('allow');
    // The tools/list definitions reached the provider with the echo call.
    const defs = provider.requests[0]!.events.find((e) => e.kind === 'tool_definitions');
    expect(defs?.kind === 'tool_definitions' && defs.tools.some((t) => t.name === 'echo')).toBe(true);
  });

  it('a blocked call is answered locally and the server process is not asked', async () => {
    const result = await client.callTool({ name: 'get-env', arguments: {} });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).not.toContain('PATH');
    // The connection is still healthy afterwards.
    const again = await client.callTool({ name: 'echo', arguments: { message: 'still here' } });
    expect(JSON.stringify(again.content)).toContain('still here');
  });
});
