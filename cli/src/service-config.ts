import { readFileSync } from 'node:fs';
import { COLLECTOR_ENV, type CollectorConfig, loadCollectorConfig } from '@bulwark/collector';
import { type Policy, PolicyError, parsePolicy, parseToolLock, type ToolLock } from '@bulwark/detectors';
import {
  type AlertRoutingConfig,
  type EventStoreConfig,
  loadEventStoreConfig,
  parseAlertRoutingConfig,
} from '@bulwark/stream';
import { parse as parseYaml } from 'yaml';

/** Everything `bulwark serve` runs with, validated together. */
export interface ServiceConfig {
  collector: CollectorConfig;
  /** Present when the stream worker runs in this process (`worker`, default true). */
  store?: EventStoreConfig;
  policy?: Policy;
  toolLock?: ToolLock;
  alerts?: AlertRoutingConfig;
}

/** The whole service configuration, or every problem found in it (each naming its key, env variable or file). */
export type ServiceConfigResult = { ok: true; config: ServiceConfig } | { ok: false; issues: string[] };

function readText(
  path: string,
  key: 'policyFile' | 'toolLockFile' | 'alertsFile',
  issues: string[],
): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (err as Error).message;
    issues.push(`${key} (${COLLECTOR_ENV[key].env}): cannot read ${path}: ${why}`);
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
  const collector = loadCollectorConfig(options, env);
  if (!collector.ok) return collector;
  const c = collector.config;
  const issues: string[] = [];
  const out: ServiceConfig = { collector: c };

  if (c.worker) {
    const store = loadEventStoreConfig({}, env);
    if (store.ok) out.store = store.config;
    else issues.push(...store.issues);
  }
  if (c.policyFile) {
    const text = readText(c.policyFile, 'policyFile', issues);
    if (text !== undefined) {
      try {
        out.policy = parsePolicy(text);
      } catch (err) {
        if (!(err instanceof PolicyError)) throw err;
        for (const i of err.issues) issues.push(`policyFile (${c.policyFile}): ${i}`);
      }
    }
  }
  if (c.toolLockFile) {
    const text = readText(c.toolLockFile, 'toolLockFile', issues);
    if (text !== undefined) {
      const lock = parseToolLock(text);
      if (lock.ok) out.toolLock = lock.lock;
      else for (const i of lock.issues) issues.push(`toolLockFile (${c.toolLockFile}): ${i}`);
    }
  }
  if (c.alertsFile) {
    const text = readText(c.alertsFile, 'alertsFile', issues);
    if (text !== undefined) {
      let raw: unknown;
      try {
        raw = parseYaml(text);
      } catch (err) {
        issues.push(`alertsFile (${c.alertsFile}): not valid YAML or JSON: ${(err as Error).message}`);
      }
      if (raw !== undefined) {
        const routing = parseAlertRoutingConfig(raw);
        if (routing.ok) out.alerts = routing.config;
        else for (const i of routing.issues) issues.push(`alertsFile (${c.alertsFile}): ${i}`);
      }
    }
    if (!c.worker)
      issues.push(
        'alertsFile (BULWARK_ALERTS_FILE): alerts are sent by the worker; set BULWARK_WORKER=true here or configure them on the worker',
      );
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, config: out };
}
