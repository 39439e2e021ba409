import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getAgentSession, instrumentMcpClient, RemoteVerdictProvider } from '@bulwark/agent-sdk';
import { semconv as sc, type VerdictRequest, VerdictRequestSchema } from '@bulwark/contracts';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SpanKind } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestServer } from './fixtures/test-server.js';
import { setupTracing } from './fixtures/tracing.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A local verdict endpoint whose behaviour each test chooses. */
async function verdictServer(handler: Handler) {
  const requests: { headers: IncomingMessage['headers']; body: VerdictRequest }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      requests.push({ headers: req.headers, body: JSON.parse(body) as VerdictRequest });
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const request: VerdictRequest = VerdictRequestSchema.parse({
  tenantId: 'acme',
  sessionId: 's1',
  toolCall: { toolCallId: 'c1', toolName: 'send_email', arguments: { to: 'a@b.c' } },
  events: [],
});

const verdictFor = (r: VerdictRequest, decision = 'allow') => ({
  decision,
  reasons: [],
  detectorIds: [],
  decisionTimeMicros: 12,
  tenantId: r.tenantId,
  sessionId: r.sessionId,
  toolCallId: r.toolCall.toolCallId,
  toolName: r.toolCall.toolName,
  source: 'engine',
  timestampMillis: Date.now(),
});

describe('RemoteVerdictProvider against a local HTTP server', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (closers.length) await closers.pop()!();
  });

  it('posts the VerdictRequest as JSON with the configured headers and returns the validated verdict', async () => {
    const srv = await verdictServer((_req, body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(verdictFor(JSON.parse(body), 'alert')));
    });
    closers.push(srv.close);
    const provider = new RemoteVerdictProvider({ url: srv.url, headers: { Authorization: 'Bearer k1' } }, {});
    closers.push(() => provider.shutdown());
    const verdict = await provider.decide(request);
    expect(verdict.decision).toBe('alert');
    expect(verdict.source).toBe('remote');
    expect(srv.requests[0]!.headers.authorization).toBe('Bearer k1');
    expect(srv.requests[0]!.headers['content-type']).toBe('application/json');
    expect(srv.requests[0]!.body.toolCall.toolName).toBe('send_email');
    // Keep-alive: a second decision reuses the connection.
    await provider.decide(request);
    expect(srv.requests).toHaveLength(2);
  });

  it('BULWARK_API_KEY becomes a bearer token, and the base URL gets /v1/verdicts', async () => {
    let path = '';
    const srv = await verdictServer((req, body, res) => {
      path = req.url ?? '';
      res.writeHead(200).end(JSON.stringify(verdictFor(JSON.parse(body))));
    });
    closers.push(srv.close);
    const provider = new RemoteVerdictProvider(
      {},
      { BULWARK_VERDICT_URL: srv.url, BULWARK_API_KEY: 'secret' },
    );
    closers.push(() => provider.shutdown());
    await provider.decide(request);
    expect(path).toBe('/v1/verdicts');
    expect(srv.requests[0]!.headers.authorization).toBe('Bearer secret');
  });

  it('takes a base URL (path prefix kept) and normalises a full endpoint URL', async () => {
    const paths: string[] = [];
    const srv = await verdictServer((req, body, res) => {
      paths.push(req.url ?? '');
      res.writeHead(200).end(JSON.stringify(verdictFor(JSON.parse(body))));
    });
    closers.push(srv.close);
    for (const url of [`${srv.url}/gw/`, `${srv.url}/v1/verdicts`, `${srv.url}/v1/traces`]) {
      const provider = new RemoteVerdictProvider({ url }, {});
      closers.push(() => provider.shutdown());
      expect((await provider.decide(request)).source).toBe('remote');
    }
    expect(paths).toEqual(['/gw/v1/verdicts', '/v1/verdicts', '/v1/verdicts']);
  });

  for (const onVerdictUnavailable of ['block', 'allow'] as const) {
    it(`a server that never answers yields a fallback '${onVerdictUnavailable}' verdict at the deadline`, async () => {
      const srv = await verdictServer(() => {
        /* never answers */
      });
      closers.push(srv.close);
      const provider = new RemoteVerdictProvider(
        { url: srv.url, timeoutMillis: 100, onVerdictUnavailable },
        {},
      );
      closers.push(() => provider.shutdown());
      const verdict = await provider.decide(request);
      expect(verdict.decision).toBe(onVerdictUnavailable);
      expect(verdict.source).toBe('fallback');
      expect(verdict.reasons[0]?.message).toContain('no answer within 100 ms');
      expect(verdict.toolCallId).toBe('c1');
    });
  }

  it('a slow answer after the deadline is ignored', async () => {
    const srv = await verdictServer((_req, body, res) => {
      setTimeout(() => res.writeHead(200).end(JSON.stringify(verdictFor(JSON.parse(body)))), 400);
    });
    closers.push(srv.close);
    const provider = new RemoteVerdictProvider({ url: srv.url, timeoutMillis: 50 }, {});
    closers.push(() => provider.shutdown());
    const verdict = await provider.decide(request);
    expect(verdict.source).toBe('fallback');
    expect(verdict.fallbackKind).toBe('timeout');
    expect(verdict.decision).toBe('block');
  });

  it('5xx, invalid JSON, an invalid verdict and a verdict for another call all fall back', async () => {
    const answers = [
      (res: ServerResponse) => res.writeHead(503).end('busy'),
      (res: ServerResponse) => res.writeHead(200).end('not json'),
      (res: ServerResponse) => res.writeHead(200).end(JSON.stringify({ decision: 'maybe' })),
      (res: ServerResponse) =>
        res.writeHead(200).end(JSON.stringify({ ...verdictFor(request), toolCallId: 'other-call' })),
      (res: ServerResponse) => res.writeHead(401).end('{"error":"bad api key"}'),
    ];
    let i = 0;
    const srv = await verdictServer((_req, _body, res) => answers[i++]!(res));
    closers.push(srv.close);
    const provider = new RemoteVerdictProvider({ url: srv.url, onVerdictUnavailable: 'allow' }, {});
    closers.push(() => provider.shutdown());
    const messages: string[] = [];
    const kinds: (string | undefined)[] = [];
    for (let n = 0; n < answers.length; n++) {
      const v = await provider.decide(request);
      expect(v.source).toBe('fallback');
      expect(v.decision).toBe('allow');
      messages.push(v.reasons[0]!.message);
      kinds.push(v.fallbackKind);
    }
    expect(messages[0]).toContain('HTTP 503');
    expect(messages[1]).toContain('not JSON');
    expect(messages[2]).toContain('invalid verdict');
    expect(messages[3]).toContain('other-call');
    expect(messages[4]).toContain('bad api key');
    expect(kinds).toEqual(['unavailable', 'error', 'error', 'error', 'error']);
  });

  it('a refused connection falls back, and so does a provider that was shut down', async () => {
    const srv = await verdictServer(() => {});
    const url = srv.url;
    await srv.close();
    const provider = new RemoteVerdictProvider({ url, onVerdictUnavailable: 'block' }, {});
    const v = await provider.decide(request);
    expect(v.source).toBe('fallback');
    expect(v.reasons[0]!.message).toContain('request failed');
    expect(v.fallbackKind).toBe('unavailable');
    await provider.shutdown();
    const after = await provider.decide(request);
    expect(after.reasons[0]!.message).toContain('shut down');
    expect(after.fallbackKind).toBe('unavailable');
  });

  it('rejects bad options with every problem listed', () => {
    expect(
      () =>
        new RemoteVerdictProvider(
          { url: 'ftp://x', timeoutMillis: -1, onVerdictUnavailable: 'maybe' as never },
          { BULWARK_VERDICT_TIMEOUT_MILLIS: 'abc' },
        ),
    ).toThrowError(
      /url: must be an http\(s\) URL.*timeoutMillis: must be an integer.*onVerdictUnavailable: must be one of allow, block/,
    );
    expect(() => new RemoteVerdictProvider({}, { BULWARK_VERDICT_TIMEOUT_MILLIS: 'abc' })).toThrowError(
      /BULWARK_VERDICT_TIMEOUT_MILLIS: must be an integer/,
    );
  });
});

describe('an instrumented client with a RemoteVerdictProvider that times out', () => {
  let tracing: ReturnType<typeof setupTracing>;
  beforeEach(() => {
    tracing = setupTracing();
  });
  afterEach(async () => {
    await tracing.shutdown();
  });

  for (const onVerdictUnavailable of ['block', 'allow'] as const) {
    it(`onVerdictUnavailable: '${onVerdictUnavailable}'`, async () => {
      let answer = false;
      const srv = await verdictServer((_req, body, res) => {
        // The first request is never answered; later ones are.
        if (answer)
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify(verdictFor(JSON.parse(body) as VerdictRequest)));
      });
      const provider = new RemoteVerdictProvider(
        { url: srv.url, timeoutMillis: 100, onVerdictUnavailable },
        {},
      );
      const testServer = createTestServer(tracing.tracer);
      const client = instrumentMcpClient(new Client({ name: 'agent', version: '1' }), {
        tracer: tracing.tracer,
        verdictProvider: provider,
      });
      await testServer.connect(client);
      try {
        await client.listTools();
        const result = await client.callTool({ name: 'send_email', arguments: { to: 'a@b.c', body: 'x' } });
        const span = tracing
          .spans()
          .find((s) => s.name === 'tools/call send_email' && s.kind === SpanKind.CLIENT)!;
        // What ran (or did not) is the record: the fallback and why, no verdict decision.
        expect(span.attributes[sc.ATTR_BULWARK_VERDICT_DECISION]).toBeUndefined();
        expect(span.attributes[sc.ATTR_BULWARK_ENFORCED_DECISION]).toBe(onVerdictUnavailable);
        expect(span.attributes[sc.ATTR_BULWARK_ENFORCED_SOURCE]).toBe('fallback_timeout');
        expect(String(span.attributes[sc.ATTR_BULWARK_ENFORCED_REASON])).toContain('no answer within 100 ms');
        // The next verdict request carries it, and the enforced decision of a verdict that arrives.
        answer = true;
        await client.callTool({ name: 'read_inbox', arguments: {} });
        const second = srv.requests.at(-1)!.body;
        expect(VerdictRequestSchema.parse(second).enforced).toEqual([
          expect.objectContaining({
            toolName: 'send_email',
            decision: onVerdictUnavailable,
            source: 'fallback_timeout',
            reason: expect.stringContaining('no answer within 100 ms'),
          }),
        ]);
        expect(second.enforced![0]!.verdictDecision).toBeUndefined();
        const inbox = tracing
          .spans()
          .find((s) => s.name === 'tools/call read_inbox' && s.kind === SpanKind.CLIENT)!;
        expect(inbox.attributes[sc.ATTR_BULWARK_VERDICT_DECISION]).toBe('allow');
        expect(inbox.attributes[sc.ATTR_BULWARK_ENFORCED_SOURCE]).toBe('verdict');
        expect(getAgentSession(client)!.pendingEnforced).toEqual([
          expect.objectContaining({
            toolName: 'read_inbox',
            decision: 'allow',
            source: 'verdict',
            verdictDecision: 'allow',
          }),
        ]);
        if (onVerdictUnavailable === 'block') {
          expect(result.isError).toBe(true);
          expect(testServer.received.map((r) => r.tool)).toEqual(['read_inbox']);
          // The events the collector never received were kept for the next request.
          expect(second.events.map((e) => e.kind)).toEqual(['tool_definitions', 'tool_call']);
        } else {
          expect(result.isError).toBeFalsy();
          expect(testServer.received.map((r) => r.tool)).toEqual(['send_email', 'read_inbox']);
        }
      } finally {
        await client.close();
        await provider.shutdown();
        await srv.close();
      }
    });
  }
});
