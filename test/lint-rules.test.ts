/**
 * The architecture rules in biome.json are enforced, not just written down: a deliberately bad import in a
 * fixture fails lint with the rule's name, and the same file without it passes. Each fixture is copied into a
 * scratch tree at a workspace path (`detectors/src/`, `agent-sdk/src/`, `stream/src/`) next to a copy of the
 * repository's biome.json, so the path-based overrides apply exactly as they do in the repository
 * (`biome lint --stdin-file-path` prints no diagnostics, and an import cycle needs two files on disk anyway).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixtures = path.join(root, 'test/fixtures/lint');
const biome = path.join(root, 'node_modules/.bin/biome');

let scratch: string | undefined;

afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

/** Lints fixtures placed at `targets` (fixture name → path in the scratch tree) with the repo's config. */
function lint(targets: Record<string, string>): { status: number | null; output: string } {
  scratch = mkdtempSync(path.join(tmpdir(), 'bulwark-lint-'));
  const config = JSON.parse(readFileSync(path.join(root, 'biome.json'), 'utf8')) as Record<string, unknown>;
  // The schema path is relative to the repository; everything else is the repository's config as it is.
  delete config.$schema;
  writeFileSync(path.join(scratch, 'biome.json'), JSON.stringify(config));
  for (const [fixture, target] of Object.entries(targets)) {
    mkdirSync(path.dirname(path.join(scratch, target)), { recursive: true });
    copyFileSync(path.join(fixtures, fixture), path.join(scratch, target));
  }
  const res = spawnSync(biome, ['lint', '--colors=off', '--max-diagnostics=50', '.'], {
    cwd: scratch,
    encoding: 'utf8',
  });
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

describe('noRestrictedImports per workspace', () => {
  it('fails an I/O import in the detection engine, naming the rule', () => {
    const res = lint({ 'bad-engine-reads-file.ts': 'detectors/src/read-events.ts' });
    expect(res.status).not.toBe(0);
    expect(res.output).toContain('lint/style/noRestrictedImports');
    expect(res.output).toContain('detectors/src/read-events.ts');
  });

  it('passes the same engine code without the I/O import', () => {
    const res = lint({ 'good-engine-reads-file.ts': 'detectors/src/read-events.ts' });
    expect(res.output).not.toContain('noRestrictedImports');
    expect(res.status).toBe(0);
  });

  it('lets a test file of the engine import anything (the test override comes last)', () => {
    const res = lint({ 'bad-engine-reads-file.ts': 'detectors/src/read-events.test.ts' });
    expect(res.output).not.toContain('noRestrictedImports');
    expect(res.status).toBe(0);
  });

  it('fails a server package imported by the agent SDK', () => {
    const res = lint({ 'bad-sdk-imports-server.ts': 'agent-sdk/src/store-kind.ts' });
    expect(res.status).not.toBe(0);
    expect(res.output).toContain('lint/style/noRestrictedImports');
  });

  it('passes the SDK code that depends on contracts only', () => {
    const res = lint({ 'good-sdk-imports-server.ts': 'agent-sdk/src/store-kind.ts' });
    expect(res.output).not.toContain('noRestrictedImports');
    expect(res.status).toBe(0);
  });
});

describe('noImportCycles', () => {
  it('fails a circle of type-only imports', () => {
    const res = lint({
      'bad-cycle-a.ts': 'stream/src/bad-cycle-a.ts',
      'bad-cycle-b.ts': 'stream/src/bad-cycle-b.ts',
    });
    expect(res.status).not.toBe(0);
    expect(res.output).toContain('lint/suspicious/noImportCycles');
  });

  it('passes the same shapes in a module of their own', () => {
    const res = lint({
      'good-cycle-shared.ts': 'stream/src/good-cycle-shared.ts',
      'good-cycle-user.ts': 'stream/src/good-cycle-user.ts',
    });
    expect(res.output).not.toContain('noImportCycles');
    expect(res.status).toBe(0);
  });
});
