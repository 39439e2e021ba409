import { describe, expect, it } from 'vitest';
import { parseEventsInSlices } from './parse-events-in-slices.js';

const prompt = (i: number) => ({
  kind: 'prompt',
  role: 'user',
  content: `message ${i} `.repeat(20),
  eventId: `p-${i}`,
  sessionId: 's',
  timestampMillis: 1_700_000_000_000 + i,
});

describe('parseEventsInSlices', () => {
  it('yields the event loop while validating a large batch (other work runs in between)', async () => {
    let turns = 0;
    let running = true;
    const tick = () => {
      turns += 1;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const out = await parseEventsInSlices(
      Array.from({ length: 2_000 }, (_, i) => prompt(i)),
      0.05,
    );
    running = false;
    expect(out.events).toHaveLength(2_000);
    expect(out.issues).toEqual([]);
    expect(turns).toBeGreaterThan(5);
  });

  it('reports issues with their event index', async () => {
    const out = await parseEventsInSlices([prompt(0), { kind: 'nope' }], 1);
    expect(out.events).toHaveLength(1);
    expect(out.issues[0]?.path.slice(0, 2)).toEqual(['events', 1]);
  });
});
