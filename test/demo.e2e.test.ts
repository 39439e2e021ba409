import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Runs the demo from its TypeScript sources (workspace imports mapped to sources by tsconfig.check.json). */
function runDemo(args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/src/demo/run-demo.ts', ...args], {
      cwd: root,
      env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.check.json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run demo', () => {
  it('gets the expected verdict in all five scenarios and exits 0', { timeout: 120_000 }, async () => {
    const res = await runDemo();
    const summary = res.stdout.split('\n').filter((l) => /^ {2}\d {2}/.test(l));
    expect(summary, `stdout:\n${res.stdout}\nstderr:\n${res.stderr}`).toHaveLength(5);
    const expected: Array<[number, RegExp]> = [
      [1, /benign task .*expected: allowed .*got: allowed .*PASS$/],
      [
        2,
        /indirect injection .*expected: BLOCKED by injection\.chain .*got: BLOCKED by .*injection\.chain.*PASS$/,
      ],
      [
        3,
        /secret leaking .*expected: BLOCKED by exfil\.sensitive-flow .*got: BLOCKED by .*exfil\.sensitive-flow.*PASS$/,
      ],
      [4, /rug pull .*expected: (BLOCKED|ALERT) by tools\.rug-pull .*got: .*tools\.rug-pull.*PASS$/],
      [
        5,
        /injection crossing .*expected: BLOCKED by injection\.chain .*got: BLOCKED by .*injection\.chain.*PASS$/,
      ],
    ];
    for (const [i, re] of expected) expect(summary[i - 1], `scenario ${i}`).toMatch(re);
    // Every verdict is printed as it happens, with the detector that decided.
    expect(res.stdout).toMatch(/verdict +assistant +send_email +BLOCK +injection\.chain/);
    expect(res.stdout).toMatch(/verdict +billing-agent +send_email +BLOCK +injection\.chain/);
    expect(res.code, `stdout:\n${res.stdout}\nstderr:\n${res.stderr}`).toBe(0);
  });

  it('refuses bad options with exit code 2 and says what to do', async () => {
    const res = await runDemo(['--only', '9']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--only takes scenario numbers 1-5/);
    const unknown = await runDemo(['--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--bogus'[\s\S]*usage: npm run demo/);
  });
});
