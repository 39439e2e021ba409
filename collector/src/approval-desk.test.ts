import type { ApprovalStatus } from '@bulwark/contracts';
import { describe, expect, it } from 'vitest';
import { ApprovalDesk, type WaitOutcome } from './approval-desk.js';

const id = (n: number) => n.toString(16).padStart(32, '0');
const statusOf = (w: WaitOutcome): Promise<ApprovalStatus> => {
  if (!w.ok) throw new Error(`wait refused: ${w.code}`);
  return w.status;
};

describe('ApprovalDesk', () => {
  it('hands an answer that came first to the agent that asks later, per tenant only', async () => {
    const desk = new ApprovalDesk();
    desk.record('t1', { approvalId: id(1), decision: 'allow', approver: 'alice' });
    expect(await statusOf(desk.wait('t1', id(1), 0))).toMatchObject({
      status: 'decided',
      decision: 'allow',
      approver: 'alice',
    });
    expect(await statusOf(desk.wait('t2', id(1), 0))).toEqual({ status: 'pending', approvalId: id(1) });
  });

  it('releases a waiting agent when the answer arrives, and says pending after the wait', async () => {
    const desk = new ApprovalDesk();
    const waiting = statusOf(desk.wait('t1', id(2), 5_000));
    expect(desk.record('t1', { approvalId: id(2), decision: 'block' })).toEqual({
      ok: true,
      status: 'recorded',
      waitersReleased: 1,
    });
    expect(await waiting).toMatchObject({ status: 'decided', decision: 'block' });
    expect(await statusOf(desk.wait('t1', id(3), 20))).toEqual({ status: 'pending', approvalId: id(3) });
    // Nothing is left behind by a wait that ended.
    expect(desk.size('t1')).toEqual({ answers: 1, waiting: 0 });
  });

  it('keeps the first answer: a contradicting one is a conflict', () => {
    const desk = new ApprovalDesk();
    desk.record('t', { approvalId: id(1), decision: 'allow' });
    expect(desk.record('t', { approvalId: id(1), decision: 'block' })).toMatchObject({
      ok: false,
      code: 'conflict',
    });
    expect(desk.record('t', { approvalId: id(1), decision: 'allow' })).toMatchObject({
      ok: true,
      status: 'unchanged',
    });
  });

  // Regression (attack probe): 10,500 waits with random ids from one tenant evicted another tenant's recorded
  // `block`, and a contradicting `allow` was then accepted.
  it("one tenant's flood of waits and answers never erases another tenant's answer", async () => {
    const desk = new ApprovalDesk({ maxAnswersPerTenant: 100, maxWaitsPerTenant: 50 });
    desk.record('victim', { approvalId: id(7), decision: 'block', approver: 'soc' });
    const refused: string[] = [];
    for (let i = 0; i < 10_500; i++) {
      const w = desk.wait('attacker', id(100_000 + i), 60_000);
      if (!w.ok) refused.push(w.code);
    }
    for (let i = 0; i < 500; i++) desk.record('attacker', { approvalId: id(200_000 + i), decision: 'allow' });
    expect(refused.length).toBe(10_500 - 50);
    expect(new Set(refused)).toEqual(new Set(['too_many_waits']));
    expect(desk.size('attacker').answers).toBe(100);
    expect(desk.record('victim', { approvalId: id(7), decision: 'allow' })).toMatchObject({
      ok: false,
      code: 'conflict',
    });
    expect(await statusOf(desk.wait('victim', id(7), 0))).toMatchObject({ decision: 'block' });
    desk.close();
  });

  it('refuses new answers past the bound instead of evicting one still within its retention', () => {
    let now = 1_000;
    const desk = new ApprovalDesk({
      maxAnswersPerTenant: 2,
      answerRetentionMillis: 60_000,
      now: () => now,
    });
    desk.record('t', { approvalId: id(1), decision: 'block' });
    desk.record('t', { approvalId: id(2), decision: 'allow' });
    expect(desk.record('t', { approvalId: id(3), decision: 'allow' })).toMatchObject({
      ok: false,
      code: 'desk_full',
    });
    expect(desk.record('t', { approvalId: id(1), decision: 'allow' })).toMatchObject({ code: 'conflict' });
    // After the retention (the longest a call could wait on it) the oldest answer makes room.
    now += 60_001;
    expect(desk.record('t', { approvalId: id(3), decision: 'allow' })).toMatchObject({
      ok: true,
      status: 'recorded',
    });
  });

  it('an expired id answered again moves to the back, so pruning still frees the expired ones', () => {
    let now = 0;
    const desk = new ApprovalDesk({ maxAnswersPerTenant: 3, answerRetentionMillis: 100, now: () => now });
    desk.record('t', { approvalId: id(1), decision: 'allow' });
    desk.record('t', { approvalId: id(2), decision: 'allow' });
    now = 150; // both expired
    desk.record('t', { approvalId: id(1), decision: 'block' }); // a fresh answer for an expired id
    desk.record('t', { approvalId: id(3), decision: 'allow' });
    now = 200;
    // Full (3): id 2 expired at 100 and must make room even though id 1 (answered again) is still held.
    expect(desk.record('t', { approvalId: id(4), decision: 'allow' })).toMatchObject({ ok: true });
  });

  it('close() releases every waiter with pending', async () => {
    const desk = new ApprovalDesk();
    const a = statusOf(desk.wait('t1', id(1), 60_000));
    const b = statusOf(desk.wait('t2', id(2), 60_000));
    desk.close();
    expect(await a).toEqual({ status: 'pending', approvalId: id(1) });
    expect(await b).toEqual({ status: 'pending', approvalId: id(2) });
  });
});
