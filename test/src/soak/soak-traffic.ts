import { randomBytes } from 'node:crypto';
import type { EventStore, StoreQuery } from '@bulwark/stream';

type AttrValue = string | number | boolean;
const anyValue = (v: AttrValue) =>
  typeof v === 'string'
    ? { stringValue: v }
    : typeof v === 'boolean'
      ? { boolValue: v }
      : Number.isInteger(v)
        ? { intValue: String(v) }
        : { doubleValue: v };
export const attrs = (a: Record<string, AttrValue>) =>
  Object.entries(a).map(([key, value]) => ({ key, value: anyValue(value) }));

/** One OTLP/JSON tool-call span whose agent event id is `eventId` (no result: one event per span). */
export function toolSpan(
  eventId: string,
  o: {
    session: string;
    tenant?: string;
    tool?: string;
    agent?: string;
    args?: unknown;
    startMillis?: number;
  },
) {
  const start = BigInt(o.startMillis ?? Date.now()) * 1_000_000n;
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    name: `tools/call ${o.tool ?? 'read_file'}`,
    kind: 1,
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: (start + 1_000_000n).toString(),
    attributes: attrs({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.conversation.id': o.session,
      'gen_ai.tool.name': o.tool ?? 'read_file',
      'gen_ai.tool.call.id': `call-${eventId}`,
      'gen_ai.tool.call.arguments': JSON.stringify(o.args ?? { path: 'notes.txt' }),
      'bulwark.event.id': eventId,
      ...(o.tenant !== undefined ? { 'bulwark.tenant.id': o.tenant } : {}),
      ...(o.agent !== undefined ? { 'gen_ai.agent.name': o.agent } : {}),
    }),
  };
}

/** An OTLP/JSON ExportTraceServiceRequest. */
export const otlpJson = (spans: unknown[]) => ({
  resourceSpans: [
    {
      resource: { attributes: attrs({ 'service.name': 'soak-agent' }) },
      scopeSpans: [{ scope: { name: 'bulwark-soak' }, spans }],
    },
  ],
});

/** What a stream of posts acknowledged and how it was answered. */
export interface StreamResult {
  acknowledged: Set<string>;
  statuses: Record<string, number>;
  retryAfterMissing: number;
  requests: number;
}

/**
 * Posts tool-call spans (`batch` per request, unique event ids) to `/v1/traces` of `urlOf()` until `stop()`,
 * like an OTLP exporter: a 429/503 or a connection error is retried (after Retry-After, at most 2 s), an
 * id counts as acknowledged only when its request got 200. `urlOf` may change (a restarted server).
 */
export function streamSpans(o: {
  urlOf: () => string | undefined;
  tenant: string;
  prefix: string;
  batch?: number;
  concurrency?: number;
  paceMillis?: number;
}): { result: StreamResult; stop: () => Promise<StreamResult> } {
  const result: StreamResult = { acknowledged: new Set(), statuses: {}, retryAfterMissing: 0, requests: 0 };
  let running = true;
  let n = 0;
  const count = (k: string) => {
    result.statuses[k] = (result.statuses[k] ?? 0) + 1;
  };
  const loop = async (lane: number) => {
    while (running) {
      const ids = Array.from({ length: o.batch ?? 20 }, (_, j) => `${o.prefix}-${lane}-${n}-${j}`);
      const session = `${o.prefix}-s${n % 8}`;
      n += 1;
      const body = JSON.stringify(otlpJson(ids.map((id) => toolSpan(id, { session, tenant: o.tenant }))));
      // Retry the same ids until they are taken or the stream stops (then they were never acknowledged).
      while (running) {
        const url = o.urlOf();
        if (!url) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        result.requests += 1;
        try {
          const res = await fetch(`${url}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
            signal: AbortSignal.timeout(15_000),
          });
          await res.arrayBuffer();
          count(String(res.status));
          if (res.status === 200) {
            for (const id of ids) result.acknowledged.add(id);
            break;
          }
          const retryAfter = res.headers.get('retry-after');
          if (!retryAfter && (res.status === 429 || res.status === 503)) result.retryAfterMissing += 1;
          await new Promise((r) => setTimeout(r, Math.min(2_000, Number(retryAfter ?? 0.2) * 1000)));
        } catch {
          count('conn_error');
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      if (o.paceMillis) await new Promise((r) => setTimeout(r, o.paceMillis));
    }
  };
  const lanes = Array.from({ length: o.concurrency ?? 2 }, (_, i) => loop(i));
  return {
    result,
    stop: async () => {
      running = false;
      await Promise.all(lanes);
      return result;
    },
  };
}

/** Raw rows per event id of `tenantId` in the events table (duplicates not collapsed). */
const eventIdRows: StoreQuery<{ tenantId: string }, { eventId: string; rows: number }> = {
  name: 'soak.eventIdRows',
  sql: 'SELECT event_id, count() AS n FROM events WHERE tenant_id = {tenantId:String} GROUP BY event_id',
  decodeRow: (r) => ({ eventId: String(r.event_id), rows: Number(r.n) }),
};

const eventIdRowsFinal: StoreQuery<{ tenantId: string }, { eventId: string; rows: number }> = {
  ...eventIdRows,
  name: 'soak.eventIdRowsFinal',
  sql: eventIdRows.sql.replace('FROM events', 'FROM events FINAL'),
};

/** Stored rows per event id of one tenant; `final`: as the store's queries see them (duplicates collapsed). */
export async function storedIds(
  store: EventStore,
  tenantId: string,
  final = false,
): Promise<Map<string, number>> {
  const res = await store.query(final ? eventIdRowsFinal : eventIdRows, { tenantId });
  if (!res.ok) throw new Error(`store query failed: ${res.message}`);
  return new Map(res.rows.map((r) => [r.eventId, r.rows]));
}

/** acknowledged / stored / missing / duplicated (ids with more than one stored row) by event id. */
export function reconcile(acknowledged: Set<string>, stored: Map<string, number>) {
  let missing = 0;
  for (const id of acknowledged) if (!stored.has(id)) missing += 1;
  let duplicated = 0;
  let unacknowledgedStored = 0;
  for (const [id, rows] of stored) {
    if (rows > 1) duplicated += 1;
    if (!acknowledged.has(id)) unacknowledgedStored += 1;
  }
  return { acknowledged: acknowledged.size, stored: stored.size, missing, duplicated, unacknowledgedStored };
}

/** Polls `read` until `done` or the deadline; returns the last value (never throws on timeout). */
export async function settle<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMillis: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMillis;
  let last = await read();
  while (!done(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    last = await read();
  }
  return last;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
