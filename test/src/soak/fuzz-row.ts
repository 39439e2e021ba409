import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rssBytes, type SoakProcess, startServe } from './soak-processes.js';
import { runRow, type SoakRow } from './soak-row.js';
import { attrs, otlpJson, toolSpan } from './soak-traffic.js';

/** mulberry32: a small seeded PRNG, so a failing input can be reproduced from the seed and its index. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- a minimal protobuf writer for OTLP ExportTraceServiceRequest (enough to build valid and bogus ones)
const varint = (n: number | bigint): Buffer => {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
};
const field = (no: number, wire: number) => varint((no << 3) | wire);
const bytesField = (no: number, data: Buffer | string) => {
  const b = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([field(no, 2), varint(b.length), b]);
};
const fixed64 = (no: number, v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return Buffer.concat([field(no, 1), b]);
};
const keyValue = (k: string, v: string) =>
  bytesField(9, Buffer.concat([bytesField(1, k), bytesField(2, bytesField(1, v))]));

function protoSpan(eventId: string, session: string, startNanos: bigint): Buffer {
  return Buffer.concat([
    bytesField(1, Buffer.alloc(16, 7)),
    bytesField(2, Buffer.from(eventId.padEnd(8, '0').slice(0, 8))),
    bytesField(5, 'tools/call read_file'),
    Buffer.concat([field(6, 0), varint(1)]),
    fixed64(7, startNanos),
    fixed64(8, startNanos + 1_000_000n),
    keyValue('gen_ai.operation.name', 'execute_tool'),
    keyValue('gen_ai.conversation.id', session),
    keyValue('gen_ai.tool.name', 'read_file'),
    keyValue('gen_ai.tool.call.id', `call-${eventId}`),
    keyValue('bulwark.event.id', eventId),
  ]);
}

function protoRequest(spans: Buffer[]): Buffer {
  const scope = Buffer.concat(spans.map((s) => bytesField(2, s)));
  const resourceSpans = Buffer.concat([
    bytesField(1, keyValue('service.name', 'fuzz')),
    bytesField(2, scope),
  ]);
  return bytesField(1, resourceSpans);
}

interface FuzzInput {
  route: string;
  body: Buffer;
  contentType: string;
  kind: string;
}

function deepJson(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** One fuzzed request, chosen by the PRNG: a mutation of a valid request, or a crafted hostile one. */
function fuzzInput(rand: () => number, i: number): FuzzInput {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const n = Math.floor(rand() * 1e9);
  const route = pick([
    'traces_json',
    'traces_json',
    'traces_proto',
    'traces_proto',
    'verdicts',
    'verdicts',
    'approvals',
  ] as const);
  const nowNanos = BigInt(Date.now()) * 1_000_000n;
  if (route === 'traces_proto') {
    let body = protoRequest(
      Array.from({ length: 1 + Math.floor(rand() * 4) }, (_, k) =>
        protoSpan(`f${i}-${k}`, `fz-${n % 9}`, nowNanos),
      ),
    );
    const kind = pick([
      'valid',
      'flip_bytes',
      'bogus_varint',
      'long_length',
      'random',
      'truncate',
      'far_time',
    ]);
    if (kind === 'flip_bytes') {
      body = Buffer.from(body);
      for (let k = 0; k < 1 + rand() * 8; k++)
        body[Math.floor(rand() * body.length)] = Math.floor(rand() * 256);
    } else if (kind === 'bogus_varint')
      body = Buffer.concat([
        body.subarray(0, Math.floor(rand() * body.length)),
        Buffer.alloc(11, 0xff),
        body,
      ]);
    else if (kind === 'long_length') body = Buffer.concat([field(1, 2), varint(2 ** 31 + n), body]);
    else if (kind === 'random')
      body = Buffer.from(
        Array.from({ length: 1 + Math.floor(rand() * 2000) }, () => Math.floor(rand() * 256)),
      );
    else if (kind === 'truncate') body = body.subarray(0, Math.floor(rand() * body.length));
    else if (kind === 'far_time')
      body = protoRequest([
        protoSpan(`f${i}`, 'fz-far', pick([0n, 2n ** 63n - 1n, 7_258_118_400_000_000_000n])),
      ]);
    return { route: '/v1/traces', body, contentType: 'application/x-protobuf', kind: `proto:${kind}` };
  }
  if (route === 'traces_json') {
    const spans = Array.from({ length: 1 + Math.floor(rand() * 4) }, (_, k) =>
      toolSpan(`fj${i}-${k}`, { session: `fz-${n % 9}` }),
    );
    const req = otlpJson(spans) as Record<string, unknown>;
    const span = spans[0] as Record<string, unknown>;
    const kind = pick([
      'valid',
      'drop_key',
      'wrong_type',
      'deep_args',
      'deep_kvlist',
      'huge_attr',
      'far_time',
      'non_utf8',
      'truncate',
      'lone_surrogate',
    ]);
    if (kind === 'drop_key')
      delete span[pick(['traceId', 'spanId', 'name', 'attributes', 'startTimeUnixNano'])];
    else if (kind === 'wrong_type')
      span[pick(['traceId', 'spanId', 'name', 'attributes', 'startTimeUnixNano', 'kind'])] = pick([
        null,
        1e308,
        -1,
        'x',
        [],
        {},
        true,
      ]);
    else if (kind === 'deep_args')
      (span.attributes as unknown[]).push(
        ...attrs({ 'gen_ai.tool.call.arguments': `{"a":${deepJson(5_000 + Math.floor(rand() * 95_000))}}` }),
      );
    else if (kind === 'deep_kvlist') {
      // Built as text: JSON.stringify itself would overflow this process's stack at this depth.
      const depth = 2_000 + Math.floor(rand() * 20_000);
      const deep = `${'{"kvlistValue":{"values":[{"key":"k","value":'.repeat(depth)}{"stringValue":"leaf"}${'}]}}'.repeat(depth)}`;
      (span.attributes as unknown[]).push({ key: 'deep', value: '__DEEP__' });
      return {
        route: '/v1/traces',
        body: Buffer.from(JSON.stringify(req).replace('"__DEEP__"', deep)),
        contentType: 'application/json',
        kind: 'json:deep_kvlist',
      };
    } else if (kind === 'huge_attr')
      (span.attributes as unknown[]).push(
        ...attrs({ 'gen_ai.tool.call.result': 'x'.repeat((1 + Math.floor(rand() * 4)) * 2 ** 20) }),
      );
    else if (kind === 'far_time')
      span.startTimeUnixNano = pick([
        '0',
        '-5',
        '99999999999999999999999',
        '7258118400000000000',
        '1e30',
        '86400000000000',
      ]);
    else if (kind === 'lone_surrogate')
      (span.attributes as unknown[]).push(...attrs({ 'gen_ai.tool.call.id': 'id-\ud800' }));
    let body = Buffer.from(JSON.stringify(req));
    if (kind === 'non_utf8') {
      body = Buffer.from(body);
      for (let k = 0; k < 4; k++)
        body[20 + Math.floor(rand() * (body.length - 40))] = pick([0xff, 0xc3, 0xed, 0x80]);
    } else if (kind === 'truncate') body = body.subarray(0, Math.floor(rand() * body.length));
    return { route: '/v1/traces', body, contentType: 'application/json', kind: `json:${kind}` };
  }
  if (route === 'verdicts') {
    const base: Record<string, unknown> = {
      sessionId: `fz-v-${n % 7}`,
      toolCall: { toolCallId: `c${i}`, toolName: 'send_email', arguments: { to: 'a@example.com' } },
    };
    const kind = pick([
      'valid',
      'drop_key',
      'wrong_type',
      'deep_args',
      'huge_arg',
      'many_events',
      'far_time',
      'non_utf8',
      'bad_ids',
    ]);
    const tc = base.toolCall as Record<string, unknown>;
    if (kind === 'drop_key') delete base[pick(['sessionId', 'toolCall'])];
    else if (kind === 'wrong_type')
      tc[pick(['toolCallId', 'toolName', 'arguments'])] = pick([null, 1e308, [], 'x', true]);
    else if (kind === 'huge_arg') tc.arguments = { body: 'y'.repeat((1 + Math.floor(rand() * 6)) * 2 ** 20) };
    else if (kind === 'many_events')
      base.events = Array.from({ length: 10_000 }, (_, k) => ({
        kind: 'prompt',
        eventId: `e${i}-${k}`,
        sessionId: base.sessionId,
        timestampMillis: Date.now(),
        role: 'user',
        content: 'hello',
      }));
    else if (kind === 'far_time') base.timestampMillis = pick([1e300, -1, 8.64e15 + 1, 0]);
    else if (kind === 'bad_ids') base.sessionId = pick(['a\u0000b', '\ud800', '', 'x'.repeat(100_000)]);
    let body = Buffer.from(
      kind === 'deep_args'
        ? `{"sessionId":"fz","toolCall":{"toolCallId":"c","toolName":"t","arguments":{"a":${deepJson(100_000)}}}}`
        : JSON.stringify(base),
    );
    if (kind === 'non_utf8') {
      body = Buffer.from(body);
      body[Math.floor(body.length / 2)] = 0xff;
    }
    return { route: '/v1/verdicts', body, contentType: 'application/json', kind: `verdict:${kind}` };
  }
  const kind = pick(['wait_random', 'wait_bad_millis', 'answer_garbage', 'wait_deep']);
  const body =
    kind === 'wait_random'
      ? JSON.stringify({ approvalId: `ap-${n}`, waitMillis: 0 })
      : kind === 'wait_bad_millis'
        ? JSON.stringify({ approvalId: `ap-${n}`, waitMillis: pick([-1, 1e300, 'x', null]) })
        : kind === 'wait_deep'
          ? `{"approvalId":${deepJson(50_000)}}`
          : JSON.stringify({
              approvalId: pick(['', 'x'.repeat(10_000), '\u0000']),
              decision: pick(['allow', 'maybe', 7]),
            });
  return {
    route: kind === 'answer_garbage' ? '/v1/approvals' : '/v1/approvals/wait',
    body: Buffer.from(body),
    contentType: 'application/json',
    kind: `approval:${kind}`,
  };
}

/** One request of 100,000 tiny spans (OTLP/JSON). */
function hundredKSpans(): Buffer {
  const start = `${Date.now()}000000`;
  const spans = Array.from(
    { length: 100_000 },
    (_, i) =>
      `{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"${i.toString(16).padStart(16, '0')}","name":"tools/call t","startTimeUnixNano":"${start}","endTimeUnixNano":"${start}","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"execute_tool"}},{"key":"gen_ai.conversation.id","value":{"stringValue":"fz-100k"}},{"key":"gen_ai.tool.name","value":{"stringValue":"t"}}]}`,
  );
  return Buffer.from(
    `{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"f"},"spans":[${spans.join(',')}]}]}]}`,
  );
}

/**
 * The seeded fuzzer over OTLP/JSON, OTLP/protobuf, the verdict and approval routes, against one `bulwark
 * serve` (embedded): answers by status, crashes (the process died, or a 5xx other than a shedding 503), RSS.
 */
export function fuzzRow(log: (s: string) => void, seed: number, requests: number): Promise<SoakRow> {
  return runRow(
    'bad_input',
    `seeded fuzzer, seed ${seed}, ${requests} requests + one of 100k spans`,
    '0 crashes (no process death, no 5xx but shedding 503), RSS bounded',
    240_000,
    async (row) => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-soak-fuzz-'));
      let serve: SoakProcess | undefined;
      try {
        serve = await startServe({ BULWARK_DATA_DIR: dataDir });
        const s = serve;
        const rand = prng(seed);
        const statuses: Record<string, number> = {};
        const crashes: string[] = [];
        let peakRss = 0;
        const rssStart = await rssBytes(s.pid);
        let next = 0;
        const inputs: FuzzInput[] = [];
        let generatorErrors = 0;
        for (let i = 0; i < requests; i++) {
          try {
            inputs.push(fuzzInput(rand, i));
          } catch {
            generatorErrors += 1; // the harness could not build this input; counted, the run goes on
          }
        }
        const send = async (input: FuzzInput, index: number) => {
          try {
            const res = await fetch(`${s.url}${input.route}`, {
              method: 'POST',
              headers: { 'content-type': input.contentType },
              body: input.body,
              signal: AbortSignal.timeout(60_000),
            });
            await res.arrayBuffer();
            statuses[res.status] = (statuses[res.status] ?? 0) + 1;
            if (res.status >= 500 && !(res.status === 503 && res.headers.get('retry-after')))
              crashes.push(`#${index} ${input.kind} → ${res.status}`);
          } catch (err) {
            const k =
              ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code ?? (err as Error).name;
            statuses[k] = (statuses[k] ?? 0) + 1;
            if (s.exited()) crashes.push(`#${index} ${input.kind} → process died`);
          }
        };
        const sampler = setInterval(async () => {
          peakRss = Math.max(peakRss, await rssBytes(s.pid));
        }, 250);
        try {
          await Promise.all(
            Array.from({ length: 4 }, async () => {
              for (let i = next++; i < inputs.length && !s.exited(); i = next++) await send(inputs[i]!, i);
            }),
          );
          await send(
            {
              route: '/v1/traces',
              body: hundredKSpans(),
              contentType: 'application/json',
              kind: 'json:100k_spans',
            },
            -1,
          );
        } finally {
          clearInterval(sampler);
        }
        const alive =
          !s.exited() &&
          (await fetch(`${s.url}/healthz`).then(
            (r) => r.status === 200,
            () => false,
          ));
        if (!alive) crashes.push('process not answering /healthz after the run');
        const rssEnd = await rssBytes(s.pid);
        const kinds = new Set(inputs.map((x) => x.kind));
        Object.assign(row.figures, {
          answers: Object.entries(statuses)
            .sort()
            .map(([k, v]) => `${k}:${v}`)
            .join(','),
          kinds: kinds.size,
          generator_errors: generatorErrors,
          crashes: crashes.length,
          rss_start_mb: rssStart / 2 ** 20,
          rss_peak_mb: peakRss / 2 ** 20,
          rss_end_mb: rssEnd / 2 ** 20,
        });
        if (crashes.length) row.note = crashes.slice(0, 5).join('; ');
        row.held = crashes.length === 0 && rssEnd - rssStart < 512 * 2 ** 20;
        log(`  fuzz: ${JSON.stringify(row.figures)}${row.note ? ` ${row.note}` : ''}`);
      } finally {
        await serve?.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );
}
