#!/usr/bin/env node
// Builds @bulwark/contracts and @bulwark/agent-sdk and packs them as npm tarballs, so an agent outside this
// repository can install the SDK before it is published:
//
//   node scripts/pack-sdk.mjs [--out <dir>]     default out: .cache/pack/
//   npm install <out>/bulwark-contracts-0.1.0.tgz <out>/bulwark-agent-sdk-0.1.0.tgz
//
// Both tarballs go in one `npm install`: the SDK's dependency on @bulwark/contracts is then satisfied by
// the tarball next to it. Prints the tarball paths as JSON on stdout (`{ "contracts": …, "agentSdk": … }`).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = [
  { key: 'contracts', dir: 'contracts' },
  { key: 'agentSdk', dir: 'agent-sdk' },
];

function outDir(argv) {
  const i = argv.indexOf('--out');
  if (i >= 0 && !argv[i + 1]) {
    process.stderr.write('pack-sdk: --out needs a directory\n');
    process.exit(2);
  }
  return path.resolve(ROOT, i >= 0 ? argv[i + 1] : '.cache/pack');
}

const out = outDir(process.argv.slice(2));
fs.mkdirSync(out, { recursive: true });
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
// Only the two packages (and what they reference): dist/ is what the tarballs carry.
execFileSync(process.execPath, [tsc, '-b', ...PACKAGES.map((p) => path.join(ROOT, p.dir))], {
  cwd: ROOT,
  stdio: ['ignore', 'inherit', 'inherit'],
});
const result = {};
for (const p of PACKAGES) {
  const cwd = path.join(ROOT, p.dir);
  // --ignore-scripts: the workspace root's `prepare` (tsc -b of everything) is not this package's business.
  const json = execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', out], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [info] = JSON.parse(json);
  result[p.key] = path.join(out, info.filename);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
