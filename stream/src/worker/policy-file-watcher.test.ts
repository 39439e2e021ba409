import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Policy } from '@bulwark/detectors';
import { describe, expect, it } from 'vitest';
import { PolicyFileWatcher } from './policy-file-watcher.js';

describe('PolicyFileWatcher', () => {
  it('loads, hot-reloads on change, and keeps the last good policy on a bad edit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-policy-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, 'injection:\n  quarantine: alert\n');
    const seen: Policy[] = [];
    const errors: Error[] = [];
    const w = await PolicyFileWatcher.start(file, {
      onPolicy: (p) => seen.push(p),
      onError: (e) => errors.push(e),
      debounceMillis: 10,
    });
    expect(seen[0]?.injection.quarantine).toBe('alert');
    writeFileSync(file, 'injection:\n  quarantine: require_approval\n');
    await expect.poll(() => seen.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    expect(seen.at(-1)?.injection.quarantine).toBe('require_approval');
    writeFileSync(file, 'injection:\n  quarantine: sometimes\n');
    await expect.poll(() => errors.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(1);
    expect(errors[0]?.message).toMatch(/injection\.quarantine/);
    expect(seen.at(-1)?.injection.quarantine).toBe('require_approval');
    await w.shutdown();
  });

  it('refuses to start on an invalid file, listing every problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-policy-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, 'nope: 1\nargs: { risky: perhaps }\n');
    await expect(PolicyFileWatcher.start(file, { onPolicy: () => {} })).rejects.toMatchObject({
      code: 'detectors.invalid_policy',
    });
  });
});
