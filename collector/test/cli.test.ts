import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { COMMANDS, main } from '../src/cli.js';
import { run as serve } from '../src/commands/serve.js';
import { http } from './helpers.js';

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
    for (const c of ['serve', 'eval agentdojo', 'eval tools', 'scan', 'hunt', 'report'])
      expect(io.out()).toContain(c);
    expect(COMMANDS).toHaveLength(6);
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

  it('runs as a process: serves /healthz and shuts down cleanly on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'collector/src/cli.ts', 'serve', '--port', '0', '--log-level', 'warn'],
      {
        cwd: REPO,
        env: { ...process.env, BULWARK_HOST: '127.0.0.1' },
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
      expect((await http(`${url}/healthz`)).status).toBe(200);
      // pino logs JSON lines to stdout.
      expect(stdout).toMatch(/authentication is OFF because the collector is bound to loopback/);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toMatch(/SIGTERM received, shutting down/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
