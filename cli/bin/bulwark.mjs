#!/usr/bin/env node
// Tiny committed shim: the CLI itself is TypeScript compiled to ../dist/cli.js.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'bulwark: the CLI is not built yet (cli/dist/cli.js is missing): run `npm run build` first\n',
  );
  process.exit(2);
}
const { runCli } = await import(cli.href);
await runCli(process.argv.slice(2));
