// Reads an embedded (chdb) store in its own short-lived process: chdb holds one data directory per process,
// and the soak reads several, one after the other. Request: JSON in the file argv[2]; answer: one JSON line on stdout.
import { readFileSync } from 'node:fs';
import { ChdbEventStore, QUERIES } from '@bulwark/stream';
import { storedIds } from './soak-traffic.js';

/** What to read: the stored rows per event id of tenants, and whole sessions. */
export interface ReadStoreRequest {
  dataDir: string;
  idsOf?: string[];
  sessions?: { tenantId: string; sessionId: string }[];
}

const req = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as ReadStoreRequest;
const store = await ChdbEventStore.open({ dataDir: req.dataDir, database: 'bulwark' });
try {
  const ids: Record<string, [string, number][]> = {};
  for (const t of req.idsOf ?? []) ids[t] = [...(await storedIds(store, t))];
  const sessions: unknown[][] = [];
  for (const s of req.sessions ?? []) {
    const res = await store.query(QUERIES.sessionEvents, s);
    sessions.push(res.ok ? res.rows : [{ error: res.message }]);
  }
  process.stdout.write(`${JSON.stringify({ ids, sessions })}\n`);
} finally {
  await store.shutdown();
}
process.exit(0);
