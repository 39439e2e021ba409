import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests run against sources, not dist: workspace imports are aliased to each package's src entry.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@bulwark\/contracts$/, replacement: src('./contracts/src/index.ts') },
      { find: /^@bulwark\/detectors$/, replacement: src('./detectors/src/index.ts') },
      { find: /^@bulwark\/detectors\/eval$/, replacement: src('./detectors/src/eval/index.ts') },
      { find: /^@bulwark\/stream$/, replacement: src('./stream/src/index.ts') },
      { find: /^@bulwark\/stream\/testing$/, replacement: src('./stream/src/testing/index.ts') },
      { find: /^@bulwark\/agent-sdk$/, replacement: src('./agent-sdk/src/index.ts') },
      { find: /^@bulwark\/agent-sdk\/setup$/, replacement: src('./agent-sdk/src/setup.ts') },
      { find: /^@bulwark\/collector$/, replacement: src('./collector/src/index.ts') },
      { find: /^@bulwark\/cli$/, replacement: src('./cli/src/index.ts') },
      { find: /^@bulwark\/dashboards$/, replacement: src('./dashboards/src/index.ts') },
    ],
  },
  test: {
    include: ['*/src/**/*.test.ts', '*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The second one prints why each skipped test was skipped (a missing broker, server, browser, data set).
    reporters: ['default', './test/src/vitest/skip-reasons-reporter.ts'],
  },
});
