import { z } from 'zod';
import { DecisionSchema, EvidenceSchema, SeveritySchema } from './verdict.js';

/**
 * One detector's observation about one event. Findings are stored; alerts group them.
 *
 * @example
 * FindingSchema.parse({ findingId: 'f1', detectorId: 'injection.chain', severity: 'high', decision: 'block',
 *   title: 'Injected instruction drove a side effect', tenantId: 't', sessionId: 's', timestampMillis: 0 });
 */
export const FindingSchema = z.object({
  findingId: z.string().min(1),
  detectorId: z.string().min(1),
  severity: SeveritySchema,
  decision: DecisionSchema,
  title: z.string(),
  description: z.string().default(''),
  tenantId: z.string(),
  sessionId: z.string(),
  agentId: z.string().optional(),
  /** The event that triggered it (a tool call, a tools/list, ...). */
  eventId: z.string().optional(),
  toolName: z.string().optional(),
  server: z.string().optional(),
  evidence: z.array(EvidenceSchema).default([]),
  timestampMillis: z.number().nonnegative(),
});
export type Finding = z.infer<typeof FindingSchema>;

/**
 * An incident for humans: findings of one attack chain (tenant + session) grouped, with a dedup key
 * so a pager sees one incident, then its resolution.
 */
export const AlertSchema = z.object({
  alertId: z.string().min(1),
  /** Stable per incident: tenant + session (+ detector family where routing splits them). */
  dedupKey: z.string().min(1),
  action: z.enum(['trigger', 'resolve']),
  severity: SeveritySchema,
  title: z.string(),
  summary: z.string().default(''),
  tenantId: z.string(),
  sessionId: z.string(),
  agentId: z.string().optional(),
  detectorIds: z.array(z.string()).default([]),
  findings: z.array(FindingSchema).default([]),
  firstSeenMillis: z.number().nonnegative(),
  lastSeenMillis: z.number().nonnegative(),
});
export type Alert = z.infer<typeof AlertSchema>;
