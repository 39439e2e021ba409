import { readFileSync } from 'node:fs';
import { type CollectorConfig, loadCollectorConfig } from '@bulwark/collector';
import { type Policy, PolicyError, parsePolicy, parseToolLock, type ToolLock } from '@bulwark/detectors';
import {
  type AlertRoutingConfig,
  type EventStoreConfig,
  loadEventStoreConfig,
  parseAlertRoutingConfig,
} from '@bulwark/stream';
import { parse as parseYaml } from 'yaml';

/**
 * The files `bulwark serve` reads, each with its env variable (a code option of the same name wins). They
 * are the CLI's, not the collector's: the collector and the worker are handed what was read from them.
 *
 * @example
 * SERVICE_FILES_ENV.policyFile; // 'BULWARK_POLICY_FILE'
 */
export const SERVICE_FILES_ENV = {
  /** Policy file (YAML or JSON); reloaded when it changes, an invalid edit keeps the policy in force. */
  policyFile: 'BULWARK_POLICY_FILE',
  /** Pinned tool definitions written by `bulwark scan --pin` (`bulwark.lock.json`). */
  toolLockFile: 'BULWARK_TOOL_LOCK_FILE',
  /** Alert routing (YAML or JSON): channels (Slack, PagerDuty, webhook), routes, approvals. */
  alertsFile: 'BULWARK_ALERTS_FILE',
} as const;

export type ServiceFileKey = keyof typeof SERVICE_FILES_ENV;

/** Everything `bulwark serve` runs with, validated together. */
export interface ServiceConfig {
  collector: CollectorConfig;
  /** Where the policy, tool lock and alert routing were read from (the policy file is watched). */
  files: Partial<Record<ServiceFileKey, string>>;
  /** Present when the stream worker runs in this process (`worker`, default true). */
  store?: EventStoreConfig;
  policy?: Policy;
  toolLock?: ToolLock;
  alerts?: AlertRoutingConfig;
}

/** The whole service configuration, or every problem found in it (each naming its key, env variable or file). */
export type ServiceConfigResult = { ok: true; config: ServiceConfig } | { ok: false; issues: string[] };

/** The file paths: code options over env; a blank env value is unset (compose passes `""` for "none"). */
function filePaths(
  options: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  issues: string[],
): Partial<Record<ServiceFileKey, string>> {
  const out: Partial<Record<ServiceFileKey, string>> = {};
  for (const key of Object.keys(SERVICE_FILES_ENV) as ServiceFileKey[]) {
    const option = options[key];
    if (option !== undefined) {
      if (typeof option === 'string' && option.trim() !== '') out[key] = option;
      else issues.push(`${key}: expected a file path, got ${JSON.stringify(option)}`);
      continue;
    }
    const v = env[SERVICE_FILES_ENV[key]];
    if (v !== undefined && v.trim() !== '') out[key] = v;
  }
  return out;
}

function readText(path: string, key: ServiceFileKey, issues: string[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (err as Error).message;
    issues.push(`${key} (${SERVICE_FILES_ENV[key]}): cannot read ${path}: ${why}`);
    return undefined;
  }
}

/**
 * Validates the collector settings, the event store settings (when the worker runs here) and the policy, tool
 * lock and alert routing files, once, before anything starts. Never throws: a bad setup comes back with every
 * issue, so the operator fixes them in one go.
 *
 * @example
 * const res = loadServiceConfig({ port: 0 }, process.env);
 * if (!res.ok) { console.error(res.issues.join('\n')); process.exit(2); }
 */
export function loadServiceConfig(
  options: Record<string, unknown> = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): ServiceConfigResult {
  const issues: string[] = [];
  const files = filePaths(options, env, issues);
  const collectorOptions = Object.fromEntries(
    Object.entries(options).filter(([k]) => !Object.hasOwn(SERVICE_FILES_ENV, k)),
  );
  const collector = loadCollectorConfig(collectorOptions, env);
  if (!collector.ok) return { ok: false, issues: [...collector.issues, ...issues] };
  const c = collector.config;
  const out: ServiceConfig = { collector: c, files };

  if (c.worker) {
    const store = loadEventStoreConfig({}, env);
    if (store.ok) out.store = store.config;
    else issues.push(...store.issues);
  }
  if (files.policyFile) {
    const text = readText(files.policyFile, 'policyFile', issues);
    if (text !== undefined) {
      try {
        out.policy = parsePolicy(text);
      } catch (err) {
        if (!(err instanceof PolicyError)) throw err;
        for (const i of err.issues) issues.push(`policyFile (${files.policyFile}): ${i}`);
      }
    }
  }
  if (files.toolLockFile) {
    const text = readText(files.toolLockFile, 'toolLockFile', issues);
    if (text !== undefined) {
      const lock = parseToolLock(text);
      if (lock.ok) out.toolLock = lock.lock;
      else for (const i of lock.issues) issues.push(`toolLockFile (${files.toolLockFile}): ${i}`);
    }
  }
  if (files.alertsFile) {
    const text = readText(files.alertsFile, 'alertsFile', issues);
    if (text !== undefined) {
      let raw: unknown;
      try {
        raw = parseYaml(text);
      } catch (err) {
        issues.push(`alertsFile (${files.alertsFile}): not valid YAML or JSON: ${(err as Error).message}`);
      }
      if (raw !== undefined) {
        const routing = parseAlertRoutingConfig(raw);
        if (routing.ok) out.alerts = routing.config;
        else for (const i of routing.issues) issues.push(`alertsFile (${files.alertsFile}): ${i}`);
      }
    }
    if (!c.worker)
      issues.push(
        'alertsFile (BULWARK_ALERTS_FILE): alerts are sent by the worker; set BULWARK_WORKER=true here or configure them on the worker',
      );
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, config: out };
}
