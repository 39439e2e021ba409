// Module resolve hook: workspace packages resolve to their TypeScript sources (like vitest's aliases), so a
// child process started with `--import tsx --import <register.mjs>` runs the code under test, not a stale dist.
const ROOT = new URL('../../../', import.meta.url);
const SOURCES = {
  '@bulwark/contracts': 'contracts/src/index.ts',
  '@bulwark/detectors': 'detectors/src/index.ts',
  '@bulwark/detectors/eval': 'detectors/src/eval/index.ts',
  '@bulwark/stream': 'stream/src/index.ts',
  '@bulwark/stream/testing': 'stream/src/testing/index.ts',
  '@bulwark/agent-sdk': 'agent-sdk/src/index.ts',
  '@bulwark/collector': 'collector/src/index.ts',
  '@bulwark/cli': 'cli/src/index.ts',
  '@bulwark/dashboards': 'dashboards/src/index.ts',
};

export async function resolve(specifier, context, next) {
  const source = SOURCES[specifier];
  // Through the next resolver (tsx's), which marks the file as TypeScript for its loader.
  return next(source ? new URL(source, ROOT).href : specifier, context);
}
