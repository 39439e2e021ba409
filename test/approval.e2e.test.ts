/**
 * The approval loop end to end: a policy marks a tool `require_approval`; the agent SDK asks the collector
 * (HTTP), the in-process worker sends the signed approval request to the approver's webhook, the approver
 * answers on the collector's `POST /v1/approvals`, and the waiting agent's call runs (or is refused) on that
 * answer. Real MCP server, real collector, real worker on the embedded store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  AgentSession,
  CollectorApprovals,
  instrumentMcpClient,
  RemoteVerdictProvider,
} from '@bulwark/agent-sdk';
import { type RunningCollector, StorageWorker, startCollector } from '@bulwark/collector';
import { DetectionEngine, parsePolicy } from '@bulwark/detectors';
import { verifyWebhookSignature, WEBHOOK_HEADERS } from '@bulwark/stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

const SECRET = 'approver-secret-0123456789';
const AGENT_KEY = 'agent-key-0123456789abcdef';
const APPROVER_KEY = 'approver-key-0123456789abcdef';
const agentAuth = { authorization: `Bearer ${AGENT_KEY}` };
const policy = parsePolicy('overrides:\n  - tool: transfer_funds\n    decision: require_approval\n');

/** The approver's system: checks the signature, answers by the amount (a human would decide here). */
function approver(collectorUrl: () => string) {
  const requests: Array<{ approvalId: string; toolName: string; callbackUrl?: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', async () => {
      const ok = verifyWebhookSignature({
        secret: SECRET,
        body,
        signature: req.headers[WEBHOOK_HEADERS.signature] as string | undefined,
        timestamp: req.headers[WEBHOOK_HEADERS.timestamp] as string | undefined,
        nowMillis: Date.now(),
      });
      if (!ok.ok) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200).end();
      const payload = JSON.parse(body) as {
        type: string;
        approval?: { approvalId: string; tenantId: string; toolName: string };
      };
      if (payload.type !== 'approval_request' || !payload.approval) return;
      requests.push(payload.approval);
      const amount = requests.length === 1 ? 'small' : 'large';
      await fetch(`${collectorUrl()}/v1/approvals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${APPROVER_KEY}` },
        body: JSON.stringify({
          approvalId: payload.approval.approvalId,
          tenantId: payload.approval.tenantId,
          decision: amount === 'small' ? 'allow' : 'block',
          approver: 'alice@example.com',
        }),
      });
    });
  });
  return { server, requests };
}

describe('require_approval end to end: SDK → collector → worker → approver webhook → collector → SDK', () => {
  let collector: RunningCollector;
  let dataDir: string;
  const receiver = approver(() => collector.url);
  const ran: number[] = [];

  beforeAll(async () => {
    await new Promise<void>((r) => receiver.server.listen(0, '127.0.0.1', () => r()));
    const hook = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/approvals`;
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'bulwark-approval-'));
    const logger = pino({ level: 'silent' });
    collector = await startCollector({
      port: 0,
      env: {},
      apiKeys: [AGENT_KEY],
      approverKeys: [APPROVER_KEY],
      logger,
      engine: new DetectionEngine({ policy }),
      startWorker: (bus) =>
        StorageWorker.start({
          bus,
          busKind: 'memory',
          env: {},
          store: { dataDir, flushIntervalMillis: 50 },
          createEngine: () => new DetectionEngine({ policy }),
          logger,
          alerts: {
            channels: { approvers: { type: 'webhook', url: hook, secret: SECRET, timeoutMillis: 5_000 } },
            routes: [],
            approvals: { channel: 'approvers', timeoutMillis: 60_000 },
            suppressionWindowMillis: 60_000,
            minIncidentSeverity: 'medium',
            retry: { maxAttempts: 3, initialDelayMillis: 50, maxDelayMillis: 200, deadlineMillis: 5_000 },
          },
        }),
    });
  });
  afterAll(async () => {
    await collector?.close();
    await new Promise<void>((r) => receiver.server.close(() => r()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the call the approver allowed and refuses the one they blocked; nothing runs before the answer', async () => {
    const server = new McpServer({ name: 'bank', version: '1.0.0' });
    server.registerTool(
      'transfer_funds',
      {
        description: 'Transfers money to an account.',
        inputSchema: { iban: z.string(), amount: z.number() },
      },
      async (args) => {
        ran.push(args.amount);
        return { content: [{ type: 'text' as const, text: `sent ${args.amount}` }] };
      },
    );
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    const approvals = new CollectorApprovals(
      { url: collector.url, timeoutMillis: 20_000, headers: agentAuth },
      {},
    );
    const verdictProvider = new RemoteVerdictProvider(
      { url: collector.url, timeoutMillis: 2_000, headers: agentAuth },
      {},
    );
    const session = new AgentSession({
      agentName: 'payer',
      verdictProvider,
      onApprovalRequired: approvals.handler,
    });
    const client = instrumentMcpClient(new Client({ name: 'agent', version: '1.0.0' }), { session });
    await client.connect(a);
    session.recordLlmCall({
      provider: 'openai',
      request: {
        model: 'm',
        messages: [{ role: 'user', content: 'Pay my rent of 900 to DE89370400440532013000' }],
      },
      response: { choices: [{ message: { role: 'assistant', content: 'Paying.' } }] },
    });

    const first = await client.callTool({
      name: 'transfer_funds',
      arguments: { iban: 'DE89370400440532013000', amount: 900 },
    });
    expect(first.isError).toBeFalsy();
    const second = await client.callTool({
      name: 'transfer_funds',
      arguments: { iban: 'DE89370400440532013000', amount: 90000 },
    });
    expect(second.isError).toBe(true);
    expect(JSON.stringify(second.content)).toMatch(/not approved/);
    expect(ran).toEqual([900]);
    expect(receiver.requests.map((r) => r.toolName)).toEqual(['transfer_funds', 'transfer_funds']);
    await client.close();
    await approvals.shutdown();
    await verdictProvider.shutdown();
  }, 60_000);

  it('refuses answers made with agent credentials: an injected agent cannot approve its own call', async () => {
    for (const headers of [agentAuth, {}]) {
      const res = await fetch(`${collector.url}/v1/approvals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ approvalId: 'b'.repeat(32), decision: 'allow' }),
      });
      expect(res.status).toBe(401);
      expect(await res.text()).toMatch(/approver credentials required/);
    }
  });

  it('answers a bad approval with 400 and a second, different answer with 409', async () => {
    const post = (body: unknown) =>
      fetch(`${collector.url}/v1/approvals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${APPROVER_KEY}` },
        body: JSON.stringify(body),
      });
    const bad = await post({ approvalId: 'nope', decision: 'maybe' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/approvalId.*32-hex/);
    const id = 'a'.repeat(32);
    expect((await post({ approvalId: id, decision: 'block' })).status).toBe(200);
    expect((await post({ approvalId: id, decision: 'block' })).status).toBe(200);
    const flip = await post({ approvalId: id, decision: 'allow' });
    expect(flip.status).toBe(409);
    expect(await flip.text()).toMatch(/already answered .{0,2}block/);
  });
});

describe('a collector without approver keys', () => {
  it('answers 403 approvals_disabled and says what to set', async () => {
    const c = await startCollector({ port: 0, env: {}, logger: pino({ level: 'silent' }) });
    try {
      const res = await fetch(`${c.url}/v1/approvals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ approvalId: 'c'.repeat(32), decision: 'allow' }),
      });
      expect(res.status).toBe(403);
      expect(await res.text()).toMatch(/BULWARK_APPROVER_KEYS/);
    } finally {
      await c.close();
    }
  });
});
