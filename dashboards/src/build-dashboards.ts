/**
 * Writes every dashboard as JSON under `dashboards/grafana/dashboards/` (the files Grafana provisions).
 * `--check` writes nothing and exits 1 when a committed file differs from what the code builds.
 *
 *   npm run build:dashboards -w @bulwark/dashboards            # write
 *   npm run build:dashboards -w @bulwark/dashboards -- --check # verify (CI)
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allDashboards, dashboardFileText } from './all-dashboards.js';

const outDir = fileURLToPath(new URL('../grafana/dashboards/', import.meta.url));

function main(argv: string[]): number {
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(
      `build-dashboards: unknown argument(s) ${unknown.join(' ')}; usage: build-dashboards [--check]`,
    );
    return 2;
  }
  const check = argv.includes('--check');
  const built = allDashboards();
  const expected = new Set(built.map((b) => b.file));
  let stale = 0;
  mkdirSync(outDir, { recursive: true });
  for (const { file, json } of built) {
    const target = path.join(outDir, file);
    const text = dashboardFileText(json);
    let current: string | undefined;
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === text) continue;
    stale++;
    if (check) console.error(`stale: ${path.relative(process.cwd(), target)}`);
    else {
      writeFileSync(target, text);
      console.log(`wrote ${path.relative(process.cwd(), target)}`);
    }
  }
  for (const file of readdirSync(outDir)) {
    if (!file.endsWith('.json') || expected.has(file)) continue;
    stale++;
    if (check) console.error(`not built by any dashboard: ${file}`);
    else {
      rmSync(path.join(outDir, file));
      console.log(`removed ${file}`);
    }
  }
  if (check && stale > 0) {
    console.error(
      'dashboards are stale: run `npm run build:dashboards -w @bulwark/dashboards` and commit the JSON',
    );
    return 1;
  }
  if (!check)
    console.log(`${built.length} dashboard(s) up to date in ${path.relative(process.cwd(), outDir)}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
