import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { AgentEvent, Finding } from '@bulwark/contracts';
import { AnalysisCache, DetectionEngine } from '@bulwark/detectors';
import { type AgentDojoConversation, stripAnswerKey, toReplaySteps } from '@bulwark/detectors/eval';
import { describe, expect, it } from 'vitest';

/**
 * The AgentDojo replay must decide exactly as it did when the golden digest was taken: speed work on the
 * text analysis and on `decide` may not change a verdict. The data lives in ../shared (never committed);
 * the golden holds only hashes of what the engine derived from it.
 *
 * Regenerate (only for an intended change of decisions): UPDATE_GOLDEN=1 npx vitest run detectors/test/replay-decisions.test.ts
 */
const DATA = resolve(process.cwd(), '../shared/agentdojo/runs-dev.jsonl.gz');
const GOLDEN = resolve(import.meta.dirname, 'fixtures/replay-decisions.golden.json');
/** Every 11th run: about 300 runs spread over all suites and attacks. */
const STRIDE = 11;

interface Golden {
  source: string;
  stride: number;
  runs: number;
  verdicts: number;
  decisions: Record<string, number>;
  /** Per run: `<decisions digest>:<analysis digest>` (12 hex characters each). */
  digests: string[];
}

const digest = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 12);
const findingsOf = (fs: readonly Finding[]) => fs.map((f) => [f.detectorId, f.decision, f.severity]);
const round = (x: number) => Math.round(x * 1000) / 1000;
const sorted = (s: ReadonlySet<string> | undefined) => (s ? [...s].sort() : null);

function loadRuns(): AgentDojoConversation[] {
  const lines = gunzipSync(readFileSync(DATA)).toString('utf8').split('\n');
  const out: AgentDojoConversation[] = [];
  for (let i = 0; i < lines.length; i += STRIDE) {
    const line = lines[i];
    if (!line?.trim()) continue;
    const res = stripAnswerKey(JSON.parse(line));
    if (res.ok) out.push(res.conversation);
  }
  return out;
}

/** Replays the runs in order through one engine, as `eval agentdojo` does; returns the golden shape. */
function replayDigests(runs: readonly AgentDojoConversation[], cache?: AnalysisCache): Golden {
  const engine = new DetectionEngine(cache ? { analysisCache: cache } : {});
  const decisions: Record<string, number> = {};
  const digests: string[] = [];
  let verdicts = 0;
  runs.forEach((conversation, i) => {
    const verdictTrail: unknown[] = [];
    const analysisTrail: unknown[] = [];
    const steps = toReplaySteps(conversation, { sessionId: `run-${i}`, startMillis: i * 10_000_000 });
    for (const step of steps) {
      if (step.type === 'event') {
        const ev: AgentEvent = step.event;
        const res = engine.ingest(ev);
        verdictTrail.push(['e', findingsOf(res.findings)]);
        const node = engine
          .session(ev.tenantId, ev.sessionId)
          ?.nodes.findLast((n) => n.eventId === ev.eventId);
        if (node)
          analysisTrail.push([
            node.kind,
            node.confidentiality,
            sorted(node.values),
            sorted(node.secrets),
            node.injection
              ? [node.injection.level, round(node.injection.score), node.injection.targeted]
              : null,
            sorted(node.regionValues),
            node.excerpts ?? null,
          ]);
        continue;
      }
      const { verdict, findings } = engine.decide(step.request);
      verdicts++;
      decisions[verdict.decision] = (decisions[verdict.decision] ?? 0) + 1;
      verdictTrail.push([
        'c',
        verdict.decision,
        verdict.detectorIds,
        verdict.reasons.map((r) => [r.detectorId, r.decision, r.severity]),
        findingsOf(findings),
      ]);
    }
    digests.push(`${digest(verdictTrail)}:${digest(analysisTrail)}`);
  });
  return { source: 'runs-dev.jsonl.gz', stride: STRIDE, runs: runs.length, verdicts, decisions, digests };
}

const present = existsSync(DATA);
if (!present && process.env.CI !== 'true')
  console.warn(`replay-decisions: skipped, ${DATA} is absent (CI=true makes this a failure)`);

describe('AgentDojo replay decisions against the golden digest', () => {
  it('the shared AgentDojo data is present under CI', () => {
    if (process.env.CI === 'true') expect(present, `${DATA} is required under CI`).toBe(true);
  });

  it.runIf(present)(
    'a cold engine and a warm analysis cache decide exactly as the golden',
    () => {
      const runs = loadRuns();
      const cache = new AnalysisCache();
      const cold = replayDigests(runs, cache);
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, `${JSON.stringify(cold, null, 1)}\n`);
      const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Golden;
      const firstDiff = (g: Golden) => g.digests.findIndex((d, i) => d !== golden.digests[i]);
      expect(firstDiff(cold), 'first run whose digest differs (cold)').toBe(-1);
      expect(cold).toEqual(golden);
      // Every text is in the cache now: a new engine on the same cache must still decide the same.
      const warm = replayDigests(runs, cache);
      expect(cache.stats().hits).toBeGreaterThan(0);
      expect(firstDiff(warm), 'first run whose digest differs (warm cache)').toBe(-1);
      expect(warm).toEqual(golden);
    },
    120_000,
  );
});
