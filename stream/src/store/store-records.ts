/**
 * The shapes of the records the event store keeps beyond the contract types: how a verdict, an alert and a
 * dead letter are stored. In a module of their own because the store interface, the named queries and the
 * row codecs all use them, and the queries and codecs are themselves used by the store interface.
 */
import type { Alert, Verdict } from '@bulwark/contracts';

/** Who produced a verdict: the collector before the call ran, the stream worker after, or a retro-hunt. */
export type VerdictOrigin = 'inline' | 'stream' | 'hunt';

/** A verdict as stored: the contract verdict plus where it came from and the agent (verdicts carry none). */
export interface VerdictRecord {
  verdict: Verdict;
  origin: VerdictOrigin;
  agentId?: string | undefined;
}

/** Something that could not be handled and is kept for a human instead of being dropped. */
export interface DeadLetter {
  deadLetterId: string;
  tenantId: string;
  /** What failed: `alert`, `approval`, `bus.events`, `store.<table>`, ... */
  source: string;
  /** Channel or component that failed (`slack:secops`, `clickhouse`). */
  channel: string;
  reason: string;
  attempts: number;
  /** The undeliverable record, stored as JSON. */
  payload: unknown;
  timestampMillis: number;
}

/** An alert as stored: the findings are referenced by id (they live in `findings`). */
export type AlertRecord = Omit<Alert, 'findings'> & { findingIds: string[] };
