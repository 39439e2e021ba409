import { AgentSession } from '@bulwark/agent-sdk';
import type { Verdict, VerdictProvider, VerdictRequest } from '@bulwark/contracts';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { McpProxy, SERVER_GONE_CODE } from './mcp-proxy.js';

type Msg = Record<string, unknown> & {
  id?: string | number;
  method?: string;
  params?: Record<string, unknown>;
};

/** One end of a link, speaking raw JSON-RPC: what it received, and a way to wait for a message. */
function end(transport: InMemoryTransport) {
  const got: Msg[] = [];
  const waiters: Array<{ match: (m: Msg) => boolean; resolve: (m: Msg) => void }> = [];
  transport.onmessage = (m) => {
    const msg = m as unknown as Msg;
    got.push(msg);
    for (const w of waiters.splice(0)) {
      if (w.match(msg)) w.resolve(msg);
      else waiters.push(w);
    }
  };
  return {
    got,
    send: (m: Msg) => transport.send(m as unknown as JSONRPCMessage),
    next: (match: (m: Msg) => boolean) =>
      new Promise<Msg>((resolve, reject) => {
        const found = got.find(match);
        if (found) return resolve(found);
        const timer = setTimeout(() => reject(new Error('no such message within 2 s')), 2_000);
        waiters.push({
          match,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      }),
  };
}

/** Decides like a policy that refuses one tool; keeps every request (to see what was recorded). */
class StubProvider implements VerdictProvider {
  readonly requests: VerdictRequest[] = [];
  async decide(request: VerdictRequest): Promise<Verdict> {
    this.requests.push(request);
    const refused = request.toolCall.toolName === 'refused_tool';
    const ask = request.toolCall.toolName === 'asks_approval';
    return {
      decision: refused ? 'block' : ask ? 'require_approval' : 'allow',
      reasons: refused
        ? [
            {
              detectorId: 'test.rule',
              severity: 'high',
              decision: 'block',
              message: 'not allowed',
              evidence: [],
            },
          ]
        : [],
      detectorIds: ['test.rule'],
      decisionTimeMicros: 1,
      tenantId: request.tenantId ?? 'default',
      sessionId: request.sessionId,
      toolCallId: request.toolCall.toolCallId,
      toolName: request.toolCall.toolName,
      source: 'engine',
      timestampMillis: 0,
    } as Verdict;
  }
  async forceFlush() {}
  async shutdown() {}
}

const proxies: McpProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

async function setup(exit?: string) {
  const [hostT, proxyHostT] = InMemoryTransport.createLinkedPair();
  const [proxyUpT, serverT] = InMemoryTransport.createLinkedPair();
  const host = end(hostT);
  const server = end(serverT);
  const provider = new StubProvider();
  const session = new AgentSession({ sessionId: 's-proxy', verdictProvider: provider });
  const logs: string[] = [];
  const proxy = new McpProxy({
    host: proxyHostT,
    upstream: proxyUpT,
    session,
    serverName: 'svc',
    log: (l) => logs.push(l),
    ...(exit ? { describeUpstreamExit: () => exit } : {}),
  });
  proxies.push(proxy);
  await proxy.start();
  await hostT.start();
  await serverT.start();
  return { host, server, provider, proxy, logs, serverT };
}

/** The server's copy of the host's request `method` (ids differ: the proxy's client numbers its own). */
const requestOf = (method: string) => (m: Msg) => m.method === method && m.id !== undefined;

describe('McpProxy relays messages', () => {
  it('relays requests, results and errors unchanged (unknown methods included), under the host ids', async () => {
    const { host, server } = await setup();
    await host.send({
      jsonrpc: '2.0',
      id: 'h1',
      method: 'vendor/thing',
      params: { a: 1, nested: { b: [1, 2] } },
    });
    const req = await server.next(requestOf('vendor/thing'));
    expect(req.params).toEqual({ a: 1, nested: { b: [1, 2] } });
    await server.send({ jsonrpc: '2.0', id: req.id!, result: { ok: true, extra: { kept: 'yes' } } });
    expect(await host.next((m) => m.id === 'h1')).toEqual({
      jsonrpc: '2.0',
      id: 'h1',
      result: { ok: true, extra: { kept: 'yes' } },
    });

    await host.send({ jsonrpc: '2.0', id: 2, method: 'vendor/fails' });
    const failing = await server.next(requestOf('vendor/fails'));
    expect(failing.params).toBeUndefined();
    await server.send({
      jsonrpc: '2.0',
      id: failing.id!,
      error: { code: -32042, message: 'nope', data: { why: 'test' } },
    });
    expect(await host.next((m) => m.id === 2)).toEqual({
      jsonrpc: '2.0',
      id: 2,
      error: { code: -32042, message: 'nope', data: { why: 'test' } },
    });
  });

  it('relays notifications both ways unchanged', async () => {
    const { host, server } = await setup();
    const fromHost = [
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', method: 'vendor/host-event', params: { n: 1 } },
      { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
    ];
    for (const n of fromHost) await host.send(n);
    for (const n of fromHost) expect(await server.next((m) => m.method === n.method)).toEqual(n);
    const fromServer = [
      { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'hi' } },
      { jsonrpc: '2.0', method: 'notifications/tools/list_changed' },
      { jsonrpc: '2.0', method: 'vendor/server-event', params: { z: [1] } },
    ];
    for (const n of fromServer) await server.send(n);
    for (const n of fromServer) expect(await host.next((m) => m.method === n.method)).toEqual(n);
  });

  it('drops a tools/call (or any MCP request method) sent without an id, logs it, forwards nothing', async () => {
    const { host, server, provider, logs } = await setup();
    for (const method of ['tools/call', 'resources/read', 'prompts/get'])
      await host.send({
        jsonrpc: '2.0',
        method,
        params: { name: 'send_email', arguments: { to: 'attacker@example.com' }, uri: 'file:///etc/passwd' },
      });
    // A notification sent after them arrives: the dropped ones, had they been forwarded, would be ahead of it.
    await host.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await server.next((m) => m.method === 'notifications/initialized');
    expect(server.got.map((m) => m.method)).toEqual(['notifications/initialized']);
    expect(provider.requests).toEqual([]);
    expect(logs.filter((l) => l.includes('without an id'))).toHaveLength(3);
    expect(logs.join('\n')).toContain('dropped a tools/call');
  });
});

describe('McpProxy translates ids', () => {
  it('translates progress tokens and cancellations; a cancelled request gets no answer', async () => {
    const { host, server } = await setup();
    await host.send({
      jsonrpc: '2.0',
      id: 'slow',
      method: 'tools/call',
      params: { name: 'slow_tool', arguments: {}, _meta: { progressToken: 'tok-1' } },
    });
    const req = await server.next(requestOf('tools/call'));
    const token = (req.params?._meta as { progressToken?: unknown } | undefined)?.progressToken;
    expect(token).toBeDefined();
    await server.send({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: token, progress: 1, total: 4, message: 'a quarter' },
    });
    expect(await host.next((m) => m.method === 'notifications/progress')).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: 'tok-1', progress: 1, total: 4, message: 'a quarter' },
    });
    await host.send({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 'slow', reason: 'user stopped it' },
    });
    const cancel = await server.next((m) => m.method === 'notifications/cancelled');
    expect(cancel.params).toEqual({ requestId: req.id, reason: 'user stopped it' });
    // The server answers anyway: the host, which cancelled, gets nothing.
    await server.send({ jsonrpc: '2.0', id: req.id!, result: { content: [] } });
    await host.send({ jsonrpc: '2.0', id: 'after', method: 'ping' });
    const ping = await server.next(requestOf('ping'));
    await server.send({ jsonrpc: '2.0', id: ping.id!, result: {} });
    await host.next((m) => m.id === 'after');
    expect(host.got.filter((m) => m.id === 'slow')).toEqual([]);
  });

  it('relays server requests (ping, roots, sampling) under their own ids, and their cancellation', async () => {
    const { host, server } = await setup();
    await server.send({ jsonrpc: '2.0', id: 7, method: 'ping' });
    expect(await host.next((m) => m.id === 7)).toEqual({ jsonrpc: '2.0', id: 7, method: 'ping' });
    await host.send({ jsonrpc: '2.0', id: 7, result: {} });
    expect(await server.next((m) => m.id === 7)).toEqual({ jsonrpc: '2.0', id: 7, result: {} });

    const sampling = {
      jsonrpc: '2.0',
      id: 8,
      method: 'sampling/createMessage',
      params: { messages: [{ role: 'user', content: { type: 'text', text: 'Summarise' } }], maxTokens: 10 },
    };
    await server.send(sampling);
    expect(await host.next((m) => m.id === 8)).toEqual(sampling);
    const answer = {
      role: 'assistant',
      content: { type: 'text', text: 'Done' },
      model: 'm',
      vendorField: { kept: true },
    };
    await host.send({ jsonrpc: '2.0', id: 8, result: answer });
    expect(await server.next((m) => m.id === 8)).toEqual({ jsonrpc: '2.0', id: 8, result: answer });

    await server.send({ ...sampling, id: 9 });
    await host.next((m) => m.id === 9);
    await server.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 9 } });
    expect(await host.next((m) => m.method === 'notifications/cancelled')).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 9 },
    });
  });
});

describe('McpProxy records and decides', () => {
  it('records tools/list, calls and results, and answers a refused call itself without forwarding it', async () => {
    const { host, server, provider } = await setup();
    await host.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const list = await server.next(requestOf('tools/list'));
    const tools = [{ name: 'allowed_tool', description: 'Does a thing.', inputSchema: { type: 'object' } }];
    await server.send({ jsonrpc: '2.0', id: list.id!, result: { tools } });
    expect(await host.next((m) => m.id === 1)).toEqual({ jsonrpc: '2.0', id: 1, result: { tools } });

    await host.send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'allowed_tool', arguments: { q: 'x' } },
    });
    const call = await server.next(requestOf('tools/call'));
    expect(call.params).toEqual({ name: 'allowed_tool', arguments: { q: 'x' } });
    const result = { content: [{ type: 'text', text: 'answer' }], structuredContent: { v: 1 } };
    await server.send({ jsonrpc: '2.0', id: call.id!, result });
    expect(await host.next((m) => m.id === 2)).toEqual({ jsonrpc: '2.0', id: 2, result });

    await host.send({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'refused_tool', arguments: {} },
    });
    const refused = await host.next((m) => m.id === 3);
    expect(refused.result).toMatchObject({
      isError: true,
      content: [{ type: 'text', text: expect.stringContaining('not allowed') }],
    });
    expect(server.got.filter((m) => m.method === 'tools/call')).toHaveLength(1);

    // The second decision carries what the SDK recorded since the first: definitions came before it.
    const kinds = provider.requests.flatMap((r) => r.events.map((e) => e.kind));
    expect(kinds).toEqual(expect.arrayContaining(['tool_definitions', 'tool_call', 'tool_result']));
    const defs = provider.requests[0]!.events.find((e) => e.kind === 'tool_definitions');
    expect(defs).toMatchObject({ sessionId: 's-proxy', server: 'svc', tools: [{ name: 'allowed_tool' }] });
  });

  it('refuses require_approval without an approver (fail closed), and runs it when one approves', async () => {
    const { host, server } = await setup();
    await host.send({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'asks_approval', arguments: {} },
    });
    const refused = await host.next((m) => m.id === 1);
    expect(refused.result).toMatchObject({ isError: true });
    expect(server.got.filter((m) => m.method === 'tools/call')).toEqual([]);

    const [hostT, proxyHostT] = InMemoryTransport.createLinkedPair();
    const [proxyUpT, serverT] = InMemoryTransport.createLinkedPair();
    const approver = end(hostT);
    const upstream = end(serverT);
    const asked: string[] = [];
    const session = new AgentSession({
      sessionId: 's-approve',
      verdictProvider: new StubProvider(),
      onApprovalRequired: async (r) => {
        asked.push(r.toolName);
        return true;
      },
    });
    const proxy = new McpProxy({ host: proxyHostT, upstream: proxyUpT, session });
    proxies.push(proxy);
    await proxy.start();
    await Promise.all([hostT.start(), serverT.start()]);
    await approver.send({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'asks_approval', arguments: {} },
    });
    const call = await upstream.next(requestOf('tools/call'));
    expect(asked).toEqual(['asks_approval']);
    await upstream.send({ jsonrpc: '2.0', id: call.id!, result: { content: [] } });
    expect(await approver.next((m) => m.id === 1)).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { content: [] },
    });
  });

  it('answers every request in flight with an error when the server goes away, then closes', async () => {
    const { host, server, proxy, serverT } = await setup('exited with code 3');
    await host.send({ jsonrpc: '2.0', id: 'a', method: 'vendor/long' });
    await host.send({
      jsonrpc: '2.0',
      id: 'b',
      method: 'tools/call',
      params: { name: 'allowed_tool', arguments: {} },
    });
    await server.next(requestOf('tools/call'));
    await serverT.close();
    for (const id of ['a', 'b']) {
      const answer = await host.next((m) => m.id === id);
      expect(answer.error).toEqual({
        code: SERVER_GONE_CODE,
        message: 'Bulwark proxy: the MCP server exited with code 3 before answering this request',
      });
    }
    expect(await proxy.closed).toEqual({ reason: 'server_closed', detail: 'exited with code 3' });
  });
});
