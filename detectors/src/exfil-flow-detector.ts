import type { Evidence, PendingToolCall } from '@bulwark/contracts';
import type { Detector, DetectorContext, DetectorOutcome } from './detector.js';
import { DEFAULT_POLICY } from './policy.js';
import type { ArgumentFlow } from './session/analyze-call.js';

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

/**
 * `exfil.sensitive-flow`: sensitive data (secrets by pattern and entropy, values read from secret-labelled
 * results, internal data) flowing into an outward sink — mail, message, post, upload, a URL's query string.
 * The destination decides: given by the user → alert; taken from untrusted content or unknown → block.
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
    } else if (destUntrusted) {
      const internal = payload.filter(
        (x) => x.confidentiality === 'internal' && x.untrustedSources.length > 0,
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

function redact(v: string): string {
  const s = v.length > 120 ? `${v.slice(0, 120)}…` : v;
  return s.replace(/[A-Za-z0-9+/_=-]{12,}/g, (m) => `${m.slice(0, 4)}…${m.slice(-2)}`);
}
