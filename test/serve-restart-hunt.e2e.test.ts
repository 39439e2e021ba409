/**
 * `bulwark serve` with the embedded store, as a user runs it: data survives a restart, and `bulwark hunt`
 * finds in the stored sessions an injection chain that the inline policy (permissive here) had let run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runHunt as hunt } from '@bulwark/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { metricValue, otlpRequest, otlpSpan, promptSpan } from '../collector/test/helpers.js';
import { INJECTED_NOTICE } from '../stream/test/fixtures/sample-records.js';
import { PERMISSIVE_POLICY_FILE } from '../stream/test/fixtures/seed-hunt-store.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-serve-restart-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function serve(): Promise<{ url: string; child: ChildProcess; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/src/cli.ts', 'serve', '--port', '0'], {
    cwd: REPO,
    env: {
      ...process.env,
      BULWARK_HOST: '127.0.0.1',
      BULWARK_LOG_LEVEL: 'warn',
      BULWARK_DATA_DIR: dataDir,
      BULWARK_STORE_FLUSH_INTERVAL_MILLIS: '100',
      BULWARK_POLICY_FILE: fileURLToPath(PERMISSIVE_POLICY_FILE),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c) => {
    out += c;
  });
  child.stderr!.on('data', (c) => {
    out += c;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!/listening on (http:\/\/\S+) /.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`serve did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /listening on (http:\/\/\S+) /.exec(out)![1]!;
  return {
    url,
    child,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

const toolSpan = (session: string, id: string, tool: string, args: unknown, result?: string) =>
  otlpSpan(`execute_tool ${tool}`, {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.conversation.id': session,
    'gen_ai.tool.name': tool,
    'gen_ai.tool.call.id': id,
    'gen_ai.tool.call.arguments': JSON.stringify(args),
    ...(result !== undefined ? { 'gen_ai.tool.call.result': result } : {}),
  });

async function post(url: string, spans: unknown[]): Promise<void> {
  const res = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(otlpRequest(spans)),
  });
  expect(res.status).toBe(200);
}

async function waitStored(url: string, events: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const text = await (await fetch(`${url}/metrics`)).text();
    if (metricValue(text, 'bulwark_worker_events_total') >= events) return;
    if (Date.now() > deadline) throw new Error(`the worker did not store ${events} events`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('bulwark serve (embedded store) across a restart, then bulwark hunt', () => {
  it('keeps the first run’s sessions and finds the chain the permissive inline policy allowed', async () => {
    const first = await serve();
    await post(first.url, [
      promptSpan('attack', 'Summarize the file notices.txt for me.'),
      toolSpan('attack', 'c1', 'read_file', { path: 'notices.txt' }, INJECTED_NOTICE),
    ]);
    await post(first.url, [
      toolSpan('attack', 'c2', 'send_money', { recipient: 'US133000000121212121212', amount: 0.01 }, 'sent'),
    ]);
    await waitStored(first.url, 5);
    expect(await first.stop()).toBe(0);

    // Second run on the same directory: migrations are a no-op, the old rows stay, new ones join them.
    const second = await serve();
    await post(second.url, [promptSpan('benign', 'What is my balance?')]);
    await waitStored(second.url, 1);
    expect(await second.stop()).toBe(0);

    const out: string[] = [];
    const err: string[] = [];
    const code = await hunt(['--since', '1h', '--data-dir', dataDir, '--json'], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env: {},
    });
    expect(err.join('\n')).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(out.join('\n'));
    expect(report.sessionsScanned).toBe(2);
    const attack = report.sessions.find((s: { sessionId: string }) => s.sessionId === 'attack');
    expect(attack.hits).toContainEqual(
      expect.objectContaining({ detectorId: 'injection.chain', toolName: 'send_money', missedInline: true }),
    );
  }, 120_000);
});
