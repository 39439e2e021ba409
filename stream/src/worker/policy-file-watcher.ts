import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type Policy, type PolicyError, parsePolicy } from '@bulwark/detectors';

export interface PolicyFileWatcherOptions {
  /** Called with each new valid policy (the engine's `setPolicy`). */
  onPolicy: (policy: Policy) => void;
  /** Called when a changed file is invalid; the last good policy stays in force. */
  onError?: (err: PolicyError | Error) => void;
  /** Debounce for editors that write in several steps. Default 100 ms. */
  debounceMillis?: number;
}

/**
 * Loads a policy file and reloads it when it changes (hot reload). An invalid edit never replaces the policy
 * in force: it is reported through `onError` and the previous one stays.
 *
 * @example
 * const watcher = await PolicyFileWatcher.start('bulwark.policy.yaml', { onPolicy: (p) => engine.setPolicy(p) });
 * await watcher.shutdown();
 */
export class PolicyFileWatcher {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private constructor(
    readonly path: string,
    private readonly options: PolicyFileWatcherOptions,
    private readonly watcher: ReturnType<typeof watch>,
  ) {}

  /** Reads and validates the file once (throws `PolicyError` if invalid), then watches it. */
  static async start(path: string, options: PolicyFileWatcherOptions): Promise<PolicyFileWatcher> {
    const policy = parsePolicy(await readFile(path, 'utf8'));
    options.onPolicy(policy);
    let self: PolicyFileWatcher | undefined;
    const w = watch(path, { persistent: false }, () => self?.schedule());
    self = new PolicyFileWatcher(path, options, w);
    w.on('error', (err) => options.onError?.(err));
    return self;
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), this.options.debounceMillis ?? 100);
  }

  /** Re-reads the file now. Resolves to the new policy, or undefined when it was invalid. */
  async reload(): Promise<Policy | undefined> {
    try {
      const policy = parsePolicy(await readFile(this.path, 'utf8'));
      this.options.onPolicy(policy);
      return policy;
    } catch (err) {
      this.options.onError?.(err as Error);
      return undefined;
    }
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.watcher.close();
  }
}
