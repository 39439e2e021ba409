import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const OTEL_SDK = [
  '@opentelemetry/core@~2.12.1',
  '@opentelemetry/resources@~2.12.1',
  '@opentelemetry/sdk-trace-base@~2.12.1',
  '@opentelemetry/exporter-trace-otlp-http@~0.223.1',
];

/**
 * `npm install` from the npm cache only; when something is not cached yet, once more allowing the npm
 * registry (and nothing else) to fill the cache. Returns the error text when neither works (no network).
 */
async function npmInstall(cwd: string, specs: string[]): Promise<string | undefined> {
  const base = ['install', ...specs, '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'];
  try {
    await run(npm, [...base, '--offline'], { cwd, timeout: 120_000 });
    return undefined;
  } catch (offline) {
    if (!String((offline as { stderr?: string }).stderr).includes('ENOTCACHED')) throw offline;
  }
  try {
    await run(npm, [...base, '--prefer-offline'], { cwd, timeout: 180_000 });
    return undefined;
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err).slice(0, 300);
  }
}

/** Runs an ES module in the consumer project and returns its stdout. */
async function node(cwd: string, source: string): Promise<string> {
  const file = path.join(cwd, `probe-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, source);
  return (await run(process.execPath, [file], { cwd, timeout: 60_000 })).stdout.trim();
}

describe('the agent SDK installs outside the monorepo (scripts/pack-sdk.mjs)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bulwark-sdk-consumer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('packs, installs from the tarballs, imports the core without the OpenTelemetry SDK, then /setup with it', {
    timeout: 300_000,
  }, async (ctx) => {
    const out = path.join(dir, 'pack');
    const packed = JSON.parse(
      (
        await run(process.execPath, [path.join(ROOT, 'scripts/pack-sdk.mjs'), '--out', out], {
          cwd: ROOT,
          timeout: 180_000,
        })
      ).stdout,
    ) as { contracts: string; agentSdk: string };
    expect(path.basename(packed.contracts)).toBe('bulwark-contracts-0.1.0.tgz');
    expect(path.basename(packed.agentSdk)).toBe('bulwark-agent-sdk-0.1.0.tgz');

    const project = path.join(dir, 'consumer');
    await run('mkdir', ['-p', project]);
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }),
    );
    const failed = await npmInstall(project, [packed.contracts, packed.agentSdk]);
    if (failed) {
      if (process.env.CI) throw new Error(`npm install of the packed SDK failed: ${failed}`);
      ctx.skip(`skipped: the SDK's dependencies are neither in the npm cache nor reachable (${failed})`);
    }
    const core = await node(
      project,
      `const sdk = await import('@bulwark/agent-sdk');
       const c = await import('@bulwark/contracts');
       let setup = 'loaded';
       try { await import('@bulwark/agent-sdk/setup'); } catch (e) { setup = e.code; }
       console.log(JSON.stringify({ session: typeof sdk.AgentSession, instrument: typeof sdk.instrumentMcpClient,
         remote: typeof sdk.RemoteVerdictProvider, schema: typeof c.VerdictRequestSchema.parse,
         helperInCore: 'createBulwarkTracerProvider' in sdk, setup }));`,
    );
    expect(JSON.parse(core)).toEqual({
      session: 'function',
      instrument: 'function',
      remote: 'function',
      schema: 'function',
      helperInCore: false,
      // The optional peers are not installed: only the setup entry needs them.
      setup: 'ERR_MODULE_NOT_FOUND',
    });

    const peers = await npmInstall(project, OTEL_SDK);
    if (peers) {
      if (process.env.CI) throw new Error(`npm install of the OpenTelemetry SDK failed: ${peers}`);
      ctx.skip(`skipped: the OpenTelemetry SDK packages are neither cached nor reachable (${peers})`);
    }
    const setup = await node(
      project,
      `const { createBulwarkTracerProvider } = await import('@bulwark/agent-sdk/setup');
       const p = createBulwarkTracerProvider({ serviceName: 'consumer', url: 'http://127.0.0.1:9', registerGlobal: false });
       await p.shutdown();
       console.log(typeof p.getTracer);`,
    );
    expect(setup).toBe('function');
  });
});
