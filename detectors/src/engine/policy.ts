import { DecisionSchema, formatZodIssues, SeveritySchema } from '@bulwark/contracts';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PolicyError } from '../errors.js';

const Decision = DecisionSchema;

const SectionsShape = {
  injection: z
    .object({
      /** An argument carries a value from injected instructions. */
      chain: Decision.default('block'),
      /** Same, but the instructions were weak (no agent-directed language) and the user did not ask for this kind of action. */
      weakChain: Decision.default('block'),
      /** Any side effect after strong injected instructions entered the session ("the session is compromised"). */
      quarantine: Decision.default('block'),
      /** The user delegated to the content ("follow the file"), and it introduces a new destination. */
      delegatedChain: Decision.default('require_approval'),
      /** Any side effect after a weak but structured directive with a target (a planted "TODO: send … to …"). */
      quarantineStructured: Decision.default('require_approval'),
    })
    .strict()
    .default({
      chain: 'block',
      weakChain: 'block',
      quarantine: 'block',
      delegatedChain: 'require_approval',
      quarantineStructured: 'require_approval',
    }),
  exfil: z
    .object({
      /** A secret flows to an outward sink whose destination the user did not give. */
      secret: Decision.default('block'),
      /** A secret flows outward to a destination the user gave. */
      secretToTrustedDestination: Decision.default('alert'),
      /** Internal data (read from private tools) flows to a destination taken from untrusted content. */
      internalToUntrustedDestination: Decision.default('alert'),
      /**
       * Personal data (government id, passport, card or bank account number, date of birth, home address,
       * phone) flows to a destination taken from untrusted content: the exfiltration of a user's identity.
       */
      personalToUntrustedDestination: Decision.default('block'),
      /** Personal data flows to a destination the user did not give and no content supplied either. */
      personalToUnknownDestination: Decision.default('alert'),
      /** Personal data flows to a destination the user named (their own request): allowed, no finding. */
      personalToTrustedDestination: Decision.default('allow'),
    })
    .strict()
    .default({
      secret: 'block',
      secretToTrustedDestination: 'alert',
      internalToUntrustedDestination: 'alert',
      personalToUntrustedDestination: 'block',
      personalToUnknownDestination: 'alert',
      personalToTrustedDestination: 'allow',
    }),
  args: z
    .object({ risky: Decision.default('block') })
    .strict()
    .default({ risky: 'block' }),
  sequence: z
    .object({
      decision: Decision.default('alert'),
      /** Sessions observed per agent before the model scores anything. */
      warmupSessions: z.number().int().nonnegative().default(20),
      /** Transition probability under which a call is anomalous. */
      minProbability: z.number().min(0).max(1).default(0.02),
    })
    .strict()
    .default({ decision: 'alert', warmupSessions: 20, minProbability: 0.02 }),
  tools: z
    .object({
      poisoning: Decision.default('block'),
      drift: Decision.default('block'),
      unpinned: Decision.default('alert'),
    })
    .strict()
    .default({ poisoning: 'block', drift: 'block', unpinned: 'alert' }),
};

const ProfileOverrideSchema = z
  .object({
    reads: z.boolean(),
    writes: z.boolean(),
    sendsOutward: z.boolean(),
    deletes: z.boolean(),
    executes: z.boolean(),
    fetchesUrl: z.boolean(),
    untrustedOutput: z.boolean(),
  })
  .partial()
  .strict();

const OverrideSchema = z
  .object({
    tenant: z.string().optional(),
    server: z.string().optional(),
    /** Tool name or glob (`*` and `?`). */
    tool: z.string().optional(),
    profile: ProfileOverrideSchema.optional(),
    /** Decision for every call of the matched tools (e.g. `require_approval` for payments). */
    decision: Decision.optional(),
    /** Detector ids switched off for the matched tools. */
    disable: z.array(z.string()).optional(),
  })
  .strict();

const RuleSchema = z
  .object({
    id: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$/,
        'dotted lower-case id like custom.no-prod-delete',
      ),
    description: z.string().default(''),
    when: z
      .object({
        tool: z.string().optional(),
        server: z.string().optional(),
        tenant: z.string().optional(),
        /** Argument path and a regular expression its value must match. */
        argument: z.object({ path: z.string(), matches: z.string() }).strict().optional(),
        /** Only after injected instructions were seen in the session. */
        afterInjection: z.boolean().optional(),
        /** Only when some argument derives from untrusted content. */
        untrustedArgument: z.boolean().optional(),
        sideEffecting: z.boolean().optional(),
      })
      .strict(),
    decision: Decision,
    severity: SeveritySchema.default('medium'),
    message: z.string().optional(),
  })
  .strict();

const TenantSectionsSchema = z
  .object({
    injection: SectionsShape.injection.optional(),
    exfil: SectionsShape.exfil.optional(),
    args: SectionsShape.args.optional(),
    sequence: SectionsShape.sequence.optional(),
    tools: SectionsShape.tools.optional(),
  })
  .strict();

/**
 * The policy file: decisions per detector family, per-tool/server/tenant overrides, and added rules.
 * Every field has a default; an empty file is the default policy.
 */
export const PolicySchema = z
  .object({
    version: z.literal(1).default(1),
    ...SectionsShape,
    overrides: z.array(OverrideSchema).default([]),
    rules: z.array(RuleSchema).default([]),
    tenants: z.record(z.string(), TenantSectionsSchema).default({}),
  })
  .strict();

export type Policy = z.infer<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;
export type PolicyOverride = z.infer<typeof OverrideSchema>;
export type PolicyRule = z.infer<typeof RuleSchema>;
export type PolicySections = Pick<Policy, 'injection' | 'exfil' | 'args' | 'sequence' | 'tools'>;

/** The default policy (what `eval agentdojo` measures). */
export const DEFAULT_POLICY: Policy = PolicySchema.parse({});

/**
 * Parses and validates a policy from YAML (or JSON) text. Throws `PolicyError` listing every problem.
 *
 * @example
 * const policy = parsePolicy('injection:\n  quarantine: require_approval\n');
 */
export function parsePolicy(text: string): Policy {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (err) {
    throw new PolicyError([`not valid YAML: ${(err as Error).message}`], err);
  }
  const res = PolicySchema.safeParse(raw);
  if (!res.success) {
    throw new PolicyError(formatZodIssues(res.error));
  }
  for (const r of res.data.rules) {
    if (r.when.argument) {
      try {
        new RegExp(r.when.argument.matches);
      } catch (err) {
        throw new PolicyError([`rules.${r.id}.when.argument.matches: invalid regular expression`], err);
      }
    }
  }
  return res.data;
}

/** The sections in force for one tenant: tenant entries replace the top-level ones field by field. */
export function sectionsFor(policy: Policy, tenantId: string): PolicySections {
  const t = policy.tenants[tenantId];
  if (!t) return policy;
  return {
    injection: { ...policy.injection, ...t.injection },
    exfil: { ...policy.exfil, ...t.exfil },
    args: { ...policy.args, ...t.args },
    sequence: { ...policy.sequence, ...t.sequence },
    tools: { ...policy.tools, ...t.tools },
  };
}

/** Glob match with `*` and `?`, case-sensitive. */
export function globMatch(pattern: string | undefined, value: string | undefined): boolean {
  if (pattern === undefined) return true;
  if (value === undefined) return false;
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === value;
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(value);
}

/** Overrides that apply to a tool, in file order (later ones win). */
export function overridesFor(
  policy: Policy,
  tenantId: string,
  server: string | undefined,
  tool: string,
): PolicyOverride[] {
  return policy.overrides.filter(
    (o) =>
      globMatch(o.tenant, tenantId) &&
      (o.server === undefined || globMatch(o.server, server)) &&
      globMatch(o.tool, tool),
  );
}

/**
 * Everything of a policy that applies to one (tenant, server, tool), resolved once: the engine keeps one per
 * tool and policy version instead of matching the overrides and rules on every call.
 */
export interface ResolvedPolicy {
  /** The policy this view was resolved from (a detector with its own policy source checks identity). */
  readonly policy: Policy;
  readonly sections: PolicySections;
  /** Overrides that apply, in file order (later ones win). */
  readonly overrides: readonly PolicyOverride[];
  /** Detector ids the overrides switch off. */
  readonly disabled: ReadonlySet<string>;
  /** Rules whose `tool`, `server` and `tenant` match; their other conditions depend on the call. */
  readonly rules: readonly PolicyRule[];
}

/**
 * Resolves the policy for one tool call target.
 *
 * @example
 * resolvePolicy(DEFAULT_POLICY, 'default', undefined, 'send_email').disabled.size; // 0
 */
export function resolvePolicy(
  policy: Policy,
  tenantId: string,
  server: string | undefined,
  tool: string,
): ResolvedPolicy {
  const overrides = overridesFor(policy, tenantId, server, tool);
  return Object.freeze({
    policy,
    sections: sectionsFor(policy, tenantId),
    overrides: Object.freeze(overrides),
    disabled: new Set(overrides.flatMap((o) => o.disable ?? [])),
    rules: Object.freeze(
      policy.rules.filter(
        (r) =>
          globMatch(r.when.tool, tool) &&
          (r.when.server === undefined || globMatch(r.when.server, server)) &&
          globMatch(r.when.tenant, tenantId),
      ),
    ),
  });
}
