import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AgentSdkError,
  AgentSession,
  createBulwarkTracerProvider,
  instrumentMcpClient,
} from '@bulwark/agent-sdk';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { context, propagation, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestServer } from './fixtures/test-server.js';

describe('createBulwarkTracerProvider', () => {
  afterEach(() => {
    trace.disable();
    propagation.disable();
    context.disable();
  });

  it('exports spans over OTLP/HTTP to the given endpoint and registers the W3C propagator', async () => {
    const posts: { url: string; type: string | undefined; body: Buffer }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        posts.push({ url: req.url ?? '', type: req.headers['content-type'], body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    trace.disable();
    propagation.disable();
    context.disable();
    const provider = createBulwarkTracerProvider({
      serviceName: 'travel-agent',
      url: `http://127.0.0.1:${port}/v1/traces`,
    });
    try {
      // The instrumentation uses the global provider when no tracer is passed.
      const testServer = createTestServer(trace.getTracer('server'));
      const client = instrumentMcpClient(new Client({ name: 'a', version: '1' }), { sessionId: 'otlp-1' });
      await testServer.connect(client);
      await client.callTool({ name: 'read_inbox', arguments: {} });
      expect(testServer.received[0]!.meta?.traceparent).toMatch(/^00-[0-9a-f]{32}-/);
      await provider.forceFlush();
      expect(posts.length).toBeGreaterThan(0);
      expect(posts[0]!.url).toBe('/v1/traces');
      const all = Buffer.concat(posts.map((p) => p.body)).toString('latin1');
      expect(all).toContain('travel-agent');
      expect(all).toContain('tools/call read_inbox');
    } finally {
      await provider.shutdown();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('rejects a missing service name with a clear error', () => {
    expect(() => createBulwarkTracerProvider({ serviceName: '' })).toThrowError(AgentSdkError);
  });

  it('nests spans across await with its context manager', async () => {
    trace.disable();
    context.disable();
    propagation.disable();
    const provider = createBulwarkTracerProvider({
      serviceName: 'x',
      exporter: { export: (_s, cb) => cb({ code: 0 }), shutdown: async () => {} },
    });
    const session = new AgentSession({}, {});
    const tracer = trace.getTracer('host');
    await tracer.startActiveSpan('agent run', async (root) => {
      await new Promise((r) => setTimeout(r, 1));
      const envelope = session.sendAgentMessage({ to: 'peer', text: 'hi' });
      const parent = String(envelope.metadata.traceparent).split('-')[1];
      expect(parent).toBe(root.spanContext().traceId);
      root.end();
    });
    await provider.shutdown();
  });
});
