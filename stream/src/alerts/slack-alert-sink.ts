import type { Alert, Severity } from '@bulwark/contracts';
import { type AlertSink, alertHeadline, type SendResult, truncate } from './alert-sink.js';
import { postJson } from './post-json.js';

export interface SlackAlertSinkOptions {
  /** Incoming webhook URL (`https://hooks.slack.com/services/...`): a secret, never logged. */
  webhookUrl: string;
  /** Channel label. Default `slack`. */
  name?: string;
  /** Default 5 s. */
  timeoutMillis?: number;
  /** Base URL of a console with session pages, for a link in the message. */
  consoleUrl?: string;
}

/** Block Kit limits this sink stays within (Slack rejects larger messages with `invalid_blocks`). */
export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  blocks: 50,
  fallbackText: 3000,
} as const;

const ICON: Record<Severity, string> = {
  critical: ':rotating_light:',
  high: ':red_circle:',
  medium: ':large_orange_circle:',
  low: ':large_yellow_circle:',
  info: ':information_source:',
};

/** Slack's three reserved characters in mrkdwn/plain text. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const MAX_FINDING_BLOCKS = 10;

/**
 * The Block Kit message of an alert, with a fallback `text` for notifications.
 *
 * @example
 * const { text, blocks } = slackMessage(alert, 'https://bulwark.example.com');
 */
export function slackMessage(alert: Alert, consoleUrl?: string): { text: string; blocks: unknown[] } {
  const head = alert.action === 'resolve' ? 'Resolved' : alert.severity.toUpperCase();
  const field = (label: string, value: string) => ({
    type: 'mrkdwn',
    text: truncate(`*${label}*\n${escapeSlack(value || '-')}`, SLACK_LIMITS.fieldText),
  });
  const blocks: unknown[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncate(`${head}: ${alert.title}`, SLACK_LIMITS.headerText),
        emoji: true,
      },
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(
          `${ICON[alert.severity]} ${escapeSlack(alert.summary || alertHeadline(alert))}`,
          SLACK_LIMITS.sectionText,
        ),
      },
      fields: [
        field('Tenant', alert.tenantId),
        field('Session', alert.sessionId),
        field('Agent', alert.agentId ?? ''),
        field('Severity', alert.severity),
        field('Detectors', alert.detectorIds.join(', ')),
        field('Action', alert.action),
      ].slice(0, SLACK_LIMITS.fields),
    },
  ];
  const shown = alert.findings.slice(0, MAX_FINDING_BLOCKS);
  for (const f of shown) {
    const tool = f.toolName ? ` on \`${escapeSlack(f.toolName)}\`` : '';
    const excerpt = f.evidence.find((e) => e.excerpt)?.excerpt;
    const text = `*${escapeSlack(f.title)}*${tool}\n${f.detectorId} · ${f.severity} · ${f.decision}${
      excerpt ? `\n> ${escapeSlack(excerpt.replace(/\s+/g, ' '))}` : ''
    }`;
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(text, SLACK_LIMITS.sectionText) },
    });
  }
  const context: unknown[] = [
    {
      type: 'mrkdwn',
      text: truncate(`incident \`${escapeSlack(alert.dedupKey)}\` · alert \`${alert.alertId}\``, 2000),
    },
  ];
  if (alert.findings.length > shown.length) {
    context.push({ type: 'mrkdwn', text: `+${alert.findings.length - shown.length} more findings` });
  }
  if (consoleUrl) {
    const href = `${consoleUrl.replace(/\/$/, '')}/sessions/${encodeURIComponent(alert.sessionId)}`;
    context.push({ type: 'mrkdwn', text: `<${href}|Open session>` });
  }
  blocks.push({ type: 'context', elements: context.slice(0, SLACK_LIMITS.contextElements) });
  return {
    text: truncate(escapeSlack(alertHeadline(alert)), SLACK_LIMITS.fallbackText),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
  };
}

/**
 * Posts alerts to a Slack incoming webhook as Block Kit blocks plus a fallback `text`. Slack answers 200
 * `ok`; 400/403/404/410 are permanent (bad payload, revoked webhook, archived channel), 429/5xx are retried.
 *
 * @example
 * const slack = new SlackAlertSink({ webhookUrl: process.env.SLACK_WEBHOOK_URL!, name: 'slack:secops' });
 * await slack.send(alert);
 */
export class SlackAlertSink implements AlertSink {
  readonly name: string;
  private readonly webhookUrl: string;
  private readonly timeoutMillis: number;
  private readonly consoleUrl: string | undefined;

  constructor(options: SlackAlertSinkOptions) {
    this.webhookUrl = options.webhookUrl;
    this.name = options.name ?? 'slack';
    this.timeoutMillis = options.timeoutMillis ?? 5_000;
    this.consoleUrl = options.consoleUrl;
  }

  async send(alert: Alert): Promise<SendResult> {
    const res = await postJson(this.webhookUrl, JSON.stringify(slackMessage(alert, this.consoleUrl)), {
      timeoutMillis: this.timeoutMillis,
    });
    if (res.ok) return { ok: true, status: res.status };
    return {
      ok: false,
      retriable: res.retriable,
      status: res.status,
      retryAfterMillis: res.retryAfterMillis,
      message: res.message,
    };
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
