import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** A subcommand module: `run(argv)` resolves to the process exit code. */
export interface CommandModule {
  run(argv: string[]): Promise<number>;
}

export interface CommandSpec {
  /** Words that select it, e.g. `['eval', 'agentdojo']`. */
  words: string[];
  /** Module under `./commands/`, without extension. */
  module: string;
  summary: string;
}

/** Every command of the `bulwark` CLI. Modules are loaded on demand, so one missing module only disables itself. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    words: ['serve'],
    module: 'serve',
    summary: 'run the collector (OTLP/HTTP receiver + verdict API) on 127.0.0.1:4318',
  },
  {
    words: ['eval', 'agentdojo'],
    module: 'eval-agentdojo',
    summary: 'measure the detectors on AgentDojo-style attack suites',
  },
  {
    words: ['eval', 'tools'],
    module: 'eval-tools',
    summary: 'measure tool-description (poisoning / rug-pull) detection',
  },
  { words: ['scan'], module: 'scan', summary: 'scan MCP servers and their tool definitions' },
  { words: ['proxy'], module: 'proxy', summary: 'MCP proxy a host runs in place of a server (stdio, HTTP)' },
  { words: ['hunt'], module: 'hunt', summary: 'search stored events and findings' },
  { words: ['report'], module: 'report', summary: 'write a report of findings and alerts' },
];

export const EXIT_USAGE = 2;

function usage(commands: readonly CommandSpec[]): string {
  const width = Math.max(...commands.map((c) => c.words.join(' ').length));
  const lines = commands.map((c) => `  ${c.words.join(' ').padEnd(width)}  ${c.summary}`);
  return [
    'usage: bulwark <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'Run `bulwark <command> --help` for the options of one command.',
  ].join('\n');
}

/** Commands under a group word (`eval` → `eval agentdojo`, `eval tools`). */
function groupOf(word: string | undefined, commands: readonly CommandSpec[]): CommandSpec[] {
  return commands.filter((c) => c.words.length > 1 && c.words[0] === word);
}

const HELP_FLAGS = new Set(['--help', '-h', 'help']);

function find(
  argv: string[],
  commands: readonly CommandSpec[],
): { spec: CommandSpec; rest: string[] } | undefined {
  // Longest match first: `eval agentdojo` before a hypothetical `eval`.
  const sorted = [...commands].sort((a, b) => b.words.length - a.words.length);
  for (const spec of sorted) {
    if (spec.words.every((w, i) => argv[i] === w)) return { spec, rest: argv.slice(spec.words.length) };
  }
  return undefined;
}

function isMissingModule(err: unknown, module: string): boolean {
  const e = err as { code?: string; message?: string; url?: string };
  if (
    e?.code !== 'ERR_MODULE_NOT_FOUND' &&
    !/Cannot find module|Failed to load url|does not provide/.test(e?.message ?? '')
  ) {
    return false;
  }
  // Only the command module itself being absent counts; a missing dependency inside it is a real error.
  return `${e.url ?? ''} ${e.message ?? ''}`.includes(`commands/${module}.`);
}

/**
 * The `bulwark` CLI dispatcher: maps `serve`, `eval agentdojo`, `eval tools`, `scan`, `hunt`, `report` to
 * `commands/<name>.js` and returns the exit code (2 for usage errors and commands absent from this build).
 *
 * @example
 * process.exitCode = await main(['serve', '--port', '4318']);
 */
export async function main(argv: string[], commands: readonly CommandSpec[] = COMMANDS): Promise<number> {
  if (
    argv.length === 0 ||
    argv[0] === '--help' ||
    argv[0] === '-h' ||
    (argv[0] === 'help' && argv.length === 1)
  ) {
    console.log(usage(commands));
    return argv.length === 0 ? EXIT_USAGE : 0;
  }
  // `bulwark help <command>` is `bulwark <command> --help`.
  if (argv[0] === 'help') return main([...argv.slice(1), '--help'], commands);
  const found = find(argv, commands);
  const group = groupOf(argv[0], commands);
  if (!found && group.length > 0) {
    // `bulwark eval --help` (or `bulwark eval`): the group's own usage, listing its subcommands.
    const asked = argv.length === 1 || HELP_FLAGS.has(argv[1] ?? '');
    const text = `${usage(group).replace('usage: bulwark <command>', `usage: bulwark ${argv[0]} <command>`)}`;
    if (asked && argv.length > 1) {
      console.log(text);
      return 0;
    }
    console.error(asked ? text : `bulwark: unknown command "${argv.slice(0, 2).join(' ')}"\n\n${text}`);
    return EXIT_USAGE;
  }
  if (!found) {
    console.error(`bulwark: unknown command "${argv.join(' ')}"\n\n${usage(commands)}`);
    return EXIT_USAGE;
  }
  const { spec, rest } = found;
  let mod: Partial<CommandModule>;
  try {
    // A variable specifier on purpose: the commands are separate modules, some may be absent from a build.
    const specifier = `./commands/${spec.module}.js`;
    mod = (await import(specifier)) as Partial<CommandModule>;
  } catch (err) {
    if (isMissingModule(err, spec.module)) {
      console.error(`bulwark: "${spec.words.join(' ')}" is not available in this build`);
      return EXIT_USAGE;
    }
    throw err;
  }
  if (typeof mod.run !== 'function') {
    console.error(
      `bulwark: "${spec.words.join(' ')}" is not available in this build (its module has no run())`,
    );
    return EXIT_USAGE;
  }
  return mod.run(rest);
}

function invokedDirectly(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

/** Runs `main` for the process and exits with its code (used by bin/bulwark.mjs and `node dist/cli.js`). */
export async function runCli(argv: string[] = process.argv.slice(2)): Promise<void> {
  let code: number;
  try {
    code = await main(argv);
  } catch (err) {
    console.error(`bulwark: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    code = 1;
  }
  process.exitCode = code;
  // Whatever a command leaves open (sockets, timers) must not keep a finished CLI alive.
  setTimeout(() => process.exit(code), 5_000).unref();
}

if (invokedDirectly()) void runCli();
