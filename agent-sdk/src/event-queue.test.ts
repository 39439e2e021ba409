import type { AgentEvent } from '@bulwark/contracts';
import { describe, expect, it } from 'vitest';
import { EventQueue } from './event-queue.js';

const ev = (id: string): AgentEvent => ({
  kind: 'prompt',
  eventId: id,
  tenantId: 'default',
  sessionId: 's',
  timestampMillis: 0,
  role: 'user',
  content: id,
});

describe('EventQueue', () => {
  it('drains in order and suppresses duplicates by event id', () => {
    const q = new EventQueue({ maxEvents: 10 });
    expect(q.push(ev('a'))).toBe(true);
    expect(q.push(ev('b'))).toBe(true);
    expect(q.push(ev('a'))).toBe(false);
    expect(q.drain().map((e) => e.eventId)).toEqual(['a', 'b']);
    expect(q.push(ev('a'))).toBe(false); // still remembered after the drain
    expect(q.drain()).toEqual([]);
  });

  it('is bounded: the oldest events are dropped and counted', () => {
    const q = new EventQueue({ maxEvents: 3 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) q.push(ev(id));
    expect(q.dropped).toBe(2);
    expect(q.drain().map((e) => e.eventId)).toEqual(['c', 'd', 'e']);
  });

  it('requeues undelivered events in front of newer ones', () => {
    const q = new EventQueue({ maxEvents: 10 });
    q.push(ev('a'));
    const batch = q.drain();
    q.push(ev('b'));
    q.requeue(batch);
    expect(q.drain().map((e) => e.eventId)).toEqual(['a', 'b']);
  });

  it('forgets the oldest ids past its memory bound', () => {
    const q = new EventQueue({ maxEvents: 10, maxRemembered: 2 });
    q.push(ev('a'));
    q.push(ev('b'));
    q.push(ev('c'));
    q.drain();
    expect(q.push(ev('a'))).toBe(true);
    expect(q.push(ev('c'))).toBe(false);
  });
});
