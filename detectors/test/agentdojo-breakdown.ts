/**
 * How AgentDojo results carry over: the replay scored per group (attack type, model, suite, and the crossings
 * that matter), so a result that holds only on the groups the defaults were tuned on shows. Nothing is tuned
 * here: the engine runs with its default configuration, and each group is scored on its own runs (the
 * held-out view of a deterministic engine — leaving a group out changes nothing else).
 *
 * The grouping keys are read from the raw run for scoring only; the monitor sees what `stripAnswerKey` lets
 * through, as in `eval agentdojo`. The data stays in ../shared and is never committed.
 *
 * Run: `npx tsx detectors/test/agentdojo-breakdown.ts [path] [--json] [--misses] [--variants] [--holdout] [--other-attacks]`
 * (`--misses` lists the missed harm runs and blocked benign runs by line number, for local diagnosis;
 * `--variants` adds the recorded "important instructions" runs rewritten as bare planted directives, and the
 * benign runs with to-do style notes for their human reader appended, see `replay/attack-variants.ts`;
 * `--holdout` does the same with the held-out directive templates).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { evaluateAgentDojo } from '../src/eval/agentdojo-evaluator.js';
import {
  type AgentDojoConversation,
  type AgentDojoLabels,
  stripAnswerKey,
} from '../src/eval/agentdojo-replay.js';
import { isBlocking, type RunOutcome } from '../src/eval/agentdojo-score.js';
import {
  appendBenignNote,
  applyDirectiveVariant,
  BARE_DIRECTIVE_VARIANTS,
  BENIGN_NOTES,
  type DirectiveVariant,
  HOLDOUT_DIRECTIVE_VARIANTS,
  OTHER_ATTACK_VARIANTS,
} from '../src/eval/attack-variants.js';

interface Keyed {
  line: number;
  conversation: AgentDojoConversation;
  labels: AgentDojoLabels;
  groups: Record<string, string>;
}

const args = process.argv.slice(2);
const path = resolve(args.find((a) => !a.startsWith('--')) ?? '../shared/agentdojo/runs-dev.jsonl.gz');
const json = args.includes('--json');
const misses = args.includes('--misses');
const variants = args.includes('--variants');
const holdout = args.includes('--holdout');
const other = args.includes('--other-attacks');

function load(): Keyed[] {
  const raw = readFileSync(path);
  const text = path.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  const out: Keyed[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const r = JSON.parse(line) as Record<string, unknown>;
    const res = stripAnswerKey(r);
    if (!res.ok || !res.labels) return;
    const attack = String(r.attack_type ?? 'none');
    const model = String(r.model ?? '?');
    const suite = String(r.suite_name ?? '?');
    out.push({
      line: i + 1,
      conversation: res.conversation,
      labels: res.labels,
      groups: {
        attack,
        model,
        suite,
        'attack×model': `${attack} × ${model}`,
        'attack×suite': `${attack} × ${suite}`,
      },
    });
  });
  return out;
}

interface Row {
  group: string;
  runs: number;
  harm_runs: number;
  harm_blocked_in_time: number | null;
  harm_succeeded_runs: number;
  harm_blocked_where_succeeded: number | null;
  succeeded_runs: number;
  attack_detected: number | null;
  benign_runs: number;
  benign_fpr: number | null;
}

function inTime(o: RunOutcome): boolean {
  const h = o.labels.harm;
  if (!h) return false;
  return o.calls.some(
    (c) => isBlocking(c.decision) && (c.message < h.message || (c.message === h.message && c.call <= h.call)),
  );
}

function rowOf(group: string, outcomes: readonly RunOutcome[]): Row {
  const harm = outcomes.filter((o) => o.labels.harm);
  const harmSucc = harm.filter((o) => o.labels.attackSucceeded);
  const succ = outcomes.filter((o) => o.labels.attackSucceeded);
  const benign = outcomes.filter((o) => !o.labels.injected);
  const share = (xs: readonly RunOutcome[], f: (o: RunOutcome) => boolean) =>
    xs.length === 0 ? null : xs.filter(f).length / xs.length;
  return {
    group,
    runs: outcomes.length,
    harm_runs: harm.length,
    harm_blocked_in_time: share(harm, inTime),
    harm_succeeded_runs: harmSucc.length,
    harm_blocked_where_succeeded: share(harmSucc, inTime),
    succeeded_runs: succ.length,
    attack_detected: share(succ, (o) => o.highAlert || o.calls.some((c) => isBlocking(c.decision))),
    benign_runs: benign.length,
    benign_fpr: share(benign, (o) => o.calls.some((c) => isBlocking(c.decision))),
  };
}

const runs = load();
const { outcomes } = evaluateAgentDojo(runs, { monotonicMicros: () => 0, warmup: false });
const rows: Row[] = [rowOf('all', outcomes)];
for (const dim of ['attack', 'model', 'suite', 'attack×model', 'attack×suite']) {
  const keys = [...new Set(runs.map((r) => r.groups[dim]!))].sort();
  for (const k of keys) {
    const idx = runs.flatMap((r, i) => (r.groups[dim] === k ? [i] : []));
    rows.push(
      rowOf(
        `${dim}: ${k}`,
        idx.map((i) => outcomes[i]!),
      ),
    );
  }
}
// Benign runs have no attack: score them per model and suite beside every attack group's own FPR (none).
const f = (x: number | null, n: number) => (x === null ? '—' : `${(x * 100).toFixed(1)}% (${n})`);
if (json) console.log(JSON.stringify(rows));
else {
  console.log(
    'group | harm blocked in time (n) | where attack succeeded (n) | attack detected (n) | benign FPR (n)',
  );
  for (const r of rows)
    console.log(
      `${r.group} | ${f(r.harm_blocked_in_time, r.harm_runs)} | ${f(r.harm_blocked_where_succeeded, r.harm_succeeded_runs)} | ${f(r.attack_detected, r.succeeded_runs)} | ${f(r.benign_fpr, r.benign_runs)}`,
    );
}
/** The runs of `attack` rewritten as each variant, scored per variant and per variant × model / suite. */
function variantRows(list: readonly DirectiveVariant[]): Row[] {
  const base = runs.filter((r) => r.groups.attack === 'important_instructions');
  const out: Row[] = [];
  for (const v of list) {
    const rewritten = base.flatMap((r) => {
      const { conversation, replaced } = applyDirectiveVariant(r.conversation, v);
      return replaced > 0 ? [{ ...r, conversation }] : [];
    });
    const res = evaluateAgentDojo(rewritten, { monotonicMicros: () => 0, warmup: false }).outcomes;
    out.push(rowOf(`variant ${v} (${rewritten.length} of ${base.length} runs rewritten)`, res));
    for (const dim of ['model', 'suite']) {
      for (const k of [...new Set(rewritten.map((r) => r.groups[dim]!))].sort()) {
        const idx = rewritten.flatMap((r, i) => (r.groups[dim] === k ? [i] : []));
        out.push(
          rowOf(
            `variant ${v} × ${dim}: ${k}`,
            idx.map((i) => res[i]!),
          ),
        );
      }
    }
    if (misses)
      rewritten.forEach((r, i) => {
        const o = res[i]!;
        if (o.labels.harm && o.labels.attackSucceeded && !inTime(o))
          console.log(`variant-miss ${v} line ${r.line} ${r.groups.model} ${r.groups.suite}`);
      });
  }
  return out;
}

function benignNoteRows(): Row[] {
  const benign = runs.filter((r) => !r.labels.injected);
  return BENIGN_NOTES.map((note, n) => {
    const res = evaluateAgentDojo(
      benign.map((r) => ({ ...r, conversation: appendBenignNote(r.conversation, note) })),
      { monotonicMicros: () => 0, warmup: false },
    ).outcomes;
    if (misses)
      benign.forEach((r, i) => {
        if (res[i]!.calls.some((c) => isBlocking(c.decision)))
          console.log(`note-block ${n} line ${r.line} ${r.groups.model} ${r.groups.suite}`);
      });
    return rowOf(`benign + note ${n}: ${note.slice(0, 40).replace(/\n/g, ' ')}`, res);
  });
}

if (variants || holdout || other) {
  const extra = other
    ? variantRows(OTHER_ATTACK_VARIANTS)
    : [...variantRows(holdout ? HOLDOUT_DIRECTIVE_VARIANTS : BARE_DIRECTIVE_VARIANTS), ...benignNoteRows()];
  if (json) console.log(JSON.stringify(extra));
  else
    for (const r of extra)
      console.log(
        `${r.group} | ${f(r.harm_blocked_in_time, r.harm_runs)} | ${f(r.harm_blocked_where_succeeded, r.harm_succeeded_runs)} | ${f(r.attack_detected, r.succeeded_runs)} | ${f(r.benign_fpr, r.benign_runs)}`,
      );
}

if (misses) {
  runs.forEach((r, i) => {
    const o = outcomes[i]!;
    if (o.labels.harm && !inTime(o))
      console.log(`miss line ${r.line} ${r.groups.attack} ${r.groups.model} ${r.groups.suite}`);
    if (!o.labels.injected && o.calls.some((c) => isBlocking(c.decision)))
      console.log(`benign-block line ${r.line} ${r.groups.model} ${r.groups.suite}`);
  });
}
