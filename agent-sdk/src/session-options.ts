import { randomUUID } from 'node:crypto';
import type { Verdict, VerdictProvider } from '@bulwark/contracts';
import { diag, type Tracer } from '@opentelemetry/api';
import type { CaptureMode } from './content-capture.js';
import { AgentSdkError } from './errors.js';

/** What the approval handler is asked about. `arguments` is a frozen copy of exactly what will be sent. */
export interface ApprovalRequest {
  toolCallId: string;
  toolName: string;
  arguments: Readonly<Record<string, unknown>>;
  /** `stableHash(arguments)`: the approval is bound to it; changed arguments are refused. */
  argumentsHash: string;
  verdict: Verdict;
}

/** Decides a `require_approval` verdict (a human, a policy service...). Resolve `true` to let the call run. */
export type ApprovalHandler = (request: ApprovalRequest) => Promise<boolean>;

/** Options of an {@link AgentSession}. Code options win over `BULWARK_*` environment variables. */
export interface AgentSessionOptions {
  /** Tenant the session belongs to. Env `BULWARK_TENANT_ID`. Default `'default'`. */
  tenantId?: string;
  /** Session id shared by every event of this agent run. Default: a random UUID. */
  sessionId?: string;
  /** Env `BULWARK_AGENT_ID`. */
  agentId?: string;
  /** Env `BULWARK_AGENT_NAME`. */
  agentName?: string;
  /** Tracer for the spans. Default: the global tracer provider's `@bulwark/agent-sdk` tracer. */
  tracer?: Tracer;
  /** Content on spans. Env `BULWARK_CAPTURE`. Default `'redacted'`. */
  capture?: CaptureMode;
  /** Cap per captured span attribute value, UTF-8 bytes. Env `BULWARK_MAX_ATTRIBUTE_BYTES`. Default 8192. */
  maxAttributeBytes?: number;
  /** Content of events sent to the verdict provider. Env `BULWARK_VERDICT_CONTENT`. Default `'full'`. */
  verdictContent?: 'full' | 'redacted';
  /** Cap per text field of events sent to the verdict provider. Default 262144 (256 KiB). */
  maxVerdictFieldBytes?: number;
  /** Decides every tool call before it is sent. None: observe only (env `BULWARK_VERDICT_URL` creates a remote one). */
  verdictProvider?: VerdictProvider;
  /** Decision when the provider throws or answers an invalid verdict. Env `BULWARK_ON_VERDICT_UNAVAILABLE`. Default `'block'`. */
  onVerdictUnavailable?: 'allow' | 'block';
  /** What the caller gets for a refused call: an `isError` tool result, or a thrown error. Default `'result'`. */
  onBlock?: 'result' | 'throw';
  /** Asked on `require_approval`; without it such calls are refused. */
  onApprovalRequired?: ApprovalHandler;
  /** Bound of the event buffer between verdict requests (oldest dropped). Default 1000, at most 10000. */
  maxQueuedEvents?: number;
}

/** Options after defaults and environment were applied. */
export interface ResolvedSessionOptions {
  tenantId: string;
  sessionId: string;
  agentId: string | undefined;
  agentName: string | undefined;
  tracer: Tracer | undefined;
  capture: CaptureMode;
  maxAttributeBytes: number;
  verdictContent: 'full' | 'redacted';
  maxVerdictFieldBytes: number;
  verdictProvider: VerdictProvider | undefined;
  verdictUrl: string | undefined;
  onVerdictUnavailable: 'allow' | 'block';
  onBlock: 'result' | 'throw';
  onApprovalRequired: ApprovalHandler | undefined;
  maxQueuedEvents: number;
}

const warnedUnknown = new Set<string>();

/**
 * Warns through `diag`, once per process and option, about keys of `options` that are not options of `what`
 * (a typo such as `timeoutMs` would otherwise be ignored silently). `known` is typed by its caller with
 * `satisfies Record<keyof Options, true>` so it cannot drift from the interface.
 *
 * @example
 * warnUnknownOptions('RemoteVerdictProvider', options, KNOWN_REMOTE_OPTIONS);
 */
export function warnUnknownOptions(
  what: string,
  options: unknown,
  known: Readonly<Record<string, true>>,
): void {
  if (options === null || typeof options !== 'object') return;
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(known, key)) continue;
    const id = `${what}\u0000${key}`;
    if (warnedUnknown.has(id)) continue;
    warnedUnknown.add(id);
    diag.warn(
      `@bulwark/agent-sdk: ${what}: unknown option "${key}" is ignored (options: ${Object.keys(known).join(', ')})`,
    );
  }
}

/** Option names of {@link AgentSessionOptions}, for {@link warnUnknownOptions}. */
export const AGENT_SESSION_OPTION_KEYS = {
  tenantId: true,
  sessionId: true,
  agentId: true,
  agentName: true,
  tracer: true,
  capture: true,
  maxAttributeBytes: true,
  verdictContent: true,
  maxVerdictFieldBytes: true,
  verdictProvider: true,
  onVerdictUnavailable: true,
  onBlock: true,
  onApprovalRequired: true,
  maxQueuedEvents: true,
} as const satisfies Record<keyof AgentSessionOptions, true>;

/**
 * Collects every problem of a set of options so the error lists them all at once.
 *
 * @example
 * const c = new OptionChecker('agent-sdk options', process.env);
 * const capture = c.oneOf('capture', opts.capture, 'BULWARK_CAPTURE', ['redacted', 'full', 'none'], 'redacted');
 * c.throwIfInvalid();
 */
export class OptionChecker {
  readonly issues: string[] = [];
  constructor(
    private readonly what: string,
    private readonly env: Record<string, string | undefined>,
  ) {}

  private pick(name: string, value: unknown, envName: string | undefined): { value: unknown; from: string } {
    if (value !== undefined) return { value, from: name };
    const e = envName ? this.env[envName] : undefined;
    if (e !== undefined && e !== '') return { value: e, from: envName as string };
    return { value: undefined, from: name };
  }

  oneOf<T extends string>(
    name: string,
    value: unknown,
    envName: string | undefined,
    allowed: readonly T[],
    fallback: T,
  ): T {
    const p = this.pick(name, value, envName);
    if (p.value === undefined) return fallback;
    if (typeof p.value === 'string' && (allowed as readonly string[]).includes(p.value)) return p.value as T;
    this.issues.push(`${p.from}: must be one of ${allowed.join(', ')} (got ${JSON.stringify(p.value)})`);
    return fallback;
  }

  int(
    name: string,
    value: unknown,
    envName: string | undefined,
    min: number,
    max: number,
    fallback: number,
  ): number {
    const p = this.pick(name, value, envName);
    if (p.value === undefined) return fallback;
    const n = typeof p.value === 'string' ? Number(p.value) : p.value;
    if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) return n;
    this.issues.push(`${p.from}: must be an integer from ${min} to ${max} (got ${JSON.stringify(p.value)})`);
    return fallback;
  }

  text(name: string, value: unknown, envName: string | undefined, maxLength: number): string | undefined {
    const p = this.pick(name, value, envName);
    if (p.value === undefined) return undefined;
    if (typeof p.value === 'string' && p.value.length >= 1 && p.value.length <= maxLength) return p.value;
    this.issues.push(`${p.from}: must be a non-empty string of at most ${maxLength} characters`);
    return undefined;
  }

  url(name: string, value: unknown, envName: string | undefined): URL | undefined {
    const p = this.pick(name, value, envName);
    if (p.value === undefined) return undefined;
    try {
      const u = new URL(String(p.value));
      if (u.protocol === 'http:' || u.protocol === 'https:') return u;
    } catch {
      // reported below
    }
    this.issues.push(`${p.from}: must be an http(s) URL (got ${JSON.stringify(p.value)})`);
    return undefined;
  }

  func<T>(name: string, value: unknown): T | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'function') return value as T;
    this.issues.push(`${name}: must be a function`);
    return undefined;
  }

  object<T>(name: string, value: unknown, methods: readonly string[]): T | undefined {
    if (value === undefined) return undefined;
    const o = value as Record<string, unknown>;
    if (value !== null && typeof value === 'object' && methods.every((m) => typeof o[m] === 'function'))
      return value as T;
    this.issues.push(`${name}: must be an object with ${methods.join(', ')} methods`);
    return undefined;
  }

  throwIfInvalid(): void {
    if (this.issues.length > 0)
      throw new AgentSdkError(
        'agent-sdk.invalid_options',
        `${this.what} are invalid: ${this.issues.join('; ')}. Fix these options or BULWARK_* variables.`,
      );
  }
}

/**
 * Applies defaults and `BULWARK_*` environment variables to session options and validates them all at once.
 * Throws an {@link AgentSdkError} (`agent-sdk.invalid_options`) listing every bad key.
 *
 * @example
 * const resolved = resolveSessionOptions({ capture: 'full' }, process.env);
 */
export function resolveSessionOptions(
  options: AgentSessionOptions = {},
  env: Record<string, string | undefined> = process.env,
): ResolvedSessionOptions {
  const c = new OptionChecker('agent-sdk options', env);
  const resolved: ResolvedSessionOptions = {
    tenantId: c.text('tenantId', options.tenantId, 'BULWARK_TENANT_ID', 512) ?? 'default',
    sessionId: c.text('sessionId', options.sessionId, undefined, 512) ?? randomUUID(),
    agentId: c.text('agentId', options.agentId, 'BULWARK_AGENT_ID', 512),
    agentName: c.text('agentName', options.agentName, 'BULWARK_AGENT_NAME', 512),
    tracer: c.object('tracer', options.tracer, ['startSpan']),
    capture: c.oneOf('capture', options.capture, 'BULWARK_CAPTURE', ['redacted', 'full', 'none'], 'redacted'),
    maxAttributeBytes: c.int(
      'maxAttributeBytes',
      options.maxAttributeBytes,
      'BULWARK_MAX_ATTRIBUTE_BYTES',
      64,
      16 * 1024 * 1024,
      8192,
    ),
    verdictContent: c.oneOf(
      'verdictContent',
      options.verdictContent,
      'BULWARK_VERDICT_CONTENT',
      ['full', 'redacted'],
      'full',
    ),
    maxVerdictFieldBytes: c.int(
      'maxVerdictFieldBytes',
      options.maxVerdictFieldBytes,
      undefined,
      64,
      64 * 1024 * 1024,
      256 * 1024,
    ),
    verdictProvider: c.object('verdictProvider', options.verdictProvider, [
      'decide',
      'forceFlush',
      'shutdown',
    ]),
    verdictUrl: undefined,
    onVerdictUnavailable: c.oneOf(
      'onVerdictUnavailable',
      options.onVerdictUnavailable,
      'BULWARK_ON_VERDICT_UNAVAILABLE',
      ['allow', 'block'],
      'block',
    ),
    onBlock: c.oneOf('onBlock', options.onBlock, undefined, ['result', 'throw'], 'result'),
    onApprovalRequired: c.func<ApprovalHandler>('onApprovalRequired', options.onApprovalRequired),
    maxQueuedEvents: c.int('maxQueuedEvents', options.maxQueuedEvents, undefined, 1, 10_000, 1000),
  };
  if (!resolved.verdictProvider)
    resolved.verdictUrl = c.url('BULWARK_VERDICT_URL', undefined, 'BULWARK_VERDICT_URL')?.href;
  c.throwIfInvalid();
  return resolved;
}
