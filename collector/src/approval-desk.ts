import type { ApprovalAnswer, ApprovalStatus } from '@bulwark/contracts';

interface Answered {
  answer: ApprovalAnswer;
  /** Kept at least until then: the longest a waiting call can still be deciding on it. */
  keepUntilMillis: number;
}

type Waiter = (s: ApprovalStatus) => void;

/** One tenant's part of the desk: its answers and its waiting agents, bounded separately. */
interface TenantDesk {
  answers: Map<string, Answered>;
  waiters: Map<string, Set<Waiter>>;
  waiting: number;
}

/** What recording an answer did. */
export type RecordOutcome =
  | { ok: true; status: 'recorded' | 'unchanged'; waitersReleased: number }
  | { ok: false; code: 'conflict'; message: string }
  | { ok: false; code: 'desk_full'; message: string; retryAfterSeconds: number };

/** What starting a wait did: the answer (or pending later), or refused because the tenant waits on too much. */
export type WaitOutcome =
  | { ok: true; status: Promise<ApprovalStatus> }
  | { ok: false; code: 'too_many_waits'; message: string; retryAfterSeconds: number };

export interface ApprovalDeskOptions {
  /** Answers one tenant may hold at once. Beyond it new answers are refused (503), never old ones evicted. */
  maxAnswersPerTenant?: number;
  /** Agents of one tenant that may wait at once; more get 429. Waiting holds nothing after it ends. */
  maxWaitsPerTenant?: number;
  /**
   * How long an answer is kept: at least the longest approval deadline an agent may use (the SDK's
   * `CollectorApprovals.timeoutMillis` allows up to 24 h). Default 24 h.
   */
  answerRetentionMillis?: number;
  now?: () => number;
}

/**
 * Holds approvers' answers to `require_approval` verdicts until the waiting agent picks them up, per tenant.
 * An answer may arrive before the agent starts waiting; the first answer is final (a second, different one is a
 * conflict — an approval must not flip after the agent acted).
 *
 * Bounded per tenant, so one tenant cannot push out another's answers: an answer is never forgotten before its
 * retention (the longest a call may wait on it) ends; when a tenant holds too many, new answers are refused
 * (retriable) instead. A wait for an id nobody answered holds memory only while it waits, and each tenant
 * has its own cap on concurrent waits.
 *
 * @example
 * const desk = new ApprovalDesk();
 * desk.record('t1', { approvalId, decision: 'allow', approver: 'alice' });
 * const w = desk.wait('t1', approvalId, 25_000);
 * if (w.ok) await w.status; // { status: 'decided', decision: 'allow', ... }
 */
export class ApprovalDesk {
  private readonly tenants = new Map<string, TenantDesk>();
  private readonly maxAnswers: number;
  private readonly maxWaits: number;
  private readonly retentionMillis: number;
  private readonly now: () => number;

  constructor(options: ApprovalDeskOptions = {}) {
    this.maxAnswers = options.maxAnswersPerTenant ?? 10_000;
    this.maxWaits = options.maxWaitsPerTenant ?? 1_000;
    this.retentionMillis = options.answerRetentionMillis ?? 24 * 3600_000;
    this.now = options.now ?? Date.now;
  }

  record(tenantId: string, answer: ApprovalAnswer): RecordOutcome {
    const desk = this.desk(tenantId);
    const now = this.now();
    const held = desk.answers.get(answer.approvalId);
    if (held && held.keepUntilMillis > now) {
      if (held.answer.decision === answer.decision)
        return { ok: true, status: 'unchanged', waitersReleased: 0 };
      return {
        ok: false,
        code: 'conflict',
        message: `approval ${answer.approvalId} was already answered "${held.answer.decision}"${held.answer.approver ? ` by ${held.answer.approver}` : ''}; answers are final`,
      };
    }
    if (desk.answers.size >= this.maxAnswers) this.prune(desk, now);
    if (desk.answers.size >= this.maxAnswers) {
      return {
        ok: false,
        code: 'desk_full',
        message: `tenant ${tenantId} holds ${desk.answers.size} approval answers still within their retention; retry later`,
        retryAfterSeconds: 5,
      };
    }
    // Re-inserted at the end: the map's order is retention order, which prune relies on (an expired id
    // answered again must not keep its old place ahead of younger answers).
    desk.answers.delete(answer.approvalId);
    desk.answers.set(answer.approvalId, { answer, keepUntilMillis: now + this.retentionMillis });
    const waiting = desk.waiters.get(answer.approvalId);
    const status = decided(answer);
    let released = 0;
    if (waiting) {
      for (const w of [...waiting]) {
        w(status);
        released++;
      }
    }
    return { ok: true, status: 'recorded', waitersReleased: released };
  }

  /** The answer, as soon as there is one, or `pending` after `waitMillis`. */
  wait(tenantId: string, approvalId: string, waitMillis: number): WaitOutcome {
    const desk = this.tenants.get(tenantId);
    const held = desk?.answers.get(approvalId);
    if (held && held.keepUntilMillis > this.now())
      return { ok: true, status: Promise.resolve(decided(held.answer)) };
    if (waitMillis <= 0) return { ok: true, status: Promise.resolve({ status: 'pending', approvalId }) };
    const d = desk ?? this.desk(tenantId);
    if (d.waiting >= this.maxWaits) {
      return {
        ok: false,
        code: 'too_many_waits',
        message: `tenant ${tenantId} already has ${d.waiting} approval waits open; retry later`,
        retryAfterSeconds: 1,
      };
    }
    let set = d.waiters.get(approvalId);
    if (!set) {
      set = new Set();
      d.waiters.set(approvalId, set);
    }
    const waiters = set;
    d.waiting++;
    const status = new Promise<ApprovalStatus>((resolve) => {
      const done: Waiter = (s) => {
        clearTimeout(timer);
        waiters.delete(done);
        d.waiting--;
        // A wait leaves nothing behind: random ids cannot fill the desk.
        if (waiters.size === 0) d.waiters.delete(approvalId);
        resolve(s);
      };
      const timer = setTimeout(() => done({ status: 'pending', approvalId }), waitMillis);
      waiters.add(done);
    });
    return { ok: true, status };
  }

  /** Answers and waits a tenant holds now (for tests and /metrics). */
  size(tenantId: string): { answers: number; waiting: number } {
    const d = this.tenants.get(tenantId);
    return { answers: d?.answers.size ?? 0, waiting: d?.waiting ?? 0 };
  }

  /** Releases every waiter with `pending` (shutdown): agents retry elsewhere or time out on their side. */
  close(): void {
    for (const d of this.tenants.values()) {
      for (const [approvalId, set] of d.waiters)
        for (const w of [...set]) w({ status: 'pending', approvalId });
    }
  }

  private desk(tenantId: string): TenantDesk {
    let d = this.tenants.get(tenantId);
    if (!d) {
      d = { answers: new Map(), waiters: new Map(), waiting: 0 };
      this.tenants.set(tenantId, d);
    }
    return d;
  }

  /** Forgets answers whose retention has ended (insertion order is retention order). */
  private prune(desk: TenantDesk, now: number): void {
    for (const [id, a] of desk.answers) {
      if (a.keepUntilMillis > now) return;
      desk.answers.delete(id);
    }
  }
}

function decided(a: ApprovalAnswer): ApprovalStatus {
  return {
    status: 'decided',
    approvalId: a.approvalId,
    decision: a.decision,
    ...(a.approver !== undefined ? { approver: a.approver } : {}),
    ...(a.reason !== undefined ? { reason: a.reason } : {}),
  };
}
