import type { Evidence, PendingToolCall } from '@bulwark/contracts';
import type { Detector, DetectorContext, DetectorOutcome } from '../../engine/detector.js';
import { DEFAULT_POLICY } from '../../engine/policy.js';
import type { ArgumentFlow } from '../../session/analyze-call.js';
import type { SessionGraph } from '../../session/session-graph.js';
import { findPersonalData, type PersonalDataKind } from '../../text/personal-data.js';

/** Argument names that say where data goes. */
const DESTINATION =
  /(^|[._[])(to|cc|bcc|recipients?|email|emails|address|addresses|url|uri|link|endpoint|webhook|channel|user|users|target|destination|dest|host|domain|phone|number|account|iban|participants?|invitees?|attendees?)($|[._\][])/i;
const SECRET_KINDS_IN_URL = /[?&][^=]+=([^&]{16,})/;

function isDestination(a: ArgumentFlow): boolean {
  return (
    DESTINATION.test(a.path) ||
    /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i.test(a.value.trim()) ||
    /^(https?:\/\/|www\.)/i.test(a.value.trim())
  );
}

/** Personal keys shorter than this are not looked for inside other values (too many chance hits). */
const MIN_PERSONAL_KEY = 6;

/**
 * Personal data an argument carries, value by value: found by shape and context in the value itself, or a
 * value the graph labelled personal in a tool result (a passport number read from a profile, copied into
 * an e-mail body without its field name).
 */
function personalIn(a: ArgumentFlow, session: SessionGraph | undefined): Map<PersonalDataKind, string> {
  const found = new Map<PersonalDataKind, string>();
  for (const m of findPersonalData(a.value, 16)) found.set(m.kind, 'by pattern');
  if (!session) return found;
  // Separators dropped, as in the keys: `4111-1111 …` in a result and `4111 1111 …` in a body agree.
  const compact = a.value.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (compact.length < MIN_PERSONAL_KEY) return found;
  for (const n of session.nodes) {
    if (!n.personal) continue;
    for (const [key, kind] of n.personal) {
      if (found.has(kind) || key.length < MIN_PERSONAL_KEY || !compact.includes(key)) continue;
      found.set(kind, `read from ${n.kind}${n.toolName ? ` of ${n.toolName}` : ''} (${n.eventId})`);
    }
  }
  return found;
}

/**
 * `exfil.sensitive-flow`: sensitive data (secrets by pattern and entropy, values read from secret-labelled
 * results, internal data) flowing into an outward sink — mail, message, post, upload, a URL's query string.
 * The destination decides: given by the user → alert; taken from untrusted content or unknown → block.
 * Personal data (ids, passport, card and account numbers, birth dates, home addresses, phones) to a destination
 * taken from untrusted content → block; to one the user named → allowed (the user's own request).
 */
export class ExfilFlowDetector implements Detector {
  readonly id = 'exfil.sensitive-flow';
  readonly description = 'Sensitive data flowing to an outward sink';
  readonly defaultSeverity = 'high' as const;

  onToolCall(call: PendingToolCall, ctx: DetectorContext): readonly DetectorOutcome[] {
    const a = ctx.call;
    if (!a) return [];
    const p = a.profile;
    if (!p.sendsOutward && !p.fetchesUrl) return [];
    const policy = ctx.policy?.exfil ?? DEFAULT_POLICY.exfil;
    const destinations = a.args.filter(isDestination);
    const payload = a.args.filter((x) => !destinations.includes(x));
    const destTrusted = destinations.length > 0 && destinations.every((d) => d.trustedBacked);
    const destUntrusted = destinations.some((d) => !d.trustedBacked && d.untrustedSources.length > 0);
    const out: DetectorOutcome[] = [];

    // Secrets in a URL (query string or path) leak through the request itself.
    for (const d of destinations) {
      const m = SECRET_KINDS_IN_URL.exec(d.value);
      if (d.secrets.length > 0 || (m && d.confidentiality === 'secret')) {
        out.push({
          severity: 'critical',
          decision: policy.secret,
          title: 'Secret in an outbound URL',
          message: `${call.toolName} sends a secret in ${d.path}`,
          evidence: [
            {
              field: `arguments.${d.path}`,
              excerpt: redact(d.value),
              note: d.secrets.map((s) => s.kind).join(', ') || 'secret-labelled value',
            },
          ],
        });
      }
    }
    const secretArgs = payload.filter((x) => x.confidentiality === 'secret');
    if (secretArgs.length > 0) {
      const evidence: Evidence[] = secretArgs.map((x) => ({
        field: `arguments.${x.path}`,
        excerpt: redact(x.value),
        note:
          x.secrets.length > 0
            ? `secret by pattern: ${x.secrets.map((s) => s.kind).join(', ')}`
            : `value read from a secret-labelled result (${x.untrustedSources.map((n) => n.eventId).join(', ')})`,
      }));
      out.push({
        severity: destTrusted ? 'medium' : 'critical',
        decision: destTrusted ? policy.secretToTrustedDestination : policy.secret,
        title: destTrusted
          ? 'Secret sent to a destination the user named'
          : 'Secret flowing to an outward sink',
        message: `${call.toolName} sends ${secretArgs.map((x) => x.path).join(', ')} (secret) to ${destinations.map((d) => d.value.slice(0, 80)).join(', ') || 'an outward sink'}${destTrusted ? ' as the user asked' : ''}`,
        evidence,
      });
      return out;
    }
    const personal = payload
      .map((x) => ({ arg: x, kinds: personalIn(x, ctx.session) }))
      .filter((p) => p.kinds.size > 0);
    if (personal.length > 0) {
      const decision = destTrusted
        ? policy.personalToTrustedDestination
        : destUntrusted
          ? policy.personalToUntrustedDestination
          : policy.personalToUnknownDestination;
      if (decision === 'allow') return out;
      const dest = destinations.filter((d) => !d.trustedBacked);
      const kinds = [...new Set(personal.flatMap((p) => [...p.kinds.keys()]))];
      out.push({
        severity: destTrusted ? 'medium' : destUntrusted ? 'critical' : 'high',
        decision,
        title: destUntrusted
          ? 'Personal data sent to a destination taken from untrusted content'
          : destTrusted
            ? 'Personal data sent to a destination the user named'
            : 'Personal data sent to a destination the user did not name',
        message: `${call.toolName} sends ${kinds.join(', ')} (${personal.map((p) => p.arg.path).join(', ')}) to ${dest.map((d) => d.value.slice(0, 80)).join(', ') || 'an outward sink'}${destUntrusted ? ', which only untrusted content supplied' : ''}`,
        evidence: [
          ...dest.slice(0, 3).map((d) => ({
            field: `arguments.${d.path}`,
            excerpt: d.value.slice(0, 200),
            note: d.untrustedSources[0]
              ? `destination first seen in ${d.untrustedSources[0].kind} ${d.untrustedSources[0].eventId}`
              : 'destination not given by the user',
          })),
          ...personal.slice(0, 3).map((p) => ({
            field: `arguments.${p.arg.path}`,
            excerpt: redactPersonal(p.arg.value),
            note: [...p.kinds].map(([k, how]) => `${k} ${how}`).join('; '),
          })),
        ],
      });
      return out;
    }
    if (destUntrusted) {
      // Internal data, or data from a result that holds personal data elsewhere (not in this value).
      const internal = payload.filter(
        (x) =>
          (x.confidentiality === 'internal' || x.confidentiality === 'personal') &&
          x.untrustedSources.length > 0,
      );
      if (internal.length > 0) {
        const dest = destinations.filter((d) => !d.trustedBacked && d.untrustedSources.length > 0);
        out.push({
          severity: 'medium',
          decision: policy.internalToUntrustedDestination,
          title: 'Internal data sent to a destination taken from untrusted content',
          message: `${call.toolName} sends data read from ${[...new Set(internal.flatMap((x) => x.untrustedSources.map((n) => n.toolName ?? n.kind)))].join(', ')} to ${dest.map((d) => d.value.slice(0, 80)).join(', ')}, which the user never named`,
          evidence: [
            ...dest.map((d) => ({
              field: `arguments.${d.path}`,
              excerpt: d.value.slice(0, 200),
              note: `destination first seen in ${d.untrustedSources[0]?.kind} ${d.untrustedSources[0]?.eventId}`,
            })),
            ...internal.slice(0, 3).map((x) => ({
              field: `arguments.${x.path}`,
              excerpt: x.value.slice(0, 200),
              note: 'internal data',
            })),
          ],
        });
      }
    }
    return out;
  }
}

/** Evidence never repeats personal data: codes with digits keep their first and last two characters. */
function redactPersonal(v: string): string {
  const s = v.length > 160 ? `${v.slice(0, 160)}…` : v;
  return s.replace(/[A-Za-z0-9](?:[A-Za-z0-9]|[ .-](?=\d)){4,}/g, (m) =>
    /\d/.test(m) ? `${m[0]}…${m.slice(-2)}` : m,
  );
}

function redact(v: string): string {
  const s = v.length > 120 ? `${v.slice(0, 120)}…` : v;
  return s.replace(/[A-Za-z0-9+/_=-]{12,}/g, (m) => `${m.slice(0, 4)}…${m.slice(-2)}`);
}
