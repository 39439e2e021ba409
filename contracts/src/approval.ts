import { z } from 'zod';
import { stableHash } from './stable-hash.js';

/** What identifies one `require_approval` decision: the call and the exact arguments it was decided on. */
export interface ApprovalSubject {
  tenantId: string;
  sessionId: string;
  toolCallId: string;
  argumentsHash?: string | undefined;
}

/**
 * The id of an approval, the same in the worker (that asks the approver), the collector (that holds the
 * answer) and the agent SDK (that waits for it): a hash of tenant, session, tool call and arguments hash, so
 * an answer can never release a call with other arguments.
 *
 * @example
 * const id = approvalId(verdict); // 32 hex characters
 */
export function approvalId(subject: ApprovalSubject): string {
  return stableHash([
    subject.tenantId,
    subject.sessionId,
    subject.toolCallId,
    subject.argumentsHash ?? '',
  ]).slice(0, 32);
}

/** An approver's answer, posted to the collector's `POST /v1/approvals`. */
export const ApprovalAnswerSchema = z
  .object({
    approvalId: z.string().regex(/^[0-9a-f]{32}$/, 'must be the 32-hex approvalId of the request'),
    decision: z.enum(['allow', 'block']),
    /**
     * The tenant of the request, copied from the `approval_request` the approver received. Approver keys are
     * the operator's, not a tenant's, so the answer names whose call it releases; absent = the collector's
     * own tenant (`BULWARK_TENANT_ID`, single-tenant mode).
     */
    tenantId: z
      .string()
      .min(1)
      .max(512)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
      .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters')
      .optional(),
    /** Who decided (shown in the audit trail). */
    approver: z.string().min(1).max(256).optional(),
    reason: z.string().max(2_000).optional(),
  })
  .strict();
export type ApprovalAnswer = z.infer<typeof ApprovalAnswerSchema>;

/** A waiting agent's request, `POST /v1/approvals/wait`: held until an answer arrives or `waitMillis` passes. */
export const ApprovalWaitSchema = z
  .object({
    approvalId: z.string().regex(/^[0-9a-f]{32}$/),
    waitMillis: z.number().int().min(0).max(60_000).default(25_000),
  })
  .strict();
export type ApprovalWait = z.input<typeof ApprovalWaitSchema>;

/** The collector's answer to a wait: decided, or still pending (ask again). */
export type ApprovalStatus =
  | { status: 'pending'; approvalId: string }
  | {
      status: 'decided';
      approvalId: string;
      decision: 'allow' | 'block';
      approver?: string;
      reason?: string;
    };
