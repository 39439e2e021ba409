import { describe, expect, it } from 'vitest';
import { ApprovalDesk } from './approval-desk.js';

const id = (n: number) => n.toString(16).padStart(32, '0');

describe('ApprovalDesk', () => {
  it('hands an answer that came first to the agent that asks later, per tenant only', async () => {
    const desk = new ApprovalDesk();
    desk.record('t1', { approvalId: id(1), decision: 'allow', approver: 'alice' });
    expect(await desk.wait('t1', id(1), 0)).toMatchObject({
      status: 'decided',
      decision: 'allow',
      approver: 'alice',
    });
    expect(await desk.wait('t2', id(1), 0)).toEqual({ status: 'pending', approvalId: id(1) });
  });

  it('releases a waiting agent when the answer arrives, and says pending after the wait', async () => {
    const desk = new ApprovalDesk();
    const waiting = desk.wait('t1', id(2), 5_000);
    expect(desk.record('t1', { approvalId: id(2), decision: 'block' })).toEqual({
      ok: true,
      status: 'recorded',
      waitersReleased: 1,
    });
    expect(await waiting).toMatchObject({ status: 'decided', decision: 'block' });
    expect(await desk.wait('t1', id(3), 20)).toEqual({ status: 'pending', approvalId: id(3) });
  });

  it('keeps the first answer and stays bounded', () => {
    const desk = new ApprovalDesk(2);
    desk.record('t', { approvalId: id(1), decision: 'allow' });
    expect(desk.record('t', { approvalId: id(1), decision: 'block' })).toMatchObject({
      ok: false,
      code: 'conflict',
    });
    desk.record('t', { approvalId: id(2), decision: 'allow' });
    desk.record('t', { approvalId: id(3), decision: 'allow' });
    // The oldest answer is forgotten: a late agent sees pending and its own deadline refuses the call.
    return expect(desk.wait('t', id(1), 0)).resolves.toMatchObject({ status: 'pending' });
  });
});
