import { relative, sep } from 'node:path';
import { type Severity, stableHash } from '@bulwark/contracts';
import { TOOL_SCAN_RULES } from '@bulwark/detectors';
import type { ScanReport } from './scan-report.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** GitHub code scanning ranks security results by this score (0–10). */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

/** A SARIF 2.1.0 log (the subset Bulwark writes). */
export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: unknown[];
}

/**
 * The scan report as SARIF 2.1.0 for code scanning: every scan rule in `tool.driver.rules`, one result per
 * finding with `ruleId`, `level`, `message`, a physical location (the MCP config file and the server's line)
 * when the server came from a config file, and always a logical location `server/tool`.
 *
 * @example
 * writeFileSync('bulwark.sarif', JSON.stringify(toSarif(report, '0.1.0'), null, 2));
 */
export function toSarif(report: ScanReport, version: string, cwd: string = process.cwd()): SarifLog {
  const rules = TOOL_SCAN_RULES.map((r) => ({
    id: r.id,
    name: r.name,
    shortDescription: { text: r.description },
    fullDescription: { text: r.description },
    defaultConfiguration: { level: LEVEL[r.defaultSeverity] },
    help: { text: `${r.description} Category: ${r.category}.` },
    properties: {
      category: r.category,
      tags: ['security', 'mcp', r.category],
      'security-severity': SECURITY_SEVERITY[r.defaultSeverity],
    },
  }));
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const results = report.findings.map((f) => {
    const location: Record<string, unknown> = {
      logicalLocations: [
        {
          name: f.toolName,
          fullyQualifiedName: `${f.server ?? ''}/${f.toolName}`,
          kind: f.subject === 'server' ? 'module' : 'function',
        },
      ],
    };
    if (f.configFile) {
      const uri = relative(cwd, f.configFile).split(sep).join('/') || f.configFile;
      location.physicalLocation = {
        artifactLocation: { uri },
        ...(f.line ? { region: { startLine: f.line } } : {}),
      };
    }
    const evidence = f.evidence[0];
    const result: Record<string, unknown> = {
      ruleId: f.ruleId,
      level: LEVEL[f.severity],
      message: {
        text: `${f.server ?? '?'}/${f.toolName}: ${f.title}. ${f.message}${evidence?.excerpt ? ` — ${evidence.field ?? ''}: "${evidence.excerpt.slice(0, 300)}"` : ''}`,
      },
      locations: [location],
      partialFingerprints: {
        'bulwarkFinding/v1': stableHash([
          f.ruleId,
          f.server ?? '',
          f.toolName,
          evidence?.field ?? '',
          evidence?.excerpt ?? '',
        ]),
      },
      properties: {
        severity: f.severity,
        'security-severity': SECURITY_SEVERITY[f.severity],
        category: f.category,
        server: f.server,
        tool: f.toolName,
        evidence: f.evidence,
        ...(f.related ? { related: f.related } : {}),
      },
    };
    const index = ruleIndex.get(f.ruleId);
    if (index !== undefined) result.ruleIndex = index;
    return result;
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'bulwark',
            semanticVersion: version,
            version,
            rules,
          },
        },
        results,
        invocations: [
          {
            executionSuccessful: report.errors.length === 0,
            toolExecutionNotifications: report.errors.map((e) => ({
              level: 'error',
              message: { text: `${e.target}: ${e.reason}` },
            })),
          },
        ],
      },
    ],
  };
}
