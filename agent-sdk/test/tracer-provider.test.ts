import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentSdkError, AgentSession, instrumentMcpClient } from '@bulwark/agent-sdk';
import { createBulwarkTracerProvider } from '@bulwark/agent-sdk/setup';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { context, DiagLogLevel, diag, propagation, trace } from '@opentelemetry/api';
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
      // The base URL, as for RemoteVerdictProvider: /v1/traces is appended.
      url: `http://127.0.0.1:${port}`,
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

  describe('never fails the host', () => {
    const logged: { level: string; message: string }[] = [];
    const log = (level: string) => (message: string) => logged.push({ level, message });
    afterEach(() => {
      diag.disable();
      logged.length = 0;
    });
    const captureDiag = () =>
      diag.setLogger(
        { error: log('error'), warn: log('warn'), info: () => {}, debug: () => {}, verbose: () => {} },
        { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
      );

    async function closedPort(): Promise<number> {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }

    it('forceFlush() and shutdown() resolve within 3 s when the collector is down (diag error)', async () => {
      captureDiag();
      const port = await closedPort();
      const provider = createBulwarkTracerProvider({
        serviceName: 'agent',
        url: `http://127.0.0.1:${port}`,
        registerGlobal: false,
      });
      provider.getTracer('t').startSpan('work').end();
      const started = Date.now();
      await expect(provider.forceFlush()).resolves.toBeUndefined();
      provider.getTracer('t').startSpan('more work').end();
      await expect(provider.shutdown()).resolves.toBeUndefined();
      const elapsed = Date.now() - started;
      expect(elapsed).toBeLessThan(3_000);
      expect(
        logged.some((l) => l.level === 'error' && /forceFlush failed|shutdown failed/.test(l.message)),
      ).toBe(true);
    }, 10_000);

    it('a collector answering 404 (wrong URL) gets a diag error saying what to fix', async () => {
      captureDiag();
      const server = createServer((req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(404).end('not found'));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const provider = createBulwarkTracerProvider({
        serviceName: 'agent',
        url: `http://127.0.0.1:${port}`,
        registerGlobal: false,
      });
      try {
        provider.getTracer('t').startSpan('work').end();
        await expect(provider.forceFlush()).resolves.toBeUndefined();
        const refused = logged.filter((l) => l.level === 'error' && l.message.includes('HTTP 404'));
        expect(refused).toHaveLength(1);
        expect(refused[0]!.message).toContain('base URL (e.g. http://127.0.0.1:4318)');
      } finally {
        await provider.shutdown();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });

    it('warns once through diag about an unknown option', async () => {
      captureDiag();
      const options = { serviceName: 'agent', exportTimeoutMs: 10, registerGlobal: false } as never;
      await createBulwarkTracerProvider(options).shutdown();
      await createBulwarkTracerProvider(options).shutdown();
      const warned = logged.filter((l) => l.message.includes('unknown option "exportTimeoutMs"'));
      expect(warned).toHaveLength(1);
      expect(warned[0]!.level).toBe('warn');
    });
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
