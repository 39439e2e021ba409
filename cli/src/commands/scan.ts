import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  SEVERITY_RANK,
  type Severity,
  SeveritySchema,
  type ToolDefinition,
  toolDefinitionHash,
} from '@bulwark/contracts';
import {
  compareToolLock,
  createToolLock,
  type ListedServer,
  type McpSurfaceItem,
  parseToolLock,
  scanToolDefinitions,
  type ToolLock,
} from '@bulwark/detectors';
import { collectInventory, type ServerInventory } from '../scan/mcp-inventory.js';
import { toSarif } from '../scan/sarif-report.js';
import {
  formatScanTable,
  type ScanFinding,
  type ScannedServer,
  type ScanReport,
} from '../scan/scan-report.js';
import { resolveScanTargets, type ScanTarget } from '../scan/scan-target.js';

const VERSION = '0.1.0';
const DEFAULT_LOCK = 'bulwark.lock.json';

const USAGE = `usage: bulwark scan <target...> [options]

  <target>  an MCP server to scan, any number of them, scanned together:
            - a command line in quotes: "npx -y @modelcontextprotocol/server-memory", "node ./server.mjs"
            - a script path: ./server.mjs (run with this Node)
            - a Streamable HTTP or SSE URL: https://host/mcp (Streamable HTTP first, then SSE)
            - an MCP client config file: .cursor/mcp.json, claude_desktop_config.json, .vscode/mcp.json

options:
  --json                  print the report as one JSON object
  --sarif                 print the report as SARIF 2.1.0 (for code scanning)
  --output <file>         write the JSON/SARIF/table output to a file instead of stdout
  --fail-on <severity>    exit 1 when a finding is at or above it: info|low|medium|high|critical (default high)
  --pin                   write the listed tool definitions to the lock file (default ${DEFAULT_LOCK})
  --lock <file>           with --pin: where to write; otherwise compare with this lock (drift is a finding)
  --timeout-millis <n>    per MCP request and for connecting (default 30000)
  --min-severity <sev>    hide table rows below it (default low; JSON/SARIF carry everything)
  -h, --help              this help

exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or connection errors`;

function fail(message: string): number {
  console.error(`bulwark scan: ${message}`);
  return 2;
}

function severityOption(name: string, value: string | undefined, fallback: Severity): Severity | string {
  if (value === undefined) return fallback;
  const parsed = SeveritySchema.safeParse(value);
  return parsed.success
    ? parsed.data
    : `--${name} must be one of info, low, medium, high, critical (got "${value}")`;
}

function uniqueLabels(inventories: ServerInventory[]): void {
  const seen = new Map<string, number>();
  for (const inv of inventories) {
    const n = (seen.get(inv.label) ?? 0) + 1;
    seen.set(inv.label, n);
    if (n > 1) {
      inv.label = `${inv.label}#${n}`;
      inv.identity.name = inv.label;
      for (const t of [...inv.tools, ...(inv.relisted ?? [])]) t.server = inv.label;
      for (const s of [...inv.prompts, ...inv.resources]) s.server = inv.label;
    }
  }
}

/** Tools changed between the first and second listing of one session: a rug pull in progress. */
function inSessionDrift(inv: ServerInventory): { findings: ScanFinding[]; changed: ToolDefinition[] } {
  const findings: ScanFinding[] = [];
  const changed: ToolDefinition[] = [];
  if (!inv.relisted) return { findings, changed };
  const first = new Map(inv.tools.map((t) => [t.name, toolDefinitionHash(t)]));
  for (const t of inv.relisted) {
    const before = first.get(t.name);
    if (before === undefined || before === toolDefinitionHash(t)) continue;
    changed.push(t);
    const old = inv.tools.find((o) => o.name === t.name);
    findings.push({
      ruleId: 'rug-pull.changed',
      category: 'rug-pull',
      severity: 'high',
      server: inv.label,
      toolName: t.name,
      toolIndex: -1,
      subject: 'tool',
      title: 'Tool definition changed between two listings (rug pull)',
      message: `the second tools/list returned a different definition of '${t.name}' than the first`,
      evidence: [
        {
          field: 'description',
          excerpt: (t.description ?? '').slice(0, 500),
          note: `was: ${(old?.description ?? '').slice(0, 300)}`,
        },
      ],
    });
  }
  return { findings, changed };
}

function located(f: ScanFinding, byLabel: Map<string, ScanTarget>): ScanFinding {
  const target = f.server !== undefined ? byLabel.get(f.server) : undefined;
  if (target?.configFile) {
    f.configFile = resolve(target.configFile);
    if (target.line) f.line = target.line;
  }
  return f;
}

interface ScanOptions {
  targets: string[];
  json: boolean;
  sarif: boolean;
  output?: string;
  pin: boolean;
  failOn: Severity;
  minSeverity: Severity;
  timeoutMillis: number;
  /** Where `--pin` writes, or the lock `--lock` compares with. */
  lockPath?: string;
  lockToCompare?: ToolLock;
}

type ScanArgs =
  | { kind: 'help' }
  | { kind: 'usage'; message: string }
  | { kind: 'scan'; options: ScanOptions };

function parseScanArgs(argv: string[]): ScanArgs {
  let args: ReturnType<typeof parse>;
  const parse = (a: string[]) =>
    parseArgs({
      args: a,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        sarif: { type: 'boolean' },
        output: { type: 'string' },
        'fail-on': { type: 'string' },
        pin: { type: 'boolean' },
        lock: { type: 'string' },
        'timeout-millis': { type: 'string' },
        'min-severity': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  try {
    args = parse(argv);
  } catch (err) {
    return { kind: 'usage', message: `${(err as Error).message}\n\n${USAGE}` };
  }
  const v = args.values;
  const usage = (message: string): ScanArgs => ({ kind: 'usage', message });
  if (v.help) return { kind: 'help' };
  if (args.positionals.length === 0) return usage(`no target given\n\n${USAGE}`);
  if (v.json && v.sarif) return usage('choose one of --json and --sarif');
  const failOn = severityOption('fail-on', v['fail-on'], 'high');
  if (!SeveritySchema.safeParse(failOn).success) return usage(failOn);
  const minSeverity = severityOption('min-severity', v['min-severity'], 'low');
  if (!SeveritySchema.safeParse(minSeverity).success) return usage(minSeverity);
  const timeoutMillis = v['timeout-millis'] === undefined ? 30_000 : Number(v['timeout-millis']);
  if (!Number.isInteger(timeoutMillis) || timeoutMillis <= 0)
    return usage(`--timeout-millis must be a positive integer (got "${v['timeout-millis']}")`);
  const options: ScanOptions = {
    targets: args.positionals,
    json: v.json === true,
    sarif: v.sarif === true,
    ...(v.output !== undefined ? { output: v.output } : {}),
    pin: v.pin === true,
    failOn: failOn as Severity,
    minSeverity: minSeverity as Severity,
    timeoutMillis,
  };
  if (v.pin) options.lockPath = resolve(v.lock ?? DEFAULT_LOCK);
  else if (v.lock !== undefined) {
    options.lockPath = resolve(v.lock);
    if (!existsSync(options.lockPath))
      return usage(`lock file ${v.lock} does not exist (create it with --pin first)`);
    const parsed = parseToolLock(readFileSync(options.lockPath, 'utf8'));
    if (!parsed.ok) return usage(`lock file ${v.lock} is invalid:\n  ${parsed.issues.join('\n  ')}`);
    options.lockToCompare = parsed.lock;
  }
  return { kind: 'scan', options };
}

/**
 * One offline scan over every server together (cross-server shadowing and collisions need them all): the
 * in-session drift, the first listing, the changed definitions in their latest company, and remote servers
 * that answer without authentication. Returns the findings and the tools that changed.
 */
function scanInventories(inventories: ServerInventory[]): {
  findings: ScanFinding[];
  drifted: ToolDefinition[];
} {
  const findings: ScanFinding[] = [];
  const drifted: ToolDefinition[] = [];
  for (const inv of inventories) {
    const d = inSessionDrift(inv);
    findings.push(...d.findings);
    drifted.push(...d.changed);
  }
  const surfaces: McpSurfaceItem[] = inventories.flatMap((inv) => [...inv.prompts, ...inv.resources]);
  const first = scanToolDefinitions(
    inventories.flatMap((inv) => inv.tools),
    { surfaces },
  ).findings;
  findings.push(...first);
  if (drifted.length > 0) {
    // The changed definitions, scanned in their latest company: what the model reads after the change.
    const latest = inventories.flatMap((inv) => inv.relisted ?? inv.tools);
    const changed = new Set(drifted);
    const seen = new Set(
      first.map((f) => `${f.ruleId}\u0000${f.server}\u0000${f.toolName}\u0000${f.evidence[0]?.excerpt}`),
    );
    for (const f of scanToolDefinitions(latest).findings) {
      const tool = latest[f.toolIndex];
      if (!tool || !changed.has(tool) || f.category === 'name-collision') continue;
      const key = `${f.ruleId}\u0000${f.server}\u0000${f.toolName}\u0000${f.evidence[0]?.excerpt}`;
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push({ ...f, toolIndex: -1, message: `after the change: ${f.message}` });
    }
  }
  for (const inv of inventories) {
    if (!inv.unauthenticated) continue;
    findings.push({
      ruleId: 'risky-capability.unauthenticated-remote',
      category: 'risky-capability',
      severity: 'medium',
      server: inv.label,
      toolName: '*',
      toolIndex: -1,
      subject: 'server',
      title: 'Remote MCP server answers without authentication',
      message: `${inv.identity.url ?? inv.label} accepted an MCP session without credentials: anyone who can reach it can use its ${inv.tools.length} tool(s)`,
      evidence: [{ field: 'url', excerpt: inv.identity.url ?? '' }],
    });
  }
  return { findings, drifted };
}

/** `--pin` writes the first listing; `--lock` adds the drift from the lock to `findings`. */
function applyLock(
  options: ScanOptions,
  inventories: ServerInventory[],
  scanned: { findings: ScanFinding[]; drifted: ToolDefinition[] },
  errors: ScanReport['errors'],
  warnings: string[],
): { ok: true; lock?: ScanReport['lock'] } | { ok: false; message: string } {
  const { lockPath } = options;
  if (!lockPath) return { ok: true };
  const listed = (which: 'first' | 'latest'): ListedServer[] =>
    inventories.map((inv) => ({
      identity: inv.identity,
      tools: which === 'latest' && inv.relisted ? inv.relisted : inv.tools,
    }));
  if (options.pin) {
    if (errors.length > 0)
      return {
        ok: false,
        message: `not pinning: ${errors.length} target(s) failed:\n  ${errors.map((e) => `${e.target}: ${e.reason}`).join('\n  ')}`,
      };
    if (scanned.drifted.length > 0)
      warnings.push(
        `pinned the first listing; ${scanned.drifted.length} tool(s) changed on the second listing`,
      );
    writeFileSync(
      lockPath,
      `${JSON.stringify(createToolLock(listed('first'), new Date().toISOString()), null, 2)}\n`,
    );
    return { ok: true, lock: { path: lockPath, mode: 'pinned' } };
  }
  if (!options.lockToCompare) return { ok: true };
  const seen = new Set<string>();
  for (const f of [
    ...compareToolLock(options.lockToCompare, listed('first')),
    ...compareToolLock(options.lockToCompare, listed('latest')),
  ]) {
    const key = `${f.ruleId}\u0000${f.server}\u0000${f.toolName}\u0000${f.evidence[0]?.note ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    scanned.findings.push(f);
  }
  return { ok: true, lock: { path: lockPath, mode: 'compared' } };
}

function scannedServer(inv: ServerInventory): ScannedServer {
  const s: ScannedServer = {
    label: inv.label,
    input: inv.target.input,
    transport: inv.transport,
    identity: inv.identity,
    tools: inv.tools.length,
    prompts: inv.prompts.length,
    resources: inv.resources.length,
    unauthenticated: inv.unauthenticated,
  };
  if (inv.target.configFile) s.configFile = inv.target.configFile;
  if (inv.target.line) s.line = inv.target.line;
  return s;
}

/**
 * `bulwark scan <target...>`: connects to MCP servers (stdio command lines, Streamable HTTP/SSE URLs, client
 * config files), lists their tools, prompts and resources, and scans all of them together offline for
 * poisoning, hidden text, schema side channels, shadowing, name collisions and risky capabilities; flags
 * remote servers that answer without authentication; pins (`--pin`) or checks (`--lock`) tool definitions.
 */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseScanArgs(argv);
  if (parsed.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (parsed.kind === 'usage') return fail(parsed.message);
  const { options } = parsed;

  const resolved = resolveScanTargets(options.targets);
  if (!resolved.ok) return fail(resolved.reason);

  const results = await Promise.all(
    resolved.targets.map((t) => collectInventory(t, { timeoutMillis: options.timeoutMillis })),
  );
  const inventories: ServerInventory[] = [];
  const errors: ScanReport['errors'] = [];
  results.forEach((r, i) => {
    if (r.ok) inventories.push(r.inventory);
    else errors.push({ target: resolved.targets[i]?.input ?? '?', reason: r.reason });
  });
  uniqueLabels(inventories);
  const byLabel = new Map(inventories.map((inv) => [inv.label, inv.target]));

  const scanned = scanInventories(inventories);
  const warnings = inventories.flatMap((inv) => inv.warnings);
  const locked = applyLock(options, inventories, scanned, errors, warnings);
  if (!locked.ok) return fail(locked.message);
  const { findings } = scanned;

  for (const f of findings) located(f, byLabel);
  findings.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  const failed = findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[options.failOn]);
  const report: ScanReport = {
    version: 1,
    servers: inventories.map(scannedServer),
    errors,
    warnings,
    findings,
    failOn: options.failOn,
    failed,
  };
  if (locked.lock) report.lock = locked.lock;

  const text = options.sarif
    ? JSON.stringify(toSarif(report, VERSION), null, 2)
    : options.json
      ? JSON.stringify(report)
      : formatScanTable(report, options.minSeverity);
  if (options.output) {
    try {
      writeFileSync(resolve(options.output), `${text}\n`);
    } catch (err) {
      return fail(`cannot write ${options.output}: ${(err as Error).message}`);
    }
  } else console.log(text);

  if (errors.length > 0) {
    for (const e of errors) console.error(`bulwark scan: ${e.target}: ${e.reason}`);
    return 2;
  }
  return failed ? 1 : 0;
}
