import type { Evidence, PendingToolCall, Severity } from '@bulwark/contracts';
import type { Detector, DetectorContext, DetectorOutcome } from '../../engine/detector.js';
import { DEFAULT_POLICY } from '../../engine/policy.js';

interface Check {
  kind: string;
  severity: Severity;
  re: RegExp;
}

// Shell metacharacters followed by a command, command substitution, and pipes into interpreters.
const CHECKS: readonly Check[] = [
  {
    kind: 'command-injection',
    severity: 'critical',
    re: /(?:;|&&|\|\||\|)\s*(?:rm|curl|wget|nc|ncat|bash|sh|zsh|python\d?|perl|ruby|php|node|chmod|chown|cat|scp|ssh|powershell|iex|base64|eval|exec|mkfifo|dd)\b/i,
  },
  { kind: 'command-substitution', severity: 'high', re: /\$\([^)]{1,200}\)|`[^`\n]{1,200}`/ },
  {
    kind: 'pipe-to-shell',
    severity: 'critical',
    re: /\b(?:curl|wget)\b[^|\n]{0,200}\|\s*(?:sudo\s+)?(?:ba|z)?sh\b/i,
  },
  { kind: 'reverse-shell', severity: 'critical', re: /\/dev\/tcp\/|\bnc\s+(?:-\w+\s+)*-e\b|\bbash\s+-i\b/i },
  {
    kind: 'destructive-command',
    severity: 'critical',
    re: /\brm\s+-(?:[a-z]*r[a-z]*f|[a-z]*f[a-z]*r)\b\s+(?:\/|~|\*|\$home)|\bmkfs\b|:\(\)\s*\{\s*:\|:&\s*\};:/i,
  },
  {
    kind: 'ssrf-metadata',
    severity: 'critical',
    re: /\b(?:169\.254\.169\.254|metadata\.google\.internal|metadata\.azure\.com|100\.100\.100\.200|fd00:ec2::254)\b/i,
  },
  { kind: 'ssrf-link-local', severity: 'high', re: /(?:^|[/@\s])(?:169\.254\.\d{1,3}\.\d{1,3}|\[?fe80:)/i },
  {
    kind: 'ssrf-private',
    severity: 'high',
    re: /(?:https?|gopher|dict|ftp|ldap|tftp):\/\/(?:[^/@\s]*@)?(?:localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|0\.0\.0\.0|10\.\d{1,3}\.\d{1,3}\.\d{1,3}|192\.168\.\d{1,3}\.\d{1,3}|172\.(?:1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3}|\[::1?\]|0x[0-9a-f]+|\d{8,10})(?::\d+)?(?:[/?#]|$)/i,
  },
  {
    kind: 'dangerous-scheme',
    severity: 'high',
    re: /^\s*(?:file|gopher|dict|ldap|jar|netdoc|php|expect|data):/i,
  },
  { kind: 'path-traversal', severity: 'high', re: /(?:^|[\\/])\.\.(?:[\\/]|$)|%2e%2e(?:%2f|%5c|\/)/i },
  {
    kind: 'sensitive-path',
    severity: 'high',
    re: /(?:\/etc\/(?:passwd|shadow|sudoers|ssh\/)|\/\.ssh\/|\/root\/|~\/\.aws\/|\.aws\/credentials|\/proc\/self\/|\.env\b|id_rsa|id_ed25519|\.git\/config|\.kube\/config|\.npmrc|\.netrc)/i,
  },
];

function strings(v: unknown, path: string, out: Array<[string, string]>, depth = 0): void {
  if (out.length > 64) return;
  if (typeof v === 'string') out.push([path, v.length > 8192 ? v.slice(0, 8192) : v]);
  else if (Array.isArray(v) && depth < 4)
    for (const [i, x] of v.entries()) strings(x, `${path}[${i}]`, out, depth + 1);
  else if (v && typeof v === 'object' && depth < 4)
    for (const [k, x] of Object.entries(v)) strings(x, path ? `${path}.${k}` : k, out, depth + 1);
}

/**
 * `args.risky`: command injection, SSRF targets (cloud metadata, link-local, private ranges, `file://`) and
 * path traversal in tool arguments. Shell syntax only counts for tools that execute; URL and path checks
 * apply to every tool.
 */
export class RiskyArgsDetector implements Detector {
  readonly id = 'args.risky';
  readonly description = 'Command injection, SSRF targets and path traversal in arguments';
  readonly defaultSeverity = 'high' as const;

  onToolCall(call: PendingToolCall, ctx: DetectorContext): readonly DetectorOutcome[] {
    const decision = ctx.policy?.args.risky ?? DEFAULT_POLICY.args.risky;
    const executes = ctx.call?.profile.executes ?? false;
    const found: Array<{ check: Check; path: string; value: string; m: RegExpExecArray }> = [];
    const list: Array<[string, string]> = [];
    strings(call.arguments, '', list);
    for (const [path, value] of list) {
      for (const check of CHECKS) {
        const shellish = check.kind === 'command-injection' || check.kind === 'command-substitution';
        // Prose in a message body may contain backticks or "; cat": shell checks need an executing tool
        // or an argument that looks like a command.
        if (
          shellish &&
          !executes &&
          !/^(cmd|command|script|shell|args?|exec|run|query)$/i.test(path.split('.').pop() ?? '')
        )
          continue;
        const m = check.re.exec(value);
        if (m) found.push({ check, path, value, m });
      }
    }
    if (found.length === 0) return [];
    const worst = found.some((f) => f.check.severity === 'critical') ? 'critical' : 'high';
    const evidence: Evidence[] = found.slice(0, 5).map((f) => ({
      field: `arguments.${f.path}`,
      excerpt: f.value.slice(Math.max(0, f.m.index - 40), f.m.index + f.m[0].length + 40),
      start: f.m.index,
      end: f.m.index + f.m[0].length,
      note: f.check.kind,
    }));
    return [
      {
        severity: worst,
        decision,
        title: `Risky argument: ${[...new Set(found.map((f) => f.check.kind))].join(', ')}`,
        message: `${call.toolName} ${found.map((f) => `${f.path}: ${f.check.kind}`).join('; ')}`,
        evidence,
      },
    ];
  }
}
