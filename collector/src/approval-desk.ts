import type { ApprovalAnswer, ApprovalStatus } from '@bulwark/contracts';

interface Entry {
  answer?: ApprovalAnswer;
  waiters: Set<(s: ApprovalStatus) => void>;
}

/** What recording an answer did. */
export type RecordOutcome =
  | { ok: true; status: 'recorded' | 'unchanged'; waitersReleased: number }
  | { ok: false; code: 'conflict'; message: string };

/**
 * Holds approvers' answers to `require_approval` verdicts until the waiting agent picks them up, per tenant.
 * An answer may arrive before the agent starts waiting; the first answer is final (a second, different one is a
 * conflict — an approval must not flip after the agent acted). Bounded: the oldest answers are forgotten
 * beyond `maxEntries`; an agent that asks after that sees `pending` and its own deadline blocks the call.
 *
 * @example
 * const desk = new ApprovalDesk();
 * desk.record('t1', { approvalId, decision: 'allow', approver: 'alice' });
 * await desk.wait('t1', approvalId, 25_000); // { status: 'decided', decision: 'allow', ... }
 */
export class ApprovalDesk {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 10_000) {}

  record(tenantId: string, answer: ApprovalAnswer): RecordOutcome {
    const key = `${tenantId}\u0000${answer.approvalId}`;
    const entry = this.entries.get(key) ?? { waiters: new Set() };
    if (entry.answer) {
      if (entry.answer.decision === answer.decision)
        return { ok: true, status: 'unchanged', waitersReleased: 0 };
      return {
        ok: false,
        code: 'conflict',
        message: `approval ${answer.approvalId} was already answered "${entry.answer.decision}"${entry.answer.approver ? ` by ${entry.answer.approver}` : ''}; answers are final`,
      };
    }
    entry.answer = answer;
    this.entries.delete(key);
    this.evict(1);
    this.entries.set(key, entry);
    const status = decided(answer);
    const released = entry.waiters.size;
    for (const w of entry.waiters) w(status);
    entry.waiters.clear();
    return { ok: true, status: 'recorded', waitersReleased: released };
  }

  /** The answer, as soon as there is one, or `pending` after `waitMillis`. */
  wait(tenantId: string, approvalId: string, waitMillis: number): Promise<ApprovalStatus> {
    const key = `${tenantId}\u0000${approvalId}`;
    let entry = this.entries.get(key);
    if (entry?.answer) return Promise.resolve(decided(entry.answer));
    if (waitMillis <= 0) return Promise.resolve({ status: 'pending', approvalId });
    if (!entry) {
      this.evict(1);
      entry = { waiters: new Set() };
      this.entries.set(key, entry);
    }
    const e = entry;
    return new Promise((resolve) => {
      const done = (s: ApprovalStatus) => {
        clearTimeout(timer);
        e.waiters.delete(done);
        resolve(s);
      };
      const timer = setTimeout(() => done({ status: 'pending', approvalId }), waitMillis);
      e.waiters.add(done);
    });
  }

  /** Releases every waiter with `pending` (shutdown): agents retry elsewhere or time out on their side. */
  close(): void {
    for (const [key, e] of this.entries) {
      const approvalId = key.slice(key.indexOf('\u0000') + 1);
      for (const w of [...e.waiters]) w({ status: 'pending', approvalId });
    }
  }

  /** Makes room for `incoming` new entries: oldest first, never an entry an agent is waiting on. */
  private evict(incoming: number): void {
    for (const [key, e] of this.entries) {
      if (this.entries.size + incoming <= this.maxEntries) return;
      if (e.waiters.size === 0) this.entries.delete(key);
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
