import { BulwarkError } from '@bulwark/contracts';

/** Errors of the detectors package. `code` values are stable: `detectors.<what>`. */
export class DetectorsError extends BulwarkError {
  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(code.startsWith('detectors.') ? code : `detectors.${code}`, message, options);
    this.name = 'DetectorsError';
  }
}

/** A policy file that does not parse or validate; `issues` lists every problem with its path. */
export class PolicyError extends DetectorsError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[], cause?: unknown) {
    super('detectors.invalid_policy', `policy is invalid: ${issues.join('; ')}`, { cause });
    this.name = 'PolicyError';
    this.issues = issues;
  }
}

/** A tool lock file (`bulwark.lock.json`) that does not parse or validate; `issues` lists every problem with its path. */
export class ToolLockError extends DetectorsError {
  readonly issues: readonly string[];
  constructor(source: string, issues: readonly string[], cause?: unknown) {
    super('detectors.invalid_tool_lock', `${source} is not a valid tool lock: ${issues.join('; ')}`, {
      cause,
    });
    this.name = 'ToolLockError';
    this.issues = issues;
  }
}
