import { DetectionEngine } from '@bulwark/detectors';
import { agentDojoWorkload } from '/work/main/test/src/bench/agentdojo-workload.ts';

const w = agentDojoWorkload('/work/shared/agentdojo/runs-dev.jsonl.gz')!;
const events = w.sessions.flatMap((s) => s.events);
const kinds: Record<string, number> = {};
for (const e of events) kinds[e.kind] = (kinds[e.kind] ?? 0) + 1;
console.log(kinds);
for (let k = 0; k < 3; k++) {
  const engine = new DetectionEngine();
  const t0 = performance.now();
  for (const e of events) engine.ingest(e);
  console.log(events.length, 'events', Math.round(events.length / ((performance.now() - t0) / 1000)), '/s');
}
const byKind: Record<string, number> = {};
const engine = new DetectionEngine();
for (const e of events) {
  const t0 = performance.now();
  engine.ingest(e);
  byKind[e.kind] = (byKind[e.kind] ?? 0) + performance.now() - t0;
}
for (const k in byKind) console.log(k, ((byKind[k]! * 1000) / kinds[k]!).toFixed(1), 'us/event');
