import type { AgentEvent } from '@bulwark/contracts';

/**
 * Bounded FIFO of the events observed since the last verdict request, with duplicate suppression by
 * `eventId` (chat histories repeat every earlier prompt on each LLM call; the engine is idempotent, but
 * resending the whole history on every tool call would waste the verdict budget).
 *
 * @example
 * const q = new EventQueue({ maxEvents: 1000 });
 * q.push(event);
 * const batch = q.drain();
 */
export class EventQueue {
  readonly maxEvents: number;
  private readonly maxRemembered: number;
  private items: AgentEvent[] = [];
  private readonly seen = new Set<string>();
  private droppedCount = 0;

  constructor(options: { maxEvents: number; maxRemembered?: number }) {
    this.maxEvents = options.maxEvents;
    this.maxRemembered = options.maxRemembered ?? Math.max(10_000, options.maxEvents * 4);
  }

  /** Events dropped because the queue was full (oldest first). */
  get dropped(): number {
    return this.droppedCount;
  }

  get size(): number {
    return this.items.length;
  }

  /** Queues an event unless one with the same id was queued recently. Returns whether it was queued. */
  push(event: AgentEvent): boolean {
    if (this.seen.has(event.eventId)) return false;
    this.remember(event.eventId);
    this.items.push(event);
    this.trim();
    return true;
  }

  /** Everything queued, in order; the queue is empty afterwards. */
  drain(): AgentEvent[] {
    const out = this.items;
    this.items = [];
    return out;
  }

  /** Puts events that were not delivered (fallback verdict) back in front of newer ones. */
  requeue(events: readonly AgentEvent[]): void {
    if (events.length === 0) return;
    this.items = [...events, ...this.items];
    this.trim();
  }

  private trim(): void {
    const excess = this.items.length - this.maxEvents;
    if (excess > 0) {
      this.items.splice(0, excess);
      this.droppedCount += excess;
    }
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > this.maxRemembered) {
      // Sets iterate in insertion order: the first entry is the oldest id.
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
