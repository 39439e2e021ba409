import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  http,
  metricValue,
  otlpRequest,
  postJson,
  promptSpan,
  toolCallSpan,
} from '../../collector/test/helpers.js';
import { COMMANDS, main } from '../src/cli.js';
import { run as serve } from '../src/commands/serve.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return { out: () => out.join('\n'), err: () => err.join('\n') };
}

describe('bulwark CLI dispatcher', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('--help lists every command and exits 0', async () => {
    const io = capture();
    expect(await main(['--help'])).toBe(0);
    for (const c of ['serve', 'eval agentdojo', 'eval tools', 'scan', 'hunt', 'report', 'proxy'])
      expect(io.out()).toContain(c);
    expect(COMMANDS).toHaveLength(7);
  });

  it('exits 2 with usage for no command or an unknown one', async () => {
    const io = capture();
    expect(await main([])).toBe(2);
    expect(await main(['frobnicate'])).toBe(2);
    expect(io.err()).toMatch(/unknown command "frobnicate"/);
  });

  it('says "not available in this build" and exits 2 when a command module is missing', async () => {
    const io = capture();
    const code = await main(
      ['ghost', 'x'],
      [{ words: ['ghost'], module: 'ghost-command-that-does-not-exist', summary: '' }],
    );
    expect(code).toBe(2);
    expect(io.err()).toMatch(/"ghost" is not available in this build/);
  });
});

describe('bulwark serve', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('exits 2 listing every bad key (flags and env)', async () => {
    const io = capture();
    const saved = { ...process.env };
    process.env.BULWARK_MAX_BODY_BYTES = 'lots';
    process.env.BULWARK_BUS = 'carrier-pigeon';
    try {
      expect(await serve(['--port', 'eighty'])).toBe(2);
    } finally {
      process.env = saved;
    }
    expect(io.err()).toMatch(/port \(BULWARK_PORT\)/);
    expect(io.err()).toMatch(/maxBodyBytes \(BULWARK_MAX_BODY_BYTES\)/);
    expect(io.err()).toMatch(/bus \(BULWARK_BUS\)/);
  });

  it('exits 2 for an unknown flag, and --kafka without brokers', async () => {
    const io = capture();
    expect(await serve(['--frobnicate'])).toBe(2);
    expect(await serve(['--kafka', ''])).toBe(2);
    expect(io.err()).toMatch(/kafkaBrokers \(BULWARK_KAFKA_BROKERS\): required/);
  });

  it('exits 2 listing problems in the store settings and the policy, lock and alert files together', async () => {
    const io = capture();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bulwark-serve-'));
    const saved = { ...process.env };
    writeFileSync(path.join(dir, 'policy.yaml'), 'injection:\n  chain: maybe\n');
    writeFileSync(
      path.join(dir, 'alerts.yaml'),
      'channels:\n  oncall: { type: pagerduty }\nroutes: [{ channels: [nobody] }]\n',
    );
    Object.assign(process.env, {
      BULWARK_STORE: 'cassandra',
      BULWARK_POLICY_FILE: path.join(dir, 'policy.yaml'),
      BULWARK_TOOL_LOCK_FILE: path.join(dir, 'missing.lock.json'),
      BULWARK_ALERTS_FILE: path.join(dir, 'alerts.yaml'),
    });
    try {
      expect(await serve(['--port', '0'])).toBe(2);
    } finally {
      process.env = saved;
      rmSync(dir, { recursive: true, force: true });
    }
    const err = io.err();
    expect(err).toMatch(/store \(BULWARK_STORE\)/);
    expect(err).toMatch(/policyFile \(.*policy\.yaml\): injection\.chain/);
    expect(err).toMatch(
      /toolLockFile \(BULWARK_TOOL_LOCK_FILE\): cannot read .*missing\.lock\.json: no such file/,
    );
    expect(err).toMatch(/alertsFile \(.*alerts\.yaml\): channels\.oncall\.routingKey/);
  });

  it('runs as a process: collector and stream worker, stores what it receives, shuts down cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bulwark-serve-data-'));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'cli/src/cli.ts', 'serve', '--port', '0', '--log-level', 'warn'],
      {
        cwd: REPO,
        env: {
          ...process.env,
          BULWARK_HOST: '127.0.0.1',
          BULWARK_DATA_DIR: dataDir,
          BULWARK_STORE_FLUSH_INTERVAL_MILLIS: '100',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!/listening on (http:\/\/\S+) /.test(stdout)) {
        if (Date.now() > deadline) throw new Error(`serve did not start:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const url = /listening on (http:\/\/\S+) /.exec(stdout)![1]!;
      expect(stdout).toContain(`events stored in ${dataDir} (chdb)`);
      expect((await http(`${url}/healthz`)).status).toBe(200);
      expect((await http(`${url}/readyz`)).status).toBe(200);
      const spans = [
        promptSpan('serve-s1', 'Summarise my notes'),
        toolCallSpan('serve-s1', 'e1', 'read_file'),
      ];
      expect((await postJson(`${url}/v1/traces`, otlpRequest(spans))).status).toBe(200);
      // The worker stores the events; its counters are on the collector's /metrics.
      const deadline2 = Date.now() + 20_000;
      let metrics = '';
      while (metricValue(metrics, 'bulwark_worker_events_total') < 2) {
        if (Date.now() > deadline2)
          throw new Error(`worker did not store the events:\n${metrics}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
        metrics = (await http(`${url}/metrics`)).text;
      }
      expect(metrics).toMatch(/bulwark_store_rows_accepted_total \d+/);
      // pino logs JSON lines to stdout.
      expect(stdout).toMatch(/authentication is OFF because the collector is bound to loopback/);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toMatch(/SIGTERM received, shutting down/);
      expect(readdirSync(dataDir).length).toBeGreaterThan(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
