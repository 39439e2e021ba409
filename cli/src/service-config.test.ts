import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadServiceConfig } from './service-config.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'bulwark-svc-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('loadServiceConfig', () => {
  it('defaults: the worker runs here on the embedded store, no policy, lock or alerts', () => {
    const res = loadServiceConfig({}, {});
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.config.store).toMatchObject({ store: 'chdb', dataDir: '.bulwark-data' });
    expect(res.config.policy).toBeUndefined();
    expect(res.config.alerts).toBeUndefined();
  });

  it('reads the shipped alert routing example, a policy and a lock', () => {
    const d = tmp();
    writeFileSync(path.join(d, 'p.yaml'), 'tools:\n  drift: require_approval\n');
    writeFileSync(
      path.join(d, 'l.json'),
      JSON.stringify({ version: 1, createdAt: '2026-01-01T00:00:00Z', servers: [] }),
    );
    const res = loadServiceConfig(
      {},
      {
        BULWARK_ALERTS_FILE: path.join(ROOT, 'config/alerts.example.yaml'),
        BULWARK_POLICY_FILE: path.join(d, 'p.yaml'),
        BULWARK_TOOL_LOCK_FILE: path.join(d, 'l.json'),
      },
    );
    if (!res.ok) throw new Error(res.issues.join('\n'));
    expect(Object.keys(res.config.alerts!.channels)).toEqual(['secops', 'oncall', 'approvals']);
    expect(res.config.policy!.tools.drift).toBe('require_approval');
    expect(res.config.toolLock!.servers).toEqual([]);
  });

  it('without the worker: no store settings read, and alert routing there is refused', () => {
    const res = loadServiceConfig(
      { worker: false },
      { BULWARK_STORE: 'nonsense', BULWARK_ALERTS_FILE: path.join(ROOT, 'config/alerts.example.yaml') },
    );
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.issues).toEqual([expect.stringMatching(/alerts are sent by the worker/)]);
  });

  it('lists a bad YAML file and a malformed lock with their paths', () => {
    const d = tmp();
    writeFileSync(path.join(d, 'a.yaml'), 'channels: [unclosed');
    writeFileSync(path.join(d, 'l.json'), '{"version": 2}');
    const res = loadServiceConfig(
      {},
      { BULWARK_ALERTS_FILE: path.join(d, 'a.yaml'), BULWARK_TOOL_LOCK_FILE: path.join(d, 'l.json') },
    );
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.issues.some((i) => /alertsFile .*not valid YAML or JSON/.test(i))).toBe(true);
    expect(res.issues.some((i) => /toolLockFile .*l\.json\): version/.test(i))).toBe(true);
  });

  it('reads the file paths itself: an option beats env, a blank env value is unset, a non-path option is an issue', () => {
    const d = tmp();
    writeFileSync(path.join(d, 'p.yaml'), 'tools:\n  drift: require_approval\n');
    const res = loadServiceConfig(
      { policyFile: path.join(d, 'p.yaml') },
      {
        BULWARK_POLICY_FILE: path.join(d, 'missing.yaml'),
        BULWARK_ALERTS_FILE: '',
        BULWARK_TOOL_LOCK_FILE: ' ',
      },
    );
    if (!res.ok) throw new Error(res.issues.join('\n'));
    expect(res.config.files).toEqual({ policyFile: path.join(d, 'p.yaml') });
    expect(res.config.policy!.tools.drift).toBe('require_approval');
    expect(loadServiceConfig({ alertsFile: 42 }, {})).toEqual({
      ok: false,
      issues: ['alertsFile: expected a file path, got 42'],
    });
  });
});
