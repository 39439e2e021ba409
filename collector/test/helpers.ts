import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { type AgentEvent, type BusRecord, type EventBus, sessionKey } from '@bulwark/contracts';
import type { Detector } from '@bulwark/detectors';
import { InProcessEventBus } from '@bulwark/stream';
import { request } from 'undici';
import { type RunningCollector, type StartCollectorOptions, startCollector } from '../src/index.js';

/** A collector on a free loopback port, silent, reading no env unless given. */
export function startTestCollector(options: StartCollectorOptions = {}): Promise<RunningCollector> {
  return startCollector({ port: 0, logLevel: 'silent', env: {}, ...options });
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  raw: Buffer;
  json: unknown;
}

/** One HTTP request; never throws for HTTP statuses. */
export async function http(
  url: string,
  options: { method?: 'GET' | 'POST'; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const res = await request(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: options.headers,
    body: options.body,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  const raw = Buffer.from(await res.body.arrayBuffer());
  const text = raw.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, raw, json };
}

export const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  http(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });

export const hex = (bytes: number) => randomBytes(bytes).toString('hex');

type AttrValue = string | number | boolean;

function anyValue(v: AttrValue): Record<string, unknown> {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}

/** One OTLP/JSON span. */
export function otlpSpan(
  name: string,
  attributes: Record<string, AttrValue>,
  ids: { traceId?: string; spanId?: string } = {},
) {
  const start = BigInt(Date.now()) * 1_000_000n;
  return {
    traceId: ids.traceId ?? hex(16),
    spanId: ids.spanId ?? hex(8),
    name,
    kind: 1,
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: (start + 1_000_000n).toString(),
    attributes: Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) })),
  };
}

/** An OTLP/JSON ExportTraceServiceRequest with one resource and one scope. */
export function otlpRequest(
  spans: unknown[],
  resource: Record<string, AttrValue> = { 'service.name': 'test-agent' },
) {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: Object.entries(resource).map(([key, value]) => ({ key, value: anyValue(value) })),
        },
        scopeSpans: [{ scope: { name: 'bulwark-test' }, spans }],
      },
    ],
  };
}

/** A tool-call span of `session` carrying `bulwark.event.id` = `eventId`. */
export function toolCallSpan(
  session: string,
  eventId: string,
  toolName = 'read_file',
  args: Record<string, unknown> = {},
) {
  return otlpSpan(`tools/call ${toolName}`, {
    'gen_ai.operation.name': 'execute_tool',
    'mcp.method.name': 'tools/call',
    'gen_ai.conversation.id': session,
    'gen_ai.tool.name': toolName,
    'gen_ai.tool.call.id': `call-${eventId}`,
    'gen_ai.tool.call.arguments': JSON.stringify(args),
    'bulwark.event.id': eventId,
  });
}

/** A user-prompt span of `session`. */
export function promptSpan(session: string, content: string, extra: Record<string, AttrValue> = {}) {
  return otlpSpan('chat', {
    'gen_ai.operation.name': 'chat',
    'gen_ai.conversation.id': session,
    'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content }] }]),
    ...extra,
  });
}

/**
 * A test detector with per-(tenant, session) memory: blocks a tool call when its own session's history
 * contains `MARKER`, and says how many events it has seen for that session.
 */
export const MARKER = 'EXFILTRATE-EVERYTHING';
export function sessionMemoryDetector(): Detector & { seen: Map<string, string[]> } {
  const seen = new Map<string, string[]>();
  return {
    id: 'test.session_memory',
    description: 'remembers what each session saw',
    defaultSeverity: 'high',
    seen,
    onEvent(event: AgentEvent, ctx) {
      const key = sessionKey(ctx.tenantId, ctx.sessionId);
      const list = seen.get(key) ?? [];
      list.push(event.kind === 'prompt' ? event.content : `${event.kind}:${event.eventId}`);
      seen.set(key, list);
      return [];
    },
    onToolCall(_call, ctx) {
      const list = seen.get(sessionKey(ctx.tenantId, ctx.sessionId)) ?? [];
      if (!list.some((e) => e.includes(MARKER))) return [];
      return [
        {
          severity: 'high',
          decision: 'block',
          title: 'marker in session history',
          message: `session history of ${list.length} event(s) contains the marker`,
          evidence: [],
        },
      ];
    },
  };
}

/** An in-process bus plus everything published on `topic`. */
export async function recordingBus(topic: 'events' | 'verdicts' | 'findings' = 'events') {
  const bus = new InProcessEventBus();
  const records: BusRecord<unknown>[] = [];
  await bus.subscribe(topic, async (r) => void records.push(...r), { groupId: 'test' });
  return { bus: bus as EventBus & InProcessEventBus, records };
}

export async function waitFor(cond: () => boolean, timeoutMillis: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMillis} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Reads one sample of a metric from Prometheus text, 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([^{\s]+)(\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const pair of (m[3] ?? '').split(',').filter(Boolean)) {
      const [k, v] = pair.split('=');
      got[k!] = (v ?? '').replace(/^"|"$/g, '');
    }
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return 0;
}
