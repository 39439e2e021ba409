import { afterEach, describe, expect, it } from 'vitest';
import { resolveCollectorConfig, startCollector } from '../src/index.js';
import { http } from './helpers.js';

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

describe('startCollector with a resolved config', () => {
  it('reads no environment: env settings that would fail or change the config are ignored', async () => {
    const config = resolveCollectorConfig({ port: 0, logLevel: 'silent' }, {});
    process.env.BULWARK_PORT = 'not-a-port';
    process.env.BULWARK_API_KEYS = 'env-key-that-must-not-apply-0001';
    process.env.BULWARK_GUARDRAIL_OTLP_URL = 'not a url';
    const c = await startCollector({ config });
    try {
      expect(c.config).toBe(config);
      // No credentials required: BULWARK_API_KEYS was not read.
      const res = await http(`${c.url}/v1/approvals/wait`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ approvalId: 'a'.repeat(32), waitMillis: 0 }),
      });
      expect(res.status).toBe(200);
    } finally {
      await c.close();
    }
  });
});
